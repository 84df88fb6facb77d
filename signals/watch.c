/* signals/watch.c - watchers: explicit subscribers told (old, now) once per
 * flush when a node's settled value changed.
 *
 * A watcher is a node of kind WATCHER subscribed to its target. It keeps the
 * value it last reported (borrowed: values replaced during a flush are only
 * released when the flush ends, after the watchers ran).
 */
#include "signals/internal.h"

void volt__watcher_run(volt__core *c, volt_node *w) {
  w->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  if (!w->deps) return; /* target disposed */
  volt_node *target = VOLT__E(c, w->deps)->dep;
  volt__refresh(c, target);
  volt_val now = volt__value(target);
  if (VOLT__KIND(target) == VOLT__K_COMPUTED && !(target->flags & VOLT__F_HAS_VALUE)) now = volt_nil();
  volt_val old = volt__value(w);
  if (volt__eq(c, target, old, now)) return;
  volt__set_value(w, now);
  volt_watch_fn cb = w->u.f.fn.watch;
  volt__untracked u;
  volt__untrack_begin(c, &u);
  c->running++;
  w->flags |= VOLT__F_RUNNING;
  cb(target, old, now, w->u.f.ud);
  w->flags &= ~VOLT__F_RUNNING;
  c->running--;
  volt__untrack_end(c, &u);
  c->effect_runs++;
  if (w->flags & VOLT__F_DISPOSED) volt__finish_dispose(c, w);
}

volt_watcher *volt_watch(volt_node *n, volt_watch_fn cb, void *ud) {
  if (!n || !cb) return NULL;
  volt__core *c = VOLT__CORE(volt__rt_of(n));
  VOLT__CHECK_THREAD(c, NULL);
  uint32_t k = VOLT__KIND(n);
  if (k == VOLT__K_FREE || k == VOLT__K_EFFECT || k == VOLT__K_WATCHER || k == VOLT__K_SCOPE ||
      (n->flags & VOLT__F_DISPOSED))
    return NULL;
  volt_node *w = volt__node_new(c, VOLT__K_WATCHER, NULL);
  if (!w) return NULL;
  w->u.f.fn.watch = cb;
  w->u.f.ud = ud;
  if (volt__link(c, n, w)) {
    volt__dispose_tree(c, w);
    return NULL;
  }
  /* Start from the current settled value. */
  volt__refresh(c, n);
  volt__set_value(w, volt__value(n));
  if (k == VOLT__K_COMPUTED && !(n->flags & VOLT__F_HAS_VALUE)) volt__set_value(w, volt_nil());
  return (volt_watcher *)w;
}

int volt_unwatch(volt_watcher *wh) {
  volt_node *w = (volt_node *)wh;
  if (!w) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(volt__rt_of(w));
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  if (VOLT__KIND(w) != VOLT__K_WATCHER || (w->flags & VOLT__F_DISPOSED)) return VOLT_EINVAL;
  volt__dispose_tree(c, w);
  if (!c->flushing && !volt__busy(c)) volt__drain_limbo(c);
  return 0;
}
