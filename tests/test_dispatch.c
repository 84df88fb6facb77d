/* tests/test_dispatch.c - volt_dispatch: work on the libuv thread pool
 * whose result acks a token's mint (include/volt/volt.h, docs/async.md),
 * the cap on work in flight, cancellation, the work's stamp, close with
 * work out, and volt_rt_acquire keeping the loop alive.
 *
 * Cases:
 *   dispatch_ok                 the result acks ok; the work saw its stamp
 *   dispatch_fail               a VOLT_ERR result fails the token (its
 *                               message copied when the work returns)
 *   dispatch_bad_input          EINVAL / ESTALE / EPERM / ECLOSING / ETHREAD,
 *                               nothing queued, nothing changed
 *   stamp_survives_supersede    CYCLIC: the next mint releases the token's
 *                               copy; the work's own copy stays valid, the
 *                               work sees volt_work_cancelled, its result
 *                               is never applied
 *   stamp_survives_dispose      the same when the token is disposed
 *   stamp_survives_close        the same when the runtime closes
 *   err_stamp_copied            an ERR stamp's message is the work's copy
 *   cancel_queued_on_pool       every pool thread busy: work still queued is
 *                               taken out of the queue and never runs
 *   cap_and_fifo                max_in_flight items out, the rest wait in
 *                               order; superseded running work still counts
 *   cap_default                 default cap: pool size - 1, at least 1
 *   acked_other_way             an ack by hand cancels the work; its
 *                               result is dropped
 *   close_with_work_queued      close cancels waiting and queued work, lets
 *                               running work finish, uv_loop_close == 0
 *   acks_while_closing          another thread's acks and emits during and
 *                               after close: VOLT_ECLOSING, nothing lost or
 *                               leaked
 *   acquire_keeps_loop_alive    an emit from a thread holding an acquire is
 *                               applied before uv_run returns
 *   acquire_from_thread_keeps_loop_alive
 *                               the same with the acquire made on the thread
 *                               (while work keeps the loop running)
 *   dispatch_alloc_failures     every allocation of volt_dispatch failed in
 *                               turn: VOLT_ENOMEM, nothing changed
 *
 * Every test runs on a fresh loop and ends with uv_loop_close == 0 (most
 * through h_env_close, which also checks that the counting allocator is
 * back to zero). Work functions and other threads only record; the
 * assertions are made on the loop thread. No assertion depends on timing.
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ---------------------------------------------------------------------- */

/* Event -> token; one emit of `payload` makes it pending. */
static volt_node *pending_token(volt_rt *rt, volt_node **ev_out, unsigned flags,
                                const volt_token_opts *to, volt_val payload) {
  volt_node *ev = volt_event(rt);
  ck_assert_ptr_nonnull(ev);
  volt_node *tok = volt_token(rt, ev, flags, to);
  ck_assert_ptr_nonnull(tok);
  ck_assert_int_eq(volt_emit(ev, payload), 0);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  if (ev_out) *ev_out = ev;
  return tok;
}

static size_t in_flight(volt_rt *rt) { return h_stats(rt).work_in_flight; }

/* String stamps: the event owns its payloads, the token copies them. */
typedef struct strs {
  int made, freed;
} strs;

static char *str_new(strs *s, const char *t) {
  char *p = malloc(strlen(t) + 1);
  ck_assert_ptr_nonnull(p);
  strcpy(p, t);
  s->made++;
  return p;
}

static void str_release(volt_val v, void *ud) {
  strs *s = ud;
  s->freed++;
  free(volt_as_ptr(v));
}

static volt_val str_copy(volt_val v, void *ud) {
  return volt_ptr(str_new(ud, volt_as_ptr(v)));
}

static volt_val quick_work(volt_work *w, void *ud) {
  int64_t *seen = ud;
  *seen = volt_as_int(volt_work_stamp(w));
  return volt_int(*seen * 10);
}

/* ---- dispatch ----------------------------------------------------------------------- */

START_TEST(dispatch_ok) {
  h_env e;
  h_obs o;
  int64_t seen = 0;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_int(5));
  h_observe(&o, e.rt, tok);
  ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), quick_work, &seen), 0);
  ck_assert_uint_eq(in_flight(e.rt), 1);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0); /* queued work keeps it alive */
  ck_assert_int_eq(seen, 5);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(o.runs, 2);
  ck_assert_int_eq(o.bad, 0);
  ck_assert_uint_eq(in_flight(e.rt), 0);
  h_env_close(&e);
}
END_TEST

typedef struct fail_ud {
  int n;
  char buf[32]; /* the message: copied when the work returns */
} fail_ud;

static volt_val failing_work(volt_work *w, void *ud) {
  fail_ud *f = ud;
  (void)w;
  snprintf(f->buf, sizeof f->buf, "bad %d", f->n);
  return volt_err(-42, f->buf);
}

START_TEST(dispatch_fail) {
  h_env e;
  h_obs o;
  fail_ud f = {7, ""};
  h_env_open(&e, H_LOOP, NULL);
  volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_nil());
  h_observe(&o, e.rt, tok);
  ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), failing_work, &f), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(o.err, -42);
  ck_assert_str_eq(o.msg, "bad 7");
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

static volt_val never_work(volt_work *w, void *ud) {
  (void)w;
  (*(int *)ud)++;
  return volt_nil();
}

typedef struct in_computed {
  volt_ack ack;
  int rc, runs;
} in_computed;

static volt_val dispatch_in_computed(void *ud) {
  in_computed *ic = ud;
  ic->rc = volt_dispatch(ic->ack, never_work, &ic->runs);
  return volt_int(1);
}

typedef struct thread_try {
  volt_ack ack;
  int rc;
  int runs;
} thread_try;

static void dispatch_from_thread(void *arg) {
  thread_try *t = arg;
  t->rc = volt_dispatch(t->ack, never_work, &t->runs);
}

START_TEST(dispatch_bad_input) {
  h_env e;
  int runs = 0;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_nil());
  volt_ack ack = volt_token_ack(tok);

  ck_assert_int_eq(volt_dispatch(ack, NULL, &runs), VOLT_EINVAL);
  ck_assert_int_eq(volt_dispatch(VOLT_ACK_NONE, never_work, &runs), VOLT_EINVAL);
  volt_ack made_up = ack;
  made_up.gen += 7;
  ck_assert_int_eq(volt_dispatch(made_up, never_work, &runs), VOLT_ESTALE);
  made_up = ack;
  made_up.rt = NULL;
  ck_assert_int_eq(volt_dispatch(made_up, never_work, &runs), VOLT_ESTALE);

  /* a join's ack: no stamp, no single token */
  volt_node *tok2 = pending_token(e.rt, NULL, 0, NULL, volt_nil());
  volt_ack both[2] = {ack, volt_token_ack(tok2)};
  volt_ack join = volt_ack_join(e.rt, both, 2);
  ck_assert(!volt_ack_is_none(join));
  ck_assert_int_eq(volt_dispatch(join, never_work, &runs), VOLT_EINVAL);

  /* inside a computed */
  in_computed ic = {ack, 0, 0};
  volt_node *cmp = volt_computed(e.rt, dispatch_in_computed, &ic, NULL);
  ck_assert_int_eq(h_int(volt_get(cmp)), 1);
  ck_assert_int_eq(ic.rc, VOLT_EPERM);

  /* from another thread */
  thread_try tt = {ack, 0, 0};
  h_thread_run(0, dispatch_from_thread, &tt, 60, NULL);
  ck_assert_int_eq(tt.rc, VOLT_ETHREAD);

  /* a stale ack: the mint was consumed */
  ck_assert_int_eq(volt_ack_ok(ack), 0);
  ck_assert_int_eq(volt_dispatch(ack, never_work, &runs), VOLT_ESTALE);

  /* nothing was queued, nothing changed */
  ck_assert_uint_eq(in_flight(e.rt), 0);
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  ck_assert_int_eq(volt_token_status(tok2), VOLT_PENDING);

  /* after close began */
  volt_ack ack2 = volt_token_ack(tok2);
  volt_rt *rt = e.rt;
  volt_rt_close(rt, h_count_closed, &e.closed);
  ck_assert_int_eq(volt_dispatch(ack2, never_work, &runs), VOLT_ECLOSING);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(e.lp), 0);
  ck_assert_int_eq(runs, 0);
  ck_assert_int_eq(ic.runs + tt.runs, 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

START_TEST(dispatch_loopless) {
  volt_rt *rt = NULL;
  int runs = 0;
  ck_assert_int_eq(volt_rt_new(&rt, NULL, NULL), 0);
  volt_node *tok = pending_token(rt, NULL, 0, NULL, volt_nil());
  ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), never_work, &runs), VOLT_EINVAL);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  volt_rt_close(rt, NULL, NULL);
  ck_assert_int_eq(runs, 0);
}
END_TEST

/* ---- stamps ------------------------------------------------------------------------- */

/* A CYCLIC token over an event of strings, with a copy hook; the work is
 * gated. Used by the three stamp lifetime cases. */
typedef struct str_fix {
  h_env e;
  strs s;
  h_gate g;
  h_job j;
  volt_node *ev, *tok;
  h_obs o;
} str_fix;

static void str_fix_open(str_fix *f) {
  memset(f, 0, sizeof *f);
  h_env_open(&f->e, H_LOOP, NULL);
  h_gate_init(&f->g);
  volt_opts eo = {0};
  eo.release = str_release;
  eo.ud = &f->s;
  f->ev = volt_event_opts(f->e.rt, &eo);
  volt_token_opts to = {0};
  to.copy = str_copy;
  to.release = str_release;
  to.ud = &f->s;
  f->tok = volt_token(f->e.rt, f->ev, VOLT_TOKEN_CYCLIC, &to);
  ck_assert_ptr_nonnull(f->tok);
  h_observe(&f->o, f->e.rt, f->tok);
  ck_assert_int_eq(volt_emit(f->ev, volt_ptr(str_new(&f->s, "first query"))), 0);
  h_job_init(&f->j, &f->g, 0, volt_int(1));
  ck_assert_int_eq(volt_dispatch(volt_token_ack(f->tok), h_gated_work, &f->j), 0);
  h_gate_wait(&f->g, 1); /* running, holding its stamp */
}

START_TEST(stamp_survives_supersede) {
  str_fix f;
  str_fix_open(&f);
  volt_ack first = volt_token_ack(f.tok);
  /* The next keystroke: the token's copy of "first query" is released at
   * the end of this flush; the event's payload too. */
  ck_assert_int_eq(volt_emit(f.ev, volt_ptr(str_new(&f.s, "second"))), 0);
  ck_assert(!volt_ack_eq(first, volt_token_ack(f.tok)));
  ck_assert_uint_eq(in_flight(f.e.rt), 1); /* superseded, still running: counts */
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(f.j.ran, 1);
  ck_assert_str_eq(f.j.text, "first query");
  ck_assert(f.j.saw_cancel);
  /* never applied: the token still waits for the second mint */
  ck_assert_int_eq(f.o.status, VOLT_PENDING);
  ck_assert_uint_eq(in_flight(f.e.rt), 0);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(f.tok)), 0);
  h_env_close(&f.e);
  h_gate_destroy(&f.g);
  ck_assert_int_eq(f.s.made, f.s.freed);
}
END_TEST

START_TEST(stamp_survives_dispose) {
  str_fix f;
  str_fix_open(&f);
  volt_ack ack = volt_token_ack(f.tok);
  volt_dispose(f.tok);
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_str_eq(f.j.text, "first query");
  ck_assert(f.j.saw_cancel);
  ck_assert_int_eq(volt_ack_ok(ack), VOLT_ESTALE);
  ck_assert_uint_eq(in_flight(f.e.rt), 0);
  h_env_close(&f.e);
  h_gate_destroy(&f.g);
  ck_assert_int_eq(f.s.made, f.s.freed);
}
END_TEST

START_TEST(stamp_survives_close) {
  str_fix f;
  str_fix_open(&f);
  volt_rt_close(f.e.rt, h_count_closed, &f.e.closed);
  ck_assert_int_eq(f.e.closed, 0); /* waits for the work */
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(f.e.closed, 1);
  ck_assert_int_eq(uv_loop_close(f.e.lp), 0);
  ck_assert_str_eq(f.j.text, "first query");
  ck_assert(f.j.saw_cancel);
  ck_assert_uint_eq(f.e.alloc.live_bytes, 0);
  h_gate_destroy(&f.g);
  ck_assert_int_eq(f.s.made, f.s.freed);
}
END_TEST

START_TEST(err_stamp_copied) {
  h_env e;
  h_gate g;
  h_job j;
  h_env_open(&e, H_LOOP, NULL);
  h_gate_init(&g);
  volt_node *ev = NULL;
  char msg[16];
  strcpy(msg, "disk full");
  volt_node *tok = pending_token(e.rt, &ev, VOLT_TOKEN_CYCLIC, NULL, volt_err(-28, msg));
  strcpy(msg, "overwritten");
  h_job_init(&j, &g, 0, volt_nil());
  ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), h_gated_work, &j), 0);
  h_gate_wait(&g, 1);
  ck_assert_int_eq(volt_emit(ev, volt_err(-5, "other")), 0); /* the token's copy goes */
  h_gate_open(&g, NULL);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(j.stamp_tag, VOLT_ERR);
  ck_assert_str_eq(j.text, "disk full");
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

/* ---- cancellation and the cap ------------------------------------------------------ */

START_TEST(cancel_queued_on_pool) {
  h_env e;
  h_gate g;
  int pool = h_pool_size();
  if (pool > 32) pool = 32;
  h_job jobs[33];
  volt_node *toks[33];
  volt_config cfg = {0};
  cfg.max_in_flight = (unsigned)pool + 1; /* the runtime lets one more out */
  h_env_open(&e, H_LOOP, &cfg);
  h_gate_init(&g);
  for (int i = 0; i <= pool; i++) {
    toks[i] = pending_token(e.rt, NULL, 0, NULL, volt_int(i));
    h_job_init(&jobs[i], &g, i, volt_int(i));
    ck_assert_int_eq(volt_dispatch(volt_token_ack(toks[i]), h_gated_work, &jobs[i]), 0);
  }
  ck_assert_uint_eq(in_flight(e.rt), (size_t)pool + 1);
  h_gate_wait(&g, pool); /* every pool thread busy: the last one is in libuv's queue */
  int queued = -1;
  for (int i = 0; i <= pool; i++) {
    bool seen = false;
    for (int k = 0; k < pool; k++) seen = seen || g.order[k] == i;
    if (!seen) queued = i;
  }
  ck_assert_int_ge(queued, 0);
  volt_dispose(toks[queued]); /* taken out of the queue */
  h_gate_open(&g, NULL);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(jobs[queued].ran, 0); /* never ran */
  ck_assert_int_eq(h_gate_started(&g), pool);
  for (int i = 0; i <= pool; i++)
    if (i != queued) ck_assert_int_eq(volt_token_status(toks[i]), VOLT_IDLE);
  ck_assert_uint_eq(in_flight(e.rt), 0);
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

START_TEST(cap_and_fifo) {
  h_env e;
  h_gate g;
  h_job jobs[6];
  volt_node *toks[6], *evs[6];
  volt_config cfg = {0};
  cfg.max_in_flight = 2;
  h_env_open(&e, H_LOOP, &cfg);
  h_gate_init(&g);
  for (int i = 0; i < 5; i++) {
    toks[i] = pending_token(e.rt, &evs[i], VOLT_TOKEN_CYCLIC, NULL, volt_int(i));
    h_job_init(&jobs[i], &g, i, volt_int(i));
    ck_assert_int_eq(volt_dispatch(volt_token_ack(toks[i]), h_gated_work, &jobs[i]), 0);
  }
  ck_assert_uint_eq(in_flight(e.rt), 2); /* the other three wait in the runtime */
  h_gate_wait(&g, 2);
  ck_assert_int_eq(g.order[0] + g.order[1], 0 + 1);

  /* A waiting job whose mint goes stale leaves the queue without running. */
  ck_assert_int_eq(volt_emit(evs[3], volt_int(33)), 0); /* supersedes job 3 */
  /* A running job superseded still counts until it returns. */
  ck_assert_int_eq(volt_emit(evs[0], volt_int(10)), 0);
  ck_assert_uint_eq(in_flight(e.rt), 2);
  ck_assert(!jobs[0].ran);

  /* Job 0 returns: job 2 goes out (FIFO), job 3 is gone, 4 still waits. */
  h_gate_open(&g, &jobs[0]);
  while (h_gate_started(&g) < 3) (void)uv_run(e.lp, UV_RUN_NOWAIT);
  ck_assert_int_eq(g.order[2], 2);
  ck_assert_uint_eq(in_flight(e.rt), 2);
  h_gate_open(&g, &jobs[1]);
  while (h_gate_started(&g) < 4) (void)uv_run(e.lp, UV_RUN_NOWAIT);
  ck_assert_int_eq(g.order[3], 4);
  h_gate_open(&g, NULL);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(jobs[3].ran, 0);
  ck_assert_int_eq(h_gate_started(&g), 4);
  ck_assert(jobs[0].saw_cancel);
  ck_assert_int_eq(volt_token_status(toks[0]), VOLT_PENDING); /* its second mint */
  ck_assert_int_eq(volt_token_status(toks[3]), VOLT_PENDING);
  for (int i = 1; i < 5; i++)
    if (i != 3) ck_assert_int_eq(volt_token_status(toks[i]), VOLT_IDLE);
  ck_assert_uint_eq(in_flight(e.rt), 0);
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

START_TEST(cap_default) {
  h_env e;
  h_gate g;
  h_job jobs[40];
  int pool = h_pool_size();
  int cap = pool > 1 ? pool - 1 : 1;
  int n = cap + 3 < 40 ? cap + 3 : 40;
  h_env_open(&e, H_LOOP, NULL);
  h_gate_init(&g);
  for (int i = 0; i < n; i++) {
    volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_int(i));
    h_job_init(&jobs[i], &g, i, volt_nil());
    ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), h_gated_work, &jobs[i]), 0);
  }
  ck_assert_uint_eq(in_flight(e.rt), (size_t)cap);
  h_gate_open(&g, NULL);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(h_gate_started(&g), n); /* (the order: cap_and_fifo) */
  ck_assert_uint_eq(in_flight(e.rt), 0);
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

START_TEST(acked_other_way) {
  h_env e;
  h_gate g;
  h_job j;
  h_env_open(&e, H_LOOP, NULL);
  h_gate_init(&g);
  volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_nil());
  h_job_init(&j, &g, 0, volt_err(-1, "must not be applied"));
  volt_ack ack = volt_token_ack(tok);
  ck_assert_int_eq(volt_dispatch(ack, h_gated_work, &j), 0);
  h_gate_wait(&g, 1);
  ck_assert_int_eq(volt_ack_ok(ack), 0); /* by hand */
  h_gate_open(&g, NULL);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert(j.saw_cancel);
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE); /* not FAILED */
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

/* ---- close ------------------------------------------------------------------------- */

START_TEST(close_with_work_queued) {
  h_env e;
  h_gate g;
  h_job jobs[20];
  volt_config cfg = {0};
  cfg.max_in_flight = 2;
  h_env_open(&e, H_LOOP, &cfg);
  h_gate_init(&g);
  for (int i = 0; i < 20; i++) {
    volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_int(i));
    h_job_init(&jobs[i], &g, i, volt_int(i));
    ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), h_gated_work, &jobs[i]), 0);
  }
  h_gate_wait(&g, 2);
  volt_rt_close(e.rt, h_count_closed, &e.closed);
  h_gate_open(&g, NULL);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(e.lp), 0);
  ck_assert_int_eq(h_gate_started(&g), 2); /* the waiting 18 never ran */
  int ran = 0;
  for (int i = 0; i < 20; i++) ran += jobs[i].ran;
  ck_assert_int_eq(ran, 2);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.live_blocks, 0);
  h_gate_destroy(&g);
}
END_TEST

typedef struct closer {
  volt_rt *rt;
  volt_node *ev;
  volt_ack ack;
  uv_sem_t close_begun;
  int ack_rc, emit_rc, acquire_rc;
} closer;

static void ack_after_close(void *arg) {
  closer *c = arg;
  uv_sem_wait(&c->close_begun);
  c->ack_rc = volt_ack_ok(c->ack);
  c->emit_rc = volt_emit_async(c->ev, volt_int(1));
  c->acquire_rc = volt_rt_acquire(c->rt);
  volt_rt_release(c->rt); /* the acquire made on the loop thread */
}

START_TEST(acks_while_closing) {
  h_env e;
  closer c;
  uv_thread_t th;
  memset(&c, 0, sizeof c);
  h_env_open(&e, H_LOOP, NULL);
  c.rt = e.rt;
  volt_node *tok = pending_token(e.rt, &c.ev, 0, NULL, volt_nil());
  c.ack = volt_token_ack(tok);
  ck_assert_int_eq(uv_sem_init(&c.close_begun, 0), 0);
  ck_assert_int_eq(volt_rt_acquire(e.rt), 0); /* for the thread */
  ck_assert_int_eq(uv_thread_create(&th, ack_after_close, &c), 0);
  volt_rt_close(e.rt, h_count_closed, &e.closed);
  uv_sem_post(&c.close_begun);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(e.lp), 0);
  ck_assert_int_eq(c.ack_rc, VOLT_ECLOSING);
  ck_assert_int_eq(c.emit_rc, VOLT_ECLOSING);
  ck_assert_int_eq(c.acquire_rc, VOLT_ECLOSING);
  uv_sem_destroy(&c.close_begun);
  ck_assert_uint_eq(e.alloc.live_bytes, 0); /* freed by the thread's release */
}
END_TEST

/* ---- keep-alive ------------------------------------------------------------------- */

typedef struct late_emitter {
  volt_rt *rt;
  volt_node *ev;
  int rc;
} late_emitter;

static void emit_late(void *arg) {
  late_emitter *l = arg;
  uv_sleep(50); /* uv_run would long have returned without the acquire */
  l->rc = volt_emit_async(l->ev, volt_int(42));
  volt_rt_release(l->rt);
}

START_TEST(acquire_keeps_loop_alive) {
  h_env e;
  h_eff1 r;
  late_emitter l;
  uv_thread_t th;
  h_env_open(&e, H_LOOP, NULL);
  memset(&r, 0, sizeof r);
  r.src = volt_event(e.rt);
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  l.rt = e.rt;
  l.ev = r.src;
  l.rc = -1;
  ck_assert_int_eq(volt_rt_acquire(e.rt), 0); /* on the loop thread, before the thread */
  ck_assert_int_eq(uv_thread_create(&th, emit_late, &l), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(l.rc, 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 42);
  /* released: the loop is not held any more */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_NOWAIT), 0);
  h_env_close(&e);
}
END_TEST

typedef struct thread_holder {
  volt_rt *rt;
  volt_node *ev;
  h_gate *g;
  h_job *j;
  int acquire_rc, emit_rc;
} thread_holder;

/* Acquires from its own thread while the loop is kept alive by work, lets
 * that work return, and emits later. */
static void hold_from_thread(void *arg) {
  thread_holder *t = arg;
  t->acquire_rc = volt_rt_acquire(t->rt);
  h_gate_open(t->g, t->j);
  uv_sleep(50);
  t->emit_rc = volt_emit_async(t->ev, volt_int(7));
  if (t->acquire_rc == 0) volt_rt_release(t->rt);
}

START_TEST(acquire_from_thread_keeps_loop_alive) {
  h_env e;
  h_gate g;
  h_job j;
  h_eff1 r;
  thread_holder t;
  uv_thread_t th;
  h_env_open(&e, H_LOOP, NULL);
  h_gate_init(&g);
  memset(&r, 0, sizeof r);
  r.src = volt_event(e.rt);
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_nil());
  h_job_init(&j, &g, 0, volt_nil());
  ck_assert_int_eq(volt_dispatch(volt_token_ack(tok), h_gated_work, &j), 0);
  t.rt = e.rt;
  t.ev = r.src;
  t.g = &g;
  t.j = &j;
  t.acquire_rc = t.emit_rc = -1;
  ck_assert_int_eq(uv_thread_create(&th, hold_from_thread, &t), 0);
  /* The work keeps the loop alive until the thread's acquire has been
   * seen; from then on the acquire does, until the release. */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(t.acquire_rc, 0);
  ck_assert_int_eq(t.emit_rc, 0);
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  ck_assert_int_eq(h_int(r.seen), 7);
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

/* ---- allocation failure ------------------------------------------------------------ */

START_TEST(dispatch_alloc_failures) {
  h_env e;
  h_gate g;
  h_job j;
  int rc = VOLT_ENOMEM;
  h_env_open(&e, H_LOOP, NULL);
  h_gate_init(&g);
  /* An ERR stamp: the job and a copy of the message are allocated. */
  volt_node *tok = pending_token(e.rt, NULL, 0, NULL, volt_err(-5, "stamp"));
  volt_ack ack = volt_token_ack(tok);
  h_job_init(&j, &g, 0, volt_int(1));
  h_gate_open(&g, NULL);
  for (size_t k = 1; k < 10 && rc == VOLT_ENOMEM; k++) {
    size_t live = e.alloc.live_bytes;
    e.alloc.fail_at = e.alloc.calls + k;
    rc = volt_dispatch(ack, h_gated_work, &j);
    e.alloc.fail_at = 0;
    if (rc == VOLT_ENOMEM) {
      ck_assert_uint_eq(e.alloc.live_bytes, live);
      ck_assert_uint_eq(in_flight(e.rt), 0);
      ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
    }
  }
  ck_assert_int_eq(rc, 0);
  ck_assert_uint_ge(e.alloc.injected, 2);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(j.ran, 1);
  ck_assert_str_eq(j.text, "stamp");
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  h_env_close(&e);
  h_gate_destroy(&g);
}
END_TEST

static Suite *dispatch_suite(void) {
  Suite *s = suite_create("dispatch");
  TCase *tc = h_tcase(s, "dispatch");
  tcase_add_test(tc, dispatch_ok);
  tcase_add_test(tc, dispatch_fail);
  tcase_add_test(tc, dispatch_bad_input);
  tcase_add_test(tc, dispatch_loopless);
  tc = h_tcase(s, "stamps");
  tcase_add_test(tc, stamp_survives_supersede);
  tcase_add_test(tc, stamp_survives_dispose);
  tcase_add_test(tc, stamp_survives_close);
  tcase_add_test(tc, err_stamp_copied);
  tc = h_tcase(s, "cancel and cap");
  tcase_add_test(tc, cancel_queued_on_pool);
  tcase_add_test(tc, cap_and_fifo);
  tcase_add_test(tc, cap_default);
  tcase_add_test(tc, acked_other_way);
  tc = h_tcase(s, "close and lifetimes");
  tcase_add_test(tc, close_with_work_queued);
  tcase_add_test(tc, acks_while_closing);
  tcase_add_test(tc, acquire_keeps_loop_alive);
  tcase_add_test(tc, acquire_from_thread_keeps_loop_alive);
  tc = h_tcase(s, "alloc");
  tcase_add_test(tc, dispatch_alloc_failures);
  return s;
}

int main(void) { return h_run(dispatch_suite()); }
