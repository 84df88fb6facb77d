/* tests/test_action.c - volt_action: a token that dispatches work on the
 * thread pool every time it mints (include/volt/volt.h, docs/async.md).
 *
 * Cases:
 *   action_value_version       results become the value; version counts
 *                              them; in_flight; token reads on an action
 *   action_failure_keeps_value an ERR result fails it, the value stays; the
 *                              next mint retries
 *   action_release_replaced    PTR results: the replaced one is released
 *                              once, the last one when the action goes
 *   action_cyclic_supersede    a superseded result is released, never
 *                              applied, never seen by an effect or watcher;
 *                              the work sees volt_work_cancelled;
 *                              in_flight counts it until it returns
 *   action_timeout             UV_ETIMEDOUT, the work sees the cancel, the
 *                              late result is released
 *   action_dispose_in_flight   disposing the action cancels its work and
 *                              releases the late result
 *   action_close_20_in_flight  close with 20 actions' work queued and
 *                              running: running results released, the rest
 *                              never run, nothing leaks, uv_loop_close == 0
 *   action_state_source        a source already on dispatches at creation
 *   action_rearm               REARM: runs again while the source is on
 *   action_bad_arguments       NULL / loop-less / wrong thread / not an
 *                              action
 *   action_alloc_failure       the job cannot be allocated at a mint: the
 *                              token fails with VOLT_ENOMEM, nothing leaks
 *
 * Work functions (h_gated_work through action_work) only record; the
 * assertions are made on the loop thread. Each action's ud is an array of
 * h_job, and the stamp (the event's INT payload) picks the job. Fresh loop
 * per test, uv_loop_close == 0 at the end, no timing assertions.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NJOBS 24

typedef struct fix {
  h_env e;
  h_gate g;
  h_job j[NJOBS];
  h_pool pool;
  volt_node *ev, *act;
} fix;

static volt_val action_work(volt_work *w, void *ud) {
  h_job *js = ud;
  int64_t i = volt_as_int(volt_work_stamp(w));
  if (i < 0 || i >= NJOBS) return volt_err(-1, "bad stamp");
  return h_gated_work(w, &js[i]);
}

static void fix_open(fix *f, const volt_config *cfg) {
  memset(f, 0, sizeof *f);
  h_env_open(&f->e, H_LOOP, cfg);
  h_gate_init(&f->g);
  h_pool_init(&f->pool);
  for (int i = 0; i < NJOBS; i++) h_job_init(&f->j[i], &f->g, i, volt_int(100 + i));
  f->ev = volt_event(f->e.rt);
  ck_assert_ptr_nonnull(f->ev);
}

static void fix_action(fix *f, unsigned flags, const volt_action_opts *o) {
  f->act = volt_action(f->e.rt, f->ev, flags, action_work, f->j, o);
  ck_assert_ptr_nonnull(f->act);
}

static void fix_close(fix *f) {
  h_env_close(&f->e);
  h_gate_destroy(&f->g);
}

/* PTR results from the pool, released through opts.release. */
static volt_action_opts box_opts(fix *f) {
  volt_action_opts o;
  memset(&o, 0, sizeof o);
  o.release = h_box_release;
  o.ud = &f->pool;
  return o;
}

/* An effect reading everything an action shows. */
typedef struct aobs {
  volt_node *a;
  int runs, status, in_flight;
  int64_t version;
  volt_val value;
  void *ptrs[64]; /* PTR values seen, in order */
  int nptrs;
  int bad; /* a version that went down, or a value without its version */
} aobs;

static void aobs_fn(void *ud) {
  aobs *o = ud;
  int64_t before = o->version;
  o->runs++;
  o->status = volt_token_status(o->a);
  o->version = volt_action_version(o->a);
  o->in_flight = volt_action_in_flight(o->a);
  o->value = volt_action_value(o->a);
  if (o->version < before) o->bad++;
  if (o->version == 0 && !volt_is_nil(o->value)) o->bad++;
  if (o->value.tag == VOLT_PTR && o->nptrs < 64 &&
      (o->nptrs == 0 || o->ptrs[o->nptrs - 1] != volt_as_ptr(o->value)))
    o->ptrs[o->nptrs++] = volt_as_ptr(o->value);
}

static void aobs_start(aobs *o, volt_rt *rt, volt_node *a) {
  memset(o, 0, sizeof *o);
  o->a = a;
  ck_assert_ptr_nonnull(volt_effect(rt, aobs_fn, o));
}

/* Runs the loop until the action's version reaches v (its work returns). */
static void run_until_version(fix *f, int64_t v) {
  while (volt_action_version(f->act) < v) ck_assert_int_ge(uv_run(f->e.lp, UV_RUN_ONCE), 0);
}

/* ---- values ---------------------------------------------------------------------- */

START_TEST(action_value_version) {
  fix f;
  aobs o;
  fix_open(&f, NULL);
  fix_action(&f, 0, NULL);
  aobs_start(&o, f.e.rt, f.act);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert(volt_is_nil(o.value));
  h_gate_open(&f.g, NULL);

  ck_assert_int_eq(volt_emit(f.ev, volt_int(1)), 0);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(o.in_flight, 1);
  ck_assert_int_eq(h_int(volt_token_stamp(f.act)), 1);
  ck_assert_int_eq(h_int(volt_get(f.act)), VOLT_PENDING); /* its value: the status */
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(h_int(o.value), 101);
  ck_assert_int_eq(o.version, 1);
  ck_assert_int_eq(o.in_flight, 0);
  ck_assert_int_eq(f.j[1].stamp_int, 1);

  ck_assert_int_eq(volt_emit(f.ev, volt_int(2)), 0);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(h_int(volt_action_value(f.act)), 102);
  ck_assert_int_eq(volt_action_version(f.act), 2);
  ck_assert_int_eq(o.bad, 0);
  ck_assert_uint_eq(h_stats(f.e.rt).work_in_flight, 0);
  fix_close(&f);
}
END_TEST

START_TEST(action_failure_keeps_value) {
  fix f;
  aobs o;
  fix_open(&f, NULL);
  f.j[2].result = volt_err(-3, "nope");
  fix_action(&f, 0, NULL);
  aobs_start(&o, f.e.rt, f.act);
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(1)), 0);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(2)), 0);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  volt_val err = volt_token_error(f.act);
  ck_assert_int_eq(volt_err_code(err), -3);
  ck_assert_str_eq(volt_err_msg(err), "nope");
  ck_assert_int_eq(h_int(o.value), 101); /* kept */
  ck_assert_int_eq(o.version, 1);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(3)), 0); /* retry */
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(h_int(o.value), 103);
  ck_assert_int_eq(o.version, 2);
  ck_assert_int_eq(o.bad, 0);
  fix_close(&f);
}
END_TEST

START_TEST(action_release_replaced) {
  fix f;
  aobs o;
  fix_open(&f, NULL);
  h_box *b1 = h_box_new(&f.pool, 1), *b2 = h_box_new(&f.pool, 2);
  f.j[1].result = volt_ptr(b1);
  f.j[2].result = volt_ptr(b2);
  volt_action_opts opts = box_opts(&f);
  fix_action(&f, 0, &opts);
  aobs_start(&o, f.e.rt, f.act);
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(1)), 0);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_ptr_eq(volt_as_ptr(o.value), b1);
  ck_assert_int_eq(b1->released, 0);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(2)), 0);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_ptr_eq(volt_as_ptr(o.value), b2);
  ck_assert_int_eq(b1->released, 1); /* replaced */
  ck_assert_int_eq(b2->released, 0);
  volt_dispose(f.act);
  ck_assert_int_eq(b2->released, 1); /* held when the action went */
  ck_assert_int_eq(h_pool_unreleased(&f.pool), 0);
  ck_assert_int_eq(f.pool.bad, 0);
  fix_close(&f);
}
END_TEST

/* A watcher on the action: it sees statuses, and must never run because
 * of a result that was not applied. */
static void count_watch(volt_node *n, volt_val old, volt_val now, void *ud) {
  (void)n;
  (void)old;
  (void)now;
  (*(int *)ud)++;
}

START_TEST(action_cyclic_supersede) {
  fix f;
  aobs o;
  int watched = 0;
  fix_open(&f, NULL);
  h_box *b1 = h_box_new(&f.pool, 1), *b2 = h_box_new(&f.pool, 2);
  f.j[1].result = volt_ptr(b1);
  f.j[2].result = volt_ptr(b2);
  volt_action_opts opts = box_opts(&f);
  fix_action(&f, VOLT_TOKEN_CYCLIC, &opts);
  aobs_start(&o, f.e.rt, f.act);
  ck_assert_ptr_nonnull(volt_watch(f.act, count_watch, &watched));
  ck_assert_int_eq(volt_emit(f.ev, volt_int(1)), 0);
  h_gate_wait(&f.g, 1); /* job 1 running */
  ck_assert_int_eq(volt_emit(f.ev, volt_int(2)), 0); /* supersedes */
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(o.in_flight, 2); /* the superseded one still runs */
  int watched_before = watched;
  h_gate_open(&f.g, &f.j[2]);
  run_until_version(&f, 1);
  ck_assert_ptr_eq(volt_as_ptr(o.value), b2);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(o.in_flight, 1);
  h_gate_open(&f.g, &f.j[1]);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert(f.j[1].saw_cancel);
  ck_assert(!f.j[2].saw_cancel);
  ck_assert_int_eq(b1->released, 1); /* late: released, never applied */
  ck_assert_int_eq(o.in_flight, 0);
  ck_assert_int_eq(volt_action_version(f.act), 1);
  ck_assert_ptr_eq(volt_as_ptr(volt_action_value(f.act)), b2);
  ck_assert_int_eq(o.nptrs, 1); /* the effect never saw b1 */
  ck_assert_ptr_eq(o.ptrs[0], b2);
  ck_assert_int_eq(watched, watched_before + 1); /* PENDING -> IDLE only */
  ck_assert_int_eq(o.bad, 0);
  fix_close(&f);
  ck_assert_int_eq(b2->released, 1);
  ck_assert_int_eq(h_pool_unreleased(&f.pool), 0);
}
END_TEST

START_TEST(action_timeout) {
  fix f;
  aobs o;
  fix_open(&f, NULL);
  h_box *b1 = h_box_new(&f.pool, 1);
  f.j[1].result = volt_ptr(b1);
  f.j[1].wait_cancel = true; /* returns only once told it is cancelled */
  volt_action_opts opts = box_opts(&f);
  opts.timeout_ms = 10;
  fix_action(&f, 0, &opts);
  aobs_start(&o, f.e.rt, f.act);
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(1)), 0);
  /* Running before the loop (and so the timer) runs: it will time out while
   * running, not while waiting (that case never runs the work at all). */
  h_gate_wait(&f.g, 1);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(volt_err_code(volt_token_error(f.act)), UV_ETIMEDOUT);
  ck_assert_int_eq(f.j[1].ran, 1);
  ck_assert(f.j[1].saw_cancel);
  ck_assert_int_eq(b1->released, 1);
  ck_assert(volt_is_nil(o.value));
  ck_assert_int_eq(o.version, 0);
  ck_assert_int_eq(o.in_flight, 0);
  /* a later run within its time succeeds */
  ck_assert_int_eq(volt_emit(f.ev, volt_int(2)), 0);
  ck_assert_int_eq(volt_token_status(f.act), VOLT_PENDING);
  fix_close(&f); /* job 2 (INT result) may or may not have run: either is fine */
  ck_assert_int_eq(h_pool_unreleased(&f.pool), 0);
}
END_TEST

START_TEST(action_dispose_in_flight) {
  fix f;
  fix_open(&f, NULL);
  h_box *b1 = h_box_new(&f.pool, 1);
  f.j[1].result = volt_ptr(b1);
  volt_action_opts opts = box_opts(&f);
  fix_action(&f, 0, &opts);
  ck_assert_int_eq(volt_emit(f.ev, volt_int(1)), 0);
  h_gate_wait(&f.g, 1);
  volt_dispose(f.act);
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert(f.j[1].saw_cancel);
  ck_assert_int_eq(b1->released, 1);
  ck_assert_uint_eq(h_stats(f.e.rt).work_in_flight, 0);
  fix_close(&f);
}
END_TEST

START_TEST(action_close_20_in_flight) {
  fix f;
  volt_node *evs[20];
  h_box *boxes[20];
  fix_open(&f, NULL);
  volt_action_opts opts = box_opts(&f);
  for (int i = 0; i < 20; i++) {
    boxes[i] = h_box_new(&f.pool, i);
    f.j[i].result = volt_ptr(boxes[i]);
    evs[i] = volt_event(f.e.rt);
    ck_assert_ptr_nonnull(volt_action(f.e.rt, evs[i], 0, action_work, f.j, &opts));
    ck_assert_int_eq(volt_emit(evs[i], volt_int(i)), 0);
  }
  int cap = h_pool_size() > 1 ? h_pool_size() - 1 : 1;
  if (cap > 20) cap = 20;
  ck_assert_uint_eq(h_stats(f.e.rt).work_in_flight, (size_t)cap);
  h_gate_wait(&f.g, cap); /* cap running, the others waiting */
  volt_rt_close(f.e.rt, h_count_closed, &f.e.closed);
  ck_assert_int_eq(f.e.closed, 0);
  h_gate_open(&f.g, NULL);
  ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(f.e.closed, 1);
  ck_assert_int_eq(uv_loop_close(f.e.lp), 0);
  ck_assert_int_eq(h_gate_started(&f.g), cap);
  for (int i = 0; i < 20; i++) {
    ck_assert_int_eq(boxes[i]->released, f.j[i].ran); /* returned: released, not applied */
    if (f.j[i].ran) ck_assert(f.j[i].saw_cancel);
  }
  ck_assert_int_eq(f.pool.bad, 0);
  ck_assert_uint_eq(f.e.alloc.live_bytes, 0);
  ck_assert_uint_eq(f.e.alloc.live_blocks, 0);
  h_gate_destroy(&f.g);
}
END_TEST

static volt_val times_ten(volt_work *w, void *ud) {
  (void)ud;
  return volt_int(volt_as_int(volt_work_stamp(w)) * 10);
}

START_TEST(action_state_source) {
  h_env e;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *sig = volt_signal(e.rt, volt_int(3), NULL);
  volt_node *a = volt_action(e.rt, sig, 0, times_ten, NULL, NULL);
  ck_assert_ptr_nonnull(a);
  ck_assert_int_eq(volt_token_status(a), VOLT_PENDING); /* on at creation */
  ck_assert_int_eq(volt_action_in_flight(a), 1);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(h_int(volt_action_value(a)), 30);
  ck_assert_int_eq(volt_set(sig, volt_int(4)), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(h_int(volt_action_value(a)), 40);
  ck_assert_int_eq(volt_action_version(a), 2);
  h_env_close(&e);
}
END_TEST

static bool below_three(volt_val v, void *ud) {
  (void)ud;
  return volt_as_int(v) < 3;
}

START_TEST(action_rearm) {
  h_env e;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *sig = volt_signal(e.rt, volt_int(0), NULL);
  volt_action_opts o;
  memset(&o, 0, sizeof o);
  o.on = below_three;
  volt_node *a = volt_action(e.rt, sig, VOLT_TOKEN_REARM, times_ten, NULL, &o);
  ck_assert_ptr_nonnull(a);
  /* On at creation (0 < 3); the source stays on: each ok ack mints again
   * at once, until the source is moved off. */
  while (volt_action_version(a) < 3) ck_assert_int_ge(uv_run(e.lp, UV_RUN_ONCE), 0);
  ck_assert_int_eq(volt_token_status(a), VOLT_PENDING); /* re-armed */
  ck_assert_int_eq(volt_set(sig, volt_int(5)), 0); /* off */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(volt_token_status(a), VOLT_IDLE);
  ck_assert_int_ge(volt_action_version(a), 4);
  h_env_close(&e);
}
END_TEST

typedef struct wrong_thread {
  volt_rt *rt;
  volt_node *ev, *act;
  volt_node *made;
  int64_t version;
  int in_flight;
  int value_code;
} wrong_thread;

static void action_from_thread(void *arg) {
  wrong_thread *w = arg;
  w->made = volt_action(w->rt, w->ev, 0, times_ten, NULL, NULL);
  w->version = volt_action_version(w->act);
  w->in_flight = volt_action_in_flight(w->act);
  w->value_code = volt_err_code(volt_action_value(w->act));
}

START_TEST(action_bad_arguments) {
  h_env e;
  volt_rt *ll = NULL;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *ev = volt_event(e.rt);
  ck_assert_ptr_null(volt_action(NULL, ev, 0, times_ten, NULL, NULL));
  ck_assert_ptr_null(volt_action(e.rt, NULL, 0, times_ten, NULL, NULL));
  ck_assert_ptr_null(volt_action(e.rt, ev, 0, NULL, NULL, NULL));
  ck_assert_ptr_null(volt_action(e.rt, ev, 0x100, times_ten, NULL, NULL));
  volt_node *eff = volt_effect(e.rt, h_eff1_fn, &(h_eff1){0});
  ck_assert_ptr_null(volt_action(e.rt, eff, 0, times_ten, NULL, NULL)); /* no value */
  volt_node *tok = volt_token(e.rt, ev, 0, NULL);
  ck_assert_int_eq(volt_action_version(tok), VOLT_EINVAL);
  ck_assert_int_eq(volt_action_in_flight(NULL), VOLT_EINVAL);
  ck_assert_int_eq(volt_err_code(volt_action_value(tok)), VOLT_EINVAL);

  volt_node *a = volt_action(e.rt, ev, 0, times_ten, NULL, NULL);
  ck_assert_ptr_nonnull(a);
  wrong_thread w = {e.rt, ev, a, NULL, 0, 0, 0};
  h_thread_run(0, action_from_thread, &w, 60, NULL);
  ck_assert_ptr_null(w.made);
  ck_assert_int_eq(w.version, VOLT_ETHREAD);
  ck_assert_int_eq(w.in_flight, VOLT_ETHREAD);
  ck_assert_int_eq(w.value_code, VOLT_ETHREAD);
  volt_dispose(a);
  ck_assert_int_eq(volt_action_version(a), VOLT_EINVAL);

  ck_assert_int_eq(volt_rt_new(&ll, NULL, NULL), 0);
  volt_node *lev = volt_event(ll);
  ck_assert_ptr_null(volt_action(ll, lev, 0, times_ten, NULL, NULL)); /* no pool */
  volt_rt_close(ll, NULL, NULL);
  h_env_close(&e);
}
END_TEST

START_TEST(action_alloc_failure) {
  fix f;
  aobs o;
  int failed = 0;
  fix_open(&f, NULL);
  fix_action(&f, 0, NULL);
  aobs_start(&o, f.e.rt, f.act);
  h_gate_open(&f.g, NULL);
  for (int k = 1; k < NJOBS; k++) {
    f.e.alloc.fail_at = f.e.alloc.calls + (size_t)(k % 3) + 1;
    f.e.alloc.fail_all_after = false;
    int rc = volt_emit(f.ev, volt_int(k));
    f.e.alloc.fail_at = 0;
    if (rc == VOLT_ENOMEM) continue;
    ck_assert_int_eq(rc, 0);
    ck_assert_int_eq(uv_run(f.e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_ne(o.status, VOLT_PENDING);
    if (o.status == VOLT_FAILED) {
      ck_assert_int_eq(volt_err_code(volt_token_error(f.act)), VOLT_ENOMEM);
      ck_assert_int_eq(f.j[k].ran, 0);
      failed++;
    } else {
      ck_assert_int_eq(h_int(o.value), 100 + k);
    }
  }
  ck_assert_int_gt(failed, 0);
  ck_assert_int_gt(o.version, 0);
  ck_assert_int_eq(o.bad, 0);
  fix_close(&f);
}
END_TEST

static Suite *action_suite(void) {
  Suite *s = suite_create("action");
  TCase *tc = h_tcase(s, "values");
  tcase_add_test(tc, action_value_version);
  tcase_add_test(tc, action_failure_keeps_value);
  tcase_add_test(tc, action_release_replaced);
  tcase_add_test(tc, action_state_source);
  tcase_add_test(tc, action_rearm);
  tc = h_tcase(s, "staleness");
  tcase_add_test(tc, action_cyclic_supersede);
  tcase_add_test(tc, action_timeout);
  tcase_add_test(tc, action_dispose_in_flight);
  tcase_add_test(tc, action_close_20_in_flight);
  tc = h_tcase(s, "misuse");
  tcase_add_test(tc, action_bad_arguments);
  tcase_add_test(tc, action_alloc_failure);
  return s;
}

int main(void) { return h_run(action_suite()); }
