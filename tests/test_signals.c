/* tests/test_signals.c - signals and computeds, batches, errors, hooks and
 * stats (include/volt/value.h, graph.h), through the public API only.
 *
 * Most tests run twice (tcase_add_loop_test, _i = 0..1): on a loop-less
 * runtime and on a runtime attached to a fresh uv loop (sync flush).
 * h_env_close checks the close contract and that the counting allocator is
 * back to zero live bytes.
 *
 * One tcase: CK_RUN_CASE=<tcase> CK_VERBOSITY=normal BUILD/tests/test_signals
 *
 *  tcase / case                         what it checks
 *  -----------------------------------  ---------------------------------------------------------
 *  values:
 *    values_ctors_accessors             volt_val constructors, tags, accessors
 *    values_default_equality            volt_val_eq: per tag, NaN == NaN, ERR by code+text
 *    values_nan_signal_cutoff           a NaN written over a NaN notifies nobody
 *    values_err_messages_copied         ERR messages copied by signal, set, computed
 *    values_err_equality_cutoff         an ERR with the same code and text: no change
 *    values_round_trip_through_nodes    every kind of value through signal and computed
 *    values_unknown_tag_refused         a tag outside volt_tag_t: EINVAL/NULL, nothing changed
 *  graph:
 *    diamond_glitch_free                diamond: no glitch, each computed once per flush
 *    conditional_dependency_cleanup     dependencies no longer read stop notifying
 *    equality_cutoff                    an unchanged computed stops the propagation
 *    cutoff_then_direct_read            a cut-off computed hides no direct change
 *    repeated_reads_one_edge            three reads of a node in one run: one edge
 *    custom_equals                      a node's own equals decides the cutoff
 *    lazy_computeds                     computeds run when read or observed, then cached
 *    cross_runtime_read_untracked       a read of another runtime's node: untracked
 *  untrack:
 *    peek_and_untrack                   volt_peek and volt_untrack make no dependency
 *    untracked_read_of_next_dependency  untracked read of the last run's next dep drops it
 *  batches:
 *    batch_revert_notifies_nobody       a batch writing the old value back: nothing runs
 *    batch_nesting                      nested batches flush at the outermost end
 *    flush_inside_open_batch            volt_flush flushes inside an open batch
 *  errors:
 *    cycle_direct                       a computed reading itself: VOLT_ECYCLE, no hang
 *    cycle_indirect                     a reads b reads a: both VOLT_ECYCLE
 *    cycle_broken_recovers              the cycle broken, both computeds recover
 *    set_inside_computed_eperm          volt_set in a computed: VOLT_EPERM, PTR released
 *  hooks:
 *    release_hook_counts                release hooks: once per PTR (replaced, freed)
 *    release_on_lazy_recompute          a plain read recomputing releases the old PTR
 *    watched_unwatched_hooks            watched / unwatched: first and last subscriber
 *    watched_hooks_through_computed     the same through an unobserved computed
 *  debug:
 *    stats_counts                       volt_stats: nodes, edges, flushes, effect runs
 *    dump_dot_output                    volt_dump_dot: named vertices, dep -> reader arcs
 *    node_names_copied                  node names are copied; unnamed is ""
 *  memory:
 *    memory_per_node_and_edge           graph.h memory model: bytes per node and edge
 */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_OPEN(e) h_env_open(&(e), _i, NULL)

/* ------------------------------------------------------------------------
 * Values (§3)
 * ------------------------------------------------------------------------ */

START_TEST(values_ctors_accessors) {
  volt_val v;
  ck_assert_uint_eq(sizeof(volt_val), 16);

  v = volt_nil();
  ck_assert_int_eq(volt_tag(v), VOLT_NIL);
  ck_assert(volt_is_nil(v));
  v = volt_bool(true);
  ck_assert_int_eq(volt_tag(v), VOLT_BOOL);
  ck_assert(volt_as_bool(v));
  v = volt_int(-42);
  ck_assert_int_eq(volt_tag(v), VOLT_INT);
  ck_assert_int_eq(volt_as_int(v), -42);
  ck_assert(volt_as_num(v) == -42.0); /* INT converts */
  v = volt_num(2.5);
  ck_assert_int_eq(volt_tag(v), VOLT_NUM);
  ck_assert(volt_as_num(v) == 2.5);
  ck_assert_int_eq(volt_as_int(v), 0); /* wrong tag: zero */
  v = volt_ptr(&v);
  ck_assert_int_eq(volt_tag(v), VOLT_PTR);
  ck_assert_ptr_eq(volt_as_ptr(v), &v);
  ck_assert(!volt_as_bool(v));
  v = volt_err(VOLT_ECYCLE, "boom");
  ck_assert(volt_is_err(v));
  ck_assert_int_eq(volt_err_code(v), VOLT_ECYCLE);
  ck_assert_str_eq(volt_err_msg(v), "boom");
  ck_assert_ptr_null(volt_as_ptr(v));
  ck_assert_str_eq(volt_err_msg(volt_err(1, NULL)), "");
  ck_assert_str_eq(volt_err_msg(volt_int(3)), "");
  ck_assert_int_eq(volt_err_code(volt_int(3)), 0);
}
END_TEST

START_TEST(values_default_equality) {
  char a[8] = "same", b[8] = "same";
  uint64_t bits = 0x7ff8000000000123ull;
  double odd_nan;
  memcpy(&odd_nan, &bits, sizeof odd_nan);

  ck_assert(volt_val_eq(volt_nil(), volt_nil()));
  ck_assert(volt_val_eq(volt_bool(true), volt_bool(true)));
  ck_assert(!volt_val_eq(volt_bool(true), volt_bool(false)));
  ck_assert(volt_val_eq(volt_int(7), volt_int(7)));
  ck_assert(!volt_val_eq(volt_int(7), volt_int(8)));
  ck_assert(!volt_val_eq(volt_int(1), volt_num(1.0))); /* different tags */
  ck_assert(!volt_val_eq(volt_int(0), volt_nil()));
  ck_assert(volt_val_eq(volt_num(0.0), volt_num(-0.0))); /* numeric == */
  ck_assert(!volt_val_eq(volt_num(1.0), volt_num(1.5)));
  /* every NaN equals every NaN */
  ck_assert(volt_val_eq(volt_num(NAN), volt_num(NAN)));
  ck_assert(volt_val_eq(volt_num(NAN), volt_num(-NAN)));
  ck_assert(volt_val_eq(volt_num(NAN), volt_num(odd_nan)));
  ck_assert(!volt_val_eq(volt_num(NAN), volt_num(0.0)));
  ck_assert(!volt_val_eq(volt_num(1.0), volt_num(NAN)));
  ck_assert(volt_val_eq(volt_ptr(a), volt_ptr(a)));
  ck_assert(!volt_val_eq(volt_ptr(a), volt_ptr(b)));
  /* ERR: code and message text */
  ck_assert(volt_val_eq(volt_err(-5, a), volt_err(-5, b)));
  ck_assert(!volt_val_eq(volt_err(-5, a), volt_err(-6, b)));
  ck_assert(!volt_val_eq(volt_err(-5, "same"), volt_err(-5, "other")));
}
END_TEST

START_TEST(values_nan_signal_cutoff) {
  h_env e;
  h_eff1 r = {0};
  volt_node *s;
  uint64_t bits = 0x7ff80000deadbeefull;
  double odd_nan;
  memcpy(&odd_nan, &bits, sizeof odd_nan);

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_num(NAN), NULL);
  ck_assert_ptr_nonnull(s);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(s, volt_num(-NAN)), 0);
  ck_assert_int_eq(r.runs, 1); /* NaN equals NaN: nobody notified */
  ck_assert_int_eq(volt_set(s, volt_num(odd_nan)), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(s, volt_num(1.0)), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert(volt_as_num(r.seen) == 1.0);
  ck_assert_int_eq(volt_set(s, volt_num(1.0)), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(volt_set(s, volt_num(NAN)), 0);
  ck_assert_int_eq(r.runs, 3);
  ck_assert(isnan(volt_as_num(r.seen)));
  h_env_close(&e);
}
END_TEST

/* A value whose tag is not one of volt_tag_t's (8, 16, 32, 255) is refused
 * by every entry point and changes nothing; a computed returning one reads
 * as VOLT_ERR(VOLT_EINVAL). */
static volt_val bad_tag_fn(void *ud) {
  volt_val v = volt_int(7);
  v.tag = (uint8_t)(uintptr_t)ud;
  return v;
}
START_TEST(values_unknown_tag_refused) {
  static const uint8_t tags[] = {8, 16, 32, 255};
  h_env e;
  h_eff1 r = {0};
  ENV_OPEN(e);
  volt_node *s = volt_signal(e.rt, volt_int(5), NULL);
  ck_assert_ptr_nonnull(s);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  volt_node *ev = volt_event(e.rt);
  ck_assert_ptr_nonnull(ev);
  for (size_t i = 0; i < sizeof tags; i++) {
    volt_val bad = volt_int(9);
    bad.tag = tags[i];
    volt_stats_t before, after;
    ck_assert_int_eq(volt_stats(e.rt, &before), 0);
    ck_assert_ptr_null(volt_signal(e.rt, bad, NULL));
    ck_assert_int_eq(volt_set(s, bad), VOLT_EINVAL);
    ck_assert_int_eq(volt_emit(ev, bad), VOLT_EINVAL);
    ck_assert_int_eq(volt_emit_async(ev, bad), VOLT_EINVAL);
    ck_assert_int_eq(volt_stats(e.rt, &after), 0);
    ck_assert_uint_eq(after.live_nodes, before.live_nodes);
    ck_assert_int_eq(volt_get(s).tag, VOLT_INT);
    ck_assert_int_eq(volt_as_int(volt_get(s)), 5);
    ck_assert_int_eq(r.runs, 1); /* nothing notified */
    volt_node *c = volt_computed(e.rt, bad_tag_fn, (void *)(uintptr_t)tags[i], NULL);
    ck_assert_ptr_nonnull(c);
    volt_val got = volt_get(c);
    ck_assert_int_eq(got.tag, VOLT_ERR);
    ck_assert_int_eq(got.code, VOLT_EINVAL);
    volt_dispose(c);
  }
  /* The signal still works. */
  ck_assert_int_eq(volt_set(s, volt_int(6)), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(volt_as_int(r.seen), 6);
  h_env_close(&e);
}
END_TEST

static void scribble_stack(void) {
  volatile char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = 'Z';
  (void)junk[100];
}

/* ERR messages are copied: from volt_signal, volt_set and computed results. */
typedef struct errc {
  volt_node *n;
  int runs;
  char buf[64]; /* the message a computed returns; overwritten later */
} errc;

/* The message must outlive fn's return (the node copies it when it stores
 * the result), so it lives in ud, not on fn's stack. */
static volt_val err_from_buf_fn(void *ud) {
  errc *c = ud;
  c->runs++;
  snprintf(c->buf, sizeof c->buf, "computed %d", (int)volt_as_int(volt_get(c->n)));
  return volt_err(-7, c->buf);
}

START_TEST(values_err_messages_copied) {
  h_env e;
  char buf[64];
  volt_node *s, *c;
  volt_val v;
  errc cc = {0};

  ENV_OPEN(e);
  strcpy(buf, "first message");
  s = volt_signal(e.rt, volt_err(-5, buf), NULL);
  ck_assert_ptr_nonnull(s);
  memset(buf, 'X', sizeof buf - 1);
  buf[sizeof buf - 1] = '\0';
  v = volt_get(s);
  ck_assert_int_eq(volt_err_code(v), -5);
  ck_assert_str_eq(volt_err_msg(v), "first message");

  strcpy(buf, "second message");
  ck_assert_int_eq(volt_set(s, volt_err(-6, buf)), 0);
  strcpy(buf, "scribbled over");
  v = volt_peek(s);
  ck_assert_int_eq(volt_err_code(v), -6);
  ck_assert_str_eq(volt_err_msg(v), "second message");

  cc.n = volt_signal(e.rt, volt_int(3), NULL);
  c = volt_computed(e.rt, err_from_buf_fn, &cc, NULL);
  ck_assert_ptr_nonnull(c);
  v = volt_get(c);
  memset(cc.buf, 'Y', sizeof cc.buf - 1);
  scribble_stack();
  ck_assert_int_eq(volt_err_code(v), -7);
  ck_assert_str_eq(volt_err_msg(v), "computed 3");
  ck_assert_int_eq(volt_set(cc.n, volt_int(4)), 0);
  v = volt_get(c);
  memset(cc.buf, 'Y', sizeof cc.buf - 1);
  ck_assert_str_eq(volt_err_msg(v), "computed 4");
  ck_assert_int_eq(cc.runs, 2);
  h_env_close(&e); /* copies freed: live bytes back to 0 */
}
END_TEST

START_TEST(values_err_equality_cutoff) {
  h_env e;
  char one[16] = "alpha", two[16] = "alpha";
  h_eff1 r = {0};
  volt_node *s;

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_err(-5, one), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(s, volt_err(-5, two)), 0); /* same code + text */
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(s, volt_err(-5, "beta")), 0); /* text differs */
  ck_assert_int_eq(r.runs, 2);
  ck_assert_str_eq(volt_err_msg(r.seen), "beta");
  ck_assert_int_eq(volt_set(s, volt_err(-6, "beta")), 0); /* code differs */
  ck_assert_int_eq(r.runs, 3);
  ck_assert_int_eq(volt_err_code(r.seen), -6);
  h_env_close(&e);
}
END_TEST

typedef struct rt_box {
  volt_node *src;  /* a signal holding the value under test */
  volt_node *mid;  /* a computed passing it through */
  int runs;
} rt_box;

static volt_val rt_pass(void *ud) {
  rt_box *b = ud;
  b->runs++;
  volt_val v = volt_get(b->src);
  /* Read again: the repeated-read path must give the same value. */
  volt_val w = volt_get(b->src);
  if (!volt_val_eq(v, w)) return volt_err(-1, "second read differs");
  return v;
}

START_TEST(values_round_trip_through_nodes) {
  h_env e;
  rt_box b;
  static int target;
  const volt_val vals[] = {volt_nil(),      volt_bool(true),       volt_bool(false),
                           volt_int(-7),    volt_int(INT64_MAX),   volt_num(2.5),
                           volt_num(-0.0),  volt_ptr(&target),     volt_err(-42, "broken pipe"),
                           volt_err(-43, NULL)};
  ENV_OPEN(e);
  memset(&b, 0, sizeof b);
  b.src = volt_signal(e.rt, volt_int(0), NULL);
  b.mid = volt_computed(e.rt, rt_pass, &b, NULL);
  ck_assert_int_eq(h_int(volt_get(b.mid)), 0);
  for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
    volt_val want = vals[i];
    ck_assert_int_eq(volt_set(b.src, want), 0);
    volt_val got = volt_get(b.mid);
    ck_assert_int_eq(volt_tag(got), volt_tag(want));
    ck_assert(volt_val_eq(got, want));
    ck_assert(volt_val_eq(volt_get(b.src), want));
    if (volt_is_err(want)) {
      ck_assert_int_eq(volt_err_code(got), volt_err_code(want));
      ck_assert_str_eq(volt_err_msg(got), volt_err_msg(want));
    }
    if (volt_tag(want) == VOLT_BOOL) ck_assert(volt_as_bool(got) == volt_as_bool(want));
  }
  /* The cutoff compares values, not bits: 0.0 after -0.0 is no change. */
  ck_assert_int_eq(volt_set(b.src, volt_num(-0.0)), 0);
  (void)volt_get(b.mid);
  int runs = b.runs;
  ck_assert_int_eq(volt_set(b.src, volt_num(0.0)), 0);
  (void)volt_get(b.mid);
  ck_assert_int_eq(b.runs, runs);
  /* Every NaN equals every NaN. */
  ck_assert_int_eq(volt_set(b.src, volt_num(NAN)), 0);
  (void)volt_get(b.mid);
  runs = b.runs;
  ck_assert_int_eq(volt_set(b.src, volt_num(-NAN)), 0);
  (void)volt_get(b.mid);
  ck_assert_int_eq(b.runs, runs);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * The graph (§5): glitch freedom, dynamic dependencies, cutoff, laziness
 * ------------------------------------------------------------------------ */

typedef struct diamond {
  volt_node *s, *a, *b, *b2, *c;
  int ra, rb, rb2, rc, re;
  int glitches;
  int64_t seen_c;
} diamond;

static volt_val dia_a(void *ud) {
  diamond *d = ud;
  d->ra++;
  return volt_int(2 * volt_as_int(volt_get(d->s)));
}
static volt_val dia_b(void *ud) {
  diamond *d = ud;
  d->rb++;
  return volt_int(volt_as_int(volt_get(d->s)) + 1);
}
static volt_val dia_b2(void *ud) { /* a longer arm: b2 = 3 * (b - 1) */
  diamond *d = ud;
  d->rb2++;
  return volt_int(3 * (volt_as_int(volt_get(d->b)) - 1));
}
static volt_val dia_c(void *ud) {
  diamond *d = ud;
  int64_t a = volt_as_int(volt_get(d->a)), b2 = volt_as_int(volt_get(d->b2));
  int64_t s = volt_as_int(volt_peek(d->s));
  d->rc++;
  if (a != 2 * s || b2 != 3 * s) d->glitches++;
  return volt_int(a + b2);
}
static void dia_eff(void *ud) {
  diamond *d = ud;
  int64_t s = volt_as_int(volt_get(d->s));
  int64_t a = volt_as_int(volt_get(d->a));
  int64_t b = volt_as_int(volt_get(d->b));
  int64_t c = volt_as_int(volt_get(d->c));
  d->re++;
  if (a != 2 * s || b != s + 1 || c != 5 * s) d->glitches++;
  d->seen_c = c;
}

START_TEST(diamond_glitch_free) {
  h_env e;
  diamond d;

  memset(&d, 0, sizeof d);
  ENV_OPEN(e);
  d.s = volt_signal(e.rt, volt_int(1), NULL);
  d.a = volt_computed(e.rt, dia_a, &d, NULL);
  d.b = volt_computed(e.rt, dia_b, &d, NULL);
  d.b2 = volt_computed(e.rt, dia_b2, &d, NULL);
  d.c = volt_computed(e.rt, dia_c, &d, NULL);
  ck_assert_ptr_nonnull(d.c);
  ck_assert_ptr_nonnull(volt_effect(e.rt, dia_eff, &d));
  ck_assert_int_eq(d.re, 1);
  ck_assert_int_eq(d.seen_c, 5);

  for (int64_t v = 2; v <= 6; v++) {
    ck_assert_int_eq(volt_set(d.s, volt_int(v)), 0);
    ck_assert_int_eq(d.re, (int)v);
    ck_assert_int_eq(d.seen_c, 5 * v);
  }
  /* a batch of writes: one run of everything */
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(d.s, volt_int(10)), 0);
  ck_assert_int_eq(volt_set(d.s, volt_int(11)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(d.re, 7);
  ck_assert_int_eq(d.seen_c, 55);
  /* each computed ran once per flush */
  ck_assert_int_eq(d.ra, 7);
  ck_assert_int_eq(d.rb, 7);
  ck_assert_int_eq(d.rb2, 7);
  ck_assert_int_eq(d.rc, 7);
  ck_assert_int_eq(d.glitches, 0);
  h_env_close(&e);
}
END_TEST

typedef struct cond {
  volt_node *flag, *x, *y, *c;
  int rc, re, re2;
  int64_t seen, seen2;
} cond;

static volt_val cond_c(void *ud) {
  cond *k = ud;
  k->rc++;
  return volt_as_bool(volt_get(k->flag)) ? volt_get(k->x) : volt_get(k->y);
}
static void cond_eff(void *ud) {
  cond *k = ud;
  k->re++;
  k->seen = volt_as_int(volt_get(k->c));
}
static void cond_eff_direct(void *ud) {
  cond *k = ud;
  k->re2++;
  k->seen2 = volt_as_int(volt_as_bool(volt_get(k->flag)) ? volt_get(k->x) : volt_get(k->y));
}

START_TEST(conditional_dependency_cleanup) {
  h_env e;
  cond k;
  volt_stats_t st;

  memset(&k, 0, sizeof k);
  ENV_OPEN(e);
  k.flag = volt_signal(e.rt, volt_bool(true), NULL);
  k.x = volt_signal(e.rt, volt_int(1), NULL);
  k.y = volt_signal(e.rt, volt_int(2), NULL);
  k.c = volt_computed(e.rt, cond_c, &k, NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, cond_eff, &k));
  ck_assert_ptr_nonnull(volt_effect(e.rt, cond_eff_direct, &k));
  ck_assert_int_eq(k.rc, 1);
  ck_assert_int_eq(k.seen, 1);
  ck_assert_int_eq(k.seen2, 1);

  ck_assert_int_eq(volt_set(k.x, volt_int(10)), 0);
  ck_assert_int_eq(k.rc, 2);
  ck_assert_int_eq(k.re, 2);
  ck_assert_int_eq(k.re2, 2);
  ck_assert_int_eq(k.seen, 10);

  ck_assert_int_eq(volt_set(k.flag, volt_bool(false)), 0);
  ck_assert_int_eq(k.rc, 3);
  ck_assert_int_eq(k.re, 3);
  ck_assert_int_eq(k.re2, 3);
  ck_assert_int_eq(k.seen, 2);
  ck_assert_int_eq(k.seen2, 2);
  /* edges now: c->flag, c->y, eff->c, eff2->flag, eff2->y */
  st = h_stats(e.rt);
  ck_assert_uint_eq(st.edges, 5);

  /* x was dropped by both: writing it triggers nothing */
  ck_assert_int_eq(volt_set(k.x, volt_int(20)), 0);
  ck_assert_int_eq(k.rc, 3);
  ck_assert_int_eq(k.re, 3);
  ck_assert_int_eq(k.re2, 3);

  ck_assert_int_eq(volt_set(k.y, volt_int(5)), 0);
  ck_assert_int_eq(k.rc, 4);
  ck_assert_int_eq(k.re, 4);
  ck_assert_int_eq(k.re2, 4);
  ck_assert_int_eq(k.seen, 5);

  /* and back: x is tracked again, y dropped */
  ck_assert_int_eq(volt_set(k.flag, volt_bool(true)), 0);
  ck_assert_int_eq(k.seen, 20);
  ck_assert_int_eq(volt_set(k.y, volt_int(6)), 0);
  ck_assert_int_eq(k.re, 5);
  ck_assert_int_eq(k.re2, 5);
  ck_assert_int_eq(k.rc, 5);
  h_env_close(&e);
}
END_TEST

typedef struct cut {
  volt_node *s, *parity, *down;
  int rp, rd, re;
  int64_t seen;
} cut;

static volt_val cut_parity(void *ud) {
  cut *c = ud;
  c->rp++;
  return volt_int(volt_as_int(volt_get(c->s)) % 2);
}
static volt_val cut_down(void *ud) {
  cut *c = ud;
  c->rd++;
  return volt_int(volt_as_int(volt_get(c->parity)) * 10);
}
static void cut_eff(void *ud) {
  cut *c = ud;
  c->re++;
  c->seen = volt_as_int(volt_get(c->down));
}

START_TEST(equality_cutoff) {
  h_env e;
  cut c;

  memset(&c, 0, sizeof c);
  ENV_OPEN(e);
  c.s = volt_signal(e.rt, volt_int(1), NULL);
  c.parity = volt_computed(e.rt, cut_parity, &c, NULL);
  c.down = volt_computed(e.rt, cut_down, &c, NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, cut_eff, &c));
  ck_assert_int_eq(c.seen, 10);
  ck_assert_int_eq(c.rp, 1);
  ck_assert_int_eq(c.rd, 1);

  ck_assert_int_eq(volt_set(c.s, volt_int(3)), 0); /* parity stays 1 */
  ck_assert_int_eq(c.rp, 2);
  ck_assert_int_eq(c.rd, 1);
  ck_assert_int_eq(c.re, 1);
  ck_assert_int_eq(volt_set(c.s, volt_int(5)), 0);
  ck_assert_int_eq(c.rp, 3);
  ck_assert_int_eq(c.rd, 1);
  ck_assert_int_eq(c.re, 1);

  ck_assert_int_eq(volt_set(c.s, volt_int(4)), 0);
  ck_assert_int_eq(c.rp, 4);
  ck_assert_int_eq(c.rd, 2);
  ck_assert_int_eq(c.re, 2);
  ck_assert_int_eq(c.seen, 0);
  h_env_close(&e);
}
END_TEST

/* An effect that reads a computed (cut off: its value does not change) and
 * then the computed's own source directly: the direct change must still
 * run the effect, whatever the order of the reads. */
typedef struct cutdir {
  volt_node *s, *parity;
  int runs_cs, runs_sc;
  int64_t seen_cs, seen_sc;
} cutdir;

static void cutdir_cs(void *ud) {
  cutdir *d = ud;
  d->runs_cs++;
  (void)volt_get(d->parity);
  d->seen_cs = volt_as_int(volt_get(d->s));
}
static void cutdir_sc(void *ud) {
  cutdir *d = ud;
  d->runs_sc++;
  d->seen_sc = volt_as_int(volt_get(d->s));
  (void)volt_get(d->parity);
}
static volt_val cutdir_parity(void *ud) { return volt_int(volt_as_int(volt_get(ud)) % 2); }

START_TEST(cutoff_then_direct_read) {
  h_env e;
  cutdir d;

  memset(&d, 0, sizeof d);
  ENV_OPEN(e);
  d.s = volt_signal(e.rt, volt_int(3), NULL);
  d.parity = volt_computed(e.rt, cutdir_parity, d.s, NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, cutdir_cs, &d));
  ck_assert_ptr_nonnull(volt_effect(e.rt, cutdir_sc, &d));
  ck_assert_int_eq(volt_set(d.s, volt_int(1)), 0); /* parity stays 1 */
  ck_assert_int_eq(d.runs_sc, 2);
  ck_assert_int_eq(d.seen_sc, 1);
  ck_assert_int_eq(d.runs_cs, 2);
  ck_assert_int_eq(d.seen_cs, 1);
  ck_assert_int_eq(volt_set(d.s, volt_int(4)), 0); /* parity changes too */
  ck_assert_int_eq(d.runs_cs, 3);
  ck_assert_int_eq(d.runs_sc, 3);
  ck_assert_int_eq(d.seen_cs, 4);
  h_env_close(&e);
}
END_TEST

/* Reading the same node several times in one run makes one edge. */
typedef struct rep {
  volt_node *s;
  int runs;
} rep;

static void rep_fn(void *ud) {
  rep *r = ud;
  r->runs++;
  for (int i = 0; i < 3; i++) (void)volt_get(r->s);
}

START_TEST(repeated_reads_one_edge) {
  h_env e;
  rep r = {0};

  ENV_OPEN(e);
  r.s = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, rep_fn, &r));
  ck_assert_uint_eq(h_stats(e.rt).edges, 1);
  ck_assert_int_eq(volt_set(r.s, volt_int(1)), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_uint_eq(h_stats(e.rt).edges, 1);
  h_env_close(&e);
}
END_TEST

typedef struct eqx {
  int calls;
  int bad_ud;
} eqx;

static bool eq_mod10(volt_val a, volt_val b, void *ud) {
  eqx *x = ud;
  x->calls++;
  return volt_as_int(a) % 10 == volt_as_int(b) % 10;
}
static bool eq_same_sign(volt_val a, volt_val b, void *ud) {
  eqx *x = ud;
  x->calls++;
  return (volt_as_int(a) < 0) == (volt_as_int(b) < 0);
}

START_TEST(custom_equals) {
  h_env e;
  eqx xs = {0}, xc = {0};
  volt_opts os, oc;
  volt_node *s, *c;
  h_eff1 rs = {0}, rc = {0};
  h_lin id = {0};

  ENV_OPEN(e);
  memset(&os, 0, sizeof os);
  os.equals = eq_mod10;
  os.ud = &xs;
  s = volt_signal(e.rt, volt_int(2), &os);
  ck_assert_ptr_nonnull(s);
  rs.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &rs));

  ck_assert_int_eq(volt_set(s, volt_int(12)), 0); /* equal mod 10 */
  ck_assert_int_gt(xs.calls, 0);
  ck_assert_int_eq(rs.runs, 1);
  ck_assert_int_eq(h_int(volt_peek(s)), 2); /* keeps the old value */
  ck_assert_int_eq(volt_set(s, volt_int(13)), 0);
  ck_assert_int_eq(rs.runs, 2);
  ck_assert_int_eq(h_int(rs.seen), 13);

  /* a computed with its own equals: same sign counts as equal */
  memset(&oc, 0, sizeof oc);
  oc.equals = eq_same_sign;
  oc.ud = &xc;
  id.a = s;
  id.k = 1;
  c = volt_computed(e.rt, h_lin_fn, &id, &oc);
  ck_assert_ptr_nonnull(c);
  rc.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &rc));
  ck_assert_int_eq(h_int(rc.seen), 13);
  ck_assert_int_eq(volt_set(s, volt_int(25)), 0);
  ck_assert_int_eq(id.runs, 2);    /* recomputed */
  ck_assert_int_gt(xc.calls, 0);   /* its equals was asked */
  ck_assert_int_eq(rc.runs, 1);    /* but downstream cut off */
  ck_assert_int_eq(h_int(volt_peek(c)), 13); /* keeps the old value */
  ck_assert_int_eq(volt_set(s, volt_int(-3)), 0);
  ck_assert_int_eq(rc.runs, 2);
  ck_assert_int_eq(h_int(rc.seen), -3);
  h_env_close(&e);
}
END_TEST

START_TEST(lazy_computeds) {
  h_env e;
  h_lin l = {0};
  volt_node *s, *c;
  h_eff1 r1 = {0}, r2 = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(1), NULL);
  l.a = s;
  l.k = 2;
  c = volt_computed(e.rt, h_lin_fn, &l, NULL);
  ck_assert_ptr_nonnull(c);
  ck_assert_int_eq(l.runs, 0); /* not run until read */
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(l.runs, 0);
  ck_assert_int_eq(h_int(volt_get(c)), 4);
  ck_assert_int_eq(l.runs, 1);
  ck_assert_int_eq(h_int(volt_get(c)), 4);
  ck_assert_int_eq(h_int(volt_peek(c)), 4);
  ck_assert_int_eq(l.runs, 1); /* cached */
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(4)), 0);
  ck_assert_int_eq(l.runs, 1); /* unobserved: not recomputed on write */
  ck_assert_int_eq(h_int(volt_peek(c)), 8);
  ck_assert_int_eq(l.runs, 2);

  /* observed by two effects: at most once per flush */
  r1.src = c;
  r2.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r1));
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r2));
  ck_assert_int_eq(l.runs, 2); /* already fresh */
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(5)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(6)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(7)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(l.runs, 3);
  ck_assert_int_eq(r1.runs, 2);
  ck_assert_int_eq(r2.runs, 2);
  ck_assert_int_eq(h_int(r1.seen), 14);
  ck_assert_int_eq(volt_set(s, volt_int(8)), 0);
  ck_assert_int_eq(l.runs, 4);
  h_env_close(&e);
}
END_TEST

/* A read of another runtime's node inside an effect is untracked (guide
 * §17.14): edges never cross runtimes. */
START_TEST(cross_runtime_read_untracked) {
  h_env e1, e2;
  volt_node *other;
  h_eff1 r = {0};

  ENV_OPEN(e1);
  h_env_open(&e2, H_LOOPLESS, NULL);
  other = volt_signal(e2.rt, volt_int(5), NULL);
  r.src = other;
  ck_assert_ptr_nonnull(volt_effect(e1.rt, h_eff1_fn, &r));
  ck_assert_int_eq(h_int(r.seen), 5);
  ck_assert_int_eq(volt_set(other, volt_int(6)), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_uint_eq(h_stats(e1.rt).edges, 0);
  ck_assert_uint_eq(h_stats(e2.rt).edges, 0);
  h_env_close(&e2);
  h_env_close(&e1);
}
END_TEST

/* ------------------------------------------------------------------------
 * Untracked reads
 * ------------------------------------------------------------------------ */

typedef struct pk {
  volt_node *a, *b, *c;
  int runs, rcomp;
  int64_t sa, sb, sc;
} pk;

static void pk_read_c(void *ud) {
  pk *p = ud;
  p->sc = volt_as_int(volt_get(p->c));
}
static void pk_eff(void *ud) {
  pk *p = ud;
  p->runs++;
  p->sa = volt_as_int(volt_get(p->a));
  p->sb = volt_as_int(volt_peek(p->b));
  volt_untrack(volt_node_rt(p->a), pk_read_c, p);
}
static volt_val pk_comp(void *ud) {
  pk *p = ud;
  p->rcomp++;
  return volt_int(volt_as_int(volt_get(p->a)) * 100 + volt_as_int(volt_peek(p->b)));
}

START_TEST(peek_and_untrack) {
  h_env e;
  pk p;
  volt_node *c;
  h_eff1 r = {0};

  memset(&p, 0, sizeof p);
  ENV_OPEN(e);
  p.a = volt_signal(e.rt, volt_int(1), NULL);
  p.b = volt_signal(e.rt, volt_int(2), NULL);
  p.c = volt_signal(e.rt, volt_int(3), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, pk_eff, &p));
  ck_assert_int_eq(p.runs, 1);
  ck_assert_int_eq(p.sb, 2);
  ck_assert_int_eq(p.sc, 3);
  ck_assert_int_eq(volt_set(p.b, volt_int(20)), 0);
  ck_assert_int_eq(p.runs, 1); /* peek does not track */
  ck_assert_int_eq(volt_set(p.c, volt_int(30)), 0);
  ck_assert_int_eq(p.runs, 1); /* untrack does not track */
  ck_assert_int_eq(volt_set(p.a, volt_int(10)), 0);
  ck_assert_int_eq(p.runs, 2);
  ck_assert_int_eq(p.sb, 20);
  ck_assert_int_eq(p.sc, 30);
  ck_assert_uint_eq(h_stats(e.rt).edges, 1); /* only eff -> a */

  c = volt_computed(e.rt, pk_comp, &p, NULL);
  r.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(h_int(r.seen), 1020);
  ck_assert_int_eq(volt_set(p.b, volt_int(5)), 0);
  ck_assert_int_eq(p.rcomp, 1);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(h_int(volt_peek(c)), 1020); /* cached: b is untracked */
  ck_assert_int_eq(volt_set(p.a, volt_int(2)), 0);
  ck_assert_int_eq(h_int(r.seen), 205);
  h_env_close(&e);
}
END_TEST

typedef struct un_next {
  volt_rt *rt;
  volt_node *a, *b;
  int untracked; /* 1: read b inside volt_untrack */
  int runs;
  int64_t seen_b;
} un_next;

static void un_read_b(void *ud) {
  un_next *u = ud;
  u->seen_b = h_int(volt_get(u->b));
}

static volt_val un_fn(void *ud) {
  un_next *u = ud;
  u->runs++;
  int64_t a = h_int(volt_get(u->a));
  if (u->untracked)
    volt_untrack(u->rt, un_read_b, u);
  else
    u->seen_b = h_int(volt_get(u->b));
  return volt_int(a + u->seen_b);
}

START_TEST(untracked_read_of_next_dependency) {
  h_env e;
  un_next u;
  volt_node *c;
  ENV_OPEN(e);
  memset(&u, 0, sizeof u);
  u.rt = e.rt;
  u.a = volt_signal(e.rt, volt_int(1), NULL);
  u.b = volt_signal(e.rt, volt_int(10), NULL);
  c = volt_computed(e.rt, un_fn, &u, NULL);
  ck_assert_int_eq(h_int(volt_get(c)), 11); /* deps: a, b */
  ck_assert_int_eq(volt_set(u.b, volt_int(20)), 0);
  ck_assert_int_eq(h_int(volt_get(c)), 21);
  ck_assert_int_eq(u.runs, 2);
  /* Next run: b is read untracked, although it is the next dependency of
   * the previous run; afterwards b no longer reaches c. */
  u.untracked = 1;
  ck_assert_int_eq(volt_set(u.a, volt_int(2)), 0);
  ck_assert_int_eq(h_int(volt_get(c)), 22);
  ck_assert_int_eq(u.runs, 3);
  ck_assert_int_eq(volt_set(u.b, volt_int(30)), 0);
  ck_assert_int_eq(h_int(volt_get(c)), 22); /* cached: b is not a dependency */
  ck_assert_int_eq(u.runs, 3);
  ck_assert_int_eq(volt_set(u.a, volt_int(3)), 0);
  ck_assert_int_eq(h_int(volt_get(c)), 33);
  ck_assert_int_eq(u.runs, 4);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------------ */

START_TEST(batch_revert_notifies_nobody) {
  h_env e;
  volt_node *s, *c;
  h_lin l = {0};
  h_eff1 rc = {0}, rs = {0};
  h_wrec ws = {0}, wc = {0};
  volt_watcher *w1, *w2;

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(1), NULL);
  l.a = s;
  l.k = 10;
  c = volt_computed(e.rt, h_lin_fn, &l, NULL);
  rc.src = c;
  rs.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &rc));
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &rs));
  ws.n = s;
  wc.n = c;
  w1 = volt_watch(s, h_wrec_cb, &ws);
  w2 = volt_watch(c, h_wrec_cb, &wc);
  ck_assert_ptr_nonnull(w1);
  ck_assert_ptr_nonnull(w2);
  ck_assert_int_eq(l.runs, 1);

  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(rc.runs, 1);
  ck_assert_int_eq(rs.runs, 1);
  ck_assert_int_eq(ws.calls, 0);
  ck_assert_int_eq(wc.calls, 0);
  ck_assert_int_eq(l.runs, 1); /* not even recomputed */

  /* and a real change is still seen */
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(rc.runs, 2);
  ck_assert_int_eq(rs.runs, 2);
  ck_assert_int_eq(ws.calls, 1);
  ck_assert_int_eq(wc.calls, 1);
  ck_assert_int_eq(volt_unwatch(w1), 0);
  ck_assert_int_eq(volt_unwatch(w2), 0);
  h_env_close(&e);
}
END_TEST

START_TEST(batch_nesting) {
  h_env e;
  volt_node *s;
  h_eff1 r = {0}, r2 = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(r.runs, 1);

  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0); /* inner end: no flush */
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(s, volt_int(4)), 0);
  /* an effect created inside a batch runs at once, seeing the latest write */
  r2.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r2));
  ck_assert_int_eq(r2.runs, 1);
  ck_assert_int_eq(h_int(r2.seen), 4);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_batch_end(e.rt), 0); /* outermost: flush */
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 4);
  ck_assert_int_eq(r2.runs, 1); /* it already saw 4 */

  ck_assert_int_eq(volt_batch_end(e.rt), VOLT_EINVAL); /* no batch open */
  ck_assert_int_eq(volt_set(s, volt_int(5)), 0);          /* still flushes */
  ck_assert_int_eq(r.runs, 3);
  ck_assert_int_eq(r2.runs, 2);
  h_env_close(&e);
}
END_TEST

/* volt_flush runs a flush even inside an open batch (guide §17.16). */
START_TEST(flush_inside_open_batch) {
  h_env e;
  volt_node *s;
  h_eff1 r = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 1);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(r.runs, 2); /* still batched */
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(r.runs, 3);
  ck_assert_int_eq(volt_batch_end(e.rt), VOLT_EINVAL);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Errors: cycles, writes in computeds
 * ------------------------------------------------------------------------ */

typedef struct cyc {
  volt_node *self, *peer, *on;
  int runs;
  int inner_code;
} cyc;

static volt_val cyc_self(void *ud) {
  cyc *c = ud;
  volt_val v = volt_get(c->self);
  c->runs++;
  c->inner_code = volt_err_code(v);
  if (volt_is_err(v)) return v;
  return volt_int(volt_as_int(v) + 1);
}
static volt_val cyc_peer(void *ud) {
  cyc *c = ud;
  volt_val v;
  c->runs++;
  if (c->on && !volt_as_bool(volt_get(c->on))) return volt_int(0);
  v = volt_get(c->peer);
  if (volt_is_err(v)) {
    c->inner_code = volt_err_code(v);
    return v;
  }
  return volt_int(volt_as_int(v) + 1);
}

START_TEST(cycle_direct) {
  h_env e;
  cyc c;
  volt_node *n;
  volt_val v;
  h_eff1 r = {0};

  memset(&c, 0, sizeof c);
  ENV_OPEN(e);
  n = volt_computed(e.rt, cyc_self, &c, NULL);
  ck_assert_ptr_nonnull(n);
  c.self = n;
  v = volt_get(n);
  ck_assert_int_eq(c.inner_code, VOLT_ECYCLE);
  ck_assert_int_eq(c.runs, 1);
  ck_assert_int_eq(volt_tag(v), VOLT_ERR);
  ck_assert_int_eq(volt_err_code(v), VOLT_ECYCLE);
  v = volt_get(n); /* again: no hang */
  ck_assert_int_eq(volt_err_code(v), VOLT_ECYCLE);
  ck_assert_int_le(c.runs, 2);
  r.src = n;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_err_code(r.seen), VOLT_ECYCLE);
  h_env_close(&e);
}
END_TEST

START_TEST(cycle_indirect) {
  h_env e;
  cyc ca, cb;
  volt_node *a, *b, *on;
  volt_val v;
  h_eff1 r = {0};

  memset(&ca, 0, sizeof ca);
  memset(&cb, 0, sizeof cb);
  ENV_OPEN(e);
  on = volt_signal(e.rt, volt_bool(true), NULL);
  ca.on = on;
  a = volt_computed(e.rt, cyc_peer, &ca, NULL);
  b = volt_computed(e.rt, cyc_peer, &cb, NULL);
  ck_assert_ptr_nonnull(a);
  ck_assert_ptr_nonnull(b);
  ca.peer = b;
  cb.peer = a;
  v = volt_get(a);
  ck_assert_int_eq(volt_err_code(v), VOLT_ECYCLE);
  ck_assert_int_eq(cb.inner_code, VOLT_ECYCLE); /* b read a while a ran */
  ck_assert_int_eq(volt_err_code(volt_get(b)), VOLT_ECYCLE);
  ck_assert_int_le(ca.runs, 2);
  ck_assert_int_le(cb.runs, 2);
  r.src = b;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(volt_err_code(r.seen), VOLT_ECYCLE);

  h_env_close(&e);
}
END_TEST

/* Once the cycle is broken (a stops reading b), b - which read a, even if
 * that read reported VOLT_ECYCLE - follows a again. */
START_TEST(cycle_broken_recovers) {
  h_env e;
  cyc ca, cb;
  volt_node *a, *b, *on;
  h_eff1 r = {0};

  memset(&ca, 0, sizeof ca);
  memset(&cb, 0, sizeof cb);
  ENV_OPEN(e);
  on = volt_signal(e.rt, volt_bool(true), NULL);
  ca.on = on;
  a = volt_computed(e.rt, cyc_peer, &ca, NULL);
  b = volt_computed(e.rt, cyc_peer, &cb, NULL);
  ca.peer = b;
  cb.peer = a;
  r.src = b;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_int_eq(volt_err_code(r.seen), VOLT_ECYCLE);
  ck_assert_int_eq(volt_set(on, volt_bool(false)), 0);
  ck_assert_int_eq(h_int(volt_get(a)), 0);
  ck_assert_int_eq(h_int(volt_get(b)), 1);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 1);
  h_env_close(&e);
}
END_TEST

typedef struct wic {
  volt_node *target, *ptarget, *trig;
  h_pool *pool;
  int rc, prc, runs;
} wic;

static volt_val wic_fn(void *ud) {
  wic *w = ud;
  int64_t t = volt_as_int(volt_get(w->trig));
  w->runs++;
  w->rc = volt_set(w->target, volt_int(100 + t));
  w->prc = volt_set(w->ptarget, volt_ptr(h_box_new(w->pool, t)));
  return volt_int(t);
}

START_TEST(set_inside_computed_eperm) {
  h_env e;
  h_pool pool;
  wic w;
  volt_opts po;
  volt_node *c;
  h_eff1 rt_ = {0}, rc = {0};

  h_pool_init(&pool);
  memset(&w, 0, sizeof w);
  memset(&po, 0, sizeof po);
  po.release = h_box_release;
  po.ud = &pool;
  ENV_OPEN(e);
  w.pool = &pool;
  w.trig = volt_signal(e.rt, volt_int(1), NULL);
  w.target = volt_signal(e.rt, volt_int(0), NULL);
  w.ptarget = volt_signal(e.rt, volt_nil(), &po);
  rt_.src = w.target;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &rt_));
  c = volt_computed(e.rt, wic_fn, &w, NULL);
  ck_assert_ptr_nonnull(c);

  ck_assert_int_eq(h_int(volt_get(c)), 1);
  ck_assert_int_eq(w.rc, VOLT_EPERM);
  ck_assert_int_eq(w.prc, VOLT_EPERM);
  ck_assert_int_eq(h_int(volt_peek(w.target)), 0); /* changed nothing */
  ck_assert(volt_is_nil(volt_peek(w.ptarget)));
  ck_assert_int_eq(rt_.runs, 1);
  ck_assert_int_eq(pool.box[0].released, 1); /* the PTR was released */

  /* also when the computed runs inside a flush */
  rc.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &rc));
  w.rc = w.prc = 0;
  ck_assert_int_eq(volt_set(w.trig, volt_int(2)), 0);
  ck_assert_int_eq(h_int(rc.seen), 2);
  ck_assert_int_eq(w.rc, VOLT_EPERM);
  ck_assert_int_eq(w.prc, VOLT_EPERM);
  ck_assert_int_eq(h_int(volt_peek(w.target)), 0);
  ck_assert_int_eq(rt_.runs, 1);
  ck_assert_int_eq(pool.box[1].released, 1);

  /* writing a computed is not allowed either */
  ck_assert_int_eq(volt_set(c, volt_int(9)), VOLT_EINVAL);
  ck_assert_int_eq(h_int(volt_peek(c)), 2);
  h_env_close(&e);
  ck_assert_int_eq(h_pool_unreleased(&pool), 0);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  ck_assert_int_eq(pool.bad, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * Hooks: release, watched / unwatched
 * ------------------------------------------------------------------------ */

typedef struct boxc {
  volt_node *n;
  h_pool *pool;
  int64_t div;
  int runs;
} boxc;

static volt_val boxc_fn(void *ud) {
  boxc *b = ud;
  b->runs++;
  return volt_ptr(h_box_new(b->pool, volt_as_int(volt_get(b->n)) / b->div));
}

typedef struct relw {
  int calls;
  int old_released_at_call; /* the old value must still be alive */
} relw;

static void relw_cb(volt_node *n, volt_val old, volt_val now, void *ud) {
  relw *r = ud;
  h_box *b = volt_as_ptr(old);
  (void)n;
  (void)now;
  r->calls++;
  if (b) r->old_released_at_call += b->released;
}

START_TEST(release_hook_counts) {
  h_env e;
  h_pool pool;
  volt_opts ro, re;
  volt_node *s, *s2, *n, *c, *c2;
  h_box *b1, *b2, *b3, *b4, *b5, *cv;
  h_eff1 r2 = {0};
  boxc bc, bc2;
  relw rw = {0};
  volt_watcher *w;

  h_pool_init(&pool);
  memset(&ro, 0, sizeof ro);
  ro.release = h_box_release;
  ro.ud = &pool;
  re = ro;
  re.equals = h_box_equals;
  ENV_OPEN(e);

  b1 = h_box_new(&pool, 1);
  b2 = h_box_new(&pool, 2);
  s = volt_signal(e.rt, volt_ptr(b1), &ro);
  ck_assert_ptr_nonnull(s);
  w = volt_watch(s, relw_cb, &rw);
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(volt_set(s, volt_ptr(b2)), 0); /* replaced by set */
  ck_assert_int_eq(b1->released, 1);
  ck_assert_int_eq(b2->released, 0);
  ck_assert_int_eq(rw.calls, 1);
  ck_assert_int_eq(rw.old_released_at_call, 0); /* released after watchers */
  ck_assert_int_eq(volt_set(s, volt_ptr(b2)), 0); /* same pointer again */
  ck_assert_int_eq(b2->released, 0);
  ck_assert_int_eq(rw.calls, 1);
  ck_assert_int_eq(volt_unwatch(w), 0);

  /* equal value by the node's equals: the new one is released at once */
  b3 = h_box_new(&pool, 7);
  b4 = h_box_new(&pool, 7);
  b5 = h_box_new(&pool, 8);
  s2 = volt_signal(e.rt, volt_ptr(b3), &re);
  r2.src = s2;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r2));
  ck_assert_int_eq(volt_set(s2, volt_ptr(b4)), 0);
  ck_assert_int_eq(b4->released, 1);
  ck_assert_int_eq(b3->released, 0);
  ck_assert_ptr_eq(volt_as_ptr(volt_peek(s2)), b3);
  ck_assert_int_eq(r2.runs, 1);
  ck_assert_int_eq(volt_set(s2, volt_ptr(b5)), 0);
  ck_assert_int_eq(b3->released, 1);
  ck_assert_int_eq(r2.runs, 2);

  /* computed results replaced */
  n = volt_signal(e.rt, volt_int(10), NULL);
  bc.n = n;
  bc.pool = &pool;
  bc.div = 1;
  bc.runs = 0;
  c = volt_computed(e.rt, boxc_fn, &bc, &ro);
  cv = volt_as_ptr(volt_get(c));
  ck_assert_ptr_nonnull(cv);
  ck_assert_int_eq(cv->v, 10);
  ck_assert_int_eq(volt_set(n, volt_int(11)), 0);
  ck_assert_int_eq(((h_box *)volt_as_ptr(volt_get(c)))->v, 11);
  ck_assert_int_eq(volt_flush(e.rt), 0); /* (see release_on_lazy_recompute) */
  ck_assert_int_eq(cv->released, 1);

  /* a computed with equals: an equal new result is released, the old kept */
  bc2 = bc;
  bc2.div = 100;
  bc2.runs = 0;
  c2 = volt_computed(e.rt, boxc_fn, &bc2, &re);
  cv = volt_as_ptr(volt_get(c2));
  ck_assert_int_eq(cv->v, 0);
  ck_assert_int_eq(volt_set(n, volt_int(12)), 0);
  ck_assert_ptr_eq(volt_as_ptr(volt_get(c2)), cv);
  ck_assert_int_eq(bc2.runs, 2);
  ck_assert_int_eq(cv->released, 0);
  ck_assert_int_eq(pool.box[pool.used - 1].released, 1);

  /* node disposed */
  volt_dispose(s);
  ck_assert_int_eq(b2->released, 1);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  ck_assert_int_eq(b5->released, 0);

  /* runtime closed: s2's b5, c's and c2's current values */
  h_env_close(&e);
  ck_assert_int_eq(h_pool_unreleased(&pool), 0);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  ck_assert_int_eq(pool.releases, pool.used);
  ck_assert_int_eq(pool.bad, 0);
}
END_TEST

/* A lazy computed recomputed by a plain read (outside any flush): the PTR
 * it replaced is released by the time the read returns, not at some later
 * flush ("called ... when that value is replaced"). */
START_TEST(release_on_lazy_recompute) {
  h_env e;
  h_pool pool;
  volt_opts ro;
  volt_node *n, *c;
  h_box *first;
  boxc bc;

  h_pool_init(&pool);
  memset(&ro, 0, sizeof ro);
  ro.release = h_box_release;
  ro.ud = &pool;
  ENV_OPEN(e);
  n = volt_signal(e.rt, volt_int(10), NULL);
  bc.n = n;
  bc.pool = &pool;
  bc.div = 1;
  bc.runs = 0;
  c = volt_computed(e.rt, boxc_fn, &bc, &ro);
  first = volt_as_ptr(volt_get(c));
  ck_assert_ptr_nonnull(first);
  ck_assert_int_eq(volt_set(n, volt_int(11)), 0);
  ck_assert_int_eq(first->released, 0);
  ck_assert_int_eq(((h_box *)volt_as_ptr(volt_get(c)))->v, 11);
  ck_assert_int_eq(first->released, 1);
  volt_dispose(c);
  ck_assert_int_eq(h_pool_unreleased(&pool), 0);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
  h_env_close(&e);
}
END_TEST

typedef struct hooks {
  volt_node *n;
  int watched, unwatched, bad_node;
} hooks;

static void hk_watched(volt_node *n, void *ud) {
  hooks *h = ud;
  h->watched++;
  if (h->n && n != h->n) h->bad_node++;
}
static void hk_unwatched(volt_node *n, void *ud) {
  hooks *h = ud;
  h->unwatched++;
  if (h->n && n != h->n) h->bad_node++;
}

typedef struct gate {
  volt_node *flag, *x;
} gate;

static void gate_fn(void *ud) {
  gate *g = ud;
  if (volt_as_bool(volt_get(g->flag))) (void)volt_get(g->x);
}

START_TEST(watched_unwatched_hooks) {
  h_env e;
  hooks hs = {0};
  volt_opts o;
  volt_node *s, *e1, *e2, *flag;
  h_eff1 r1 = {0}, r2 = {0};
  volt_watcher *w;
  h_wrec wr = {0};
  gate g;

  ENV_OPEN(e);
  memset(&o, 0, sizeof o);
  o.watched = hk_watched;
  o.unwatched = hk_unwatched;
  o.ud = &hs;
  s = volt_signal(e.rt, volt_int(1), &o);
  hs.n = s;
  ck_assert_int_eq(hs.watched, 0);
  r1.src = r2.src = s;
  e1 = volt_effect(e.rt, h_eff1_fn, &r1);
  ck_assert_int_eq(hs.watched, 1);
  e2 = volt_effect(e.rt, h_eff1_fn, &r2);
  ck_assert_int_eq(hs.watched, 1); /* not the first subscriber */
  volt_dispose(e1);
  ck_assert_int_eq(hs.unwatched, 0);
  volt_dispose(e2);
  ck_assert_int_eq(hs.unwatched, 1); /* last one left */

  w = volt_watch(s, h_wrec_cb, &wr);
  ck_assert_int_eq(hs.watched, 2);
  ck_assert_int_eq(volt_unwatch(w), 0);
  ck_assert_int_eq(hs.unwatched, 2);

  /* a dependency dropped by a re-run: last subscriber leaves */
  flag = volt_signal(e.rt, volt_bool(true), NULL);
  g.flag = flag;
  g.x = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, gate_fn, &g));
  ck_assert_int_eq(hs.watched, 3);
  ck_assert_int_eq(volt_set(flag, volt_bool(false)), 0);
  ck_assert_int_eq(hs.unwatched, 3);
  ck_assert_int_eq(hs.bad_node, 0);
  h_env_close(&e);
  ck_assert_int_eq(hs.watched, hs.unwatched);
}
END_TEST

/* An effect reading a computed that reads a signal: the computed is watched
 * while the effect lives and unwatched when it goes. When its last
 * subscriber leaves, the computed drops its own sources (peer semantics,
 * guide §8), so the source is unwatched too; observed again, the computed
 * links its source again. */
START_TEST(watched_hooks_through_computed) {
  h_env e;
  hooks hs = {0}, hc = {0};
  volt_opts o, oc;
  volt_node *s, *c, *e3;
  h_eff1 r3 = {0};
  h_lin l = {0};

  ENV_OPEN(e);
  memset(&o, 0, sizeof o);
  o.watched = hk_watched;
  o.unwatched = hk_unwatched;
  o.ud = &hs;
  oc = o;
  oc.ud = &hc;
  s = volt_signal(e.rt, volt_int(1), &o);
  hs.n = s;
  l.a = s;
  l.k = 2;
  c = volt_computed(e.rt, h_lin_fn, &l, &oc);
  hc.n = c;
  ck_assert_int_eq(h_int(volt_get(c)), 2); /* a plain read does not watch c */
  ck_assert_int_eq(hc.watched, 0);
  r3.src = c;
  e3 = volt_effect(e.rt, h_eff1_fn, &r3);
  ck_assert_int_eq(hc.watched, 1);
  ck_assert_int_eq(hs.watched, 1);
  ck_assert_int_eq(hs.unwatched, 0);
  volt_dispose(e3);
  ck_assert_int_eq(hc.unwatched, 1);
  /* c dropped its source: s's last subscriber left with it. */
  ck_assert_int_eq(hs.unwatched, 1);
  /* watched again: c's first subscriber arrives, c links s again */
  e3 = volt_effect(e.rt, h_eff1_fn, &r3);
  ck_assert_int_eq(h_int(r3.seen), 2);
  ck_assert_int_eq(hc.watched, 2);
  ck_assert_int_eq(hs.watched, 2);
  volt_dispose(e3);
  ck_assert_int_eq(hs.unwatched, 2);
  volt_dispose(c);
  ck_assert_int_eq(hs.unwatched, 2);
  ck_assert_int_eq(hs.bad_node + hc.bad_node, 0);
  h_env_close(&e);
  ck_assert_int_eq(hs.watched, hs.unwatched);
  ck_assert_int_eq(hc.watched, hc.unwatched);
}
END_TEST

/* ------------------------------------------------------------------------
 * Stats, DOT, names
 * ------------------------------------------------------------------------ */

typedef struct sumall {
  volt_node *n[10];
  int runs;
} sumall;

static void sumall_fn(void *ud) {
  sumall *s = ud;
  s->runs++;
  for (int i = 0; i < 10; i++) (void)volt_get(s->n[i]);
}

START_TEST(stats_counts) {
  h_env e;
  volt_stats_t s0, s1, s2, s3;
  volt_node *sig[10], *eff;
  h_lin l[10];
  sumall sa;

  memset(l, 0, sizeof l);
  memset(&sa, 0, sizeof sa);
  ENV_OPEN(e);
  s0 = h_stats(e.rt);
  ck_assert_uint_eq(s0.live_nodes, 0);
  ck_assert_uint_eq(s0.edges, 0);
  ck_assert_uint_eq(s0.work_in_flight, 0);
  ck_assert_int_eq(volt_stats(e.rt, NULL), VOLT_EINVAL);

  for (int i = 0; i < 10; i++) {
    sig[i] = volt_signal(e.rt, volt_int(i), NULL);
    l[i].a = sig[i];
    l[i].k = 1;
    sa.n[i] = volt_computed(e.rt, h_lin_fn, &l[i], NULL);
  }
  eff = volt_effect(e.rt, sumall_fn, &sa);
  s1 = h_stats(e.rt);
  ck_assert_uint_eq(s1.live_nodes, 21);
  ck_assert_uint_eq(s1.edges, 20);
  ck_assert_uint_gt(s1.bytes, s0.bytes);
  ck_assert_uint_ge(s1.bytes, s1.node_bytes + s1.edge_bytes);
  ck_assert_uint_ge(s1.node_bytes, 21 * 1); /* some node storage */
  ck_assert_uint_gt(s1.edge_bytes, 0);

  ck_assert_int_eq(volt_set(sig[3], volt_int(100)), 0);
  s2 = h_stats(e.rt);
  ck_assert_uint_eq(s2.flushes, s1.flushes + 1);
  ck_assert_uint_eq(s2.effect_runs, s1.effect_runs + 1);
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(sig[4], volt_int(100)), 0);
  ck_assert_int_eq(volt_set(sig[5], volt_int(100)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  s3 = h_stats(e.rt);
  ck_assert_uint_eq(s3.flushes, s2.flushes + 1);
  ck_assert_uint_eq(s3.effect_runs, s2.effect_runs + 1);

  volt_dispose(eff);
  for (int i = 0; i < 10; i++) {
    volt_dispose(sa.n[i]);
    volt_dispose(sig[i]);
  }
  s2 = h_stats(e.rt);
  ck_assert_uint_eq(s2.live_nodes, 0);
  ck_assert_uint_eq(s2.edges, 0);
  h_env_close(&e);
}
END_TEST

static volt_val dot_beta(void *ud) { return volt_int(volt_as_int(volt_get(ud)) + 1); }
static void dot_eff(void *ud) { (void)volt_get(ud); }

START_TEST(dump_dot_output) {
  h_env e;
  volt_node *a, *b;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;
  char ida[64], idb[64];

  ENV_OPEN(e);
  a = volt_signal(e.rt, volt_int(1), &(volt_opts){.name = "alpha_sig"});
  b = volt_computed(e.rt, dot_beta, a, &(volt_opts){.name = "beta_comp"});
  ck_assert_ptr_nonnull(volt_effect(e.rt, dot_eff, b));
  ck_assert_str_eq(volt_node_name(a), "alpha_sig");
  ck_assert_ptr_eq(volt_node_rt(a), e.rt);

  f = open_memstream(&buf, &len);
  ck_assert_ptr_nonnull(f);
  ck_assert_int_eq(volt_dump_dot(e.rt, f), 0);
  fclose(f);
  ck_assert_ptr_nonnull(buf);
  ck_assert_ptr_nonnull(strstr(buf, "digraph"));
  ck_assert_ptr_nonnull(strstr(buf, "alpha_sig"));
  ck_assert_ptr_nonnull(strstr(buf, "beta_comp"));
  ck_assert_ptr_nonnull(strstr(buf, "signal"));
  ck_assert_ptr_nonnull(strstr(buf, "computed"));
  ck_assert_ptr_nonnull(strstr(buf, "effect"));
  ck_assert_ptr_nonnull(strstr(buf, "->"));
  /* the arc goes from the dependency to its subscriber */
  ck_assert_msg(h_dot_vertex_id(buf, "alpha_sig", ida, sizeof ida), "no vertex alpha:\n%s", buf);
  ck_assert_msg(h_dot_vertex_id(buf, "beta_comp", idb, sizeof idb), "no vertex beta:\n%s", buf);
  ck_assert_str_ne(ida, idb);
  ck_assert_msg(h_dot_has_arc(buf, "alpha_sig", "beta_comp"), "no arc alpha -> beta in:\n%s", buf);
  ck_assert_msg(!h_dot_has_arc(buf, "beta_comp", "alpha_sig"), "an arc beta -> alpha in:\n%s", buf);
  free(buf);
  ck_assert_int_eq(volt_dump_dot(e.rt, NULL), VOLT_EINVAL);
  h_env_close(&e);
}
END_TEST

START_TEST(node_names_copied) {
  h_env e;
  char name[32];
  volt_node *a, *b;

  ENV_OPEN(e);
  strcpy(name, "counter");
  a = volt_signal(e.rt, volt_int(0), &(volt_opts){.name = name});
  strcpy(name, "garbage");
  b = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_str_eq(volt_node_name(a), "counter");
  ck_assert_str_eq(volt_node_name(b), "");
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Memory
 * ------------------------------------------------------------------------ */

/* The memory bar (graph.h): <= 64 bytes per computed node and <= 32 per
 * edge. Node slots come in slabs and edges in a growable array, so allow
 * one partial slab and the array's doubling slack. */
#define MEM_N 100000

START_TEST(memory_per_node_and_edge) {
  h_env e;
  volt_node **n = malloc(sizeof *n * (MEM_N + 1));
  volt_stats_t s0, s1;
  size_t dn, de;

  ck_assert_ptr_nonnull(n);
  h_env_open(&e, H_LOOPLESS, NULL);
  s0 = h_stats(e.rt);
  n[0] = volt_signal(e.rt, volt_int(0), NULL);
  for (size_t i = 1; i <= MEM_N; i++) n[i] = volt_computed(e.rt, h_chain_fn, n[i - 1], NULL);
  ck_assert_int_eq(h_int(volt_get(n[MEM_N])), MEM_N);
  s1 = h_stats(e.rt);
  ck_assert_uint_eq(s1.live_nodes, MEM_N + 1);
  ck_assert_uint_eq(s1.edges, MEM_N);
  dn = s1.node_bytes - s0.node_bytes;
  de = s1.edge_bytes - s0.edge_bytes;
  ck_assert_msg(dn <= 64 * (size_t)(MEM_N + 1) + 64 * 1024, "%zu node bytes for %d nodes", dn,
                MEM_N + 1);
  ck_assert_msg(de <= 2 * 32 * (size_t)MEM_N + 64 * 1024, "%zu edge bytes for %d edges", de, MEM_N);
  /* nothing else grows per node */
  ck_assert_msg(s1.bytes - s0.bytes <= dn + de + (size_t)MEM_N * 8 + 256 * 1024,
                "%zu bytes in all for %zu in nodes and edges", s1.bytes - s0.bytes, dn + de);
  if (getenv("VOLT_TEST_VERBOSE"))
    fprintf(stderr, "# %.1f node bytes per node, %.1f edge bytes per edge, %.1f bytes per node in all\n",
            (double)dn / (MEM_N + 1), (double)de / MEM_N, (double)(s1.bytes - s0.bytes) / (MEM_N + 1));
  h_env_close(&e);
  free(n);
}
END_TEST

static Suite *signals_suite(void) {
  Suite *s = suite_create("signals");
  TCase *tc;

  tc = h_tcase(s, "values");
  tcase_add_test(tc, values_ctors_accessors);
  tcase_add_test(tc, values_default_equality);
  tcase_add_loop_test(tc, values_nan_signal_cutoff, 0, 2);
  tcase_add_loop_test(tc, values_err_messages_copied, 0, 2);
  tcase_add_loop_test(tc, values_err_equality_cutoff, 0, 2);
  tcase_add_loop_test(tc, values_round_trip_through_nodes, 0, 2);
  tcase_add_loop_test(tc, values_unknown_tag_refused, 0, 2);

  tc = h_tcase(s, "graph");
  tcase_add_loop_test(tc, diamond_glitch_free, 0, 2);
  tcase_add_loop_test(tc, conditional_dependency_cleanup, 0, 2);
  tcase_add_loop_test(tc, equality_cutoff, 0, 2);
  tcase_add_loop_test(tc, cutoff_then_direct_read, 0, 2);
  tcase_add_loop_test(tc, repeated_reads_one_edge, 0, 2);
  tcase_add_loop_test(tc, custom_equals, 0, 2);
  tcase_add_loop_test(tc, lazy_computeds, 0, 2);
  tcase_add_loop_test(tc, cross_runtime_read_untracked, 0, 2);

  tc = h_tcase(s, "untrack");
  tcase_add_loop_test(tc, peek_and_untrack, 0, 2);
  tcase_add_loop_test(tc, untracked_read_of_next_dependency, 0, 2);

  tc = h_tcase(s, "batches");
  tcase_add_loop_test(tc, batch_revert_notifies_nobody, 0, 2);
  tcase_add_loop_test(tc, batch_nesting, 0, 2);
  tcase_add_loop_test(tc, flush_inside_open_batch, 0, 2);

  tc = h_tcase(s, "errors");
  tcase_add_loop_test(tc, cycle_direct, 0, 2);
  tcase_add_loop_test(tc, cycle_indirect, 0, 2);
  tcase_add_loop_test(tc, cycle_broken_recovers, 0, 2);
  tcase_add_loop_test(tc, set_inside_computed_eperm, 0, 2);

  tc = h_tcase(s, "hooks");
  tcase_add_loop_test(tc, release_hook_counts, 0, 2);
  tcase_add_loop_test(tc, release_on_lazy_recompute, 0, 2);
  tcase_add_loop_test(tc, watched_unwatched_hooks, 0, 2);
  tcase_add_loop_test(tc, watched_hooks_through_computed, 0, 2);

  tc = h_tcase(s, "debug");
  tcase_add_loop_test(tc, stats_counts, 0, 2);
  tcase_add_loop_test(tc, dump_dot_output, 0, 2);
  tcase_add_loop_test(tc, node_names_copied, 0, 2);

  tc = h_tcase(s, "memory");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, memory_per_node_and_edge);
  return s;
}

int main(void) { return h_run(signals_suite()); }
