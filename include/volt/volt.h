/* volt/volt.h - the one public header of volt, a reactive runtime for libuv.
 *
 * A runtime (volt_rt) lives on one libuv loop thread. On it a small signal
 * graph - signals, computeds, effects, watchers - propagates every change
 * glitch-free; tokens (volt/token.h parts below) follow asynchronous
 * operations from requested to acknowledged or failed.
 *
 * Thread affinity: every function is loop-thread-only unless its comment says
 * "any thread". A loop-only call made from another thread returns
 * VOLT_ETHREAD (constructors return NULL, volt_get/volt_peek return a
 * VOLT_ERR value with that code) and changes nothing.
 *
 * Ownership: nodes belong to the owner (effect, scope or computed) that was
 * running when they were created, or to the runtime; volt_dispose frees a
 * node and everything it owns. The user never frees a node with free().
 */
#ifndef VOLT_VOLT_H
#define VOLT_VOLT_H

#include <uv.h>

#include "graph.h"
#include "token.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VOLT_VERSION_MAJOR 0
#define VOLT_VERSION_MINOR 1
#define VOLT_VERSION_PATCH 0

/* ------------------------------------------------------------------------
 * Runtime (runtime/): the parts that need a libuv loop
 * ------------------------------------------------------------------------ */

/* Creates a runtime on `loop` (not owned; the host runs it) or, with a NULL
 * loop, a loop-less runtime that flushes synchronously and has no uv
 * handles. `cfg` may be NULL; a zero-filled config means all defaults. The
 * calling thread becomes the runtime's loop thread. Returns 0 and sets *out,
 * or VOLT_EINVAL (NULL out, deferred without a loop), VOLT_ENOMEM, or a
 * libuv error from initialising handles; *out is untouched on error. */
VOLT_EXTERN int volt_rt_new(volt_rt **out, uv_loop_t *loop, const volt_config *cfg);

/* Loop thread. Closes the runtime: disposes the whole graph (running cleanups
 * and release hooks), closes the runtime's own uv handles and calls
 * on_closed(ud) (may be NULL) from the loop once they are closed; a loop-less
 * runtime calls it before returning. After the host's uv_run returns,
 * uv_loop_close succeeds. Called from a callback volt makes (effect,
 * computed, watcher, scope or untracked body, cleanup, release hook,
 * on_error, a token's on), the close happens when the outermost volt call
 * returns. Calling it twice before the close happened, or from another
 * thread, does nothing. The runtime's memory is freed after on_closed has run
 * and the last volt_rt_release has happened (a loop-less runtime: when the
 * close happens; do not call it again after that). */
VOLT_EXTERN void volt_rt_close(volt_rt *rt, void (*on_closed)(void *ud), void *ud);

/* Any thread. Keeps the runtime's memory alive for a thread that will ack or
 * emit, and keeps the loop alive (like a ref'd handle) until the matching
 * volt_rt_release, so that what the thread acks or emits meanwhile is never
 * lost because uv_run returned first. Called on the loop thread (before the
 * thread starts: the safe way) the loop is held at once; from another
 * thread, from the loop's next wake-up (it must then be running). 0, or
 * VOLT_ECLOSING once close has begun (nothing held), or VOLT_EINVAL. */
VOLT_EXTERN int volt_rt_acquire(volt_rt *rt);
/* Any thread. Drops a reference taken by volt_rt_acquire; when the last one
 * goes, the loop is no longer held (after everything the threads queued
 * before their release has been applied). NULL, or no hold outstanding (a
 * release without its acquire): nothing. */
VOLT_EXTERN void volt_rt_release(volt_rt *rt);

/* The loop the runtime was created on (NULL for loop-less). Any thread. */
VOLT_EXTERN uv_loop_t *volt_rt_loop(volt_rt *rt);

/* ------------------------------------------------------------------------
 * Event sources over libuv handles (runtime/)
 *
 * Each source is an event node (volt/token.h): tokens see every occurrence,
 * effects and computeds read the latest payload (NIL before the first), and
 * watchers are called once per flush in which it fired. It is owned like any
 * node (by the current owner, or the runtime) and cannot be emitted to
 * (volt_emit and volt_emit_async return VOLT_EINVAL).
 *
 * Its libuv handle runs only while the source is watched: the first
 * subscriber (an effect or computed reading it, a watcher, a token) starts
 * it, the last one leaving stops it. While it runs it keeps the loop alive
 * as the handle it wraps would (a repeating timer keeps uv_run running); a
 * source nobody watches never does. Disposing the source (or its owner, or
 * volt_rt_close) closes its handle; volt_rt_close calls on_closed once the
 * handles have closed. If the handle cannot be started when the source
 * becomes watched, the source fires one occurrence volt_err(code) with
 * libuv's error on the next turn of the loop (from a ref'd zero-timeout
 * timer: the loop turns for it even if nothing else keeps it alive).
 *
 * Constructors: loop thread. They return NULL, and change nothing, when rt
 * is NULL, has no loop (a loop-less runtime has no uv handles), is closing,
 * or is called from another thread; on allocation failure; and on the bad
 * arguments each one lists.
 * ------------------------------------------------------------------------ */

/* The payload of a read source: `len` bytes at `base` (not NUL-terminated).
 * Owned by the source: valid until the flush that follows the next
 * occurrence ends, or the source is disposed; copy what must live longer
 * (a token keeps it with volt_token_opts.copy). */
typedef struct volt_chunk {
  char *base;
  size_t len;
} volt_chunk;

/* The payload of a file source: the name libuv reports for the entry that
 * changed ("" when it gives none; for a watched directory, the name of the
 * entry inside it) and the events, UV_RENAME and/or UV_CHANGE. Owned by the
 * source, as a volt_chunk. */
typedef struct volt_fs_change {
  const char *name;
  int events;
} volt_fs_change;

/* Loop thread. A timer: started (timeout_ms from then, then every repeat_ms;
 * repeat_ms 0: once) when the source becomes watched, stopped when it is no
 * longer watched; watched again, it starts over. Payload: VOLT_INT, the
 * number of ticks since the source was made (1 for the first). */
VOLT_EXTERN volt_node *volt_timer_source(volt_rt *rt, uint64_t timeout_ms, uint64_t repeat_ms);

/* Loop thread. The reads of `stream` (a uv_tcp_t, uv_pipe_t or uv_tty_t of
 * rt's loop, readable, not closing): uv_read_start while watched,
 * uv_read_stop when not. Payloads: each chunk read as a PTR to a volt_chunk
 * owned by the source; the end of the stream as volt_err(UV_EOF); a read
 * error as volt_err(code) (after either, nothing more is read or fired, and
 * the source never touches the stream again); volt_err(UV_ENOBUFS) when no
 * memory could be had for a chunk (reading goes on).
 * The stream stays the user's: the source never closes it and never uses
 * its `data`. Close it only after the source is disposed, or once a
 * subscriber has seen the end or an error. One source per stream, and the
 * user does not read the stream meanwhile. NULL also for a NULL stream, one
 * of another loop, or one that is closing or not readable. */
VOLT_EXTERN volt_node *volt_read_source(volt_rt *rt, uv_stream_t *stream);

/* Loop thread. Changes to the file or directory at `path` (copied), watched
 * with uv_fs_event_start while the source is watched (not recursive).
 * Payloads: a PTR to a volt_fs_change owned by the source for each change
 * libuv reports, volt_err(code) for an error it reports. NULL also for a
 * NULL or empty path, or one that cannot be looked at now (uv_fs_stat
 * fails). */
VOLT_EXTERN volt_node *volt_fs_source(volt_rt *rt, const char *path);

/* Loop thread. Deliveries of the POSIX signal `signum` (uv_signal_start
 * while watched; when the source is not watched and no other handle watches
 * the signal, it has its default action again). Payload: VOLT_INT signum.
 * NULL also for a signal that cannot be caught (0, negative, unknown,
 * SIGKILL, SIGSTOP). */
VOLT_EXTERN volt_node *volt_posix_signal_source(volt_rt *rt, int signum);

/* ------------------------------------------------------------------------
 * Async work on the libuv thread pool (runtime/work.c, runtime/action.c;
 * docs/async.md)
 * ------------------------------------------------------------------------ */

/* One run of work on the thread pool, as the work function sees it. Owned by
 * the runtime; valid while the work function runs. */
typedef struct volt_work volt_work;

/* The work function: runs on a thread of the libuv pool with a `volt_work`
 * and the `ud` given to volt_dispatch or volt_action. It must not call any
 * loop-thread function. Its return value acks the token on the loop thread:
 * a VOLT_ERR value fails it (its message is copied on the pool thread as
 * the work returns: a string literal, or a buffer the work still owns
 * after returning, such as one in `ud`; never the work's own stack frame),
 * anything else succeeds. */
typedef volt_val (*volt_work_fn)(volt_work *w, void *ud);

/* Loop thread. Queues `work(w, ud)` on the libuv thread pool for the pending
 * mint `ack` names (a token's current ack); its return value acks that mint
 * back on the loop thread and the graph is flushed. Work waits in the
 * runtime's own FIFO queue while max_in_flight of the runtime's work items
 * already run on the pool (volt_config.max_in_flight); queued work keeps
 * the loop alive, as any libuv request does.
 * If the mint stops being current first (a CYCLIC token superseded it, the
 * token was acked some other way or disposed, the runtime closed) the
 * result is never applied: work still queued is taken out of the
 * runtime's queue (it never runs) and running work sees
 * volt_work_cancelled. A PTR result of volt_dispatch is never kept or
 * released by the library (plain tokens have no value): return scalars, or
 * use volt_action, whose results are owned.
 * The work's stamp (volt_work_stamp) is taken now and stays valid for the
 * whole run (see there). `ud` is not owned: it must stay valid until the
 * token is acked by this work or the work was cancelled, whichever comes
 * later; the simplest rule is "until the runtime's on_closed".
 * Returns 0; VOLT_EINVAL (NULL work, VOLT_ACK_NONE, a join's ack, a
 * loop-less runtime); VOLT_ESTALE (the ack does not name a pending mint of
 * this runtime: stale, repeated, made up); VOLT_ECLOSING (close has begun);
 * VOLT_EPERM (inside a computed); VOLT_ENOMEM; VOLT_ETHREAD (not the loop
 * thread). On any error nothing is queued and nothing changes. */
VOLT_EXTERN int volt_dispatch(volt_ack ack, volt_work_fn work, void *ud);

/* Any thread (meant for the work function). The stamp of the mint the work
 * answers (volt_token_stamp at dispatch time), valid until the work
 * function returns whatever happens to the token meanwhile (superseded,
 * disposed, runtime closed): scalars are copies; an ERR message is the
 * runtime's own copy; a PTR stamp is a fresh copy made with the token's
 * `copy` hook (released with its `release` hook after the work returns),
 * or, for a token without a copy hook, the token's own borrowed pointer
 * (valid only while the source holds it: give the token a copy hook when
 * work reads PTR stamps). Borrowed: do not keep it past the return. */
VOLT_EXTERN volt_val volt_work_stamp(const volt_work *w);
/* Any thread (meant for the work function). True once the result can no
 * longer be applied (superseded, disposed, timed out, runtime closing):
 * long work may stop early; what it returns is then released, not
 * applied. */
VOLT_EXTERN bool volt_work_cancelled(const volt_work *w);

typedef struct volt_action_opts {
  const char *name; /* copied; shown by volt_dump_dot */
  /* As volt_token_opts.on: which source values are events. */
  bool (*on)(volt_val v, void *ud);
  /* As volt_token_opts.copy and .release, for PTR stamps: with `copy`,
   * every work gets its own copy of its stamp (volt_work_stamp). */
  volt_val (*copy)(volt_val v, void *ud);
  void (*stamp_release)(volt_val v, void *ud);
  /* Releases PTR results, exactly once each: a result replaced by a newer
   * one, discarded (stale, superseded, timed out, the action disposed, the
   * runtime closed), or held when the action is freed. Called on the loop
   * thread. NULL: results are not owned. */
  void (*release)(volt_val v, void *ud);
  void *ud; /* passed to on, copy, stamp_release and release (not to work) */
  /* > 0: a work not returned within timeout_ms of its dispatch fails the
   * token with UV_ETIMEDOUT; the work sees volt_work_cancelled and its late
   * result is released. 0: no timeout. */
  uint64_t timeout_ms;
} volt_action_opts;

/* Loop thread. A token (flags and source as volt_token) that dispatches
 * `work(w, ud)` every time it mints, and acks the mint with the result:
 * a VOLT_ERR result fails the token (the last value stays), any other
 * result becomes the action's value (the version counts them). The token
 * reads (volt_token_status, _ack, _error, _stamp) work on an action;
 * volt_get gives its status. The action belongs to the current owner;
 * disposing it cancels its work. `ud` is not owned (valid until the action
 * is disposed and its last work returned: until on_closed is always
 * enough); opts may be NULL and is copied (but `ud`). NULL on bad arguments
 * (NULL work, see volt_token), a loop-less runtime, close begun, allocation
 * failure or wrong thread. */
VOLT_EXTERN volt_node *volt_action(volt_rt *rt, volt_node *source, unsigned flags,
                                   volt_work_fn work, void *ud, const volt_action_opts *opts);
/* Loop thread. Tracked reads of an action (effects, computeds and watchers
 * follow them, like the token reads):
 *  - value: the last successful result (NIL before the first); borrowed,
 *    valid until the action's next transition has been flushed. Misuse: a
 *    VOLT_ERR value (VOLT_EINVAL, VOLT_ETHREAD).
 *  - version: how many results were applied (>= 0), or VOLT_EINVAL /
 *    VOLT_ETHREAD.
 *  - in_flight: its work not yet returned, superseded work still running
 *    included (>= 0), or VOLT_EINVAL / VOLT_ETHREAD. */
VOLT_EXTERN volt_val volt_action_value(volt_node *action);
VOLT_EXTERN int64_t volt_action_version(volt_node *action);
VOLT_EXTERN int volt_action_in_flight(volt_node *action);

#ifdef __cplusplus
}
#endif
#endif /* VOLT_VOLT_H */
