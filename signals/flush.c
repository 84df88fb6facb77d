/* signals/flush.c - running effects: the queue, rounds and the loop cap,
 * batches, parent-before-child order, and the end-of-flush chores (values
 * waiting to be released, slots of nodes disposed mid-flush).
 */
#include "signals/internal.h"

void volt__report(volt__core *c, int code, const char *msg) {
  if (c->on_error) c->on_error((volt_rt *)c, code, msg, c->on_error_ud);
}

void volt__drain_graves(volt__core *c) {
  /* Release hooks may write (and so queue more graves): index, not pointer. */
  for (uint32_t i = 0; i < c->graves_len; i++) {
    volt__grave g = c->graves[i];
    if (g.v.tag == VOLT_PTR) {
      if (g.release) g.release(g.v, g.ud);
    } else {
      volt__val_drop(c, g.v);
    }
  }
  c->graves_len = 0;
}

void volt__drain_limbo(volt__core *c) {
  uint32_t keep = 0;
  for (uint32_t i = 0; i < c->limbo_len; i++) {
    volt_node *n = c->limbo[i];
    if (n->flags & (VOLT__F_QUEUED | VOLT__F_RUNNING))
      c->limbo[keep++] = n; /* still referenced by the queue or the C stack */
    else
      volt__node_release_slot(c, n);
  }
  c->limbo_len = keep;
}

/* Runs an effect's function, tracking what it reads. Inlined into
 * volt__run_effect and into the flush's loop (one call level and its saved
 * registers fewer for each queued effect). */
static inline __attribute__((always_inline)) void run_effect_body(volt__core *c, volt_node *n) {
  if (n->flags & VOLT__F_OWNS) {
    volt__reset_owner(c, n); /* children disposed, cleanups run */
    if (n->flags & VOLT__F_DISPOSED) return;
  }
  volt__frame fr;
  volt__frame_start(&fr, c, n);
  volt_node *owner = c->owner;
  n->flags = (n->flags & ~(VOLT__F_DIRTY | VOLT__F_PENDING)) | VOLT__F_RUNNING;
  c->frame = &fr;
  volt__frame *outer = volt__tls_frame;
  volt__tls_frame = &fr;
  c->owner = n;
  c->running++;
  n->u.f.fn.run(n->u.f.ud);
  c->running--;
  volt__tls_frame = outer;
  c->owner = owner;
  c->frame = fr.prev;
  n->flags &= ~VOLT__F_RUNNING;
  c->effect_runs++;
  if (fr.nx) volt__trim_deps(c, n, fr.tail); /* what the run no longer read */
  if (fr.oom) {
    volt__report(c, VOLT_ENOMEM, "out of memory: an effect's dependency was not recorded");
    n->flags |= VOLT__F_DIRTY;
    volt__enqueue(c, n);
  }
  if (n->flags & VOLT__F_DISPOSED) volt__finish_dispose(c, n);
}

VOLT__NO_SLP void volt__run_effect(volt__core *c, volt_node *n) { run_effect_body(c, n); }


/* Is the queued effect n (flags word f) to run? A pending one checks its
 * dependencies; one that is not stale after all loses its PENDING mark.
 * False for an effect disposed meanwhile. */
static inline bool effect_stale(volt__core *c, volt_node *n, uint32_t f) {
  if ((f & VOLT__F_DIRTY) || ((f & VOLT__F_PENDING) && volt__check_dirty(c, n)))
    return !(n->flags & VOLT__F_DISPOSED);
  n->flags &= ~VOLT__F_PENDING;
  return false;
}

/* Runs one queued node if it is still stale. */
static void process(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  switch (VOLT__KIND(n)) {
  case VOLT__K_EFFECT:
    if (effect_stale(c, n, f)) volt__run_effect(c, n);
    break;
  case VOLT__K_WATCHER:
    volt__watcher_run(c, n);
    break;
  default: {
    /* Kinds from other layers: the marks are cleared first, then run(n). */
    const volt__kind_ops *ops = c->ops[VOLT__KIND(n)];
    n->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
    if (ops && ops->run) ops->run(n);
    break;
  }
  }
}

/* Effects run parent first: before n, run any queued ancestor (which may
 * dispose n). */
static void run_queued(volt__core *c, volt_node *n) {
  for (;;) {
    if (n->flags & VOLT__F_DISPOSED) return;
    if (!c->queued_owner) break;
    volt_node *top = NULL;
    for (volt_node *a = volt__owner_of(c, n); a; a = volt__owner_of(c, a))
      if (a->flags & VOLT__F_QUEUED) top = a;
    if (!top) break;
    top->flags &= ~VOLT__F_QUEUED;
    process(c, top);
  }
  process(c, n);
}

/* One flush: rounds of queued effects (each round runs what was queued
 * before it began); watchers wait until the effect queue is empty, so they
 * see settled values; then the values replaced during the flush are
 * released and the slots of nodes disposed during it are freed. */
VOLT__NO_SLP int volt__flush(volt__core *c) {
  if (c->flushing) return 0;
  c->flushing = true;
  int rc = 0;
  unsigned rounds = 0;
  if (c->resync) volt__resync(c);
  if (c->defer_len) volt__run_deferred(c);
  for (;;) {
    if (c->queue_head < c->queue_len) {
      if (++rounds > c->max_rounds) {
        rc = VOLT_ELOOP;
        break;
      }
      uint32_t end = c->queue_len;
      for (; c->queue_head < end; c->queue_head++) {
        volt_node *n = c->queue[c->queue_head];
        uint32_t f = n->flags;
        if ((f & (VOLT__F_QUEUED | VOLT__K_MASK | VOLT__F_DISPOSED)) ==
                (VOLT__F_QUEUED | VOLT__K_EFFECT) &&
            !c->queued_owner) {
          /* The common case, process() inline: a live effect, and no
           * queued node has children (so none is another's ancestor). */
          n->flags = f &= ~VOLT__F_QUEUED;
          if (effect_stale(c, n, f)) run_effect_body(c, n);
          continue;
        }
        if (!(f & VOLT__F_QUEUED)) continue;
        if (VOLT__KIND(n) == VOLT__K_WATCHER) {
          if (c->wq_len == c->wq_cap &&
              volt__grow(c, (void **)&c->wq, &c->wq_cap, c->wq_len + 1, sizeof(volt_node *))) {
            n->flags &= ~VOLT__F_QUEUED;
            process(c, n); /* no room to wait: run it now */
            continue;
          }
          c->wq[c->wq_len++] = n; /* stays QUEUED until its turn */
          continue;
        }
        n->flags &= ~VOLT__F_QUEUED;
        run_queued(c, n);
      }
    } else if (c->wq_len) {
      if (++rounds > c->max_rounds) {
        rc = VOLT_ELOOP;
        break;
      }
      for (uint32_t i = 0; i < c->wq_len; i++) {
        volt_node *n = c->wq[i];
        if (!(n->flags & VOLT__F_QUEUED)) continue;
        n->flags &= ~VOLT__F_QUEUED;
        process(c, n);
      }
      c->wq_len = 0;
    } else {
      break;
    }
  }
  if (rc == 0) {
    c->queue_len = c->queue_head = 0;
    c->queued_owner = false;
    goto done;
  }
  /* After VOLT_ELOOP, keep what is still queued for the next flush. */
  uint32_t keep = 0;
  for (uint32_t i = c->queue_head; i < c->queue_len; i++) {
    volt_node *n = c->queue[i];
    if ((n->flags & VOLT__F_QUEUED) && !(n->flags & VOLT__F_DISPOSED))
      c->queue[keep++] = n;
    else
      n->flags &= ~VOLT__F_QUEUED;
  }
  c->queue_len = keep;
  c->queue_head = 0;
  /* Watchers that were waiting for the effects go back in the queue. */
  for (uint32_t i = 0; i < c->wq_len; i++) {
    volt_node *n = c->wq[i];
    if (!(n->flags & VOLT__F_QUEUED)) continue;
    n->flags &= ~VOLT__F_QUEUED;
    volt__enqueue(c, n); /* out of memory: resync finds it at the next flush */
  }
  c->wq_len = 0;
done:
  if (c->graves_len) volt__drain_graves(c);
  c->flushing = false;
  if (c->limbo_len && !volt__busy(c)) volt__drain_limbo(c);
  c->flushes++;
  if (rc == VOLT_ELOOP)
    volt__report(c, VOLT_ELOOP, "effects kept re-triggering: flush stopped at the round cap");
  if (c->close_pending && c->after_flush) c->after_flush((volt_rt *)c);
  return rc;
}

int volt__maybe_flush_slow(volt__core *c) {
  if (c->flushing || volt__busy(c)) return 0;
  if (c->close_pending && c->after_flush) {
    c->after_flush((volt_rt *)c); /* a close requested mid-flush */
    return 0;
  }
  if (c->batch || c->closing) return 0;
  if (c->deferred) {
    /* With nothing queued that could still report them, replaced values
     * are released now rather than at the next flush. */
    if (c->graves_len && !c->queue_len) volt__drain_graves(c);
    if (c->limbo_len) volt__drain_limbo(c);
    if ((c->queue_len || c->graves_len || c->resync || c->defer_len) && c->schedule)
      c->schedule((volt_rt *)c);
    return 0;
  }
  if (!c->queue_len && !c->graves_len && !c->limbo_len && !c->resync) return 0;
  return volt__flush(c);
}

VOLT__INLINE_API int volt_batch_begin(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  c->batch++;
  return 0;
}

VOLT__INLINE_API int volt_batch_end(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  if (!c->batch) return VOLT_EINVAL;
  if (--c->batch) return 0;
  return volt__maybe_flush(c);
}

volt_node *volt_effect(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return NULL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, NULL);
  volt_node *n = volt__node_new(c, VOLT__K_EFFECT, NULL);
  if (!n) return NULL;
  n->u.f.fn.run = fn;
  n->u.f.ud = ud;
  volt__run_effect(c, n);
  bool gone = (n->flags & VOLT__F_DISPOSED) || VOLT__KIND(n) == VOLT__K_FREE;
  volt__maybe_flush(c);
  return gone ? NULL : n;
}
