/* runtime/rt.c - the runtime on a libuv loop: creation, deferred flushing
 * from unref'd prepare/check handles, volt_flush, and the close protocol
 * (handles closed, on_closed called, memory freed after the last release).
 */
#include <stdlib.h>

#include "runtime/inbox.h"
#include "runtime/rt.h"
#include "runtime/work.h"

/* ---- deferred flushing ------------------------------------------------------ */

static void deferred_flush(volt_rt *rt) {
  volt__core *c = &rt->core;
  if (volt__busy(c)) return;
  volt__inbox_drain(rt);
  if (rt->flush_scheduled) {
    rt->flush_scheduled = false;
    if (!rt->publish_due) uv_unref((uv_handle_t *)&rt->prepare);
  }
  if (volt__has_work(c) && !c->batch && !c->closing) volt__flush(c);
  /* Nothing may touch rt after a flush that closed it: close waits for
   * the flush to end and frees the runtime only from a close callback. */
}

/* ---- starting runners for work sent out (runtime/work.c) -------------------
 *
 * Work sent out in an iteration where results came back waits in the ready
 * queue; runners for it are started from the prepare phase, once, so that a
 * burst of dispatches (one flush's effects) starts a few runners that each
 * run many jobs instead of one runner (and one thread wake-up) per job. The
 * prepare handle is ref'd while a start is due (and in deferred mode while a
 * flush is), so uv_run cannot return in between. */

static void publish(volt_rt *rt) {
  rt->publish_due = false;
  if (rt->handles_open) {
    if (!rt->flush_scheduled) uv_unref((uv_handle_t *)&rt->prepare);
    if (!rt->core.deferred) uv_prepare_stop(&rt->prepare);
  }
  volt__work_publish(rt);
}

static void on_prepare(uv_prepare_t *h) {
  volt_rt *rt = h->data;
  if (rt->core.deferred) deferred_flush(rt);
  if (rt->publish_due) publish(rt);
}

void volt__rt_want_publish(volt_rt *rt) {
  if (rt->publish_due || !rt->handles_open) return;
  rt->publish_due = true;
  uv_ref((uv_handle_t *)&rt->prepare);
  if (!rt->core.deferred) uv_prepare_start(&rt->prepare, on_prepare);
}
static void on_check(uv_check_t *h) { deferred_flush(h->data); }

/* Deferred mode: a write happened; make sure a flush comes before the loop
 * sleeps. While something waits, the prepare handle is ref'd so that
 * uv_run does not return with the graph dirty. */
static void schedule(volt__core *c) {
  volt_rt *rt = (volt_rt *)(void *)c;
  if (rt->flush_scheduled || !rt->handles_open) return;
  rt->flush_scheduled = true;
  uv_ref((uv_handle_t *)&rt->prepare);
}

/* ---- creation ------------------------------------------------------------------- */

static void close_now(volt_rt *rt);

static void after_flush(volt__core *c) {
  volt_rt *rt = (volt_rt *)(void *)c;
  if (c->close_pending && !volt__busy(c)) {
    c->close_pending = false;
    close_now(rt);
  }
}

static void stats_extra(volt__core *c, volt_stats_t *s) {
  /* The jobs running or about to (a place under the cap each); the rest
   * wait in the runtime's queue. */
  volt_rt *rt = (volt_rt *)(void *)c;
  s->work_in_flight = rt->work_in_flight < rt->max_in_flight ? rt->work_in_flight : rt->max_in_flight;
}

int volt_rt_new(volt_rt **out, uv_loop_t *loop, const volt_config *cfg) {
  if (!out) return VOLT_EINVAL;
  if (cfg && cfg->deferred && !loop) return VOLT_EINVAL;
  volt_realloc_fn ra = (cfg && cfg->realloc) ? cfg->realloc : volt__default_realloc;
  void *ud = cfg ? cfg->realloc_ud : NULL;
  volt_rt *rt = ra(ud, NULL, 0, sizeof *rt);
  if (!rt) return VOLT_ENOMEM;
  memset(rt, 0, sizeof *rt);
  volt__core *c = &rt->core;
  volt__core_init(c, cfg);
  c->stats_extra = stats_extra;
  c->bytes += sizeof *rt;
  c->after_flush = after_flush;
  rt->loop = loop;
  atomic_init(&rt->refs, 1);
  atomic_init(&rt->close_begun, false);
  atomic_init(&rt->acquired, 0);
  if (loop) {
    unsigned pool = 4;
    const char *env = getenv("UV_THREADPOOL_SIZE");
    if (env && atoi(env) > 0) pool = (unsigned)atoi(env);
    if (pool > 1024) pool = 1024; /* libuv's own limit */
    rt->max_in_flight = (cfg && cfg->max_in_flight) ? cfg->max_in_flight : (pool > 1 ? pool - 1 : 1);
    int r = uv_prepare_init(loop, &rt->prepare);
    if (r == 0) r = uv_check_init(loop, &rt->check);
    if (r) {
      volt__core_thread_done(c);
      ra(ud, rt, sizeof *rt, 0);
      return r;
    }
    rt->prepare.data = rt;
    rt->check.data = rt;
    uv_unref((uv_handle_t *)&rt->prepare);
    uv_unref((uv_handle_t *)&rt->check);
    rt->handles_open = true;
    rt->open_handles = 2;
    if (cfg && cfg->deferred) {
      c->deferred = true;
      c->schedule = schedule;
      uv_prepare_start(&rt->prepare, on_prepare);
      uv_check_start(&rt->check, on_check);
    }
    r = volt__inbox_open(rt);
    if (r) {
      /* The handles close on the next uv_run; the runtime's memory goes
       * with the last close callback. */
      volt_rt_close(rt, NULL, NULL);
      return r;
    }
    if (volt__inbox_has_handle(rt)) rt->open_handles++;
  } else {
    rt->max_in_flight = 1;
    int r = volt__inbox_open(rt);
    if (r) {
      volt__core_thread_done(c);
      volt__core_free(c);
      ra(ud, rt, sizeof *rt, 0);
      return r;
    }
  }
  *out = rt;
  return 0;
}

uv_loop_t *volt_rt_loop(volt_rt *rt) { return rt ? rt->loop : NULL; }

/* ---- close ------------------------------------------------------------------------- */

void volt__rt_free(volt_rt *rt) {
  volt__core *c = &rt->core;
  volt__inbox_free(rt);
  volt__work_free(rt);
  volt__core_free(c);
  volt_realloc_fn ra = c->realloc;
  ra(c->realloc_ud, rt, sizeof *rt, 0);
}

/* Drops one reference to the runtime's memory (the loop side's, or a
 * thread's); the last one frees it. Any thread. */
static void rt_unref(volt_rt *rt) {
  if (atomic_fetch_sub(&rt->refs, 1) == 1) volt__rt_free(rt);
}

/* ---- acquire / release: the runtime's memory and the loop's keep-alive ----
 *
 * `refs` keeps the memory; `acquired` counts the holds that keep the loop
 * alive. Only the loop thread refs or unrefs the inbox's uv_async_t: an
 * acquire on the loop thread refs it at once; any other acquire or release
 * wakes the loop (uv_async_send), whose callback first brings the ref in
 * line with `acquired` and then applies the queue. A thread's acks and
 * emits are queued before its release is counted, so when the callback
 * sees the count at 0 they are already in the queue it is about to apply:
 * nothing a thread sent before its release is lost to uv_run returning. */

int volt_rt_acquire(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  int n = atomic_load(&rt->refs);
  do {
    if (n <= 0) return VOLT_ECLOSING;
  } while (!atomic_compare_exchange_weak(&rt->refs, &n, n + 1));
  if (atomic_load(&rt->close_begun)) {
    rt_unref(rt);
    return VOLT_ECLOSING;
  }
  atomic_fetch_add(&rt->acquired, 1);
  if (volt__on_loop(&rt->core))
    volt__inbox_keepalive(rt);
  else
    volt__inbox_wake(rt);
  return 0;
}

void volt_rt_release(volt_rt *rt) {
  if (!rt) return;
  int held = atomic_load(&rt->acquired);
  do {
    /* No hold outstanding: a release without its acquire drops nothing
     * (it would otherwise drop the loop side's reference and free the
     * runtime under it). */
    if (held <= 0) return;
  } while (!atomic_compare_exchange_weak(&rt->acquired, &held, held - 1));
  if (held == 1) volt__inbox_wake(rt); /* the last hold: the loop may let go */
  rt_unref(rt);
}

static void finish_close(volt_rt *rt) {
  if (rt->closed_called) return;
  rt->closed_called = true;
  volt__core_thread_done(&rt->core); /* loop thread: its nodes are gone */
  if (rt->on_closed) rt->on_closed(rt->on_closed_ud);
  rt_unref(rt); /* the loop side's reference */
}

void volt__rt_maybe_finish(volt_rt *rt) {
  if (rt->open_handles == 0 && rt->jobs_live == 0 && rt->core.closing) finish_close(rt);
}

void volt__rt_handle_closed(volt_rt *rt) {
  --rt->open_handles;
  volt__rt_maybe_finish(rt);
}

static void on_handle_closed(uv_handle_t *h) { volt__rt_handle_closed(h->data); }

static void close_now(volt_rt *rt) {
  volt__core *c = &rt->core;
  c->closing = true; /* constructors refuse from here on */
  volt__core_dispose_all(c);
  /* Work queued is cancelled, running work finishes and its result is
   * released (runtime/work.c); on_closed waits for the last job. */
  volt__work_close(rt);
  volt__inbox_close(rt);
  if (rt->handles_open) {
    rt->handles_open = false;
    uv_close((uv_handle_t *)&rt->prepare, on_handle_closed);
    uv_close((uv_handle_t *)&rt->check, on_handle_closed);
  } else {
    volt__rt_maybe_finish(rt);
  }
}

void volt_rt_close(volt_rt *rt, void (*on_closed)(void *ud), void *ud) {
  if (!rt) return;
  volt__core *c = &rt->core;
  if (!volt__on_loop(c)) return;
  if (atomic_exchange(&rt->close_begun, true)) return;
  rt->on_closed = on_closed;
  rt->on_closed_ud = ud;
  if (volt__busy(c)) {
    c->close_pending = true; /* done when the flush or callback ends */
    return;
  }
  close_now(rt);
}
