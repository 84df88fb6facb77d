/* tests/test_signals.c - the signal graph (DESIGN.md §3 and §5).
 *
 * Most graph tests run twice (tcase_add_loop_test, _i = 0..1): on a
 * loop-less runtime and on a runtime attached to a fresh uv loop (sync
 * flush). h_env_close checks the close contract and that the counting
 * allocator is back to zero live bytes.
 */
#include "harness.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENV_OPEN(e) h_env_open(&(e), _i, NULL)

/* ------------------------------------------------------------------------
 * Small reusable closures
 * ------------------------------------------------------------------------ */

/* An effect that reads one node and counts. */
typedef struct eff1 {
  volt_node *src;
  int runs;
  volt_val seen;
} eff1;

static void eff1_fn(void *ud) {
  eff1 *r = ud;
  r->runs++;
  r->seen = volt_get(r->src);
}

/* A computed k*a + b (b may be NULL) that counts its runs. */
typedef struct lin {
  volt_node *a, *b;
  int64_t k;
  int runs;
} lin;

static volt_val lin_fn(void *ud) {
  lin *c = ud;
  int64_t v;
  c->runs++;
  v = c->k * volt_as_int(volt_get(c->a));
  if (c->b) v += volt_as_int(volt_get(c->b));
  return volt_int(v);
}

static void scribble_stack(void) {
  volatile char junk[4096];
  for (size_t i = 0; i < sizeof junk; i++) junk[i] = 'Z';
  (void)junk[100];
}

/* ------------------------------------------------------------------------
 * §3 Values
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
  eff1 r = {0};
  volt_node *s;
  uint64_t bits = 0x7ff80000deadbeefull;
  double odd_nan;
  memcpy(&odd_nan, &bits, sizeof odd_nan);

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_num(NAN), NULL);
  ck_assert_ptr_nonnull(s);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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
  eff1 r = {0};
  volt_node *s;

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_err(-5, one), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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

/* ------------------------------------------------------------------------
 * §5 Glitch freedom, dynamic dependencies, cutoff, laziness
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

/* Thousands of effects on one signal (and on a computed of it): each runs
 * once per write. */
#define FAN 5000

typedef struct fan {
  volt_node *s, *c;
  int runs[FAN];
  int bad;
} fan;

typedef struct fanref {
  fan *f;
  int i;
} fanref;

static void fan_fn(void *ud) {
  fanref *r = ud;
  int64_t a = volt_as_int(volt_get(r->f->s)), b = volt_as_int(volt_get(r->f->c));
  if (b != a + 1) r->f->bad++;
  r->f->runs[r->i]++;
}
static volt_val fan_c(void *ud) { return volt_int(volt_as_int(volt_get(ud)) + 1); }

START_TEST(many_subscribers) {
  h_env e;
  fan *f = calloc(1, sizeof *f);
  fanref *refs = calloc(FAN, sizeof *refs);
  volt_stats_t s0, s1;

  ck_assert_ptr_nonnull(f);
  ck_assert_ptr_nonnull(refs);
  ENV_OPEN(e);
  f->s = volt_signal(e.rt, volt_int(0), NULL);
  f->c = volt_computed(e.rt, fan_c, f->s, NULL);
  for (int i = 0; i < FAN; i++) {
    refs[i].f = f;
    refs[i].i = i;
    ck_assert_ptr_nonnull(volt_effect(e.rt, fan_fn, &refs[i]));
  }
  s0 = h_stats(e.rt);
  ck_assert_uint_eq(s0.edges, 2 * FAN + 1);
  ck_assert_int_eq(volt_set(f->s, volt_int(1)), 0);
  s1 = h_stats(e.rt);
  ck_assert_uint_eq(s1.effect_runs, s0.effect_runs + FAN);
  for (int i = 0; i < FAN; i++) ck_assert_int_eq(f->runs[i], 2);
  ck_assert_int_eq(f->bad, 0);
  h_env_close(&e);
  free(refs);
  free(f);
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
  eff1 rs = {0}, rc = {0};
  lin id = {0};

  ENV_OPEN(e);
  memset(&os, 0, sizeof os);
  os.equals = eq_mod10;
  os.ud = &xs;
  s = volt_signal(e.rt, volt_int(2), &os);
  ck_assert_ptr_nonnull(s);
  rs.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &rs));

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
  c = volt_computed(e.rt, lin_fn, &id, &oc);
  ck_assert_ptr_nonnull(c);
  rc.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &rc));
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
  lin l = {0};
  volt_node *s, *c;
  eff1 r1 = {0}, r2 = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(1), NULL);
  l.a = s;
  l.k = 2;
  c = volt_computed(e.rt, lin_fn, &l, NULL);
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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r1));
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r2));
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

/* ------------------------------------------------------------------------
 * Batches
 * ------------------------------------------------------------------------ */

typedef struct wrec {
  int calls;
  volt_node *n;
  volt_val old, now;
  int bad_node;
} wrec;

static void wrec_cb(volt_node *n, volt_val old, volt_val now, void *ud) {
  wrec *w = ud;
  w->calls++;
  if (w->n && n != w->n) w->bad_node++;
  w->old = old;
  w->now = now;
}

START_TEST(batch_revert_notifies_nobody) {
  h_env e;
  volt_node *s, *c;
  lin l = {0};
  eff1 rc = {0}, rs = {0};
  wrec ws = {0}, wc = {0};
  volt_watcher *w1, *w2;

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(1), NULL);
  l.a = s;
  l.k = 10;
  c = volt_computed(e.rt, lin_fn, &l, NULL);
  rc.src = c;
  rs.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &rc));
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &rs));
  ws.n = s;
  wc.n = c;
  w1 = volt_watch(s, wrec_cb, &ws);
  w2 = volt_watch(c, wrec_cb, &wc);
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
  eff1 r = {0}, r2 = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r2));
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

/* ------------------------------------------------------------------------
 * Ownership: nested effects, cleanups, scopes, disposal during a flush
 * ------------------------------------------------------------------------ */

typedef struct nest nest;
typedef struct nchild {
  nest *n;
  int id;
  int runs;
} nchild;
struct nest {
  volt_node *s, *t;
  h_log lg;
  int gen;
  nchild kids[16];
};

static void nest_kid_cleanup(void *ud) {
  nchild *k = ud;
  h_log_push(&k->n->lg, -k->id);
}
static void nest_kid(void *ud) {
  nchild *k = ud;
  k->runs++;
  (void)volt_get(k->n->t);
  h_log_push(&k->n->lg, 100 + k->id);
  volt_on_cleanup(volt_node_rt(k->n->s), nest_kid_cleanup, k);
}
static void nest_parent_cleanup(void *ud) { h_log_push(&((nest *)ud)->lg, -1000); }
static void nest_parent(void *ud) {
  nest *n = ud;
  volt_rt *rt = volt_node_rt(n->s);
  (void)volt_get(n->s);
  h_log_push(&n->lg, 1000);
  volt_on_cleanup(rt, nest_parent_cleanup, n);
  for (int i = 0; i < 3 && n->gen * 3 + i < 16; i++) {
    nchild *k = &n->kids[n->gen * 3 + i];
    k->n = n;
    k->id = n->gen * 3 + i + 1;
    (void)volt_effect(rt, nest_kid, k);
  }
  n->gen++;
}

START_TEST(nested_effects_disposed_on_rerun) {
  h_env e;
  nest n;
  volt_node *p;
  volt_stats_t st0, st1;

  memset(&n, 0, sizeof n);
  ENV_OPEN(e);
  n.s = volt_signal(e.rt, volt_int(0), NULL);
  n.t = volt_signal(e.rt, volt_int(0), NULL);
  st0 = h_stats(e.rt);
  p = volt_effect(e.rt, nest_parent, &n);
  ck_assert_ptr_nonnull(p);
  {
    int want[] = {1000, 101, 102, 103};
    h_log_expect(&n.lg, 4, want);
  }
  st1 = h_stats(e.rt);
  ck_assert_uint_eq(st1.live_nodes, st0.live_nodes + 4);

  n.lg.n = 0;
  ck_assert_int_eq(volt_set(n.t, volt_int(1)), 0);
  for (int i = 0; i < 3; i++) ck_assert_int_eq(n.kids[i].runs, 2);
  ck_assert_int_eq(n.lg.n, 6); /* three cleanups, three runs */

  n.lg.n = 0;
  ck_assert_int_eq(volt_set(n.s, volt_int(1)), 0);
  {
    /* children disposed last created first, then the parent's cleanup,
     * then the parent's re-run creates three new children */
    int want[] = {-3, -2, -1, -1000, 1000, 104, 105, 106};
    h_log_expect(&n.lg, 8, want);
  }
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, st0.live_nodes + 4);

  n.lg.n = 0;
  ck_assert_int_eq(volt_set(n.t, volt_int(2)), 0);
  for (int i = 0; i < 3; i++) ck_assert_int_eq(n.kids[i].runs, 2); /* old ones gone */
  for (int i = 3; i < 6; i++) ck_assert_int_eq(n.kids[i].runs, 2);

  n.lg.n = 0;
  volt_dispose(p);
  {
    int want[] = {-6, -5, -4, -1000};
    h_log_expect(&n.lg, 4, want);
  }
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, st0.live_nodes);
  ck_assert_int_eq(volt_set(n.t, volt_int(3)), 0);
  for (int i = 3; i < 6; i++) ck_assert_int_eq(n.kids[i].runs, 2);
  h_env_close(&e);
}
END_TEST

typedef struct clo {
  volt_node *s;
  h_log lg;
  int runs;
} clo;

static void clo_push1(void *ud) { h_log_push(&((clo *)ud)->lg, 1); }
static void clo_push2(void *ud) { h_log_push(&((clo *)ud)->lg, 2); }
static void clo_push3(void *ud) { h_log_push(&((clo *)ud)->lg, 3); }
static void clo_push11(void *ud) { h_log_push(&((clo *)ud)->lg, 11); }
static void clo_push12(void *ud) { h_log_push(&((clo *)ud)->lg, 12); }
static void clo_eff(void *ud) {
  clo *c = ud;
  volt_rt *rt = volt_node_rt(c->s);
  (void)volt_get(c->s);
  h_log_push(&c->lg, 100 + c->runs++);
  ck_assert_int_eq(volt_on_cleanup(rt, clo_push1, c), 0);
  ck_assert_int_eq(volt_on_cleanup(rt, clo_push2, c), 0);
  ck_assert_int_eq(volt_on_cleanup(rt, clo_push3, c), 0);
}
static void clo_scope(void *ud) {
  clo *c = ud;
  volt_rt *rt = volt_node_rt(c->s);
  ck_assert_int_eq(volt_on_cleanup(rt, clo_push11, c), 0);
  ck_assert_int_eq(volt_on_cleanup(rt, clo_push12, c), 0);
}
static void count_int(void *ud) { (*(int *)ud)++; }

START_TEST(cleanup_order) {
  h_env e;
  clo c;
  volt_node *eff, *sc;
  int root = 0;

  memset(&c, 0, sizeof c);
  ENV_OPEN(e);
  c.s = volt_signal(e.rt, volt_int(0), NULL);
  eff = volt_effect(e.rt, clo_eff, &c);
  ck_assert_ptr_nonnull(eff);
  {
    int want[] = {100};
    h_log_expect(&c.lg, 1, want);
  }
  c.lg.n = 0;
  ck_assert_int_eq(volt_set(c.s, volt_int(1)), 0);
  {
    int want[] = {3, 2, 1, 101}; /* LIFO, before the re-run */
    h_log_expect(&c.lg, 4, want);
  }
  c.lg.n = 0;
  volt_dispose(eff);
  {
    int want[] = {3, 2, 1}; /* and at dispose */
    h_log_expect(&c.lg, 3, want);
  }
  c.lg.n = 0;
  ck_assert_int_eq(volt_set(c.s, volt_int(2)), 0);
  ck_assert_int_eq(c.lg.n, 0);

  sc = volt_scope(e.rt, clo_scope, &c);
  ck_assert_ptr_nonnull(sc);
  ck_assert_int_eq(c.lg.n, 0);
  volt_dispose(sc);
  {
    int want[] = {12, 11};
    h_log_expect(&c.lg, 2, want);
  }

  /* outside any owner: runs when the runtime closes */
  ck_assert_int_eq(volt_on_cleanup(e.rt, count_int, &root), 0);
  ck_assert_int_eq(root, 0);
  h_env_close(&e);
  ck_assert_int_eq(root, 1);
}
END_TEST

typedef struct duel duel;
typedef struct duelist {
  duel *d;
  volt_node *self, *other_node;
  struct duelist *other;
  int runs, cleanups;
} duelist;
struct duel {
  volt_node *s;
};

static void duel_cleanup(void *ud) { ((duelist *)ud)->cleanups++; }
static void duel_fn(void *ud) {
  duelist *me = ud;
  int64_t v = volt_as_int(volt_get(me->d->s));
  me->runs++;
  volt_on_cleanup(volt_node_rt(me->d->s), duel_cleanup, me);
  if (v > 0 && me->other_node) {
    volt_node *victim = me->other_node;
    me->other->other_node = NULL;
    me->other_node = NULL;
    volt_dispose(victim); /* the other effect is queued in this flush */
  }
}

START_TEST(dispose_other_during_flush) {
  h_env e;
  duel d;
  duelist a, b;
  int before;

  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  ENV_OPEN(e);
  d.s = volt_signal(e.rt, volt_int(0), NULL);
  a.d = b.d = &d;
  a.other = &b;
  b.other = &a;
  a.self = volt_effect(e.rt, duel_fn, &a);
  b.self = volt_effect(e.rt, duel_fn, &b);
  ck_assert_ptr_nonnull(a.self);
  ck_assert_ptr_nonnull(b.self);
  a.other_node = b.self;
  b.other_node = a.self;
  ck_assert_int_eq(a.runs + b.runs, 2);

  /* both are queued; whichever runs first disposes the other */
  ck_assert_int_eq(volt_set(d.s, volt_int(1)), 0);
  ck_assert_int_eq(a.runs + b.runs, 3);
  ck_assert_int_eq(a.cleanups + b.cleanups, 2); /* survivor's pre-run + victim's dispose */
  before = a.runs + b.runs;
  ck_assert_int_eq(volt_set(d.s, volt_int(2)), 0);
  ck_assert_int_eq(a.runs + b.runs, before + 1); /* only the survivor */
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, 2);  /* s + survivor */
  h_env_close(&e);
  ck_assert_int_eq(a.cleanups + b.cleanups, 4);
}
END_TEST

typedef struct selfd {
  volt_node *s, *self;
  int runs, cleanups, kid_cleanups;
  eff1 other;
} selfd;

static void selfd_cleanup(void *ud) { ((selfd *)ud)->cleanups++; }
static void selfd_kid_cleanup(void *ud) { ((selfd *)ud)->kid_cleanups++; }
static void selfd_kid(void *ud) {
  selfd *d = ud;
  volt_on_cleanup(volt_node_rt(d->s), selfd_kid_cleanup, d);
}
static void selfd_fn(void *ud) {
  selfd *d = ud;
  volt_rt *rt = volt_node_rt(d->s);
  int64_t v = volt_as_int(volt_get(d->s));
  d->runs++;
  volt_on_cleanup(rt, selfd_cleanup, d);
  (void)volt_effect(rt, selfd_kid, d);
  if (v == 3) volt_dispose(d->self); /* the running effect */
}

START_TEST(dispose_running_effect) {
  h_env e;
  selfd d;
  size_t live0;

  memset(&d, 0, sizeof d);
  ENV_OPEN(e);
  d.s = volt_signal(e.rt, volt_int(0), NULL);
  d.other.src = d.s;
  live0 = h_stats(e.rt).live_nodes;
  d.self = volt_effect(e.rt, selfd_fn, &d);
  ck_assert_ptr_nonnull(d.self);
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &d.other));
  ck_assert_int_eq(volt_set(d.s, volt_int(1)), 0);
  ck_assert_int_eq(d.runs, 2);
  ck_assert_int_eq(d.cleanups, 1);
  ck_assert_int_eq(d.kid_cleanups, 1);
  ck_assert_int_eq(volt_set(d.s, volt_int(3)), 0);
  ck_assert_int_eq(d.runs, 3);
  ck_assert_int_eq(d.cleanups, 3);     /* its last cleanup ran at dispose */
  ck_assert_int_eq(d.kid_cleanups, 3); /* and its child went with it */
  ck_assert_int_eq(h_int(d.other.seen), 3); /* the flush went on */
  ck_assert_int_eq(volt_set(d.s, volt_int(4)), 0);
  ck_assert_int_eq(d.runs, 3);
  ck_assert_int_eq(d.cleanups, 3);
  ck_assert_int_eq(h_int(d.other.seen), 4);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0 + 1); /* only d.other */
  h_env_close(&e);
}
END_TEST

/* An effect disposes a scope whose effect is queued in the same flush. */
typedef struct scd {
  volt_node *s, *scope;
  int inner_runs, outer_runs, inner_cleanups;
} scd;

static void scd_inner_cleanup(void *ud) { ((scd *)ud)->inner_cleanups++; }
static void scd_inner(void *ud) {
  scd *d = ud;
  (void)volt_get(d->s);
  d->inner_runs++;
  volt_on_cleanup(volt_node_rt(d->s), scd_inner_cleanup, d);
}
static void scd_scope(void *ud) {
  scd *d = ud;
  (void)volt_effect(volt_node_rt(d->s), scd_inner, d);
}
static void scd_outer(void *ud) {
  scd *d = ud;
  d->outer_runs++;
  if (volt_as_int(volt_get(d->s)) == 1 && d->scope) {
    volt_dispose(d->scope);
    d->scope = NULL;
  }
}

START_TEST(dispose_scope_during_flush) {
  h_env e;
  scd d;
  size_t live0;

  memset(&d, 0, sizeof d);
  ENV_OPEN(e);
  d.s = volt_signal(e.rt, volt_int(0), NULL);
  live0 = h_stats(e.rt).live_nodes;
  d.scope = volt_scope(e.rt, scd_scope, &d);
  ck_assert_ptr_nonnull(d.scope);
  ck_assert_ptr_nonnull(volt_effect(e.rt, scd_outer, &d));
  ck_assert_int_eq(d.inner_runs, 1);
  /* both effects are queued; the outer one may run first and dispose the
   * scope, or the inner one runs first: either way it ran at most once */
  ck_assert_int_eq(volt_set(d.s, volt_int(1)), 0);
  ck_assert_int_eq(d.outer_runs, 2);
  ck_assert_int_le(d.inner_runs, 2);
  ck_assert_int_eq(d.inner_cleanups, d.inner_runs); /* every run cleaned up */
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0 + 1);
  ck_assert_int_eq(volt_set(d.s, volt_int(2)), 0);
  ck_assert_int_le(d.inner_runs, 2);
  ck_assert_int_eq(d.outer_runs, 3);
  h_env_close(&e);
}
END_TEST

/* A batch (and volt_flush) inside an effect, i.e. inside a running flush:
 * no nested flush; the writes are handled by the running one. */
typedef struct inb {
  volt_node *s, *t, *u;
  int rc_end, rc_flush, reader_runs, reader_runs_at_end;
  int64_t seen_t, seen_u;
  int glitches;
} inb;

static void inb_writer(void *ud) {
  inb *b = ud;
  int64_t v = volt_as_int(volt_get(b->s));
  volt_rt *rt = volt_node_rt(b->s);
  if (v == 0) return;
  volt_batch_begin(rt);
  volt_set(b->t, volt_int(v * 10));
  volt_set(b->u, volt_int(v * 100));
  b->rc_end = volt_batch_end(rt);
  b->reader_runs_at_end = b->reader_runs;
  b->rc_flush = volt_flush(rt);
}
static void inb_reader(void *ud) {
  inb *b = ud;
  b->reader_runs++;
  b->seen_t = volt_as_int(volt_get(b->t));
  b->seen_u = volt_as_int(volt_get(b->u));
  if (b->seen_t * 10 != b->seen_u) b->glitches++;
}

START_TEST(batch_and_flush_inside_effect) {
  h_env e;
  inb b;

  memset(&b, 0, sizeof b);
  b.rc_end = b.rc_flush = 12345;
  ENV_OPEN(e);
  b.s = volt_signal(e.rt, volt_int(0), NULL);
  b.t = volt_signal(e.rt, volt_int(0), NULL);
  b.u = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, inb_reader, &b));
  ck_assert_ptr_nonnull(volt_effect(e.rt, inb_writer, &b));
  ck_assert_int_eq(volt_set(b.s, volt_int(2)), 0);
  ck_assert_int_eq(b.rc_end, 0);
  ck_assert_int_eq(b.rc_flush, 0);
  ck_assert_int_eq(b.reader_runs_at_end, 1); /* no nested flush */
  ck_assert_int_eq(b.reader_runs, 2);        /* one run for both writes */
  ck_assert_int_eq(b.seen_u, 200);
  ck_assert_int_eq(b.glitches, 0);
  h_env_close(&e);
}
END_TEST

/* A computed owns what its fn creates and the cleanups it registers: they
 * go before it re-runs and when it is disposed (volt.h). */
typedef struct cown {
  volt_node *s;
  h_log lg;
  int runs;
} cown;

static void cown_cleanup(void *ud) {
  cown *c = ud;
  h_log_push(&c->lg, -c->runs);
}
static volt_val cown_fn(void *ud) {
  cown *c = ud;
  volt_rt *rt = volt_node_rt(c->s);
  int64_t v = volt_as_int(volt_get(c->s));
  c->runs++;
  h_log_push(&c->lg, c->runs);
  if (volt_on_cleanup(rt, cown_cleanup, c) != 0) h_log_push(&c->lg, 999);
  (void)volt_signal(rt, volt_int(v), NULL); /* owned by the computed */
  return volt_int(v * 2);
}

START_TEST(computed_owns_children_and_cleanups) {
  h_env e;
  cown c;
  volt_node *n;
  size_t live0;

  memset(&c, 0, sizeof c);
  ENV_OPEN(e);
  c.s = volt_signal(e.rt, volt_int(1), NULL);
  n = volt_computed(e.rt, cown_fn, &c, NULL);
  ck_assert_ptr_nonnull(n);
  live0 = h_stats(e.rt).live_nodes;
  ck_assert_int_eq(h_int(volt_get(n)), 2);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0 + 1);
  ck_assert_int_eq(volt_set(c.s, volt_int(2)), 0);
  ck_assert_int_eq(h_int(volt_get(n)), 4);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0 + 1); /* the old child went */
  {
    int want[] = {1, -1, 2};
    h_log_expect(&c.lg, 3, want);
  }
  volt_dispose(n);
  {
    int want[] = {1, -1, 2, -2};
    h_log_expect(&c.lg, 4, want);
  }
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0 - 1);
  h_env_close(&e);
  ck_assert_int_eq(c.lg.n, 4);
}
END_TEST

/* Cleanups run untracked and outside any owner (guide §17.11): a read in
 * a cleanup is no dependency, a node it creates belongs to the runtime. */
typedef struct clu {
  volt_node *s, *t, *made;
  int runs;
} clu;

static void clu_cleanup(void *ud) {
  clu *c = ud;
  (void)volt_get(c->t);
  if (!c->made) c->made = volt_signal(volt_node_rt(c->s), volt_int(7), NULL);
}
static void clu_eff(void *ud) {
  clu *c = ud;
  c->runs++;
  (void)volt_get(c->s);
  volt_on_cleanup(volt_node_rt(c->s), clu_cleanup, c);
}

START_TEST(cleanups_untracked_and_unowned) {
  h_env e;
  clu c;
  volt_node *eff;

  memset(&c, 0, sizeof c);
  ENV_OPEN(e);
  c.s = volt_signal(e.rt, volt_int(0), NULL);
  c.t = volt_signal(e.rt, volt_int(0), NULL);
  eff = volt_effect(e.rt, clu_eff, &c);
  ck_assert_int_eq(volt_set(c.s, volt_int(1)), 0); /* cleanup runs, reads t */
  ck_assert_int_eq(c.runs, 2);
  ck_assert_ptr_nonnull(c.made);
  ck_assert_int_eq(volt_set(c.t, volt_int(1)), 0); /* not a dependency */
  ck_assert_int_eq(c.runs, 2);
  ck_assert_int_eq(volt_set(c.s, volt_int(2)), 0); /* the re-run keeps c.made */
  volt_dispose(eff);
  ck_assert_int_eq(h_int(volt_peek(c.made)), 7); /* owned by the runtime */
  h_env_close(&e);
}
END_TEST

/* Disposing a node does not notify its subscribers (guide §17.13). */
START_TEST(dispose_does_not_notify) {
  h_env e;
  volt_node *s, *t;
  eff1 r = {0}, q = {0};
  wrec w = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(1), NULL);
  t = volt_signal(e.rt, volt_int(2), NULL);
  r.src = s;
  q.src = t;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &q));
  ck_assert_ptr_nonnull(volt_watch(t, wrec_cb, &w));
  volt_dispose(s);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_int_eq(volt_set(t, volt_int(3)), 0); /* the rest works on */
  ck_assert_int_eq(q.runs, 2);
  ck_assert_int_eq(w.calls, 1);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_uint_eq(h_stats(e.rt).edges, 2); /* q -> t, watcher -> t */
  h_env_close(&e);
}
END_TEST

/* A read of another runtime's node inside an effect is untracked (guide
 * §17.14): edges never cross runtimes. */
START_TEST(cross_runtime_read_untracked) {
  h_env e1, e2;
  volt_node *other;
  eff1 r = {0};

  ENV_OPEN(e1);
  h_env_open(&e2, H_LOOPLESS, NULL);
  other = volt_signal(e2.rt, volt_int(5), NULL);
  r.src = other;
  ck_assert_ptr_nonnull(volt_effect(e1.rt, eff1_fn, &r));
  ck_assert_int_eq(h_int(r.seen), 5);
  ck_assert_int_eq(volt_set(other, volt_int(6)), 0);
  ck_assert_int_eq(r.runs, 1);
  ck_assert_uint_eq(h_stats(e1.rt).edges, 0);
  ck_assert_uint_eq(h_stats(e2.rt).edges, 0);
  h_env_close(&e2);
  h_env_close(&e1);
}
END_TEST

/* A watcher that writes starts another round of the same flush (guide
 * §17.15). */
typedef struct wwr {
  volt_node *t;
  int calls;
} wwr;

static void wwr_cb(volt_node *n, volt_val old, volt_val now, void *ud) {
  wwr *w = ud;
  (void)n;
  (void)old;
  w->calls++;
  volt_set(w->t, volt_int(volt_as_int(now) * 10));
}

START_TEST(watcher_write_same_flush) {
  h_env e;
  volt_node *s;
  wwr w = {0};
  eff1 r = {0};
  volt_stats_t s0, s1;

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  w.t = volt_signal(e.rt, volt_int(0), NULL);
  r.src = w.t;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  ck_assert_ptr_nonnull(volt_watch(s, wwr_cb, &w));
  s0 = h_stats(e.rt);
  ck_assert_int_eq(volt_set(s, volt_int(4)), 0);
  s1 = h_stats(e.rt);
  ck_assert_int_eq(w.calls, 1);
  ck_assert_int_eq(r.runs, 2);
  ck_assert_int_eq(h_int(r.seen), 40);
  ck_assert_uint_eq(s1.flushes, s0.flushes + 1);
  h_env_close(&e);
}
END_TEST

/* volt_flush runs a flush even inside an open batch (guide §17.16). */
START_TEST(flush_inside_open_batch) {
  h_env e;
  volt_node *s;
  eff1 r = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  r.src = s;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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

/* An owner that has children or cleanups on some runs only: whatever a run
 * made goes before the next one, whatever the run before it did. */
typedef struct alt {
  volt_node *s, *t;
  int runs, kid_runs, cleanups, kids_alive;
} alt;

static void alt_kid_gone(void *ud) { ((alt *)ud)->kids_alive--; }
static void alt_kid(void *ud) {
  alt *a = ud;
  a->kid_runs++;
  (void)volt_get(a->t);
  volt_on_cleanup(volt_node_rt(a->s), alt_kid_gone, a);
  a->kids_alive++;
}
static void alt_cleanup(void *ud) { ((alt *)ud)->cleanups++; }
static void alt_fn(void *ud) {
  alt *a = ud;
  int64_t v = volt_as_int(volt_get(a->s));
  a->runs++;
  if (v % 3 == 1) (void)volt_effect(volt_node_rt(a->s), alt_kid, a);
  if (v % 3 == 2) volt_on_cleanup(volt_node_rt(a->s), alt_cleanup, a);
}

START_TEST(owner_with_children_on_some_runs) {
  h_env e;
  alt a;
  volt_node *eff;

  memset(&a, 0, sizeof a);
  ENV_OPEN(e);
  a.s = volt_signal(e.rt, volt_int(0), NULL);
  a.t = volt_signal(e.rt, volt_int(0), NULL);
  eff = volt_effect(e.rt, alt_fn, &a);
  for (int64_t v = 1; v <= 9; v++) {
    ck_assert_int_eq(volt_set(a.s, volt_int(v)), 0);
    ck_assert_int_eq(a.runs, (int)v + 1);
    /* a child lives only after a run with v % 3 == 1 */
    ck_assert_int_eq(a.kids_alive, v % 3 == 1 ? 1 : 0);
    /* a cleanup registered by a v % 3 == 2 run ran before the next run */
    ck_assert_int_eq(a.cleanups, (int)(v / 3));
    {
      int kr = a.kid_runs;
      ck_assert_int_eq(volt_set(a.t, volt_int(v)), 0);
      ck_assert_int_eq(a.kid_runs, kr + (v % 3 == 1 ? 1 : 0));
    }
  }
  volt_dispose(eff);
  ck_assert_int_eq(a.kids_alive, 0);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Errors: cycles, writes in computeds, write loops
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
  eff1 r = {0};

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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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
  eff1 r = {0};

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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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
  eff1 r = {0};

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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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
  eff1 rt_ = {0}, rc = {0};

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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &rt_));
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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &rc));
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

typedef struct wloop {
  volt_node *s;
  int runs;
  int64_t stop_at; /* 0: never */
  int set_rc;
} wloop;

static void wloop_fn(void *ud) {
  wloop *w = ud;
  int64_t v = volt_as_int(volt_get(w->s));
  int rc;
  w->runs++;
  if (w->stop_at && v >= w->stop_at) return;
  rc = volt_set(w->s, volt_int(v + 1));
  if (rc != 0) w->set_rc = rc;
}

START_TEST(effect_write_loop_eloop) {
  h_env e;
  wloop w;
  volt_node *eff, *u;
  int runs0;

  memset(&w, 0, sizeof w);
  ENV_OPEN(e);
  w.s = volt_signal(e.rt, volt_int(0), NULL);
  u = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  eff = volt_effect(e.rt, wloop_fn, &w);
  ck_assert_ptr_nonnull(eff);
  ck_assert_int_eq(w.runs, 1);
  ck_assert_int_eq(volt_batch_end(e.rt), VOLT_ELOOP);
  ck_assert_int_eq(w.runs, 1 + 100); /* default cap: 100 rounds */
  ck_assert_int_eq(w.set_rc, 0);     /* writes inside effects are allowed */
  ck_assert_int_eq(e.errors, 1);
  ck_assert_int_eq(e.last_error, VOLT_ELOOP);
  ck_assert_int_eq(h_int(volt_peek(w.s)), 101);

  /* the still-dirty effect runs again at the next flush */
  runs0 = w.runs;
  ck_assert_int_eq(volt_flush(e.rt), VOLT_ELOOP);
  ck_assert_int_eq(w.runs, runs0 + 100);
  ck_assert_int_eq(e.errors, 2);
  runs0 = w.runs;
  ck_assert_int_eq(volt_set(w.s, volt_int(0)), VOLT_ELOOP);
  ck_assert_int_eq(w.runs, runs0 + 100);
  ck_assert_int_eq(e.errors, 3);
  ck_assert_int_eq(h_int(volt_peek(w.s)), 100); /* the write itself happened */
  runs0 = w.runs;
  ck_assert_int_eq(volt_set(u, volt_int(1)), VOLT_ELOOP); /* unrelated write */
  ck_assert_int_eq(w.runs, runs0 + 100);
  ck_assert_int_eq(e.errors, 4);
  for (int i = 0; i < 4; i++) ck_assert_int_eq(e.error_codes[i], VOLT_ELOOP);

  volt_dispose(eff);
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(volt_set(w.s, volt_int(0)), 0);
  ck_assert_int_eq(e.errors, 4);
  h_env_close(&e);
}
END_TEST

START_TEST(max_rounds_respected) {
  h_env e;
  volt_config cfg;
  wloop a, b, c;

  memset(&cfg, 0, sizeof cfg);
  cfg.max_rounds = 5;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  memset(&c, 0, sizeof c);
  h_env_open(&e, _i, &cfg);

  /* settles in 3 rounds */
  a.s = volt_signal(e.rt, volt_int(0), NULL);
  a.stop_at = 3;
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_ptr_nonnull(volt_effect(e.rt, wloop_fn, &a));
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(a.runs, 1 + 3);
  ck_assert_int_eq(h_int(volt_peek(a.s)), 3);

  /* settles in exactly 5 rounds: still fine */
  b.s = volt_signal(e.rt, volt_int(0), NULL);
  b.stop_at = 5;
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_ptr_nonnull(volt_effect(e.rt, wloop_fn, &b));
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(b.runs, 1 + 5);
  ck_assert_int_eq(e.errors, 0);

  /* needs 6: stops at the cap */
  c.s = volt_signal(e.rt, volt_int(0), NULL);
  c.stop_at = 6;
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_ptr_nonnull(volt_effect(e.rt, wloop_fn, &c));
  ck_assert_int_eq(volt_batch_end(e.rt), VOLT_ELOOP);
  ck_assert_int_eq(c.runs, 1 + 5);
  ck_assert_int_eq(e.errors, 1);
  ck_assert_int_eq(e.last_error, VOLT_ELOOP);
  /* and finishes at the next flush */
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(c.runs, 1 + 6);
  ck_assert_int_eq(h_int(volt_peek(c.s)), 6);
  h_env_close(&e);
}
END_TEST

typedef struct fwd {
  volt_node *s, *t;
  int ra, rb;
  int64_t seen;
} fwd;

static void fwd_reader(void *ud) {
  fwd *f = ud;
  f->rb++;
  f->seen = volt_as_int(volt_get(f->t));
}
static void fwd_writer(void *ud) {
  fwd *f = ud;
  f->ra++;
  volt_set(f->t, volt_int(2 * volt_as_int(volt_get(f->s))));
}

START_TEST(writes_in_effects_same_flush) {
  h_env e;
  fwd f;
  volt_stats_t st0, st1;

  memset(&f, 0, sizeof f);
  ENV_OPEN(e);
  f.s = volt_signal(e.rt, volt_int(1), NULL);
  f.t = volt_signal(e.rt, volt_int(0), NULL);
  /* the reader is created first, so it may well be queued first */
  ck_assert_ptr_nonnull(volt_effect(e.rt, fwd_reader, &f));
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_ptr_nonnull(volt_effect(e.rt, fwd_writer, &f));
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(f.seen, 2);
  st0 = h_stats(e.rt);
  ck_assert_int_eq(volt_set(f.s, volt_int(3)), 0);
  ck_assert_int_eq(f.seen, 6); /* seen by the time volt_set returns */
  st1 = h_stats(e.rt);
  ck_assert_uint_eq(st1.flushes, st0.flushes + 1);
  ck_assert_uint_eq(st1.effect_runs, st0.effect_runs + 2);
  h_env_close(&e);
}
END_TEST

typedef struct ord ord;
typedef struct ordkid {
  ord *o;
  int gen;
} ordkid;
struct ord {
  volt_node *a, *b;
  h_log lg;
  int gen;
  ordkid kids[32];
};

static void ord_kid(void *ud) {
  ordkid *k = ud;
  (void)volt_get(k->o->a);
  (void)volt_get(k->o->b);
  h_log_push(&k->o->lg, 100 + k->gen);
}
static void ord_parent(void *ud) {
  ord *o = ud;
  (void)volt_get(o->a);
  h_log_push(&o->lg, 1);
  if (o->gen < 32) {
    ordkid *k = &o->kids[o->gen];
    k->o = o;
    k->gen = o->gen++;
    (void)volt_effect(volt_node_rt(o->a), ord_kid, k);
  }
}

START_TEST(parent_effects_before_children) {
  h_env e;
  ord o;

  memset(&o, 0, sizeof o);
  ENV_OPEN(e);
  o.a = volt_signal(e.rt, volt_int(0), NULL);
  o.b = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, ord_parent, &o));
  {
    int want[] = {1, 100};
    h_log_expect(&o.lg, 2, want);
  }
  /* both parent and child read a: the parent runs first; its re-run
   * disposes the old child, which therefore never runs */
  o.lg.n = 0;
  ck_assert_int_eq(volt_set(o.a, volt_int(1)), 0);
  {
    int want[] = {1, 101};
    h_log_expect(&o.lg, 2, want);
  }
  o.lg.n = 0;
  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(o.b, volt_int(1)), 0); /* child's dep first */
  ck_assert_int_eq(volt_set(o.a, volt_int(2)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  {
    int want[] = {1, 102};
    h_log_expect(&o.lg, 2, want);
  }
  /* only the child's dep: the child alone */
  o.lg.n = 0;
  ck_assert_int_eq(volt_set(o.b, volt_int(2)), 0);
  {
    int want[] = {102};
    h_log_expect(&o.lg, 1, want);
  }
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Release hooks
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
  eff1 r2 = {0};
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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r2));
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

/* ------------------------------------------------------------------------
 * Watchers and hooks
 * ------------------------------------------------------------------------ */

typedef struct undo {
  volt_node *t;
  int runs;
} undo;

static void undo_fn(void *ud) {
  undo *u = ud;
  u->runs++;
  if (volt_as_int(volt_get(u->t)) == 99) volt_set(u->t, volt_int(0));
}

START_TEST(watchers) {
  h_env e;
  volt_node *s, *c, *t;
  volt_watcher *w, *w2, *w3;
  wrec ws = {0}, wc = {0}, wt = {0};
  lin l = {0};
  undo u = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  ws.n = s;
  w = volt_watch(s, wrec_cb, &ws);
  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(ws.calls, 0); /* not called at creation */

  ck_assert_int_eq(volt_set(s, volt_int(1)), 0);
  ck_assert_int_eq(ws.calls, 1);
  ck_assert_int_eq(h_int(ws.old), 0);
  ck_assert_int_eq(h_int(ws.now), 1);
  ck_assert_int_eq(ws.bad_node, 0);

  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(2)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(ws.calls, 2); /* once per flush */
  ck_assert_int_eq(h_int(ws.old), 1);
  ck_assert_int_eq(h_int(ws.now), 3);

  ck_assert_int_eq(volt_batch_begin(e.rt), 0);
  ck_assert_int_eq(volt_set(s, volt_int(4)), 0);
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  ck_assert_int_eq(volt_batch_end(e.rt), 0);
  ck_assert_int_eq(ws.calls, 2); /* undone within the batch */
  ck_assert_int_eq(volt_set(s, volt_int(3)), 0);
  ck_assert_int_eq(ws.calls, 2); /* equal write */

  /* on a computed, with cutoff */
  l.a = s;
  l.k = 1;
  c = volt_computed(e.rt, lin_fn, &l, NULL);
  wc.n = c;
  w2 = volt_watch(c, wrec_cb, &wc);
  ck_assert_ptr_nonnull(w2);
  ck_assert_int_eq(volt_set(s, volt_int(5)), 0);
  ck_assert_int_eq(wc.calls, 1);
  ck_assert_int_eq(h_int(wc.old), 3);
  ck_assert_int_eq(h_int(wc.now), 5);

  /* a change an effect undoes within the same flush is not reported */
  t = volt_signal(e.rt, volt_int(0), NULL);
  u.t = t;
  ck_assert_ptr_nonnull(volt_effect(e.rt, undo_fn, &u));
  wt.n = t;
  w3 = volt_watch(t, wrec_cb, &wt);
  ck_assert_ptr_nonnull(w3);
  ck_assert_int_eq(volt_set(t, volt_int(99)), 0);
  ck_assert_int_eq(u.runs, 3); /* creation, 99, then 0 */
  ck_assert_int_eq(h_int(volt_peek(t)), 0);
  ck_assert_int_eq(wt.calls, 0);
  ck_assert_int_eq(volt_set(t, volt_int(7)), 0);
  ck_assert_int_eq(wt.calls, 1);
  ck_assert_int_eq(h_int(wt.now), 7);

  /* unwatch stops it */
  ck_assert_int_eq(ws.calls, 3); /* s went 3 -> 5 above */
  ck_assert_int_eq(volt_unwatch(w), 0);
  ck_assert_int_eq(volt_set(s, volt_int(6)), 0);
  ck_assert_int_eq(ws.calls, 3);
  ck_assert_int_eq(wc.calls, 2); /* the other one still works */
  ck_assert_int_eq(volt_unwatch(w2), 0);
  ck_assert_int_eq(volt_set(s, volt_int(8)), 0);
  ck_assert_int_eq(wc.calls, 2);
  h_env_close(&e); /* w3 is freed with the runtime */
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
  eff1 r1 = {0}, r2 = {0};
  volt_watcher *w;
  wrec wr = {0};
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
  e1 = volt_effect(e.rt, eff1_fn, &r1);
  ck_assert_int_eq(hs.watched, 1);
  e2 = volt_effect(e.rt, eff1_fn, &r2);
  ck_assert_int_eq(hs.watched, 1); /* not the first subscriber */
  volt_dispose(e1);
  ck_assert_int_eq(hs.unwatched, 0);
  volt_dispose(e2);
  ck_assert_int_eq(hs.unwatched, 1); /* last one left */

  w = volt_watch(s, wrec_cb, &wr);
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
  eff1 r3 = {0};
  lin l = {0};

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
  c = volt_computed(e.rt, lin_fn, &l, &oc);
  hc.n = c;
  ck_assert_int_eq(h_int(volt_get(c)), 2); /* a plain read does not watch c */
  ck_assert_int_eq(hc.watched, 0);
  r3.src = c;
  e3 = volt_effect(e.rt, eff1_fn, &r3);
  ck_assert_int_eq(hc.watched, 1);
  ck_assert_int_eq(hs.watched, 1);
  ck_assert_int_eq(hs.unwatched, 0);
  volt_dispose(e3);
  ck_assert_int_eq(hc.unwatched, 1);
  /* c dropped its source: s's last subscriber left with it. */
  ck_assert_int_eq(hs.unwatched, 1);
  /* watched again: c's first subscriber arrives, c links s again */
  e3 = volt_effect(e.rt, eff1_fn, &r3);
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
 * Scopes, peek, untrack
 * ------------------------------------------------------------------------ */

typedef struct scp {
  volt_node *outer, *inner, *ci;
  lin l;
  eff1 r;
  h_log lg;
  int effect_cleanups;
} scp;

static void scp_push1(void *ud) { h_log_push(&((scp *)ud)->lg, 1); }
static void scp_push2(void *ud) { h_log_push(&((scp *)ud)->lg, 2); }
static void scp_push60(void *ud) { h_log_push(&((scp *)ud)->lg, 60); }
static void scp_push50(void *ud) { h_log_push(&((scp *)ud)->lg, 50); }
static void scp_eff(void *ud) {
  scp *p = ud;
  eff1_fn(&p->r);
  volt_on_cleanup(volt_node_rt(p->outer), scp_push50, p);
}
static void scp_nested(void *ud) {
  scp *p = ud;
  volt_on_cleanup(volt_node_rt(p->outer), scp_push60, p);
}
static void scp_fn(void *ud) {
  scp *p = ud;
  volt_rt *rt = volt_node_rt(p->outer);
  ck_assert_int_eq(volt_on_cleanup(rt, scp_push1, p), 0);
  p->inner = volt_signal(rt, volt_int(10), NULL);
  p->l.a = p->outer;
  p->l.b = p->inner;
  p->l.k = 1;
  p->ci = volt_computed(rt, lin_fn, &p->l, NULL);
  p->r.src = p->ci;
  (void)volt_effect(rt, scp_eff, p);
  (void)volt_scope(rt, scp_nested, p);
  ck_assert_int_eq(volt_on_cleanup(rt, scp_push2, p), 0);
}

/* a scope made inside an effect: untracked, owned by the effect */
typedef struct scp2 {
  volt_node *a, *b;
  int runs, scope_runs, cleanups;
} scp2;

static void scp2_cleanup(void *ud) { ((scp2 *)ud)->cleanups++; }
static void scp2_inner(void *ud) {
  scp2 *p = ud;
  p->scope_runs++;
  (void)volt_get(p->b);
  volt_on_cleanup(volt_node_rt(p->a), scp2_cleanup, p);
}
static void scp2_eff(void *ud) {
  scp2 *p = ud;
  p->runs++;
  (void)volt_get(p->a);
  (void)volt_scope(volt_node_rt(p->a), scp2_inner, p);
}

START_TEST(scope_disposes_subtree) {
  h_env e;
  scp p;
  scp2 q;
  volt_node *sc;
  size_t live0;

  memset(&p, 0, sizeof p);
  memset(&q, 0, sizeof q);
  ENV_OPEN(e);
  p.outer = volt_signal(e.rt, volt_int(1), NULL);
  live0 = h_stats(e.rt).live_nodes;
  sc = volt_scope(e.rt, scp_fn, &p);
  ck_assert_ptr_nonnull(sc);
  ck_assert_ptr_nonnull(p.ci);
  ck_assert_int_eq(p.r.runs, 1);
  ck_assert_int_eq(h_int(p.r.seen), 11);
  ck_assert_int_eq(p.lg.n, 0);
  ck_assert_uint_gt(h_stats(e.rt).live_nodes, live0 + 3);
  ck_assert_int_eq(volt_set(p.outer, volt_int(2)), 0);
  ck_assert_int_eq(p.r.runs, 2);
  ck_assert_int_eq(h_int(p.r.seen), 12);
  p.lg.n = 0;
  volt_dispose(sc);
  {
    /* children last created first (nested scope, effect, ...), then the
     * scope's own cleanups LIFO */
    int want[] = {60, 50, 2, 1};
    h_log_expect(&p.lg, 4, want);
  }
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, live0);
  ck_assert_int_eq(volt_set(p.outer, volt_int(3)), 0);
  ck_assert_int_eq(p.r.runs, 2);

  q.a = volt_signal(e.rt, volt_int(0), NULL);
  q.b = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, scp2_eff, &q));
  ck_assert_int_eq(q.scope_runs, 1);
  ck_assert_int_eq(volt_set(q.b, volt_int(1)), 0); /* read inside the scope */
  ck_assert_int_eq(q.runs, 1);
  ck_assert_int_eq(q.scope_runs, 1);
  ck_assert_int_eq(volt_set(q.a, volt_int(1)), 0);
  ck_assert_int_eq(q.runs, 2);
  ck_assert_int_eq(q.cleanups, 1); /* old scope disposed with the re-run */
  ck_assert_int_eq(q.scope_runs, 2);
  volt_dispose(NULL); /* nothing */
  h_env_close(&e);
  ck_assert_int_eq(q.cleanups, 2);
}
END_TEST

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
  eff1 r = {0};

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
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
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

/* A dependency disposed inside an untracked section of a run: the run's
 * cursor sat on the freed edge, hidden from the fix-up behind the section
 * (before the fix the effect lost every dependency it read afterwards). */
typedef struct utd {
  volt_node *a, *b, *c;
  int runs;
  int64_t sum;
} utd;

static void utd_dispose_a(void *ud) { volt_dispose(((utd *)ud)->a); }
static void utd_eff(void *ud) {
  utd *u = ud;
  u->runs++;
  if (u->runs == 1) {
    (void)volt_get(u->a);
    volt_untrack(volt_node_rt(u->b), utd_dispose_a, u);
  }
  u->sum = volt_as_int(volt_get(u->b)) + volt_as_int(volt_get(u->c));
}

START_TEST(untracked_dispose_of_dependency) {
  h_env e;
  utd u;
  volt_node *eff;

  memset(&u, 0, sizeof u);
  ENV_OPEN(e);
  u.a = volt_signal(e.rt, volt_int(1), NULL);
  u.b = volt_signal(e.rt, volt_int(2), NULL);
  u.c = volt_signal(e.rt, volt_int(3), NULL);
  eff = volt_effect(e.rt, utd_eff, &u);
  ck_assert_ptr_nonnull(eff);
  ck_assert_int_eq(u.runs, 1);
  ck_assert_int_eq(u.sum, 5);
  ck_assert_uint_eq(h_stats(e.rt).edges, 2); /* eff -> b, eff -> c */
  ck_assert_int_eq(volt_set(u.b, volt_int(20)), 0);
  ck_assert_int_eq(u.runs, 2);
  ck_assert_int_eq(u.sum, 23);
  ck_assert_int_eq(volt_set(u.c, volt_int(30)), 0);
  ck_assert_int_eq(u.runs, 3);
  ck_assert_int_eq(u.sum, 50);
  ck_assert_uint_eq(h_stats(e.rt).edges, 2);
  volt_dispose(eff);
  ck_assert_uint_eq(h_stats(e.rt).edges, 0);
  h_env_close(&e);
}
END_TEST

/* A value the run read, written inside an untracked section of the same
 * run: the run is stale and goes again, as it does when the write is not
 * in an untracked section (before the fix the section hid the run from
 * propagation and the effect kept what it saw first). */
typedef struct utw {
  volt_node *x;
  int runs;
  int64_t seen;
} utw;

static void utw_bump(void *ud) {
  utw *u = ud;
  (void)volt_set(u->x, volt_int(u->seen + 1));
}
static void utw_eff(void *ud) {
  utw *u = ud;
  u->runs++;
  u->seen = volt_as_int(volt_get(u->x));
  if (u->seen < 3) volt_untrack(volt_node_rt(u->x), utw_bump, u);
}

START_TEST(untracked_write_of_dependency) {
  h_env e;
  utw u;

  memset(&u, 0, sizeof u);
  ENV_OPEN(e);
  u.x = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(volt_effect(e.rt, utw_eff, &u));
  ck_assert_int_eq(volt_flush(e.rt), 0);
  ck_assert_int_eq(u.runs, 4); /* saw 0, 1, 2, 3 */
  ck_assert_int_eq(u.seen, 3);
  ck_assert_int_eq(h_int(volt_peek(u.x)), 3);
  h_env_close(&e);
}
END_TEST

/* A run disposes the dependency its previous run read next, then reads
 * on: the run's cursor must step over the freed edge (its `next` would
 * otherwise name the disposed node and its list keep the freed edge). */
typedef struct dnx {
  volt_node *a, *b, *c;
  int runs;
  int64_t seen;
} dnx;

static void dnx_eff(void *ud) {
  dnx *d = ud;
  d->runs++;
  int64_t t = volt_as_int(volt_get(d->a));
  if (d->runs == 1)
    t += volt_as_int(volt_get(d->b));
  else if (d->b) {
    volt_dispose(d->b);
    d->b = NULL;
  }
  d->seen = t + volt_as_int(volt_get(d->c));
}

START_TEST(dispose_next_dependency_in_run) {
  h_env e;
  dnx d;
  volt_node *eff;

  memset(&d, 0, sizeof d);
  ENV_OPEN(e);
  d.a = volt_signal(e.rt, volt_int(1), NULL);
  d.b = volt_signal(e.rt, volt_int(10), NULL);
  d.c = volt_signal(e.rt, volt_int(100), NULL);
  eff = volt_effect(e.rt, dnx_eff, &d);
  ck_assert_ptr_nonnull(eff);
  ck_assert_int_eq(d.seen, 111);
  ck_assert_uint_eq(h_stats(e.rt).edges, 3);
  ck_assert_int_eq(volt_set(d.a, volt_int(2)), 0); /* disposes b mid-run */
  ck_assert_int_eq(d.runs, 2);
  ck_assert_int_eq(d.seen, 102);
  ck_assert_uint_eq(h_stats(e.rt).edges, 2); /* eff -> a, eff -> c */
  ck_assert_int_eq(volt_set(d.c, volt_int(200)), 0);
  ck_assert_int_eq(d.runs, 3);
  ck_assert_int_eq(d.seen, 202);
  ck_assert_uint_eq(h_stats(e.rt).edges, 2);
  volt_dispose(eff);
  ck_assert_uint_eq(h_stats(e.rt).edges, 0);
  h_env_close(&e);
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
  volt_node *sig[10], *eff, *named, *warm;
  lin l[10];
  sumall sa;
  char longname[200];

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
    sa.n[i] = volt_computed(e.rt, lin_fn, &l[i], NULL);
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

static volt_val dot_beta(void *ud) { return volt_int(volt_as_int(volt_get(ud)) + 1); }
static void dot_eff(void *ud) { (void)volt_get(ud); }

/* The DOT vertex id on the line that mentions `name` (not an arc line). */
static bool dot_vertex_id(const char *text, const char *name, char *id, size_t cap) {
  const char *p = text;
  while ((p = strstr(p, name)) != NULL) {
    const char *ls = p, *le = p;
    while (ls > text && ls[-1] != '\n') ls--;
    while (*le && *le != '\n') le++;
    bool arrow = false;
    for (const char *q = ls; q + 1 < le; q++)
      if (q[0] == '-' && q[1] == '>') arrow = true;
    if (!arrow) {
      size_t n = 0;
      while (ls < le && (*ls == ' ' || *ls == '\t')) ls++;
      while (ls + n < le && ls[n] != ' ' && ls[n] != '[' && ls[n] != '\t' && ls[n] != ';')
        n++;
      if (n == 0 || n >= cap) return false;
      memcpy(id, ls, n);
      id[n] = '\0';
      return true;
    }
    p++;
  }
  return false;
}

START_TEST(dump_dot_output) {
  h_env e;
  volt_node *a, *b;
  char *buf = NULL;
  size_t len = 0;
  FILE *f;
  char ida[64], idb[64], arc[160];

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
  ck_assert_msg(dot_vertex_id(buf, "alpha_sig", ida, sizeof ida), "no vertex for alpha:\n%s", buf);
  ck_assert_msg(dot_vertex_id(buf, "beta_comp", idb, sizeof idb), "no vertex for beta:\n%s", buf);
  snprintf(arc, sizeof arc, "%s -> %s", ida, idb);
  ck_assert_msg(strstr(buf, arc) != NULL, "no arc \"%s\" in:\n%s", arc, buf);
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
 * Deep chains on a 64 KiB stack
 * ------------------------------------------------------------------------ */

#define DEEP_N 1000000

typedef struct deep {
  int mode; /* 0: build then read cold; 1: build incrementally; 2: close alive */
  size_t stack_size;
  int rt_rc;
  size_t created;
  int64_t tail_cold;
  size_t incr_bad;
  int effect_runs;
  int64_t effect_seen;
  int set_rc;
  int64_t tail_after;
  size_t live_after, edges_after;
  int closed;
  size_t alloc_live;
  size_t alloc_bad;
  bool done;
} deep;

typedef struct deep_eff {
  volt_node *tail;
  int runs;
  int64_t seen;
} deep_eff;

static volt_val chain_fn(void *ud) {
  volt_val v = volt_get(ud);
  if (volt_is_err(v)) return v;
  return volt_int(volt_as_int(v) + 1);
}
static void deep_eff_fn(void *ud) {
  deep_eff *d = ud;
  volt_val v = volt_get(d->tail);
  d->runs++;
  d->seen = volt_is_err(v) ? -1 : volt_as_int(v);
}

static void deep_thread(void *arg) {
  deep *r = arg;
  h_alloc *al = malloc(sizeof *al);
  volt_node **n = malloc(sizeof *n * (DEEP_N + 1));
  volt_config cfg;
  volt_rt *rt = NULL;
  volt_node *eff;
  deep_eff *de = malloc(sizeof *de);
  volt_stats_t st;
  volt_val v;

  if (!al || !n || !de) goto out;
  h_alloc_init(al);
  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = al;
  r->rt_rc = volt_rt_new(&rt, NULL, &cfg);
  if (r->rt_rc != 0) goto out;

  n[0] = volt_signal(rt, volt_int(7), NULL);
  if (!n[0]) goto close;
  r->created = 1;
  for (size_t i = 1; i <= DEEP_N; i++) {
    n[i] = volt_computed(rt, chain_fn, n[i - 1], NULL);
    if (!n[i]) goto close;
    r->created++;
    if (r->mode == 1) {
      v = volt_get(n[i]);
      if (volt_tag(v) != VOLT_INT || volt_as_int(v) != 7 + (int64_t)i) r->incr_bad++;
    }
  }
  v = volt_get(n[DEEP_N]);
  r->tail_cold = volt_is_err(v) ? -(int64_t)volt_err_code(v) * 1000 : volt_as_int(v);

  memset(de, 0, sizeof *de);
  de->tail = n[DEEP_N];
  eff = volt_effect(rt, deep_eff_fn, de);
  if (!eff) goto close;
  r->set_rc = volt_set(n[0], volt_int(100));
  r->effect_runs = de->runs;
  r->effect_seen = de->seen;
  v = volt_get(n[DEEP_N]);
  r->tail_after = volt_is_err(v) ? -1 : volt_as_int(v);

  if (r->mode == 0) { /* subscribers first */
    volt_dispose(eff);
    for (size_t i = DEEP_N + 1; i-- > 0;) volt_dispose(n[i]);
  } else if (r->mode == 1) { /* dependencies first */
    volt_dispose(eff);
    for (size_t i = 0; i <= DEEP_N; i++) volt_dispose(n[i]);
  }
  if (r->mode != 2 && volt_stats(rt, &st) == 0) {
    r->live_after = st.live_nodes;
    r->edges_after = st.edges;
  }
  r->done = true;
close:
  volt_rt_close(rt, h_count_closed, &r->closed);
  r->alloc_live = al->live_bytes;
  r->alloc_bad = al->bad_old_size + al->bad_pointer;
out:
  free(de);
  free(n);
  free(al);
}

static void run_deep(deep *r) {
  h_thread_run(64 * 1024, deep_thread, r, 300, &r->stack_size);
}

static void check_deep(const deep *r) {
  ck_assert_int_eq(r->rt_rc, 0);
  ck_assert_uint_eq(r->created, DEEP_N + 1);
  ck_assert_int_eq(r->tail_cold, 7 + DEEP_N);
  ck_assert_uint_eq(r->incr_bad, 0);
  ck_assert_int_eq(r->set_rc, 0);
  ck_assert_int_eq(r->effect_runs, 2);
  ck_assert_int_eq(r->effect_seen, 100 + DEEP_N);
  ck_assert_int_eq(r->tail_after, 100 + DEEP_N);
  ck_assert(r->done);
  ck_assert_uint_eq(r->live_after, 0);
  ck_assert_uint_eq(r->edges_after, 0);
  ck_assert_int_eq(r->closed, 1);
  ck_assert_uint_eq(r->alloc_live, 0);
  ck_assert_uint_eq(r->alloc_bad, 0);
}

START_TEST(deep_chain_cold) {
  deep r;
  uv_loop_t loop;
  memset(&r, 0, sizeof r);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  r.mode = 0;
  run_deep(&r);
  check_deep(&r);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(deep_chain_incremental) {
  deep r;
  memset(&r, 0, sizeof r);
  r.mode = 1;
  run_deep(&r);
  check_deep(&r);
}
END_TEST

START_TEST(deep_chain_closed_alive) {
  deep r;
  memset(&r, 0, sizeof r);
  r.mode = 2;
  run_deep(&r);
  check_deep(&r);
}
END_TEST

/* A layered graph (the cellx benchmark's shape: every computed reads two or
 * three of the previous layer's four) 10,000 layers deep, on a 64 KiB
 * stack: cold read, an effect on the last layer, writes; values checked
 * against a plain loop. */
#define CX_LAYERS 10000

typedef struct cx_node {
  volt_node *n;
  int k;              /* 0..3: a, b, c, d */
  struct cx_node *prev; /* the previous layer's 4 */
} cx_node;

typedef struct cx {
  size_t stack_size;
  int rt_rc;
  bool built;
  int64_t want0[4], want1[4], want2[4];
  int64_t cold[4], after1[4], after2[4];
  int eff_runs_after1, eff_runs_after2, eff_glitches;
  int set_rc1, set_rc2;
  int closed;
  size_t alloc_live;
} cx;

typedef struct cx_eff {
  cx_node *last;
  int runs, glitches;
  int64_t seen[4];
} cx_eff;

static volt_val cx_fn(void *ud) {
  cx_node *x = ud;
  cx_node *p = x->prev;
  int64_t a, b, c, d;
  switch (x->k) {
  case 0:
    return volt_get(p[1].n);
  case 1:
    a = volt_as_int(volt_get(p[0].n));
    c = volt_as_int(volt_get(p[2].n));
    return volt_int(a - c);
  case 2:
    b = volt_as_int(volt_get(p[1].n));
    d = volt_as_int(volt_get(p[3].n));
    return volt_int(b + d);
  default:
    return volt_get(p[2].n);
  }
}

static void cx_eff_fn(void *ud) {
  cx_eff *e = ud;
  e->runs++;
  for (int k = 0; k < 4; k++) e->seen[k] = volt_as_int(volt_get(e->last[k].n));
}

static void cx_expect(int64_t in[4], int64_t out[4]) {
  int64_t a = in[0], b = in[1], c = in[2], d = in[3];
  for (int l = 0; l < CX_LAYERS; l++) {
    int64_t na = b, nb = a - c, nc = b + d, nd = c;
    a = na, b = nb, c = nc, d = nd;
  }
  out[0] = a, out[1] = b, out[2] = c, out[3] = d;
}

static void cx_thread(void *arg) {
  cx *r = arg;
  h_alloc *al = malloc(sizeof *al);
  cx_node *nodes = calloc((size_t)(CX_LAYERS + 1) * 4, sizeof *nodes);
  cx_eff *ef = calloc(1, sizeof *ef);
  volt_config cfg;
  volt_rt *rt = NULL;
  cx_node *last;

  if (!al || !nodes || !ef) goto out;
  h_alloc_init(al);
  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = al;
  r->rt_rc = volt_rt_new(&rt, NULL, &cfg);
  if (r->rt_rc) goto out;
  for (int k = 0; k < 4; k++) {
    nodes[k].k = k;
    nodes[k].n = volt_signal(rt, volt_int(k + 1), NULL);
    if (!nodes[k].n) goto close;
  }
  for (int l = 1; l <= CX_LAYERS; l++)
    for (int k = 0; k < 4; k++) {
      cx_node *x = &nodes[l * 4 + k];
      x->k = k;
      x->prev = &nodes[(l - 1) * 4];
      x->n = volt_computed(rt, cx_fn, x, NULL);
      if (!x->n) goto close;
    }
  r->built = true;
  last = &nodes[CX_LAYERS * 4];
  for (int k = 0; k < 4; k++) r->cold[k] = volt_as_int(volt_get(last[k].n));
  ef->last = last;
  if (!volt_effect(rt, cx_eff_fn, ef)) goto close;
  r->set_rc1 = volt_set(nodes[0].n, volt_int(10));
  r->eff_runs_after1 = ef->runs;
  memcpy(r->after1, ef->seen, sizeof r->after1);
  volt_batch_begin(rt);
  volt_set(nodes[1].n, volt_int(-3));
  volt_set(nodes[3].n, volt_int(7));
  r->set_rc2 = volt_batch_end(rt);
  r->eff_runs_after2 = ef->runs;
  memcpy(r->after2, ef->seen, sizeof r->after2);
close:
  volt_rt_close(rt, h_count_closed, &r->closed);
  r->alloc_live = al->live_bytes;
out:
  free(ef);
  free(nodes);
  free(al);
}

START_TEST(deep_layers_cellx) {
  cx r;
  int64_t in0[4] = {1, 2, 3, 4}, in1[4] = {10, 2, 3, 4}, in2[4] = {10, -3, 3, 7};

  memset(&r, 0, sizeof r);
  cx_expect(in0, r.want0);
  cx_expect(in1, r.want1);
  cx_expect(in2, r.want2);
  h_thread_run(64 * 1024, cx_thread, &r, 300, &r.stack_size);
  ck_assert_int_eq(r.rt_rc, 0);
  ck_assert(r.built);
  for (int k = 0; k < 4; k++) {
    ck_assert_int_eq(r.cold[k], r.want0[k]);
    ck_assert_int_eq(r.after1[k], r.want1[k]);
    ck_assert_int_eq(r.after2[k], r.want2[k]);
  }
  ck_assert_int_eq(r.set_rc1, 0);
  ck_assert_int_eq(r.set_rc2, 0);
  ck_assert_int_eq(r.eff_runs_after1, 2);
  ck_assert_int_eq(r.eff_runs_after2, 3);
  ck_assert_int_eq(r.closed, 1);
  ck_assert_uint_eq(r.alloc_live, 0);
}
END_TEST

/* A deep random DAG on a 64 KiB stack: 30,000 computeds, each reading one
 * to three of the eight nodes before it (sums, and conditionals that pick
 * their dependencies), 16 signals at the bottom, an effect on the last
 * three nodes. Random batches of writes; after each, sampled values and
 * the effect's runs are compared with an eager recomputation. */
#define RD_N 30000
#define RD_S 16
#define RD_BATCHES 40

typedef struct rd_node {
  volt_node *n;
  int op, in[3];
} rd_node;

typedef struct rd {
  rd_node *node; /* RD_S signals then RD_N computeds */
  int64_t *model;
  uint64_t rng;
  int effect_runs, bad_runs, bad_values, bad_reads;
  int64_t seen[3];
  bool built, done;
  int closed;
  size_t alloc_live, stack_size;
} rd;

static uint64_t rd_rnd(rd *r) {
  r->rng ^= r->rng << 13;
  r->rng ^= r->rng >> 7;
  r->rng ^= r->rng << 17;
  return r->rng;
}

typedef int64_t (*rd_reader)(void *ctx, int idx);

static int64_t rd_eval(const rd_node *x, rd_reader rdr, void *ctx) {
  int64_t a = rdr(ctx, x->in[0]);
  switch (x->op) {
  case 0:
    return a;
  case 1:
    return (a + rdr(ctx, x->in[1])) % 1000003;
  case 2:
    return (a + rdr(ctx, x->in[1]) + rdr(ctx, x->in[2])) % 1000003;
  default:
    return (a & 1) ? rdr(ctx, x->in[1]) : (rdr(ctx, x->in[2]) + 1) % 1000003;
  }
}

typedef struct rd_ctx {
  rd *r;
  int idx;
} rd_ctx;

static int64_t rd_volt_read(void *ctx, int idx) {
  rd *r = ctx;
  volt_val v = volt_get(r->node[idx].n);
  return volt_tag(v) == VOLT_INT ? volt_as_int(v) : 0; /* NIL on a discarded run */
}
static int64_t rd_model_read(void *ctx, int idx) { return ((const int64_t *)ctx)[idx]; }

static rd *rd_global; /* the computeds' fn gets its node through ud */

static volt_val rd_fn(void *ud) {
  rd_node *x = ud;
  return volt_int(rd_eval(x, rd_volt_read, rd_global));
}

static void rd_eff(void *ud) {
  rd *r = ud;
  r->effect_runs++;
  for (int k = 0; k < 3; k++) {
    volt_val v = volt_get(r->node[RD_S + RD_N - 1 - k].n);
    r->seen[k] = volt_as_int(v);
    if (volt_tag(v) != VOLT_INT || r->seen[k] != r->model[RD_S + RD_N - 1 - k]) r->bad_reads++;
  }
}

static void rd_recompute(rd *r) {
  for (int i = RD_S; i < RD_S + RD_N; i++) r->model[i] = rd_eval(&r->node[i], rd_model_read, r->model);
}

static void rd_thread(void *arg) {
  rd *r = arg;
  h_alloc *al = malloc(sizeof *al);
  volt_config cfg;
  volt_rt *rt = NULL;
  int64_t before[3];

  if (!al) return;
  h_alloc_init(al);
  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = al;
  if (volt_rt_new(&rt, NULL, &cfg) != 0) goto out;
  for (int i = 0; i < RD_S; i++) {
    r->model[i] = (int64_t)(rd_rnd(r) % 100);
    r->node[i].n = volt_signal(rt, volt_int(r->model[i]), NULL);
    if (!r->node[i].n) goto close;
  }
  for (int i = RD_S; i < RD_S + RD_N; i++) {
    rd_node *x = &r->node[i];
    x->op = (int)(rd_rnd(r) % 4);
    for (int k = 0; k < 3; k++) {
      int back = 1 + (int)(rd_rnd(r) % 8);
      x->in[k] = i - back >= 0 ? i - back : 0;
      if (i < 24 && rd_rnd(r) % 2) x->in[k] = (int)(rd_rnd(r) % RD_S); /* reach the signals */
    }
    /* every 500 nodes, read a signal directly so writes reach deep */
    if (i % 500 == 0) x->in[1] = (int)(rd_rnd(r) % RD_S);
    x->n = volt_computed(rt, rd_fn, x, NULL);
    if (!x->n) goto close;
  }
  r->built = true;
  rd_recompute(r);
  /* cold read of everything at the top, then a sample */
  for (int k = 0; k < 3; k++)
    if (volt_as_int(volt_get(r->node[RD_S + RD_N - 1 - k].n)) != r->model[RD_S + RD_N - 1 - k])
      r->bad_values++;
  if (!volt_effect(rt, rd_eff, r)) goto close;
  for (int b = 0; b < RD_BATCHES; b++) {
    int writes = 1 + (int)(rd_rnd(r) % 3);
    bool changed = false;
    int runs0 = r->effect_runs;
    for (int k = 0; k < 3; k++) before[k] = r->model[RD_S + RD_N - 1 - k];
    volt_batch_begin(rt);
    for (int w = 0; w < writes; w++) {
      int s = (int)(rd_rnd(r) % RD_S);
      int64_t v = (int64_t)(rd_rnd(r) % 100);
      r->model[s] = v;
      volt_set(r->node[s].n, volt_int(v));
    }
    rd_recompute(r);
    if (volt_batch_end(rt) != 0) r->bad_runs++;
    for (int k = 0; k < 3; k++)
      if (before[k] != r->model[RD_S + RD_N - 1 - k]) changed = true;
    if (r->effect_runs - runs0 != (changed ? 1 : 0)) r->bad_runs++;
    for (int t = 0; t < 20; t++) {
      int i = RD_S + (int)(rd_rnd(r) % RD_N);
      if (volt_as_int(volt_peek(r->node[i].n)) != r->model[i]) r->bad_values++;
    }
  }
  r->done = true;
close:
  volt_rt_close(rt, h_count_closed, &r->closed);
  r->alloc_live = al->live_bytes;
out:
  free(al);
}

START_TEST(deep_random_dag) {
  rd *r = calloc(1, sizeof *r);
  ck_assert_ptr_nonnull(r);
  r->node = calloc(RD_S + RD_N, sizeof *r->node);
  r->model = calloc(RD_S + RD_N, sizeof *r->model);
  ck_assert_ptr_nonnull(r->node);
  ck_assert_ptr_nonnull(r->model);
  r->rng = 0x243f6a8885a308d3ull;
  rd_global = r;
  h_thread_run(64 * 1024, rd_thread, r, 300, &r->stack_size);
  ck_assert(r->built);
  ck_assert(r->done);
  ck_assert_int_eq(r->bad_values, 0);
  ck_assert_int_eq(r->bad_reads, 0);
  ck_assert_int_eq(r->bad_runs, 0);
  ck_assert_int_gt(r->effect_runs, 1);
  ck_assert_int_eq(r->closed, 1);
  ck_assert_uint_eq(r->alloc_live, 0);
  free(r->model);
  free(r->node);
  free(r);
}
END_TEST

/* DESIGN §9 memory bar: <= 64 bytes per computed node and <= 32 bytes per
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
  for (size_t i = 1; i <= MEM_N; i++) n[i] = volt_computed(e.rt, chain_fn, n[i - 1], NULL);
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

/* ------------------------------------------------------------------------ */


/* ------------------------------------------------------------------------
 * Read paths: every kind of value through a node, read inside and outside a
 * computed (the frame and the general paths of volt_get), and an untracked
 * read of what was the next dependency of the previous run.
 * ------------------------------------------------------------------------ */

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
 * Bookkeeping that only shows when it goes wrong: the first-dependency
 * pointer after its node is disposed, a lost mark (resync) seen by a plain
 * read, an evaluation whose node disposes itself, a dependency that could
 * not be recorded.
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

START_TEST(first_dependency_disposed) {
  h_env e;
  fd_c f = {0};
  eff1 r = {0};
  volt_node *c;
  ENV_OPEN(e);
  f.a = volt_signal(e.rt, volt_int(1), NULL);
  f.b = volt_signal(e.rt, volt_int(10), NULL);
  c = volt_computed(e.rt, fd_fn, &f, NULL); /* deps: a (first), b */
  r.src = c;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r));
  ck_assert_int_eq(h_int(r.seen), 11);
  volt_dispose(f.a); /* c's first dependency goes; b becomes the first */
  ck_assert_int_eq(volt_set(f.b, volt_int(20)), 0);
  ck_assert_int_eq(r.runs, 2); /* the check walked from c to b, not to a */
  ck_assert_int_eq(h_int(r.seen), 20);
  h_env_close(&e);
}
END_TEST

typedef struct rs_g {
  volt_node *s, *a, *b;
} rs_g;

static volt_val rs_plus1(void *ud) { return volt_int(h_int(volt_get((volt_node *)ud)) + 1); }

START_TEST(lost_mark_seen_by_plain_read) {
  h_env e;
  rs_g g;
  eff1 r = {0};
  ENV_OPEN(e);
  g.s = volt_signal(e.rt, volt_int(1), NULL);
  g.a = volt_computed(e.rt, rs_plus1, g.s, NULL);
  g.b = volt_computed(e.rt, rs_plus1, g.s, NULL);
  r.src = g.a;
  ck_assert_ptr_nonnull(volt_effect(e.rt, eff1_fn, &r)); /* a has a subscriber */
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

typedef struct sd_c {
  volt_node *s, *self;
  int unwatched;
} sd_c;

static void sd_unwatched(volt_node *n, void *ud) {
  (void)n;
  ((sd_c *)ud)->unwatched++;
}
static volt_val sd_fn(void *ud) {
  sd_c *d = ud;
  volt_val v = volt_get(d->s);
  volt_dispose(d->self);
  return v;
}

START_TEST(computed_disposes_itself) {
  h_env e;
  sd_c d = {0};
  volt_opts o;
  volt_stats_t st;
  ENV_OPEN(e);
  memset(&o, 0, sizeof o);
  o.unwatched = sd_unwatched;
  o.ud = &d;
  d.s = volt_signal(e.rt, volt_int(3), &o);
  d.self = volt_computed(e.rt, sd_fn, &d, NULL);
  (void)volt_get(d.self);
  /* The evaluation ended the slow way: the node is gone with its edge. */
  ck_assert_int_eq(d.unwatched, 1);
  ck_assert_int_eq(volt_stats(e.rt, &st), 0);
  ck_assert_uint_eq(st.edges, 0);
  ck_assert_uint_eq(st.live_nodes, 1);
  h_env_close(&e);
}
END_TEST

/* Disposal in the middle of a read. `a` (a computed of src) disposes a node
 * when src becomes 2; `reader` reads a and b (signals src = 1, b = 5). */
typedef struct dr_c {
  volt_node *src, *a, *b, *reader;
  int reader_runs;
} dr_c;

/* a: disposes the reader when src is 2. */
static volt_val dr_a_disposes_reader(void *ud) {
  dr_c *d = ud;
  int64_t v = h_int(volt_get(d->src));
  if (v == 2) volt_dispose(d->reader);
  return volt_int(v * 10);
}

/* a: disposes itself when src is 2. */
static volt_val dr_a_disposes_itself(void *ud) {
  dr_c *d = ud;
  int64_t v = h_int(volt_get(d->src));
  if (v == 2) volt_dispose(d->a);
  return volt_int(v * 10);
}

static volt_val dr_reader_b_first(void *ud) {
  dr_c *d = ud;
  d->reader_runs++;
  int64_t b = h_int(volt_get(d->b));
  return volt_int(b + volt_as_int(volt_get(d->a))); /* a reads NIL once it is gone */
}

static volt_val dr_reader_a_first(void *ud) {
  dr_c *d = ud;
  d->reader_runs++;
  int64_t a = h_int(volt_get(d->a));
  return volt_int(a + h_int(volt_get(d->b)));
}

static volt_val dr_sum(void *ud) {
  dr_c *d = ud;
  return volt_int(h_int(volt_get(d->a)) + h_int(volt_get(d->b)));
}

static void dr_build(h_env *e, dr_c *d, volt_val (*a_fn)(void *), volt_val (*reader_fn)(void *)) {
  volt_stats_t st;
  d->src = volt_signal(e->rt, volt_int(1), NULL);
  d->b = volt_signal(e->rt, volt_int(5), NULL);
  d->a = volt_computed(e->rt, a_fn, d, NULL);
  d->reader = volt_computed(e->rt, reader_fn, d, NULL);
  ck_assert_int_eq(h_int(volt_get(d->reader)), 15);
  ck_assert_int_eq(volt_stats(e->rt, &st), 0);
  ck_assert_uint_eq(st.edges, 3); /* a: src; reader: a, b */
}

/* src = 2 and b = 6 in one batch, then a read of the reader: it re-runs
 * (b changed) and meets a, stale, as its next dependency. */
static void dr_write_both_and_read(h_env *e, dr_c *d) {
  ck_assert_int_eq(volt_batch_begin(e->rt), 0);
  ck_assert_int_eq(volt_set(d->src, volt_int(2)), 0);
  ck_assert_int_eq(volt_set(d->b, volt_int(6)), 0);
  ck_assert_int_eq(volt_batch_end(e->rt), 0);
  (void)volt_get(d->reader);
  ck_assert_int_eq(d->reader_runs, 2);
}

/* Reading a disposes the running reader: the reader's run ends the slow
 * way and nothing is recorded for it; the rest of the graph works on. */
START_TEST(next_dependency_disposes_reader) {
  h_env e;
  dr_c d = {0};
  volt_stats_t st;
  volt_node *other;
  ENV_OPEN(e);
  dr_build(&e, &d, dr_a_disposes_reader, dr_reader_b_first);
  dr_write_both_and_read(&e, &d);
  ck_assert_int_eq(volt_stats(e.rt, &st), 0);
  ck_assert_uint_eq(st.edges, 1); /* a -> src */
  ck_assert_uint_eq(st.live_nodes, 3);
  other = volt_computed(e.rt, dr_sum, &d, NULL);
  ck_assert_int_eq(h_int(volt_get(other)), 26);
  ck_assert_int_eq(volt_set(d.src, volt_int(3)), 0);
  ck_assert_int_eq(volt_set(d.b, volt_int(7)), 0);
  ck_assert_int_eq(h_int(volt_get(other)), 37);
  ck_assert_int_eq(volt_stats(e.rt, &st), 0);
  ck_assert_uint_eq(st.edges, 3);
  h_env_close(&e);
}
END_TEST

/* a disposes itself while the reader reads it: its edge to the reader goes
 * under the reader's cursor, and the read must not link the dead node. */
START_TEST(next_dependency_disposes_itself) {
  h_env e;
  dr_c d = {0};
  volt_stats_t st;
  ENV_OPEN(e);
  dr_build(&e, &d, dr_a_disposes_itself, dr_reader_b_first);
  dr_write_both_and_read(&e, &d);
  ck_assert_int_eq(volt_stats(e.rt, &st), 0);
  ck_assert_uint_eq(st.live_nodes, 3);
  ck_assert_uint_eq(st.edges, 1); /* reader -> b */
  ck_assert_int_eq(volt_set(d.b, volt_int(7)), 0);
  ck_assert_int_eq(h_int(volt_get(d.reader)), 7);
  h_env_close(&e);
}
END_TEST

/* Checking the reader's dependencies on the way to reading it (the reader
 * is not running yet) evaluates a, which disposes the reader: the disposed
 * reader is not evaluated afterwards. */
START_TEST(dependency_disposes_reader_being_checked) {
  h_env e;
  dr_c d = {0};
  volt_stats_t st;
  ENV_OPEN(e);
  dr_build(&e, &d, dr_a_disposes_reader, dr_reader_a_first);
  ck_assert_int_eq(volt_set(d.src, volt_int(2)), 0);
  (void)volt_get(d.reader);
  ck_assert_int_eq(d.reader_runs, 1);
  ck_assert_int_eq(volt_stats(e.rt, &st), 0);
  ck_assert_uint_eq(st.live_nodes, 3);
  ck_assert_uint_eq(st.edges, 1); /* a -> src */
  ck_assert_int_eq(h_int(volt_get(d.a)), 20);
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
  tcase_add_loop_test(tc, untracked_read_of_next_dependency, 0, 2);

  tc = h_tcase(s, "bookkeeping");
  tcase_add_loop_test(tc, first_dependency_disposed, 0, 2);
  tcase_add_loop_test(tc, lost_mark_seen_by_plain_read, 0, 2);
  tcase_add_loop_test(tc, computed_disposes_itself, 0, 2);
  tcase_add_loop_test(tc, next_dependency_disposes_reader, 0, 2);
  tcase_add_loop_test(tc, next_dependency_disposes_itself, 0, 2);
  tcase_add_loop_test(tc, dependency_disposes_reader_being_checked, 0, 2);
  tcase_add_loop_test(tc, dependency_not_recorded, 0, 2);

  tc = h_tcase(s, "graph");
  tcase_add_loop_test(tc, diamond_glitch_free, 0, 2);
  tcase_add_loop_test(tc, conditional_dependency_cleanup, 0, 2);
  tcase_add_loop_test(tc, equality_cutoff, 0, 2);
  tcase_add_loop_test(tc, cutoff_then_direct_read, 0, 2);
  tcase_add_loop_test(tc, repeated_reads_one_edge, 0, 2);
  tcase_add_loop_test(tc, many_subscribers, 0, 2);
  tcase_add_loop_test(tc, custom_equals, 0, 2);
  tcase_add_loop_test(tc, lazy_computeds, 0, 2);
  tcase_add_loop_test(tc, batch_revert_notifies_nobody, 0, 2);
  tcase_add_loop_test(tc, batch_nesting, 0, 2);
  tcase_add_loop_test(tc, peek_and_untrack, 0, 2);
  tcase_add_loop_test(tc, untracked_dispose_of_dependency, 0, 2);
  tcase_add_loop_test(tc, untracked_write_of_dependency, 0, 2);
  tcase_add_loop_test(tc, dispose_next_dependency_in_run, 0, 2);

  tc = h_tcase(s, "ownership");
  tcase_add_loop_test(tc, nested_effects_disposed_on_rerun, 0, 2);
  tcase_add_loop_test(tc, cleanup_order, 0, 2);
  tcase_add_loop_test(tc, dispose_other_during_flush, 0, 2);
  tcase_add_loop_test(tc, dispose_running_effect, 0, 2);
  tcase_add_loop_test(tc, dispose_scope_during_flush, 0, 2);
  tcase_add_loop_test(tc, batch_and_flush_inside_effect, 0, 2);
  tcase_add_loop_test(tc, parent_effects_before_children, 0, 2);
  tcase_add_loop_test(tc, scope_disposes_subtree, 0, 2);
  tcase_add_loop_test(tc, computed_owns_children_and_cleanups, 0, 2);
  tcase_add_loop_test(tc, owner_with_children_on_some_runs, 0, 2);
  tcase_add_loop_test(tc, cleanups_untracked_and_unowned, 0, 2);
  tcase_add_loop_test(tc, dispose_does_not_notify, 0, 2);
  tcase_add_loop_test(tc, cross_runtime_read_untracked, 0, 2);
  tcase_add_loop_test(tc, watcher_write_same_flush, 0, 2);
  tcase_add_loop_test(tc, flush_inside_open_batch, 0, 2);

  tc = h_tcase(s, "errors");
  tcase_add_loop_test(tc, cycle_direct, 0, 2);
  tcase_add_loop_test(tc, cycle_indirect, 0, 2);
  tcase_add_loop_test(tc, cycle_broken_recovers, 0, 2);
  tcase_add_loop_test(tc, set_inside_computed_eperm, 0, 2);
  tcase_add_loop_test(tc, effect_write_loop_eloop, 0, 2);
  tcase_add_loop_test(tc, max_rounds_respected, 0, 2);
  tcase_add_loop_test(tc, writes_in_effects_same_flush, 0, 2);

  tc = h_tcase(s, "hooks");
  tcase_add_loop_test(tc, release_hook_counts, 0, 2);
  tcase_add_loop_test(tc, watchers, 0, 2);
  tcase_add_loop_test(tc, watched_unwatched_hooks, 0, 2);
  tcase_add_loop_test(tc, watched_hooks_through_computed, 0, 2);
  tcase_add_loop_test(tc, release_on_lazy_recompute, 0, 2);

  tc = h_tcase(s, "debug");
  tcase_add_loop_test(tc, stats_counts, 0, 2);
  tcase_add_loop_test(tc, dump_dot_output, 0, 2);
  tcase_add_loop_test(tc, node_names_copied, 0, 2);

  tc = h_tcase(s, "deep");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, deep_chain_cold);
  tcase_add_test(tc, deep_chain_incremental);
  tcase_add_test(tc, deep_chain_closed_alive);
  tcase_add_test(tc, memory_per_node_and_edge);
  tcase_add_test(tc, deep_layers_cellx);
  tcase_add_test(tc, deep_random_dag);
  return s;
}

int main(void) { return h_run(signals_suite()); }
