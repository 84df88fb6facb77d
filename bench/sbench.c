/* bench/sbench.c - the sbench cases of SPEC.md (createSignals,
 * createComputations, updateSignals).
 *
 * Each sub-test: 3 warm-ups at n/100, then the fastest of 10. The sources
 * are made in one scope (not timed) and read 3 times each; the time runs from
 * just before the computations are made, in a second scope, through the
 * writes, to after that scope is disposed (volt frees the nodes there; the
 * JS libraries leave that to their garbage collector, outside the time).
 * Loops run `for (i = 0; i < n; i++)` on doubles, as in run.mjs, so that
 * fractional sizes of the warm-ups do what they do in JS.
 *
 * Not in SPEC (run.mjs prints ok): every sub-test checks the number of
 * effect runs it caused.
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct sb_ctx {
  volt_rt *rt;
  double n;
  volt_node **src;
  double scount;
  int K, div;
  double expect; /* effect runs this sub-test should cause */
} sb_ctx;

static uint64_t sb_runs;

typedef void (*sb_fn)(sb_ctx *c);

/* ---- effects ----------------------------------------------------------------- */

static void e_none(void *ud) {
  (void)ud;
  sb_runs++;
}
static void e_one(void *ud) {
  volt_get((volt_node *)ud);
  sb_runs++;
}
static void e_two(void *ud) {
  volt_node **a = ud;
  volatile int64_t t = get_int(a[0]) + get_int(a[1]);
  (void)t;
  sb_runs++;
}
static void e_four(void *ud) {
  volt_node **a = ud;
  volatile int64_t t = get_int(a[0]) + get_int(a[1]) + get_int(a[2]) + get_int(a[3]);
  (void)t;
  sb_runs++;
}
static void e_thousand(void *ud) {
  volt_node **a = ud;
  int64_t t = 0;
  for (int k = 0; k < 1000; k++) t += get_int(a[k]);
  volatile int64_t v = t;
  (void)v;
  sb_runs++;
}
static void e_k(void *ud) {
  sb_ctx *c = ud;
  int64_t t = 0;
  for (int k = 0; k < c->K; k++) t += get_int(c->src[k]);
  volatile int64_t v = t;
  (void)v;
  sb_runs++;
}

/* ---- builders (run inside the timed scope) ---------------------------------------- */

static void b_create_signals(sb_ctx *c) {
  for (double i = 0; i < c->n; i++) must(volt_signal(c->rt, volt_int((int64_t)i), NULL), "signal");
}
static void b_0to1(sb_ctx *c) {
  double i = 0;
  for (; i < c->n; i++) must(volt_effect(c->rt, e_none, NULL), "effect");
  c->expect = i;
}
static void b_1to1(sb_ctx *c) {
  double i = 0;
  for (; i < c->n; i++) must(volt_effect(c->rt, e_one, c->src[(long)i]), "effect");
  c->expect = i;
}
static void b_2to1(sb_ctx *c) {
  double i = 0;
  for (; i < c->n; i++) must(volt_effect(c->rt, e_two, c->src + 2 * (long)i), "effect");
  c->expect = i;
}
static void b_4to1(sb_ctx *c) {
  double i = 0;
  for (; i < c->n; i++) must(volt_effect(c->rt, e_four, c->src + 4 * (long)i), "effect");
  c->expect = i;
}
static void b_1000to1(sb_ctx *c) {
  double i = 0;
  for (; i < c->n; i++) must(volt_effect(c->rt, e_thousand, c->src + 1000 * (long)i), "effect");
  c->expect = i;
}
static void b_1toK(sb_ctx *c) {
  double made = 0;
  for (double i = 0; i < c->n / c->K; i++) {
    volt_node *g = c->src[(long)i];
    for (int k = 0; k < c->K; k++, made++) must(volt_effect(c->rt, e_one, g), "effect");
  }
  c->expect = made;
}
static void b_uKto1(sb_ctx *c) { must(volt_effect(c->rt, e_k, c), "effect"); }
static void up_uKto1(sb_ctx *c) {
  double i = 0;
  for (; i < c->n; i++) set_int(c->rt, c->src[0], (int64_t)i);
  /* the first write (0) equals the source's value: no run */
  c->expect = 1 + (i > 0 ? i - 1 : 0);
}
static void b_u1toK(sb_ctx *c) {
  for (int k = 0; k < c->K; k++) must(volt_effect(c->rt, e_one, c->src[0]), "effect");
}
static void up_u1toK(sb_ctx *c) {
  double i = 0;
  for (; i < c->n / c->div; i++) set_int(c->rt, c->src[0], (int64_t)i);
  c->expect = c->K * (1 + (i > 0 ? i - 1 : 0));
}

/* ---- runner ------------------------------------------------------------------------- */

static sb_fn cur_build;
static sb_ctx *cur_ctx;

static void scope_sources(void *ud) {
  sb_ctx *c = ud;
  for (double i = 0; i < c->scount; i++) c->src[(long)i] = must(volt_signal(c->rt, volt_int((int64_t)i), NULL), "signal");
}
static void scope_build(void *ud) {
  (void)ud;
  cur_build(cur_ctx);
}

static const char *sb_check;

static double sb_once(volt_rt *rt, sb_fn build, sb_fn up, double n, double scount, int K, int div, bool timed) {
  sb_ctx c = {rt, n, NULL, scount, K, div, 0};
  c.src = malloc(sizeof(volt_node *) * ((size_t)scount + 1));
  if (!c.src) exit(2);
  volt_node *S = must(volt_scope(rt, scope_sources, &c), "scope");
  if (timed)
    for (double i = 0; i < scount; i++) {
      volt_get(c.src[(long)i]);
      volt_get(c.src[(long)i]);
      volt_get(c.src[(long)i]);
    }
  cur_build = build;
  cur_ctx = &c;
  sb_runs = 0;
  double t0 = now_ms();
  volt_node *C = must(volt_scope(rt, scope_build, NULL), "scope");
  if (up) up(&c);
  volt_dispose(C);
  double t = now_ms() - t0;
  volt_dispose(S);
  free(c.src);
  if ((double)sb_runs != c.expect) fail(&sb_check, "FAIL:runs");
  return t;
}

static double sb_run(volt_rt *rt, sb_fn build, sb_fn up, double n, double scount, int K, int div) {
  int warm = B.shorter ? 1 : 3, timed = B.shorter ? 2 : 10;
  for (int w = 0; w < warm; w++) sb_once(rt, build, up, n / 100, scount, K, div, false);
  double best = INFINITY;
  for (int r = 0; r < timed; r++) {
    double t = sb_once(rt, build, up, n, scount, K, div, true);
    if (t < best) best = t;
  }
  return best;
}

void run_sbench(void) {
  double COUNT = B.shorter ? 2000 : 100000;
  volt_rt *rt = NULL;
  if (bench_want("createSignals")) {
    bench_current = "createSignals";
    sb_check = "ok";
    rt = bench_rt_new();
    double t = sb_run(rt, b_create_signals, NULL, COUNT, COUNT, 0, 1);
    bench_rt_close(rt);
    bench_emit("createSignals", t, sb_check);
  }
  if (bench_want("createComputations")) {
    bench_current = "createComputations";
    sb_check = "ok";
    rt = bench_rt_new();
    double t = 0;
    t += sb_run(rt, b_0to1, NULL, COUNT, 0, 0, 1);
    t += sb_run(rt, b_1to1, NULL, COUNT, COUNT, 0, 1);
    t += sb_run(rt, b_2to1, NULL, COUNT / 2, COUNT, 0, 1);
    t += sb_run(rt, b_4to1, NULL, COUNT / 4, COUNT, 0, 1);
    t += sb_run(rt, b_1000to1, NULL, COUNT / 1000, COUNT, 0, 1);
    t += sb_run(rt, b_1toK, NULL, COUNT, COUNT / 2, 2, 1);
    t += sb_run(rt, b_1toK, NULL, COUNT, COUNT / 4, 4, 1);
    t += sb_run(rt, b_1toK, NULL, COUNT, COUNT / 8, 8, 1);
    t += sb_run(rt, b_1toK, NULL, COUNT, COUNT / 1000, 1000, 1);
    bench_rt_close(rt);
    bench_emit("createComputations", t, sb_check);
  }
  if (bench_want("updateSignals")) {
    bench_current = "updateSignals";
    sb_check = "ok";
    rt = bench_rt_new();
    double t = 0;
    t += sb_run(rt, b_uKto1, up_uKto1, COUNT * 4, 1, 1, 1);
    t += sb_run(rt, b_uKto1, up_uKto1, COUNT * 2, 2, 2, 1);
    t += sb_run(rt, b_uKto1, up_uKto1, COUNT, 4, 4, 1);
    t += sb_run(rt, b_uKto1, up_uKto1, COUNT / 250, 1000, 1000, 1);
    t += sb_run(rt, b_u1toK, up_u1toK, COUNT, 1, 2, 1);
    t += sb_run(rt, b_u1toK, up_u1toK, COUNT, 1, 4, 1);
    t += sb_run(rt, b_u1toK, up_u1toK, COUNT, 1, 1000, 10);
    bench_rt_close(rt);
    bench_emit("updateSignals", t, sb_check);
  }
}
