/* runtime/inbox.h - the runtime's "post to the loop thread" queue: what
 * other threads post (acks, emits: tokens/ fills the messages) is applied
 * on the loop thread in order.
 *
 * Internal to runtime/. tokens/ reaches it only through core->post. The design is napi's thread-safe function (see docs/tokens.md):
 * a mutex-guarded FIFO and one uv_async_t (unref'd unless volt_rt_acquire
 * holds are counted: volt__inbox_keepalive); a producer appends and
 * calls uv_async_send under the queue lock; close sets a closing flag under
 * the same lock before uv_close, so no send can ever race the close.
 *
 * Items live in chunks allocated with the C library's malloc (and kept for
 * reuse once drained), not with the runtime's allocator hook (the hook must never run concurrently, and the loop thread
 * allocates through it without any lock).
 */
#ifndef VOLT_RUNTIME_INBOX_H
#define VOLT_RUNTIME_INBOX_H

#include "signals/core.h"

/* Loop thread. Creates the inbox (a loop runtime: with its uv_async_t,
 * unref'd). Idempotent: 0 if it already exists. 0, VOLT_ENOMEM or a libuv
 * error. Installs core->before_flush and core->post. */
int volt__inbox_open(volt_rt *rt);
/* Loop thread, at volt_rt_close. Refuses every later push (VOLT_ECLOSING),
 * then closes the async handle; its close callback releases the items still
 * queued (PTR payloads of queued emits through their event's release hook,
 * messages freed) and then calls volt__rt_handle_closed(rt). A loop-less
 * runtime releases them before returning (and calls nothing). Idempotent. */
void volt__inbox_close(volt_rt *rt);
/* Loop thread. true while the inbox has an open uv handle (a loop runtime's
 * inbox between open and the close callback). */
bool volt__inbox_has_handle(volt_rt *rt);
/* Any thread, from volt__rt_free (when the last reference is gone): frees
 * the inbox (its mutex and memory) if the close callback could not (other
 * threads still held references then). Idempotent. */
void volt__inbox_free(volt_rt *rt);
/* Loop thread. Applies every item queued so far, in order, as one batch,
 * without flushing (the caller flushes: volt_flush and the deferred flush
 * call it through core->before_flush first; the async callback flushes after it).
 * A nested call (from a hook run while applying) does nothing. */
void volt__inbox_drain(volt_rt *rt);

/* Any thread. Queues a copy of m (and of m->text; an ERR m->val then
 * points at the copy) for the loop thread. 0, VOLT_ECLOSING (close has
 * begun: nothing queued), VOLT_ENOMEM. Installed as core->post. */
int volt__inbox_post(volt__core *c, const volt__msg *m);

/* Loop thread. Refs the async handle while volt_rt_acquire holds are
 * counted (rt->acquired > 0), unrefs it otherwise (see rt.c). */
void volt__inbox_keepalive(volt_rt *rt);
/* Any thread, holding a reference to the runtime. Wakes the loop (its
 * callback calls volt__inbox_keepalive, then applies the queue); nothing
 * once close has begun. */
void volt__inbox_wake(volt_rt *rt);

#endif /* VOLT_RUNTIME_INBOX_H */
