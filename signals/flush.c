/* signals/flush.c - running what the marks queued: the queue, rounds and
 * their cap, watchers after the effects settle, parent-before-child order,
 * batches, and the end of a flush (values released, the limbo freed).
 *
 * A flush starts only at the outermost level: never while user code or a
 * walk is on the stack (c->depth), never inside another flush or a batch.
 * The one exception is the body of a scope or untracked block with nothing
 * but such bodies below it (c->open): a write there flushes as it would at
 * the top level (the limbo and a requested close wait for depth 0).
 * Whatever user code writes meanwhile is marked and queued, and runs in the
 * flush that follows (or in the next round of the running one).
 */
#include "signals/internal.h"

/* cfg->on_error is user code like any other: entered through volt__enter
 * (untracked, no owner; the depth makes a volt_rt_close it calls wait for
 * the end of the call that reported, which completes it). */
void volt__report(volt__core *c, int code, const char *msg) {
  if (!c->on_error) return;
  volt__context saved;
  volt__enter(c, &saved, (volt__context){NULL, NULL, c->cx.computing});
  c->on_error((volt_rt *)(void *)c, code, msg, c->on_error_ud);
  volt__leave(c, &saved);
}

void volt__enqueue(volt__core *c, volt_node *n) {
  if (n->flags & (VOLT__F_QUEUED | VOLT__F_DISPOSED)) return;
  if (n->flags & VOLT__F_OWNS) c->queued_owner = true;
  if (VOLT__PUSH(c, c->queue, n)) {
    c->resync = true; /* the next flush finds it again */
    volt__report(c, VOLT_ENOMEM, "out of memory: a listener could not be queued");
    return;
  }
  n->flags |= VOLT__F_QUEUED;
}

/* After a lost mark or queue entry: every listener runs its check again
 * and every derived value is recomputed on its next read. */
void volt__resync(volt__core *c) {
  c->resync = false;
  for (uint32_t s = 0; s < c->nslabs; s++) {
    volt_node *slab = c->slabs[s].nodes;
    for (uint32_t i = 0; i < VOLT__SLAB_NODES; i++) {
      volt_node *n = &slab[i];
      if ((n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE) continue;
      if (n->flags & VOLT__F_LISTENER) {
        n->flags |= VOLT__F_DIRTY; /* a running one runs again after this run */
        volt__enqueue(c, n);
      } else if (n->deps && volt__kind_of(n)->update) {
        n->flags |= VOLT__F_DIRTY;
      }
    }
  }
}

void volt__drain_graves(volt__core *c) {
  /* Release hooks may write, and so add graves: by index. */
  for (uint32_t i = 0; i < c->graves.len; i++) {
    volt__grave g = c->graves.at[i];
    if (g.v.tag == VOLT_PTR) {
      volt_val v = g.v;
      v.flags = 0;
      if (g.release) g.release(v, g.ud);
    } else {
      volt__val_drop(c, g.v);
    }
  }
  c->graves.len = 0;
}

/* Runs a queued listener, its queued owners first (an owner's run may
 * dispose it). Only when a queued node owns others can one be another's
 * ancestor (c->queued_owner). */
static void run_listener(volt__core *c, volt_node *n) {
  while (c->queued_owner) {
    if (n->flags & VOLT__F_DISPOSED) return;
    volt_node *top = NULL;
    for (volt_node *a = volt__owner_of(c, n); a; a = volt__owner_of(c, a))
      if (a->flags & VOLT__F_QUEUED) top = a;
    if (!top) break;
    top->flags &= ~VOLT__F_QUEUED;
    volt__kind_of(top)->run(c, top);
  }
  if (!(n->flags & VOLT__F_DISPOSED)) volt__kind_of(n)->run(c, n);
}

/* One round: everything queued before it began. LATE listeners (watchers)
 * wait in `later` until no effect is left. */
static void run_round(volt__core *c) {
  uint32_t end = c->queue.len;
  for (; c->queue_head < end; c->queue_head++) {
    volt_node *n = c->queue.at[c->queue_head];
    if (!(n->flags & VOLT__F_QUEUED)) continue;
    if ((volt__kind_of(n)->traits & VOLT__KIND_LATE) && VOLT__PUSH(c, c->later, n) == 0) continue;
    n->flags &= ~VOLT__F_QUEUED;
    run_listener(c, n);
  }
  if (c->queue_head == c->queue.len) {
    c->queue_head = c->queue.len = 0;
    c->queued_owner = false;
  }
}

static void run_later(volt__core *c) {
  for (uint32_t i = 0; i < c->later.len; i++) {
    volt_node *n = c->later.at[i];
    if (!(n->flags & VOLT__F_QUEUED)) continue;
    n->flags &= ~VOLT__F_QUEUED;
    if (!(n->flags & VOLT__F_DISPOSED)) volt__kind_of(n)->run(c, n);
  }
  c->later.len = 0;
}

/* After VOLT_ELOOP: what is still queued stays for the next flush. */
static void keep_queued(volt__core *c) {
  uint32_t keep = 0;
  for (uint32_t i = c->queue_head; i < c->queue.len; i++) {
    volt_node *n = c->queue.at[i];
    if (n->flags & VOLT__F_QUEUED) c->queue.at[keep++] = n;
  }
  c->queue.len = keep;
  c->queue_head = 0;
  for (uint32_t i = 0; i < c->later.len; i++) {
    volt_node *n = c->later.at[i];
    if (!(n->flags & VOLT__F_QUEUED)) continue;
    n->flags &= ~VOLT__F_QUEUED;
    volt__enqueue(c, n);
  }
  c->later.len = 0;
}

int volt__flush(volt__core *c) {
  if (c->flushing || c->depth != c->open) return 0;
  c->flushing = true;
  int rc = 0;
  unsigned rounds = 0;
  for (;;) {
    if (c->resync) volt__resync(c);
    if (c->defer.len) volt__run_deferred(c);
    if (c->queue_head < c->queue.len || c->later.len) {
      if (++rounds > c->max_rounds) {
        rc = VOLT_ELOOP;
        keep_queued(c);
        break;
      }
      if (c->queue_head < c->queue.len)
        run_round(c);
      else
        run_later(c);
      continue;
    }
    /* Settled: the values replaced meanwhile go. Their release hooks may
     * write: then there is another round. While a listener could not be
     * queued (resync), a watcher may still hold one of them: they wait. */
    if (c->resync && ++rounds <= c->max_rounds) continue; /* find the marks again */
    if (!c->graves.len || c->resync) break;
    volt__drain_graves(c);
  }
  /* After VOLT_ELOOP a watcher may still be waiting with a value of the
   * graves: they wait for a flush that settles. */
  if (!c->resync && rc == 0) volt__drain_graves(c);
  c->flushing = false;
  c->flushes++;
  if (rc == VOLT_ELOOP)
    volt__report(c, VOLT_ELOOP, "effects kept re-triggering: flush stopped at the round cap");
  if (!c->depth) volt__limbo_drain(c);
  /* A close requested meanwhile happens now: nothing may touch c after. */
  /* Not for a read that flushes (pinned): it completes the close itself
   * when it ends, after its last look at the node. */
  if (c->close_pending && c->after_flush && !c->depth && !c->pinned) c->after_flush(c);
  return rc;
}

int volt__flush_if_allowed(volt__core *c) {
  if (c->depth != c->open || c->flushing || c->batch || c->closing) return 0;
  if (c->close_pending) {
    if (c->depth || c->pinned) return 0; /* it happens when the body or read returns */
    if (c->after_flush) c->after_flush(c);
    return 0;
  }
  if (c->deferred) {
    /* With nothing queued that could still show them, replaced values go
     * now rather than at the next flush. */
    if (c->graves.len && c->queue_head == c->queue.len && !c->later.len && !c->resync)
      volt__drain_graves(c);
    if (volt__has_work(c) && c->schedule) c->schedule(c);
    return 0;
  }
  return volt__has_work(c) ? volt__flush(c) : 0;
}

int volt__maybe_flush_slow(volt__core *c) {
  /* A flush, or a close waiting for one, ends the call: it drained the
   * limbo itself, and c may be gone after it. */
  if (!c->batch && !c->closing && (c->close_pending || (!c->deferred && volt__has_work(c))))
    return volt__flush_if_allowed(c);
  int rc = volt__flush_if_allowed(c);
  volt__limbo_drain(c);
  return rc;
}

/* ---- public ------------------------------------------------------------------------ */

int volt_batch_begin(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  c->batch++;
  return 0;
}

int volt_batch_end(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  if (!c->batch) return VOLT_EINVAL;
  if (--c->batch) return 0;
  return volt__maybe_flush(c);
}

int volt_flush(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  if (c->depth != c->open || c->flushing || c->closing) return 0;
  if (c->before_flush) c->before_flush(c);
  return volt__flush(c); /* c may be gone after it (a close it ran) */
}
