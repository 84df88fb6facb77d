/* bench/memory.c - memory and depth cases (not in SPEC's JS runner).
 *
 * Each group runs in a fresh process (this program re-run with --child NAME)
 * so that its RSS figures start from a clean baseline. Lines keep the
 * `volt<TAB>case<TAB>number<TAB>check` format; the number sits in the ms
 * column and is bytes for memory-* cases, milliseconds for depth-* cases.
 *
 *  memory-node-record, memory-edge-record: VOLT_NODE_BYTES and
 *    VOLT_EDGE_BYTES (volt.h; the library checks them against its records
 *    when it is built), printed from the chain's process with a check that
 *    holds them against what the chain allocated (see child_chain).
 *  memory-chain-*: a signal and 1,000,000 computeds in a chain (each reads the
 *    one before), evaluated by reading the tail.
 *  memory-scope-chain-*: the same chain made inside a volt_scope (as a
 *    component would), then disposed with it (checked: nothing left).
 *  memory-grid-*: 1,000 signals and 1,000 computeds each reading all 1,000
 *    (1,000,000 edges), each computed read once.
 *    -node-bytes       volt_stats node_bytes / live_nodes (node slots)
 *    -edge-bytes       volt_stats edge_bytes / edges (edge slots)
 *    -bytes-per-node   (chain) growth of volt_stats bytes / computeds
 *    -bytes-per-edge   (grid) growth of volt_stats bytes / edges
 *    -rss-per-node/-rss-per-edge        growth of VmRSS, graph alive
 *    -peak-rss-per-node/-peak-rss-per-edge  growth of VmHWM (peak RSS)
 *  depth-chain-*: a 1,000,000-deep chain on a thread with a 64 KiB stack.
 *    -build          make the chain and read the tail once (ms)
 *    -update         write the head (one batch), read the tail: best of 5 (ms)
 *    -effect-update  the same with an effect on the tail (ms)
 * The checks are the values read and the node and edge counts of volt_stats.
 * The design bars (<= 64 bytes per computed node, <= 32 per edge) are not
 * checks here: docs/BENCHMARKS.md compares the records with them and shows
 * what the containers add on top.
 */
#include "bench.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHAIN_N 1000000
#define GRID_N 1000

/* ---- process figures --------------------------------------------------------- */

/* A field of /proc/self/status in bytes (its unit is kB), 0 if unknown. */
static double proc_status_bytes(const char *field) {
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  size_t len = strlen(field);
  double v = 0;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, field, len) == 0 && line[len] == ':') {
      v = strtod(line + len + 1, NULL) * 1024.0;
      break;
    }
  fclose(f);
  return v;
}

typedef struct snap {
  volt_stats_t st;
  double rss, hwm;
} snap;

static snap take(volt_rt *rt) {
  snap s;
  memset(&s, 0, sizeof s);
  volt_stats(rt, &s.st);
  s.rss = proc_status_bytes("VmRSS");
  s.hwm = proc_status_bytes("VmHWM");
  return s;
}

static void emit_if(const char *name, double v, const char *check) {
  if (bench_want(name)) bench_emit(name, v, check);
}

static double ratio(double a, double b) { return b > 0 ? a / b : NAN; }

/* ---- memory-chain ------------------------------------------------------------- */

static volt_val f_next(void *ud) { return volt_int(get_int((volt_node *)ud) + 1); }

static int child_chain(void) {
  bench_current = "memory-chain";
  volt_rt *rt = bench_rt_new();
  snap a = take(rt);
  const char *check = "ok";
  volt_node *head = must(volt_signal(rt, volt_int(0), NULL), "signal");
  volt_node *cur = head;
  for (int i = 0; i < CHAIN_N; i++) cur = must(volt_computed(rt, f_next, cur, NULL), "computed");
  if (get_int(cur) != CHAIN_N) fail(&check, "FAIL:value");
  snap b = take(rt);
  if (b.st.live_nodes - a.st.live_nodes != CHAIN_N + 1) fail(&check, "FAIL:live_nodes");
  if (b.st.edges - a.st.edges != CHAIN_N) fail(&check, "FAIL:edges");
  /* The record sizes of volt.h, held against what the runtime allocated for
   * the chain: node slots within 1 % of the node record (slab headers, the
   * last slab's free slots), edge slots from the edge record up to twice it
   * (the array doubles), and nothing else that grows with the graph (under
   * one byte per node outside node and edge slots). */
  double nslot = ratio((double)b.st.node_bytes, (double)b.st.live_nodes);
  double eslot = ratio((double)b.st.edge_bytes, (double)b.st.edges);
  double other = ((double)(b.st.bytes - b.st.node_bytes - b.st.edge_bytes) -
                  (double)(a.st.bytes - a.st.node_bytes - a.st.edge_bytes)) / CHAIN_N;
  if (!(nslot >= VOLT_NODE_BYTES && nslot <= VOLT_NODE_BYTES * 1.01)) fail(&check, "FAIL:node-slots");
  if (!(eslot >= VOLT_EDGE_BYTES && eslot <= VOLT_EDGE_BYTES * 2.0)) fail(&check, "FAIL:edge-slots");
  if (!(other < 1.0)) fail(&check, "FAIL:other-bytes");
  emit_if("memory-node-record", VOLT_NODE_BYTES, check);
  emit_if("memory-edge-record", VOLT_EDGE_BYTES, check);
  emit_if("memory-chain-node-bytes", nslot, check);
  emit_if("memory-chain-edge-bytes", eslot, check);
  emit_if("memory-chain-bytes-per-node", ratio((double)(b.st.bytes - a.st.bytes), CHAIN_N), check);
  emit_if("memory-chain-rss-per-node", ratio(b.rss - a.rss, CHAIN_N), check);
  emit_if("memory-chain-peak-rss-per-node", ratio(b.hwm - a.hwm, CHAIN_N), check);
  bench_rt_close(rt);
  return strcmp(check, "ok") != 0;
}

/* ---- memory-scope-chain: the same chain made inside a scope -------------------------
 * Components make their nodes inside an owner (volt_scope or an effect); this
 * shows what ownership adds per node. */

static volt_node *scope_tail;
static void build_chain_in_scope(void *ud) {
  volt_rt *rt = ud;
  volt_node *cur = must(volt_signal(rt, volt_int(0), NULL), "signal");
  for (int i = 0; i < CHAIN_N; i++) cur = must(volt_computed(rt, f_next, cur, NULL), "computed");
  scope_tail = cur;
}

static int child_scope_chain(void) {
  bench_current = "memory-scope-chain";
  volt_rt *rt = bench_rt_new();
  snap a = take(rt);
  const char *check = "ok";
  volt_node *scope = must(volt_scope(rt, build_chain_in_scope, rt), "scope");
  if (get_int(scope_tail) != CHAIN_N) fail(&check, "FAIL:value");
  snap b = take(rt);
  if (b.st.live_nodes - a.st.live_nodes != CHAIN_N + 2) fail(&check, "FAIL:live_nodes");
  if (b.st.edges - a.st.edges != CHAIN_N) fail(&check, "FAIL:edges");
  emit_if("memory-scope-chain-bytes-per-node", ratio((double)(b.st.bytes - a.st.bytes), CHAIN_N), check);
  emit_if("memory-scope-chain-rss-per-node", ratio(b.rss - a.rss, CHAIN_N), check);
  volt_dispose(scope);
  snap d = take(rt);
  if (d.st.live_nodes != a.st.live_nodes || d.st.edges != a.st.edges) fail(&check, "FAIL:dispose");
  bench_rt_close(rt);
  return strcmp(check, "ok") != 0;
}

/* ---- memory-burst ---------------------------------------------------------------
 * A burst of CHAIN_N nodes in a scope, disposed: volt_stats bytes and RSS
 * before, at the peak, just after the dispose, and once the program has
 * gone on without another burst (4,096 flushes: the recent peak that volt
 * keeps halves every 256 drains). */

static int child_burst(void) {
  bench_current = "memory-burst";
  volt_rt *rt = bench_rt_new();
  const char *check = "ok";
  snap a = take(rt);
  volt_node *scope = must(volt_scope(rt, build_chain_in_scope, rt), "scope");
  if (get_int(scope_tail) != CHAIN_N) fail(&check, "FAIL:value");
  snap b = take(rt);
  volt_dispose(scope);
  snap d = take(rt);
  for (int i = 0; i < 4096; i++) volt_flush(rt);
  snap e = take(rt);
  if (e.st.live_nodes != a.st.live_nodes || e.st.edges != a.st.edges) fail(&check, "FAIL:dispose");
  /* The bar: back within a bounded reserve (2 MiB) of where it started. */
  if (e.st.bytes > a.st.bytes + (2u << 20)) fail(&check, "FAIL:kept");
  emit_if("memory-burst-bytes-before", (double)a.st.bytes, check);
  emit_if("memory-burst-bytes-peak", (double)b.st.bytes, check);
  emit_if("memory-burst-bytes-after-dispose", (double)d.st.bytes, check);
  emit_if("memory-burst-bytes-settled", (double)e.st.bytes, check);
  emit_if("memory-burst-rss-before", a.rss, check);
  emit_if("memory-burst-rss-peak", b.rss, check);
  emit_if("memory-burst-rss-settled", e.rss, check);
  bench_rt_close(rt);
  return strcmp(check, "ok") != 0;
}

/* ---- memory-grid --------------------------------------------------------------- */

static volt_val f_sum_grid(void *ud) {
  volt_node **src = ud;
  int64_t t = 0;
  for (int k = 0; k < GRID_N; k++) t += get_int(src[k]);
  return volt_int(t);
}

static int child_grid(void) {
  bench_current = "memory-grid";
  static volt_node *src[GRID_N], *readers[GRID_N];
  volt_rt *rt = bench_rt_new();
  snap a = take(rt);
  const char *check = "ok";
  for (int i = 0; i < GRID_N; i++) src[i] = must(volt_signal(rt, volt_int(i), NULL), "signal");
  for (int i = 0; i < GRID_N; i++) readers[i] = must(volt_computed(rt, f_sum_grid, src, NULL), "computed");
  int64_t want = (int64_t)GRID_N * (GRID_N - 1) / 2;
  for (int i = 0; i < GRID_N; i++)
    if (get_int(readers[i]) != want) fail(&check, "FAIL:value");
  snap b = take(rt);
  double edges = (double)GRID_N * GRID_N;
  if (b.st.live_nodes - a.st.live_nodes != 2 * GRID_N) fail(&check, "FAIL:live_nodes");
  if ((double)(b.st.edges - a.st.edges) != edges) fail(&check, "FAIL:edges");
  emit_if("memory-grid-node-bytes", ratio((double)b.st.node_bytes, (double)b.st.live_nodes), check);
  emit_if("memory-grid-edge-bytes", ratio((double)b.st.edge_bytes, (double)b.st.edges), check);
  emit_if("memory-grid-bytes-per-edge", ratio((double)(b.st.bytes - a.st.bytes), edges), check);
  emit_if("memory-grid-rss-per-edge", ratio(b.rss - a.rss, edges), check);
  emit_if("memory-grid-peak-rss-per-edge", ratio(b.hwm - a.hwm, edges), check);
  bench_rt_close(rt);
  return strcmp(check, "ok") != 0;
}

/* ---- depth-chain (on a 64 KiB stack) ------------------------------------------------- */

static int64_t depth_runs;
static void e_tail(void *ud) {
  volt_get((volt_node *)ud);
  depth_runs++;
}

static void *depth_thread(void *arg) {
  int *bad = arg;
  bench_altstack();
  for (int with_effect = 0; with_effect < 2; with_effect++) {
    const char *upd = with_effect ? "depth-chain-effect-update" : "depth-chain-update";
    if (!with_effect && !bench_want("depth-chain-build") && !bench_want(upd)) continue;
    if (with_effect && !bench_want(upd)) continue;
    const char *check = "ok";
    bench_current = with_effect ? "depth-chain-effect-update" : "depth-chain-build";
    volt_rt *rt = bench_rt_new();
    double t0 = now_ms();
    volt_node *head = must(volt_signal(rt, volt_int(0), NULL), "signal");
    volt_node *cur = head;
    for (int i = 0; i < CHAIN_N; i++) cur = must(volt_computed(rt, f_next, cur, NULL), "computed");
    depth_runs = 0;
    if (with_effect) must(volt_effect(rt, e_tail, cur), "effect");
    if (get_int(cur) != CHAIN_N) fail(&check, "FAIL:value");
    double tb = now_ms() - t0;
    if (!with_effect) emit_if("depth-chain-build", tb, check);
    bench_current = upd;
    double best = INFINITY;
    for (int r = 1; r <= 5; r++) {
      double t1 = now_ms();
      set_int(rt, head, r);
      int64_t v = get_int(cur);
      double t = now_ms() - t1;
      if (t < best) best = t;
      if (v != CHAIN_N + r) fail(&check, "FAIL:value");
    }
    if (with_effect && depth_runs != 6) fail(&check, "FAIL:runs");
    emit_if(upd, best, check);
    bench_current = "depth-chain-close";
    bench_rt_close(rt);
    if (strcmp(check, "ok") != 0) *bad = 1;
  }
  bench_altstack_free();
  return NULL;
}

static int child_depth(void) {
  int bad = 0;
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 64 * 1024);
  pthread_t th;
  if (pthread_create(&th, &attr, depth_thread, &bad) != 0) {
    fprintf(stderr, "volt_bench: cannot start a thread with a 64 KiB stack\n");
    return 2;
  }
  pthread_join(th, NULL);
  pthread_attr_destroy(&attr);
  return bad;
}

/* ---- parent side ------------------------------------------------------------------- */

typedef struct child_case {
  const char *name;
  int (*run)(void);
  const char *lines; /* the names it prints, for --only */
} child_case;

static const child_case children[] = {
    {"memory-chain", child_chain,
     "memory-node-record memory-edge-record memory-chain-node-bytes memory-chain-edge-bytes memory-chain-bytes-per-node "
     "memory-chain-rss-per-node memory-chain-peak-rss-per-node"},
    {"memory-scope-chain", child_scope_chain,
     "memory-scope-chain-bytes-per-node memory-scope-chain-rss-per-node"},
    {"memory-burst", child_burst,
     "memory-burst-bytes-before memory-burst-bytes-peak memory-burst-bytes-after-dispose "
     "memory-burst-bytes-settled memory-burst-rss-before memory-burst-rss-peak memory-burst-rss-settled"},
    {"memory-grid", child_grid,
     "memory-grid-node-bytes memory-grid-edge-bytes memory-grid-bytes-per-edge "
     "memory-grid-rss-per-edge memory-grid-peak-rss-per-edge"},
    {"depth-chain", child_depth, "depth-chain-build depth-chain-update depth-chain-effect-update"},
};

int memory_child(const char *name) {
  for (size_t i = 0; i < sizeof children / sizeof children[0]; i++)
    if (strcmp(children[i].name, name) == 0) return children[i].run();
  fprintf(stderr, "volt_bench: no child case %s\n", name);
  return 2;
}

void run_memory(const char *argv0) {
  for (size_t i = 0; i < sizeof children / sizeof children[0]; i++) {
    const child_case *c = &children[i];
    if (B.only && !strstr(c->lines, B.only)) continue;
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
      perror("volt_bench: fork");
      bench_failures++;
      continue;
    }
    if (pid == 0) {
      const char *args[8];
      int k = 0;
      args[k++] = argv0;
      args[k++] = "--child";
      args[k++] = c->name;
      if (B.tsv) args[k++] = "--tsv";
      if (B.shorter) args[k++] = "--short";
      if (B.only) {
        args[k++] = "--only";
        args[k++] = B.only;
      }
      args[k] = NULL;
      /* The program's own path (readlink, not an exec of /proc/self/exe, so
       * that it also works under valgrind). */
      static char self[4096];
      ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
      if (len > 0) {
        self[len] = 0;
        execv(self, (char *const *)args);
      }
      execv(argv0, (char *const *)args);
      perror("volt_bench: exec");
      _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) bench_failures++;
  }
}
