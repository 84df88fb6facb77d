/* signals/propagate.c - the propagation core: edges, marking, checking.
 *
 * The algorithm (that of alien-signals): a write marks what depends on it,
 * PENDING all the way down, and queues the listeners it reaches; a read or
 * a queued listener pulls: it walks its dependencies, brings the DIRTY ones
 * up to date from the bottom up (each kind's update op), and recomputes
 * only when one really changed. Both walks use an explicit stack; nothing
 * here recurses per level of the graph.
 *
 * The core never asks what kind a node is. What it knows of a node:
 *  - LISTENER: reached by a mark, it is queued (its run op decides later);
 *    otherwise the mark goes on to its subscribers;
 *  - the update op brings a DIRTY node up to date and says if it changed;
 *  - the unwatched op hears that the last subscriber left.
 *
 * Re-entry (user code runs inside update ops, hooks and cleanups, and may
 * write, dispose or create anything):
 *  - nothing a walk stands on is reused before the outermost call ends
 *    (memory.c's limbo), so a walk that resumes on a stale edge reads what
 *    it had and moves on; disposed nodes are skipped;
 *  - loops that unlink re-read the list head each time, never a saved next;
 *  - a mark made while a check walk was under way (the epoch moved) makes
 *    the walk recompute the nodes on its path rather than clear them.
 */
#include "signals/internal.h"

#define E(i) VOLT__E(c, i)

/* ---- edges ------------------------------------------------------------------- */

static void first_sub(volt__core *c, volt_node *dep) {
  if (volt__kind_of(dep)->watched) volt__kind_of(dep)->watched(c, dep);
  if (dep->flags & VOLT__F_HOOKS) {
    volt__ext *x = volt__ext_of(c, dep);
    if (x->watched) volt__call_hook(c, dep, x->watched, x->opts_ud);
  }
}

static void last_sub(volt__core *c, volt_node *dep) {
  if (dep->flags & VOLT__F_DISPOSED) return;
  if (volt__kind_of(dep)->unwatched) volt__kind_of(dep)->unwatched(c, dep);
  if (dep->flags & VOLT__F_HOOKS) {
    volt__ext *x = volt__ext_of(c, dep);
    if (x->unwatched) volt__call_hook(c, dep, x->unwatched, x->opts_ud);
  }
}

/* Has the running node `sub` read edge e in this run? Everything from the
 * head of its list to its cursor (deps_tail) was read in this run; the
 * walk goes backwards from the cursor, where the recent reads are. */
static bool read_in_run(volt__core *c, volt_node *sub, uint32_t e) {
  for (uint32_t x = sub->deps_tail; x; x = E(x)->prev_dep)
    if (x == e) return true;
  return false;
}

/* A new edge dep -> sub after sub's cursor. 0 or VOLT_ENOMEM. */
static int link_new(volt__core *c, volt_node *dep, volt_node *sub) {
  uint32_t prev = sub->deps_tail;
  uint32_t next = prev ? E(prev)->next_dep : sub->deps;
  uint32_t e = volt__edge_alloc(c);
  if (!e) return VOLT_ENOMEM;
  volt__edge *ed = E(e);
  ed->dep = dep;
  ed->sub = sub;
  /* In sub's list: after the cursor, before what the last run read next. */
  ed->prev_dep = prev;
  ed->next_dep = next;
  if (prev) {
    E(prev)->next_dep = e;
  } else {
    sub->deps = e;
    volt__set_dep1(sub, dep);
  }
  if (next) E(next)->prev_dep = e;
  sub->deps_tail = e;
  VOLT__FP_FORGET();
  /* In dep's list: last (the head's prev_sub names the tail). */
  ed->next_sub = 0;
  uint32_t head = dep->subs;
  if (head) {
    uint32_t tail = E(head)->prev_sub;
    ed->prev_sub = tail;
    E(tail)->next_sub = e;
    E(head)->prev_sub = e;
    return 0;
  }
  ed->prev_sub = e;
  dep->subs = e;
  volt__set_sub1(dep, sub);
  first_sub(c, dep);
  return 0;
}

/* Read earlier in this run: the edge is dep's newest subscriber. */
static bool read_earlier(volt__core *c, volt_node *dep, volt_node *sub) {
  uint32_t st = dep->subs ? E(dep->subs)->prev_sub : 0;
  return st && E(st)->sub == sub && (sub->flags & VOLT__F_RUNNING) && read_in_run(c, sub, st);
}

int volt__link(volt__core *c, volt_node *dep, volt_node *sub) {
  uint32_t prev = sub->deps_tail;
  if (prev && E(prev)->dep == dep) return 0; /* read again */
  uint32_t next = prev ? E(prev)->next_dep : sub->deps;
  if (next && E(next)->dep == dep) { /* as in the previous run */
    sub->deps_tail = next;
    VOLT__FP_FORGET();
    return 0;
  }
  if (read_earlier(c, dep, sub)) return 0;
  return link_new(c, dep, sub);
}

/* volt__track found neither the last read nor the next one of the previous
 * run. */
void volt__track_slow(volt__core *c, volt_node *n) {
  volt_node *t = c->cx.tracker;
  if (t == n || ((t->flags | n->flags) & VOLT__F_DISPOSED) || read_earlier(c, n, t)) return;
  if (link_new(c, n, t)) t->flags |= VOLT__F_LOST;
}

static void unlink_edge(volt__core *c, uint32_t e) {
  volt__edge *ed = E(e);
  VOLT__FP_FORGET();
  volt_node *dep = ed->dep, *sub = ed->sub;
  uint32_t next = ed->next_dep, prev = ed->prev_dep;
  if (prev) {
    E(prev)->next_dep = next;
  } else {
    sub->deps = next;
    volt__set_dep1(sub, next ? E(next)->dep : NULL);
  }
  if (next) E(next)->prev_dep = prev;
  if (sub->deps_tail == e) sub->deps_tail = prev;
  /* dep's list, circular backwards: the head's prev_sub is the tail. */
  next = ed->next_sub;
  prev = ed->prev_sub;
  if (dep->subs == e) {
    dep->subs = next;
    volt__set_sub1(dep, next ? E(next)->sub : NULL);
    if (next) E(next)->prev_sub = prev; /* the tail */
  } else {
    E(prev)->next_sub = next;
    E(next ? next : dep->subs)->prev_sub = prev;
  }
  volt__edge_retire(c, e);
  if (!dep->subs) last_sub(c, dep);
}

void volt__orphan(volt__core *c, volt_node *n) {
  (void)VOLT__PUSH(c, c->orphans, n); /* out of memory: it stays linked, still correct */
}

/* Computeds that lost their last subscriber drop their own dependencies,
 * which may orphan more: a worklist, not recursion. Each is left DIRTY: it
 * is evaluated again when read or observed again. */
static void drop_orphans(volt__core *c) {
  if (c->dropping) return;
  c->dropping = true;
  while (c->orphans.len) {
    volt_node *n = c->orphans.at[--c->orphans.len];
    if (n->subs || (n->flags & (VOLT__F_DISPOSED | VOLT__F_RUNNING)) ||
        !(n->deps || (n->flags & VOLT__F_OWNS)))
      continue;
    uint32_t e;
    while ((e = n->deps)) unlink_edge(c, e);
    n->deps_tail = 0;
    n->flags |= VOLT__F_DIRTY;
    /* What its last run made goes too, newest first, as a re-run would
     * dispose it: nothing is left working for a value nobody watches. */
    if (n->flags & VOLT__F_OWNS) volt__reset_owner(c, n);
  }
  c->dropping = false;
}

void volt__trim_slow(volt__core *c, volt_node *n) {
  uint32_t e;
  while ((e = n->deps_tail ? E(n->deps_tail)->next_dep : n->deps)) unlink_edge(c, e);
  drop_orphans(c);
}

void volt__unlink_deps(volt__core *c, volt_node *sub) {
  uint32_t e;
  while ((e = sub->deps)) unlink_edge(c, e);
  sub->deps_tail = 0;
  drop_orphans(c);
}

void volt__unlink_subs(volt__core *c, volt_node *n) {
  uint32_t e;
  while ((e = n->subs)) unlink_edge(c, e);
  drop_orphans(c);
}

/* ---- push: marking -------------------------------------------------------------- */

void volt__propagate(volt__core *c, volt_node *n) {
  c->epoch++;
  uint32_t base = c->stack.len;
  uint32_t e = n->subs;
  volt_node *sub = volt__sub1(n); /* the subscriber of edge e */
  for (;;) {
    if (!e) {
      if (c->stack.len == base) break;
      e = c->stack.at[--c->stack.len];
      sub = E(e)->sub;
      continue;
    }
    uint32_t next = E(e)->next_sub, f = sub->flags;
    bool reached = false;
    if (!(f & (VOLT__F_DIRTY | VOLT__F_PENDING | VOLT__F_RUNNING | VOLT__F_DISPOSED))) {
      sub->flags = f | VOLT__F_PENDING;
      reached = true;
    } else if ((f & (VOLT__F_RUNNING | VOLT__F_DIRTY | VOLT__F_DISPOSED)) == VOLT__F_RUNNING &&
               read_in_run(c, sub, e)) {
      sub->flags = f | VOLT__F_DIRTY; /* it read a value now stale: again */
      reached = true;
    }
    if (reached) {
      if (f & VOLT__F_LISTENER) {
        volt__enqueue(c, sub);
      } else if (sub->subs) {
        if (next && VOLT__PUSH(c, c->stack, next)) {
          c->resync = true; /* lost the way: everything is checked again */
          volt__report(c, VOLT_ENOMEM, "out of memory while propagating");
        }
        e = sub->subs;
        sub = volt__sub1(sub);
        continue;
      }
    }
    e = next;
    if (e) sub = E(e)->sub;
  }
  c->stack.len = base;
}

/* n changed: its subscribers that might have changed now have. */
static void shallow_propagate(volt__core *c, volt_node *n) {
  for (uint32_t e = n->subs; e; e = E(e)->next_sub) {
    volt_node *sub = E(e)->sub;
    uint32_t f = sub->flags;
    if ((f & (VOLT__F_PENDING | VOLT__F_DIRTY)) == VOLT__F_PENDING) {
      sub->flags = f | VOLT__F_DIRTY;
    } else if ((f & (VOLT__F_LISTENER | VOLT__F_PENDING | VOLT__F_DIRTY | VOLT__F_DISPOSED)) ==
                   VOLT__F_LISTENER &&
               (volt__kind_of(sub)->traits & VOLT__KIND_LATE)) {
      /* A late listener (a watcher) that no mark reached: it subscribed
       * after the write, to the value this update replaces, and keeps that
       * value borrowed until it is told. It is told now, in this flush
       * (the replaced value is released only when the flush ends). */
      sub->flags = f | VOLT__F_PENDING;
      volt__enqueue(c, sub);
    }
  }
}

/* ---- pull: checking ---------------------------------------------------------------- */

/* Brings a DIRTY node up to date; true (and its subscribers told) when it
 * changed. Every kind with a value (the only ones that are dependencies)
 * has an update op. */
static bool settle(volt__core *c, volt_node *n) {
  if (n->flags & VOLT__F_DISPOSED) return false;
  bool changed = volt__kind_of(n)->update(c, n);
  if (changed) shallow_propagate(c, n);
  return changed;
}

/* settle() for a dependency the check walk w reached through its
 * subscriber `via`, which the walk brings up to date itself when it
 * changed. w->settling names it meanwhile (a read it makes of a node on the
 * walk's path is a cycle). Fast path: a node whose only subscriber (after
 * its update) is `via` tells nobody. */
static inline bool settle_dep(volt__core *c, volt__walk *w, volt_node *n, volt_node *via) {
  bool changed = false;
  w->settling = n;
  if (!(n->flags & VOLT__F_DISPOSED)) {
    changed = volt__kind_of(n)->update(c, n);
#if VOLT_FAST_PATHS
    if (changed && (volt__sub1(n) != via || E(n->subs)->next_sub)) shallow_propagate(c, n);
#else
    (void)via;
    if (changed) shallow_propagate(c, n);
#endif
  }
  w->settling = NULL;
  return changed;
}

/* Is reading n from the tracker t a cycle? n is on the path of the walk that
 * is bringing t up to date (t is one of n's dependencies). */
static bool closes_cycle(volt__core *c, volt_node *n, volt_node *t) {
  for (volt__walk *w = c->walk; w; w = w->up) {
    if (w->settling != t) continue;
    if (w->root == n) return true;
    for (uint32_t i = w->base; i < c->stack.len; i++)
      if (E(c->stack.at[i])->dep == n) return true;
    return false;
  }
  return false;
}

/* n is PENDING: is one of its direct dependencies really changed? Walks
 * down through PENDING dependencies, settles DIRTY ones bottom-up, and
 * clears the marks of what turns out unchanged. The stack holds the edge
 * each level was entered by (the way back up).
 *
 * The stack (its array, capacity and height sp), the edge array and
 * whether anything was written under the walk are kept in locals: each is
 * brought back from the core after a call out of the walk (settle_dep runs
 * user code, which may link, walk, grow the stack or write), and
 * c->stack.len is brought up to date before it (closes_cycle reads the path
 * from it). In memory, they were reloaded after every flag written: a
 * chain of stores and loads through every level. */
bool volt__check_dirty(volt__core *c, volt_node *n) {
  uint32_t base = c->stack.len, sp = base, cap = c->stack.cap, epoch = c->epoch;
  uint32_t *at = c->stack.at;
  volt__edge *edges = c->edges;
  bool written = false; /* a mark was made under the walk: recompute */
  volt_node *cur = n;
  uint32_t e = n->deps;
  volt_node *dep = volt__dep1(n); /* the dependency of edge e */
  bool dirty = false;
  volt__walk w = {c->walk, n, NULL, base};
  c->walk = &w;
  n->flags |= VOLT__F_CHECKING;
#define CALLED_OUT()                  \
  do {                                \
    edges = c->edges;                 \
    at = c->stack.at;                 \
    cap = c->stack.cap;               \
    written |= c->epoch != epoch;     \
  } while (0)
  for (;;) {
    while (e) {
      uint32_t df = dep->flags;
      if (df & (VOLT__F_DISPOSED | VOLT__F_CHECKING)) {
        /* a stale edge, or a node on this walk's path: skip */
      } else if (df & VOLT__F_RUNNING) {
        /* A dependency being computed right now, further up the C stack
         * (the read that got here came from its function: a cycle, or a
         * cleanup's read): cur must be computed again; reading the running
         * node will give it VOLT_ECYCLE if it is a cycle. */
        dirty = true;
        break;
      } else if (df & VOLT__F_DIRTY) {
        c->stack.len = sp;
        bool changed = settle_dep(c, &w, dep, cur);
        CALLED_OUT();
        if (changed) {
          dirty = true;
          break;
        }
        if (c->aborting) goto bail;
      } else if ((df & VOLT__F_PENDING) && dep->deps) {
        if (sp == cap) {
          c->stack.len = sp;
          if (volt__grow(c, &c->stack, sp + 1, sizeof *c->stack.at)) goto bail; /* recompute */
          at = c->stack.at;
          cap = c->stack.cap;
        }
        at[sp++] = e;
        dep->flags = df | VOLT__F_CHECKING;
        cur = dep;
        e = dep->deps;
        dep = volt__dep1(dep);
        continue;
      } else if (df & VOLT__F_PENDING) {
        dep->flags = df & ~VOLT__F_PENDING;
      }
      e = edges[e].next_dep;
      if (e) dep = edges[e].dep;
    }
    if (cur->flags & VOLT__F_DIRTY) dirty = true;
    for (;;) { /* way up */
      dirty |= written;
      uint32_t cf = cur->flags & ~VOLT__F_CHECKING;
      if (sp == base) {
        cur->flags = cf;
        c->stack.len = base;
        c->walk = w.up;
        return dirty;
      }
      uint32_t up = at[--sp];
      volt_node *above = edges[up].sub;
      if (dirty && !(cf & (VOLT__F_DIRTY | VOLT__F_PENDING))) {
        /* Brought up to date meanwhile by code the walk ran: if it changed,
         * that marked its subscribers (the level above sees it). */
        cur->flags = cf;
        dirty = false;
      } else if (dirty) {
        /* DIRTY while it is brought up to date: code its update runs
         * before its function (its cleanups) and reads it finds it stale,
         * as a shallow propagation would have left it. */
        cur->flags = cf | VOLT__F_DIRTY;
        c->stack.len = sp;
        dirty = settle_dep(c, &w, cur, above);
        CALLED_OUT();
        if (c->aborting) goto bail;
      } else {
        cur->flags = cf & ~VOLT__F_PENDING;
      }
      cur = above;
      if (dirty) continue; /* cur has a changed dependency */
      e = edges[up].next_dep;
      if (e) {
        dep = edges[e].dep;
        break;
      }
      if (cur->flags & VOLT__F_DIRTY) dirty = true;
    }
  }
#undef CALLED_OUT
bail:
  c->stack.len = sp;
  while (c->stack.len > base) E(c->stack.at[--c->stack.len])->dep->flags &= ~VOLT__F_CHECKING;
  n->flags &= ~VOLT__F_CHECKING;
  c->walk = w.up;
  return true;
}

bool volt__refresh(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  if (f & VOLT__F_DISPOSED) return false;
  if ((f & VOLT__F_DIRTY) || !(f & VOLT__F_HAS_VALUE)) return settle(c, n);
  if (f & VOLT__F_PENDING) {
    if (volt__check_dirty(c, n)) {
      n->flags |= VOLT__F_DIRTY; /* as in the walk: stale while it is updated */
      return settle(c, n);
    }
    n->flags &= ~VOLT__F_PENDING;
  }
  return false;
}

volt_val volt__peek_fresh(volt__core *c, volt_node *n) {
  if (c->resync) volt__resync(c);
  c->depth++; /* nothing it stands on is reused, no flush starts */
  volt__refresh(c, n);
  c->depth--;
  return (n->flags & VOLT__F_HAS_VALUE) ? volt__value(n) : volt_nil();
}

/* ---- reads -------------------------------------------------------------------------- */

static volt_val read_body(volt_node *n, bool tracked) {
  if (!n) return volt_err(VOLT_EINVAL, "NULL node");
  volt__core *c = volt__core_of(n);
  if (!volt__on_loop(c)) return volt_err(VOLT_ETHREAD, "volt_get called off the loop thread");
  if ((n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE)
    return volt_err(VOLT_EINVAL, "node disposed");
  if (!(n->flags & VOLT__F_VALUE)) return volt_err(VOLT_EINVAL, "node has no value");
  /* A cycle: n is running, or n is on a check walk's path and the reader
   * is being brought up to date by that walk (it is one of n's
   * dependencies). Other code reading a node being checked (an effect a
   * cleanup made, say) brings it up to date like any read. */
  volt_node *t = c->cx.tracker;
  if ((n->flags & VOLT__F_RUNNING) || ((n->flags & VOLT__F_CHECKING) && t && closes_cycle(c, n, t)))
    return volt_err(VOLT_ECYCLE, "cycle: a computed read itself");
  bool had_work = volt__has_work(c), oom = false;
  for (unsigned round = 0;; round++) {
    c->depth++; /* nothing this read stands on is reused before it ends */
    /* A mark was lost (memory ran out): find every mark again before
     * anything is read, at any depth (a read may be deep in a batch). */
    if (c->resync) volt__resync(c);
    volt__refresh(c, n);
    if (tracked && round == 0) volt__track(c, n);
    c->depth--;
    oom |= c->resync; /* a failure below; the flush may clear it */
    /* What code the read ran queued (writes in cleanups, replaced values)
     * is flushed before the value is taken: the caller sees the graph
     * settled. Work queued before (a batch, a flush stopped at its cap)
     * waits for its own flush. Slots stay: no drain here. */
    if (!c->depth && !had_work && !c->close_pending && volt__has_work(c)) {
      c->pinned++;
      volt__flush_if_allowed(c);
      c->pinned--;
    }
    if (n->flags & VOLT__F_DISPOSED) return volt_err(VOLT_EINVAL, "node disposed");
    /* The flush may have changed what n depends on: bring it up to date
     * again, a bounded number of times. */
    if (!(n->flags & (VOLT__F_DIRTY | VOLT__F_PENDING)) || c->resync || round >= c->max_rounds)
      break;
  }
  /* Still DIRTY: it could not be brought up to date (memory ran out, or
   * what it read kept changing): its old value is stale. */
  if ((n->flags & (VOLT__F_DIRTY | VOLT__F_PENDING)) && !(n->flags & VOLT__F_LOST))
    return oom || c->resync ? volt_err(VOLT_ENOMEM, "out of memory: value not up to date")
                     : volt_err(VOLT_ELOOP, "value kept changing while it was computed");
  /* (LOST: its value is volt_err(VOLT_ENOMEM) already.) */
  return (n->flags & VOLT__F_HAS_VALUE) ? volt__value(n) : volt_nil();
}

/* A read that code it ran asked to close the runtime (from a computed's
 * function, a cleanup, a hook): at the top level the close happens when the
 * read ends, and the read gives VOLT_ECLOSING (the value it had is the
 * close's to release; the runtime may be gone). */
static volt_val read(volt_node *n, bool tracked) {
  volt_val v = read_body(n, tracked);
  volt__core *c = n ? volt__core_of(n) : NULL;
  if (volt__on_loop(c) && c->close_pending && !c->depth && !c->flushing && c->after_flush) {
    c->after_flush(c); /* c may be gone */
    return volt_err(VOLT_ECLOSING, "the runtime was closed during the read");
  }
  return v;
}

/* Up to date, live, a value, on its loop thread: nothing to bring, nothing
 * to flush (the common read). */
#define SETTLED_MASK                                                                        \
  (VOLT__F_ALIVE | VOLT__F_DISPOSED | VOLT__F_RUNNING | VOLT__F_CHECKING | VOLT__F_DIRTY | \
   VOLT__F_PENDING | VOLT__F_HAS_VALUE | VOLT__F_VALUE)
#define SETTLED (VOLT__F_ALIVE | VOLT__F_HAS_VALUE | VOLT__F_VALUE)

/* volt_get past its first test. */
__attribute__((noinline)) static volt_val get_rest(volt_node *n) {
#if VOLT_FAST_PATHS
  volt_node *t = volt__tls_run.tracker;
  if (t && n && (n->flags & SETTLED_MASK) == SETTLED && !volt__tls_run.core->resync) {
    volt__edge *edges = volt__tls_run.core->edges;
    uint32_t prev = t->deps_tail;
    if (prev && edges[prev].dep == n) { /* read again */
      volt__tls_run.last = n;
      return volt__value(n);
    }
    /* The plain path's order (volt__link): the next one of the previous
     * run before one read earlier in this run, so that the edge order
     * (and with it the order listeners are reached) is the same. */
    uint32_t next = prev ? edges[prev].next_dep : t->deps;
    if (next && edges[next].dep == n) { /* as in the previous run */
      t->deps_tail = next;
      volt__tls_run.last = n;
      return volt__value(n);
    }
    if (prev && edges[edges[prev].prev_dep].dep == n) return volt__value(n); /* the one before */
  }
#endif
  /* The runtime first: off every loop thread it is NULL, and the node's
   * flags word (the loop thread's) is not read. */
  volt__core *c = n ? volt__core_of(n) : NULL;
  if (volt__on_loop(c) && (n->flags & SETTLED_MASK) == SETTLED && !c->resync) {
    volt__track(c, n);
    return volt__value(n);
  }
  return read(n, true);
}

volt_val volt_get(volt_node *n) {
#if VOLT_FAST_PATHS
  /* The node the running tracker read last, read again: nothing to track
   * (a leaf, so that it saves no registers). */
  if (n && n == volt__tls_run.last && (n->flags & SETTLED_MASK) == SETTLED &&
      !volt__tls_run.core->resync)
    return volt__value(n);
#endif
  return get_rest(n);
}

volt_val volt_peek(volt_node *n) {
  volt__core *c = n ? volt__core_of(n) : NULL;
  if (volt__on_loop(c) && (n->flags & SETTLED_MASK) == SETTLED && !c->resync) return volt__value(n);
  return read(n, false);
}
