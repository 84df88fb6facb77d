/* tests/test_runtime.c - the runtime on a libuv loop.
 *
 * Every test that makes a loop ends with uv_run and uv_loop_close == 0
 * (directly or through h_env_close). Cross-thread checks record on the
 * thread and assert on the main thread after the join.
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eff1 {
  volt_node *src;
  int runs;
  volt_val seen;
  uint64_t now; /* uv_now of the loop at the run (0 when loop-less) */
  uv_loop_t *loop;
} eff1;

static void eff1_fn(void *ud) {
  eff1 *r = ud;
  r->runs++;
  r->seen = volt_get(r->src);
  if (r->loop) r->now = uv_now(r->loop);
}

static void count_int(void *ud) { (*(int *)ud)++; }

/* ------------------------------------------------------------------------
 * Creation and close
 * ------------------------------------------------------------------------ */

START_TEST(rt_new_invalid_arguments) {
  uv_loop_t loop;
  volt_rt *rt = (volt_rt *)&loop; /* sentinel: must stay untouched */
  volt_config cfg;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  ck_assert_int_eq(volt_rt_new(NULL, NULL, NULL), VOLT_EINVAL);
  ck_assert_int_eq(volt_rt_new(NULL, &loop, NULL), VOLT_EINVAL);
  memset(&cfg, 0, sizeof cfg);
  cfg.deferred = true;
  ck_assert_int_eq(volt_rt_new(&rt, NULL, &cfg), VOLT_EINVAL);
  ck_assert_ptr_eq(rt, (volt_rt *)&loop);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(rt_new_defaults) {
  uv_loop_t loop;
  volt_rt *rt = NULL;
  volt_config zero;
  int closed = 0;
  volt_node *s;

  /* cfg NULL, loop-less */
  ck_assert_int_eq(volt_rt_new(&rt, NULL, NULL), 0);
  ck_assert_ptr_nonnull(rt);
  ck_assert_ptr_null(volt_rt_loop(rt));
  s = volt_signal(rt, volt_int(1), NULL);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  volt_rt_close(rt, count_int, &closed);
  ck_assert_int_eq(closed, 1); /* before volt_rt_close returns */

  /* zero-filled config on a loop */
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  memset(&zero, 0, sizeof zero);
  rt = NULL;
  ck_assert_int_eq(volt_rt_new(&rt, &loop, &zero), 0);
  ck_assert_ptr_eq(volt_rt_loop(rt), &loop);
  s = volt_signal(rt, volt_int(1), NULL);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  closed = 0;
  volt_rt_close(rt, count_int, &closed);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(closed, 1);
  ck_assert_int_eq(uv_loop_close(&loop), 0);

  /* NULL on_closed is fine */
  ck_assert_int_eq(volt_rt_new(&rt, NULL, NULL), 0);
  volt_rt_close(rt, NULL, NULL);
}
END_TEST

START_TEST(loopless_close_calls_on_closed_before_return) {
  h_env e;
  int cleanups = 0;

  h_env_open(&e, H_LOOPLESS, NULL);
  ck_assert_int_eq(volt_on_cleanup(e.rt, count_int, &cleanups), 0);
  h_env_close(&e); /* asserts closed == 1 right after volt_rt_close */
  ck_assert_int_eq(cleanups, 1);
}
END_TEST

START_TEST(loop_close_on_closed_once) {
  h_env e;
  h_pool pool;
  volt_opts o;
  int cleanups = 0;
  volt_node *s;

  h_pool_init(&pool);
  memset(&o, 0, sizeof o);
  o.release = h_box_release;
  o.ud = &pool;
  h_env_open(&e, _i ? H_DEFERRED : H_LOOP, NULL);
  s = volt_signal(e.rt, volt_ptr(h_box_new(&pool, 1)), &o);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(volt_on_cleanup(e.rt, count_int, &cleanups), 0);
  volt_rt_close(e.rt, h_count_closed, &e.closed);
  ck_assert_int_eq(e.closed, 0); /* from the loop, once its handles closed */
  volt_rt_close(e.rt, h_count_closed, &e.closed); /* twice: nothing */
  ck_assert_int_eq(volt_rt_acquire(e.rt), VOLT_ECLOSING);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(cleanups, 1);                 /* graph disposed */
  ck_assert_int_eq(h_pool_unreleased(&pool), 0); /* release hooks ran */
  ck_assert_int_eq(uv_loop_close(&e.loop), 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.bad_old_size, 0);
}
END_TEST

START_TEST(acquire_keeps_memory_until_release) {
  h_env e;

  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(volt_rt_acquire(e.rt), 0);
  volt_rt_close(e.rt, h_count_closed, &e.closed);
  ck_assert_int_eq(volt_rt_acquire(e.rt), VOLT_ECLOSING);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(&e.loop), 0);
  ck_assert_uint_gt(e.alloc.live_bytes, 0); /* still referenced */
  volt_rt_release(e.rt);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.bad_old_size, 0);
}
END_TEST

/* close requested from inside an effect: happens when the flush ends */
typedef struct closer {
  volt_node *s;
  volt_rt *rt;
  int *closed;
  int runs;
  int closed_during_fn;
} closer;

static void closer_fn(void *ud) {
  closer *k = ud;
  k->runs++;
  if (volt_as_int(volt_get(k->s)) == 1) {
    volt_rt_close(k->rt, h_count_closed, k->closed);
    k->closed_during_fn = *k->closed;
  }
}

START_TEST(close_inside_flush) {
  h_env e;
  closer k;
  int cleanups = 0;

  memset(&k, 0, sizeof k);
  h_env_open(&e, _i, NULL);
  k.rt = e.rt;
  k.closed = &e.closed;
  k.s = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, closer_fn, &k));
  ck_assert_int_eq(volt_on_cleanup(e.rt, count_int, &cleanups), 0);
  (void)volt_set(k.s, volt_int(1)); /* the runtime may be gone after this */
  if (e.lp) {
    /* deferred: the flush (and the close) come from the loop */
    h_run_once(&e.loop);
    ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(&e.loop), 0);
  }
  ck_assert_int_eq(k.runs, 2);
  ck_assert_int_eq(k.closed_during_fn, 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(cleanups, 1);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

START_TEST(idle_runtime_does_not_keep_loop_alive) {
  h_env e;
  eff1 r = {0};
  volt_node *s;

  h_env_open(&e, _i ? H_DEFERRED : H_LOOP, NULL);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  /* returns at once: the runtime's handles are unref'd */
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_NOWAIT), 0);
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 1);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Flushing: sync, deferred, by hand
 * ------------------------------------------------------------------------ */

typedef struct coal {
  volt_node *s, *t;
  eff1 r;
  int runs_at_write_end;
  int runs_at_late;
  int64_t seen_at_late;
  uint64_t write_now, late_now;
  uv_timer_t t1, t2;
} coal;

static void coal_write(uv_timer_t *h) {
  coal *c = h->data;
  volt_set(c->s, volt_int(1));
  volt_set(c->t, volt_int(10));
  volt_set(c->s, volt_int(2));
  volt_set(c->s, volt_int(3));
  c->runs_at_write_end = c->r.runs;
  c->write_now = uv_now(h->loop);
  uv_close((uv_handle_t *)h, NULL);
}
static void coal_late(uv_timer_t *h) {
  coal *c = h->data;
  c->runs_at_late = c->r.runs;
  c->seen_at_late = volt_as_int(c->r.seen);
  c->late_now = uv_now(h->loop);
  uv_close((uv_handle_t *)h, NULL);
}
typedef struct two {
  volt_node *a, *b;
  int runs;
  int64_t sum;
  uint64_t now;
  uv_loop_t *loop;
} two;
static void two_fn(void *ud) {
  two *t = ud;
  t->runs++;
  t->sum = volt_as_int(volt_get(t->a)) + volt_as_int(volt_get(t->b));
  t->now = uv_now(t->loop);
}

START_TEST(deferred_coalesces_one_iteration) {
  h_env e;
  coal c;
  two tw;

  memset(&c, 0, sizeof c);
  memset(&tw, 0, sizeof tw);
  h_env_open(&e, H_DEFERRED, NULL);
  c.s = volt_signal(e.rt, volt_int(0), NULL);
  c.t = volt_signal(e.rt, volt_int(0), NULL);
  c.r.src = c.s;
  c.r.loop = &e.loop;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &c.r));
  ck_assert_int_eq(c.r.runs, 1); /* at creation, even deferred */
  tw.a = c.s;
  tw.b = c.t;
  tw.loop = &e.loop;
  ck_assert_ptr_nonnull(volt_effect(e.rt, two_fn, &tw));
  ck_assert_int_eq(tw.runs, 1);

  ck_assert_int_eq(uv_timer_init(&e.loop, &c.t1), 0);
  ck_assert_int_eq(uv_timer_init(&e.loop, &c.t2), 0);
  c.t1.data = c.t2.data = &c;
  uv_update_time(&e.loop); /* timers count from now, not from uv_loop_init */
  ck_assert_int_eq(uv_timer_start(&c.t1, coal_write, 1, 0), 0);
  ck_assert_int_eq(uv_timer_start(&c.t2, coal_late, 500, 0), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);

  ck_assert_int_eq(c.runs_at_write_end, 1); /* nothing ran during the writes */
  ck_assert_int_eq(c.runs_at_late, 2);      /* one run for four writes */
  ck_assert_int_eq(c.seen_at_late, 3);
  ck_assert_int_eq(c.r.runs, 2);
  ck_assert_int_eq(tw.runs, 2); /* two signals, one run */
  ck_assert_int_eq(tw.sum, 13);
  /* flushed before the loop slept (not after waking for the late timer):
   * the loop's clock had not moved on */
  ck_assert_uint_lt(c.r.now - c.write_now, 100);
  ck_assert_uint_ge(c.late_now, c.r.now);
  h_env_close(&e);
}
END_TEST

typedef struct syncw {
  volt_node *s;
  eff1 *r;
  int runs_after[3];
  uv_timer_t t;
} syncw;

static void syncw_cb(uv_timer_t *h) {
  syncw *w = h->data;
  for (int i = 0; i < 3; i++) {
    volt_set(w->s, volt_int(10 + i));
    w->runs_after[i] = w->r->runs;
  }
  uv_close((uv_handle_t *)h, NULL);
}

START_TEST(sync_mode_flushes_each_write) {
  h_env e;
  eff1 r = {0};
  syncw w;
  volt_node *s;
  volt_stats_t s0, s1;

  memset(&w, 0, sizeof w);
  h_env_open(&e, H_LOOP, NULL);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  s0 = h_stats(e.rt);
  for (int i = 1; i <= 3; i++) {
    ck_assert_int_eq(volt_set(s, volt_int(i)), 0);
    ck_assert_int_eq(r.runs, 1 + i);
    ck_assert_int_eq(h_int(r.seen), i);
  }
  s1 = h_stats(e.rt);
  ck_assert_uint_eq(s1.flushes, s0.flushes + 3);
  /* also from inside a loop callback */
  w.s = s;
  w.r = &r;
  ck_assert_int_eq(uv_timer_init(&e.loop, &w.t), 0);
  w.t.data = &w;
  ck_assert_int_eq(uv_timer_start(&w.t, syncw_cb, 0, 0), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(w.runs_after[0], 5);
  ck_assert_int_eq(w.runs_after[1], 6);
  ck_assert_int_eq(w.runs_after[2], 7);
  h_env_close(&e);
}
END_TEST

START_TEST(flush_by_hand) {
  h_env e;
  eff1 r = {0};
  volt_node *s;
  volt_stats_t s0, s1;

  h_env_open(&e, H_DEFERRED, NULL);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(r.runs, 1); /* deferred: not yet */
  s0 = h_stats(e.rt);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  s1 = h_stats(e.rt);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 2);
  ck_assert_uint_eq(s1.flushes, s0.flushes + 1);
  ck_assert_int_eq(volt_flush(e.rt), 0); /* nothing dirty: no run */
  ck_assert_int_eq(r.runs, 2);
  h_run_once(&e.loop);
  ck_assert_int_eq(r.runs, 2); /* the loop does not run it twice */
  /* a deferred write is also flushed by the next loop iteration */
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  h_run_once(&e.loop);
  ck_assert_int_eq(r.runs, 3);
  ck_assert_int_eq(h_int(r.seen), 3);
  h_env_close(&e);
}
END_TEST

/* an effect stuck in a write loop in deferred mode: reported to on_error */
typedef struct dloop {
  volt_node *s, *eff;
  int runs;
  uv_timer_t t1, t2;
} dloop;

static void dloop_fn(void *ud) {
  dloop *d = ud;
  d->runs++;
  volt_set(d->s, volt_int(volt_as_int(volt_get(d->s)) + 1));
}
static void dloop_kick(uv_timer_t *h) {
  dloop *d = h->data;
  volt_set(d->s, volt_int(-1000));
  uv_close((uv_handle_t *)h, NULL);
}
static void dloop_stop(uv_timer_t *h) {
  dloop *d = h->data;
  volt_dispose(d->eff);
  d->eff = NULL;
  uv_close((uv_handle_t *)h, NULL);
}

START_TEST(deferred_write_loop_reports_eloop) {
  h_env e;
  dloop d;

  memset(&d, 0, sizeof d);
  h_env_open(&e, H_DEFERRED, NULL);
  d.s = volt_signal(e.rt, volt_int(0), NULL);
  d.eff = volt_effect(e.rt, dloop_fn, &d); /* writes s: a flush is due */
  ck_assert_ptr_nonnull(d.eff);
  ck_assert_int_eq(d.runs, 1);
  ck_assert_int_eq(uv_timer_init(&e.loop, &d.t1), 0);
  ck_assert_int_eq(uv_timer_init(&e.loop, &d.t2), 0);
  d.t1.data = d.t2.data = &d;
  uv_update_time(&e.loop);
  ck_assert_int_eq(uv_timer_start(&d.t1, dloop_kick, 5, 0), 0);
  ck_assert_int_eq(uv_timer_start(&d.t2, dloop_stop, 200, 0), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_ge(e.errors, 2); /* the loop's own flushes told on_error */
  for (int i = 0; i < e.errors && i < 8; i++) ck_assert_int_eq(e.error_codes[i], VOLT_ELOOP);
  ck_assert_int_gt(d.runs, 200);
  h_env_close(&e);
}
END_TEST

/* A write from a poll-phase callback (an async handle woken by another
 * thread) is flushed before the loop sleeps again. */
typedef struct aw {
  volt_node *s;
  eff1 r;
  uv_async_t async;
  uv_timer_t late;
  uint64_t write_now;
  int runs_at_late;
} aw;

static void aw_async(uv_async_t *h) {
  aw *a = h->data;
  volt_set(a->s, volt_int(42));
  a->write_now = uv_now(h->loop);
  uv_close((uv_handle_t *)h, NULL);
}
static void aw_late(uv_timer_t *h) {
  aw *a = h->data;
  a->runs_at_late = a->r.runs;
  uv_close((uv_handle_t *)h, NULL);
}
static void aw_thread(void *arg) {
  aw *a = arg;
  uv_sleep(20);
  uv_async_send(&a->async);
}

START_TEST(deferred_flush_after_poll_phase_write) {
  h_env e;
  aw a;
  uv_thread_t tid;

  memset(&a, 0, sizeof a);
  h_env_open(&e, H_DEFERRED, NULL);
  a.s = volt_signal(e.rt, volt_int(0), NULL);
  a.r.src = a.s;
  a.r.loop = &e.loop;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &a.r));
  ck_assert_int_eq(uv_async_init(&e.loop, &a.async, aw_async), 0);
  ck_assert_int_eq(uv_timer_init(&e.loop, &a.late), 0);
  a.async.data = a.late.data = &a;
  uv_update_time(&e.loop);
  ck_assert_int_eq(uv_timer_start(&a.late, aw_late, 600, 0), 0);
  ck_assert_int_eq(uv_thread_create(&tid, aw_thread, &a), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_thread_join(&tid), 0);
  ck_assert_int_eq(a.runs_at_late, 2);
  ck_assert_int_eq(h_int(a.r.seen), 42);
  ck_assert_uint_lt(a.r.now - a.write_now, 100); /* not after the long sleep */
  h_env_close(&e);
}
END_TEST

/* Closing with a deferred flush still due: nothing runs after the close
 * began, nothing leaks. */
START_TEST(close_with_flush_pending) {
  h_env e;
  eff1 r = {0};
  volt_node *s;

  h_env_open(&e, H_DEFERRED, NULL);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(r.runs, 1);
  h_env_close(&e);
  ck_assert_int_eq(r.runs, 1);
}
END_TEST

/* Between volt_rt_close and on_closed (guide §17.17): constructors return
 * NULL, volt_flush returns 0, volt_rt_loop still answers. */
START_TEST(closing_window) {
  h_env e;
  volt_node *s;

  h_env_open(&e, _i ? H_DEFERRED : H_LOOP, NULL);
  s = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(s);
  volt_rt_close(e.rt, h_count_closed, &e.closed);
  ck_assert_int_eq(e.closed, 0);
  ck_assert_ptr_null(volt_signal(e.rt, volt_int(1), NULL));
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_ptr_eq(volt_rt_loop(e.rt), &e.loop);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(&e.loop), 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

/* Deferred: a write to a signal nobody observes settles at once, and the
 * PTR it replaced is released before volt_set returns (guide §17.22). */
START_TEST(deferred_unobserved_write_settles) {
  h_env e;
  h_pool pool;
  volt_opts o;
  volt_node *s;

  h_pool_init(&pool);
  memset(&o, 0, sizeof o);
  o.release = h_box_release;
  o.ud = &pool;
  h_env_open(&e, H_DEFERRED, NULL);
  s = volt_signal(e.rt, volt_ptr(h_box_new(&pool, 1)), &o);
  ck_assert_int_eq(volt_set(s, volt_ptr(h_box_new(&pool, 2))), 0);
  ck_assert_int_eq(pool.box[0].released, 1);
  ck_assert_int_eq(((h_box *)volt_as_ptr(volt_peek(s)))->v, 2);
  h_env_close(&e);
  ck_assert_int_eq(h_pool_unreleased(&pool), 0);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
}
END_TEST

/* Deferred: a write made before uv_run is flushed by that uv_run, even when
 * nothing else keeps the loop alive (guide §17.23), and uv_run returns. */
START_TEST(deferred_pending_flush_runs_in_next_uv_run) {
  h_env e;
  eff1 r = {0};
  volt_node *s;

  h_env_open(&e, H_DEFERRED, NULL);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0); /* idle again */
  ck_assert_int_eq(r.runs, 2);
  h_env_close(&e);
}
END_TEST

/* A root cleanup that runs at close and tries to create a node and register
 * another cleanup: the node is refused, a cleanup that was accepted runs,
 * nothing leaks. */
typedef struct late {
  volt_rt *rt;
  volt_node *made;
  int rc, a_runs, b_runs;
} late;

static void late_b(void *ud) { ((late *)ud)->b_runs++; }
static void late_a(void *ud) {
  late *l = ud;
  l->a_runs++;
  l->made = volt_signal(l->rt, volt_int(1), NULL);
  l->rc = volt_on_cleanup(l->rt, late_b, l);
}

START_TEST(cleanups_registered_at_close) {
  h_env e;
  late l;

  memset(&l, 0, sizeof l);
  l.rc = 12345;
  h_env_open(&e, _i, NULL);
  l.rt = e.rt;
  ck_assert_int_eq(volt_on_cleanup(e.rt, late_a, &l), 0);
  h_env_close(&e); /* checks on_closed once and zero live bytes */
  ck_assert_int_eq(l.a_runs, 1);
  ck_assert_ptr_null(l.made);
  ck_assert_int_ne(l.rc, 12345);
  ck_assert_int_eq(l.b_runs, l.rc == 0 ? 1 : 0);
}
END_TEST

/* A close requested by a computed's function during a read at the top level
 * (not in a flush) completes when the read ends: the read gives
 * VOLT_ECLOSING, on_closed runs once and the loop closes (before, the close
 * waited for a flush that never came: uv_loop_close returned UV_EBUSY). */
typedef struct read_closer {
  volt_rt *rt;
  int closed;
} read_closer;
static void read_closer_done(void *ud) { ((read_closer *)ud)->closed++; }
static volt_val read_closing_fn(void *ud) {
  read_closer *k = ud;
  volt_rt_close(k->rt, read_closer_done, k);
  return volt_int(1);
}

START_TEST(close_inside_top_level_read) {
  h_env e;
  read_closer k = {0};
  h_env_open(&e, _i, NULL);
  k.rt = e.rt;
  volt_node *c = volt_computed(e.rt, read_closing_fn, &k, NULL);
  ck_assert_ptr_nonnull(c);
  volt_val v = volt_get(c);
  ck_assert_int_eq(volt_tag(v), VOLT_ERR);
  ck_assert_int_eq(volt_err_code(v), VOLT_ECLOSING);
  if (e.lp) {
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(e.lp), 0);
  }
  ck_assert_int_eq(k.closed, 1);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.live_blocks, 0);
}
END_TEST

/* volt_rt_close from a scope's body and from an untracked block's body: the
 * close completes when the outermost call returns, on_closed runs once,
 * nothing is touched after (ASan) and nothing leaks. */
typedef struct body_closer {
  volt_rt *rt;
  int closed, ran;
} body_closer;
static void body_closed(void *ud) { ((body_closer *)ud)->closed++; }
static void body_close(void *ud) {
  body_closer *k = ud;
  k->ran++;
  volt_rt_close(k->rt, body_closed, k);
  volt_rt_close(k->rt, body_closed, k); /* a second call does nothing */
}

START_TEST(close_from_scope_and_untrack_bodies) {
  for (int which = 0; which < 2; which++) {
    h_env e;
    body_closer k = {0};
    h_env_open(&e, _i, NULL);
    k.rt = e.rt;
    if (which == 0)
      ck_assert_ptr_null(volt_scope(e.rt, body_close, &k)); /* disposed by the close */
    else
      volt_untrack(e.rt, body_close, &k);
    ck_assert_int_eq(k.ran, 1);
    if (e.lp) {
      ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
      ck_assert_int_eq(uv_loop_close(e.lp), 0);
    }
    ck_assert_int_eq(k.closed, 1);
    ck_assert_uint_eq(e.alloc.live_bytes, 0);
  }
}
END_TEST

/* volt_rt_close from cfg->on_error, told VOLT_ELOOP at the end of a flush
 * that hit its cap (an effect that keeps writing what it reads): the close
 * completes when the flush's call returns; on_closed once, nothing touched
 * after (ASan), nothing leaked. */
typedef struct err_closer {
  volt_rt *rt;
  volt_node *s;
  int closed, told;
} err_closer;
static void err_closed(void *ud) { ((err_closer *)ud)->closed++; }
static void err_close_on_error(volt_rt *rt, int code, const char *msg, void *ud) {
  (void)msg;
  err_closer *k = ud;
  if (code != VOLT_ELOOP) return;
  k->told++;
  volt_rt_close(rt, err_closed, k);
}
static void err_runaway(void *ud) {
  err_closer *k = ud;
  volt_set(k->s, volt_int(volt_as_int(volt_get(k->s)) + 1)); /* never settles */
}

START_TEST(close_from_on_error_eloop) {
  h_env e;
  err_closer k = {0};
  volt_config cfg;
  memset(&cfg, 0, sizeof cfg);
  cfg.on_error = err_close_on_error;
  cfg.on_error_ud = &k;
  cfg.max_rounds = 5;
  h_env_open(&e, _i, &cfg);
  k.rt = e.rt;
  k.s = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(k.s);
  volt_node *fx = volt_effect(e.rt, err_runaway, &k);
  (void)fx;
  if (_i == H_DEFERRED) h_run_once(e.lp);
  ck_assert_int_eq(k.told, 1);
  if (e.lp) {
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(e.lp), 0);
  }
  ck_assert_int_eq(k.closed, 1);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

/* volt_rt_close from a release hook that a top-level read runs (the value a
 * computed replaces is released by the flush the read ends with): the close
 * completes when the read returns, which gives VOLT_ECLOSING. */
typedef struct rel_closer {
  volt_rt *rt;
  volt_node *s;
  int closed, released, boxes[4];
} rel_closer;
static void rel_closed(void *ud) { ((rel_closer *)ud)->closed++; }
static void rel_release(volt_val v, void *ud) {
  rel_closer *k = ud;
  (void)v;
  if (k->released++ == 0) volt_rt_close(k->rt, rel_closed, k);
}
static volt_val rel_box(void *ud) {
  rel_closer *k = ud;
  int64_t i = volt_as_int(volt_get(k->s));
  return volt_ptr(&k->boxes[i & 3]);
}

START_TEST(close_from_release_hook_during_read) {
  h_env e;
  rel_closer k = {0};
  volt_opts o;
  h_env_open(&e, _i, NULL);
  k.rt = e.rt;
  k.s = volt_signal(e.rt, volt_int(0), NULL);
  memset(&o, 0, sizeof o);
  o.release = rel_release;
  o.ud = &k;
  volt_node *c = volt_computed(e.rt, rel_box, &k, &o);
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(volt_get(c).tag, VOLT_PTR);
  volt_batch_begin(e.rt); /* the write marks; the read below re-evaluates */
  ck_assert_int_eq(volt_set(k.s, volt_int(1)), 0);
  volt_batch_end(e.rt);
  volt_val v = volt_get(c); /* replaces box 0: released, the hook closes */
  /* box 0 (replaced; its hook asked to close) and box 1 (released by the
   * close the read completed before returning) */
  ck_assert_int_eq(k.released, 2);
  ck_assert_int_eq(volt_err_code(v), VOLT_ECLOSING);
  if (!e.lp) ck_assert_int_eq(k.closed, 1); /* loop-less: closed before the read returned */
  if (e.lp) {
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(e.lp), 0);
  }
  ck_assert_int_eq(k.closed, 1);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

/* volt_rt_close from every other callback volt makes, in the three modes
 * (table below): the close completes when the outermost call returns;
 * on_closed runs once, nothing is touched after (ASan), nothing leaks.
 *
 *   place  the call is made from
 *   -----  -----------------------------------------------------------------
 *   0      an effect's body, on the run a write causes
 *   1      a watcher's callback
 *   2      an effect's cleanup, run by volt_dispose at the top level
 *   3      a token's `on`, asked about an emitted occurrence
 *   4      a computed's function, evaluated by an effect during a flush
 */
typedef struct any_closer {
  volt_rt *rt;
  volt_node *s;
  int place, armed, closed, calls;
} any_closer;
static any_closer *any_k; /* the `on` callback's ud is the token's */
static void any_closed(void *ud) { ((any_closer *)ud)->closed++; }
static void any_close(any_closer *k) {
  if (!k->armed || k->calls++) return;
  volt_rt_close(k->rt, any_closed, k);
}
static void any_effect(void *ud) {
  any_closer *k = ud;
  volt_get(k->s);
  if (k->place == 0) any_close(k);
}
static void any_watch(volt_node *n, volt_val old, volt_val now, void *ud) {
  (void)n;
  (void)old;
  (void)now;
  any_close(ud);
}
static void any_cleanup(void *ud) { any_close(ud); }
static void any_effect_with_cleanup(void *ud) {
  any_closer *k = ud;
  volt_get(k->s);
  volt_on_cleanup(k->rt, any_cleanup, k);
}
static bool any_on(volt_val v, void *ud) {
  (void)v;
  (void)ud;
  any_close(any_k);
  return true;
}
static volt_val any_comp(void *ud) {
  any_closer *k = ud;
  int64_t v = volt_as_int(volt_get(k->s));
  if (k->place == 4) any_close(k);
  return volt_int(v);
}
static void any_reads_comp(void *ud) { volt_get((volt_node *)ud); }

START_TEST(close_from_any_callback) {
  for (int place = 0; place < 5; place++) {
    h_env e;
    any_closer k;
    memset(&k, 0, sizeof k);
    k.place = place;
    any_k = &k;
    h_env_open(&e, _i, NULL);
    k.rt = e.rt;
    k.s = volt_signal(e.rt, volt_int(0), NULL);
    ck_assert_ptr_nonnull(k.s);
    volt_node *fx = NULL, *ev = NULL;
    volt_token_opts to;
    memset(&to, 0, sizeof to);
    switch (place) {
    case 0: ck_assert_ptr_nonnull(volt_effect(e.rt, any_effect, &k)); break;
    case 1: ck_assert_ptr_nonnull(volt_watch(k.s, any_watch, &k)); break;
    case 2: fx = volt_effect(e.rt, any_effect_with_cleanup, &k); ck_assert_ptr_nonnull(fx); break;
    case 3:
      ev = volt_event(e.rt);
      to.on = any_on;
      ck_assert_ptr_nonnull(volt_token(e.rt, ev, 0, &to));
      break;
    default: {
      volt_node *c = volt_computed(e.rt, any_comp, &k, NULL);
      ck_assert_ptr_nonnull(volt_effect(e.rt, any_reads_comp, c));
    }
    }
    k.armed = 1;
    if (place == 2)
      volt_dispose(fx);
    else if (place == 3)
      (void)volt_emit(ev, volt_int(1));
    else
      (void)volt_set(k.s, volt_int(1));
    if (e.lp) {
      ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
      ck_assert_int_eq(uv_loop_close(e.lp), 0);
    }
    ck_assert_int_eq(k.calls, 1);
    ck_assert_int_eq(k.closed, 1);
    ck_assert_uint_eq(e.alloc.live_bytes, 0);
  }
}
END_TEST

/* issue: a root cleanup that registers another each time it runs cannot
 * hold the close (the passes are bounded), and a root cleanup registered
 * after the close ran them is refused (VOLT_ECLOSING) instead of being
 * kept, never run and leaked. */
typedef struct chain {
  volt_rt *rt;
  int runs;
} chain;

static void chain_cleanup(void *ud) {
  chain *ch = ud;
  ch->runs++;
  (void)volt_on_cleanup(ch->rt, chain_cleanup, ch); /* refused once closed */
}
static void never_run(void *ud) { ++*(int *)ud; }

START_TEST(close_bounded_with_self_registering_cleanup) {
  h_env e;
  chain ch = {0};
  int late_runs = 0;
  h_env_open(&e, _i, NULL);
  ch.rt = e.rt;
  ck_assert_int_eq(volt_on_cleanup(e.rt, chain_cleanup, &ch), 0);
  volt_rt_close(e.rt, h_count_closed, &e.closed); /* returns */
  ck_assert_int_gt(ch.runs, 1);
  ck_assert_int_le(ch.runs, 102);
  if (e.lp) {
    /* Between volt_rt_close and on_closed: refused, never run, nothing kept. */
    ck_assert_int_eq(volt_on_cleanup(e.rt, never_run, &late_runs), VOLT_ECLOSING);
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(e.lp), 0);
  }
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(late_runs, 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.live_blocks, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * An effect driven by a uv timer
 * ------------------------------------------------------------------------ */

typedef struct tick {
  volt_node *count;
  uv_timer_t timer;
  int64_t n;
  h_log seen;
} tick;

static void tick_cb(uv_timer_t *h) {
  tick *t = h->data;
  volt_set(t->count, volt_int(++t->n));
  if (t->n == 5) uv_close((uv_handle_t *)h, NULL);
}
static void tick_eff(void *ud) {
  tick *t = ud;
  h_log_push(&t->seen, (int)volt_as_int(volt_get(t->count)));
}

START_TEST(timer_driven_effect) {
  h_env e;
  tick t;

  memset(&t, 0, sizeof t);
  h_env_open(&e, _i ? H_DEFERRED : H_LOOP, NULL);
  t.count = volt_signal(e.rt, volt_int(0), &(volt_opts){.name = "count"});
  ck_assert_ptr_nonnull(volt_effect(e.rt, tick_eff, &t));
  ck_assert_int_eq(uv_timer_init(&e.loop, &t.timer), 0);
  t.timer.data = &t;
  ck_assert_int_eq(uv_timer_start(&t.timer, tick_cb, 1, 1), 0);
  ck_assert_int_eq(uv_run(&e.loop, UV_RUN_DEFAULT), 0);
  {
    int want[] = {0, 1, 2, 3, 4, 5};
    h_log_expect(&t.seen, 6, want);
  }
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Thread affinity
 * ------------------------------------------------------------------------ */

typedef struct thr {
  volt_rt *rt;
  volt_node *s, *c, *eff;
  /* results */
  int set_rc, set_c_rc, batch_rc, batch_end_rc, flush_rc, stats_rc, cleanup_rc, dot_rc;
  int unwatch_rc;
  volt_val get_v, peek_v, getc_v;
  volt_node *new_sig, *new_comp, *new_eff, *new_scope;
  volt_watcher *new_watch, *existing_watch;
  uv_loop_t *loop_seen;
  int scope_ran, cleanup_ran;
} thr;

static volt_val thr_comp(void *ud) { return volt_int(volt_as_int(volt_get(ud)) * 2); }
static void thr_scope(void *ud) { ((thr *)ud)->scope_ran++; }
static void thr_cleanup(void *ud) { ((thr *)ud)->cleanup_ran++; }
static void thr_watch(volt_node *n, volt_val o, volt_val w, void *ud) {
  (void)n;
  (void)o;
  (void)w;
  (void)ud;
}

static void thr_main(void *arg) {
  thr *t = arg;
  FILE *f = tmpfile();
  t->set_rc = volt_set(t->s, volt_int(99));
  t->set_c_rc = volt_set(t->c, volt_int(99));
  t->get_v = volt_get(t->s);
  t->peek_v = volt_peek(t->s);
  t->getc_v = volt_get(t->c);
  t->new_sig = volt_signal(t->rt, volt_int(1), NULL);
  t->new_comp = volt_computed(t->rt, thr_comp, t->s, NULL);
  t->new_eff = volt_effect(t->rt, thr_scope, t);
  t->new_scope = volt_scope(t->rt, thr_scope, t);
  t->new_watch = volt_watch(t->s, thr_watch, t);
  t->unwatch_rc = volt_unwatch(t->existing_watch);
  t->batch_rc = volt_batch_begin(t->rt);
  t->batch_end_rc = volt_batch_end(t->rt);
  t->flush_rc = volt_flush(t->rt);
  {
    volt_stats_t st;
    t->stats_rc = volt_stats(t->rt, &st);
  }
  t->cleanup_rc = volt_on_cleanup(t->rt, thr_cleanup, t);
  t->dot_rc = f ? volt_dump_dot(t->rt, f) : -1;
  if (f) fclose(f);
  volt_dispose(t->eff); /* no crash, no effect */
  volt_dispose(t->s);
  volt_rt_close(t->rt, thr_cleanup, t); /* does nothing off the loop */
  t->loop_seen = volt_rt_loop(t->rt);   /* any thread */
}

/* Wrong-thread calls race with nothing: a thread that is no runtime's loop
 * thread gets VOLT_ETHREAD from volt_set, volt_get, volt_peek, volt_emit
 * and volt_dispose without reading the node, while the loop thread keeps
 * writing it (TSan reported the read of the flags word as a data race). */
typedef struct racer {
  volt_node *s, *ev;
  int rounds, wrong; /* written by the racer only; read after the join */
  atomic_int go;
} racer;

static void racer_main(void *arg) {
  racer *r = arg;
  while (!atomic_load(&r->go)) {
  }
  for (int i = 0; i < r->rounds; i++) {
    if (volt_set(r->s, volt_int(-i)) != VOLT_ETHREAD) r->wrong++;
    if (volt_err_code(volt_get(r->s)) != VOLT_ETHREAD) r->wrong++;
    if (volt_err_code(volt_peek(r->s)) != VOLT_ETHREAD) r->wrong++;
    if (volt_emit(r->ev, volt_int(i)) != VOLT_ETHREAD) r->wrong++;
    volt_dispose(r->s); /* does nothing off the loop thread */
  }
}

START_TEST(wrong_thread_calls_read_nothing) {
  h_env e;
  racer r;
  uv_thread_t tid;
  memset(&r, 0, sizeof r);
  h_env_open(&e, _i ? H_DEFERRED : H_LOOP, NULL);
  r.s = volt_signal(e.rt, volt_int(0), NULL);
  r.ev = volt_event(e.rt);
  ck_assert_ptr_nonnull(r.s);
  ck_assert_ptr_nonnull(r.ev);
  r.rounds = 2000;
  ck_assert_int_eq(uv_thread_create(&tid, racer_main, &r), 0);
  atomic_store(&r.go, 1);
  for (int i = 1; i <= 2000; i++) { /* the loop thread writes the same node meanwhile */
    ck_assert_int_eq(volt_set(r.s, volt_int(i)), 0);
    ck_assert_int_eq(volt_emit(r.ev, volt_int(i)), 0);
  }
  ck_assert_int_eq(uv_thread_join(&tid), 0);
  ck_assert_int_eq(r.wrong, 0);
  ck_assert_int_eq(h_int(volt_peek(r.s)), 2000); /* the racer changed nothing */
  h_env_close(&e);
}
END_TEST

START_TEST(loop_only_calls_from_other_thread) {
  h_env e;
  thr t;
  eff1 r = {0};
  volt_stats_t s0, s1;
  uv_thread_t tid;

  memset(&t, 0, sizeof t);
  h_env_open(&e, _i ? H_DEFERRED : H_LOOP, NULL);
  t.rt = e.rt;
  t.s = volt_signal(e.rt, volt_int(1), NULL);
  t.c = volt_computed(e.rt, thr_comp, t.s, NULL);
  r.src = t.s;
  t.eff = volt_effect(e.rt, eff1_fn, &r);
  ck_assert_ptr_nonnull(t.eff);
  t.existing_watch = volt_watch(t.s, thr_watch, &t);
  ck_assert_ptr_nonnull(t.existing_watch);
  ck_assert_int_eq(h_int(volt_get(t.c)), 2);
  s0 = h_stats(e.rt);

  ck_assert_int_eq(uv_thread_create(&tid, thr_main, &t), 0);
  ck_assert_int_eq(uv_thread_join(&tid), 0);

  ck_assert_int_eq(t.set_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.set_c_rc, VOLT_ETHREAD);
  ck_assert_int_eq(volt_tag(t.get_v), VOLT_ERR);
  ck_assert_int_eq(volt_err_code(t.get_v), VOLT_ETHREAD);
  ck_assert_int_eq(volt_err_code(t.peek_v), VOLT_ETHREAD);
  ck_assert_int_eq(volt_err_code(t.getc_v), VOLT_ETHREAD);
  ck_assert_ptr_null(t.new_sig);
  ck_assert_ptr_null(t.new_comp);
  ck_assert_ptr_null(t.new_eff);
  ck_assert_ptr_null(t.new_scope);
  ck_assert_ptr_null(t.new_watch);
  ck_assert_int_eq(t.scope_ran, 0);
  ck_assert_int_eq(t.unwatch_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.batch_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.batch_end_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.flush_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.stats_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.cleanup_rc, VOLT_ETHREAD);
  ck_assert_int_eq(t.dot_rc, VOLT_ETHREAD);
  ck_assert_ptr_eq(t.loop_seen, &e.loop);
  ck_assert_ptr_eq(volt_node_rt(t.s), e.rt); /* loop thread */

  /* and nothing changed */
  s1 = h_stats(e.rt);
  ck_assert_uint_eq(s1.live_nodes, s0.live_nodes);
  ck_assert_uint_eq(s1.edges, s0.edges);
  ck_assert_uint_eq(s1.flushes, s0.flushes);
  ck_assert_int_eq(h_int(volt_peek(t.s)), 1);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(t.cleanup_ran, 0);
  h_run_once(&e.loop);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(e.closed, 0);
  /* no batch was left open: a write still flushes */
  ck_assert_int_eq(volt_set(t.s, volt_int(2)), 0);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(r.runs, 2); /* the effect survived volt_dispose */
  ck_assert_int_eq(h_int(volt_get(t.c)), 4);
  ck_assert_int_eq(volt_unwatch(t.existing_watch), 0);
  h_env_close(&e);
  ck_assert_int_eq(t.cleanup_ran, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * Error names
 * ------------------------------------------------------------------------ */

START_TEST(strerror_and_names) {
  static const struct {
    int code;
    const char *name;
  } codes[] = {
      {VOLT_ESTALE, "VOLT_ESTALE"}, {VOLT_ECYCLE, "VOLT_ECYCLE"},
      {VOLT_ELOOP, "VOLT_ELOOP"},   {VOLT_ECLOSING, "VOLT_ECLOSING"},
      {VOLT_EPERM, "VOLT_EPERM"},   {VOLT_ETHREAD, "VOLT_ETHREAD"},
  };
  const size_t n = sizeof codes / sizeof codes[0];

  ck_assert_int_eq(VOLT_EINVAL, UV_EINVAL);
  ck_assert_int_eq(VOLT_ENOMEM, UV_ENOMEM);
  for (size_t i = 0; i < n; i++) {
    const char *msg = volt_strerror(codes[i].code);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_ne(msg, "");
    ck_assert_str_ne(msg, "unknown error");
    ck_assert_str_eq(volt_err_name(codes[i].code), codes[i].name);
    for (size_t j = 0; j < i; j++) ck_assert_str_ne(msg, volt_strerror(codes[j].code));
  }
  ck_assert_str_eq(volt_err_name(VOLT_EINVAL), "EINVAL");
  ck_assert_str_eq(volt_err_name(VOLT_ENOMEM), "ENOMEM");
  ck_assert_str_eq(volt_strerror(VOLT_EINVAL), uv_strerror(UV_EINVAL));
  ck_assert_str_eq(volt_err_name(UV_ENOENT), "ENOENT");
  ck_assert_str_eq(volt_strerror(UV_ENOENT), uv_strerror(UV_ENOENT));
  ck_assert_str_eq(volt_err_name(UV_ECANCELED), "ECANCELED");
  ck_assert_str_eq(volt_strerror(-29999), "unknown error");
  ck_assert_ptr_nonnull(volt_err_name(-29999));
  ck_assert_str_eq(volt_strerror(12345), "unknown error");
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *runtime_suite(void) {
  Suite *s = suite_create("runtime");
  TCase *tc;

  tc = h_tcase(s, "lifecycle");
  tcase_add_test(tc, rt_new_invalid_arguments);
  tcase_add_test(tc, rt_new_defaults);
  tcase_add_test(tc, loopless_close_calls_on_closed_before_return);
  tcase_add_loop_test(tc, loop_close_on_closed_once, 0, 2);
  tcase_add_test(tc, acquire_keeps_memory_until_release);
  tcase_add_loop_test(tc, close_inside_flush, 0, 3);
  tcase_add_loop_test(tc, idle_runtime_does_not_keep_loop_alive, 0, 2);

  tc = h_tcase(s, "flush");
  tcase_add_test(tc, deferred_coalesces_one_iteration);
  tcase_add_test(tc, sync_mode_flushes_each_write);
  tcase_add_test(tc, flush_by_hand);
  tcase_add_test(tc, deferred_write_loop_reports_eloop);
  tcase_add_test(tc, deferred_flush_after_poll_phase_write);
  tcase_add_test(tc, close_with_flush_pending);
  tcase_add_loop_test(tc, closing_window, 0, 2);
  tcase_add_loop_test(tc, cleanups_registered_at_close, 0, 3);
  tcase_add_loop_test(tc, close_bounded_with_self_registering_cleanup, 0, 3);
  tcase_add_loop_test(tc, close_inside_top_level_read, 0, 3);
  tcase_add_loop_test(tc, close_from_scope_and_untrack_bodies, 0, 3);
  tcase_add_loop_test(tc, close_from_on_error_eloop, 0, 3);
  tcase_add_loop_test(tc, close_from_release_hook_during_read, 0, 3);
  tcase_add_loop_test(tc, close_from_any_callback, 0, 3);
  tcase_add_test(tc, deferred_unobserved_write_settles);
  tcase_add_test(tc, deferred_pending_flush_runs_in_next_uv_run);
  tcase_add_loop_test(tc, timer_driven_effect, 0, 2);

  tc = h_tcase(s, "threads");
  tcase_add_loop_test(tc, loop_only_calls_from_other_thread, 0, 2);
  tcase_add_loop_test(tc, wrong_thread_calls_read_nothing, 0, 2);

  tc = h_tcase(s, "errors");
  tcase_add_test(tc, strerror_and_names);
  return s;
}

int main(void) { return h_run(runtime_suite()); }
