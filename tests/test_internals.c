/* tests/test_internals.c - white-box tests: internals, on purpose.
 *
 * Every case here pins something the public contract (the headers in
 * include/volt/ and docs/) does not promise: which call allocates, exact
 * byte counts, the reuse of slots and ids, what a read of a disposed node
 * gives, or an internal symbol (tokens/tokens.h: volt__token_observe and
 * the VOLT__TOK_* transitions). These cases test internals on purpose: they
 * guard bookkeeping that only shows when it goes wrong, and they MAY CHANGE
 * WITH THE INTERNALS. When the core changes the detail a case pins, change
 * or drop the case; a failure here is not by itself a broken contract. The
 * contract is tested through the public API only by the other suites
 * (test_signals, test_effects, test_owner, test_depth, test_tokens, ...).
 * This suite links the library's static objects and may include its
 * internal headers.
 *
 * Most tests run twice (tcase_add_loop_test, _i = 0..1): on a loop-less
 * runtime and on a runtime attached to a fresh uv loop (sync flush).
 * h_env_close checks the close contract and that the counting allocator is
 * back to zero live bytes.
 *
 * One tcase: CK_RUN_CASE=<tcase> CK_VERBOSITY=normal BUILD/tests/test_internals
 *
 *  tcase / case                          what it checks
 *  ------------------------------------  --------------------------------------------------------
 *  signals:
 *    first_dependency_disposed           first dep disposed (fn reads the dead node: an error)
 *    next_dependency_disposes_itself     a disposes itself under the cursor (later read: NIL)
 *    lost_mark_seen_by_plain_read        the write's marking walk allocates; mark lost, resynced
 *    dependency_not_recorded             the first read allocates edges: ENOMEM, left dirty
 *  memory:
 *    stats_bytes_freed_and_slots_reused  volt_stats.bytes exact: name freed, slots reused
 *  tokens:
 *    token_cyclic_supersedes             CYCLIC supersedes (mints, stales by the token hook)
 *    token_event_equal_payloads          equal payloads are two mints (by the token hook)
 *    token_id_reused_new_generation      a disposed token's id reused, new generation
 *  joins:
 *    join_success_in_order               a join acks in the order given (by the token hook)
 *    join_nested                         nested joins depth first (hook); 20,000-long chain
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tokens/tokens.h"

#define ENV_OPEN(e) h_env_open(&(e), _i, NULL)

/* ------------------------------------------------------------------------
 * Signals: bookkeeping that only shows when it goes wrong
 * ------------------------------------------------------------------------ */

typedef struct fd_c {
  volt_node *a, *b;
  int runs;
} fd_c;

static volt_val fd_fn(void *ud) {
  fd_c *f = ud;
  f->runs++;
  volt_val a = volt_get(f->a); /* an error once a is disposed */
  return volt_int((volt_is_err(a) ? 0 : h_int(a)) + h_int(volt_get(f->b)));
}

/* A computed's first dependency is disposed; its subscriber's check must
 * walk from the next one. Internal on two counts: it guards the "first
 * dependency" pointer of the core's lists, and the computed's fn goes on
 * reading the disposed node (volt_dispose: "afterwards n must not be used")
 * and counts on an error value from it. */
START_TEST(first_dependency_disposed) {
  h_env e;
  fd_c f = {0};
  h_eff1 r = {0};
  volt_node *c;
  ENV_OPEN(e);
  f.a = volt_signal(e.rt, volt_int(1), NULL);
  f.b = volt_signal(e.rt, volt_int(10), NULL);
  c = volt_computed(e.rt, fd_fn, &f, NULL); /* deps: a (first), b */
  r.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(h_int(r.seen), 11);
  volt_dispose(f.a); /* c's first dependency goes; b becomes the first */
  ck_assert_int_eq(volt_set(f.b, volt_int(20)), 0);
  ck_assert_int_eq(r.runs, 2); /* the check walked from c to b, not to a */
  ck_assert_int_eq(h_int(r.seen), 20);
  h_env_close(&e);
}
END_TEST

/* a: disposes itself when src is 2. */
static volt_val dr_a_disposes_itself(void *ud) {
  h_dr *d = ud;
  int64_t v = h_int(volt_get(d->src));
  if (v == 2) volt_dispose(d->a);
  return volt_int(v * 10);
}

/* a disposes itself while the reader reads it: its edge to the reader goes
 * under the reader's cursor, and the read must not link the dead node.
 * Internal: the reader's later runs read the disposed a (h_dr_reader_b_first
 * counts it as 0: today it reads NIL), which the contract does not allow.
 * The two contract siblings (next_dependency_disposes_reader,
 * dependency_disposes_reader_being_checked) are in test_owner. */
START_TEST(next_dependency_disposes_itself) {
  h_env e;
  h_dr d = {0};
  volt_stats_t st;
  ENV_OPEN(e);
  h_dr_build(&e, &d, dr_a_disposes_itself, h_dr_reader_b_first);
  h_dr_write_both_and_read(&e, &d);
  ck_assert_int_eq(volt_stats(e.rt, &st), 0);
  ck_assert_uint_eq(st.live_nodes, 3);
  ck_assert_uint_eq(st.edges, 1); /* reader -> b */
  ck_assert_int_eq(volt_set(d.b, volt_int(7)), 0);
  ck_assert_int_eq(h_int(volt_get(d.reader)), 7);
  h_env_close(&e);
}
END_TEST

typedef struct rs_g {
  volt_node *s, *a, *b;
} rs_g;

static volt_val rs_plus1(void *ud) { return volt_int(h_int(volt_get((volt_node *)ud)) + 1); }

/* A lost mark (resync) seen by a plain read. Internal: it needs the write's
 * marking walk to allocate (its scratch stack, with two subscribers) so
 * that failing every allocation loses b's mark; it asserts that an
 * allocation was failed. */
START_TEST(lost_mark_seen_by_plain_read) {
  h_env e;
  rs_g g;
  h_eff1 r = {0};
  ENV_OPEN(e);
  g.s = volt_signal(e.rt, volt_int(1), NULL);
  g.a = volt_computed(e.rt, rs_plus1, g.s, NULL);
  g.b = volt_computed(e.rt, rs_plus1, g.s, NULL);
  r.src = g.a;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r)); /* a has a subscriber */
  ck_assert_int_eq(h_int(volt_get(g.b)), 2);             /* s: subscribers a, b */
  /* Every allocation fails during the write: the marking walk cannot keep
   * its way back (the scratch stack), so b's mark is lost. */
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  e.alloc.fail_at = e.alloc.calls + 1;
  e.alloc.fail_all_after = true;
  ck_assert_int_eq(volt_set(g.s, volt_int(5)), 0);
  ck_assert_uint_gt(e.alloc.injected, 0);
  e.alloc.fail_at = 0;
  e.alloc.fail_all_after = false;
  /* A plain read inside the batch must still see the new value. */
  ck_assert_int_eq(h_int(volt_get(g.b)), 6);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(h_int(r.seen), 6);
  ck_assert_int_ge(e.errors, 1); /* on_error heard VOLT_ENOMEM */
  h_env_close(&e);
}
END_TEST

typedef struct ot_c {
  volt_node *s[100];
} ot_c;

static volt_val ot_sum(void *ud) {
  ot_c *o = ud;
  int64_t t = 0;
  for (int i = 0; i < 100; i++) t += h_int(volt_get(o->s[i]));
  return volt_int(t);
}

/* A dependency that could not be recorded. Internal: it needs the first
 * read of a computed over 100 signals to allocate (the edge array) and
 * asserts the read's VOLT_ENOMEM; the contract part (a failed read is left
 * dirty and the next one records everything) follows. */
START_TEST(dependency_not_recorded) {
  h_env e;
  ot_c o;
  volt_node *c;
  volt_val v;
  ENV_OPEN(e);
  for (int i = 0; i < 100; i++) o.s[i] = volt_signal(e.rt, volt_int(i), NULL);
  c = volt_computed(e.rt, ot_sum, &o, NULL);
  e.alloc.fail_at = e.alloc.calls + 1; /* the edge array cannot be made */
  e.alloc.fail_all_after = true;
  v = volt_get(c);
  e.alloc.fail_at = 0;
  e.alloc.fail_all_after = false;
  ck_assert_uint_gt(e.alloc.injected, 0);
  ck_assert(volt_is_err(v));
  ck_assert_int_eq(volt_err_code(v), VOLT_ENOMEM);
  /* Left dirty: the next read evaluates again and records everything. */
  ck_assert_int_eq(h_int(volt_get(c)), 4950);
  ck_assert_int_eq(volt_set(o.s[99], volt_int(1000)), 0);
  ck_assert_int_eq(h_int(volt_get(c)), 4950 - 99 + 1000);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Memory: exact byte counts, slot reuse
 * ------------------------------------------------------------------------ */

/* From stats_counts: volt_stats.bytes to the byte. A name and an ERR message
 * are freed with their node (after a warm-up node, so that the record a
 * named node needs exists already); a second identical batch of nodes takes
 * no new bytes (node slots are reused). Both pin how the core keeps its
 * records and slabs. */
START_TEST(stats_bytes_freed_and_slots_reused) {
  h_env e;
  volt_stats_t s1, s2, s3;
  volt_node *named, *warm;
  char longname[200];

  ENV_OPEN(e);
  /* bytes shrink back: a name and an ERR message are freed with the node */
  warm = volt_signal(e.rt, volt_err(-1, "warm"), &(volt_opts){.name = "warm"});
  volt_dispose(warm);
  s2 = h_stats(e.rt);
  memset(longname, 'n', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  named = volt_signal(e.rt, volt_err(-1, longname), &(volt_opts){.name = longname});
  ck_assert_ptr_nonnull(named);
  s3 = h_stats(e.rt);
  ck_assert_uint_ge(s3.bytes, s2.bytes + 2 * strlen(longname));
  volt_dispose(named);
  s3 = h_stats(e.rt);
  ck_assert_uint_eq(s3.bytes, s2.bytes);
  ck_assert_uint_eq(s3.live_nodes, 0);

  /* node slots are reused: a second identical graph needs no new bytes */
  for (int round = 0; round < 2; round++) {
    volt_node *tmp[300];
    for (int i = 0; i < 300; i++) tmp[i] = volt_signal(e.rt, volt_int(i), NULL);
    s1 = h_stats(e.rt);
    ck_assert_uint_eq(s1.live_nodes, 300);
    if (round == 1) ck_assert_uint_eq(s1.bytes, s3.bytes);
    for (int i = 0; i < 300; i++) volt_dispose(tmp[i]);
    s3 = h_stats(e.rt);
    ck_assert_uint_eq(s3.live_nodes, 0);
    s3 = s1;
  }
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Tokens and joins through the internal transition hook
 *
 * These came from test_tokens: they count or order a token's transitions
 * with volt__token_observe (tokens/tokens.h), the hook the layer above
 * tokens uses to cancel superseded work. The rest of each test is contract.
 * ------------------------------------------------------------------------ */

/* A hook log of token transitions (internal observer). */
typedef struct hooklog {
  h_log log;
  int mints, stales, oks, fails;
} hooklog;

static void hook_fn(volt_node *tok, unsigned what, volt_ack ack, void *ud) {
  hooklog *h = ud;
  (void)tok;
  (void)ack;
  switch (what) {
  case VOLT__TOK_MINT: h->mints++; break;
  case VOLT__TOK_STALE: h->stales++; break;
  case VOLT__TOK_OK: h->oks++; break;
  case VOLT__TOK_FAIL: h->fails++; break;
  default: break;
  }
}

/* Logs `id` for every OK/FAIL of the token it is set on (order checks). */
typedef struct order_ud {
  h_log *log;
  int id;
} order_ud;

static void order_hook(volt_node *tok, unsigned what, volt_ack ack, void *ud) {
  order_ud *o = ud;
  (void)tok;
  (void)ack;
  if (what == VOLT__TOK_OK) h_log_push(o->log, o->id);
  if (what == VOLT__TOK_FAIL) h_log_push(o->log, -o->id);
}

START_TEST(token_cyclic_supersedes) {
  h_env e;
  h_obs o;
  hooklog hl;
  volt_node *ev, *tok;
  volt_ack a, b, c;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, VOLT_TOKEN_CYCLIC, NULL);
  memset(&hl, 0, sizeof hl);
  ck_assert_int_eq(volt__token_observe(tok, hook_fn, &hl), 0);
  h_observe(&o, e.rt, tok);
  volt_emit(ev, volt_int(1));
  a = volt_token_ack(tok);
  ck_assert_int_eq(o.runs, 2);
  ck_assert_int_eq(hl.mints, 1);

  /* a new event while pending: new ack, the old one stale, notified */
  volt_emit(ev, volt_int(2));
  b = volt_token_ack(tok);
  ck_assert(!volt_ack_eq(a, b));
  ck_assert_int_eq(o.runs, 3);
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(h_int(volt_token_stamp(tok)), 2);
  ck_assert_int_eq(hl.mints, 2);
  ck_assert_int_eq(hl.stales, 1);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_fail(a, -1, "old"), VOLT_ESTALE);
  ck_assert_int_eq(o.status, VOLT_PENDING);

  /* two emits in one batch: two occurrences, latest wins */
  volt_batch_begin(e.rt);
  volt_emit(ev, volt_int(3));
  volt_emit(ev, volt_int(4));
  volt_batch_end(e.rt);
  c = volt_token_ack(tok);
  ck_assert_int_eq(hl.mints, 4);
  ck_assert_int_eq(hl.stales, 3);
  ck_assert_int_eq(volt_ack_ok(b), VOLT_ESTALE);
  ck_assert_int_eq(h_int(volt_token_stamp(tok)), 4);
  ck_assert_int_eq(o.runs, 4); /* one flush, one run */
  ck_assert_int_eq(volt_ack_ok(c), 0);
  ck_assert_int_eq(o.status, VOLT_IDLE);
  ck_assert_int_eq(hl.oks, 1);

  /* a cyclic token that failed retries like any other */
  volt_emit(ev, volt_int(5));
  ck_assert_int_eq(volt_ack_fail(volt_token_ack(tok), -1, "f"), 0);
  ck_assert_int_eq(o.status, VOLT_FAILED);
  volt_emit(ev, volt_int(6));
  ck_assert_int_eq(o.status, VOLT_PENDING);
  ck_assert_int_eq(o.err, 0);
  ck_assert_int_eq(o.bad, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(token_event_equal_payloads) {
  h_env e;
  volt_node *ev, *tok, *rearm;
  hooklog hl;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  rearm = volt_token(e.rt, ev, VOLT_TOKEN_REARM, NULL);
  memset(&hl, 0, sizeof hl);
  volt__token_observe(tok, hook_fn, &hl);
  /* equal payloads are separate occurrences */
  volt_emit(ev, volt_int(1));
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  volt_emit(ev, volt_int(1));
  ck_assert_int_eq(volt_token_status(tok), VOLT_PENDING);
  ck_assert_int_eq(hl.mints, 2);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(tok)), 0);
  /* the REARM token saw the second 1 dropped: its ack re-arms */
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(rearm)), 0);
  ck_assert_int_eq(volt_token_status(rearm), VOLT_PENDING);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(rearm)), 0);
  ck_assert_int_eq(volt_token_status(rearm), VOLT_IDLE);
  /* two emits in one batch: two occurrences (the second one dropped, and
   * remembered by the REARM token) */
  volt_batch_begin(e.rt);
  volt_emit(ev, volt_int(5));
  volt_emit(ev, volt_int(5));
  volt_batch_end(e.rt);
  ck_assert_int_eq(hl.mints, 3);
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(rearm)), 0);
  ck_assert_int_eq(volt_token_status(rearm), VOLT_PENDING); /* re-armed */
  ck_assert_int_eq(volt_ack_ok(volt_token_ack(rearm)), 0);
  ck_assert_int_eq(volt_token_status(rearm), VOLT_IDLE);
  h_env_close(&e);
}
END_TEST

/* From token_disposed_acks_stale: the disposed token's id (its slot in the
 * handle table) is taken by the next token, with a new generation, so the
 * old ack stays stale. The contract (acks of a disposed token are stale,
 * never equal to a later one's) stays in test_tokens. */
START_TEST(token_id_reused_new_generation) {
  h_env e;
  volt_node *ev, *tok, *tok2;
  volt_ack a, b;
  ENV_OPEN(e);
  ev = volt_event(e.rt);
  tok = volt_token(e.rt, ev, 0, NULL);
  ck_assert_int_eq(volt_emit(ev, volt_int(1)), 0);
  a = volt_token_ack(tok);
  ck_assert(!volt_ack_is_none(a));
  volt_dispose(tok);
  tok2 = volt_token(e.rt, ev, 0, NULL);
  ck_assert_ptr_nonnull(tok2);
  ck_assert_int_eq(volt_emit(ev, volt_int(2)), 0);
  b = volt_token_ack(tok2);
  ck_assert_uint_eq(b.id, a.id); /* the id itself is reused */
  ck_assert_uint_ne(b.gen, a.gen);
  ck_assert_int_eq(volt_ack_ok(a), VOLT_ESTALE);
  ck_assert_int_eq(volt_token_status(tok2), VOLT_PENDING);
  ck_assert_int_eq(volt_ack_ok(b), 0);
  h_env_close(&e);
}
END_TEST

START_TEST(join_success_in_order) {
  h_env e;
  volt_node *ev, *t[3];
  volt_ack acks[5], j;
  order_ud ou[3];
  h_log log;
  int i;
  h_obs o;
  ENV_OPEN(e);
  memset(&log, 0, sizeof log);
  ev = volt_event(e.rt);
  for (i = 0; i < 3; i++) {
    t[i] = volt_token(e.rt, ev, 0, NULL);
    ou[i].log = &log;
    ou[i].id = i + 1;
    volt__token_observe(t[i], order_hook, &ou[i]);
  }
  h_observe(&o, e.rt, t[2]);
  volt_emit(ev, volt_int(1));
  /* children out of creation order, with NONE among them */
  acks[0] = volt_token_ack(t[2]);
  acks[1] = VOLT_ACK_NONE;
  acks[2] = volt_token_ack(t[0]);
  acks[3] = volt_token_ack(t[1]);
  acks[4] = VOLT_ACK_NONE;
  j = volt_ack_join(e.rt, acks, 5);
  ck_assert(!volt_ack_is_none(j));
  ck_assert_int_eq(o.runs, 2);
  ck_assert_int_eq(volt_ack_ok(j), 0);
  {
    int want[] = {3, 1, 2};
    h_log_expect(&log, 3, want);
  }
  for (i = 0; i < 3; i++) ck_assert_int_eq(volt_token_status(t[i]), VOLT_IDLE);
  ck_assert_int_eq(o.runs, 3); /* committed as one: one flush */
  /* the join is spent; so are its children */
  ck_assert_int_eq(volt_ack_ok(j), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_ok(acks[0]), VOLT_ESTALE);
  h_env_close(&e);
}
END_TEST

START_TEST(join_nested) {
  h_env e;
  volt_node *ev, *t[4];
  volt_ack a[4], j1, j2, j3, kids[3];
  order_ud ou[4];
  h_log log;
  int i;
  ENV_OPEN(e);
  memset(&log, 0, sizeof log);
  ev = volt_event(e.rt);
  for (i = 0; i < 4; i++) {
    t[i] = volt_token(e.rt, ev, 0, NULL);
    ou[i].log = &log;
    ou[i].id = i + 1;
    volt__token_observe(t[i], order_hook, &ou[i]);
  }
  volt_emit(ev, volt_int(1));
  for (i = 0; i < 4; i++) a[i] = volt_token_ack(t[i]);
  j1 = volt_ack_join(e.rt, a, 2); /* 1 2 */
  kids[0] = a[2];
  kids[1] = j1;
  j2 = volt_ack_join(e.rt, kids, 2); /* 3 (1 2) */
  kids[0] = j2;
  kids[1] = a[3];
  kids[2] = j1; /* the same join twice: acked once */
  j3 = volt_ack_join(e.rt, kids, 3);
  ck_assert_int_eq(volt_ack_ok(j3), 0);
  {
    int want[] = {3, 1, 2, 4};
    h_log_expect(&log, 4, want);
  }
  ck_assert_int_eq(volt_ack_ok(j1), VOLT_ESTALE);
  ck_assert_int_eq(volt_ack_ok(j2), VOLT_ESTALE);
  /* a long chain of joins (each holding the previous): no recursion */
  {
    volt_node *tk = volt_token(e.rt, ev, 0, NULL);
    volt_ack chain;
    volt_emit(ev, volt_int(2));
    chain = volt_token_ack(t[0]);
    kids[1] = volt_token_ack(tk);
    for (i = 0; i < 20000; i++) {
      kids[0] = chain;
      chain = volt_ack_join(e.rt, kids, 2);
      ck_assert(!volt_ack_is_none(chain));
    }
    ck_assert_int_eq(volt_ack_fail(chain, -1, "chain"), 0);
    ck_assert_int_eq(volt_token_status(t[0]), VOLT_FAILED);
    ck_assert_int_eq(volt_token_status(tk), VOLT_FAILED);
  }
  h_env_close(&e);
}
END_TEST

static Suite *internals_suite(void) {
  Suite *s = suite_create("internals");
  TCase *tc;

  tc = h_tcase(s, "signals");
  tcase_add_loop_test(tc, first_dependency_disposed, 0, 2);
  tcase_add_loop_test(tc, next_dependency_disposes_itself, 0, 2);
  tcase_add_loop_test(tc, lost_mark_seen_by_plain_read, 0, 2);
  tcase_add_loop_test(tc, dependency_not_recorded, 0, 2);

  tc = h_tcase(s, "memory");
  tcase_add_loop_test(tc, stats_bytes_freed_and_slots_reused, 0, 2);

  tc = h_tcase(s, "tokens");
  tcase_add_loop_test(tc, token_cyclic_supersedes, 0, 2);
  tcase_add_loop_test(tc, token_event_equal_payloads, 0, 2);
  tcase_add_loop_test(tc, token_id_reused_new_generation, 0, 2);

  tc = h_tcase(s, "joins");
  tcase_add_loop_test(tc, join_success_in_order, 0, 2);
  tcase_add_loop_test(tc, join_nested, 0, 2);
  return s;
}

int main(void) { return h_run(internals_suite()); }
