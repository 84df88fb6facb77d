/* signals/watcher.c - the watcher kind: an explicit subscriber told (old,
 * now) once per flush when its target's settled value changed.
 *
 * A LATE listener: the flush runs it after the effects settle. It keeps
 * the value it last reported, with its own copy of an error's message; a
 * PTR is borrowed (a replaced value is released only when the flush ends,
 * after the watchers ran).
 */
#include "signals/internal.h"

static volt_node *target_of(volt__core *c, volt_node *w) {
  return w->deps ? VOLT__E(c, w->deps)->dep : NULL;
}

static void watcher_run(volt__core *c, volt_node *w) {
  /* A mark was lost (memory ran out): find every mark again first, so the
   * target's value is fresh. */
  if (c->resync) volt__resync(c);
  w->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  volt_node *t = target_of(c, w);
  if (!t || (t->flags & VOLT__F_DISPOSED)) return;
  volt_val now = volt__peek_fresh(c, t), old = volt__stored(w);
  /* Bringing the target up to date ran user code: it may have disposed
   * the watcher or the target. */
  if ((w->flags | t->flags) & VOLT__F_DISPOSED) return;
  if (t->flags & VOLT__F_DIRTY) {
    /* It could not be brought up to date (memory ran out): the watcher is
     * told later, not shown a stale value. */
    c->resync = true;
    return;
  }
  bool same = volt__eq(c, t, old, now);
  /* Keep the current value even when equal: a PTR kept is borrowed, and
   * the old one may be released at the end of this flush. */
  volt__set_value(w, volt__val_own(c, now));
  if (same) {
    volt__val_drop(c, old);
    return;
  }
  volt_val shown = old;
  shown.flags = 0;
  volt__context saved;
  volt__enter(c, &saved, (volt__context){NULL, NULL, false});
  w->flags |= VOLT__F_RUNNING;
  w->u.f.fn.watch(t, shown, now, w->u.f.ud);
  w->flags &= ~VOLT__F_RUNNING;
  volt__leave(c, &saved);
  volt__val_drop(c, old);
  c->effect_runs++;
}

static void watcher_dispose(volt__core *c, volt_node *w) {
  volt__val_drop(c, volt__stored(w));
  volt__set_value(w, volt_nil());
}

volt__kind volt__watcher_kind = {.name = "watcher", .run = watcher_run, .dispose = watcher_dispose,
                               .traits = VOLT__KIND_LATE};

volt_watcher *volt_watch(volt_node *n, volt_watch_fn cb, void *ud) {
  volt__core *c = volt__live(n);
  if (!c || !cb || !(volt__kind_of(n)->traits & VOLT__KIND_VALUE)) return NULL;
  volt_node *w = volt__node_new(c, &volt__watcher_kind, VOLT__F_LISTENER, NULL);
  if (!w) return NULL;
  w->u.f.fn.watch = cb;
  w->u.f.ud = ud;
  c->depth++;
  int rc = volt__link(c, n, w);
  if (rc == 0) {
    volt_val v = volt__peek_fresh(c, n); /* from the settled value */
    /* The target's watched hook or evaluation ran user code: it may have
     * disposed the watcher (then its slot is the limbo's) or the target. */
    if (w->flags & VOLT__F_DISPOSED)
      rc = VOLT_EINVAL;
    else
      volt__set_value(w, volt__val_own(c, v));
  }
  c->depth--;
  if (rc) {
    volt__dispose(c, w);
    volt__maybe_flush(c);
    return NULL;
  }
  volt__maybe_flush(c);
  return (volt_watcher *)w;
}

int volt_unwatch(volt_watcher *wh) {
  volt_node *w = (volt_node *)wh;
  if (!w) return VOLT_EINVAL;
  volt__core *c = volt__core_of(w);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  if ((w->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE || volt__kind_of(w) != &volt__watcher_kind)
    return VOLT_EINVAL;
  volt__dispose(c, w);
  volt__maybe_flush(c);
  return 0;
}
