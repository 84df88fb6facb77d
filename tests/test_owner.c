/* tests/test_owner.c - ownership: scopes, owners and their children,
 * cleanups, disposal (also during a flush or a read) (include/volt/
 * graph.h), through the public API only.
 *
 * Most tests run twice (tcase_add_loop_test, _i = 0..1): on a loop-less
 * runtime and on a runtime attached to a fresh uv loop (sync flush).
 * h_env_close checks the close contract and that the counting allocator is
 * back to zero live bytes.
 *
 * One tcase: CK_RUN_CASE=<tcase> CK_VERBOSITY=normal BUILD/tests/test_owner
 *
 *  tcase / case                                what it checks
 *  ------------------------------------------  --------------------------------------------------
 *  ownership:
 *    nested_effects_disposed_on_rerun          children go (newest first) before the owner re-runs
 *    computed_owns_children_and_cleanups       a computed owns what its fn makes and cleanups
 *    owner_with_children_on_some_runs          children or cleanups on some runs only
 *    scope_disposes_subtree                    volt_scope owns its subtree; a scope in an effect
 *    scope_reads_count_where_it_was_made       in an effect a scope's reads re-run it; at top
 *                                              level or in volt_untrack they make no edge
 *  cleanups:
 *    cleanup_order                             cleanups LIFO at re-run and dispose; root at close
 *    cleanups_untracked_and_unowned            cleanups read untracked and create unowned
 *  dispose:
 *    dispose_other_during_flush                an effect disposes another queued one
 *    dispose_running_effect                    an effect disposes itself while it runs
 *    dispose_scope_during_flush                an effect disposes a scope with a queued effect
 *    dispose_does_not_notify                   disposing a node notifies no subscriber
 *    untracked_dispose_of_dependency           a run disposes its dependency in volt_untrack
 *    dispose_next_dependency_in_run            a run disposes the last run's next dependency
 *    computed_disposes_itself                  a computed disposes itself while evaluating
 *    next_dependency_disposes_reader           reading a disposes the running reader
 *    dependency_disposes_reader_being_checked  checking a dependency disposes the reader
 */
#include "harness.h"

#include <string.h>

#define ENV_OPEN(e) h_env_open(&(e), _i, NULL)

/* ------------------------------------------------------------------------
 * Owners and their children
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

typedef struct scp {
  volt_node *outer, *inner, *ci;
  h_lin l;
  h_eff1 r;
  h_log lg;
  int effect_cleanups;
} scp;

static void scp_push1(void *ud) { h_log_push(&((scp *)ud)->lg, 1); }
static void scp_push2(void *ud) { h_log_push(&((scp *)ud)->lg, 2); }
static void scp_push60(void *ud) { h_log_push(&((scp *)ud)->lg, 60); }
static void scp_push50(void *ud) { h_log_push(&((scp *)ud)->lg, 50); }
static void scp_eff(void *ud) {
  scp *p = ud;
  h_eff1_fn(&p->r);
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
  p->ci = volt_computed(rt, h_lin_fn, &p->l, NULL);
  p->r.src = p->ci;
  (void)volt_effect(rt, scp_eff, p);
  (void)volt_scope(rt, scp_nested, p);
  ck_assert_int_eq(volt_on_cleanup(rt, scp_push2, p), 0);
}

/* a scope made inside an effect: owned by the effect, which depends on what
 * the scope's body reads (through the scope) */
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
  ck_assert_int_eq(q.runs, 2);
  ck_assert_int_eq(q.cleanups, 1); /* old scope disposed with the re-run */
  ck_assert_int_eq(q.scope_runs, 2);
  ck_assert_int_eq(volt_set(q.b, volt_int(1)), 0); /* the same value: nothing */
  ck_assert_int_eq(q.runs, 2);
  ck_assert_int_eq(volt_set(q.a, volt_int(1)), 0);
  ck_assert_int_eq(q.runs, 3);
  ck_assert_int_eq(q.cleanups, 2);
  ck_assert_int_eq(q.scope_runs, 3);
  volt_dispose(NULL); /* nothing */
  h_env_close(&e);
  ck_assert_int_eq(q.cleanups, 3);
}
END_TEST

/* Where a scope's reads count: made in an effect, they are the effect's
 * (through the scope); made at top level or inside volt_untrack, they make
 * no edge and re-run nothing. */
typedef struct sct {
  volt_rt *rt;
  volt_node *a;
  int runs, body_runs;
  bool untracked;
} sct;

static void sct_body(void *ud) {
  sct *p = ud;
  p->body_runs++;
  (void)volt_get(p->a);
}
static void sct_make(void *ud) {
  sct *p = ud;
  ck_assert_ptr_nonnull(volt_scope(p->rt, sct_body, p));
}
static void sct_eff(void *ud) {
  sct *p = ud;
  p->runs++;
  if (p->untracked)
    volt_untrack(p->rt, sct_make, p);
  else
    sct_make(p);
}

START_TEST(scope_reads_count_where_it_was_made) {
  h_env e;
  ENV_OPEN(e);
  sct p = {e.rt, NULL, 0, 0, _i == 1};
  p.a = volt_signal(e.rt, volt_int(0), NULL);
  size_t edges0 = h_stats(e.rt).edges;
  if (_i == 2) {
    /* top level: untracked, no edge */
    volt_node *sc = volt_scope(e.rt, sct_body, &p);
    ck_assert_ptr_nonnull(sc);
    ck_assert_uint_eq(h_stats(e.rt).edges, edges0);
    ck_assert_int_eq(volt_set(p.a, volt_int(1)), 0);
    ck_assert_int_eq(p.body_runs, 1);
    volt_dispose(sc);
  } else {
    ck_assert_ptr_nonnull(volt_effect(e.rt, sct_eff, &p));
    ck_assert_int_eq(p.runs, 1);
    /* tracked: a -> scope -> effect; untracked: none */
    ck_assert_uint_eq(h_stats(e.rt).edges, edges0 + (_i == 0 ? 2 : 0));
    ck_assert_int_eq(volt_set(p.a, volt_int(1)), 0);
    ck_assert_int_eq(p.runs, _i == 0 ? 2 : 1);
    ck_assert_int_eq(p.body_runs, _i == 0 ? 2 : 1);
    ck_assert_int_eq(volt_set(p.a, volt_int(1)), 0); /* the same value */
    ck_assert_int_eq(p.runs, _i == 0 ? 2 : 1);
    /* the old scope went with the re-run: still one scope, two edges */
    ck_assert_uint_eq(h_stats(e.rt).edges, edges0 + (_i == 0 ? 2 : 0));
  }
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Cleanups
 * ------------------------------------------------------------------------ */

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

/* ------------------------------------------------------------------------
 * Disposal during a flush, a run or a read
 * ------------------------------------------------------------------------ */

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
  h_eff1 other;
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
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &d.other));
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

/* Disposing a node does not notify its subscribers (guide §17.13). */
START_TEST(dispose_does_not_notify) {
  h_env e;
  volt_node *s, *t;
  h_eff1 r = {0}, q = {0};
  h_wrec w = {0};

  ENV_OPEN(e);
  s = volt_signal(e.rt, volt_int(1), NULL);
  t = volt_signal(e.rt, volt_int(2), NULL);
  r.src = s;
  q.src = t;
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &r));
  ck_assert_ptr_nonnull(volt_effect(e.rt, h_eff1_fn, &q));
  ck_assert_ptr_nonnull(volt_watch(t, h_wrec_cb, &w));
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

/* Disposal in the middle of a read (h_dr in harness.h): signals src = 1 and
 * b = 5; `a`, a computed of src, disposes a node when src becomes 2;
 * `reader` reads a and b. */

/* a: disposes the reader when src is 2. */
static volt_val dr_a_disposes_reader(void *ud) {
  h_dr *d = ud;
  int64_t v = h_int(volt_get(d->src));
  if (v == 2) volt_dispose(d->reader);
  return volt_int(v * 10);
}

static volt_val dr_reader_a_first(void *ud) {
  h_dr *d = ud;
  d->reader_runs++;
  int64_t a = h_int(volt_get(d->a));
  return volt_int(a + h_int(volt_get(d->b)));
}

static volt_val dr_sum(void *ud) {
  h_dr *d = ud;
  return volt_int(h_int(volt_get(d->a)) + h_int(volt_get(d->b)));
}

/* Reading a disposes the running reader: the reader's run ends the slow
 * way and nothing is recorded for it; the rest of the graph works on. */
START_TEST(next_dependency_disposes_reader) {
  h_env e;
  h_dr d = {0};
  volt_stats_t st;
  volt_node *other;
  ENV_OPEN(e);
  h_dr_build(&e, &d, dr_a_disposes_reader, h_dr_reader_b_first);
  h_dr_write_both_and_read(&e, &d);
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

/* Checking the reader's dependencies on the way to reading it (the reader
 * is not running yet) evaluates a, which disposes the reader: the disposed
 * reader is not evaluated afterwards. */
START_TEST(dependency_disposes_reader_being_checked) {
  h_env e;
  h_dr d = {0};
  volt_stats_t st;
  ENV_OPEN(e);
  h_dr_build(&e, &d, dr_a_disposes_reader, dr_reader_a_first);
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

static Suite *owner_suite(void) {
  Suite *s = suite_create("owner");
  TCase *tc;

  tc = h_tcase(s, "ownership");
  tcase_add_loop_test(tc, nested_effects_disposed_on_rerun, 0, 2);
  tcase_add_loop_test(tc, computed_owns_children_and_cleanups, 0, 2);
  tcase_add_loop_test(tc, owner_with_children_on_some_runs, 0, 2);
  tcase_add_loop_test(tc, scope_disposes_subtree, 0, 2);
  tcase_add_loop_test(tc, scope_reads_count_where_it_was_made, 0, 3);

  tc = h_tcase(s, "cleanups");
  tcase_add_loop_test(tc, cleanup_order, 0, 2);
  tcase_add_loop_test(tc, cleanups_untracked_and_unowned, 0, 2);

  tc = h_tcase(s, "dispose");
  tcase_add_loop_test(tc, dispose_other_during_flush, 0, 2);
  tcase_add_loop_test(tc, dispose_running_effect, 0, 2);
  tcase_add_loop_test(tc, dispose_scope_during_flush, 0, 2);
  tcase_add_loop_test(tc, dispose_does_not_notify, 0, 2);
  tcase_add_loop_test(tc, untracked_dispose_of_dependency, 0, 2);
  tcase_add_loop_test(tc, dispose_next_dependency_in_run, 0, 2);
  tcase_add_loop_test(tc, computed_disposes_itself, 0, 2);
  tcase_add_loop_test(tc, next_dependency_disposes_reader, 0, 2);
  tcase_add_loop_test(tc, dependency_disposes_reader_being_checked, 0, 2);
  return s;
}

int main(void) { return h_run(owner_suite()); }
