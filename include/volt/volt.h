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

/* Closes the runtime: disposes the whole graph (running cleanups and release
 * hooks), closes the runtime's own uv handles and calls on_closed(ud) (may be
 * NULL) from the loop once they are closed; a loop-less runtime calls it
 * before returning. After the host's uv_run returns, uv_loop_close succeeds.
 * Called during a flush, the close happens when the flush ends. Calling it
 * twice, or from another thread, does nothing. The runtime's memory is freed
 * after on_closed has run and the last volt_rt_release has happened. */
VOLT_EXTERN void volt_rt_close(volt_rt *rt, void (*on_closed)(void *ud), void *ud);

/* Any thread. Keeps the runtime's memory alive for a thread that will ack or
 * emit: 0, or VOLT_ECLOSING once close has begun. Pair with volt_rt_release. */
VOLT_EXTERN int volt_rt_acquire(volt_rt *rt);
/* Any thread. Drops a reference taken by volt_rt_acquire. */
VOLT_EXTERN void volt_rt_release(volt_rt *rt);

/* The loop the runtime was created on (NULL for loop-less). Any thread. */
VOLT_EXTERN uv_loop_t *volt_rt_loop(volt_rt *rt);

#ifdef __cplusplus
}
#endif
#endif /* VOLT_VOLT_H */
