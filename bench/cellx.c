/* bench/cellx.c - the cellx cases of SPEC.md (cellx1000, cellx2500, cellx5000).
 *
 * Layers of four computeds, each layer made from the one before, with an
 * effect on every computed. Timed: read the last layer, write the four
 * start signals in one batch, read the last layer again. Score: the sum of
 * the timed parts of 10 fresh graphs (build and teardown not timed).
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* ud: the previous layer's four nodes. */
static volt_val cx_p1(void *ud) { return volt_int(get_int(((volt_node **)ud)[1])); }
static volt_val cx_p2(void *ud) {
  volt_node **m = ud;
  return volt_int(get_int(m[0]) - get_int(m[2]));
}
static volt_val cx_p3(void *ud) {
  volt_node **m = ud;
  return volt_int(get_int(m[1]) + get_int(m[3]));
}
static volt_val cx_p4(void *ud) { return volt_int(get_int(((volt_node **)ud)[2])); }
static void cx_eff(void *ud) { volt_get((volt_node *)ud); }

static const int64_t expected[3][2][4] = {
    {{-3, -6, -2, 2}, {-2, -4, 2, 3}},
    {{-3, -6, -2, 2}, {-2, -4, 2, 3}},
    {{2, 4, -1, -6}, {-2, 1, -4, -4}},
};

/* Builds one graph of L layers, runs the timed part, returns its ms. */
static double cellx_once(int L, int64_t before[4], int64_t after[4]) {
  volt_rt *rt = bench_rt_new();
  volt_node **nodes = malloc(sizeof *nodes * 4 * ((size_t)L + 1));
  if (!nodes) exit(2);
  for (int i = 0; i < 4; i++) nodes[i] = must(volt_signal(rt, volt_int(i + 1), NULL), "signal");
  static volt_val (*const fns[4])(void *) = {cx_p1, cx_p2, cx_p3, cx_p4};
  for (int l = 1; l <= L; l++) {
    volt_node **prev = nodes + 4 * (l - 1), **row = nodes + 4 * l;
    for (int i = 0; i < 4; i++) row[i] = must(volt_computed(rt, fns[i], prev, NULL), "computed");
    for (int i = 0; i < 4; i++) must(volt_effect(rt, cx_eff, row[i]), "effect");
  }
  volt_node **start = nodes, **end = nodes + 4 * L;

  double t0 = now_ms();
  for (int i = 0; i < 4; i++) before[i] = get_int(end[i]);
  volt_batch_begin(rt);
  volt_set(start[0], volt_int(4));
  volt_set(start[1], volt_int(3));
  volt_set(start[2], volt_int(2));
  volt_set(start[3], volt_int(1));
  volt_batch_end(rt);
  for (int i = 0; i < 4; i++) after[i] = get_int(end[i]);
  double t = now_ms() - t0;

  bench_rt_close(rt);
  free(nodes);
  return t;
}

void run_cellx(void) {
  static const int sizes[3] = {1000, 2500, 5000};
  static char names[3][16];
  int graphs = B.shorter ? 2 : 10;
  for (int c = 0; c < 3; c++) {
    snprintf(names[c], sizeof names[c], "cellx%d", sizes[c]);
    if (!bench_want(names[c])) continue;
    bench_current = names[c];
    const char *check = "ok";
    double total = 0;
    for (int g = 0; g < graphs; g++) {
      int64_t before[4], after[4];
      total += cellx_once(sizes[c], before, after);
      for (int i = 0; i < 4; i++)
        if (before[i] != expected[c][0][i] || after[i] != expected[c][1][i]) fail(&check, "FAIL:values");
    }
    bench_emit(names[c], total, check);
  }
}
