/* tests/harness.h - small helpers shared by the Check suites.
 *
 *  - h_alloc: a counting allocator for volt_config.realloc (Lua style). It
 *    records live bytes and blocks, checks that the old size the library
 *    passes matches what it handed out, and can fail the n-th allocation.
 *  - h_env: one runtime on a fresh loop (or loop-less), opened and closed
 *    the same way in every test: close, uv_run, on_closed exactly once,
 *    uv_loop_close == 0, allocator back to zero live bytes.
 *  - h_box: PTR payloads from a fixed pool, so that release counts can be
 *    checked without freeing (a double release is counted, not a crash).
 *  - h_log: a small integer log for ordering checks.
 *  - small graph fixtures that several suites use (h_eff1, h_lin, h_wrec,
 *    h_chain_fn, h_dr_*, h_obs) and readers of volt_dump_dot's output; a
 *    fixture one suite uses stays in that suite.
 *
 * Nothing here asserts on a thread other than the one that runs the test.
 */
#ifndef VOLT_TESTS_HARNESS_H
#define VOLT_TESTS_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>
#include <volt/volt.h>

/* ---- counting allocator -------------------------------------------------- */

typedef struct h_alloc {
  size_t live_bytes;   /* bytes handed out and not yet freed */
  size_t live_blocks;
  size_t peak_bytes;
  size_t calls;        /* allocation attempts (new_size > 0) */
  size_t fail_at;      /* fail the fail_at-th attempt (1-based); 0: never */
  bool fail_all_after; /* with fail_at: fail every attempt from fail_at on */
  size_t injected;     /* failures injected */
  size_t bad_old_size; /* frees/reallocs whose old size did not match */
  size_t bad_pointer;  /* frees/reallocs of a block we never handed out */
  size_t null_free;    /* free(NULL, old > 0) calls */
} h_alloc;

void h_alloc_init(h_alloc *a);
/* The hook: pass `a` as realloc_ud. */
void *h_realloc(void *ud, void *p, size_t old_size, size_t new_size);

/* ---- runtime environment --------------------------------------------------- */

enum { H_LOOPLESS = 0, H_LOOP = 1, H_DEFERRED = 2 };

typedef struct h_env {
  uv_loop_t loop;
  uv_loop_t *lp; /* NULL: loop-less */
  volt_rt *rt;
  h_alloc alloc;
  volt_config cfg;
  int closed;      /* on_closed calls */
  int errors;      /* on_error calls (when the test did not set its own) */
  int last_error;
  int error_codes[8];
} h_env;

/* Opens a runtime. mode: H_LOOPLESS, H_LOOP (sync flush) or H_DEFERRED.
 * cfg may be NULL; when it has no realloc / on_error the env's own are
 * used. Asserts that volt_rt_new returns 0. */
void h_env_open(h_env *e, int mode, const volt_config *cfg);
/* Closes the runtime and checks the close contract. */
void h_env_close(h_env *e);
/* Runs the loop through at least one full iteration (a ref'd 0 ms timer
 * keeps it alive for one pass), then until it has nothing left to do. */
void h_run_once(uv_loop_t *loop);
/* on_closed callback that counts into an int. */
void h_count_closed(void *ud);

/* ---- boxes (PTR payloads) ---------------------------------------------------- */

#define H_BOXES 512

typedef struct h_box {
  int64_t v;
  int released; /* release hook calls for this box */
  int id;
} h_box;

typedef struct h_pool {
  h_box box[H_BOXES];
  int used;
  int releases;   /* total release calls */
  int bad;        /* release called with a non-PTR or foreign value */
} h_pool;

void h_pool_init(h_pool *p);
h_box *h_box_new(h_pool *p, int64_t v);
/* volt_opts.release with ud = the pool. */
void h_box_release(volt_val v, void *ud);
/* volt_opts.equals comparing box contents (ud unused). */
bool h_box_equals(volt_val a, volt_val b, void *ud);
/* Boxes released other than exactly once; -1 when any was released twice. */
int h_pool_unreleased(const h_pool *p);
int h_pool_overreleased(const h_pool *p);

/* ---- ordering log ------------------------------------------------------------ */

#define H_LOG_MAX 256

typedef struct h_log {
  int n;
  int v[H_LOG_MAX];
} h_log;

void h_log_push(h_log *l, int v);
/* Asserts the log equals the n values given. */
void h_log_expect(const h_log *l, int n, const int *want);

/* ---- threads with a watchdog ------------------------------------------------------ */

/* Runs fn(arg) on a new thread with the given stack size (0: default) and
 * waits at most timeout_s seconds for it. A stack size the system refuses
 * (UV_EINVAL) is retried at PTHREAD_STACK_MIN rounded up to a page, and
 * said so on stderr; *stack_used (may be NULL) gets the size used. If the
 * thread does not finish in time the test fails: in fork mode through
 * ck_abort_msg (the child process dies with the thread), with CK_FORK=no
 * by exiting the whole program with a failure status (a runaway thread
 * cannot be stopped, and it would write into a dead stack frame). */
void h_thread_run(size_t stack_size, void (*fn)(void *), void *arg, unsigned timeout_s,
                  size_t *stack_used);

/* ---- gated work on the thread pool (test_dispatch, test_action) ----------------- */

/* Work that waits at a gate until the test lets it through, so that which
 * work is queued, running or returned is known without timing. The work
 * function (h_gated_work, ud: an h_job) runs on a pool thread: it only
 * records, under the gate's mutex or in its own h_job, and the test reads
 * the records on the loop thread (after wait_started, or after the work
 * returned: libuv orders the pool thread's writes before after_work). */
#define H_GATE_MAX 64

typedef struct h_gate {
  uv_mutex_t mu;
  uv_cond_t cv;
  int started;            /* works that reached the gate */
  int order[H_GATE_MAX];  /* their job ids, in arrival order */
  bool all;               /* every work may pass */
} h_gate;

typedef struct h_job {
  h_gate *g;
  int id;
  bool go;          /* under g->mu: this one may pass */
  bool wait_cancel; /* after the gate, spin until volt_work_cancelled */
  volt_val result;  /* what the work returns (set before dispatch) */
  /* written by the work */
  int ran;
  bool saw_cancel;  /* volt_work_cancelled after the gate */
  int stamp_tag;
  int64_t stamp_int;
  char text[64];    /* a PTR stamp's string, or an ERR stamp's message */
} h_job;

void h_gate_init(h_gate *g);
void h_gate_destroy(h_gate *g);
/* Lets job j (or, j NULL, every work from now on) through the gate. */
void h_gate_open(h_gate *g, h_job *j);
/* Waits (blocking this thread) until n works reached the gate. */
void h_gate_wait(h_gate *g, int n);
int h_gate_started(h_gate *g);
void h_job_init(h_job *j, h_gate *g, int id, volt_val result);
/* The work function: see h_gate. */
volt_val h_gated_work(volt_work *w, void *ud);
/* The thread pool's size as libuv sees it (UV_THREADPOOL_SIZE, default 4). */
int h_pool_size(void);

/* ---- graph fixtures shared by several suites ----------------------------------- */

/* An effect that reads one node and counts its runs; `seen` is the value it
 * read last (borrowed: valid while src holds that value). */
typedef struct h_eff1 {
  volt_node *src;
  int runs;
  volt_val seen;
} h_eff1;
void h_eff1_fn(void *ud);

/* A computed k * a + b (b may be NULL) that counts its runs. */
typedef struct h_lin {
  volt_node *a, *b;
  int64_t k;
  int runs;
} h_lin;
volt_val h_lin_fn(void *ud);

/* A watcher callback that records its calls and the last old/now (borrowed);
 * bad_node counts calls for another node than n (n NULL: any node). */
typedef struct h_wrec {
  int calls;
  volt_node *n;
  volt_val old, now;
  int bad_node;
} h_wrec;
void h_wrec_cb(volt_node *n, volt_val old, volt_val now, void *ud);

/* A computed's fn: volt_get(ud) + 1, ud being a node; an ERR passes through. */
volt_val h_chain_fn(void *ud);

/* Disposal in the middle of a read (test_owner, test_internals): signals
 * src = 1 and b = 5, a computed `a` of src (its fn is the test's), and a
 * computed `reader` that reads a and b. */
typedef struct h_dr {
  volt_node *src, *a, *b, *reader;
  int reader_runs;
} h_dr;
/* reader = b + a, reading b first (a counts 0 when it is not an INT). */
volt_val h_dr_reader_b_first(void *ud);
/* Builds the graph with the given fns; asserts reader == 15 and 3 edges. */
void h_dr_build(h_env *e, h_dr *d, volt_val (*a_fn)(void *), volt_val (*reader_fn)(void *));
/* src = 2 and b = 6 in one batch, then a read of the reader: it re-runs (b
 * changed) and meets a, stale, as its next dependency. Asserts 2 runs. */
void h_dr_write_both_and_read(h_env *e, h_dr *d);

/* An effect observing one token (test_tokens, test_internals): every read,
 * and the invariants of volt/token.h (an error only while FAILED, an ack
 * only while PENDING) counted in `bad`. */
typedef struct h_obs {
  volt_node *tok;
  int runs;
  int status;
  int err;
  char msg[64];
  volt_ack ack;
  volt_val stamp;
  int bad;
} h_obs;
void h_obs_fn(void *ud);
/* Starts observing tok (asserts the effect ran once); returns the effect. */
volt_node *h_observe(h_obs *o, volt_rt *rt, volt_node *tok);

/* ---- volt_dump_dot output (test_signals, test_reentry) ------------------------- */

/* The vertex id of the node named `name`: the first word of the first
 * vertex line (a line without "->") that mentions name. Pick names that
 * appear nowhere else in the output. False if none (or longer than cap). */
bool h_dot_vertex_id(const char *dot, const char *name, char *id, size_t cap);
/* True when dot has an arc from the vertex named `from` to the vertex named
 * `to` (dependency -> reader); only the ids are assumed to be DOT words. */
bool h_dot_has_arc(const char *dot, const char *from, const char *to);

/* ---- misc ---------------------------------------------------------------------- */

/* Reads an int value (asserts the tag). */
int64_t h_int(volt_val v);
volt_stats_t h_stats(volt_rt *rt);
/* Adds the standard tcase (timeout), returns it. */
TCase *h_tcase(Suite *s, const char *name);
/* Runs the suite (CK_ENV), returns the process exit status. */
int h_run(Suite *s);

#endif /* VOLT_TESTS_HARNESS_H */
