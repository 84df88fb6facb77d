/* runtime/work.c - volt_dispatch: work on the libuv thread pool whose
 * result acks a token's mint back on the loop thread; the per-runtime cap
 * on work in flight and its FIFO; cancellation of work whose mint went
 * stale; what close does with work still out (docs/async.md).
 *
 * A job's life (loop thread unless said):
 *   dispatch -> WAITING (FIFO, the cap is reached) -> OUT (uv_queue_work;
 *   counts in rt->work_in_flight) -> work_cb on a pool thread -> after_work
 *   -> RETURNED: result applied if the mint is still current and the job
 *   not stale, released otherwise -> record freed once its timer (if any)
 *   is closed too.
 * A job dropped from the FIFO (stale, close) goes straight to RETURNED
 * without running. Invariants: work_in_flight == the jobs in state OUT;
 * jobs_live == the records not yet freed (close waits for 0); a stale job's
 * result is never applied, whatever the timing, because `stale` is set on
 * the loop thread before anything else can happen to the mint, and the ack
 * is checked against the mint's generation when applied.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/work.h"

static void after_work(uv_work_t *req, int status);

/* ---- the pool thread ---------------------------------------------------------- */

static void work_cb(uv_work_t *req) {
  volt_work *j = req->data;
  if (atomic_load(&j->cancelled)) return; /* not run: nothing to release */
  volt_val r = j->fn(j, j->ud);
  r.flags = 0;
  if (r.tag == VOLT_ERR && r.u.msg) {
    /* The message may live in the work's own buffer: copied before return. */
    size_t n = strlen(r.u.msg) + 1;
    j->result_msg = malloc(n);
    if (j->result_msg) memcpy(j->result_msg, r.u.msg, n);
    r.u.msg = j->result_msg; /* NULL (no message) if the copy failed */
  }
  j->result = r;
  j->ran = true;
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

static void fifo_remove(volt_rt *rt, volt_work *j) {
  if (j->wprev)
    j->wprev->wnext = j->wnext;
  else
    rt->wait_head = j->wnext;
  if (j->wnext)
    j->wnext->wprev = j->wprev;
  else
    rt->wait_tail = j->wprev;
  j->wprev = j->wnext = NULL;
}

static void fifo_push(volt_rt *rt, volt_work *j) {
  j->wnext = NULL;
  j->wprev = rt->wait_tail;
  if (rt->wait_tail)
    rt->wait_tail->wnext = j;
  else
    rt->wait_head = j;
  rt->wait_tail = j;
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

static int submit(volt_work *j) {
  volt_rt *rt = j->rt;
  int r = uv_queue_work(rt->loop, &j->req, work_cb, after_work);
  if (r == 0) {
    j->state = VOLT__JOB_OUT;
    rt->work_in_flight++;
  }
  return r;
}

/* Hands waiting jobs to the pool while there is room under the cap. */
static void pump(volt_rt *rt) {
  while (rt->wait_head && rt->work_in_flight < rt->max_in_flight && !rt->core.closing) {
    volt_work *j = rt->wait_head;
    fifo_remove(rt, j);
    if (submit(j) != 0) {
      /* uv_queue_work fails only for arguments we never pass; should it
       * fail, the job fails its mint rather than hang. */
      j->stale = true;
      j->state = VOLT__JOB_RETURNED;
      (void)volt__ack_apply(&rt->core, j->ack, false, VOLT_EINVAL, "could not queue work");
      job_finished(j);
      if (j->action) volt__action_returned(rt, j->action, j->ack, false, volt_nil());
      job_unhold(j);
    }
  }
}

/* ---- completion ---------------------------------------------------------------------------- */

/* A job leaves for good without its result being applied (FIFO drop). */
static void drop_waiting(volt_work *j) {
  volt_rt *rt = j->rt;
  fifo_remove(rt, j);
  job_finished(j);
  if (j->action) volt__action_returned(rt, j->action, j->ack, false, volt_nil());
  job_unhold(j); /* no after_work will come */
}

static void after_work(uv_work_t *req, int status) {
  volt_work *j = req->data;
  volt_rt *rt = j->rt;
  volt__core *c = &rt->core;
  rt->work_in_flight--;
  job_finished(j);
  pump(rt);
  bool apply = status == 0 && j->ran && !j->stale && !c->closing;
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
  /* One flush for what was applied; nothing here may touch j or rt after
   * it (an effect may close the runtime). */
  (void)volt__maybe_flush(c);
}

static void timer_cb(uv_timer_t *t) {
  volt_work *j = t->data;
  volt_rt *rt = j->rt;
  volt__core *c = &rt->core;
  timer_close(j);
  if (j->state == VOLT__JOB_RETURNED || j->stale || c->closing) return;
  volt_ack ack = j->ack;
  volt__work_cancel_ack(rt, ack); /* the job (and any other for this mint) */
  (void)volt__ack_apply(c, ack, false, UV_ETIMEDOUT, "timed out");
  (void)volt__maybe_flush(c);
}

/* ---- cancellation ----------------------------------------------------------------------------- */

static void cancel_job(volt_work *j) {
  j->stale = true;
  atomic_store(&j->cancelled, true);
  if (j->state == VOLT__JOB_WAITING)
    drop_waiting(j);
  else if (j->state == VOLT__JOB_OUT)
    (void)uv_cancel((uv_req_t *)&j->req); /* UV_EBUSY when running: it sees the flag */
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
  for (volt_work *j = rt->jobs, *next; j; j = next) {
    next = j->next;
    j->action = NULL; /* the graph is gone: results are released */
    timer_close(j);
    if (!j->stale) cancel_job(j); /* a stale job is OUT: cancelled already */
  }
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
  if (rt->wait_head || rt->work_in_flight >= rt->max_in_flight || submit(j) != 0) {
    j->state = VOLT__JOB_WAITING;
    fifo_push(rt, j);
  }
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
