/* bench/volt_bench.c - volt's benchmark program: the shapes of the
 * js-reactivity-benchmark suite (kairo, cellx, dynamic graphs, sbench; see
 * docs/BENCHMARKS.md) on
 * volt's public API, plus the async, memory and depth cases.
 *
 * usage: volt_bench [--tsv] [--short] [--only SUBSTR]
 *   --tsv    lines `volt<TAB>case<TAB>ms<TAB>check`, as run.mjs --tsv prints
 *   --short  small sizes and few repetitions, every check still on (meson
 *            test --benchmark and CI); the expected values that SPEC.md's
 *            tables give for the full sizes are then computed by a naive
 *            evaluation of the same graph
 *   --only   run the cases whose name contains SUBSTR
 * Exits 1 when any check failed, 0 otherwise. docs/BENCHMARKS.md explains
 * the numbers.
 */
/* sigaltstack and SA_ONSTACK are XSI. */
#define _XOPEN_SOURCE 700
#include "bench.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bench_opts B;
int bench_failures;
const char *volatile bench_current = "";

bool bench_want(const char *name) { return !B.only || strstr(name, B.only) != NULL; }

void bench_emit(const char *name, double ms, const char *check) {
  if (strncmp(check, "FAIL", 4) == 0) bench_failures++;
  if (B.tsv) {
    if (isfinite(ms))
      printf("volt\t%s\t%.3f\t%s\n", name, ms, check);
    else
      printf("volt\t%s\tnan\t%s\n", name, check);
  } else {
    if (isfinite(ms))
      printf("%-28s %-28s %10.3f ms  %s\n", "volt", name, ms, check);
    else
      printf("%-28s %-28s        nan ms  %s\n", "volt", name, check);
  }
  fflush(stdout);
}

double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static volatile long busy_sink;
void busy(void) {
  volatile int a = 0;
  for (int i = 0; i < 100; i++) a++;
  busy_sink += a;
}

volt_rt *bench_rt_new(void) {
  volt_rt *rt = NULL;
  int rc = volt_rt_new(&rt, NULL, NULL);
  if (rc != 0 || !rt) {
    fprintf(stderr, "volt_bench: volt_rt_new: %s\n", volt_strerror(rc));
    exit(2);
  }
  return rt;
}

void bench_rt_close(volt_rt *rt) { volt_rt_close(rt, NULL, NULL); }

volt_node *must(volt_node *n, const char *what) {
  if (!n) {
    fprintf(stderr, "volt_bench: %s: could not create %s\n", bench_current, what);
    exit(2);
  }
  return n;
}

void fail(const char **check, const char *what) {
  if (strcmp(*check, "ok") == 0) *check = what;
}

/* ---- arena ---------------------------------------------------------------- */

typedef struct arena_block {
  struct arena_block *next;
  size_t used, cap;
  max_align_t data[];
} arena_block;
static arena_block *arena_head;

void *arena_alloc(size_t size) {
  size = (size + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
  if (!arena_head || arena_head->cap - arena_head->used < size) {
    size_t cap = size > (1u << 20) ? size : (1u << 20);
    arena_block *b = malloc(sizeof *b + cap);
    if (!b) {
      fprintf(stderr, "volt_bench: out of memory\n");
      exit(2);
    }
    b->next = arena_head;
    b->used = 0;
    b->cap = cap;
    arena_head = b;
  }
  void *p = (char *)arena_head->data + arena_head->used;
  arena_head->used += size;
  return p;
}

void arena_free_all(void) {
  while (arena_head) {
    arena_block *n = arena_head->next;
    free(arena_head);
    arena_head = n;
  }
}

/* ---- crashes ---------------------------------------------------------------
 * A library that recurses per node overflows its stack on cellx5000 and on
 * the deep chains. The handler runs on an alternate stack and prints the
 * case's line with FAIL:stack (a fault just below a stack) or FAIL:crash. */

static void crash_handler(int sig, siginfo_t *si, void *ctx) {
  (void)ctx;
  char line[512];
  const char *what = sig == SIGSEGV || sig == SIGBUS ? "FAIL:stack" : "FAIL:crash";
  (void)si;
  int len;
  if (B.tsv)
    len = snprintf(line, sizeof line, "volt\t%s\tnan\t%s\n", bench_current, what);
  else
    len = snprintf(line, sizeof line, "%-28s %-28s        nan ms  %s (signal %d)\n", "volt",
                   bench_current, what, sig);
  fflush(stdout);
  if (len > 0) {
    ssize_t w = write(STDOUT_FILENO, line, (size_t)len);
    (void)w;
  }
  _exit(3);
}

static _Thread_local char *altstack_mem;

void bench_altstack_free(void) {
  if (!altstack_mem) return;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_flags = SS_DISABLE;
  sigaltstack(&ss, NULL);
  free(altstack_mem);
  altstack_mem = NULL;
}

void bench_altstack(void) {
  char *mem = altstack_mem;
  if (mem) return;
  size_t size = 1u << 16;
  mem = altstack_mem = malloc(size);
  if (!mem) return;
  stack_t ss;
  memset(&ss, 0, sizeof ss);
  ss.ss_sp = mem;
  ss.ss_size = size;
  sigaltstack(&ss, NULL);
}

static void install_crash_handler(void) {
  bench_altstack();
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = crash_handler;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, NULL);
  sigaction(SIGBUS, &sa, NULL);
  sigaction(SIGABRT, &sa, NULL);
  sigaction(SIGFPE, &sa, NULL);
  sigaction(SIGILL, &sa, NULL);
}

/* ---- main ------------------------------------------------------------------ */

static void usage(void) {
  fprintf(stderr, "usage: volt_bench [--tsv] [--short] [--only SUBSTR]\n");
  exit(2);
}

int main(int argc, char **argv) {
  const char *child = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--tsv") == 0)
      B.tsv = true;
    else if (strcmp(argv[i], "--short") == 0)
      B.shorter = true;
    else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
      B.only = argv[++i];
    else if (strcmp(argv[i], "--child") == 0 && i + 1 < argc)
      child = argv[++i];
    else if (strcmp(argv[i], "--naive-selftest") == 0)
      return dynamic_naive_selftest();
    else
      usage();
  }
  install_crash_handler();
  if (child) return memory_child(child);

  run_kairo();
  run_cellx();
  run_dynamic();
  run_sbench();
  run_async();
  run_memory(argv[0]);
  arena_free_all();
  if (bench_failures) {
    fprintf(stderr, "volt_bench: %d check(s) failed\n", bench_failures);
    return 1;
  }
  return 0;
}
