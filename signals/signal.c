/* signals/signal.c - the signal kind: a writable source.
 *
 * A write keeps the new value as pending and marks the graph; the value
 * becomes current when something pulls (the update op), so a write undone
 * within a batch notifies nobody. Ownership of a written PTR moves to the
 * node.
 */
#include "signals/internal.h"

/* The grave kept for a written signal is now used (or not needed). */
static void signal_paid(volt__core *c, volt_node *n) {
  if (!(n->flags & VOLT__F_OWED)) return;
  n->flags &= ~VOLT__F_OWED;
  c->graves_owed--;
}

/* signal_update with hooks, errors or a kept grave. */
__attribute__((noinline)) static bool signal_update_slow(volt__core *c, volt_node *n) {
  signal_paid(c, n);
  uint32_t f = n->flags & ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  n->flags = f;
  volt_val p = n->u.pending;
  n->u.pending = volt_nil();
  if (!(f & (VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR)) && p.tag != VOLT_ERR)
    return volt__store_plain(n, p);
  volt_val old = volt__stored(n);
  if (volt__eq(c, n, old, p)) {
    if (p.tag != VOLT_PTR || p.u.p != old.u.p) volt__release_now(c, n, p);
    return false;
  }
  volt__set_value(n, p);
  volt__release_later(c, n, old);
  return true;
}

/* Settles the pending value. True when it differs from the current one. */
static bool signal_update(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  volt_val p = n->u.pending;
  /* No hooks, no errors, no grave kept: nothing to release, nothing copied. */
  if ((f & (VOLT__F_OWED | VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR)) || p.tag == VOLT_ERR)
    return signal_update_slow(c, n);
  n->flags = f & ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  n->u.pending.tag = VOLT_NIL;
  return volt__store_plain(n, p);
}

static void signal_dispose(volt__core *c, volt_node *n) {
  if (!(n->flags & (VOLT__F_OWED | VOLT__F_DIRTY))) return;
  signal_paid(c, n);
  if (!(n->flags & VOLT__F_DIRTY)) return;
  volt_val p = n->u.pending, v = volt__stored(n);
  n->u.pending = volt_nil();
  if (p.tag != VOLT_PTR || v.tag != VOLT_PTR || p.u.p != v.u.p) volt__release_later(c, n, p);
}

volt__kind volt__signal_kind = {.name = "signal", .update = signal_update, .dispose = signal_dispose,
                              .traits = VOLT__KIND_VALUE};

volt_node *volt_signal(volt_rt *rt, volt_val init, const volt_opts *opts) {
  if (!rt || !volt__val_ok(init)) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c)) return NULL;
  volt_node *n = volt__node_new(c, &volt__signal_kind, VOLT__F_HAS_VALUE, opts);
  if (!n) {
    if (init.tag == VOLT_PTR && opts && opts->release) opts->release(init, opts->ud);
    return NULL;
  }
  volt__set_value(n, init.tag == VOLT_ERR ? volt__val_own(c, init) : init);
  return n;
}

int volt_set(volt_node *n, volt_val v) {
  if (!n || !volt__val_ok(v)) return VOLT_EINVAL;
  volt__core *c = volt__core_of(n);
  if (!volt__on_loop(c)) return VOLT_ETHREAD;
#if VOLT_FAST_PATHS
  /* Fast path: a live signal without hooks and without a write pending,
   * holding no error, written a plain value outside a computed. The same
   * value changes nothing; with no subscriber the new one is current at
   * once (the plain path would keep it pending and settle it now). */
  uint32_t f = n->flags;
  if ((f & (VOLT__F_ALIVE | VOLT__F_DISPOSED | VOLT__F_DIRTY | VOLT__F_EQUALS | VOLT__F_RELEASE |
            VOLT__F_VERR)) == VOLT__F_ALIVE &&
      v.tag != VOLT_ERR && volt__kind_of(n) == &volt__signal_kind && !c->cx.computing) {
    if (!n->subs) {
      if (!volt__store_plain(n, v)) return 0; /* the same value */
    } else {
      if (volt__holds_plain(n, v)) return 0;
      v.flags = 0;
      n->u.pending = v;
      n->flags = f | VOLT__F_DIRTY;
      volt__propagate(c, n);
    }
    return volt__maybe_flush(c);
  }
#endif
  if ((n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE || volt__kind_of(n) != &volt__signal_kind)
    return VOLT_EINVAL;
  if (c->cx.computing) {
    if (v.tag == VOLT_PTR) volt__release_now(c, n, v);
    return VOLT_EPERM;
  }
  v.flags = 0;
  uint32_t fl = n->flags;
  volt_val cur = (fl & VOLT__F_VERR) ? volt__stored(n) : volt__value(n);
  volt_val latest = (fl & VOLT__F_DIRTY) ? n->u.pending : cur;
  bool same = !(fl & VOLT__F_EQUALS) && v.tag != VOLT_ERR
                  ? latest.tag == v.tag && (volt__payload_of(latest) == volt__payload_of(v) ||
                                            (v.tag == VOLT_NUM && (latest.u.n == v.u.n ||
                                                                   (latest.u.n != latest.u.n &&
                                                                    v.u.n != v.u.n))))
                  : volt__eq(c, n, latest, v);
  if (same) {
    if (v.tag == VOLT_PTR && v.u.p != latest.u.p) volt__release_now(c, n, v);
    return 0;
  }
  if (!(n->flags & VOLT__F_DIRTY) && volt__holds_owned(n)) {
    /* The current value will wait for the end of the flush: keep it a
     * slot now, or change nothing. */
    if (volt__graves_room(c, 1)) {
      if (v.tag == VOLT_PTR) volt__release_now(c, n, v);
      return VOLT_ENOMEM;
    }
    c->graves_owed++;
    n->flags |= VOLT__F_OWED;
  }
  if (n->flags & VOLT__F_DIRTY) {
    volt_val old = n->u.pending; /* written in this batch, never current */
    if (old.tag != VOLT_PTR || cur.tag != VOLT_PTR || old.u.p != cur.u.p) volt__release_now(c, n, old);
  }
  n->u.pending = v.tag == VOLT_ERR ? volt__val_own(c, v) : v;
  n->flags |= VOLT__F_DIRTY;
  if (n->subs)
    volt__propagate(c, n);
  else
    signal_update(c, n); /* nobody to tell: the old value goes now */
  return volt__maybe_flush(c);
}
