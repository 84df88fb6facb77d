/* signals/owner.c - ownership: node creation under the current owner,
 * scopes, cleanups, and disposal of whole subtrees (iteratively, last
 * created first).
 *
 * An owner keeps its children in an array in its extension record; a child
 * keeps the owner's extension index and its position in that array (two
 * 32-bit fields of the node), so a node created inside a component costs
 * no more than one created outside (plus its slot in the owner's array).
 */
#include "signals/internal.h"

volt_node *volt__owner_of(volt__core *c, const volt_node *n) {
  return n->owner ? volt__ext_at(c, n->owner)->node : NULL;
}

/* Appends n to the children of owner (extension px, which has room). */
static inline void add_kid(volt_node *owner, volt__ext *px, volt_node *n) {
  n->owner = owner->ext;
  n->pos = px->nkids;
  px->kids[px->nkids++] = n;
  owner->flags |= VOLT__F_OWNS;
}

/* The owner's children array is full: take the largest spare if it is
 * larger (volt__kids_keep), else grow. 0 or VOLT_ENOMEM. */
static int grow_kids(volt__core *c, volt__ext *px) {
  uint32_t big = 0;
  for (uint32_t i = 1; i < VOLT__KIDS_SPARES; i++)
    if (c->kids_spare_cap[i] > c->kids_spare_cap[big]) big = i;
  if (c->kids_spare_cap[big] > px->kids_cap) {
    volt_node **kids = c->kids_spare[big];
    uint32_t cap = c->kids_spare_cap[big];
    c->kids_spare[big] = NULL;
    c->kids_spare_cap[big] = 0;
    if (px->nkids) memcpy(kids, px->kids, (size_t)px->nkids * sizeof(volt_node *));
    volt__kids_keep(c, px->kids, px->kids_cap); /* the old array: freed, or a spare */
    px->kids = kids;
    px->kids_cap = cap;
    return 0;
  }
  return volt__grow(c, (void **)&px->kids, &px->kids_cap, px->nkids + 1, sizeof(volt_node *));
}

/* Appends n to owner's children, making room. 0 or VOLT_ENOMEM. */
static int attach(volt__core *c, volt_node *owner, volt_node *n) {
  volt__ext *px = owner->ext ? volt__ext_of(c, owner) : volt__ext_get(c, owner, true);
  if (!px) return VOLT_ENOMEM;
  if (px->nkids == px->kids_cap && grow_kids(c, px)) return VOLT_ENOMEM;
  add_kid(owner, px, n);
  return 0;
}

/* The owner's newest child still listed, NULL when none. */
static volt_node *last_kid(volt__ext *px) {
  while (px->nkids && !px->kids[px->nkids - 1]) {
    px->nkids--;
    px->ndead--;
  }
  return px->nkids ? px->kids[px->nkids - 1] : NULL;
}

static void detach_from_owner(volt__core *c, volt_node *n) {
  if (!n->owner) return;
  volt__ext *px = volt__ext_at(c, n->owner);
  uint32_t pos = n->pos;
  n->owner = n->pos = 0;
  if (pos + 1 == px->nkids) {
    px->nkids--;
    (void)last_kid(px); /* drop holes left at the end */
    return;
  }
  px->kids[pos] = NULL;
  px->ndead++;
  if (px->ndead > 16 && px->ndead * 2 > px->nkids) {
    /* More holes than children: close them up, keeping creation order. */
    uint32_t k = 0;
    for (uint32_t i = 0; i < px->nkids; i++) {
      volt_node *kid = px->kids[i];
      if (!kid) continue;
      kid->pos = k;
      px->kids[k++] = kid;
    }
    px->nkids = k;
    px->ndead = 0;
  }
}

static bool opts_used(const volt_opts *opts) {
  return opts && (opts->name || opts->equals || opts->release || opts->watched || opts->unwatched ||
                  opts->ud);
}

/* volt__node_new when something needs more than the common path: options,
 * a new slab, an owner without its extension record or without room for
 * one more child. Out of line, so that the common path saves no registers. */
__attribute__((noinline)) static volt_node *node_new_slow(volt__core *c, uint32_t flags,
                                                          const volt_opts *opts) {
  if (c->closing) return NULL;
  volt_node *n = volt__node_alloc(c, flags);
  if (!n) return NULL;
  if (opts_used(opts)) {
    volt__ext *x = volt__ext_get(c, n, true);
    if (!x) goto fail;
    if (opts->name && !(x->name = volt__strdup(c, opts->name))) goto fail;
    x->equals = opts->equals;
    x->release = opts->release;
    x->watched = opts->watched;
    x->unwatched = opts->unwatched;
    x->opts_ud = opts->ud;
    if (opts->equals) n->flags |= VOLT__F_EQUALS;
    if (opts->release) n->flags |= VOLT__F_RELEASE;
    if (opts->watched || opts->unwatched) n->flags |= VOLT__F_HOOKS;
  }
  volt_node *owner = volt__current_owner(c);
  if (owner && attach(c, owner, n)) goto fail;
  return n;
fail:
  volt__ext_release(c, n);
  volt__node_release_slot(c, n);
  c->live_nodes--;
  return NULL;
}

/* The common path: no options, a free slot, and no owner or an owner with
 * room for one more child. Creating 100,000 signals in a scope took 74
 * instructions a node before this split (callgrind). */
volt_node *volt__node_new(volt__core *c, uint32_t flags, const volt_opts *opts) {
  volt_node *n = c->free_nodes;
  if (c->closing || !n || opts_used(opts)) return node_new_slow(c, flags, opts);
  volt_node *owner = volt__current_owner(c);
  volt__ext *px = NULL;
  if (owner) {
    if (owner == c->kid_owner) {
      px = c->kid_px;
    } else {
      if (!owner->ext) return node_new_slow(c, flags, opts);
      px = volt__ext_at(c, owner->ext);
      c->kid_owner = owner;
      c->kid_px = px;
    }
    if (px->nkids == px->kids_cap) return node_new_slow(c, flags, opts);
  }
  volt__node_init(c, n, flags);
  if (px) add_kid(owner, px, n);
  return n;
}


/* Runs n's cleanups, last registered first, untracked and unowned. */
static void run_cleanups(volt__core *c, volt_node *n) {
  volt__ext *x = volt__ext_of(c, n);
  if (!x) return;
  volt__untracked u;
  volt__untrack_begin(c, &u);
  volt_node *owner = c->owner;
  c->owner = NULL;
  volt__cleanup *cl;
  while ((x = volt__ext_of(c, n)) && (cl = x->cleanups)) {
    x->cleanups = cl->next;
    void (*fn)(void *) = cl->fn;
    void *ud = cl->ud;
    volt__free(c, cl, sizeof *cl);
    fn(ud);
  }
  volt__untrack_end(c, &u);
  c->owner = owner;
}

/* Frees the node's storage once nothing runs it. */
void volt__finish_dispose(volt__core *c, volt_node *n) {
  if (VOLT__KIND(n) == VOLT__K_FREE) return;
  volt__ext *cx;
  volt_node *child;
  while ((cx = volt__ext_of(c, n)) && (child = last_kid(cx))) {
    /* Children created after a running node was disposed. */
    if (child->flags & VOLT__F_DISPOSED)
      detach_from_owner(c, child);
    else
      volt__dispose_tree(c, child);
  }
  if (cx && cx->cleanups) run_cleanups(c, n);
  uint32_t k = VOLT__KIND(n);
  const volt__kind_ops *ops = c->ops[k];
  if (ops && ops->dispose) ops->dispose(n);
  if (n->deps) volt__unlink_deps(c, n);
  if (n->subs) volt__unlink_subs(c, n);
  if (k == VOLT__K_SIGNAL || k == VOLT__K_COMPUTED || k == VOLT__K_EVENT) {
    volt_val v = volt__value(n);
    if ((n->flags & VOLT__F_HAS_VALUE) && (v.tag == VOLT_PTR || v.tag == VOLT_ERR))
      volt__release_later(c, n, v);
    if (k == VOLT__K_SIGNAL && (n->flags & VOLT__F_DIRTY)) {
      volt_val p = n->u.pending;
      if (p.tag != VOLT_PTR || v.tag != VOLT_PTR || p.u.p != v.u.p) volt__release_later(c, n, p);
    }
  }
  volt__set_value(n, volt_nil());
  detach_from_owner(c, n);
  volt__ext_release(c, n);
  n->flags = (n->flags & (VOLT__K_MASK | VOLT__F_QUEUED | VOLT__SLOT_BITS)) | VOLT__F_DISPOSED;
  c->live_nodes--;
  if (c->flushing || volt__busy(c) || (n->flags & VOLT__F_QUEUED)) {
    if (c->limbo_len == c->limbo_cap &&
        volt__grow(c, (void **)&c->limbo, &c->limbo_cap, c->limbo_len + 1, sizeof(volt_node *))) {
      /* Cannot wait: the slot stays out of use until the runtime closes (it
       * stays marked disposed, so nothing uses it). */
      return;
    }
    c->limbo[c->limbo_len++] = n;
  } else {
    volt__node_release_slot(c, n);
  }
}

static void dispose_walk(volt__core *c, volt_node *root, bool direct);

/* Disposes root and its subtree: children before their owner, last created
 * first. Iterative: walks down to the last child, disposes leaves on the
 * way back up. */
void volt__dispose_tree(volt__core *c, volt_node *root) {
  /* Count as running: slots go to limbo, so pointers held here stay valid
   * even if cleanups dispose more. */
  bool direct = !c->flushing && !volt__busy(c);
  c->running++;
  dispose_walk(c, root, direct);
  c->running--;
}

/* Disposes the owner's newest children while they are plain leaves (no
 * extension, edges, queued work, running code or value to release): no
 * user code runs, so their slots can go straight back to the free list. */
static void dispose_plain_kids(volt__core *c, volt__ext *x, bool direct) {
  uint32_t nk = x->nkids;
  volt_node **kids = x->kids;
  volt_node *free_list = c->free_nodes;
  size_t gone = 0;
  while (nk) {
    volt_node *k = kids[nk - 1];
    if (!k) {
      nk--;
      x->ndead--;
      continue;
    }
    uint32_t f = k->flags, kind = f & VOLT__K_MASK;
    if ((k->ext | k->deps | k->subs) || (kind != VOLT__K_SIGNAL && kind != VOLT__K_COMPUTED) ||
        (f & (VOLT__F_OWNS | VOLT__F_RUNNING | VOLT__F_QUEUED | VOLT__F_DISPOSED | VOLT__F_DIRTY |
              VOLT__F_RELEASE | VOLT__F_VERR)))
      break;
    nk--;
    gone++;
    k->owner = k->pos = 0;
    k->val.i = 0;
    if (direct) {
      k->flags = f & VOLT__SLOT_BITS; /* free, value nil */
      k->dep1 = free_list;
      free_list = k;
      continue;
    }
    k->flags = (f & VOLT__SLOT_BITS) | kind | VOLT__F_DISPOSED;
    if (c->limbo_len < c->limbo_cap) {
      c->limbo[c->limbo_len++] = k;
    } else if (volt__grow(c, (void **)&c->limbo, &c->limbo_cap, c->limbo_len + 1,
                          sizeof(volt_node *)) == 0) {
      c->limbo[c->limbo_len++] = k;
    }
    /* else: the slot stays out of use until the runtime closes */
  }
  x->nkids = nk;
  c->free_nodes = free_list;
  c->live_nodes -= gone;
}

static void dispose_walk(volt__core *c, volt_node *root, bool direct) {
  volt_node *cur = root;
  for (;;) {
    if (cur->flags & VOLT__F_DISPOSED) {
      /* Already going (a running node): only cut it loose. */
      if (cur == root) return;
    }
    volt__ext *x = volt__ext_of(c, cur);
    if (x) dispose_plain_kids(c, x, direct);
    volt_node *child = x ? last_kid(x) : NULL;
    if (child) {
      if (!(child->flags & VOLT__F_DISPOSED)) {
        cur = child;
        continue;
      }
      /* A disposed child still running: detach it and move on. */
      detach_from_owner(c, child);
      continue;
    }
    volt_node *parent = volt__owner_of(c, cur);
    cur->flags |= VOLT__F_DISPOSED;
    if (cur->flags & VOLT__F_RUNNING) {
      c->eval_events++; /* its evaluation ends the slow way */
      /* The running node is finished when its function returns. */
      detach_from_owner(c, cur);
    } else {
      volt__finish_dispose(c, cur);
    }
    if (cur == root || !parent) return;
    cur = parent;
  }
}

/* Before an effect re-runs: its children go, then its cleanups run. */
void volt__reset_owner(volt__core *c, volt_node *n) {
  if (!(n->flags & VOLT__F_OWNS)) return;
  n->flags &= ~VOLT__F_OWNS; /* set again by whatever the next run creates */
  volt__ext *x = volt__ext_of(c, n);
  if (!x) return;
  volt_node *child;
  while ((x = volt__ext_of(c, n)) && (child = last_kid(x))) {
    if (child->flags & VOLT__F_DISPOSED)
      detach_from_owner(c, child);
    else
      volt__dispose_tree(c, child);
  }
  run_cleanups(c, n);
}

void volt_dispose(volt_node *n) {
  if (!n) return;
  volt__core *c = VOLT__CORE(volt__rt_of(n));
  if (!volt__on_loop(c)) return;
  if (VOLT__KIND(n) == VOLT__K_FREE || (n->flags & VOLT__F_DISPOSED)) return;
  volt__dispose_tree(c, n);
  if (!c->flushing && !volt__busy(c)) volt__drain_limbo(c);
  volt__maybe_flush(c);
}

volt_node *volt_scope(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return NULL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, NULL);
  volt_node *n = volt__node_new(c, VOLT__K_SCOPE, NULL);
  if (!n) return NULL;
  if (!volt__ext_get(c, n, true)) {
    volt__dispose_tree(c, n);
    return NULL;
  }
  volt__untracked u;
  volt__untrack_begin(c, &u);
  volt_node *owner = c->owner;
  c->owner = n;
  n->flags |= VOLT__F_RUNNING;
  fn(ud);
  n->flags &= ~VOLT__F_RUNNING;
  volt__untrack_end(c, &u);
  c->owner = owner;
  if (n->flags & VOLT__F_DISPOSED) {
    volt__finish_dispose(c, n);
    n = NULL;
  }
  if (!c->flushing && !volt__busy(c)) volt__drain_limbo(c);
  volt__maybe_flush(c);
  return n;
}

int volt_on_cleanup(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  volt__cleanup *cl = volt__alloc(c, sizeof *cl);
  if (!cl) return VOLT_ENOMEM;
  cl->fn = fn;
  cl->ud = ud;
  volt_node *owner = volt__current_owner(c);
  if (owner) {
    volt__ext *x = volt__ext_get(c, owner, true);
    if (!x) {
      volt__free(c, cl, sizeof *cl);
      return VOLT_ENOMEM;
    }
    cl->next = x->cleanups;
    x->cleanups = cl;
    owner->flags |= VOLT__F_OWNS;
  } else {
    cl->next = c->root_cleanups;
    c->root_cleanups = cl;
  }
  return 0;
}

void volt_untrack(volt_rt *rt, void (*fn)(void *ud), void *ud) {
  if (!rt || !fn) return;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c)) return;
  volt__untracked u;
  volt__untrack_begin(c, &u);
  fn(ud);
  volt__untrack_end(c, &u);
}

/* Disposes everything: runtime-owned trees, newest slab first, then the
 * runtime's own cleanups. Nothing flushes meanwhile. */
void volt__core_dispose_all(volt__core *c) {
  c->batch++;
  /* Cleanups may register more root cleanups (constructors already refuse
   * once the runtime is closing): repeat until a pass finds nothing left,
   * at most a bounded number of times. */
  for (int pass = 0; pass < 100; pass++) {
    bool any = false;
    for (uint32_t s = c->nslabs; s-- > 0;) {
      volt_node *slab = c->slabs[s].nodes;
      for (uint32_t i = VOLT__SLAB_NODES; i-- > 0;) {
        volt_node *n = &slab[i];
        if (VOLT__KIND(n) == VOLT__K_FREE || (n->flags & VOLT__F_DISPOSED)) continue;
        if (n->owner) continue; /* goes with its owner */
        volt__dispose_tree(c, n);
        any = true;
      }
    }
    volt__cleanup *cl;
    while ((cl = c->root_cleanups)) {
      c->root_cleanups = cl->next;
      void (*fn)(void *) = cl->fn;
      void *ud = cl->ud;
      volt__free(c, cl, sizeof *cl);
      fn(ud);
      any = true;
    }
    if (!any) break;
  }
  for (uint32_t i = 0; i < c->queue_len; i++) c->queue[i]->flags &= ~VOLT__F_QUEUED;
  c->queue_len = c->queue_head = 0;
  c->wq_len = 0;
  c->batch--;
  volt__drain_graves(c);
  volt__drain_limbo(c);
}
