/* signals/graph.c - the propagation core: tracking reads into edges,
 * pushing "maybe stale" marks down the graph, pulling fresh values up it.
 *
 * A write marks its subscribers: direct ones DIRTY (or PENDING when the
 * written node is a signal, which holds the new value as "pending" until it
 * is settled), everything below PENDING; effects and listeners are queued.
 * A read of a PENDING node walks its dependencies (check_dirty), bringing
 * each up to date bottom-up, and recomputes only when one really changed.
 * Both walks use an explicit stack: nothing here recurses per graph level.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_getattr_np */
#endif
#include <math.h>
#include <pthread.h>

#include "signals/internal.h"

#define E(i) VOLT__E(c, i)
#define VOLT__MAX_NEST 2000u
#define TOPBIT 0x80000000u

/* ---- equality and storage ------------------------------------------------- */

static bool eq_slow(volt__core *c, volt_node *n, volt_val a, volt_val b) {
  if (n->flags & VOLT__F_EQUALS) {
    volt__ext *x = volt__ext_of(c, n);
    return x->equals(a, b, x->opts_ud);
  }
  return volt_val_eq(a, b);
}

/* Equality for the cutoff: the node's own, or volt_val_eq (inlined for the
 * common integer and pointer cases). */
static inline bool eq_fast(volt__core *c, volt_node *n, volt_val a, volt_val b) {
  if (!(n->flags & VOLT__F_EQUALS) && a.tag == b.tag) {
    if (a.tag == VOLT_INT || a.tag == VOLT_PTR) return a.u.i == b.u.i;
    if (a.tag == VOLT_NUM) return a.u.n == b.u.n || (isnan(a.u.n) && isnan(b.u.n));
  }
  return eq_slow(c, n, a, b);
}

bool volt__eq(volt__core *c, volt_node *n, volt_val a, volt_val b) { return eq_fast(c, n, a, b); }

/* Does releasing v do anything? (PTR with a release hook, or a copied
 * error message.) */
static inline bool needs_release(const volt_node *n, volt_val v) {
  return (v.tag == VOLT_PTR && (n->flags & VOLT__F_RELEASE)) ||
         (v.tag == VOLT_ERR && (v.flags & VOLT__V_OWNED));
}

/* A copied ERR message is stored behind an 8-byte header holding the code,
 * so that a node keeps an error in its 8-byte payload (volt__errcode). */
volt_val volt__val_own(volt__core *c, volt_val v) {
  if (v.tag == VOLT_ERR && v.u.msg) {
    size_t len = strlen(v.u.msg) + 1;
    char *h = volt__alloc(c, VOLT__ERRHDR + len);
    if (h) {
      memcpy(h, &v.code, sizeof v.code);
      memcpy(h + VOLT__ERRHDR, v.u.msg, len);
      v.u.msg = h + VOLT__ERRHDR;
      v.flags = VOLT__V_OWNED;
    } else {
      v.u.msg = NULL; /* out of memory: the error keeps its code */
      v.flags = 0;
    }
  } else {
    v.flags = 0;
  }
  return v;
}

void volt__val_drop(volt__core *c, volt_val v) {
  if (v.tag == VOLT_ERR && (v.flags & VOLT__V_OWNED) && v.u.msg) {
    char *h = (char *)(uintptr_t)v.u.msg - VOLT__ERRHDR;
    volt__free(c, h, VOLT__ERRHDR + strlen(v.u.msg) + 1);
  }
}

void volt__release_now(volt__core *c, volt_node *n, volt_val v) {
  if (v.tag == VOLT_PTR) {
    if (n->flags & VOLT__F_RELEASE) {
      volt__ext *x = volt__ext_of(c, n);
      x->release(v, x->opts_ud);
    }
  } else {
    volt__val_drop(c, v);
  }
}

void volt__release_later(volt__core *c, volt_node *n, volt_val v) {
  if (v.tag == VOLT_PTR && !(n->flags & VOLT__F_RELEASE)) return;
  if (v.tag != VOLT_PTR && !(v.tag == VOLT_ERR && (v.flags & VOLT__V_OWNED))) return;
  if (c->graves_len == c->graves_cap &&
      volt__grow(c, (void **)&c->graves, &c->graves_cap, c->graves_len + 1, sizeof(volt__grave))) {
    volt__release_now(c, n, v); /* no room to wait: release at once */
    return;
  }
  volt__grave *g = &c->graves[c->graves_len++];
  g->v = v;
  if (v.tag == VOLT_PTR) {
    volt__ext *x = volt__ext_of(c, n);
    g->release = x->release;
    g->ud = x->opts_ud;
  } else {
    g->release = NULL;
    g->ud = NULL;
  }
}

/* Not inlined into its callers: store_other's plain case (doubles, bools,
 * nil) then needs no saved registers. */
__attribute__((noinline)) bool volt__store(volt__core *c, volt_node *n, volt_val v) {
  volt_val old = volt__value(n);
  if ((n->flags & VOLT__F_HAS_VALUE) && eq_fast(c, n, old, v)) {
    if (v.tag == VOLT_PTR && v.u.p != old.u.p) volt__release_now(c, n, v);
    return false;
  }
  volt__set_value(n, v.tag == VOLT_ERR ? volt__val_own(c, v) : v);
  if ((n->flags & VOLT__F_HAS_VALUE) && needs_release(n, old)) volt__release_later(c, n, old);
  n->flags |= VOLT__F_HAS_VALUE;
  return true;
}

/* A plain (non-ERR) value's payload as a node stores it: a bool as 0 or 1,
 * nil as 0, everything else as its 8 bytes. */
static inline int64_t plain_payload(volt_val v) {
  if (v.tag == VOLT_INT || v.tag == VOLT_PTR || v.tag == VOLT_NUM) return v.u.i;
  return v.tag == VOLT_BOOL ? (int64_t)(v.u.b != 0) : 0;
}

/* Does the node hold exactly the plain value v (volt_val_eq)? The same rule
 * as eq_fast, but the stored bits are compared first: going through
 * eq_fast here made the dynamic graphs (doubles) 13 % slower. */
static inline bool holds(const volt_node *n, uint32_t f, volt_val v, int64_t p) {
  if ((f & (VOLT__F_HAS_VALUE | VOLT__VT_MASK)) != (VOLT__F_HAS_VALUE | ((uint32_t)v.tag << VOLT__VT_SHIFT)))
    return false;
  if (v.tag == VOLT_NUM && n->val.i != p) return n->val.n == v.u.n || (isnan(n->val.n) && isnan(v.u.n));
  return n->val.i == p;
}

/* Stores a plain value when the node has no hooks and no error; true when
 * it changed. */
static inline bool store_plain(volt_node *n, uint32_t f, volt_val v) {
  int64_t p = plain_payload(v);
  if (holds(n, f, v, p)) return false;
  n->val.i = p;
  n->flags = (f & ~VOLT__VT_MASK) | ((uint32_t)v.tag << VOLT__VT_SHIFT) | VOLT__F_HAS_VALUE;
  return true;
}

__attribute__((noinline)) static bool store_other(volt__core *c, volt_node *n, volt_val v) {
  uint32_t f = n->flags;
  if (!(f & (VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR)) && v.tag != VOLT_ERR)
    return store_plain(n, f, v);
  return volt__store(c, n, v);
}

/* The common case of volt__store, inlined: an integer or pointer, no hooks,
 * no error values. */
static inline bool store_fast(volt__core *c, volt_node *n, volt_val v) {
  uint32_t f = n->flags;
  if (!(f & (VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR)) && (v.tag == VOLT_INT || v.tag == VOLT_PTR)) {
    uint32_t vt = (uint32_t)v.tag << VOLT__VT_SHIFT;
    if ((f & (VOLT__F_HAS_VALUE | VOLT__VT_MASK)) == (VOLT__F_HAS_VALUE | vt) && n->val.i == v.u.i)
      return false;
    n->val.i = v.u.i;
    n->flags = (f & ~VOLT__VT_MASK) | vt | VOLT__F_HAS_VALUE;
    return true;
  }
  return store_other(c, n, v);
}

__attribute__((noinline)) static bool settle_other(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  volt_val p = n->u.pending;
  if (!(f & (VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR)) && p.tag != VOLT_ERR) {
    n->u.pending = volt_nil();
    n->flags = f & ~VOLT__F_DIRTY;
    return store_plain(n, f & ~VOLT__F_DIRTY, p);
  }
  return volt__settle_signal(c, n);
}

/* The common case of settling: an integer pending over an integer value,
 * no hooks, no error (flags & SETTLES_INT_MASK == SETTLES_INT_BITS, pending
 * tagged VOLT_INT). */
#define SETTLES_INT_MASK (VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR | VOLT__VT_MASK)
#define SETTLES_INT_BITS ((uint32_t)VOLT_INT << VOLT__VT_SHIFT)
/* Settles such a signal, its flags word f and pending integer p; true when
 * the value changed. */
static inline bool settle_int(volt_node *n, uint32_t f, int64_t p) {
  n->flags = f & ~VOLT__F_DIRTY;
  n->u.pending = volt_nil();
  if (n->val.i == p) return false;
  n->val.i = p;
  return true;
}

/* The common case of volt__settle_signal, inlined (always: as the walk in
 * check_walk grew, GCC began to call it, +20 instructions a write on
 * avoidablePropagation). */
static inline __attribute__((always_inline)) bool settle_fast(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  volt_val p = n->u.pending;
  if ((f & SETTLES_INT_MASK) == SETTLES_INT_BITS && p.tag == VOLT_INT) return settle_int(n, f, p.u.i);
  return settle_other(c, n);
}

/* A signal's pending value becomes current. True when it changed. */
bool volt__settle_signal(volt__core *c, volt_node *n) {
  n->flags &= ~VOLT__F_DIRTY;
  volt_val p = n->u.pending;
  n->u.pending = volt_nil();
  volt_val old = volt__value(n);
  if (eq_fast(c, n, old, p)) {
    if ((p.tag != VOLT_PTR || p.u.p != old.u.p) && needs_release(n, p)) volt__release_now(c, n, p);
    return false;
  }
  volt__set_value(n, p);
  if (needs_release(n, old)) volt__release_later(c, n, old);
  return true;
}

/* ---- edges -------------------------------------------------------------------- */

static void fire_hook(volt__core *c, volt_node *n, bool watched) {
  volt__ext *x = volt__ext_of(c, n);
  void (*fn)(volt_node *, void *) = watched ? x->watched : x->unwatched;
  if (fn) fn(n, x->opts_ud);
}

/* Appends a fresh edge dep -> sub after sub's `prev` (0: at the head), in
 * front of `next`. Returns the edge or 0 when out of memory. */
static uint32_t new_edge(volt__core *c, volt_node *dep, volt_node *sub, uint32_t prev,
                         uint32_t next, uint32_t version) {
  uint32_t e = volt__edge_alloc(c);
  if (!e) return 0;
  volt__edge *ed = E(e);
  uint32_t head = dep->subs;
  ed->dep = dep;
  ed->sub = sub;
  ed->version = version;
  ed->next_dep = next;
  ed->next_sub = 0;
  if (prev)
    E(prev)->next_dep = e;
  else
    sub->deps = e, sub->dep1 = dep;
  if (head) {
    uint32_t tail = E(head)->prev_sub;
    E(tail)->next_sub = e;
    ed->prev_sub = tail;
    E(head)->prev_sub = e;
  } else {
    ed->prev_sub = e;
    dep->subs = e, dep->sub1 = sub;
    if (dep->flags & VOLT__F_HOOKS) fire_hook(c, dep, true);
  }
  return e;
}

/* ---- tracking: the run's cursor over its dependency list ---------------------- */

/* Confirms edge nx (to n, the frame's `next`) for this run and moves the
 * cursor onto it. */
static inline void cursor_confirm(volt__frame *fr, volt__edge *edges, uint32_t nx, volt_node *n) {
  uint32_t after = edges[nx].next_dep;
  edges[nx].version = fr->version;
  fr->tail = nx;
  fr->last = n;
  fr->nx = after;
  fr->next = edges[after].dep; /* NULL for 0 */
}

/* The common cases of a tracked read: the same dependency as the last read,
 * the next one of the previous run, or one read earlier in this run (its
 * edge is then n's newest subscriber). False when none holds. */
static inline bool track_fast(volt__frame *fr, volt__edge *edges, volt_node *n) {
  if (fr->last == n) return true; /* never NULL: n is not */
  if (fr->next == n) {
    cursor_confirm(fr, edges, fr->nx, n);
    return true;
  }
  uint32_t st = n->subs ? edges[n->subs].prev_sub : 0;
  return st && edges[st].version == fr->version && edges[st].sub == fr->node;
}

/* A new dependency: an edge after the cursor (track_fast said no). A node
 * disposed meanwhile (by the code this run called) is not linked: its slot
 * is waiting to be reused. */
static void track_new(volt__core *c, volt__frame *fr, volt_node *dep) {
  if (dep->flags & VOLT__F_DISPOSED) return;
  uint32_t e = new_edge(c, dep, fr->node, fr->tail, fr->nx, fr->version);
  if (!e) {
    fr->oom = true;
    c->eval_events++;
    return;
  }
  fr->tail = e;
  fr->last = dep;
}

void volt__track(volt__core *c, volt_node *dep) {
  volt__frame *fr = c->frame;
  if (fr && !track_fast(fr, c->edges, dep)) track_new(c, fr, dep);
}

int volt__link(volt__core *c, volt_node *dep, volt_node *sub) {
  uint32_t tail = sub->deps;
  while (tail && E(tail)->next_dep) tail = E(tail)->next_dep;
  uint32_t e = new_edge(c, dep, sub, tail, 0, 0);
  if (!e) return VOLT_ENOMEM;
  return 0;
}

/* Removes edge e from its dependency's subscriber list. */
static void unlink_from_dep(volt__core *c, uint32_t e) {
  volt__edge *ed = E(e);
  volt_node *dep = ed->dep;
  uint32_t head = dep->subs;
  if (e == head) {
    /* The new head inherits the tail link (unless the list empties). */
    dep->subs = ed->next_sub;
    dep->sub1 = ed->next_sub ? E(ed->next_sub)->sub : NULL;
    if (ed->next_sub) E(ed->next_sub)->prev_sub = ed->prev_sub;
  } else {
    E(ed->prev_sub)->next_sub = ed->next_sub;
    if (ed->next_sub)
      E(ed->next_sub)->prev_sub = ed->prev_sub;
    else
      E(head)->prev_sub = ed->prev_sub; /* e was the tail */
  }
  if (!dep->subs && (dep->flags & VOLT__F_HOOKS) && !(dep->flags & VOLT__F_DISPOSED))
    fire_hook(c, dep, false);
}

/* Drops every dependency of n after `tail` (all of them when tail is 0).
 * A computed left without subscribers keeps its own dependencies: it stays
 * cached and up to date (DESIGN.md §5: it recomputes only when a dependency
 * really changed); volt_dispose is what lets it go. */
void volt__trim_deps(volt__core *c, volt_node *n, uint32_t tail) {
  uint32_t e;
  if (tail) {
    e = c->edges[tail].next_dep;
    c->edges[tail].next_dep = 0;
  } else {
    e = n->deps;
    n->deps = 0;
    n->dep1 = NULL;
  }
  while (e) {
    uint32_t next = c->edges[e].next_dep;
    unlink_from_dep(c, e);
    volt__edge_free(c, e);
    e = next;
  }
}

void volt__unlink_deps(volt__core *c, volt_node *sub) { volt__trim_deps(c, sub, 0); }

/* Drops every subscriber edge of n (n is going away). Subscribers are not
 * notified. */
void volt__unlink_subs(volt__core *c, volt_node *n) {
  uint32_t e = n->subs;
  n->subs = 0;
  n->sub1 = NULL;
  while (e) {
    volt__edge *ed = E(e);
    uint32_t next = ed->next_sub;
    volt_node *sub = ed->sub;
    /* Unlink from sub's singly linked dependency list. */
    uint32_t prev = 0, cur = sub->deps;
    while (cur && cur != e) {
      prev = cur;
      cur = E(cur)->next_dep;
    }
    if (cur) {
      if (prev)
        E(prev)->next_dep = ed->next_dep;
      else
        sub->deps = ed->next_dep, sub->dep1 = ed->next_dep ? E(ed->next_dep)->dep : NULL;
      if (sub->flags & VOLT__F_RUNNING) {
        /* Keep the running node's tracking cursor off the freed edge. */
        volt__untracked *h = c->hidden;
        for (volt__frame *f = c->frame; f || h; f = volt__next_frame(f, &h))
          /* The cursor's node stays edges[tail].dep. (Not observable today:
           * slots are not reused while a run is on the stack.) */
          if (f && f->node == sub) {
            if (f->tail == e) {
              f->tail = prev;
              f->last = prev ? E(prev)->dep : NULL;
            }
            if (f->nx == e) {
              f->nx = ed->next_dep;
              f->next = E(ed->next_dep)->dep;
            }
          }
      }
    }
    volt__edge_free(c, e);
    e = next;
  }
}

/* ---- push: marking ------------------------------------------------------------- */

/* volt__enqueue when the queue is full. Out of line, so that the common
 * path saves no registers. */
__attribute__((noinline)) static int enqueue_grow(volt__core *c, volt_node *n) {
  if (volt__grow(c, (void **)&c->queue, &c->queue_cap, c->queue_len + 1, sizeof(volt_node *))) {
    volt__set_resync(c, true); /* the next flush finds it again */
    volt__report(c, VOLT_ENOMEM, "out of memory: an effect could not be queued");
    return VOLT_ENOMEM;
  }
  c->queue[c->queue_len++] = n;
  n->flags |= VOLT__F_QUEUED;
  return 0;
}

/* Not inlined: inside the marking walk it made GCC move the walk down
 * into computeds out of line (triangle 6 % slower). */
__attribute__((noinline)) int volt__enqueue(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  if (f & (VOLT__F_QUEUED | VOLT__F_DISPOSED)) return 0;
  if (f & VOLT__F_OWNS) c->queued_owner = true;
  if (c->queue_len == c->queue_cap) return enqueue_grow(c, n);
  c->queue[c->queue_len++] = n;
  n->flags = f | VOLT__F_QUEUED;
  return 0;
}

/* Is e one of the dependencies the running node `sub` has read in this run? */
static bool read_in_this_run(volt__core *c, volt_node *sub, uint32_t e) {
  volt__untracked *h = c->hidden;
  for (volt__frame *f = c->frame; f || h; f = volt__next_frame(f, &h))
    if (f && f->node == sub) return E(e)->version == f->version;
  return false;
}

/* The marking walk; `target` is the mark for n's direct subscribers,
 * everything below gets PENDING. With target PENDING (a signal's write)
 * every level has the same mark and the stack holds plain edges; with DIRTY
 * an edge's top bit on the stack says which level it is on. Inlined into
 * its two callers, so that `target` is a constant in each. */
static inline __attribute__((always_inline)) void propagate_walk(volt__core *c, volt_node *n,
                                                                 uint32_t target) {
  uint32_t e = n->subs;
  if (!e) return;
  volt__edge *edges = c->edges; /* no edge is allocated while marking */
  uint32_t base = c->sp, sp = base;
  uint32_t level = target; /* mark for the current level */
  volt_node *sub = n->sub1;  /* edges[e].sub */
  for (;;) {
    volt__edge *ed = &edges[e];
    uint32_t f = sub->flags;
    if (!(f & (VOLT__F_DIRTY | VOLT__F_PENDING | VOLT__F_RUNNING))) {
      sub->flags = f | level;
      if (VOLT__KIND(sub) != VOLT__K_COMPUTED) {
        volt__enqueue(c, sub);
      } else if (sub->subs) {
        if (ed->next_sub) {
          if (sp == c->stack_cap && volt__stack_reserve(c, sp + 1)) {
            /* Cannot remember the way back: mark everything stale at the
             * next flush or read instead of losing a notification. */
            volt__set_resync(c, true);
            volt__report(c, VOLT_ENOMEM, "out of memory while propagating");
            break;
          }
          if (target == VOLT__F_PENDING)
            c->stack[sp++] = ed->next_sub;
          else
            c->stack[sp++] = ed->next_sub | (level == VOLT__F_PENDING ? TOPBIT : 0);
        }
        e = sub->subs;
        sub = sub->sub1;
        level = VOLT__F_PENDING;
        continue;
      }
    } else if (f & VOLT__F_RUNNING) {
      /* The running node read a value that is now stale: run it again. */
      if (read_in_this_run(c, sub, e)) {
        sub->flags = f | VOLT__F_DIRTY;
        if (volt__is_listener(sub)) volt__enqueue(c, sub);
      }
    } else {
      if (level == VOLT__F_DIRTY && !(f & VOLT__F_DIRTY)) sub->flags = f | VOLT__F_DIRTY;
      if (!(f & VOLT__F_QUEUED) && volt__is_listener(sub)) volt__enqueue(c, sub);
    }
    e = ed->next_sub;
    if (!e) {
      if (sp == base) break;
      uint32_t top = c->stack[--sp];
      if (target == VOLT__F_PENDING) {
        e = top;
      } else {
        e = top & ~TOPBIT;
        level = (top & TOPBIT) ? VOLT__F_PENDING : VOLT__F_DIRTY;
      }
    }
    sub = edges[e].sub;
  }
  c->sp = base;
}

void volt__propagate_pending(volt__core *c, volt_node *n) { propagate_walk(c, n, VOLT__F_PENDING); }
void volt__propagate(volt__core *c, volt_node *n) { propagate_walk(c, n, VOLT__F_DIRTY); }

/* n changed: subscribers marked PENDING become DIRTY. */
void volt__shallow_propagate(volt__core *c, volt_node *n) {
  for (uint32_t e = n->subs; e; e = E(e)->next_sub) {
    volt_node *sub = E(e)->sub;
    uint32_t f = sub->flags;
    /* A PENDING listener is queued or being processed already. */
    if ((f & (VOLT__F_PENDING | VOLT__F_DIRTY)) == VOLT__F_PENDING) sub->flags = f | VOLT__F_DIRTY;
  }
}

/* After an allocation failure lost a mark: every computed is recomputed on
 * its next read and every effect, watcher and token is checked again. */
void volt__resync(volt__core *c) {
  volt__set_resync(c, false);
  for (uint32_t i = 0; i < c->nslabs; i++) {
    volt_node *slab = c->slabs[i].nodes;
    for (uint32_t j = 0; j < VOLT__SLAB_NODES; j++) {
      volt_node *n = &slab[j];
      uint32_t k = VOLT__KIND(n);
      if (k == VOLT__K_FREE || (n->flags & VOLT__F_DISPOSED)) continue;
      if (k == VOLT__K_COMPUTED) {
        if (n->flags & VOLT__F_HAS_VALUE) n->flags |= VOLT__F_DIRTY;
      } else if (k == VOLT__K_EFFECT || k == VOLT__K_WATCHER || (n->flags & VOLT__F_LISTENER)) {
        if (!(n->flags & VOLT__F_RUNNING)) n->flags |= VOLT__F_DIRTY;
        volt__enqueue(c, n);
      }
    }
  }
}

/* ---- pull: evaluation ------------------------------------------------------------ */

static bool stack_low(const volt__core *c) {
  char here;
  /* At least a few levels per round, so deferring always makes progress; at
   * most VOLT__MAX_NEST levels, whatever the stack (sanitizers and debuggers
   * keep their own per-frame bookkeeping). */
  if (c->computing < 8) return false;
  if (c->computing > VOLT__MAX_NEST) return true;
  return c->stack_limit && (const char *)&here < c->stack_limit;
}

static int defer_push(volt__core *c, volt_node *n) {
  if (c->defer_len == c->defer_cap &&
      volt__grow(c, (void **)&c->defer, &c->defer_cap, c->defer_len + 1, sizeof(volt_node *)))
    return VOLT_ENOMEM;
  c->defer[c->defer_len++] = n;
  return 0;
}

static bool update_computed(volt__core *c, volt_node *n);

/* Brings a computed up to date if needed. True when its value changed. */
static bool refresh_computed(volt__core *c, volt_node *n) {
  uint32_t f = n->flags;
  if ((f & VOLT__F_DIRTY) || !(f & VOLT__F_HAS_VALUE)) return update_computed(c, n);
  if (f & VOLT__F_PENDING) {
    if (volt__check_dirty(c, n)) return update_computed(c, n);
    n->flags &= ~VOLT__F_PENDING;
  }
  return false;
}

/* Evaluates the computeds whose evaluation was cut short for lack of stack,
 * deepest first, from the shallow end of the C stack. */
void volt__run_deferred(volt__core *c) {
  if (c->in_deferred) return; /* the outer loop carries on */
  c->in_deferred = true;
  while (c->defer_len) {
    volt_node *d = c->defer[c->defer_len - 1];
    uint32_t before = c->defer_len;
    c->aborting = false;
    if (!(d->flags & VOLT__F_DISPOSED)) {
      if (refresh_computed(c, d)) volt__shallow_propagate(c, d);
    }
    /* When d queued deeper work, it stays below it and is retried. */
    if (c->defer_len == before) c->defer_len--;
  }
  c->aborting = false;
  c->in_deferred = false;
}

/* The uncommon endings of an evaluation: something below was deferred, a
 * dependency could not be recorded, or the node was disposed meanwhile.
 * Returns 1 to evaluate again, 0 when n is left unchanged, and 2 when v
 * (possibly replaced) is to be stored. */
__attribute__((noinline)) static int finish_slow(volt__core *c, volt_node *n, volt_val *v,
                                                 uint32_t aborts, bool oom) {
  if (c->deferred_evals != aborts) {
    /* v was computed from placeholders. */
    if (v->tag == VOLT_PTR && !((n->flags & VOLT__F_HAS_VALUE) && volt__vtag(n) == VOLT_PTR &&
                                v->u.p == n->val.p))
      volt__release_now(c, n, *v);
    n->flags |= VOLT__F_DIRTY;
    if (n->flags & VOLT__F_DISPOSED) {
      volt__finish_dispose(c, n);
      return 0;
    }
    if (c->computing > 0 || c->in_deferred) return 0;
    c->aborting = false;
    volt__run_deferred(c);
    return 1;
  }
  if (oom) {
    /* A dependency could not be recorded: report it as the value and try
     * again at the next read. */
    if (v->tag == VOLT_PTR) volt__release_now(c, n, *v);
    *v = volt_err(VOLT_ENOMEM, NULL);
    n->flags |= VOLT__F_DIRTY;
  }
  if (n->flags & VOLT__F_DISPOSED) {
    volt__release_now(c, n, *v);
    volt__finish_dispose(c, n);
    return 0;
  }
  return 2;
}

/* The evaluation, inlined into update_computed, into get_next_computed (a
 * stale next dependency) and into check_walk (dirty dependencies, and the
 * way up): one call level and its saved registers fewer for each of those
 * evaluations. */
static inline __attribute__((always_inline)) bool update_body(volt__core *c, volt_node *n) {
  for (;;) {
    uint32_t aborts = c->deferred_evals, events = c->eval_events;
    if (c->aborting || c->computing >= 8) {
      if (c->aborting && c->computing == 0 && !c->in_deferred) {
        /* Not expected (aborts are handled before they reach the outermost
         * level), but never evaluate on top of one. */
        c->aborting = false;
        volt__run_deferred(c);
      }
      if (c->aborting && c->computing > 0) {
        /* An evaluation below was deferred: everything above it is thrown
         * away, so evaluating more here is wasted (and, in a wide graph,
         * would defer again and again). */
        n->flags |= VOLT__F_DIRTY;
        return false;
      }
      if (stack_low(c) && defer_push(c, n) == 0) {
        /* Too deep to evaluate here: let the outermost evaluation do it. */
        c->deferred_evals++;
        c->eval_events++;
        c->aborting = true;
        n->flags |= VOLT__F_DIRTY;
        return false;
      }
    }
    /* A computed owns what its function creates (and its cleanups): they go
     * before it re-runs and when it is disposed. */
    if (n->flags & (VOLT__F_OWNS | VOLT__F_DISPOSED)) {
      /* Disposed while the read that wants it was on its way (a dependency
       * checked on the way disposed it): nothing to evaluate. */
      if (n->flags & VOLT__F_DISPOSED) return false;
      volt__reset_owner(c, n);
    }
    volt__frame fr;
    volt__frame_start(&fr, c, n);
    n->flags = (n->flags & ~(VOLT__F_DIRTY | VOLT__F_PENDING)) | VOLT__F_RUNNING;
    c->frame = &fr; /* also makes n the owner of what fn creates (volt__owner) */
    volt__frame *outer = volt__tls_frame;
    volt__tls_frame = &fr;
    c->computing++;
    volt_val v = n->u.f.fn.compute(n->u.f.ud);
    c->computing--;
    volt__tls_frame = outer;
    c->frame = fr.prev;
    n->flags &= ~VOLT__F_RUNNING;
    if (fr.nx) volt__trim_deps(c, n, fr.tail); /* what the run no longer read */
    if (c->eval_events != events) {
      int r = finish_slow(c, n, &v, aborts, fr.oom);
      if (r == 1) continue;
      if (r == 0) return false;
    }
    return store_fast(c, n, v);
  }
}

VOLT__NO_SLP static bool update_computed(volt__core *c, volt_node *n) { return update_body(c, n); }

/* Updates a dirty dependency during check_dirty. True when it changed. */
static inline __attribute__((always_inline)) bool update_dep(volt__core *c, volt_node *dep) {
  switch (VOLT__KIND(dep)) {
  case VOLT__K_SIGNAL:
    return settle_fast(c, dep);
  case VOLT__K_COMPUTED:
    return update_body(c, dep);
  default:
    return false; /* events and tokens hold their value directly */
  }
}

/* n is PENDING: walks its dependencies depth first, updating dirty ones from
 * the bottom up. True when one of n's direct dependencies changed.
 * The way back up is the edge each level was entered by, kept on the
 * scratch stack: popping it does not wait for the node above to be loaded,
 * so the loads of the way up overlap (following cur->subs instead makes
 * one chain of dependent loads per level). */
__attribute__((noinline)) VOLT__NO_SLP static bool check_walk(volt__core *c, volt_node *n, uint32_t e) {
  uint32_t base = c->sp, sp = base;
  volt_node *cur = n; /* the node whose dependencies are being scanned */
  volt__edge *edges = c->edges; /* reloaded after anything that may link */
  bool dirty = false;
  for (;;) {
    while (e) {
      volt_node *dep = edges[e].dep;
    scan:;
      uint32_t df = dep->flags;
      if (df & VOLT__F_DIRTY) {
        c->sp = sp;
        bool changed = update_dep(c, dep);
        edges = c->edges;
        if (c->aborting) {
          /* Deferred below: leave the marks as they are; the outermost
           * evaluation comes back. */
          c->sp = base;
          return true;
        }
        if (changed) {
          if (c->edges[dep->subs].next_sub) volt__shallow_propagate(c, dep);
          dirty = true;
          break;
        }
      } else if ((df & (VOLT__F_PENDING | VOLT__K_MASK)) == (VOLT__F_PENDING | VOLT__K_COMPUTED) &&
                 dep->deps) {
        if (sp == c->stack_cap && volt__stack_reserve(c, sp + 1)) {
          c->sp = base;
          return true; /* cannot walk: recompute to be safe */
        }
        c->stack[sp++] = e; /* the way back up */
        cur = dep;
        e = dep->deps;
        dep = dep->dep1;
        goto scan;
      } else if (df & VOLT__F_PENDING) {
        dep->flags = df & ~VOLT__F_PENDING;
      }
      e = edges[e].next_dep;
    }
    /* cur's level is done: dirty says whether one of its dependencies
     * changed, or a dependency updated on another path (shallow propagation)
     * marked cur itself dirty meanwhile. Go up. */
    if (cur->flags & VOLT__F_DIRTY) dirty = true;
    for (;;) {
      if (sp == base) { /* back at n */
        c->sp = base;
        return dirty;
      }
      uint32_t up = c->stack[--sp];
      if (dirty) {
        c->sp = sp;
        dirty = update_body(c, cur);
        edges = c->edges;
        if (c->aborting) {
          c->sp = base;
          return true;
        }
        if (dirty && cur->subs && c->edges[cur->subs].next_sub) volt__shallow_propagate(c, cur);
      } else {
        cur->flags &= ~VOLT__F_PENDING;
      }
      cur = edges[up].sub;
      if (dirty) continue; /* the level above has a changed dependency */
      e = edges[up].next_dep;
      if (e) break;
      if (cur->flags & VOLT__F_DIRTY) dirty = true;
    }
  }
}

static bool shallow_propagate_true(volt__core *c, volt_node *n) {
  volt__shallow_propagate(c, n);
  return true;
}

/* n's first level without the walk's stack and saved registers: settled
 * dependencies and integer signals are handled here (an effect that reads
 * signals needs nothing more); anything else hands the rest of the list to
 * check_walk. Only tail calls, so that nothing here needs saved registers. */
bool volt__check_dirty(volt__core *c, volt_node *n) {
  volt__edge *edges = c->edges;
  for (uint32_t e = n->deps; e; e = edges[e].next_dep) {
    volt_node *dep = edges[e].dep;
    uint32_t df = dep->flags;
    if (df & VOLT__F_DIRTY) {
      /* settle_fast's integer case, without its call to the general one */
      if ((df & (VOLT__K_MASK | SETTLES_INT_MASK)) != (VOLT__K_SIGNAL | SETTLES_INT_BITS) ||
          dep->u.pending.tag != VOLT_INT)
        return check_walk(c, n, e);
      if (!settle_int(dep, df, dep->u.pending.u.i)) continue; /* unchanged */
      if (edges[dep->subs].next_sub) return shallow_propagate_true(c, dep);
      return true;
    } else if (df & VOLT__F_PENDING) {
      if ((df & VOLT__K_MASK) == VOLT__K_COMPUTED && dep->deps) return check_walk(c, n, e);
      dep->flags = df & ~VOLT__F_PENDING;
    }
  }
  return (n->flags & VOLT__F_DIRTY) != 0;
}

void volt__refresh(volt__core *c, volt_node *n) {
  switch (VOLT__KIND(n)) {
  case VOLT__K_SIGNAL:
    if ((n->flags & VOLT__F_DIRTY) && settle_fast(c, n)) volt__shallow_propagate(c, n);
    break;
  case VOLT__K_COMPUTED:
    if (refresh_computed(c, n)) volt__shallow_propagate(c, n);
    break;
  default:
    break;
  }
}

/* ---- public reads and writes ------------------------------------------------------- */

__attribute__((noinline)) static volt_val read_node(volt_node *n, bool tracked) {
  if (!n) return volt_err(VOLT_EINVAL, "NULL node");
  volt__core *c = volt__core_here(n);
  if (!c) return volt_err(VOLT_ETHREAD, "volt_get called off the loop thread");
  uint32_t f = n->flags, k = f & VOLT__K_MASK;
  if (k == VOLT__K_FREE || (f & (VOLT__F_DISPOSED | VOLT__F_RUNNING))) {
    if (k == VOLT__K_FREE || (f & VOLT__F_DISPOSED)) return volt_err(VOLT_EINVAL, "node disposed");
    return volt_err(VOLT_ECYCLE, "cycle: a computed read itself");
  }
  bool busy = volt__busy(c);
  if (c->resync && !busy) volt__resync(c);
  volt__refresh(c, n);
  if (tracked) volt__track(c, n);
  /* Outside any flush, with nothing queued that could still report them,
   * replaced values are released before the read returns. */
  if (!busy && !c->flushing) {
    if (c->graves_len && !c->queue_len) volt__drain_graves(c);
    if (c->limbo_len) volt__drain_limbo(c);
  }
  if (k == VOLT__K_COMPUTED && !(n->flags & VOLT__F_HAS_VALUE)) return volt_nil();
  return volt__value(n);
}

/* volt_get's fast path when the read is a new dependency. */
__attribute__((noinline)) static volt_val get_track_new(volt__core *c, volt__frame *fr, volt_node *n) {
  track_new(c, fr, n);
  return volt__value(n);
}

/* A stale computed n that is the next dependency of the run fr (its `next`):
 * brings it up to date and confirms nx, without the generic read path. */
__attribute__((noinline)) VOLT__NO_SLP static volt_val get_next_computed(volt__frame *fr, volt_node *n) {
  volt__core *c = fr->core;
  uint32_t f = n->flags;
  /* refresh_computed, its first test inlined (a stale dependency is most
   * often DIRTY already): one call level fewer on every such read. */
  bool changed = ((f & VOLT__F_DIRTY) || !(f & VOLT__F_HAS_VALUE)) ? update_body(c, n)
                                                                 : refresh_computed(c, n);
  /* The running node is RUNNING: shallow propagation would skip it. */
  if (changed && (n->sub1 != fr->node || c->edges[n->subs].next_sub)) volt__shallow_propagate(c, n);
  /* n's evaluation does not touch this run's dependencies (unless it
   * disposed the running node, which frees them): n is normally still the
   * next dependency (the frame keeps `next` the node of edge `nx`). */
  if (fr->next == n)
    cursor_confirm(fr, c->edges, fr->nx, n);
  else
    volt__track(c, n);
  /* volt__value with the flags word loaded once (written as a call to
   * volt__value it loads it again: +1 % instructions on diamond). */
  f = n->flags;
  if (!(f & VOLT__F_HAS_VALUE)) return volt_nil();
  return (f & VOLT__F_VERR) ? volt__value(n) : volt__plain_value(n, f);
}

#define SETTLED_MASK                                                                          \
  (VOLT__F_DIRTY | VOLT__F_PENDING | VOLT__F_RUNNING | VOLT__F_DISPOSED | VOLT__F_HAS_VALUE | \
   VOLT__F_VERR)

VOLT__INLINE_API volt_val volt_get(volt_node *n) {
  if (n) {
    uint32_t f = n->flags;
    bool settled = (f & SETTLED_MASK) == VOLT__F_HAS_VALUE;
    volt__frame *fr0 = volt__tls_frame;
    if (fr0) {
      /* Inside a tracking run on this thread: reading again the node read
       * last, or the next dependency of the previous run, proves that the
       * node is this runtime's and that this is its loop thread. */
      if (settled && fr0->last == n) return volt__plain_value(n, f);
      if (fr0->next == n) {
        if (settled) {
          cursor_confirm(fr0, fr0->core->edges, fr0->nx, n);
          return volt__plain_value(n, f);
        }
        if ((f & (VOLT__K_MASK | VOLT__F_RUNNING | VOLT__F_DISPOSED)) == VOLT__K_COMPUTED)
          return get_next_computed(fr0, n);
      }
    }
    /* A settled node on the loop thread of the runtime this thread used
     * last. */
    volt__core *c = settled ? volt__core_hint(n) : NULL;
    if (c && c->get_tag == (const void *)&volt__tls_byte) {
      volt__frame *fr = c->frame;
      if (fr && !track_fast(fr, c->edges, n)) return get_track_new(c, fr, n);
      return volt__plain_value(n, f);
    }
  }
  return read_node(n, true);
}
volt_val volt_peek(volt_node *n) { return read_node(n, false); }

VOLT__INLINE_API int volt_set(volt_node *n, volt_val v) {
  if (!n) return VOLT_EINVAL;
  /* volt__core_here written out: through the helper the NULL test is one
   * more branch on every write (+1 % instructions on avoidablePropagation). */
  volt__core *c = volt__core_hint(n);
  if (!c || !volt__on_loop(c)) {
    c = volt__core_of(n);
    if (!volt__on_loop(c)) return VOLT_ETHREAD;
  }
  uint32_t f = n->flags;
  if ((f & (VOLT__K_MASK | VOLT__F_DISPOSED | VOLT__F_DIRTY | VOLT__F_EQUALS | VOLT__F_RELEASE |
            VOLT__F_VERR)) == VOLT__K_SIGNAL &&
      v.tag != VOLT_ERR && !c->computing) {
    /* The common case: a settled signal without hooks, a plain value. */
    int64_t p = plain_payload(v);
    if (holds(n, f, v, p)) return 0;
    v.flags = 0;
    n->u.pending = v;
    n->flags = f | VOLT__F_DIRTY;
    if (n->subs)
      volt__propagate_pending(c, n);
    else
      (void)settle_fast(c, n);
    return volt__maybe_flush(c);
  }
  if (VOLT__KIND(n) != VOLT__K_SIGNAL || (f & VOLT__F_DISPOSED)) return VOLT_EINVAL;
  if (c->computing) {
    if (v.tag == VOLT_PTR) volt__release_now(c, n, v);
    return VOLT_EPERM;
  }
  volt_val cur = volt__value(n);
  volt_val latest = (f & VOLT__F_DIRTY) ? n->u.pending : cur;
  if (eq_fast(c, n, latest, v)) {
    if (v.tag == VOLT_PTR && v.u.p != latest.u.p) volt__release_now(c, n, v);
    return 0;
  }
  if (v.tag == VOLT_ERR)
    v = volt__val_own(c, v);
  else
    v.flags = 0;
  if (f & VOLT__F_DIRTY) {
    volt_val old = n->u.pending;
    if ((old.tag != VOLT_PTR || cur.tag != VOLT_PTR || old.u.p != cur.u.p) && needs_release(n, old))
      volt__release_now(c, n, old);
  }
  n->u.pending = v;
  n->flags = f | VOLT__F_DIRTY;
  if (!n->subs) {
    /* Nobody to notify: settle now, so the replaced value is released at
     * once (through the flush's release step) rather than at the next read. */
    volt__settle_signal(c, n);
    return volt__maybe_flush(c);
  }
  volt__propagate_pending(c, n);
  return volt__maybe_flush(c);
}

/* ---- constructors ------------------------------------------------------------------ */

VOLT__INLINE_API volt_node *volt_signal(volt_rt *rt, volt_val init, const volt_opts *opts) {
  if (!rt) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c)) return NULL;
  bool err = init.tag == VOLT_ERR;
  uint32_t vt = err ? 0 : (uint32_t)init.tag << VOLT__VT_SHIFT;
  volt_node *n = volt__node_new(c, VOLT__K_SIGNAL | VOLT__F_HAS_VALUE | vt, opts);
  if (!n) {
    if (init.tag == VOLT_PTR && opts && opts->release) opts->release(init, opts->ud);
    return NULL;
  }
  /* The slot comes zeroed: pending is nil. */
  if (err)
    volt__set_value(n, volt__val_own(c, init));
  else
    n->val.i = plain_payload(init);
  return n;
}

volt_node *volt_computed(volt_rt *rt, volt_val (*fn)(void *ud), void *ud, const volt_opts *opts) {
  if (!rt || !fn) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c)) return NULL;
  volt_node *n = volt__node_new(c, VOLT__K_COMPUTED | VOLT__F_DIRTY, opts);
  if (!n) return NULL;
  n->u.f.fn.compute = fn;
  n->u.f.ud = ud;
  return n;
}

/* ---- stack budget --------------------------------------------------------------------- */

void volt__stack_init(volt__core *c) {
  c->stack_limit = NULL;
#if defined(__linux__) && defined(__GLIBC__)
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    void *lo = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&a, &lo, &size) == 0 && lo && size) {
      /* Keep a reserve for user code, libc and the sanitizers. */
      size_t reserve = size / 2;
      if (reserve > 256 * 1024) reserve = 256 * 1024;
      if (reserve < 24 * 1024) reserve = size > 48 * 1024 ? 24 * 1024 : size / 2;
      c->stack_limit = (const char *)lo + reserve;
    }
    pthread_attr_destroy(&a);
  }
#endif
}
