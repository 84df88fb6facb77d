/* tests/test_tokens.c - tokens, acks, joins and events (include/volt/
 * token.h, docs/tokens.md), through the public API only. The cases that watch a token's transitions
 * through the internal hook (volt__token_observe) or pin its handle-table
 * slot are in test_internals.c.
 *
 * Most tests run twice (tcase_add_loop_test, _i = 0..1): on a loop-less
 * runtime and on a runtime attached to a fresh uv loop (sync flush).
 * h_env_close checks the close contract (uv_loop_close == 0) and that the
 * counting allocator is back to zero live bytes.
 *
 * Threads never call ck_assert: they record into plain structs, and the
 * test thread asserts after joining them.
 */
#include "harness.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_OPEN(e) h_env_open(&(e), _i, NULL)

/* ------------------------------------------------------------------------
 * Helpers (the token observer, h_obs / h_observe, is in harness.h: the
 * suite test_internals uses it too)
 * ------------------------------------------------------------------------ */

static void pump_close_cb(uv_async_t *h) { uv_close((uv_handle_t *)h, NULL); }

/* Lets the loop apply what other threads queued: the runtime's own handles
 * are unref'd, so a ref'd async keeps uv_run going for one iteration (its
 * send and the inbox's are seen by the same poll). Loop-less: volt_flush. */
static void pump(h_env *e) {
  if (e->lp) {
    uv_async_t keep;
    ck_assert_int_eq(uv_async_init(e->lp, &keep, pump_close_cb), 0);
    ck_assert_int_eq(uv_async_send(&keep), 0);
    ck_assert_int_eq(uv_run(e->lp, UV_RUN_DEFAULT), 0);
  } else {
    ck_assert_int_eq(volt_flush(e->rt), 0);
  }
}

static int64_t stamp_int(volt_node *tok) { return h_int(volt_token_stamp(tok)); }

/* ------------------------------------------------------------------------
 * §6 transitions, flags 0
 * ------------------------------------------------------------------------ */

static void noop(void *ud) { (void)ud; }

START_TEST(token_initial_state) {
  h_env e;
  volt_node *ev, *tok;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  ck_assert_ptr_nonnull(ev);
  tok = volt_token(e.rt, ev, 0, NULL);
  ck_assert_ptr_nonnull(tok);
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  ck_assert(volt_ack_is_none(volt_token_ack(tok)));
  ck_assert(volt_is_nil(volt_token_error(tok)));
  ck_assert(volt_is_nil(volt_token_stamp(tok)));
  ck_assert_int_eq(h_int(volt_peek(tok)), VOLT_IDLE);
  /* bad arguments */
  ck_assert_ptr_null(volt_token(e.rt, NULL, 0, NULL));
  ck_assert_ptr_null(volt_token(NULL, ev, 0, NULL));
  ck_assert_ptr_null(volt_token(e.rt, ev, 0x100, NULL));
  {
    volt_node *sc = volt_scope(e.rt, noop, NULL);
    ck_assert_ptr_null(volt_token(e.rt, sc, 0, NULL));
  }
  ck_assert_int_eq(volt_token_status(ev), VOLT_EINVAL);
  ck_assert_int_eq(volt_token_status(NULL), VOLT_EINVAL);
  ck_assert(volt_ack_is_none(volt_token_ack(ev)));
  ck_assert_int_eq(volt_err_code(volt_token_error(ev)), VOLT_EINVAL);
  ck_assert_int_eq(volt_err_code(volt_token_stamp(ev)), VOLT_EINVAL);
  h_env_close(&e);
}
END_TEST

START_TEST(token_idle_fire_ack_ok) {
  h_env e;
  h_obs o;
  volt_node *ev, *tok;
  volt_ack a;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  h_observe(&o, e.rt, tok);
  ck_assert_int_eq(o.status, VOLT_IDLE);

  /* IDLE --fire--> PENDING with a new ack, stamped with the payload */
  ck_assert_int_eq(volt_emit(ev, volt_int(7)), 0);
  ck_assert_int_eq(o.runs, 2);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert(!volt_ack_is_none(o.ack));
  ck_assert_int_eq(h_int(o.stamp), 7);
  a = volt_token_ack(tok);
  ck_assert(volt_ack_eq(a, o.ack));
  ck_assert_ptr_eq(a.rt, e.rt);
  ck_assert_int_eq(h_int(volt_peek(tok)), VOLT_PENDING);

  /* PENDING --ack ok--> IDLE; the stamp goes (not STAMPED) */
  ck_assert_int_eq(volt_ack_ok(a), 0);
  ck_assert_int_eq(o.runs, 3);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert(volt_ack_is_none(o.ack));
  ck_assert(volt_is_nil(o.stamp));
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_pending_drops_events) {
  h_env e;
  h_obs o;
  volt_node *ev, *tok;
  volt_ack a;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  h_observe(&o, e.rt, tok);
  ck_assert_int_eq(volt_emit(ev, volt_int(1)), 0);
  a = volt_token_ack(tok);
  ck_assert_int_eq(o.runs, 2);
  /* PENDING --fire--> dropped: same ack, same stamp, nobody notified */
  ck_assert_int_eq(volt_emit(ev, volt_int(2)), 0);
  ck_assert_int_eq(volt_emit(ev, volt_int(3)), 0);
  ck_assert_int_eq(o.runs, 2);
  ck_assert(volt_ack_eq(volt_token_ack(tok), a));
  ck_assert_int_eq(stamp_int(tok), 1);
  /* the event itself did change */
  ck_assert_int_eq(h_int(volt_peek(ev)), 3);
  ck_assert_int_eq(volt_ack_ok(a), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_ack_fail_and_retry) {
  h_env e;
  h_obs o;
  volt_node *ev, *tok;
  volt_ack a, b;
  char msg[32];
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  h_observe(&o, e.rt, tok);
  volt_emit(ev, volt_int(1));
  a = volt_token_ack(tok);

  /* PENDING --fail--> FAILED(err); the message is copied */
  strcpy(msg, "disk full");
  ck_assert_int_eq(volt_ack_fail(a, -28, msg), 0);
  memset(msg, 'x', sizeof msg - 1);
  ck_assert_int_eq(o.runs, 3);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(o.err, -28);
  ck_assert_str_eq(o.msg, "disk full");
  ck_assert_str_eq(volt_err_msg(volt_token_error(tok)), "disk full");
  ck_assert(volt_ack_is_none(volt_token_ack(tok)));
  ck_assert(volt_is_nil(volt_token_stamp(tok)));

  /* FAILED --fire--> PENDING, new ack, error cleared in one transition */
  ck_assert_int_eq(volt_emit(ev, volt_int(2)), 0);
  ck_assert_int_eq(o.runs, 4);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(o.err, 0);
  b = volt_token_ack(tok);
  ck_assert(!volt_ack_eq(a, b));
  ck_assert_int_eq(stamp_int(tok), 2);
  ck_assert(volt_is_nil(volt_token_error(tok)));
  /* never PENDING with an error, never FAILED without */
  ck_assert_int_eq(o.bad, 0);

  /* a failure with no message */
  ck_assert_int_eq(volt_ack_fail(b, -5, NULL), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(o.err, -5);
  ck_assert_str_eq(o.msg, "");
  h_env_close(&e);
}
END_TEST

START_TEST(token_stale_acks_change_nothing) {
  h_env e;
  h_obs o;
  volt_node *ev, *tok;
  volt_ack a, b, fake;
  int runs;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  h_observe(&o, e.rt, tok);

  /* NONE */
  ck_assert_int_eq(volt_ack_ok(VOLT_ACK_NONE), VOLT_EINVAL);
  ck_assert_int_eq(volt_ack_fail(VOLT_ACK_NONE, -1, "x"), VOLT_EINVAL);

  volt_emit(ev, volt_nil()); /* NIL payloads count for events */
  ck_assert_int_eq(o.status, VOLT_PENDING);
  a = volt_token_ack(tok);

  /* made up: other id, other gen, out of range, no runtime */
  fake = a;
  fake.gen += 1;
  ck_assert_int_eq(volt_ack_ok(fake), VOLT_ESTALE);
  fake = a;
  fake.gen -= 1;
  ck_assert_int_eq(volt_ack_fail(fake, -1, "no"), VOLT_ESTALE);
  fake = a;
  fake.id += 1000;
  ck_assert_int_eq(volt_ack_ok(fake), VOLT_ESTALE);
  fake.id = 0xffffffffu;
  ck_assert_int_eq(volt_ack_ok(fake), VOLT_ESTALE);
  fake = a;
  fake.rt = NULL;
  ck_assert_int_eq(volt_ack_ok(fake), VOLT_ESTALE);
  ck_assert_int_eq(o.runs, 2);
  ck_assert_int_eq(o.status, VOLT_PENDING);

  /* ok, then repeated: ok again, fail again */
  ck_assert_int_eq(volt_ack_ok(a), 0);
  runs = o.runs;
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_fail(a, -1, "late"), VOLT_ESTALE);
  /* made up: the generation the consumed mint advanced to, while idle */
  fake = a;
  fake.gen += 1;
  ck_assert_int_eq(volt_ack_fail(fake, -1, "forged"), VOLT_ESTALE);
  ck_assert_int_eq(o.runs, runs);
  ck_assert_int_eq(o.status, VOLT_IDLE);

  /* stale in PENDING: the old ack does not touch the new mint */
  volt_emit(ev, volt_int(1));
  b = volt_token_ack(tok);
  ck_assert(!volt_ack_eq(a, b));
  runs = o.runs;
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_fail(a, -1, "late"), VOLT_ESTALE);
  ck_assert_int_eq(o.runs, runs);
  ck_assert(volt_ack_eq(volt_token_ack(tok), b));

  /* stale in FAILED */
  ck_assert_int_eq(volt_ack_fail(b, -2, "boom"), 0);
  runs = o.runs;
  ck_assert_int_eq(volt_ack_ok(b), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_fail(b, -3, "again"), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(o.runs, runs);
  ck_assert_int_eq(o.err, -2);
  ck_assert_str_eq(o.msg, "boom");
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_disposed_acks_stale) {
  h_env e;
  volt_node *ev, *tok, *tok2;
  volt_ack a, b;
  int i;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  volt_emit(ev, volt_int(1));
  a = volt_token_ack(tok);
  volt_dispose(tok);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_fail(a, -1, "x"), VOLT_ESTALE);
  /* later tokens never get an ack equal to the disposed one's (that the
   * slot is reused is pinned by test_internals:token_id_reused_new_generation) */
  for (i = 0; i < 8; i++) {
    tok2 = volt_token(e.rt, ev, 0, NULL);
    ck_assert_ptr_nonnull(tok2);
    volt_emit(ev, volt_int(2));
    b = volt_token_ack(tok2);
    ck_assert(!volt_ack_eq(a, b));
    ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
    ck_assert_int_eq(volt_token_status(tok2), VOLT_PENDING);
    volt_dispose(tok2);
    ck_assert_int_eq(volt_ack_ok(b), VOLT_ESTALE);
  }
  h_env_close(&e);
}
END_TEST

/* The effect used by token_ack_in_flush. */
typedef struct acker {
  volt_node *tok;
  int runs, acks, last_rc, fail;
} acker;

static void acker_fn(void *ud) {
  acker *w = ud;
  volt_ack a;
  w->runs++;
  a = volt_token_ack(w->tok);
  if (!volt_ack_is_none(a)) {
    w->last_rc = w->fail ? volt_ack_fail(a, -7, "from effect") : volt_ack_ok(a);
    w->acks++;
  }
}

START_TEST(token_ack_in_flush) {
  h_env e;
  h_obs o;
  acker w;
  volt_node *ev, *tok;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  h_observe(&o, e.rt, tok);
  memset(&w, 0, sizeof w);
  w.tok = tok;
  ck_assert_ptr_nonnull(volt_effect(e.rt, acker_fn, &w));
  ck_assert_int_eq(w.runs, 1);

  ck_assert_int_eq(volt_emit(ev, volt_int(1)), 0);
  /* the effect saw PENDING, acked, and ran again (IDLE) in the same flush */
  ck_assert_int_eq(w.acks, 1);
  ck_assert_int_eq(w.last_rc, 0);
  ck_assert_int_eq(w.runs, 3);
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(o.bad, 0);

  w.fail = 1;
  ck_assert_int_eq(volt_emit(ev, volt_int(2)), 0);
  ck_assert_int_eq(w.acks, 2);
  ck_assert_int_eq(volt_token_status(tok), VOLT_FAILED);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(o.err, -7);

  /* the same inside a batch: nothing runs until the end */
  volt_batch_begin(e.rt);
  volt_emit(ev, volt_int(3));
  ck_assert_int_eq(w.acks, 2);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(w.acks, 3);
  ck_assert_int_eq(volt_token_status(tok), VOLT_FAILED);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Flags
 * ------------------------------------------------------------------------ */

START_TEST(token_stamped) {
  h_env e;
  volt_node *ev, *tok, *plain;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_STAMPED, NULL);
  plain = volt_token(e.rt, ev, 0, NULL);
  ck_assert(volt_is_nil(volt_token_stamp(tok)));
  /* the first payload stamps; dropped events do not re-stamp */
  volt_emit(ev, volt_int(10));
  volt_emit(ev, volt_int(11));
  ck_assert_int_eq(stamp_int(tok), 10);
  ck_assert_int_eq(stamp_int(plain), 10);
  /* kept after the ack (not for a plain token) */
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(plain)), 0);
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  ck_assert_int_eq(stamp_int(tok), 10);
  ck_assert(volt_is_nil(volt_token_stamp(plain)));
  /* next mint re-stamps; kept after a failure too */
  volt_emit(ev, volt_int(12));
  ck_assert_int_eq(stamp_int(tok), 12);
  ck_assert_int_eq(volt_ack_fail(volt_token_ack(tok), -1, "x"), 0);
  ck_assert_int_eq(volt_token_status(tok), VOLT_FAILED);
  ck_assert_int_eq(stamp_int(tok), 12);
  volt_emit(ev, volt_int(13)); /* retry re-stamps */
  ck_assert_int_eq(stamp_int(tok), 13);
  h_env_close(&e);
}
END_TEST

START_TEST(token_stamped_cyclic_restamps) {
  h_env e;
  volt_node *ev, *tok;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_STAMPED | VOLT_TOKEN_CYCLIC, NULL);
  volt_emit(ev, volt_int(1));
  volt_emit(ev, volt_int(2));
  ck_assert_int_eq(stamp_int(tok), 2);
  volt_emit(ev, volt_int(3));
  ck_assert_int_eq(stamp_int(tok), 3);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(stamp_int(tok), 3);
  h_env_close(&e);
}
END_TEST

START_TEST(token_rearm_event) {
  h_env e;
  h_obs o;
  volt_node *ev, *tok;
  volt_ack a, b;
  int runs;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_REARM, NULL);
  h_observe(&o, e.rt, tok);
  /* nothing dropped: an ok ack goes IDLE */
  volt_emit(ev, volt_int(1));
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);

  /* events dropped while pending: the ack re-mints at once, stamped with the
   * newest dropped one; IDLE is never visible */
  volt_emit(ev, volt_int(2));
  a = volt_token_ack(tok);
  runs = o.runs;
  volt_emit(ev, volt_int(3));
  volt_emit(ev, volt_int(4));
  ck_assert_int_eq(o.runs, runs); /* drops notify nobody */
  ck_assert_int_eq(volt_ack_ok(a), 0);
  ck_assert_int_eq(o.runs, runs + 1);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  b = volt_token_ack(tok);
  ck_assert(!volt_ack_eq(a, b));
  ck_assert_int_eq(h_int(o.stamp), 4);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  /* drained: the next ack goes IDLE */
  ck_assert_int_eq(volt_ack_ok(b), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);

  /* after a failing ack it waits in FAILED (drops forgotten) */
  volt_emit(ev, volt_int(5));
  volt_emit(ev, volt_int(6));
  ck_assert_int_eq(volt_ack_fail(volt_token_ack(tok), -1, "f"), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  volt_emit(ev, volt_int(7));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(o.stamp), 7);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_rearm_state) {
  h_env e;
  h_obs o;
  volt_node *sig, *tok;
  volt_ack a;
  ENV_OPEN(e);
  sig = volt_signal(e.rt, volt_nil(), NULL);
  tok = volt_token(e.rt, sig, VOLT_TOKEN_REARM | VOLT_TOKEN_STAMPED, NULL);
  h_observe(&o, e.rt, tok);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  volt_set(sig, volt_int(1));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  a = volt_token_ack(tok);
  volt_set(sig, volt_int(2)); /* dropped */
  ck_assert(volt_ack_eq(volt_token_ack(tok), a));
  /* still on at the ack: mint again at once with the current value */
  ck_assert_int_eq(volt_ack_ok(a), 0);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert(!volt_ack_eq(o.ack, a));
  ck_assert_int_eq(h_int(o.stamp), 2);
  /* still on even without a change: a queue drainer keeps going */
  a = volt_token_ack(tok);
  ck_assert_int_eq(volt_ack_ok(a), 0);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  /* off: the ack goes IDLE, the stamp stays (STAMPED) */
  volt_set(sig, volt_nil());
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(h_int(o.stamp), 2);
  /* failing: waits in FAILED even though the source is on */
  volt_set(sig, volt_int(3));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(volt_ack_fail(volt_token_ack(tok), -1, "f"), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Sources
 * ------------------------------------------------------------------------ */

static bool above_10(volt_val v, void *ud) {
  int *calls = ud;
  if (calls) (*calls)++;
  return volt_as_int(v) > 10;
}

START_TEST(token_state_source_custom_on) {
  h_env e;
  h_obs o;
  volt_node *sig, *tok, *tok2;
  volt_token_opts opts;
  int calls = 0;
  ENV_OPEN(e);
  memset(&opts, 0, sizeof opts);
  opts.on = above_10;
  opts.ud = &calls;
  opts.name = "big";
  /* already on at creation: mints at once */
  sig = volt_signal(e.rt, volt_int(20), NULL);
  tok2 = volt_token(e.rt, sig, 0, &opts);
  ck_assert_int_eq(volt_token_status(tok2), VOLT_PENDING);
  ck_assert_int_eq(stamp_int(tok2), 20);
  ck_assert_str_eq(volt_node_name(tok2), "big");

  volt_set(sig, volt_int(0));
  tok = volt_token(e.rt, sig, 0, &opts);
  h_observe(&o, e.rt, tok);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  volt_set(sig, volt_int(5)); /* a change, but not on */
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(o.runs, 1);
  volt_set(sig, volt_int(11));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(o.stamp), 11);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  /* no change, no event: writing the same value again */
  volt_set(sig, volt_int(11));
  ck_assert_int_eq(o.status, VOLT_IDLE);
  /* a change to another "on" value counts */
  volt_set(sig, volt_int(12));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  /* a change to an off value does not cancel */
  volt_set(sig, volt_int(1));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(o.stamp), 12);
  ck_assert_int_gt(calls, 0);
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_state_source_default_on) {
  h_env e;
  h_obs o;
  volt_node *sig, *tok;
  ENV_OPEN(e);
  sig = volt_signal(e.rt, volt_nil(), NULL);
  tok = volt_token(e.rt, sig, 0, NULL);
  h_observe(&o, e.rt, tok);
  /* default: not NIL counts, false too */
  volt_set(sig, volt_bool(false));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  volt_set(sig, volt_nil());
  ck_assert_int_eq(o.status, VOLT_IDLE);
  /* a write reverted within a batch notifies nobody */
  volt_batch_begin(e.rt);
  volt_set(sig, volt_int(1));
  volt_set(sig, volt_nil());
  volt_batch_end(e.rt);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  h_env_close(&e);
}
END_TEST

typedef struct dbl {
  volt_node *src;
} dbl;

static volt_val dbl_fn(void *ud) {
  dbl *d = ud;
  volt_val v = volt_get(d->src);
  return volt_is_nil(v) ? v : volt_int(2 * volt_as_int(v));
}

START_TEST(token_computed_source) {
  h_env e;
  h_obs o;
  dbl d;
  volt_node *sig, *comp, *tok;
  ENV_OPEN(e);
  sig = volt_signal(e.rt, volt_nil(), NULL);
  d.src = sig;
  comp = volt_computed(e.rt, dbl_fn, &d, NULL);
  tok = volt_token(e.rt, comp, 0, NULL);
  h_observe(&o, e.rt, tok);
  volt_set(sig, volt_int(2));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(o.stamp), 4);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  volt_set(sig, volt_int(3));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(o.stamp), 6);
  h_env_close(&e);
}
END_TEST

/* An effect created before the token reads both the source and the token:
 * it must never see the source on and the token lagging behind. */
typedef struct glitch {
  volt_node *sig, *tok;
  int runs, bad;
} glitch;

static void glitch_fn(void *ud) {
  glitch *g = ud;
  volt_val v = volt_get(g->sig);
  int st;
  g->runs++;
  if (!g->tok) return;
  st = volt_token_status(g->tok);
  if (volt_as_int(v) > 10 && st == VOLT_IDLE) g->bad++;
}

START_TEST(token_reads_never_lag_source) {
  h_env e;
  glitch g;
  volt_node *sig;
  volt_token_opts opts;
  ENV_OPEN(e);
  memset(&g, 0, sizeof g);
  memset(&opts, 0, sizeof opts);
  opts.on = above_10;
  sig = volt_signal(e.rt, volt_int(0), NULL);
  g.sig = sig;
  ck_assert_ptr_nonnull(volt_effect(e.rt, glitch_fn, &g)); /* subscribes first */
  g.tok = volt_token(e.rt, sig, 0, &opts);
  volt_set(sig, volt_int(1)); /* re-run: now reads the token too */
  volt_set(sig, volt_int(0));
  ck_assert_int_eq(g.bad, 0);
  volt_set(sig, volt_int(20));
  ck_assert_int_eq(g.bad, 0);
  ck_assert_int_eq(volt_token_status(g.tok), VOLT_PENDING);
  h_env_close(&e);
}
END_TEST

static bool only_even(volt_val v, void *ud) {
  (void)ud;
  return volt_as_int(v) % 2 == 0;
}

START_TEST(token_event_custom_on) {
  h_env e;
  volt_node *ev, *tok;
  volt_token_opts opts;
  ENV_OPEN(e);
  memset(&opts, 0, sizeof opts);
  opts.on = only_even;
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, &opts);
  volt_emit(ev, volt_int(1));
  ck_assert_int_eq(volt_token_status(tok), VOLT_IDLE);
  volt_emit(ev, volt_int(2));
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  h_env_close(&e);
}
END_TEST

START_TEST(token_source_disposed) {
  h_env e;
  volt_node *sig, *ev, *t1, *t2;
  ENV_OPEN(e);
  sig = volt_signal(e.rt, volt_nil(), NULL);
  ev = volt_event(e.rt);
  t1 = volt_token(e.rt, sig, VOLT_TOKEN_REARM, NULL);
  t2 = volt_token(e.rt, ev, 0, NULL);
  volt_set(sig, volt_int(1));
  ck_assert_int_eq(volt_token_status(t1), VOLT_PENDING);
  volt_dispose(sig);
  volt_dispose(ev);
  /* the tokens live on; acks still work; nothing re-arms */
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(t1)), 0);
  ck_assert_int_eq(volt_token_status(t1), VOLT_IDLE);
  ck_assert_int_eq(volt_token_status(t2), VOLT_IDLE);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Stamps that are heap payloads (PTR): copy / release hooks
 * ------------------------------------------------------------------------ */

typedef struct refbox {
  int refs;
  int64_t v;
} refbox;

static volt_val ref_copy(volt_val v, void *ud) {
  (void)ud;
  ((refbox *)volt_as_ptr(v))->refs++;
  return v;
}

static void ref_release(volt_val v, void *ud) {
  int *releases = ud;
  ((refbox *)volt_as_ptr(v))->refs--;
  (*releases)++;
}

START_TEST(token_ptr_stamps) {
  h_env e;
  refbox b[4];
  int ev_rel = 0, tok_rel = 0;
  volt_opts eo;
  volt_token_opts to;
  volt_node *ev, *tok;
  int i;
  ENV_OPEN(e);
  memset(b, 0, sizeof b);
  for (i = 0; i < 4; i++) b[i].refs = 1; /* the event's reference */
  memset(&eo, 0, sizeof eo);
  eo.release = ref_release;
  eo.ud = &ev_rel;
  memset(&to, 0, sizeof to);
  to.copy = ref_copy;
  to.release = ref_release;
  to.ud = &tok_rel;
  ev = volt_event_opts(e.rt, &eo);
  ck_assert_ptr_nonnull(ev);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_STAMPED, &to);
  volt_emit(ev, volt_ptr(&b[0]));
  ck_assert_int_eq(b[0].refs, 2);
  volt_emit(ev, volt_ptr(&b[1])); /* dropped: not copied; b[0] released by the event */
  ck_assert_int_eq(b[0].refs, 1);
  ck_assert_int_eq(b[1].refs, 1);
  ck_assert_ptr_eq(volt_as_ptr(volt_token_stamp(tok)), &b[0]);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  ck_assert_int_eq(b[0].refs, 1); /* STAMPED keeps it */
  volt_emit(ev, volt_ptr(&b[2]));
  ck_assert_int_eq(b[0].refs, 0); /* replaced */
  ck_assert_int_eq(b[2].refs, 2);
  /* the same pointer emitted twice: taken once */
  volt_emit(ev, volt_ptr(&b[3]));
  volt_emit(ev, volt_ptr(&b[3]));
  ck_assert_int_eq(b[3].refs, 1);
  volt_dispose(tok);
  ck_assert_int_eq(b[2].refs, 0);
  volt_dispose(ev);
  for (i = 0; i < 4; i++) ck_assert_int_eq(b[i].refs, 0);
  ck_assert_int_eq(tok_rel, 2);
  ck_assert_int_eq(ev_rel, 4);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Events
 * ------------------------------------------------------------------------ */

typedef struct evcount {
  volt_node *ev;
  int runs;
  int64_t last;
} evcount;

static void evcount_fn(void *ud) {
  evcount *c = ud;
  c->runs++;
  c->last = volt_as_int(volt_get(c->ev));
}

static volt_val emit_in_computed(void *ud) {
  volt_node *ev = ud;
  return volt_int(volt_emit(ev, volt_int(1)));
}

typedef struct thr_emit {
  volt_node *ev;
  int rc;
} thr_emit;

static void thr_emit_fn(void *ud) {
  thr_emit *t = ud;
  t->rc = volt_emit(t->ev, volt_int(1));
}

START_TEST(event_basics) {
  h_env e;
  evcount c;
  h_pool pool;
  volt_opts eo;
  volt_node *ev, *sig, *comp;
  uv_thread_t th;
  thr_emit te;
  ENV_OPEN(e);
  h_pool_init(&pool);
  memset(&eo, 0, sizeof eo);
  eo.release = h_box_release;
  eo.ud = &pool;
  eo.name = "clicks";
  ev = volt_event_opts(e.rt, &eo);
  ck_assert_str_eq(volt_node_name(ev), "clicks");
  ck_assert(volt_is_nil(volt_peek(ev)));
  memset(&c, 0, sizeof c);
  c.ev = ev;
  ck_assert_ptr_nonnull(volt_effect(e.rt, evcount_fn, &c));
  ck_assert_int_eq(volt_emit(ev, volt_int(3)), 0);
  ck_assert_int_eq(c.runs, 2);
  ck_assert_int_eq(c.last, 3);
  /* an equal payload is still an occurrence */
  ck_assert_int_eq(volt_emit(ev, volt_int(3)), 0);
  ck_assert_int_eq(c.runs, 3);
  /* two in a batch: readers see the latest once */
  volt_batch_begin(e.rt);
  volt_emit(ev, volt_int(4));
  volt_emit(ev, volt_int(5));
  volt_batch_end(e.rt);
  ck_assert_int_eq(c.runs, 4);
  ck_assert_int_eq(c.last, 5);
  /* PTR payloads are released when replaced and at disposal */
  volt_emit(ev, volt_ptr(h_box_new(&pool, 1)));
  volt_emit(ev, volt_ptr(h_box_new(&pool, 2)));
  ck_assert_int_eq(pool.box[0].released, 1);
  ck_assert_int_eq(pool.box[1].released, 0);
  /* errors */
  sig = volt_signal(e.rt, volt_nil(), NULL);
  ck_assert_int_eq(volt_emit(sig, volt_int(1)), VOLT_EINVAL);
  ck_assert_int_eq(volt_emit(NULL, volt_int(1)), VOLT_EINVAL);
  ck_assert_int_eq(volt_emit_async(sig, volt_int(1)), VOLT_EINVAL);
  ck_assert_int_eq(volt_emit_async(NULL, volt_int(1)), VOLT_EINVAL);
  comp = volt_computed(e.rt, emit_in_computed, ev, NULL);
  ck_assert_int_eq(h_int(volt_peek(comp)), VOLT_EPERM);
  te.ev = ev;
  te.rc = 0;
  ck_assert_int_eq(uv_thread_create(&th, thr_emit_fn, &te), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(te.rc, VOLT_ETHREAD);
  volt_dispose(ev);
  ck_assert_int_eq(pool.box[1].released, 1);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  h_env_close(&e);
}
END_TEST

/* volt_emit_async on the loop thread, on an event disposed there: refused
 * (VOLT_EINVAL) before the event's record, freed with it, is read (ASan
 * reported a use after free). */
START_TEST(event_emit_async_disposed_on_loop) {
  h_env e;
  ENV_OPEN(e);
  volt_node *ev = volt_event(e.rt);
  ck_assert_ptr_nonnull(ev);
  volt_dispose(ev);
  ck_assert_int_eq(volt_emit_async(ev, volt_int(1)), VOLT_EINVAL);
  h_env_close(&e);
}
END_TEST

START_TEST(event_emit_async_same_thread) {
  h_env e;
  evcount c;
  h_pool pool;
  volt_opts eo;
  volt_node *ev, *ev2, *tok;
  ENV_OPEN(e);
  h_pool_init(&pool);
  memset(&eo, 0, sizeof eo);
  eo.release = h_box_release;
  eo.ud = &pool;
  ev = volt_event_opts(e.rt, &eo);
  ev2 = volt_event_opts(e.rt, &eo);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_CYCLIC, NULL);
  memset(&c, 0, sizeof c);
  c.ev = ev;
  volt_effect(e.rt, evcount_fn, &c);
  /* queued, applied later (volt_flush drains; with a loop, uv_run does) */
  ck_assert_int_eq(volt_emit_async(ev, volt_int(1)), 0);
  ck_assert_int_eq(volt_emit_async(ev, volt_int(2)), 0);
  {
    /* The message is the caller's only for the call: the queue keeps a
     * copy (the buffer is overwritten before the item is applied). */
    char msg[] = "an error payload";
    ck_assert_int_eq(volt_emit_async(ev, volt_err(-3, msg)), 0);
    memset(msg, 'x', sizeof msg - 1);
  }
  ck_assert_int_eq(c.runs, 1);
  /* an event disposed with emits still queued: dropped, payload released */
  ck_assert_int_eq(volt_emit_async(ev2, volt_ptr(h_box_new(&pool, 9))), 0);
  volt_dispose(ev2);
  pump(&e);
  ck_assert_int_eq(c.runs, 2); /* one drain, one flush */
  ck_assert_int_eq(volt_err_code(volt_peek(ev)), -3);
  ck_assert_str_eq(volt_err_msg(volt_peek(ev)), "an error payload");
  ck_assert_int_eq(volt_err_code(volt_token_stamp(tok)), -3);
  ck_assert_int_eq(pool.box[0].released, 1);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Joins
 * ------------------------------------------------------------------------ */

START_TEST(join_failure_fans_out) {
  h_env e;
  volt_node *ev, *t[3];
  volt_ack acks[3], j;
  int i;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  for (i = 0; i < 3; i++) t[i] = volt_token(e.rt, ev, 0, NULL);
  volt_emit(ev, volt_int(1));
  for (i = 0; i < 3; i++) acks[i] = volt_token_ack(t[i]);
  j = volt_ack_join(e.rt, acks, 3);
  /* one child acked directly first: skipped by the join */
  ck_assert_int_eq(volt_ack_ok(acks[1]), 0);
  ck_assert_int_eq(volt_ack_fail(j, -9, "rejected"), 0);
  ck_assert_int_eq(volt_token_status(t[0]), VOLT_FAILED);
  ck_assert_int_eq(volt_token_status(t[1]), VOLT_IDLE);
  ck_assert_int_eq(volt_token_status(t[2]), VOLT_FAILED);
  ck_assert_str_eq(volt_err_msg(volt_token_error(t[2])), "rejected");
  ck_assert_int_eq(volt_err_code(volt_token_error(t[0])), -9);
  h_env_close(&e);
}
END_TEST

START_TEST(join_none_and_stale_children) {
  h_env e;
  volt_node *ev, *t[2];
  volt_ack acks[3], j, stale;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  t[0] = volt_token(e.rt, ev, 0, NULL);
  t[1] = volt_token(e.rt, ev, 0, NULL);
  /* nothing live */
  ck_assert(volt_ack_is_none(volt_ack_join(e.rt, NULL, 0)));
  acks[0] = acks[1] = acks[2] = VOLT_ACK_NONE;
  ck_assert(volt_ack_is_none(volt_ack_join(e.rt, acks, 3)));
  volt_emit(ev, volt_int(1));
  stale = volt_token_ack(t[0]);
  volt_ack_ok(stale);
  acks[0] = stale;
  ck_assert(volt_ack_is_none(volt_ack_join(e.rt, acks, 3)));
  /* one live child: the join acks exactly it */
  acks[1] = volt_token_ack(t[1]);
  j = volt_ack_join(e.rt, acks, 3);
  ck_assert(!volt_ack_is_none(j));
  ck_assert_int_eq(volt_ack_ok(j), 0);
  ck_assert_int_eq(volt_token_status(t[1]), VOLT_IDLE);
  ck_assert_int_eq(volt_ack_ok(j), VOLT_ESTALE);
  /* all children went stale before the join is acked: ESTALE */
  volt_emit(ev, volt_int(2));
  acks[0] = volt_token_ack(t[0]);
  acks[1] = volt_token_ack(t[1]);
  j = volt_ack_join(e.rt, acks, 2);
  volt_ack_ok(acks[0]);
  volt_ack_ok(acks[1]);
  ck_assert_int_eq(volt_ack_ok(j), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_join(NULL, acks, 2).id, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(join_unacked_joins_are_swept) {
  /* Joins never acked whose children all went stale are reclaimed when the
   * table would grow: memory stays bounded. */
  h_env e;
  volt_node *ev, *t[2];
  volt_ack a[2];
  size_t bytes_mid = 0;
  int i;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  t[0] = volt_token(e.rt, ev, 0, NULL);
  t[1] = volt_token(e.rt, ev, 0, NULL);
  for (i = 0; i < 20000; i++) {
    volt_emit(ev, volt_int(i));
    a[0] = volt_token_ack(t[0]);
    a[1] = volt_token_ack(t[1]);
    ck_assert(!volt_ack_is_none(volt_ack_join(e.rt, a, 2)));
    volt_ack_ok(a[0]);
    volt_ack_ok(a[1]);
    if (i == 10000) bytes_mid = e.alloc.live_bytes;
  }
  ck_assert_uint_le(e.alloc.live_bytes, bytes_mid + 4096);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Threads
 * ------------------------------------------------------------------------ */

#define N_TOKENS 100000
#define N_THREADS 4

typedef struct mass {
  volt_rt *rt;
  volt_ack *acks;
  int from, to;
  int errors;   /* acks that did not return 0 */
  int acquired; /* volt_rt_acquire result */
  uv_async_t *done;
  atomic_int *finished;
} mass;

static void mass_thread(void *ud) {
  mass *m = ud;
  m->acquired = volt_rt_acquire(m->rt);
  for (int i = m->from; i < m->to; i++) {
    int rc = (i % 3 == 0) ? volt_ack_fail(m->acks[i], -(i % 100) - 1, "thread failure")
                          : volt_ack_ok(m->acks[i]);
    if (rc != 0) m->errors++;
  }
  /* a repeated ack from another thread is accepted (queued) and dropped */
  if (m->from < m->to && volt_ack_ok(m->acks[m->from]) != 0) m->errors++;
  if (m->acquired == 0) volt_rt_release(m->rt);
  /* the last thread to finish wakes the loop (one send, so the handle is
   * never sent to after the callback closed it) */
  if (atomic_fetch_add(m->finished, 1) + 1 == N_THREADS && m->done) uv_async_send(m->done);
}

static void mass_done_cb(uv_async_t *h) { uv_close((uv_handle_t *)h, NULL); }

START_TEST(threads_ack_100k) {
  h_env e;
  volt_node *ev;
  volt_node **toks;
  volt_ack *acks;
  mass m[N_THREADS];
  uv_thread_t th[N_THREADS];
  uv_async_t done;
  atomic_int finished;
  int i, idle = 0, failed = 0;
  ENV_OPEN(e);
  toks = malloc(sizeof *toks * N_TOKENS);
  acks = malloc(sizeof *acks * N_TOKENS);
  ck_assert_ptr_nonnull(toks);
  ck_assert_ptr_nonnull(acks);
  ev = volt_event(e.rt);
  for (i = 0; i < N_TOKENS; i++) {
    toks[i] = volt_token(e.rt, ev, 0, NULL);
    ck_assert_ptr_nonnull(toks[i]);
  }
  ck_assert_int_eq(volt_emit(ev, volt_int(1)), 0);
  for (i = 0; i < N_TOKENS; i++) {
    acks[i] = volt_token_ack(toks[i]);
    ck_assert(!volt_ack_is_none(acks[i]));
  }
  atomic_init(&finished, 0);
  if (e.lp) ck_assert_int_eq(uv_async_init(e.lp, &done, mass_done_cb), 0);
  for (i = 0; i < N_THREADS; i++) {
    m[i].rt = e.rt;
    m[i].acks = acks;
    m[i].from = i * (N_TOKENS / N_THREADS);
    m[i].to = (i + 1) * (N_TOKENS / N_THREADS);
    m[i].errors = 0;
    m[i].acquired = -1;
    m[i].done = e.lp ? &done : NULL;
    m[i].finished = &finished;
  }
  for (i = 0; i < N_THREADS; i++)
    ck_assert_int_eq(uv_thread_create(&th[i], mass_thread, &m[i]), 0);
  if (e.lp) {
    /* The loop applies acks while the threads still push; the ref'd done
     * handle keeps it running until the last thread has finished. */
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    for (i = 0; i < N_THREADS; i++) ck_assert_int_eq(uv_thread_join(&th[i]), 0);
    /* acks pushed just before the done send may wait for one more drain */
    ck_assert_int_eq(volt_flush(e.rt), 0);
  } else {
    /* loop-less: drain by hand while the threads push */
    while (atomic_load(&finished) < N_THREADS) volt_flush(e.rt);
    for (i = 0; i < N_THREADS; i++) ck_assert_int_eq(uv_thread_join(&th[i]), 0);
    volt_flush(e.rt);
  }
  for (i = 0; i < N_THREADS; i++) {
    ck_assert_int_eq(m[i].errors, 0);
    ck_assert_int_eq(m[i].acquired, 0);
  }
  for (i = 0; i < N_TOKENS; i++) {
    int st = volt_token_status(toks[i]);
    if (i % 3 == 0) {
      ck_assert_int_eq(st, VOLT_FAILED);
      ck_assert_int_eq(volt_err_code(volt_token_error(toks[i])), -(i % 100) - 1);
      failed++;
    } else {
      ck_assert_int_eq(st, VOLT_IDLE);
      idle++;
    }
  }
  ck_assert_int_eq(idle + failed, N_TOKENS);
  free(toks);
  free(acks);
  h_env_close(&e);
}
END_TEST

/* Emits from threads: every occurrence reaches the token's on(), in order
 * per thread. */
#define N_EMITS 10000

typedef struct emitter {
  volt_rt *rt; /* handed over: volt_node_rt is a loop-thread call */
  volt_node *ev;
  int id;
  int errors;
} emitter;

typedef struct seen {
  int count;
  int64_t next[N_THREADS];
  int out_of_order;
} seen;

static bool seen_on(volt_val v, void *ud) {
  seen *s = ud;
  int64_t x = volt_as_int(v);
  int th = (int)(x / 1000000);
  int64_t seq = x % 1000000;
  s->count++;
  if (th < 0 || th >= N_THREADS || s->next[th] != seq)
    s->out_of_order++;
  else
    s->next[th]++;
  return true;
}

static void emitter_thread(void *ud) {
  emitter *em = ud;
  volt_rt *rt = em->rt;
  if (volt_rt_acquire(rt) != 0) {
    em->errors = -1;
    return;
  }
  for (int i = 0; i < N_EMITS; i++)
    if (volt_emit_async(em->ev, volt_int((int64_t)em->id * 1000000 + i)) != 0) em->errors++;
  volt_rt_release(rt);
}

static void keepalive_cb(uv_async_t *h) { uv_close((uv_handle_t *)h, NULL); }

START_TEST(threads_emit_async) {
  h_env e;
  volt_node *ev, *tok;
  volt_token_opts opts;
  seen s;
  emitter em[N_THREADS];
  uv_thread_t th[N_THREADS];
  uv_async_t keep;
  int i;
  ENV_OPEN(e);
  memset(&s, 0, sizeof s);
  memset(&opts, 0, sizeof opts);
  opts.on = seen_on;
  opts.ud = &s;
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_CYCLIC, &opts);
  for (i = 0; i < N_THREADS; i++) {
    em[i].rt = e.rt;
    em[i].ev = ev;
    em[i].id = i;
    em[i].errors = 0;
    ck_assert_int_eq(uv_thread_create(&th[i], emitter_thread, &em[i]), 0);
  }
  if (e.lp) {
    ck_assert_int_eq(uv_async_init(e.lp, &keep, keepalive_cb), 0);
    while (s.count < N_THREADS * N_EMITS) uv_run(e.lp, UV_RUN_NOWAIT);
    uv_async_send(&keep);
    for (i = 0; i < N_THREADS; i++) ck_assert_int_eq(uv_thread_join(&th[i]), 0);
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  } else {
    for (i = 0; i < N_THREADS; i++) ck_assert_int_eq(uv_thread_join(&th[i]), 0);
    volt_flush(e.rt);
  }
  for (i = 0; i < N_THREADS; i++) ck_assert_int_eq(em[i].errors, 0);
  ck_assert_int_eq(s.count, N_THREADS * N_EMITS);
  ck_assert_int_eq(s.out_of_order, 0);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  h_env_close(&e);
}
END_TEST

/* Close with acks and emits still queued: leftovers released, no leak. */
typedef struct pusher {
  volt_rt *rt;
  volt_node *ev;
  volt_ack ack;
  h_pool *pool;
  int rc_ack, rc_fail, rc_emit, rc_emit_err;
  int after_close_ack, after_close_emit;
  uv_sem_t *go;  /* wait before the "after close" pushes */
  uv_sem_t *ack_sent;
} pusher;

static void pusher_thread(void *ud) {
  pusher *p = ud;
  volt_rt_acquire(p->rt);
  p->rc_ack = volt_ack_ok(p->ack);
  p->rc_fail = volt_ack_fail(p->ack, -1, "a message that must be freed");
  p->rc_emit = volt_emit_async(p->ev, volt_ptr(h_box_new(p->pool, 1)));
  p->rc_emit_err = volt_emit_async(p->ev, volt_err(-2, "another message"));
  uv_sem_post(p->ack_sent);
  uv_sem_wait(p->go);
  p->after_close_ack = volt_ack_ok(p->ack);
  p->after_close_emit = volt_emit_async(p->ev, volt_int(5));
  volt_rt_release(p->rt);
}

START_TEST(close_with_queued_items) {
  h_env e;
  volt_node *ev, *tok;
  h_pool pool;
  volt_opts eo;
  pusher p;
  uv_thread_t th;
  uv_sem_t go, sent;
  ENV_OPEN(e);
  h_pool_init(&pool);
  h_box_new(&pool, 0); /* box 0 unused: index 1 is the thread's */
  pool.box[0].released = 1;
  memset(&eo, 0, sizeof eo);
  eo.release = h_box_release;
  eo.ud = &pool;
  ev = volt_event_opts(e.rt, &eo);
  tok = volt_token(e.rt, ev, 0, NULL);
  volt_emit(ev, volt_int(1));
  memset(&p, 0, sizeof p);
  p.rt = e.rt;
  p.ev = ev;
  p.ack = volt_token_ack(tok);
  p.pool = &pool;
  p.go = &go;
  p.ack_sent = &sent;
  ck_assert_int_eq(uv_sem_init(&go, 0), 0);
  ck_assert_int_eq(uv_sem_init(&sent, 0), 0);
  ck_assert_int_eq(uv_thread_create(&th, pusher_thread, &p), 0);
  uv_sem_wait(&sent);
  /* close before anything was applied */
  {
    int closed = 0;
    volt_rt *rt = e.rt;
    volt_rt_close(rt, h_count_closed, &closed);
    uv_sem_post(&go);
    ck_assert_int_eq(uv_thread_join(&th), 0);
    if (e.lp) ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(closed, 1);
    if (e.lp) ck_assert_int_eq(uv_loop_close(e.lp), 0);
  }
  ck_assert_int_eq(p.rc_ack, 0);
  ck_assert_int_eq(p.rc_fail, 0);
  ck_assert_int_eq(p.rc_emit, 0);
  ck_assert_int_eq(p.rc_emit_err, 0);
  ck_assert_int_eq(p.after_close_ack, VOLT_ECLOSING);
  ck_assert_int_eq(p.after_close_emit, VOLT_ECLOSING);
  /* the queued PTR payload was released exactly once */
  ck_assert_int_eq(pool.box[1].released, 1);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  uv_sem_destroy(&go);
  uv_sem_destroy(&sent);
}
END_TEST

/* Many queued items: they span several of the inbox's chunks. A first wave
 * is applied in order (its chunks go back for reuse), a second wave is still
 * queued at close: every PTR payload is released exactly once, every copied
 * message freed (valgrind and ASan check the latter). */
#define WAVE 250 /* two chunks of the inbox; 2 * WAVE boxes fit the pool */

typedef struct waver {
  volt_rt *rt;
  volt_node *ev;
  h_pool *pool;
  int from, errors;
} waver;

static void wave_thread(void *ud) {
  waver *w = ud;
  if (volt_rt_acquire(w->rt) != 0) {
    w->errors = -1;
    return;
  }
  for (int i = 0; i < WAVE; i++) {
    int idx = w->from + i;
    volt_val v = (i % 10 == 9) ? volt_err(-idx, "a copied message")
                               : volt_ptr(&w->pool->box[idx]);
    if (volt_emit_async(w->ev, v) != 0) w->errors++;
  }
  volt_rt_release(w->rt);
}

static bool wave_on(volt_val v, void *ud) {
  seen *s = ud;
  int64_t idx = volt_tag(v) == VOLT_PTR ? ((h_box *)volt_as_ptr(v))->v : -(int64_t)volt_err_code(v);
  if (idx != s->next[0]) s->out_of_order++;
  s->next[0] = idx + 1;
  s->count++;
  return true;
}

START_TEST(queued_items_across_chunks) {
  h_env e;
  volt_node *ev, *tok;
  volt_token_opts to;
  volt_opts eo;
  h_pool pool;
  seen s;
  waver w;
  uv_thread_t th;
  int i, closed = 0, boxes = 0;
  ENV_OPEN(e);
  h_pool_init(&pool);
  for (i = 0; i < 2 * WAVE; i++) h_box_new(&pool, i);
  /* the ERR slots are never handed out: count them as released */
  for (i = 0; i < 2 * WAVE; i++)
    if (i % WAVE % 10 == 9)
      pool.box[i].released = 1;
    else
      boxes++;
  memset(&eo, 0, sizeof eo);
  eo.release = h_box_release;
  eo.ud = &pool;
  ev = volt_event_opts(e.rt, &eo);
  memset(&s, 0, sizeof s);
  memset(&to, 0, sizeof to);
  to.on = wave_on;
  to.ud = &s;
  tok = volt_token(e.rt, ev, VOLT_TOKEN_CYCLIC, &to);
  ck_assert_ptr_nonnull(tok);
  w.rt = e.rt;
  w.ev = ev;
  w.pool = &pool;
  w.errors = 0;
  /* wave 1: applied */
  w.from = 0;
  ck_assert_int_eq(uv_thread_create(&th, wave_thread, &w), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(s.count, WAVE);
  ck_assert_int_eq(s.out_of_order, 0);
  /* wave 2: still queued at close */
  w.from = WAVE;
  ck_assert_int_eq(uv_thread_create(&th, wave_thread, &w), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(w.errors, 0);
  volt_rt_close(e.rt, h_count_closed, &closed);
  if (e.lp) ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(closed, 1);
  if (e.lp) ck_assert_int_eq(uv_loop_close(e.lp), 0);
  ck_assert_int_eq(s.count, WAVE); /* wave 2 never applied */
  for (i = 0; i < 2 * WAVE; i++) ck_assert_int_eq(pool.box[i].released, 1);
  ck_assert_int_eq(pool.releases, boxes);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

/* Closing from the release hook of a stamp that a cross-thread ack dropped:
 * the stamp is released at the end of the flush that follows the drain (not
 * while the inbox is being applied), the close happens there, and every
 * stamp is released exactly once. */
typedef struct closer {
  volt_rt *rt;
  h_pool *pool;
  volt_node *second;   /* the token whose ack is applied after the first */
  int second_at_close; /* its status when the first stamp was released */
  int closed;
  int releases;
} closer;

static void closer_release(volt_val v, void *ud) {
  closer *k = ud;
  k->releases++;
  h_box_release(v, k->pool);
  if (k->releases == 1) {
    k->second_at_close = volt_token_status(k->second);
    volt_rt_close(k->rt, h_count_closed, &k->closed);
  }
}

typedef struct two_acks {
  volt_rt *rt;
  volt_ack acks[2];
  int rc[2];
} two_acks;

static void two_acks_thread(void *ud) {
  two_acks *a = ud;
  if (volt_rt_acquire(a->rt) != 0) {
    a->rc[0] = a->rc[1] = -1;
    return;
  }
  for (int i = 0; i < 2; i++) a->rc[i] = volt_ack_ok(a->acks[i]);
  volt_rt_release(a->rt);
}

START_TEST(close_from_hook_during_drain) {
  h_env e;
  h_pool pool;
  closer k;
  two_acks a;
  volt_token_opts to;
  volt_node *ev[2], *tok[2];
  uv_thread_t th;
  int i;
  ENV_OPEN(e);
  h_pool_init(&pool);
  memset(&k, 0, sizeof k);
  k.rt = e.rt;
  k.pool = &pool;
  memset(&to, 0, sizeof to);
  to.release = closer_release;
  to.ud = &k;
  memset(&a, 0, sizeof a);
  a.rt = e.rt;
  for (i = 0; i < 2; i++) {
    ev[i] = volt_event(e.rt);
    tok[i] = volt_token(e.rt, ev[i], 0, &to);
    ck_assert_int_eq(volt_emit(ev[i], volt_ptr(h_box_new(&pool, i))), 0);
    a.acks[i] = volt_token_ack(tok[i]);
  }
  k.second = tok[1];
  k.second_at_close = -1;
  ck_assert_int_eq(uv_thread_create(&th, two_acks_thread, &a), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(a.rc[0], 0);
  ck_assert_int_eq(a.rc[1], 0);
  /* Apply the queued acks: the first releases its stamp, whose hook closes
   * (a loop runtime finishes closing in the loop). */
  volt_flush(e.rt);
  if (e.lp) {
    ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(uv_loop_close(e.lp), 0);
  }
  ck_assert_int_eq(k.closed, 1);
  /* The stamp was released after the whole drain: both acks were applied. */
  ck_assert_int_eq(k.second_at_close, VOLT_IDLE);
  /* Both stamps released exactly once: by their acks or by the close. */
  ck_assert_int_eq(pool.box[0].released, 1);
  ck_assert_int_eq(pool.box[1].released, 1);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
}
END_TEST

/* Deferred mode: thread acks are applied from the loop; effects run once. */
typedef struct one_ack {
  volt_ack ack;
  int rc;
} one_ack;

static void one_ack_thread(void *ud) {
  one_ack *o = ud;
  o->rc = volt_ack_fail(o->ack, -4, "from a thread");
}

START_TEST(thread_ack_deferred) {
  h_env e;
  h_obs o;
  volt_node *ev, *tok;
  one_ack oa;
  uv_thread_t th;
  uv_async_t keep;
  h_env_open(&e, H_DEFERRED, NULL);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  h_observe(&o, e.rt, tok);
  volt_emit(ev, volt_int(1));
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_NOWAIT), 0);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  oa.ack = volt_token_ack(tok);
  oa.rc = 1;
  ck_assert_int_eq(uv_thread_create(&th, one_ack_thread, &oa), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(oa.rc, 0);
  ck_assert_int_eq(o.status, VOLT_PENDING); /* not applied yet */
  ck_assert_int_eq(uv_async_init(e.lp, &keep, keepalive_cb), 0);
  uv_async_send(&keep);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  ck_assert_int_eq(o.err, -4);
  ck_assert_str_eq(o.msg, "from a thread");
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

/* A stale ack from a thread is accepted, then dropped when applied. */
START_TEST(thread_stale_ack_dropped) {
  h_env e;
  volt_node *ev, *tok;
  one_ack oa;
  uv_thread_t th;
  volt_ack cur;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_CYCLIC, NULL);
  volt_emit(ev, volt_int(1));
  oa.ack = volt_token_ack(tok);
  volt_emit(ev, volt_int(2)); /* supersedes */
  cur = volt_token_ack(tok);
  ck_assert_int_eq(uv_thread_create(&th, one_ack_thread, &oa), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(oa.rc, 0);
  pump(&e);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  ck_assert(volt_ack_eq(volt_token_ack(tok), cur));
  /* a token disposed with its ack queued */
  oa.ack = cur;
  ck_assert_int_eq(uv_thread_create(&th, one_ack_thread, &oa), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  volt_dispose(tok);
  pump(&e);
  h_env_close(&e);
}
END_TEST

/* Reads from the wrong thread. */
typedef struct wrong {
  volt_node *tok;
  volt_rt *rt;
  int status;
  int is_none;
  int err_code;
  int created;
} wrong;

static void wrong_thread(void *ud) {
  wrong *w = ud;
  w->status = volt_token_status(w->tok);
  w->is_none = volt_ack_is_none(volt_token_ack(w->tok));
  w->err_code = volt_err_code(volt_token_error(w->tok));
  w->created = volt_token(w->rt, w->tok, 0, NULL) != NULL || volt_event(w->rt) != NULL;
}

START_TEST(token_wrong_thread) {
  h_env e;
  volt_node *ev, *tok;
  wrong w;
  uv_thread_t th;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  volt_emit(ev, volt_int(1));
  memset(&w, 0, sizeof w);
  w.tok = tok;
  w.rt = e.rt;
  ck_assert_int_eq(uv_thread_create(&th, wrong_thread, &w), 0);
  ck_assert_int_eq(uv_thread_join(&th), 0);
  ck_assert_int_eq(w.status, VOLT_ETHREAD);
  ck_assert(w.is_none);
  ck_assert_int_eq(w.err_code, VOLT_ETHREAD);
  ck_assert(!w.created);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Ownership and allocation failures
 * ------------------------------------------------------------------------ */

typedef struct comp_ud {
  volt_node *ev;
  volt_node *tok;
  int runs;
} comp_ud;

static void component(void *ud) {
  comp_ud *c = ud;
  c->runs++;
  c->tok = volt_token(volt_node_rt(c->ev), c->ev, 0, NULL);
}

/* A token made inside a scope belongs to it (token.h: "The token belongs to
 * the current owner ... disposing it makes its ack stale"): disposing the
 * scope disposes the token. */
START_TEST(token_owned_by_scope) {
  h_env e;
  comp_ud c;
  volt_node *scope, *outside;
  volt_ack a, b;
  size_t live0;
  ENV_OPEN(e);
  memset(&c, 0, sizeof c);
  c.ev = volt_event(e.rt);
  outside = volt_token(e.rt, c.ev, 0, NULL); /* made outside the scope */
  ck_assert_ptr_nonnull(outside);
  live0 = h_stats(e.rt).live_nodes;
  scope = volt_scope(e.rt, component, &c);
  ck_assert_ptr_nonnull(scope);
  ck_assert_ptr_nonnull(c.tok);
  ck_assert_int_eq(c.runs, 1);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0 + 2); /* the scope and its token */
  ck_assert_int_eq(volt_emit(c.ev, volt_int(1)), 0);
  ck_assert_int_eq(volt_token_status(c.tok), VOLT_PENDING);
  a = volt_token_ack(c.tok);
  b = volt_token_ack(outside);
  ck_assert(!volt_ack_is_none(a)); /* a live ack, never used: only a disposal can stale it */
  ck_assert(!volt_ack_is_none(b));

  volt_dispose(scope);
  /* The token went with its scope. It is not read again (a disposed node
   * must not be used): its ack and the live count say it is gone. */
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_fail(a, -1, "late"), VOLT_ESTALE);
  /* the token made outside the scope is untouched */
  ck_assert_int_eq(volt_token_status(outside), VOLT_PENDING);
  ck_assert_int_eq(volt_ack_ok(b), 0);
  ck_assert_int_eq(volt_token_status(outside), VOLT_IDLE);
  /* a later occurrence mints for the live token only; the old ack stays stale */
  ck_assert_int_eq(volt_emit(c.ev, volt_int(2)), 0);
  ck_assert_int_eq(volt_token_status(outside), VOLT_PENDING);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_alloc_failures) {
  /* Fail the n-th allocation (and, second pass, every one from the n-th on)
   * while building events, tokens and a join and acking: NULL / NONE /
   * errors, never a leak or a crash (h_env_close checks the bytes). Stops
   * once a run needed no injected failure. */
  for (int all = 0; all < 2; all++) {
    for (size_t n = 1;; n++) {
      h_env e;
      volt_node *ev, *tok, *tok2, *sig, *tok3;
      size_t injected;
      ENV_OPEN(e);
      e.alloc.fail_at = e.alloc.calls + n;
      e.alloc.fail_all_after = all != 0;
      ev = volt_event(e.rt);
      tok = ev ? volt_token(e.rt, ev, VOLT_TOKEN_STAMPED, NULL) : NULL;
      tok2 = ev ? volt_token(e.rt, ev, VOLT_TOKEN_REARM, NULL) : NULL;
      sig = volt_signal(e.rt, volt_err(-1, "on at creation"), NULL);
      tok3 = sig ? volt_token(e.rt, sig, VOLT_TOKEN_STAMPED, NULL) : NULL;
      if (tok3) ck_assert_int_eq(volt_token_status(tok3), VOLT_PENDING);
      if (tok && tok2) {
        volt_ack a[2];
        volt_emit(ev, volt_err(-1, "needs a copy"));
        volt_emit(ev, volt_err(-2, "dropped, kept for REARM"));
        a[0] = volt_token_ack(tok);
        a[1] = volt_token_ack(tok2);
        ck_assert(!volt_ack_is_none(a[0]));
        (void)volt_ack_join(e.rt, a, 2);
        ck_assert_int_eq(volt_ack_fail(a[0], -3, "also copied"), 0);
        ck_assert_int_eq(volt_token_status(tok), VOLT_FAILED);
        ck_assert_int_eq(volt_err_code(volt_token_error(tok)), -3);
        ck_assert_int_eq(volt_ack_ok(a[1]), 0);
        ck_assert_int_eq(volt_token_status(tok2), VOLT_PENDING);
      }
      injected = e.alloc.injected;
      e.alloc.fail_at = 0;
      e.alloc.fail_all_after = false;
      h_env_close(&e);
      if (injected == 0) break;
      ck_assert_uint_lt(n, 500);
    }
  }
}
END_TEST

/* A computed that reads the token whose source it is: no cycle, no hang. */
typedef struct selfsrc {
  volt_node *s, *tok;
  int runs;
} selfsrc;

static volt_val selfsrc_fn(void *ud) {
  selfsrc *x = ud;
  int64_t v = volt_as_int(volt_get(x->s));
  x->runs++;
  if (x->tok) (void)volt_token_status(x->tok);
  return v ? volt_int(v) : volt_nil();
}

START_TEST(token_source_reads_its_token) {
  h_env e;
  selfsrc x;
  volt_node *comp;
  h_obs o;
  ENV_OPEN(e);
  memset(&x, 0, sizeof x);
  x.s = volt_signal(e.rt, volt_int(0), NULL);
  comp = volt_computed(e.rt, selfsrc_fn, &x, NULL);
  x.tok = volt_token(e.rt, comp, 0, NULL);
  ck_assert_ptr_nonnull(x.tok);
  h_observe(&o, e.rt, x.tok);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  volt_set(x.s, volt_int(5));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(o.stamp), 5);
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

/* Watchers on a token see its status; DOT shows tokens and events. */
typedef struct wlog {
  int calls;
  int64_t old, now;
} wlog;

static void wlog_fn(volt_node *n, volt_val old, volt_val now, void *ud) {
  wlog *w = ud;
  (void)n;
  w->calls++;
  w->old = volt_as_int(old);
  w->now = volt_as_int(now);
}

START_TEST(token_watch_and_dot) {
  h_env e;
  volt_node *ev, *tok;
  wlog w;
  volt_watcher *wt;
  FILE *f;
  volt_token_opts opts;
  ENV_OPEN(e);
  memset(&w, 0, sizeof w);
  memset(&opts, 0, sizeof opts);
  opts.name = "save";
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_CYCLIC, &opts);
  wt = volt_watch(tok, wlog_fn, &w);
  ck_assert_ptr_nonnull(wt);
  volt_emit(ev, volt_int(1));
  ck_assert_int_eq(w.calls, 1);
  ck_assert_int_eq(w.old, VOLT_IDLE);
  ck_assert_int_eq(w.now, VOLT_PENDING);
  volt_emit(ev, volt_int(2)); /* superseded: same status */
  ck_assert_int_eq(w.calls, 1);
  ck_assert_int_eq(volt_ack_fail(volt_token_ack(tok), -1, "x"), 0);
  ck_assert_int_eq(w.calls, 2);
  ck_assert_int_eq(w.now, VOLT_FAILED);
  f = fopen("/dev/null", "w");
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(volt_dump_dot(e.rt, f), 0);
  fclose(f);
  ck_assert_int_eq(volt_unwatch(wt), 0);
  h_env_close(&e);
}
END_TEST

typedef struct ack_comp {
  volt_ack ack;
} ack_comp;

static volt_val ack_in_computed(void *ud) {
  ack_comp *a = ud;
  return volt_int(volt_ack_ok(a->ack));
}

START_TEST(token_ack_in_computed_eperm) {
  h_env e;
  volt_node *ev, *tok, *comp;
  ack_comp ac;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  volt_emit(ev, volt_int(1));
  ac.ack = volt_token_ack(tok);
  comp = volt_computed(e.rt, ack_in_computed, &ac, NULL);
  ck_assert_int_eq(h_int(volt_peek(comp)), VOLT_EPERM);
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  ck_assert_int_eq(volt_ack_ok(ac.ack), 0);
  h_env_close(&e);
}
END_TEST

static Suite *tokens_suite(void) {
  Suite *s = suite_create("tokens");
  TCase *tc = h_tcase(s, "transitions");
  tcase_add_loop_test(tc, token_initial_state, 0, 2);
  tcase_add_loop_test(tc, token_idle_fire_ack_ok, 0, 2);
  tcase_add_loop_test(tc, token_pending_drops_events, 0, 2);
  tcase_add_loop_test(tc, token_ack_fail_and_retry, 0, 2);
  tcase_add_loop_test(tc, token_stale_acks_change_nothing, 0, 2);
  tcase_add_loop_test(tc, token_disposed_acks_stale, 0, 2);
  tcase_add_loop_test(tc, token_ack_in_flush, 0, 2);
  tcase_add_loop_test(tc, token_ack_in_computed_eperm, 0, 2);

  tc = h_tcase(s, "flags");
  tcase_add_loop_test(tc, token_stamped, 0, 2);
  tcase_add_loop_test(tc, token_stamped_cyclic_restamps, 0, 2);
  tcase_add_loop_test(tc, token_rearm_event, 0, 2);
  tcase_add_loop_test(tc, token_rearm_state, 0, 2);

  tc = h_tcase(s, "sources");
  tcase_add_loop_test(tc, token_state_source_custom_on, 0, 2);
  tcase_add_loop_test(tc, token_state_source_default_on, 0, 2);
  tcase_add_loop_test(tc, token_computed_source, 0, 2);
  tcase_add_loop_test(tc, token_reads_never_lag_source, 0, 2);
  tcase_add_loop_test(tc, token_event_custom_on, 0, 2);
  tcase_add_loop_test(tc, token_source_disposed, 0, 2);
  tcase_add_loop_test(tc, token_ptr_stamps, 0, 2);

  tc = h_tcase(s, "events");
  tcase_add_loop_test(tc, event_basics, 0, 2);
  tcase_add_loop_test(tc, event_emit_async_same_thread, 0, 2);
  tcase_add_loop_test(tc, event_emit_async_disposed_on_loop, 0, 2);

  tc = h_tcase(s, "joins");
  tcase_add_loop_test(tc, join_failure_fans_out, 0, 2);
  tcase_add_loop_test(tc, join_none_and_stale_children, 0, 2);
  tcase_add_loop_test(tc, join_unacked_joins_are_swept, 0, 2);

  tc = h_tcase(s, "threads");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, threads_ack_100k, 0, 2);
  tcase_add_loop_test(tc, threads_emit_async, 0, 2);
  tcase_add_loop_test(tc, close_with_queued_items, 0, 2);
  tcase_add_loop_test(tc, queued_items_across_chunks, 0, 2);
  tcase_add_loop_test(tc, close_from_hook_during_drain, 0, 2);
  tcase_add_test(tc, thread_ack_deferred);
  tcase_add_loop_test(tc, thread_stale_ack_dropped, 0, 2);
  tcase_add_loop_test(tc, token_wrong_thread, 0, 2);

  tc = h_tcase(s, "ownership");
  tcase_add_loop_test(tc, token_owned_by_scope, 0, 2);
  tcase_add_loop_test(tc, token_alloc_failures, 0, 2);
  tcase_add_loop_test(tc, token_source_reads_its_token, 0, 2);
  tcase_add_loop_test(tc, token_watch_and_dot, 0, 2);
  return s;
}

int main(void) { return h_run(tokens_suite()); }
