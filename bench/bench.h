/* bench/bench.h - shared helpers of volt's benchmark program (volt_bench).
 *
 * The cases are those of the js-reactivity-benchmark suite (docs/BENCHMARKS.md), written on volt's
 * public API only (<volt/volt.h>). Each case prints one line, in the format
 * of run.mjs: `volt<TAB>case<TAB>ms<TAB>check` with --tsv, a padded table
 * otherwise.
 */
#ifndef VOLT_BENCH_H
#define VOLT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <volt/volt.h>

/* ---- options ------------------------------------------------------------ */

typedef struct bench_opts {
  bool tsv;         /* --tsv: tab-separated lines */
  bool shorter;     /* --short: small sizes, checks still on */
  const char *only; /* --only SUBSTR: cases whose name contains SUBSTR */
} bench_opts;

extern bench_opts B;
extern int bench_failures; /* lines printed with a FAIL check */

/* True when the case `name` is selected by --only. */
bool bench_want(const char *name);

/* Prints one result line (and counts failures). `check` is "ok" or
 * "FAIL:<what>"; ms may be NAN. */
void bench_emit(const char *name, double ms, const char *check);

/* The case running now (named in the line the crash handler prints). */
extern const char *volatile bench_current;
/* Gives the calling thread an alternate signal stack for the crash handler. */
void bench_altstack(void);
/* Takes it back (before the thread ends). */
void bench_altstack_free(void);

/* ---- time and helpers --------------------------------------------------- */

double now_ms(void);

/* 100 increments of a counter the compiler cannot remove. */
void busy(void);

/* A loop-less runtime (flushes synchronously); aborts the program on error. */
volt_rt *bench_rt_new(void);
void bench_rt_close(volt_rt *rt);

/* One write in its own batch, as the SPEC asks. */
static inline void set_int(volt_rt *rt, volt_node *n, int64_t v) {
  volt_batch_begin(rt);
  volt_set(n, volt_int(v));
  volt_batch_end(rt);
}
static inline void set_num(volt_rt *rt, volt_node *n, double v) {
  volt_batch_begin(rt);
  volt_set(n, volt_num(v));
  volt_batch_end(rt);
}
static inline int64_t get_int(volt_node *n) { return volt_as_int(volt_get(n)); }
static inline double get_num(volt_node *n) { return volt_as_num(volt_get(n)); }

/* A bump arena for the user data of one graph (freed in one go). */
void *arena_alloc(size_t size);
void arena_free_all(void);

/* Makes a node or dies: the benchmark cannot go on without it. */
volt_node *must(volt_node *n, const char *what);

/* Records the first failure of a case: fail(&check, "sum"). */
void fail(const char **check, const char *what);

/* ---- the case groups ---------------------------------------------------- */

void run_kairo(void);
void run_cellx(void);
void run_dynamic(void);
/* Checks the naive evaluation of the dynamic graphs against SPEC.md's table
 * (volt_bench --naive-selftest); 0 when all match. */
int dynamic_naive_selftest(void);
void run_sbench(void);
/* The async cases: volt's token round trip and cross-thread acks against
 * raw libuv on the same loop. */
void run_async(void);
/* Memory and depth: each case runs in a fresh process (this program re-run
 * with --child NAME) so that its RSS numbers start from a clean baseline. */
void run_memory(const char *argv0);
int memory_child(const char *name);

#endif /* VOLT_BENCH_H */
