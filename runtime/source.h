/* runtime/source.h - what the event sources over libuv handles share
 * (source.c), and the record each one starts with.
 *
 * A source is an event of its own kind (tokens/tokens.h, "event-like
 * kinds"): tokens see every occurrence, effects read the latest payload.
 * Its kind's ops tie the libuv handle to the graph:
 *
 *  - watched (first subscriber): the handle is started; a failure to start
 *    becomes one VOLT_ERR occurrence, fired from a ref'd zero-timeout timer
 *    of the record (`kick`): nothing may be fired from inside the link that
 *    called the op, and the loop must turn for it even when nothing else
 *    keeps it alive;
 *  - unwatched (last subscriber left): the handle is stopped;
 *  - dispose: the handles (its own, and the kick if it was made) are closed
 *    with uv_close; the record is freed in the last close callback, and each
 *    callback tells the runtime (volt__rt_handle_closed), so that
 *    volt_rt_close calls on_closed only after every source's handles have
 *    closed.
 *
 * Invariants: `ready` is set once the constructor has finished (before it,
 * the dispose op leaves the record to the constructor); `node` is NULL from
 * the disposal on, and the handle's callbacks then fire nothing; every handle
 * of a record (its own, the kick) is counted in rt->open_handles from
 * uv_*_init to its close callback; `closing` counts the close callbacks the
 * record still waits for.
 *
 * Internal to runtime/.
 */
#ifndef VOLT_RUNTIME_SOURCE_H
#define VOLT_RUNTIME_SOURCE_H

#include "runtime/rt.h"
#include "tokens/tokens.h"

typedef struct volt__source {
  volt_rt *rt;
  volt_node *node;     /* the event node; NULL once disposed */
  size_t size;         /* bytes of the whole record (volt__free) */
  bool ready;          /* the constructor finished */
  bool running;        /* started by the watched op, not stopped since */
  uv_handle_t *handle; /* the handle the record owns (inside it); NULL: none */
  uv_timer_t kick;     /* fires a start error (made on the first one) */
  int kick_code;       /* the start error waiting for the kick; 0: none */
  bool kick_open;      /* kick initialised (and counted) */
  unsigned closing;    /* close callbacks still to come */
} volt__source;

/* Loop thread. The runtime's core if rt can take a source now: not NULL,
 * this is its loop thread, it has a loop, and close has not begun. NULL
 * otherwise. */
volt__core *volt__source_core(volt_rt *rt);

/* Loop thread. A zeroed record of `size` bytes (the volt__source first),
 * from the runtime's allocator. NULL on allocation failure. */
void *volt__source_alloc(volt_rt *rt, size_t size);

/* Loop thread. Makes the node of kind `kind` for the record s (allocated
 * with volt__source_alloc, its handle not initialised yet), with `release`
 * (may be NULL) for the PTR payloads it will fire; the release hook's ud is
 * the core. On failure the record is freed and NULL returned. */
volt_node *volt__source_node(volt_rt *rt, volt__source *s, volt__kind *kind,
                             void (*release)(volt_val v, void *ud));

/* Loop thread. The handle inside s was initialised (init_rc 0): s is ready
 * and counted until its close callback. init_rc < 0: the node is disposed
 * and the record freed. Returns the node, or NULL. */
volt_node *volt__source_ready(volt__source *s, int init_rc);

/* Loop thread. The source's record, NULL if n's kind did not make one. */
volt__source *volt__source_of(volt__core *c, volt_node *n);

/* Loop thread. Starting the handle failed with `code` (watched op): one
 * occurrence volt_err(code) is fired from the kick timer, on the next turn
 * of the loop. */
void volt__source_start_failed(volt__source *s, int code);

/* Loop thread. The source is disposed: its handles (own, kick) are closed,
 * the last close callback frees the record. True when there was no handle
 * to close: the caller frees the record. */
bool volt__source_close(volt__source *s);

/* Loop thread. The dispose op of the sources that own their handle: frees
 * the event's part, then volt__source_close. */
void volt__source_dispose(volt__core *c, volt_node *n);

/* Loop thread. Fires one occurrence of a live source (volt__event_fire);
 * a PTR payload's ownership moves to the node. Errors that have no caller
 * (a libuv callback fired it) go to on_error: VOLT_ENOMEM (the occurrence
 * was dropped); VOLT_ELOOP was reported by the flush already. */
void volt__source_fire(volt__source *s, volt_val payload);

#endif /* VOLT_RUNTIME_SOURCE_H */
