/* tests/test_effects.c - effects and watchers: when they run, in which
 * order, writes inside them, the flush cap (VOLT_ELOOP) (include/volt/
 * graph.h), through the public API only.
 *
 * Most tests run twice (tcase_add_loop_test, _i = 0..1): on a loop-less
 * runtime and on a runtime attached to a fresh uv loop (sync flush).
 * h_env_close checks the close contract and that the counting allocator is
 * back to zero live bytes.
 *
 * One tcase: CK_RUN_CASE=<tcase> CK_VERBOSITY=normal BUILD/tests/test_effects
 *
 *  tcase / case                      what it checks
 *  --------------------------------  ------------------------------------------------------------
 *  effects:
 *    many_subscribers                5,000 effects on one signal: each runs once per write
 *    writes_in_effects_same_flush    an effect's write is handled by the same flush
 *    batch_and_flush_inside_effect   batch and volt_flush inside an effect: no nested flush
 *    untracked_write_of_dependency   a read value written in volt_untrack: the run goes again
 *  order:
 *    parent_effects_before_children  a parent runs before its children
 *  watchers:
 *    watchers                        volt_watch: once per flush, settled old / now, unwatch
 *    watcher_write_same_flush        a watcher's write starts another round of the flush
 *  eloop:
 *    effect_write_loop_eloop         an effect that always writes: VOLT_ELOOP after 100 rounds
 *    max_rounds_respected            max_rounds = 5: 5 rounds settle, 6 give VOLT_ELOOP
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define ENV_OPEN(e) h_env_open(&(e), _i, NULL)

/* ------------------------------------------------------------------------
 * Effects: fan-out, writes inside effects
 * ------------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------------
 * Flush order
 * ------------------------------------------------------------------------ */

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
 * Watchers
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
  h_wrec ws = {0}, wc = {0}, wt = {0};
  h_lin l = {0};
  undo u = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  ws.n = s;
  w = volt_watch(s, h_wrec_cb, &ws);
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
  c = volt_computed(e.rt, h_lin_fn, &l, NULL);
  wc.n = c;
  w2 = volt_watch(c, h_wrec_cb, &wc);
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
  w3 = volt_watch(t, h_wrec_cb, &wt);
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
  h_eff1 r = {0};
  volt_stats_t s0, s1;

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(0), NULL);
  w.t = volt_signal(e.rt, volt_int(0), NULL);
  r.src = w.t;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
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

/* ------------------------------------------------------------------------
 * The flush cap: VOLT_ELOOP
 * ------------------------------------------------------------------------ */

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

static Suite *effects_suite(void) {
  Suite *s = suite_create("effects");
  TCase *tc;

  tc = h_tcase(s, "effects");
  tcase_add_loop_test(tc, many_subscribers, 0, 2);
  tcase_add_loop_test(tc, writes_in_effects_same_flush, 0, 2);
  tcase_add_loop_test(tc, batch_and_flush_inside_effect, 0, 2);
  tcase_add_loop_test(tc, untracked_write_of_dependency, 0, 2);

  tc = h_tcase(s, "order");
  tcase_add_loop_test(tc, parent_effects_before_children, 0, 2);

  tc = h_tcase(s, "watchers");
  tcase_add_loop_test(tc, watchers, 0, 2);
  tcase_add_loop_test(tc, watcher_write_same_flush, 0, 2);

  tc = h_tcase(s, "eloop");
  tcase_add_loop_test(tc, effect_write_loop_eloop, 0, 2);
  tcase_add_loop_test(tc, max_rounds_respected, 0, 2);
  return s;
}

int main(void) { return h_run(effects_suite()); }
