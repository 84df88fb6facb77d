/* bench/dynamic.c - the dynamic ("reactively") graph cases of SPEC.md.
 *
 * `width` source signals, then layers-1 rows of `width` computeds; node i of
 * a row reads nSources nodes of the row before. Static nodes sum their
 * sources; dynamic ones read the first source f and, when ToInt32(f) is odd,
 * skip source 1 + (f mod (n-1)) (JS `%` on doubles is fmod). Values are
 * doubles. The random draws use sfc32 seeded by xmur3a("seed"), exactly as
 * run.mjs does, so the graphs are the same node for node.
 *
 * With --short the iterations are cut and the expected sum and count are
 * computed by a naive evaluation of the same graph (naive_run below), which
 * at full size reproduces SPEC.md's table (volt_bench --naive-selftest).
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JS number semantics ---------------------------------------------------- */

/* ECMAScript ToInt32. */
static int32_t to_int32(double x) {
  if (!isfinite(x)) return 0;
  double t = trunc(x);
  double m = fmod(t, 4294967296.0);
  if (m < 0) m += 4294967296.0;
  uint32_t u = (uint32_t)m;
  return (int32_t)u;
}

/* JS `x % m` for a positive integer m: fmod, with an exact integer fast
 * path (glibc's fmod loops bit by bit when x is large). Both give the same
 * value; a zero result may differ only in its sign, which no comparison
 * here can see (-0 == 0). */
static double js_mod_int(double x, int m) {
  if (x > -9007199254740992.0 && x < 9007199254740992.0) {
    int64_t i = (int64_t)x;
    if ((double)i == x) return (double)(i % m);
  }
  return fmod(x, (double)m);
}

/* Math.round: the nearest integer, halves toward +infinity. */
static double js_round(double x) {
  double f = floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/* ---- generators (public domain: xmur3a hash, sfc32) --------------------------- */

typedef struct sfc32 {
  uint32_t a, b, c, d;
} sfc32;

static double sfc32_next(sfc32 *r) {
  uint32_t t = r->a + r->b;
  r->a = r->b ^ (r->b >> 9);
  r->b = r->c + (r->c << 3);
  r->c = (r->c << 21) | (r->c >> 11);
  r->d = r->d + 1;
  t = t + r->d;
  r->c = r->c + t;
  return (double)t / 4294967296.0;
}

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

static sfc32 rng(void) {
  const char *str = "seed";
  size_t len = strlen(str);
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) {
    uint32_t k = (uint32_t)(unsigned char)str[i] * 3432918353u;
    k = rotl32(k, 15);
    h ^= k * 461845907u;
    h = rotl32(h, 13);
    h = h * 5u + 3864292196u;
  }
  h ^= (uint32_t)len;
  uint32_t seeds[4];
  for (int i = 0; i < 4; i++) {
    h ^= h >> 16;
    h *= 2246822507u;
    h ^= h >> 13;
    h *= 3266489909u;
    h ^= h >> 16;
    seeds[i] = h;
  }
  sfc32 r = {seeds[0], seeds[1], seeds[2], seeds[3]};
  return r;
}

/* ---- the cases ------------------------------------------------------------------ */

typedef struct dyn_case {
  int w, L;
  double sf;
  int n;
  double rf;
  int it;
  double sum;
  double count;
} dyn_case;

static const dyn_case dyn_cases[] = {
    {10, 5, 1, 2, 0.2, 600000, 19199968, 3480000},
    {10, 10, 3.0 / 4, 6, 0.2, 15000, 302310782860, 1155000},
    {1000, 12, 0.95, 4, 1, 7000, 29355933696000, 1463000},
    {1000, 5, 1, 25, 1, 3000, 1171484375000, 732000},
    {5, 500, 1, 3, 1, 500, 3.0239642676898464e241, 1246500},
    {100, 15, 0.5, 6, 1, 2000, 15664996402790400, 1078000},
};

/* run.mjs's dynTitle. */
static void dyn_title(const dyn_case *c, char *buf, size_t size) {
  int off = snprintf(buf, size, "%d-%dx%d", c->n, c->w, c->L);
  if (c->sf < 1) off += snprintf(buf + off, size - (size_t)off, " - dyn%d%%", (int)js_round((1 - c->sf) * 100));
  if (c->rf < 1) snprintf(buf + off, size - (size_t)off, " - lazy%d%%", (int)js_round((1 - c->rf) * 100));
}

/* The shape of one graph, independent of the library: for each computed
 * its sources (indices into the node list: sources first, then the rows in
 * order) and whether it is static; then the kept leaves. */
typedef struct shape {
  int w, rows, n, total; /* total = w * (1 + rows) */
  unsigned char *is_static; /* per node index (sources: unused) */
  int *srcs;                /* per computed: n indices, at srcs[(idx - w) * n] */
  int *leaves;
  int nleaves;
} shape;

static void shape_build(const dyn_case *c, shape *s) {
  s->w = c->w;
  s->rows = c->L - 1;
  s->n = c->n;
  s->total = c->w * c->L;
  s->is_static = calloc((size_t)s->total, 1);
  s->srcs = malloc(sizeof(int) * (size_t)(s->total - s->w) * (size_t)s->n + 1);
  s->leaves = malloc(sizeof(int) * (size_t)c->w);
  if (!s->is_static || !s->srcs || !s->leaves) exit(2);
  sfc32 r = rng();
  for (int l = 0; l < s->rows; l++) {
    int prev0 = l * s->w, row0 = (l + 1) * s->w;
    for (int i = 0; i < s->w; i++) {
      int idx = row0 + i;
      for (int k = 0; k < s->n; k++) s->srcs[(size_t)(idx - s->w) * (size_t)s->n + (size_t)k] = prev0 + (i + k) % s->w;
      s->is_static[idx] = sfc32_next(&r) < c->sf;
    }
  }
  int last0 = s->rows * s->w;
  s->nleaves = s->w;
  for (int i = 0; i < s->w; i++) s->leaves[i] = last0 + i;
  sfc32 r2 = rng();
  int skip = (int)js_round(s->w * (1 - c->rf));
  for (int i = 0; i < skip; i++) {
    int at = (int)floor(sfc32_next(&r2) * s->nleaves);
    memmove(s->leaves + at, s->leaves + at + 1, sizeof(int) * (size_t)(s->nleaves - at - 1));
    s->nleaves--;
  }
}

static void shape_free(shape *s) {
  free(s->is_static);
  free(s->srcs);
  free(s->leaves);
}

/* ---- naive evaluation (for --short, and checked against SPEC's table) ---------------
 * Every computed is evaluated eagerly, row by row; a computed runs again only
 * when a source it read in its last run changed (equality cutoff), which is
 * the number of runs a push-pull library with every node observed makes. */

typedef struct naive {
  double *val;
  int *skipped; /* dynamic: the tail index skipped in the last run, -1 none */
  unsigned char *changed;
} naive;

static double naive_eval(const shape *s, naive *nv, int idx) {
  const int *src = s->srcs + (size_t)(idx - s->w) * (size_t)s->n;
  if (s->is_static[idx]) {
    double t = 0;
    for (int k = 0; k < s->n; k++) t += nv->val[src[k]];
    return t;
  }
  double t = nv->val[src[0]];
  int drop = to_int32(t) & 1;
  double dex = fmod(t, (double)(s->n - 1)); /* the naive side keeps plain fmod */
  nv->skipped[idx] = -1;
  for (int k = 0; k < s->n - 1; k++) {
    if (drop && (double)k == dex) {
      nv->skipped[idx] = k;
      continue;
    }
    t += nv->val[src[1 + k]];
  }
  return t;
}

static bool naive_dirty(const shape *s, const naive *nv, int idx) {
  const int *src = s->srcs + (size_t)(idx - s->w) * (size_t)s->n;
  if (nv->changed[src[0]]) return true;
  for (int k = 1; k < s->n; k++)
    if (nv->changed[src[k]] && (s->is_static[idx] || nv->skipped[idx] != k - 1)) return true;
  return false;
}

/* One run as run.mjs's runOnce does it; returns the computed runs, *sum the result. */
static double naive_once(const shape *s, naive *nv, int it, double *sum) {
  double count = 0;
  for (int i = 0; i < it; i++) {
    int d = i % s->w;
    memset(nv->changed, 0, (size_t)s->total);
    double v = (double)(i + d);
    if (v == nv->val[d]) continue;
    nv->val[d] = v;
    nv->changed[d] = 1;
    for (int idx = s->w; idx < s->total; idx++) {
      if (!naive_dirty(s, nv, idx)) continue;
      count++;
      double nvv = naive_eval(s, nv, idx);
      nv->changed[idx] = nvv != nv->val[idx];
      nv->val[idx] = nvv;
    }
  }
  double t = 0;
  for (int k = 0; k < s->nleaves; k++) t = nv->val[s->leaves[k]] + t;
  *sum = t;
  return count;
}

/* Expected sum and count of a timed run (the second run on): warm once, count once. */
static void naive_expect(const shape *s, int it, double *sum, double *count) {
  naive nv;
  nv.val = calloc((size_t)s->total, sizeof(double));
  nv.skipped = malloc(sizeof(int) * (size_t)s->total);
  nv.changed = calloc((size_t)s->total, 1);
  if (!nv.val || !nv.skipped || !nv.changed) exit(2);
  for (int i = 0; i < s->w; i++) nv.val[i] = i;
  for (int idx = s->w; idx < s->total; idx++) nv.val[idx] = naive_eval(s, &nv, idx);
  double sm;
  naive_once(s, &nv, it, &sm);
  *count = naive_once(s, &nv, it, sum);
  free(nv.val);
  free(nv.skipped);
  free(nv.changed);
}

/* ---- on volt ---------------------------------------------------------------------- */

static uint64_t dyn_counter;

typedef struct dyn_ud {
  int n;
  volt_node *src[]; /* n sources */
} dyn_ud;

static volt_val dyn_static(void *ud) {
  dyn_ud *u = ud;
  dyn_counter++;
  double t = 0;
  for (int k = 0; k < u->n; k++) t += get_num(u->src[k]);
  return volt_num(t);
}

static volt_val dyn_dynamic(void *ud) {
  dyn_ud *u = ud;
  dyn_counter++;
  double t = get_num(u->src[0]);
  int drop = to_int32(t) & 1;
  double dex = js_mod_int(t, u->n - 1);
  for (int k = 0; k < u->n - 1; k++) {
    if (drop && (double)k == dex) continue;
    t += get_num(u->src[1 + k]);
  }
  return volt_num(t);
}

typedef struct leaves_ud {
  int n;
  volt_node **v;
} leaves_ud;

static void dyn_effect(void *ud) {
  leaves_ud *l = ud;
  for (int k = 0; k < l->n; k++) volt_get(l->v[k]);
}

static double dyn_run_once(volt_rt *rt, volt_node **nodes, const shape *s, volt_node **leaves, int it) {
  for (int i = 0; i < it; i++) {
    int d = i % s->w;
    set_num(rt, nodes[d], (double)(i + d));
    for (int k = 0; k < s->nleaves; k++) volt_get(leaves[k]);
  }
  double sum = 0;
  for (int k = 0; k < s->nleaves; k++) sum = get_num(leaves[k]) + sum;
  return sum;
}

static void run_one(const dyn_case *c, const char *name) {
  shape s;
  shape_build(c, &s);
  /* --short: a hundredth of the writes, but every source written at least
   * twice per run (each run repeats the same writes, so fewer would change
   * nothing after the first run). */
  int it = c->it;
  if (B.shorter) {
    it = c->it / 100 > 2 * c->w + 3 ? c->it / 100 : 2 * c->w + 3;
    if (it > c->it) it = c->it;
  }
  double want_sum = c->sum, want_count = c->count;
  if (B.shorter) naive_expect(&s, it, &want_sum, &want_count);

  volt_rt *rt = bench_rt_new();
  volt_node **nodes = malloc(sizeof *nodes * (size_t)s.total);
  volt_node **leaves = malloc(sizeof *leaves * (size_t)s.nleaves);
  if (!nodes || !leaves) exit(2);
  for (int i = 0; i < s.w; i++) nodes[i] = must(volt_signal(rt, volt_num(i), NULL), "signal");
  for (int idx = s.w; idx < s.total; idx++) {
    dyn_ud *u = arena_alloc(sizeof *u + sizeof(volt_node *) * (size_t)s.n);
    u->n = s.n;
    const int *src = s.srcs + (size_t)(idx - s.w) * (size_t)s.n;
    for (int k = 0; k < s.n; k++) u->src[k] = nodes[src[k]];
    nodes[idx] = must(volt_computed(rt, s.is_static[idx] ? dyn_static : dyn_dynamic, u, NULL), "computed");
  }
  for (int k = 0; k < s.nleaves; k++) leaves[k] = nodes[s.leaves[k]];
  leaves_ud *lu = arena_alloc(sizeof *lu);
  lu->n = s.nleaves;
  lu->v = leaves;
  must(volt_effect(rt, dyn_effect, lu), "effect");

  int warm = B.shorter ? 1 : 3, timed = B.shorter ? 2 : 5;
  for (int r = 0; r < warm; r++) dyn_run_once(rt, nodes, &s, leaves, it);
  double best = INFINITY;
  const char *check = "ok";
  for (int r = 0; r < timed; r++) {
    dyn_counter = 0;
    double t0 = now_ms();
    double sum = dyn_run_once(rt, nodes, &s, leaves, it);
    double t = now_ms() - t0;
    if (t < best) best = t;
    if (sum != want_sum)
      fail(&check, "FAIL:sum");
    else if (c->rf == 1 && (double)dyn_counter != want_count)
      fail(&check, "FAIL:count");
  }
  bench_rt_close(rt);
  arena_free_all();
  free(nodes);
  free(leaves);
  shape_free(&s);
  bench_emit(name, best, check);
}

void run_dynamic(void) {
  static char names[sizeof dyn_cases / sizeof dyn_cases[0]][64];
  for (size_t i = 0; i < sizeof dyn_cases / sizeof dyn_cases[0]; i++) {
    dyn_title(&dyn_cases[i], names[i], sizeof names[i]);
    if (!bench_want(names[i])) continue;
    bench_current = names[i];
    run_one(&dyn_cases[i], names[i]);
  }
}

/* Checks the naive evaluation against SPEC.md's table at full size. */
int dynamic_naive_selftest(void) {
  int bad = 0;
  for (size_t i = 0; i < sizeof dyn_cases / sizeof dyn_cases[0]; i++) {
    const dyn_case *c = &dyn_cases[i];
    char name[64];
    dyn_title(c, name, sizeof name);
    shape s;
    shape_build(c, &s);
    double sum, count;
    naive_expect(&s, c->it, &sum, &count);
    bool ok = sum == c->sum && (c->rf < 1 || count == c->count);
    printf("%-28s sum %.17g (table %.17g) count %.0f (table %.0f) %s\n", name, sum, c->sum, count,
           c->count, ok ? "ok" : "MISMATCH");
    bad += !ok;
    shape_free(&s);
  }
  return bad ? 1 : 0;
}
