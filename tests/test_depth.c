/* tests/test_depth.c - deep graphs on a 64 KiB stack (docs/design.md,
 * "Deep chains": no recursion proportional to the graph's size), through
 * the public API only.
 *
 * Each case runs once, on a thread with a 64 KiB stack (h_thread_run: a
 * watchdog fails the test if the thread runs away), with a loop-less
 * runtime on the harness's counting allocator. The thread records; the test
 * asserts after it has finished.
 *
 * One tcase: CK_RUN_CASE=<tcase> CK_VERBOSITY=normal BUILD/tests/test_depth
 *
 *  tcase / case               what it checks
 *  -------------------------  -------------------------------------------------------------------
 *  deep:
 *    deep_chain_cold          1,000,000-deep chain read cold; disposed readers first
 *    deep_chain_incremental   the chain read as built; disposed sources first
 *    deep_chain_closed_alive  close with chain + effect alive frees all, hooks once
 *    deep_layers_cellx        10,000 cellx layers: values against a plain loop
 *    deep_random_dag          30,000-node random DAG against an eager model
 *
 * deep_chain_closed_alive closes the runtime with the whole chain and the
 * effect alive (1,000,002 nodes, 1,000,001 edges, checked just before the
 * close) and asserts that the close disposed everything: no live byte left,
 * on_closed once, the effect's cleanup and the source's release hook run
 * by the close exactly once.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * A 1,000,000-deep chain
 * ------------------------------------------------------------------------ */

/* n[0] is a signal holding a PTR box (7, then 100) with a release hook;
 * n[1] = box value + 1, n[i] = n[i - 1] + 1: the tail is box + DEEP_N. An
 * effect reads the tail and registers a cleanup on every run. */
#define DEEP_N 1000000

typedef struct deep {
  int mode; /* 0: build, read cold, dispose subscribers first; 1: read while
             * building, dispose dependencies first; 2: close with it all alive */
  size_t stack_size;
  h_pool pool; /* the source's boxes: 0 holds 7, 1 holds 100 */
  int rt_rc;
  size_t created;
  int64_t tail_cold;
  size_t incr_bad;
  int effect_runs;
  int64_t effect_seen;
  int set_rc;
  int64_t tail_after;
  size_t live_after, edges_after;     /* modes 0, 1: once everything is disposed */
  size_t live_at_close, edges_at_close; /* mode 2: just before volt_rt_close */
  int cleanups_at_close;              /* the effect's cleanups run before the close */
  int released_at_close;              /* releases of box 1 (the source's value) before it */
  int cleanups;                       /* the effect's cleanups run in all */
  int closed;
  size_t alloc_live;
  size_t alloc_bad;
  bool done;
} deep;

typedef struct deep_eff {
  volt_rt *rt;
  volt_node *tail;
  int runs;
  int cleanups;
  int64_t seen;
} deep_eff;

static volt_val deep_head_fn(void *ud) {
  volt_val v = volt_get(ud);
  if (volt_is_err(v)) return v;
  if (volt_tag(v) != VOLT_PTR) return volt_err(-1, "the source holds no box");
  return volt_int(((h_box *)volt_as_ptr(v))->v + 1);
}

static void deep_eff_cleanup(void *ud) { ((deep_eff *)ud)->cleanups++; }

static void deep_eff_fn(void *ud) {
  deep_eff *d = ud;
  volt_val v = volt_get(d->tail);
  d->runs++;
  d->seen = volt_is_err(v) ? -1 : volt_as_int(v);
  if (volt_on_cleanup(d->rt, deep_eff_cleanup, d) != 0) d->seen = -2;
}

static void deep_thread(void *arg) {
  deep *r = arg;
  h_alloc *al = malloc(sizeof *al);
  volt_node **n = malloc(sizeof *n * (DEEP_N + 1));
  volt_config cfg;
  volt_opts so;
  volt_rt *rt = NULL;
  volt_node *eff;
  deep_eff *de = calloc(1, sizeof *de);
  h_box *b7, *b100;
  volt_stats_t st;
  volt_val v;

  if (!al || !n || !de) goto out;
  h_alloc_init(al);
  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = al;
  r->rt_rc = volt_rt_new(&rt, NULL, &cfg);
  if (r->rt_rc != 0) goto out;

  b7 = h_box_new(&r->pool, 7);
  b100 = h_box_new(&r->pool, 100);
  memset(&so, 0, sizeof so);
  so.release = h_box_release;
  so.ud = &r->pool;
  n[0] = volt_signal(rt, volt_ptr(b7), &so);
  if (!n[0]) goto close;
  r->created = 1;
  for (size_t i = 1; i <= DEEP_N; i++) {
    n[i] = volt_computed(rt, i == 1 ? deep_head_fn : h_chain_fn, n[i - 1], NULL);
    if (!n[i]) goto close;
    r->created++;
    if (r->mode == 1) {
      v = volt_get(n[i]);
      if (volt_tag(v) != VOLT_INT || volt_as_int(v) != 7 + (int64_t)i) r->incr_bad++;
    }
  }
  v = volt_get(n[DEEP_N]);
  r->tail_cold = volt_is_err(v) ? -(int64_t)volt_err_code(v) * 1000 : volt_as_int(v);

  de->rt = rt;
  de->tail = n[DEEP_N];
  eff = volt_effect(rt, deep_eff_fn, de);
  if (!eff) goto close;
  r->set_rc = volt_set(n[0], volt_ptr(b100));
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
  if (volt_stats(rt, &st) == 0) {
    if (r->mode == 2) {
      r->live_at_close = st.live_nodes;
      r->edges_at_close = st.edges;
    } else {
      r->live_after = st.live_nodes;
      r->edges_after = st.edges;
    }
  }
  r->cleanups_at_close = de->cleanups;
  r->released_at_close = b100->released;
  r->done = true;
close:
  volt_rt_close(rt, h_count_closed, &r->closed);
  r->cleanups = de->cleanups;
  r->alloc_live = al->live_bytes;
  r->alloc_bad = al->bad_old_size + al->bad_pointer + al->null_free;
out:
  free(de);
  free(n);
  free(al);
}

static void run_deep(deep *r) {
  h_thread_run(64 * 1024, deep_thread, r, 300, &r->stack_size);
}

/* What every mode checks. */
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
  ck_assert_int_eq(r->closed, 1);
  ck_assert_uint_eq(r->alloc_live, 0);
  ck_assert_uint_eq(r->alloc_bad, 0);
  /* the effect's cleanups: one before its re-run, one when it went */
  ck_assert_int_eq(r->cleanups, 2);
  /* each box released exactly once: 7 when replaced, 100 with the source */
  ck_assert_int_eq(r->pool.box[0].released, 1);
  ck_assert_int_eq(r->pool.box[1].released, 1);
  ck_assert_int_eq(r->pool.releases, 2);
  ck_assert_int_eq(r->pool.bad, 0);
}

/* Modes 0 and 1: everything was disposed before the close. */
static void check_deep_disposed(const deep *r) {
  check_deep(r);
  ck_assert_uint_eq(r->live_after, 0);
  ck_assert_uint_eq(r->edges_after, 0);
  ck_assert_int_eq(r->cleanups_at_close, 2);
  ck_assert_int_eq(r->released_at_close, 1);
}

START_TEST(deep_chain_cold) {
  deep r;
  uv_loop_t loop;
  memset(&r, 0, sizeof r);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
  r.mode = 0;
  run_deep(&r);
  check_deep_disposed(&r);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

START_TEST(deep_chain_incremental) {
  deep r;
  memset(&r, 0, sizeof r);
  r.mode = 1;
  run_deep(&r);
  check_deep_disposed(&r);
}
END_TEST

/* Nothing disposed by hand: the close does it all. Just before it the whole
 * chain and the effect are live (DEEP_N + 2 nodes, DEEP_N + 1 edges), the
 * effect's cleanup has run once (before its re-run) and the source's value
 * (box 100) has not been released; the close must run that cleanup and that
 * release hook exactly once each, call on_closed once and give back every
 * byte. */
START_TEST(deep_chain_closed_alive) {
  deep r;
  memset(&r, 0, sizeof r);
  r.mode = 2;
  run_deep(&r);
  check_deep(&r);
  ck_assert_uint_eq(r.live_at_close, DEEP_N + 2);
  ck_assert_uint_eq(r.edges_at_close, DEEP_N + 1);
  ck_assert_int_eq(r.cleanups_at_close, 1);
  ck_assert_int_eq(r.released_at_close, 0);
  ck_assert_int_eq(r.cleanups - r.cleanups_at_close, 1);    /* by the close, once */
  ck_assert_int_eq(r.pool.box[1].released - r.released_at_close, 1);
}
END_TEST

/* ------------------------------------------------------------------------
 * Layered and random graphs
 * ------------------------------------------------------------------------ */

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

static Suite *depth_suite(void) {
  Suite *s = suite_create("depth");
  TCase *tc = h_tcase(s, "deep");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, deep_chain_cold);
  tcase_add_test(tc, deep_chain_incremental);
  tcase_add_test(tc, deep_chain_closed_alive);
  tcase_add_test(tc, deep_layers_cellx);
  tcase_add_test(tc, deep_random_dag);
  return s;
}

int main(void) { return h_run(depth_suite()); }
