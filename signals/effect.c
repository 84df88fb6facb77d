/* signals/effect.c - the effect kind: a listener that runs its function at
 * creation and again after every flush in which something it read changed.
 * It owns what its function creates; those go before each re-run.
 */
#include "signals/internal.h"

/* Runs the function, tracking its reads. */
static void execute(volt__core *c, volt_node *n) {
  if (n->flags & VOLT__F_OWNS) volt__reset_owner(c, n);
  if (n->flags & VOLT__F_DISPOSED) return;
  volt__context saved;
  volt__enter(c, &saved, (volt__context){n, n, false});
  n->deps_tail = 0;
  n->flags = (n->flags & ~(VOLT__F_DIRTY | VOLT__F_PENDING | VOLT__F_LOST)) | VOLT__F_RUNNING;
  n->u.f.fn.run(n->u.f.ud);
  n->flags &= ~VOLT__F_RUNNING;
  volt__leave(c, &saved);
  c->effect_runs++;
  if (n->flags & VOLT__F_DISPOSED) {
    volt__run_ended(c, n);
    return;
  }
  volt__trim(c, n);
  if (n->flags & VOLT__F_LOST) {
    volt__report(c, VOLT_ENOMEM, "out of memory: an effect's dependency was not recorded");
    n->flags |= VOLT__F_DIRTY;
  }
  if (n->flags & VOLT__F_DIRTY) volt__enqueue(c, n); /* it read a value made stale meanwhile */
}

/* The flush reached it: run again if a dependency really changed. */
static void effect_run(volt__core *c, volt_node *n) {
  /* A mark was lost (memory ran out): find every mark again first (it
   * marks this effect DIRTY: it runs, and reads fresh values). */
  if (c->resync) volt__resync(c);
  uint32_t f = n->flags;
  if ((f & VOLT__F_DIRTY) || ((f & VOLT__F_PENDING) && volt__check_dirty(c, n))) {
    if (!(n->flags & VOLT__F_DISPOSED)) execute(c, n);
    return;
  }
  n->flags &= ~VOLT__F_PENDING;
}

volt__kind volt__effect_kind = {.name = "effect", .run = effect_run};

volt_node *volt_effect(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return NULL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, NULL);
  volt_node *n = volt__node_new(c, &volt__effect_kind, VOLT__F_LISTENER, NULL);
  if (!n) return NULL;
  n->u.f.fn.run = fn;
  n->u.f.ud = ud;
  execute(c, n);
  return volt__constructed(c, n); /* what its first run queued */
}
