/* signals/owner.c - ownership: creating nodes under the current owner,
 * children and cleanups, scopes, untracked sections, and disposal of
 * whole subtrees (iteratively, newest child first).
 *
 * An owner keeps its children in an array in its extension record, oldest
 * first; a child keeps the owner's extension index and its place in that
 * array, so leaving is O(1) (a hole, closed up when holes outnumber
 * children).
 */
#include <pthread.h>

#include "signals/internal.h"

volt_node *volt__owner_of(volt__core *c, const volt_node *n) {
  return n->owner ? volt__ext_at(c, n->owner)->node : NULL;
}

void volt__call_hook(volt__core *c, volt_node *n, void (*fn)(volt_node *, void *), void *ud) {
  volt__context saved;
  volt__enter(c, &saved, (volt__context){NULL, NULL, c->cx.computing});
  fn(n, ud);
  volt__leave(c, &saved);
}

static int attach(volt__core *c, volt_node *owner, volt_node *n) {
  volt__ext *px = owner->ext ? volt__ext_at(c, owner->ext) : volt__ext_get(c, owner, true);
  if (!px) return VOLT_ENOMEM;
  if (px->nkids == px->kids_cap) {
    uint32_t cap = px->kids_cap ? px->kids_cap * 2 : 4;
    void *p = volt__realloc(c, px->kids, px->kids_cap * sizeof(volt_node *), cap * sizeof(volt_node *));
    if (!p) return VOLT_ENOMEM;
    px->kids = p;
    px->kids_cap = cap;
  }
  n->owner = owner->ext;
  volt__set_pos(n, px->nkids);
  px->kids[px->nkids++] = n;
  owner->flags |= VOLT__F_OWNS;
  if (owner->flags & VOLT__F_QUEUED) c->queued_owner = true; /* see run_listener */
  return 0;
}

/* The owner's newest child, NULL when none (holes at the end dropped). */
static volt_node *last_kid(volt__ext *px) {
  while (px->nkids && !px->kids[px->nkids - 1]) {
    px->nkids--;
    px->nholes--;
  }
  return px->nkids ? px->kids[px->nkids - 1] : NULL;
}

static void detach(volt__core *c, volt_node *n) {
  if (!n->owner) return;
  volt__ext *px = volt__ext_at(c, n->owner);
  uint32_t pos = volt__pos(n);
  n->owner = 0;
  volt__set_pos(n, 0);
  if (pos + 1 == px->nkids) { /* the newest: disposal goes newest first */
    px->nkids--;
    if (px->nholes) (void)last_kid(px); /* drop the holes now at the end */
    return;
  }
  px->kids[pos] = NULL;
  px->nholes++;
  if (px->nholes > 16 && px->nholes * 2 > px->nkids) {
    uint32_t k = 0;
    for (uint32_t i = 0; i < px->nkids; i++) {
      volt_node *kid = px->kids[i];
      if (!kid) continue;
      volt__set_pos(kid, k);
      px->kids[k++] = kid;
    }
    px->nkids = k;
    px->nholes = 0;
  }
}

static bool opts_used(const volt_opts *o) {
  return o && (o->name || o->equals || o->release || o->watched || o->unwatched || o->ud);
}

/* ---- kinds ------------------------------------------------------------------------ */

volt__kind *volt__kinds[VOLT__KINDS_MAX + 1];
static pthread_mutex_t kinds_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned kinds_len;

/* The table entry is written before the id is published (release): a
 * thread that reads the id (acquire) finds the record in the table. */
unsigned volt__kind_register(volt__kind *k) {
  pthread_mutex_lock(&kinds_lock);
  unsigned id = __atomic_load_n(&k->id, __ATOMIC_RELAXED);
  if (!id && kinds_len < VOLT__KINDS_MAX) {
    id = ++kinds_len;
    volt__kinds[id] = k;
    __atomic_store_n(&k->id, id, __ATOMIC_RELEASE);
  }
  pthread_mutex_unlock(&kinds_lock);
  return id;
}

volt_node *volt__node_new(volt__core *c, volt__kind *kind, uint32_t flags,
                          const volt_opts *opts) {
  volt_node *owner = c->cx.owner;
  if (c->closing || (owner && (owner->flags & VOLT__F_DISPOSED))) return NULL;
  unsigned id = volt__kind_id(kind);
  if (!id) return NULL;
  volt_node *n = volt__slot_alloc(c);
  if (!n) return NULL;
  n->flags |= VOLT__F_ALIVE | flags | ((kind->traits & VOLT__KIND_VALUE) ? VOLT__F_VALUE : 0);
  n->kind = id;
  if (opts_used(opts)) {
    volt__ext *x = volt__ext_get(c, n, true);
    if (!x || (opts->name && !(x->name = volt__strdup(c, opts->name)))) goto fail;
    x->equals = opts->equals;
    x->release = opts->release;
    x->watched = opts->watched;
    x->unwatched = opts->unwatched;
    x->opts_ud = opts->ud;
    if (opts->equals) n->flags |= VOLT__F_EQUALS;
    if (opts->release) n->flags |= VOLT__F_RELEASE;
    if (opts->watched || opts->unwatched) n->flags |= VOLT__F_HOOKS;
  }
  if (owner && attach(c, owner, n)) goto fail;
  return n;
fail:
  volt__ext_release(c, n);
  n->flags = (n->flags & VOLT__SLOT_BITS) | VOLT__F_ALIVE | VOLT__F_DISPOSED;
  volt__slot_retire(c, n);
  return NULL;
}

/* Runs and frees n's cleanups, newest first, as user code without owner. */
static void run_cleanups(volt__core *c, volt_node *n) {
  volt__ext *x;
  volt__cleanup *cl;
  while ((x = volt__ext_of(c, n)) && (cl = x->cleanups)) {
    x->cleanups = cl->next;
    void (*fn)(void *) = cl->fn;
    void *ud = cl->ud;
    volt__free(c, cl, sizeof *cl);
    volt__context saved;
    volt__enter(c, &saved, (volt__context){NULL, NULL, c->cx.computing});
    fn(ud);
    volt__leave(c, &saved);
  }
}

/* Disposes n, whose children are gone: its edges dropped (subscribers are
 * not notified: they keep the last value they read), its value released,
 * its slot retired. A running node is disposed all the same;
 * its run notices when its function returns. */
static void dispose_one(volt__core *c, volt_node *n) {
  if (n->flags & VOLT__F_DISPOSED) return;
  n->flags |= VOLT__F_DISPOSED;
  if (n->ext) run_cleanups(c, n);
  const volt__kind *k = volt__kind_of(n);
  if (k->dispose) k->dispose(c, n);
  if (n->deps) volt__unlink_deps(c, n);
  if (n->subs) volt__unlink_subs(c, n);
  if ((n->flags & VOLT__F_HAS_VALUE) && (n->flags & (VOLT__F_RELEASE | VOLT__F_VOWN)))
    volt__release_later(c, n, volt__stored(n));
  n->val.i = 0; /* value NIL */
  n->flags &= ~(VOLT__VT_MASK | VOLT__F_VOWN | VOLT__F_VERR);
  detach(c, n);
  uint32_t keep = VOLT__SLOT_BITS | VOLT__F_ALIVE | VOLT__F_DISPOSED | VOLT__F_QUEUED |
                  VOLT__F_RUNNING | VOLT__F_VALUE;
  if (n->flags & VOLT__F_RUNNING)
    keep |= VOLT__F_RELEASE | VOLT__F_EQUALS; /* its run ends with volt__run_ended */
  else if (n->ext)
    volt__ext_release(c, n);
  n->flags &= keep;
  volt__slot_retire(c, n);
}

#if VOLT_FAST_PATHS
/* Fast path of dispose_one for the newest child of the owner whose
 * extension is px, when the child has no extension (no cleanups, hooks or
 * children), no edges and is not running: it leaves the owner's array
 * first (the kind's dispose op may run user code), and nothing else needs
 * a lookup. Tested against dispose_one by the suites in both builds. */
static void dispose_newest_leaf(volt__core *c, volt_node *n, volt__ext *px) {
  px->nkids--;
  if (px->nholes) (void)last_kid(px);
  n->owner = 0;
  n->dep1w = n->sub1w = 0; /* no edges: no pointers; pos 0 */
  n->flags |= VOLT__F_DISPOSED;
  const volt__kind *k = volt__kind_of(n);
  if (k->dispose) k->dispose(c, n);
  if ((n->flags & VOLT__F_HAS_VALUE) && (n->flags & VOLT__F_VOWN))
    volt__release_later(c, n, volt__stored(n));
  n->val.i = 0; /* value NIL */
  n->flags &= VOLT__SLOT_BITS | VOLT__F_ALIVE | VOLT__F_DISPOSED | VOLT__F_QUEUED | VOLT__F_VALUE;
  volt__slot_retire(c, n);
}
#endif

void volt__run_ended(volt__core *c, volt_node *n) {
  if (!(n->flags & VOLT__F_DISPOSED)) return;
  if (n->ext) volt__ext_release(c, n);
  n->flags &= ~(VOLT__F_RELEASE | VOLT__F_EQUALS);
}

void volt__dispose(volt__core *c, volt_node *root) {
  if (root->flags & VOLT__F_DISPOSED) return;
  c->depth++; /* nothing is reused under us */
  volt_node *cur = root;
  for (;;) {
    volt__ext *x = volt__ext_of(c, cur);
    volt_node *kid = x ? last_kid(x) : NULL;
#if VOLT_FAST_PATHS
    /* Leaves one after the other, x staying cur's while cur lives. */
    while (kid && !(kid->flags & (VOLT__F_DISPOSED | VOLT__F_RUNNING)) && !kid->ext &&
           !(kid->deps | kid->subs)) {
      dispose_newest_leaf(c, kid, x);
      if (cur->flags & VOLT__F_DISPOSED) goto restart;
      kid = last_kid(x);
    }
#endif
    if (kid) {
      if (kid->flags & VOLT__F_DISPOSED) {
        detach(c, kid); /* being disposed further up the stack: cut loose */
      } else if (!kid->ext) {
        /* No extension: no children, no cleanups. Disposed from here (what
         * it runs may dispose cur: then, as below, the walk ends). */
        dispose_one(c, kid);
        if (cur->flags & VOLT__F_DISPOSED) goto restart;
      } else {
        cur = kid;
      }
      continue;
    }
    volt_node *parent = cur == root ? NULL : volt__owner_of(c, cur);
    dispose_one(c, cur);
    if (cur == root) break;
    if (parent && !(parent->flags & VOLT__F_DISPOSED)) {
      cur = parent;
      continue;
    }
  restart:
    /* What ran disposed the node the walk stood on, or its parent: either a
     * disposal further up the stack has it (and will go on), or a nested
     * one that is over (a computed's reset when it lost its last
     * subscriber). Start again from the root: what is disposed is cut
     * loose on the way, the rest is disposed here. Every turn disposes or
     * cuts loose one node, so the walk ends. */
    if (root->flags & VOLT__F_DISPOSED) break;
    cur = root;
  }
  c->depth--;
}

void volt__reset_owner(volt__core *c, volt_node *n) {
  if (!(n->flags & VOLT__F_OWNS)) return;
  n->flags &= ~VOLT__F_OWNS; /* set again by what the next run creates */
  /* Children, then cleanups; code they run may evaluate n again (it is not
   * running yet) and so give it new children and cleanups: those go too,
   * a bounded number of times. */
  for (int round = 0; round < 100 && !(n->flags & VOLT__F_DISPOSED); round++) {
    volt__ext *x;
    volt_node *kid;
    while (!(n->flags & VOLT__F_DISPOSED) && (x = volt__ext_of(c, n)) && (kid = last_kid(x))) {
      if (kid->flags & VOLT__F_DISPOSED)
        detach(c, kid); /* being disposed further up the stack: cut loose */
      else
        volt__dispose(c, kid);
    }
    x = volt__ext_of(c, n);
    if (!x || !x->cleanups) break;
    run_cleanups(c, n);
    x = volt__ext_of(c, n);
    if (!x || (!last_kid(x) && !x->cleanups)) break;
  }
  volt__ext *x = volt__ext_of(c, n);
  if (x && !(n->flags & VOLT__F_DISPOSED) && (last_kid(x) || x->cleanups))
    n->flags |= VOLT__F_OWNS; /* the cap was reached: what is left stays owned */
  else
    n->flags &= ~VOLT__F_OWNS;
}

/* ---- public --------------------------------------------------------------------- */

void volt_dispose(volt_node *n) {
  volt__core *c = volt__live(n);
  if (!c) return;
  volt__dispose(c, n);
  volt__maybe_flush(c);
}

/* A scope's body reads are tracked by the scope, and the scope is a
 * dependency of whatever was tracking where it was made (alien-signals'
 * effectScope): a mark passes through it, and a check walk that finds one of
 * its reads changed calls this: the tracker re-runs (and so disposes the
 * scope and makes a new one). */
static bool scope_update(volt__core *c, volt_node *n) {
  (void)c;
  n->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  return true;
}

volt__kind volt__scope_kind = {.name = "scope", .update = scope_update};

volt_node *volt_scope(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return NULL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, NULL);
  volt_node *n = volt__node_new(c, &volt__scope_kind, 0, NULL);
  if (!n) return NULL;
  if (!volt__ext_get(c, n, true)) {
    volt__dispose(c, n);
    return NULL;
  }
  /* Made where reads are tracked, the tracker reads the scope (as a read
   * of a computed would) and the scope tracks its body's reads. Elsewhere
   * nothing could hear of a change through the scope: its body runs
   * untracked and makes no edges. */
  volt_node *tracker = c->cx.tracker;
  volt__track(c, n);
  volt__context saved;
  bool open = c->depth == c->open; /* nothing below but such bodies */
  volt__enter(c, &saved, (volt__context){tracker ? n : NULL, n, c->cx.computing});
  c->open += open;
  n->flags |= VOLT__F_RUNNING;
  fn(ud);
  n->flags &= ~VOLT__F_RUNNING;
  c->open -= open;
  volt__leave(c, &saved);
  volt__run_ended(c, n);
  if (!(n->flags & VOLT__F_DISPOSED)) {
    volt__trim(c, n);
    /* A read of the body that could not be recorded is one the tracker
     * missed: it handles it as its own (an effect runs again). */
    if ((n->flags & VOLT__F_LOST) && tracker && !(tracker->flags & VOLT__F_DISPOSED))
      tracker->flags |= VOLT__F_LOST;
    n->flags &= ~VOLT__F_LOST;
  }
  return volt__constructed(c, n); /* what the body queued */
}

int volt_on_cleanup(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  volt_node *owner = c->cx.owner;
  if (owner && (owner->flags & VOLT__F_DISPOSED)) {
    fn(ud); /* what the owner's disposal would have done */
    return 0;
  }
  if (!owner && c->cleanups_closed) return VOLT_ECLOSING; /* the close ran them already */
  volt__cleanup *cl = volt__alloc(c, sizeof *cl);
  if (!cl) return VOLT_ENOMEM;
  cl->fn = fn;
  cl->ud = ud;
  if (!owner) {
    cl->next = c->root_cleanups;
    c->root_cleanups = cl;
    return 0;
  }
  volt__ext *x = volt__ext_get(c, owner, true);
  if (!x) {
    volt__free(c, cl, sizeof *cl);
    return VOLT_ENOMEM;
  }
  cl->next = x->cleanups;
  x->cleanups = cl;
  owner->flags |= VOLT__F_OWNS;
  return 0;
}

void volt_untrack(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c)) return;
  volt__context saved;
  bool open = c->depth == c->open; /* nothing below but such bodies */
  volt__enter(c, &saved, (volt__context){NULL, c->cx.owner, c->cx.computing});
  c->open += open;
  fn(ud);
  c->open -= open;
  volt__leave(c, &saved);
  volt__maybe_flush(c); /* what the block wrote, at the outermost level */
}

/* At close: every tree the runtime owns, newest first, then the runtime's
 * own cleanups (which may register more: repeated, a bounded number of
 * times). No flush meanwhile. */
void volt__core_dispose_all(volt__core *c) {
  c->batch++;
  for (int pass = 0; pass < 100; pass++) {
    bool any = false;
    for (uint32_t s = c->nslabs; s-- > 0;) {
      volt_node *slab = c->slabs[s].nodes;
      for (uint32_t i = VOLT__SLAB_NODES; i-- > 0;) {
        volt_node *n = &slab[i];
        if ((n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE || n->owner) continue;
        volt__dispose(c, n);
        any = true;
      }
    }
    /* The cleanups registered so far; those they register run in the
     * next pass (a cleanup that always registers another cannot hold the
     * close: the passes are bounded). */
    volt__cleanup *cl = c->root_cleanups;
    c->root_cleanups = NULL;
    while (cl) {
      volt__cleanup *next = cl->next;
      void (*fn)(void *) = cl->fn;
      void *ud = cl->ud;
      volt__free(c, cl, sizeof *cl);
      fn(ud);
      any = true;
      cl = next;
    }
    if (!any) break;
  }
  /* From here a root cleanup would never run: registering one is refused
   * (VOLT_ECLOSING); those the last pass registered run now, once. */
  c->cleanups_closed = true;
  volt__cleanup *cl;
  while ((cl = c->root_cleanups)) {
    c->root_cleanups = cl->next;
    void (*fn)(void *) = cl->fn;
    void *ud = cl->ud;
    volt__free(c, cl, sizeof *cl);
    fn(ud);
  }
  for (uint32_t i = 0; i < c->queue.len; i++) c->queue.at[i]->flags &= ~VOLT__F_QUEUED;
  for (uint32_t i = 0; i < c->later.len; i++) c->later.at[i]->flags &= ~VOLT__F_QUEUED;
  c->queue.len = c->queue_head = c->later.len = 0;
  c->batch--;
  volt__drain_graves(c);
  volt__limbo_drain(c);
}
