/* runtime/work.c - volt_dispatch: work on the libuv thread pool whose
 * result acks a token's mint back on the loop thread; the per-runtime cap
 * on work in flight and its FIFO; cancellation of work whose mint went
 * stale; what close does with work still out (docs/async.md).
 *
 * A job's life (loop thread unless said):
 *   dispatch -> OUT (the ready queue, the runtime's FIFO; counted in
 *   rt->work_in_flight) -> a runner takes it (`running`) and runs it on a
 *   pool thread -> handed back to the loop -> RETURNED: its result applied
 *   if its mint is still current and it is not stale, released otherwise
 *   -> record freed once nothing holds it (its req may still carry a
 *   runner; its timer closes).
 * A job taken out of the ready queue before it runs (stale, close) goes
 * straight to RETURNED.
 *
 * Runners: a runner is a uv_queue_work request (made on the req of a ready
 * job) that runs ready jobs one after
 * another until the ready queue is empty; there are at most max_in_flight
 * of them, so no
 * more than max_in_flight jobs ever run at once and the rest of the pool
 * stays free for libuv's own fs and DNS requests. A runner keeps the
 * results of short work and hands them back together through the inbox
 * when it finds nothing more to run (one wake-up of the loop for a whole
 * burst); work that ran 1 ms or more, or results kept for 1 ms, go back at
 * once (latency stays bounded). Then it lingers up to 50 us, yielding the
 * CPU, in case the results set off more work (a stream of operations then
 * finds a thread awake: no uv_queue_work, no wake-up of a sleeping pool
 * thread), and ends; what it still holds goes back with its after-work
 * callback. Work sent out by what a returned
 * result sets off (an effect dispatching again) is a burst: its runners
 * start together from the prepare phase (rt.c), so a few runners each run
 * many jobs; other work starts a runner at once. A runner's after-work callback
 * first applies the inbox, so whatever it handed back is applied before
 * libuv can consider the loop idle.
 *
 * Invariants: work_in_flight == the jobs in state OUT (volt_stats shows
 * min(work_in_flight, max_in_flight): the jobs running or about to, the
 * rest wait in the ready queue); the ready queue is
 * never non-empty with no runner and no start due (a runner leaves only
 * after finding it empty, under work_mu, and a push that finds fewer than
 * the cap running asks for a start, which keeps the loop alive until the
 * prepare phase makes it); jobs_live == the records not yet freed (close waits for 0);
 * a stale job's result is never applied: `stale` is set on the loop thread
 * when its mint stops being current, and the ack is checked against the
 * mint's generation when applied.
 */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/inbox.h"
#include "runtime/work.h"

static void runner_work(uv_work_t *req);
static void runner_after(uv_work_t *req, int status);

/* ---- the pool thread ---------------------------------------------------------- */

static void run_job(volt_work *j) {
  if (atomic_load(&j->cancelled)) return; /* not run: nothing to release */
  volt_val r = j->fn(j, j->ud);
  if (!volt__val_ok(r)) r = volt_err(VOLT_EINVAL, "work returned a value of unknown tag");
  r.flags = 0;
  if (r.tag == VOLT_ERR && r.u.msg) {
    size_t n = strlen(r.u.msg) + 1;
    j->result_msg = malloc(n);
    if (j->result_msg) memcpy(j->result_msg, r.u.msg, n);
    r.u.msg = j->result_msg; /* NULL (no message) if the copy failed */
  }
  j->result = r;
  j->ran = true;
}

static void deliver(volt_work *j);

/* A result handed back through the inbox, applied on the loop thread in
 * the inbox's batch (or dropped there by the close: released then). */
static void posted_apply(volt__core *c, volt__msg *m) {
  volt_work *j = m->release_ud;
  volt_rt *rt = j->rt;
  /* Work dispatched by what this result sets off (effects, REARM) is a
   * burst: its runners start from the prepare phase, together (inside a
   * runner's after-work callback, at its end). */
  if (rt->work_batch == VOLT__BATCH_NONE && !c->closing) {
    rt->work_batch = VOLT__BATCH_PREPARE;
    volt__rt_want_publish(rt);
  }
  deliver(j);
}

static void posted_drop(volt__msg *m) { deliver(m->release_ud); }

/* Pool thread, under work_mu: hands j back now through the inbox; false
 * when refused (the close began, or no memory): j then goes back with the
 * runner's after-work callback. */
static bool hand_back(volt_rt *rt, volt_work *j) {
  volt__core *c = &rt->core;
  volt__msg m;
  memset(&m, 0, sizeof m);
  m.apply = posted_apply;
  m.drop = posted_drop;
  m.release_ud = j;
  return !rt->work_closing && c->post && c->post(c, &m) == 0;
}

/* How long a runner may keep results of short work before handing them
 * back through the inbox (results kept go back together, with one wake-up
 * of the loop, when the runner finds nothing more to run). */
#define VOLT__HOLD_NS 1000000u

/* Under work_mu: every kept result goes back through the inbox now (or,
 * refused, with the runner's after-work callback). */
static void hand_back_all(volt_rt *rt, volt_work *runner, volt_work *kept) {
  for (volt_work *k = kept, *next; k; k = next) {
    next = k->unext;
    k->unext = NULL;
    if (!hand_back(rt, k)) {
      k->unext = runner->unposted;
      runner->unposted = k;
    }
  }
}

/* How long a runner that found the queue empty waits for more work before
 * it ends: the next operation of a stream then finds a thread awake (no
 * uv_queue_work, no wake-up of a sleeping pool thread). It yields the CPU
 * while it waits. */
#define VOLT__LINGER_NS 50000u

static void runner_work(uv_work_t *req) {
  volt_work *runner = req->data;
  volt_rt *rt = runner->rt;
  volt_work *kept = NULL, **tail = &kept; /* ran, not handed back: in order */
  uint64_t since = 0;                     /* when the oldest kept one started */
  uv_mutex_lock(&rt->work_mu);
  for (;;) {
    volt_work *j = rt->ready_head;
    if (!j && kept && !rt->work_closing) {
      /* Nothing more for now: the results go back, then it lingers. */
      hand_back_all(rt, runner, kept);
      kept = NULL;
      tail = &kept;
      unsigned gen = atomic_load(&rt->ready_gen);
      uv_mutex_unlock(&rt->work_mu);
      uint64_t until = uv_hrtime() + VOLT__LINGER_NS;
      while (atomic_load(&rt->ready_gen) == gen && uv_hrtime() < until) sched_yield();
      uv_mutex_lock(&rt->work_mu);
      j = rt->ready_head;
    }
    if (!j) {
      rt->runners--;
      break;
    }
    rt->ready_head = j->wnext;
    if (rt->ready_head)
      rt->ready_head->wprev = NULL;
    else
      rt->ready_tail = NULL;
    j->wnext = j->wprev = NULL;
    j->running = true;
    uv_mutex_unlock(&rt->work_mu);
    uint64_t t0 = uv_hrtime();
    run_job(j);
    uint64_t t1 = uv_hrtime();
    if (!kept) since = t0;
    j->unext = NULL;
    *tail = j;
    tail = &j->unext;
    uv_mutex_lock(&rt->work_mu);
    if (t1 - since >= VOLT__HOLD_NS) {
      /* Long work, or results kept long enough: they go back now. */
      hand_back_all(rt, runner, kept);
      kept = NULL;
      tail = &kept;
    }
  }
  uv_mutex_unlock(&rt->work_mu);
  runner->carried = kept;
}

/* Any thread. See volt/volt.h. */
volt_val volt_work_stamp(const volt_work *w) { return w ? w->stamp.v : volt_nil(); }

/* Any thread. See volt/volt.h. */
bool volt_work_cancelled(const volt_work *w) {
  return w ? atomic_load(&((volt_work *)(uintptr_t)w)->cancelled) : true;
}

/* ---- records ---------------------------------------------------------------------- */

static void job_free(volt_work *j) {
  volt_rt *rt = j->rt;
  volt__core *c = &rt->core;
  if (j->stamp_msg) volt__free(c, j->stamp_msg, j->stamp_msg_size);
  volt__free(c, j, sizeof *j);
  rt->jobs_live--;
  if (c->closing) volt__rt_maybe_finish(rt);
}

static void job_unhold(volt_work *j) {
  if (--j->holds == 0) job_free(j);
}

static void timer_closed(uv_handle_t *h) { job_unhold(h->data); }

static void timer_close(volt_work *j) {
  if (!j->timer_open) return;
  j->timer_open = false;
  uv_close((uv_handle_t *)&j->timer, timer_closed);
}

/* Releases a result nobody will apply (an action's PTR through the hook
 * the job copied; a dispatch's PTR is not owned) and frees its message. */
static void result_drop(volt_work *j) {
  if (j->result.tag == VOLT_PTR && j->release) j->release(j->result, j->release_ud);
  j->result = volt_nil();
  free(j->result_msg);
  j->result_msg = NULL;
}

/* The work's part is over (it returned, or it left the FIFO without
 * running): its stamp is released and it leaves the runtime's list. */
static void job_finished(volt_work *j) {
  volt_rt *rt = j->rt;
  j->state = VOLT__JOB_RETURNED;
  if (j->stamp.v.tag == VOLT_PTR && j->stamp.release) j->stamp.release(j->stamp.v, j->stamp.ud);
  j->stamp.v = volt_nil();
  if (j->prev)
    j->prev->next = j->next;
  else
    rt->jobs = j->next;
  if (j->next) j->next->prev = j->prev;
  j->prev = j->next = NULL;
  timer_close(j);
}

/* ---- the cap -------------------------------------------------------------------------- */

/* Job j goes out: into the ready queue (the runtime's FIFO), counted in
 * work_in_flight. A runner is started for it when fewer than the cap run
 * (at once, or from the prepare phase during a burst); those running take
 * it anyway if they get to it first. */
static void submit(volt_work *j) {
  volt_rt *rt = j->rt;
  j->state = VOLT__JOB_OUT;
  rt->work_in_flight++;
  uv_mutex_lock(&rt->work_mu);
  j->wnext = NULL;
  j->wprev = rt->ready_tail;
  if (rt->ready_tail)
    rt->ready_tail->wnext = j;
  else
    rt->ready_head = j;
  rt->ready_tail = j;
  atomic_fetch_add(&rt->ready_gen, 1); /* wakes a lingering runner */
  bool room = rt->runners < rt->max_in_flight;
  uv_mutex_unlock(&rt->work_mu);
  if (!room) return;
  if (rt->work_batch == VOLT__BATCH_NONE) volt__work_publish(rt);
  /* else a burst: started at its end (runner_after, or the prepare phase) */
}

void volt__work_publish(volt_rt *rt) {
  rt->work_batch = VOLT__BATCH_NONE;
  if (!rt->work_mu_ready) return;
  uv_mutex_lock(&rt->work_mu);
  for (volt_work *j = rt->ready_head; j && rt->runners < rt->max_in_flight; j = j->wnext) {
    if (j->carrying) continue;
    j->carrying = true;
    j->holds++; /* its req carries the runner until runner_after */
    rt->runners++;
    /* Cannot fail: the loop, the request and both callbacks are valid. */
    (void)uv_queue_work(rt->loop, &j->req, runner_work, runner_after);
  }
  uv_mutex_unlock(&rt->work_mu);
}

/* ---- completion ---------------------------------------------------------------------------- */

/* Loop thread: an OUT job is back (it ran, or was taken out of the ready
 * queue unrun): its result is applied or released. No flush. */
static void deliver(volt_work *j) {
  volt_rt *rt = j->rt;
  volt__core *c = &rt->core;
  rt->work_in_flight--;
  job_finished(j);
  bool apply = j->ran && !j->stale && !c->closing;
  volt_val result = j->result;
  if (j->action) {
    /* The action owns the result from here on (applies or releases it). */
    j->result = volt_nil();
    volt__action_returned(rt, j->action, j->ack, apply, result);
  } else if (apply) {
    bool ok = result.tag != VOLT_ERR;
    (void)volt__ack_apply(c, j->ack, ok, ok ? 0 : volt_err_code(result),
                          ok ? NULL : result.u.msg);
  }
  result_drop(j);
  job_unhold(j);
}

static void runner_after(uv_work_t *req, int status) {
  volt_work *runner = req->data;
  volt_rt *rt = runner->rt;
  volt__core *c = &rt->core;
  (void)status; /* runners are never cancelled */
  /* Work dispatched by what these results set off is one burst: its
   * runners start together at the end. */
  bool outer = rt->work_batch == VOLT__BATCH_NONE;
  if (outer) rt->work_batch = VOLT__BATCH_RUNNER;
  /* What it handed back through the inbox first (in order), then the rest. */
  volt__inbox_drain(rt);
  volt_work *lists[2] = {runner->carried, runner->unposted};
  runner->carried = runner->unposted = NULL;
  for (int i = 0; i < 2; i++)
    for (volt_work *u = lists[i], *next; u; u = next) {
      next = u->unext;
      deliver(u);
    }
  /* One flush for everything applied. The runner's record is still held,
   * so a close the flush runs cannot end (and free the runtime) before
   * the unhold below; nothing may touch rt after that unhold. */
  (void)volt__maybe_flush(c);
  if (outer && rt->work_batch == VOLT__BATCH_RUNNER) {
    if (c->closing)
      rt->work_batch = VOLT__BATCH_NONE;
    else
      volt__work_publish(rt);
  }
  job_unhold(runner);
}

static void timer_cb(uv_timer_t *t) {
  volt_work *j = t->data;
  volt_rt *rt = j->rt;
  volt__core *c = &rt->core;
  if (j->state == VOLT__JOB_RETURNED || j->stale || c->closing) {
    timer_close(j);
    return;
  }
  volt_ack ack = j->ack;
  volt__work_cancel_ack(rt, ack); /* the job (and any other for this mint) */
  timer_close(j);
  (void)volt__ack_apply(c, ack, false, UV_ETIMEDOUT, "timed out");
  (void)volt__maybe_flush(c);
}

/* ---- cancellation ----------------------------------------------------------------------------- */

static void cancel_job(volt_work *j) {
  volt_rt *rt = j->rt;
  j->stale = true;
  atomic_store(&j->cancelled, true);
  if (j->state != VOLT__JOB_OUT) return;
  /* Not taken by a runner yet: out of the ready queue, back unrun. Running:
   * it sees volt_work_cancelled and comes back later. */
  uv_mutex_lock(&rt->work_mu);
  bool taken = j->running;
  if (!taken) {
    if (j->wprev)
      j->wprev->wnext = j->wnext;
    else
      rt->ready_head = j->wnext;
    if (j->wnext)
      j->wnext->wprev = j->wprev;
    else
      rt->ready_tail = j->wprev;
    j->wprev = j->wnext = NULL;
  }
  uv_mutex_unlock(&rt->work_mu);
  if (!taken) deliver(j);
}

void volt__work_cancel_ack(volt_rt *rt, volt_ack ack) {
  for (volt_work *j = rt->jobs, *next; j; j = next) {
    next = j->next; /* a dropped job leaves the list */
    if (j->ack.id == ack.id && j->ack.gen == ack.gen && !j->stale) cancel_job(j);
  }
}

void volt__work_forget_action(volt_rt *rt, struct volt__action *a) {
  for (volt_work *j = rt->jobs; j; j = j->next)
    if (j->action == a) j->action = NULL;
}

void volt__work_close(volt_rt *rt) {
  if (rt->work_mu_ready) {
    uv_mutex_lock(&rt->work_mu);
    rt->work_closing = true; /* the inbox closes next: results come back
                                with their runner's after-work callback */
    uv_mutex_unlock(&rt->work_mu);
  }
  for (volt_work *j = rt->jobs, *next; j; j = next) {
    next = j->next;
    j->action = NULL; /* the graph is gone: results are released */
    timer_close(j);
    if (!j->stale) cancel_job(j); /* a stale job is OUT: cancelled already */
  }
}

void volt__work_free(volt_rt *rt) {
  if (rt->work_mu_ready) uv_mutex_destroy(&rt->work_mu);
  rt->work_mu_ready = false;
}

void volt__work_token_hook(volt_node *tok, unsigned what, volt_ack ack, void *ud) {
  (void)tok;
  /* STALE: superseded or disposed. OK / FAIL: the mint was consumed, by
   * this work's own result (its job has returned and is skipped) or some
   * other way (the work can stop). */
  if (what != VOLT__TOK_MINT) volt__work_cancel_ack(ud, ack);
}

/* ---- dispatch --------------------------------------------------------------------------------- */

int volt__work_start(volt_rt *rt, volt_node *tok, volt_ack ack, volt_work_fn fn, void *ud,
                     struct volt__action *a, uint64_t timeout_ms, volt_work **out) {
  volt__core *c = &rt->core;
  if (!rt->work_mu_ready) {
    int m = uv_mutex_init(&rt->work_mu);
    if (m) return m;
    rt->work_mu_ready = true;
  }
  volt__stamp_copy st;
  int r = volt__token_work_stamp(c, tok, &st);
  if (r) return r;
  volt_work *j = volt__alloc(c, sizeof *j);
  char *msg = NULL;
  size_t msg_size = 0;
  if (j && st.v.tag == VOLT_ERR && volt_err_msg(st.v)) {
    msg_size = strlen(volt_err_msg(st.v)) + 1;
    msg = volt__alloc(c, msg_size);
  }
  if (!j || (msg_size && !msg)) {
    if (j) volt__free(c, j, sizeof *j);
    if (st.v.tag == VOLT_PTR && st.release) st.release(st.v, st.ud);
    return VOLT_ENOMEM;
  }
  memset(j, 0, sizeof *j);
  if (msg) {
    memcpy(msg, volt_err_msg(st.v), msg_size);
    st.v = volt_err(volt_err_code(st.v), msg);
  }
  j->req.data = j;
  j->rt = rt;
  j->ack = ack;
  j->fn = fn;
  j->ud = ud;
  j->stamp = st;
  j->stamp_msg = msg;
  j->stamp_msg_size = msg_size;
  atomic_init(&j->cancelled, false);
  j->result = volt_nil();
  j->action = a;
  j->holds = 1;
  if (timeout_ms > 0) {
    r = uv_timer_init(rt->loop, &j->timer);
    if (r) {
      if (msg) volt__free(c, msg, msg_size);
      volt__free(c, j, sizeof *j);
      if (st.v.tag == VOLT_PTR && st.release) st.release(st.v, st.ud);
      return r;
    }
    j->timer.data = j;
    j->holds++;
    j->timer_open = true;
    /* Cannot fail: the timer is initialised, the callback given. */
    (void)uv_timer_start(&j->timer, timer_cb, timeout_ms, 0);
  }
  rt->jobs_live++;
  j->next = rt->jobs;
  if (rt->jobs) rt->jobs->prev = j;
  rt->jobs = j;
  submit(j);
  if (out) *out = j;
  return 0;
}

/* Loop thread. See volt/volt.h. */
int volt_dispatch(volt_ack ack, volt_work_fn work, void *ud) {
  if (!work || ack.id == 0) return VOLT_EINVAL;
  if (!ack.rt) return VOLT_ESTALE;
  volt__core *c = VOLT__CORE(ack.rt);
  if (!volt__on_loop(c)) return VOLT_ETHREAD;
  volt_rt *rt = ack.rt;
  if (c->closing || atomic_load(&rt->close_begun)) return VOLT_ECLOSING;
  if (!rt->loop) return VOLT_EINVAL;
  if (volt__writes_refused(c)) return VOLT_EPERM;
  volt_node *tok = volt__token_of_ack(c, ack);
  if (!tok) return volt__slot_get(c, ack.id, ack.gen, VOLT__SLOT_JOIN) ? VOLT_EINVAL : VOLT_ESTALE;
  /* A token without an observer gets the one that cancels its work when
   * its mint goes stale (an action has its own, which does the same). */
  if (!volt__token_observer(tok, NULL)) volt__token_observe(tok, volt__work_token_hook, rt);
  return volt__work_start(rt, tok, ack, work, ud, NULL, 0, NULL);
}
