/* volt/graph.h - the signal graph: signals, computeds, effects, watchers,
 * scopes, batches, and the runtime's configuration and statistics.
 *
 * Included by <volt/volt.h>; compiles on its own, without libuv (the
 * functions that need a loop are in volt/volt.h).
 *
 * Thread affinity: every function is loop-thread-only unless its comment
 * says "any thread". A loop-only call made from another thread returns
 * VOLT_ETHREAD (constructors return NULL, volt_get/volt_peek return a
 * VOLT_ERR value with that code) and changes nothing.
 *
 * Ownership: nodes belong to the owner (effect, scope or computed) that was
 * running when they were created, or to the runtime; volt_dispose frees a
 * node and everything it owns. The user never frees a node with free().
 */
#ifndef VOLT_GRAPH_H
#define VOLT_GRAPH_H

#include <stdio.h>

#include "value.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct volt_rt volt_rt;
typedef struct volt_node volt_node;
typedef struct volt_watcher volt_watcher;

/* ------------------------------------------------------------------------
 * Configuration, flushing, statistics
 * ------------------------------------------------------------------------ */

/* The allocator hook, Lua style: realloc(ud, p, old_size, new_size).
 * new_size == 0 frees p and returns NULL; p == NULL allocates. Returning NULL
 * for new_size > 0 means "out of memory", and volt reports VOLT_ENOMEM. The
 * hook is only ever called on the loop thread or under the runtime's inbox
 * lock, never concurrently. */
typedef void *(*volt_realloc_fn)(void *ud, void *p, size_t old_size, size_t new_size);

typedef struct volt_config {
  /* false (default): writes outside a batch flush synchronously.
   * true: writes during one loop iteration coalesce into one flush, run from
   * an unref'd uv_prepare_t (and uv_check_t). Needs a loop. */
  bool deferred;
  volt_realloc_fn realloc; /* NULL: the C library's realloc/free */
  void *realloc_ud;
  /* Called on the loop thread when a flush stops at the cap (VOLT_ELOOP) and
   * for other errors that have no caller to return to. */
  void (*on_error)(volt_rt *rt, int code, const char *msg, void *ud);
  void *on_error_ud;
  /* Cap on work items in flight on the thread pool; 0: pool size - 1, at
   * least 1. */
  unsigned max_in_flight;
  /* Effect rounds per flush before VOLT_ELOOP; 0: 100. */
  unsigned max_rounds;
} volt_config;

/* Runs a flush now: effects and watchers whose sources changed run until the
 * graph settles. Returns 0, VOLT_ELOOP when stopped at the cap, VOLT_EINVAL
 * (NULL rt) or VOLT_ETHREAD. Inside a running flush it does nothing and
 * returns 0. */
VOLT_EXTERN int volt_flush(volt_rt *rt);

/* The memory model. Every node (signal, computed, effect, watcher, event,
 * token, scope) takes VOLT_NODE_BYTES in the runtime's node slabs and every
 * dependency edge VOLT_EDGE_BYTES in its edge array; user data, names and
 * hooks aside (they live in a separate record made only for nodes that use
 * them). A node made inside an owner also takes one pointer in the owner's
 * list of children. The containers add little: 64 bytes per slab of 1,024
 * nodes, and the edge array's spare capacity (it doubles when full). The
 * library checks both sizes when it is compiled. */
#define VOLT_NODE_BYTES 64
#define VOLT_EDGE_BYTES 32

typedef struct volt_stats_t {
  size_t live_nodes;     /* nodes not yet disposed */
  size_t edges;          /* dependency edges */
  size_t bytes;          /* bytes the runtime holds from its allocator */
  size_t node_bytes;     /* of which node slots (live and free) */
  size_t edge_bytes;     /* of which edge slots (live and free) */
  uint64_t flushes;      /* flushes run */
  uint64_t effect_runs;  /* effect and watcher callbacks run */
  size_t work_in_flight; /* thread-pool work not yet returned */
} volt_stats_t;

/* Fills *s. 0, VOLT_EINVAL or VOLT_ETHREAD. */
VOLT_EXTERN int volt_stats(volt_rt *rt, volt_stats_t *s);

/* Writes the live graph as Graphviz DOT: one vertex per node (name and
 * kind), one arc per edge from dependency to subscriber. 0, VOLT_EINVAL,
 * VOLT_ETHREAD, or UV_EIO when writing fails. */
VOLT_EXTERN int volt_dump_dot(volt_rt *rt, FILE *f);

/* ------------------------------------------------------------------------
 * Signals (signals/)
 * ------------------------------------------------------------------------ */

typedef struct volt_opts {
  const char *name; /* copied; shown by volt_dump_dot */
  /* Equality used for the cutoff; NULL: volt_val_eq. */
  bool (*equals)(volt_val a, volt_val b, void *ud);
  /* Called exactly once for every VOLT_PTR value the node held, when it is
   * replaced or the node is freed. */
  void (*release)(volt_val v, void *ud);
  /* The first subscriber arrives / the last one leaves. */
  void (*watched)(volt_node *n, void *ud);
  void (*unwatched)(volt_node *n, void *ud);
  void *ud; /* passed to the four hooks above */
} volt_opts;

/* A writable source holding `init` (ownership of a PTR moves to the node).
 * `opts` may be NULL. NULL on bad arguments, allocation failure (init is
 * then released) or wrong thread. */
VOLT_EXTERN volt_node *volt_signal(volt_rt *rt, volt_val init, const volt_opts *opts);

/* A lazy, cached derived value: fn(ud) runs when the node is read or
 * observed and a dependency really changed. fn's reads are tracked. The
 * result's ownership moves to the node. Like an effect, it owns what fn
 * creates (and its cleanups): disposed before it re-runs. NULL on failure. */
VOLT_EXTERN volt_node *volt_computed(volt_rt *rt, volt_val (*fn)(void *ud), void *ud,
                                     const volt_opts *opts);

/* An eager watcher: fn(ud) runs now (even inside a batch) and after every
 * flush in which something it read changed. Owns what fn creates; those are
 * disposed (last created first) before each re-run. NULL on failure. */
VOLT_EXTERN volt_node *volt_effect(volt_rt *rt, void (*fn)(void *ud), void *ud);

/* Writes a signal. Ownership of a PTR value moves to the node: if it equals
 * the current value the new one is released at once (unless it is the very
 * same pointer) and nothing is notified. Returns 0, or VOLT_EINVAL (not a
 * signal; v is released by the caller's own means), VOLT_EPERM (inside a
 * computed; v is released), VOLT_ENOMEM (the node holds a PTR with a
 * release hook and no room could be made for it to wait for the end of
 * the flush: nothing changed, v is released), VOLT_ELOOP (the flush it ran
 * hit the cap; the write itself happened), VOLT_ETHREAD (nothing
 * happened). */
VOLT_EXTERN int volt_set(volt_node *n, volt_val v);

/* Tracked read: inside a computed or effect the reader now depends on n.
 * A computed that reads itself gets volt_err(VOLT_ECYCLE, ...). The value is
 * borrowed (a PTR stays owned by the node). */
VOLT_EXTERN volt_val volt_get(volt_node *n);
/* Untracked read; otherwise like volt_get. */
VOLT_EXTERN volt_val volt_peek(volt_node *n);

/* Batches nest; effects and watchers run when the outermost batch ends.
 * begin returns 0, VOLT_EINVAL (NULL rt) or VOLT_ETHREAD; end returns the
 * flush's result (0, VOLT_ELOOP), VOLT_EINVAL when no batch is open or rt
 * is NULL, or VOLT_ETHREAD. */
VOLT_EXTERN int volt_batch_begin(volt_rt *rt);
VOLT_EXTERN int volt_batch_end(volt_rt *rt);

/* Calls cb(n, old, now, ud) once per flush in which n's settled value
 * changed (old: value before the flush; now: after). Keeps n observed. The
 * values are borrowed for the duration of the call. NULL on failure. */
typedef void (*volt_watch_fn)(volt_node *n, volt_val old, volt_val now, void *ud);
VOLT_EXTERN volt_watcher *volt_watch(volt_node *n, volt_watch_fn cb, void *ud);
/* Stops and frees a watcher. 0, VOLT_EINVAL or VOLT_ETHREAD. */
VOLT_EXTERN int volt_unwatch(volt_watcher *w);

/* Runs fn(ud) once with a new owner, and returns that owner: everything fn
 * creates belongs to it until volt_dispose(scope). Made inside an effect's
 * or computed's function, the scope passes on what fn reads: that effect or
 * computed runs again when one of those values changes. Made anywhere else,
 * fn runs untracked. */
VOLT_EXTERN volt_node *volt_scope(volt_rt *rt, void (*fn)(void *ud), void *ud);

/* Registers fn(ud) on the current owner (the running effect, computed or
 * scope, or the runtime outside any): it runs before the owner re-runs and
 * when it is disposed, last registered first. 0, VOLT_ENOMEM, VOLT_ETHREAD. */
VOLT_EXTERN int volt_on_cleanup(volt_rt *rt, void (*fn)(void *ud), void *ud);

/* Disposes n and everything it owns (children last-created first, then
 * cleanups, then release hooks). Safe during a flush, even on the running
 * effect. Afterwards n must not be used. NULL or wrong thread: nothing. */
VOLT_EXTERN void volt_dispose(volt_node *n);

/* Loop thread. The runtime a node belongs to (it is found through the
 * node's flags word, which the loop thread writes: another thread that needs
 * the runtime should be handed the volt_rt pointer, kept alive with
 * volt_rt_acquire). NULL for NULL, and from any other thread. */
VOLT_EXTERN volt_rt *volt_node_rt(volt_node *n);
/* The node's name ("" when it has none). The string is owned by the node. */
VOLT_EXTERN const char *volt_node_name(volt_node *n);

/* Reads outside any tracking context for the duration of fn(ud): reads are
 * not tracked by the running computed or effect. */
VOLT_EXTERN void volt_untrack(volt_rt *rt, void (*fn)(void *ud), void *ud);

#ifdef __cplusplus
}
#endif
#endif /* VOLT_GRAPH_H */
