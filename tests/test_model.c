/* tests/test_model.c - randomized differential test.
 *
 * A naive reference model recomputes every value from scratch, eagerly,
 * after every write. volt runs the same random graph: signals, computeds
 * (sums, minimums, comparisons, and conditionals that pick their
 * dependencies dynamically) and effects and watchers that record what they
 * saw. Random batches of writes (with reverts and equal writes) are applied
 * to both. Checked, for fixed seeds and thousands of batches:
 *
 *  - every value any computed, effect or watcher reads equals the model's
 *    value at that moment (no glitch, ever);
 *  - after each batch, every computed's value equals the model's;
 *  - an effect runs in a flush iff something it read in its previous run
 *    changed value (model before vs after the batch), at most once;
 *  - a watcher is called iff its node's settled value changed, once, with
 *    the right old and new values;
 *  - a computed runs at most once per flush, only when it is observed (by
 *    an effect or watcher, directly or not), and never when none of the
 *    dependencies it read changed since its last run (unless it was left
 *    unobserved in between).
 *
 * Variants: loop-less and loop runtimes (writes in batches), a deferred
 * runtime (writes outside batches, flushed by volt_flush), and a nested mode
 * where every effect re-creates a child effect on each run (the child must
 * be disposed before its parent re-runs and must never run in a flush where
 * its parent re-ran; otherwise it runs iff its input changed).
 *
 * Batches that read computeds in the middle of the batch (volt_peek between
 * writes) check those reads against the model too; for them, an extra
 * effect run or watcher call for a computed value that changed and changed
 * back is tolerated (a known limitation: docs/guide.md, "Reads, rounds and
 * edge cases").
 */
#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 8  /* signals */
#define MC 28 /* computeds */
#define ME 12 /* effects */
#define MW 5  /* watchers */
#define NN (MS + MC)
#define MAXR 3
#define BATCHES 1500
/* Operations per run by default: the suite's 14 runs apply at least 140,000
 * (CI runs them in every build). VOLT_MODEL_OPS=N asks for N per run:
 *   VOLT_MODEL_OPS=100000 meson test -C build model --timeout-multiplier 0
 * applies at least 1,400,000. */
#define MIN_OPS 10000L

enum { OP_SUM2, OP_SUM3, OP_COND, OP_MOD3, OP_MIN, OP_GT, OP_GATE, OP_COUNT };

typedef struct mdef {
  int op;
  int in[3];
  int64_t k;
} mdef;

typedef struct rdset {
  int n;
  int idx[MAXR];
  int64_t val[MAXR];
} rdset;

typedef struct model model;

typedef struct mctx {
  model *m;
  int id;
} mctx;

typedef struct meff {
  int kind; /* 0: a, b; 1: a, then b or c by a's parity; 2: a, b, c */
  int in[3];
  volt_node *n;
  bool live;
  int runs, flush_runs;
  rdset reads, prev;
  mctx ctx;
} meff;

/* A child effect, created by its parent effect on every parent run (nested
 * mode): it reads one node and must die before the parent re-runs. */
typedef struct mkid {
  model *m;
  int parent, in;
  int runs, flush_runs, cleanups;
  bool dead;
  int64_t seen, seen_before;
} mkid;

#define MAXKIDS 60000

typedef struct mwat {
  int node;
  volt_watcher *w;
  int calls, flush_calls;
  int64_t base, old, now;
  mctx ctx;
} mwat;

struct model {
  uint64_t rng;
  volt_rt *rt;
  volt_node *node[NN];
  mdef def[MC];
  int64_t cur[NN];
  uint64_t changed_at[NN];
  uint64_t clock;
  /* computeds */
  mctx cctx[MC];
  rdset creads[MC];
  bool chas[MC];
  uint64_t ceval_clock[MC];
  bool cunobs[MC];
  int cflush_evals[MC];
  bool obs_before[NN], obs_now[NN];
  /* effects and watchers */
  meff eff[ME];
  mwat wat[MW];
  bool in_flush, creating, mid_read_batch;
  uint64_t batch;
  /* results */
  int violations;
  char first[512];
  long evals, effect_runs, watch_calls, mid_reads, spurious_tolerated;
  long ops; /* writes, mid-batch reads and effect replacements applied */
  bool trace;
  bool deferred; /* writes outside a batch on a deferred runtime */
  /* nested mode */
  bool nested;
  mkid *kids;
  int nkids, kid_cap; /* kid_cap: MAXKIDS, or more for long runs */
  int cur_kid[ME], prev_kid[ME];
  long kid_runs;
};

static void viol(model *m, const char *fmt, ...) {
  if (m->violations++ == 0) {
    va_list ap;
    int off = snprintf(m->first, sizeof m->first, "batch %llu: ", (unsigned long long)m->batch);
    va_start(ap, fmt);
    vsnprintf(m->first + off, sizeof m->first - (size_t)off, fmt, ap);
    va_end(ap);
  }
}

static uint64_t rnd(model *m) {
  uint64_t x = m->rng;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  m->rng = x;
  return x;
}
static int rndn(model *m, int n) { return (int)(rnd(m) % (uint64_t)n); }

/* ---- the ops, shared by the model and volt through a reader -------------- */

typedef int64_t (*reader)(void *ctx, int idx);

static int64_t eval_op(const mdef *d, reader rd, void *ctx) {
  int64_t a, b, c;
  switch (d->op) {
  case OP_SUM2:
    a = rd(ctx, d->in[0]);
    b = rd(ctx, d->in[1]);
    return (a + b) % 97;
  case OP_SUM3:
    a = rd(ctx, d->in[0]);
    b = rd(ctx, d->in[1]);
    c = rd(ctx, d->in[2]);
    return (a + b + c) % 97;
  case OP_COND:
    a = rd(ctx, d->in[0]);
    return (a & 1) ? rd(ctx, d->in[1]) : rd(ctx, d->in[2]);
  case OP_MOD3:
    return (rd(ctx, d->in[0]) + d->k) % 3;
  case OP_MIN:
    a = rd(ctx, d->in[0]);
    b = rd(ctx, d->in[1]);
    return a < b ? a : b;
  case OP_GT:
    a = rd(ctx, d->in[0]);
    b = rd(ctx, d->in[1]);
    return a > b ? 1 : 0;
  default: /* OP_GATE */
    a = rd(ctx, d->in[0]);
    if (a == 0) return d->k;
    b = rd(ctx, d->in[1]);
    c = rd(ctx, d->in[2]);
    return (2 * b + c) % 97;
  }
}

static int64_t eff_body(const meff *e, reader rd, void *ctx) {
  int64_t a = rd(ctx, e->in[0]);
  switch (e->kind) {
  case 0:
    return a + rd(ctx, e->in[1]);
  case 1:
    return (a & 1) ? rd(ctx, e->in[1]) : rd(ctx, e->in[2]);
  default:
    return a + rd(ctx, e->in[1]) + rd(ctx, e->in[2]);
  }
}

/* ---- the model --------------------------------------------------------------- */

static int64_t model_read(void *ctx, int idx) { return ((const int64_t *)ctx)[idx]; }

/* Recomputes every computed from scratch; stamps what changed. */
static void model_recompute(model *m) {
  for (int j = 0; j < MC; j++) {
    int64_t v = eval_op(&m->def[j], model_read, m->cur);
    if (v != m->cur[MS + j]) {
      m->cur[MS + j] = v;
      m->changed_at[MS + j] = m->clock;
    }
  }
}

static void model_write(model *m, int s, int64_t v) {
  m->clock++;
  if (m->cur[s] != v) {
    m->cur[s] = v;
    m->changed_at[s] = m->clock;
  }
  model_recompute(m);
}

/* Which nodes are observed, from the reads volt actually recorded. */
static void observe(model *m, bool *obs) {
  memset(obs, 0, sizeof(bool) * NN);
  for (int i = 0; i < ME; i++)
    if (m->eff[i].live)
      for (int r = 0; r < m->eff[i].reads.n; r++) obs[m->eff[i].reads.idx[r]] = true;
  for (int i = 0; i < MW; i++)
    if (m->wat[i].w) obs[m->wat[i].node] = true;
  if (m->nested)
    for (int i = 0; i < ME; i++)
      if (m->eff[i].live && m->cur_kid[i] >= 0) obs[m->kids[m->cur_kid[i]].in] = true;
  for (int j = MC - 1; j >= 0; j--)
    if (obs[MS + j])
      for (int r = 0; r < m->creads[j].n; r++) obs[m->creads[j].idx[r]] = true;
  for (int j = 0; j < MC; j++)
    if (!obs[MS + j]) m->cunobs[j] = true;
}

/* ---- the volt side -------------------------------------------------------------- */

typedef struct vreader {
  model *m;
  rdset *rs;
  const char *who;
  int id;
} vreader;

static int64_t volt_read(void *ctx, int idx) {
  vreader *r = ctx;
  model *m = r->m;
  volt_val v = volt_get(m->node[idx]);
  int64_t x = -999;
  if (volt_tag(v) != VOLT_INT)
    viol(m, "%s %d read node %d: tag %d err %d (%s)", r->who, r->id, idx, (int)volt_tag(v),
         volt_err_code(v), volt_err_msg(v));
  else
    x = volt_as_int(v);
  if (x != m->cur[idx])
    viol(m, "glitch: %s %d read node %d = %lld, model says %lld", r->who, r->id, idx,
         (long long)x, (long long)m->cur[idx]);
  if (r->rs->n < MAXR) {
    r->rs->idx[r->rs->n] = idx;
    r->rs->val[r->rs->n] = x;
    r->rs->n++;
  }
  return x;
}

/* The computed's last subscriber left: it dropped its dependencies and is
 * evaluated again when read, even if nothing changed. */
static void comp_unwatched(volt_node *n, void *ud) {
  (void)n;
  mctx *c = ud;
  c->m->cunobs[c->id] = true;
}

static volt_val comp_fn(void *ud) {
  mctx *c = ud;
  model *m = c->m;
  int j = c->id;
  rdset rs = {0};
  vreader r = {m, &rs, "computed", j};
  int64_t v;

  m->evals++;
  if (m->in_flush) {
    m->cflush_evals[j]++;
    if (m->cflush_evals[j] > 1) viol(m, "computed %d ran %d times in one flush", j, m->cflush_evals[j]);
  }
  if (m->chas[j] && !m->cunobs[j]) {
    bool legit = false;
    for (int i = 0; i < m->creads[j].n; i++)
      if (m->changed_at[m->creads[j].idx[i]] > m->ceval_clock[j]) legit = true;
    if (!legit) viol(m, "computed %d recomputed though none of its dependencies changed", j);
  }
  v = eval_op(&m->def[j], volt_read, &r);
  m->creads[j] = rs;
  m->chas[j] = true;
  m->cunobs[j] = false;
  m->ceval_clock[j] = m->clock;
  if (v != m->cur[MS + j])
    viol(m, "computed %d produced %lld, model %lld", j, (long long)v, (long long)m->cur[MS + j]);
  return volt_int(v);
}

static void kid_cleanup(void *ud) { ((mkid *)ud)->cleanups++; }

static void kid_fn(void *ud) {
  mkid *k = ud;
  model *m = k->m;
  rdset rs = {0};
  vreader r = {m, &rs, "child of effect", k->parent};
  if (k->dead) viol(m, "a disposed child of effect %d ran", k->parent);
  if (!m->in_flush && !m->creating) viol(m, "a child of effect %d ran outside a flush", k->parent);
  k->runs++;
  m->kid_runs++;
  if (m->in_flush) k->flush_runs++;
  k->seen = volt_read(&r, k->in);
  if (volt_on_cleanup(m->rt, kid_cleanup, k) != 0) viol(m, "volt_on_cleanup failed");
}

/* The parent's old child must be gone (its last cleanup ran) by now. */
static void kid_retire(model *m, int i, const char *when) {
  if (m->cur_kid[i] >= 0) {
    mkid *k = &m->kids[m->cur_kid[i]];
    if (k->cleanups != k->runs)
      viol(m, "child of effect %d not disposed %s (%d runs, %d cleanups)", i, when, k->runs,
           k->cleanups);
    k->dead = true;
    m->cur_kid[i] = -1;
  }
}

static void kid_spawn(model *m, int i) {
  mkid *k;
  if (m->nkids >= m->kid_cap) return;
  k = &m->kids[m->nkids];
  memset(k, 0, sizeof *k);
  k->m = m;
  k->parent = i;
  k->in = (i * 7 + m->eff[i].runs * 13 + 5) % NN;
  m->cur_kid[i] = m->nkids++;
  if (!volt_effect(m->rt, kid_fn, k)) viol(m, "volt_effect (child) failed");
  if (k->runs != 1) viol(m, "child of effect %d ran %d times at creation", i, k->runs);
}

static void eff_fn(void *ud) {
  mctx *c = ud;
  model *m = c->m;
  meff *e = &m->eff[c->id];
  rdset rs = {0};
  vreader r = {m, &rs, "effect", c->id};

  if (!e->live) viol(m, "effect %d ran after dispose", c->id);
  if (m->trace) fprintf(stderr, "#   effect %d runs\n", c->id);
  if (!m->in_flush && !m->creating) viol(m, "effect %d ran outside a flush", c->id);
  e->runs++;
  m->effect_runs++;
  if (m->in_flush) e->flush_runs++;
  if (m->nested) kid_retire(m, c->id, "before its parent re-ran");
  (void)eff_body(e, volt_read, &r);
  e->reads = rs;
  if (m->nested) kid_spawn(m, c->id);
}

static void wat_fn(volt_node *n, volt_val old, volt_val now, void *ud) {
  mctx *c = ud;
  model *m = c->m;
  mwat *w = &m->wat[c->id];
  if (n != m->node[w->node]) viol(m, "watcher %d got the wrong node", c->id);
  if (!m->in_flush) viol(m, "watcher %d called outside a flush", c->id);
  w->calls++;
  w->flush_calls++;
  m->watch_calls++;
  w->old = volt_as_int(old);
  w->now = volt_as_int(now);
  if (volt_tag(now) != VOLT_INT || w->now != m->cur[w->node])
    viol(m, "watcher %d (node %d) told now=%lld, model %lld", c->id, w->node, (long long)w->now,
         (long long)m->cur[w->node]);
}

static int pick_input(model *m, int below) {
  /* favour recent nodes, for depth */
  if (below > 6 && rndn(m, 2) == 0) return below - 1 - rndn(m, 6);
  return rndn(m, below);
}

static void make_effect(model *m, int i) {
  meff *e = &m->eff[i];
  memset(e, 0, sizeof *e);
  e->kind = rndn(m, 3);
  for (int k = 0; k < 3; k++) e->in[k] = rndn(m, 3) ? MS + rndn(m, MC) : rndn(m, MS);
  e->ctx.m = m;
  e->ctx.id = i;
  e->live = true;
  m->creating = true;
  e->n = volt_effect(m->rt, eff_fn, &e->ctx);
  m->creating = false;
  if (!e->n) viol(m, "volt_effect failed");
  if (e->runs != 1) viol(m, "effect %d ran %d times at creation", i, e->runs);
}

static void build(model *m) {
  for (int s = 0; s < MS; s++) {
    m->cur[s] = rndn(m, 5);
    m->node[s] = volt_signal(m->rt, volt_int(m->cur[s]), NULL);
    ck_assert_ptr_nonnull(m->node[s]);
  }
  for (int j = 0; j < MC; j++) {
    mdef *d = &m->def[j];
    int below = MS + j;
    d->op = rndn(m, OP_COUNT);
    for (int k = 0; k < 3; k++) d->in[k] = pick_input(m, below);
    d->k = rndn(m, 5);
    m->cctx[j].m = m;
    m->cctx[j].id = j;
    volt_opts o;
    memset(&o, 0, sizeof o);
    o.unwatched = comp_unwatched; /* peer semantics: dropped, evaluated again */
    o.ud = &m->cctx[j];
    m->node[MS + j] = volt_computed(m->rt, comp_fn, &m->cctx[j], &o);
    ck_assert_ptr_nonnull(m->node[MS + j]);
  }
  for (int j = 0; j < MC; j++) m->cur[MS + j] = -1;
  model_recompute(m);
  ck_assert_int_eq(m->evals, 0); /* lazy: nothing ran yet */
  for (int i = 0; i < ME; i++) make_effect(m, i);
  for (int i = 0; i < MW; i++) {
    mwat *w = &m->wat[i];
    w->node = rndn(m, 4) ? MS + rndn(m, MC) : rndn(m, MS);
    w->ctx.m = m;
    w->ctx.id = i;
    w->base = m->cur[w->node];
    w->w = volt_watch(m->node[w->node], wat_fn, &w->ctx);
    ck_assert_ptr_nonnull(w->w);
  }
  observe(m, m->obs_now);
}

static void one_batch(model *m, bool peek_all) {
  int64_t before[NN];
  int written[4], nw = 0;
  int writes = 1 + rndn(m, 4);
  bool strict;
  uint64_t clock0;
  int rc;

  m->batch++;
  /* churn, outside the batch: replace an effect now and then */
  if (rndn(m, 16) == 0) {
    int i = rndn(m, ME);
    if (m->trace) fprintf(stderr, "# churn effect %d\n", i);
    m->eff[i].live = false;
    m->ops++;
    volt_dispose(m->eff[i].n);
    if (m->nested) kid_retire(m, i, "with its parent");
    m->eff[i].n = NULL;
    m->eff[i].reads.n = 0;
    observe(m, m->obs_now);
    make_effect(m, i);
    observe(m, m->obs_now);
  }
  memcpy(m->obs_before, m->obs_now, sizeof m->obs_before);
  memcpy(before, m->cur, sizeof before);
  clock0 = m->clock;
  m->mid_read_batch = false;

  if (!m->deferred) ck_assert_int_eq(volt_batch_begin(m->rt), 0);
  for (int w = 0; w < writes; w++) {
    int s;
    int64_t v;
    if (nw > 0 && rndn(m, 3) == 0) { /* revert an earlier write */
      s = written[rndn(m, nw)];
      v = before[s];
    } else {
      s = rndn(m, MS);
      v = rndn(m, 5);
      written[nw++] = s;
    }
    model_write(m, s, v);
    if (m->trace) fprintf(stderr, "# batch %llu: set s%d = %lld\n", (unsigned long long)m->batch, s, (long long)v);
    ck_assert_int_eq(volt_set(m->node[s], volt_int(v)), 0);
    m->ops++;
    if (rndn(m, 12) == 0) { /* read a computed in the middle of the batch */
      int j = rndn(m, MC);
      volt_val x = volt_peek(m->node[MS + j]);
      m->mid_read_batch = true;
      m->ops++;
      m->mid_reads++;
      if (volt_tag(x) != VOLT_INT || volt_as_int(x) != m->cur[MS + j])
        viol(m, "mid-batch read of computed %d = %lld, model %lld", j, (long long)volt_as_int(x),
             (long long)m->cur[MS + j]);
    }
  }
  for (int i = 0; i < ME; i++) {
    m->eff[i].prev = m->eff[i].reads;
    m->eff[i].flush_runs = 0;
    m->prev_kid[i] = m->cur_kid[i];
    if (m->nested && m->cur_kid[i] >= 0) {
      m->kids[m->cur_kid[i]].flush_runs = 0;
      m->kids[m->cur_kid[i]].seen_before = m->kids[m->cur_kid[i]].seen;
    }
  }
  for (int i = 0; i < MW; i++) m->wat[i].flush_calls = 0;
  memset(m->cflush_evals, 0, sizeof m->cflush_evals);
  m->in_flush = true;
  /* deferred: the writes were made outside any batch; flush by hand as the
   * loop's prepare handle would */
  rc = m->deferred ? volt_flush(m->rt) : volt_batch_end(m->rt);
  m->in_flush = false;
  if (rc != 0) viol(m, "the flush returned %d", rc);
  strict = !m->mid_read_batch;

  /* effects: ran iff an input changed */
  for (int i = 0; i < ME; i++) {
    meff *e = &m->eff[i];
    bool must = false;
    if (!e->live) continue;
    for (int r = 0; r < e->prev.n; r++)
      if (m->cur[e->prev.idx[r]] != e->prev.val[r]) must = true;
    if (e->flush_runs > 1) viol(m, "effect %d ran %d times in one flush", i, e->flush_runs);
    if (must && e->flush_runs == 0) {
      char det[200];
      size_t o = 0;
      det[0] = '\0';
      for (int r = 0; r < e->prev.n && o < sizeof det - 40; r++)
        o += (size_t)snprintf(det + o, sizeof det - o, " node %d saw %lld now %lld;",
                              e->prev.idx[r], (long long)e->prev.val[r],
                              (long long)m->cur[e->prev.idx[r]]);
      viol(m, "effect %d (kind %d) missed a change of its inputs:%s%s", i, e->kind, det,
           strict ? "" : " (mid-batch reads)");
    }
    if (!must && e->flush_runs > 0) {
      /* tolerated only after mid-batch reads, for an input that moved
       * during the batch and came back */
      bool moved = false;
      for (int r = 0; r < e->prev.n; r++)
        if (m->changed_at[e->prev.idx[r]] > clock0) moved = true;
      if (strict || !moved)
        viol(m, "effect %d ran though none of its inputs changed", i);
      else
        m->spurious_tolerated++;
    }
  }
  /* children: parents first; a child runs iff its input changed */
  for (int i = 0; m->nested && i < ME; i++) {
    meff *e = &m->eff[i];
    mkid *old = m->prev_kid[i] >= 0 ? &m->kids[m->prev_kid[i]] : NULL;
    if (!e->live) continue;
    if (e->flush_runs > 0) {
      if (old && old->flush_runs > 0)
        viol(m, "child of effect %d ran in a flush where its parent re-ran", i);
      if (m->cur_kid[i] >= 0 && m->kids[m->cur_kid[i]].flush_runs != 1)
        viol(m, "new child of effect %d ran %d times", i, m->kids[m->cur_kid[i]].flush_runs);
    } else if (old) {
      bool must = m->cur[old->in] != old->seen_before;
      if (old->flush_runs > 1) viol(m, "child of effect %d ran %d times", i, old->flush_runs);
      if (must && old->flush_runs == 0) viol(m, "child of effect %d missed a change", i);
      if (!must && old->flush_runs > 0) {
        if (strict || m->changed_at[old->in] <= clock0)
          viol(m, "child of effect %d ran though its input did not change", i);
        else
          m->spurious_tolerated++;
      }
    }
  }
  /* watchers: called iff the settled value changed */
  for (int i = 0; i < MW; i++) {
    mwat *w = &m->wat[i];
    bool changed = m->cur[w->node] != w->base;
    if (w->flush_calls > 1) viol(m, "watcher %d called %d times in one flush", i, w->flush_calls);
    if (changed && w->flush_calls == 0) viol(m, "watcher %d missed a change", i);
    if (!changed && w->flush_calls > 0) {
      if (strict || w->old == w->now || m->changed_at[w->node] <= clock0)
        viol(m, "watcher %d called though its value did not change", i);
      else
        m->spurious_tolerated++;
    }
    if (w->flush_calls > 0 && strict && w->old != w->base)
      viol(m, "watcher %d told old=%lld, it was %lld", i, (long long)w->old, (long long)w->base);
    w->base = m->cur[w->node];
  }
  /* laziness: only observed computeds ran in the flush */
  observe(m, m->obs_now);
  for (int j = 0; j < MC; j++)
    if (m->cflush_evals[j] && !m->obs_before[MS + j] && !m->obs_now[MS + j])
      viol(m, "unobserved computed %d ran in a flush", j);
  /* values */
  for (int j = 0; j < MC; j++) {
    if (peek_all || rndn(m, 4) == 0) {
      volt_val x = volt_peek(m->node[MS + j]);
      if (volt_tag(x) != VOLT_INT || volt_as_int(x) != m->cur[MS + j])
        viol(m, "computed %d is %lld after the batch, model %lld", j, (long long)volt_as_int(x),
             (long long)m->cur[MS + j]);
    }
  }
  for (int s = 0; s < MS; s++)
    if (volt_as_int(volt_peek(m->node[s])) != m->cur[s]) viol(m, "signal %d differs", s);
}

static const uint64_t seeds[] = {0x9e3779b97f4a7c15ull, 0x1234567ull, 0xdeadbeefcafeull,
                                 0x5eed5eed5eedull};

static void run_model(int run, uint64_t seed, bool peek_all, int mode, bool nested) {
  h_env e;
  model *m = calloc(1, sizeof *m);

  ck_assert_ptr_nonnull(m);
  /* At least BATCHES batches, and at least the operation count asked for
   * (VOLT_MODEL_OPS per run; MIN_OPS by default). */
  long want = MIN_OPS;
  const char *env = getenv("VOLT_MODEL_OPS");
  if (env && atol(env) > 0 && atol(env) < 100000000L) want = atol(env);
  m->rng = seed;
  m->trace = getenv("VOLT_TEST_TRACE") != NULL;
  m->nested = nested;
  for (int i = 0; i < ME; i++) m->cur_kid[i] = m->prev_kid[i] = -1;
  if (nested) {
    m->kid_cap = want * 3 > MAXKIDS ? (int)(want * 3) : MAXKIDS; /* a child per run or so */
    m->kids = calloc((size_t)m->kid_cap, sizeof *m->kids);
    ck_assert_ptr_nonnull(m->kids);
  }
  h_env_open(&e, mode, NULL);
  m->deferred = mode == H_DEFERRED;
  m->rt = e.rt;
  build(m);
  ck_assert_msg(m->violations == 0, "run %d: %s", run, m->first);
  for (int b = 0; b < BATCHES || m->ops < want; b++) {
    one_batch(m, peek_all || b % 64 == 63);
    ck_assert_msg(m->violations == 0, "run %d: %d violations, first: %s", run, m->violations,
                  m->first);
  }
  /* the run exercised what it claims to */
  ck_assert_int_gt(m->effect_runs, BATCHES / 4);
  ck_assert_int_gt(m->watch_calls, BATCHES / 20);
  ck_assert_int_gt(m->mid_reads, 10);
  ck_assert_int_gt(m->evals, BATCHES);
  if (nested) {
    ck_assert_int_gt(m->kid_runs, BATCHES / 4);
    ck_assert_int_lt(m->nkids, m->kid_cap);
  }
  if (getenv("VOLT_TEST_VERBOSE"))
    fprintf(stderr, "# run %d%s: %ld evals, %ld effect runs, %ld child runs, %ld watcher calls, "
                    "%ld mid reads, %ld tolerated, %ld ops\n", run, nested ? " (nested)" : "", m->evals,
            m->effect_runs, m->kid_runs, m->watch_calls, m->mid_reads, m->spurious_tolerated,
            m->ops);
  for (int i = 0; i < MW; i++) ck_assert_int_eq(volt_unwatch(m->wat[i].w), 0);
  h_env_close(&e);
  /* every child that ever lived was cleaned up exactly once per run */
  for (int i = 0; i < m->nkids; i++)
    ck_assert_msg(m->kids[i].cleanups == m->kids[i].runs, "child %d: %d runs, %d cleanups", i,
                  m->kids[i].runs, m->kids[i].cleanups);
  free(m->kids);
  free(m);
}

/* _i: seed (0..3), peek all or a quarter (_i < 4), loop-less or loop (odd) */
START_TEST(model_random_graphs) {
  run_model(_i, seeds[_i % 4], _i < 4, _i % 2 ? H_LOOP : H_LOOPLESS, false);
}
END_TEST

/* the same with every effect owning a child effect it re-creates per run */
START_TEST(model_random_graphs_nested) {
  run_model(_i, seeds[_i % 4] ^ 0xabcdefull, _i < 2, _i % 2 ? H_LOOP : H_LOOPLESS, true);
}
END_TEST

/* on a deferred runtime: writes outside any batch, flushed by volt_flush */
START_TEST(model_random_graphs_deferred) {
  run_model(_i, seeds[(_i + 2) % 4] ^ 0x5555ull, _i == 0, H_DEFERRED, _i == 1);
}
END_TEST

static Suite *model_suite(void) {
  Suite *s = suite_create("model");
  TCase *tc = h_tcase(s, "differential");
  tcase_set_timeout(tc, 600);
  tcase_add_loop_test(tc, model_random_graphs, 0, 8);
  tcase_add_loop_test(tc, model_random_graphs_nested, 0, 4);
  tcase_add_loop_test(tc, model_random_graphs_deferred, 0, 2);
  return s;
}

int main(void) { return h_run(model_suite()); }
