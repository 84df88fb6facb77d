/* signals/internal.h - functions shared between the files of signals/ only. */
#ifndef VOLT_SIGNALS_INTERNAL_H
#define VOLT_SIGNALS_INTERNAL_H

#include <assert.h>

#include "signals/core.h"

/* alloc.c */
int volt__grow(volt__core *c, void **arr, uint32_t *cap, uint32_t need, size_t size);
/* A zeroed slot whose flags word is `flags` (kind, state, value tag). */
volt_node *volt__node_alloc(volt__core *c, uint32_t flags);
/* Takes the free slot n off the free list and makes it a fresh node of
 * `flags` (value NIL unless flags say; no edges, owner or extension).
 * A free slot already has no edges, owner, extension or value (fresh slabs
 * are zeroed, and disposal clears them before a slot goes back): only the
 * flags, the free-list link and `u` are written here, three stores where
 * zeroing the whole slot took seven (createSignals). */
static inline void volt__node_init(volt__core *c, volt_node *n, uint32_t flags) {
  assert(!n->deps && !n->subs && !n->sub1 && !n->owner && !n->pos && !n->ext && !n->val.i);
  volt_node *next = n->dep1;
  c->free_nodes = next;
  /* The next creation waits for that slot's line otherwise (its free-list
   * link): the same code measured 0.61 or 0.69 ms on createSignals
   * depending on the rest of the binary's layout; with it, 0.60 in both. */
  if (next) __builtin_prefetch(next, 1);
  n->flags = (n->flags & VOLT__SLOT_BITS) | flags; /* one store: value NIL unless flags say */
  n->dep1 = NULL;
  n->u.f.fn.any = NULL;
  n->u.f.ud = NULL;
  c->live_nodes++;
}
void volt__node_release_slot(volt__core *c, volt_node *n);
uint32_t volt__edge_alloc(volt__core *c);
void volt__edge_free(volt__core *c, uint32_t i);
/* Extension records by index (chunks never move), and a node's own. */
static inline volt__ext *volt__ext_at(volt__core *c, uint32_t i) {
  return &c->ext_chunks[i / VOLT__EXT_CHUNK][i % VOLT__EXT_CHUNK];
}
static inline volt__ext *volt__ext_of(volt__core *c, const volt_node *n) {
  return n->ext ? volt__ext_at(c, n->ext) : NULL;
}
/* An owner's children array that is no longer needed: kept as a spare if
 * it is among the largest few, else freed. */
void volt__kids_keep(volt__core *c, volt_node **kids, uint32_t cap);
/* owner.c: the node's owner, NULL for the runtime. */
volt_node *volt__owner_of(volt__core *c, const volt_node *n);
void volt__ext_release(volt__core *c, volt_node *n);
int volt__stack_reserve(volt__core *c, uint32_t need);
void volt__core_defaults(volt__core *c, volt_rt *rt, const volt_config *cfg);

/* graph.c */
bool volt__eq(volt__core *c, volt_node *n, volt_val a, volt_val b);
bool volt__check_dirty(volt__core *c, volt_node *n);
void volt__shallow_propagate(volt__core *c, volt_node *n);
bool volt__settle_signal(volt__core *c, volt_node *n);
void volt__trim_deps(volt__core *c, volt_node *n, uint32_t tail);
void volt__unlink_subs(volt__core *c, volt_node *n);
int volt__enqueue(volt__core *c, volt_node *n);
void volt__run_deferred(volt__core *c);
void volt__resync(volt__core *c);
void volt__stack_init(volt__core *c);

/* flush.c */
void volt__run_effect(volt__core *c, volt_node *n);
void volt__drain_graves(volt__core *c);
void volt__drain_limbo(volt__core *c);

/* owner.c */
void volt__dispose_tree(volt__core *c, volt_node *root);
void volt__finish_dispose(volt__core *c, volt_node *n);
void volt__reset_owner(volt__core *c, volt_node *n);

/* watch.c */
void volt__watcher_run(volt__core *c, volt_node *w);

/* True when the effect/watcher queue or watcher phase should handle n. */
static inline bool volt__is_listener(const volt_node *n) {
  return VOLT__KIND(n) != VOLT__K_COMPUTED;
}

/* User code of the graph is on the C stack (an effect, computed or watcher
 * function, or a disposal walk): no flush may start and slots wait in limbo. */
static inline bool volt__busy(const volt__core *c) { return c->running || c->computing; }

/* The owner of nodes and cleanups created now: the computed being evaluated
 * (it owns what its function creates), else the running effect or scope. */
static inline volt_node *volt__current_owner(const volt__core *c) {
  volt__frame *f = c->frame;
  if (f && VOLT__KIND(f->node) == VOLT__K_COMPUTED) return f->node;
  return c->owner;
}

/* An untracked section (cleanups, scopes, watchers, volt_untrack): no
 * tracking run on the runtime, none on the thread (volt_get's frame fast
 * path must not track into the run outside). The runs outside stay
 * reachable through c->hidden (volt__next_frame): a dependency disposed or
 * written inside the section must still find them (unlink_subs moves their
 * cursors off freed edges; propagation re-runs a running node that read a
 * value now stale). */
typedef struct volt__untracked {
  volt__frame *frame, *tls;    /* the runtime's and the thread's runs before */
  struct volt__untracked *up;  /* the section around this one, if any */
} volt__untracked;
static inline void volt__untrack_begin(volt__core *c, volt__untracked *u) {
  u->frame = c->frame;
  u->tls = volt__tls_frame;
  u->up = c->hidden;
  c->hidden = u;
  c->frame = NULL;
  volt__tls_frame = NULL;
}
static inline void volt__untrack_end(volt__core *c, volt__untracked *u) {
  c->frame = u->frame;
  volt__tls_frame = u->tls;
  c->hidden = u->up;
}
/* Every run of the runtime on the stack, innermost first, those behind
 * untracked sections included: for (f = c->frame, h = c->hidden; f || h;
 * f = volt__next_frame(f, &h)) with a NULL check on f in the body. */
static inline volt__frame *volt__next_frame(volt__frame *f, volt__untracked **h) {
  if (f) return f->prev;
  volt__frame *r = (*h)->frame;
  *h = (*h)->up;
  return r;
}

/* A public entry point that a static build with link-time optimization may
 * copy into the caller (volt_get inside computed functions: measured 3 %
 * on the geometric mean of the benchmark, 10-15 % on the dynamic graphs and
 * cellx). The exported symbol is still emitted. */
#if defined(__clang__)
#define VOLT__INLINE_API __attribute__((always_inline)) /* `inline` would warn (static-in-inline) */
#elif defined(__GNUC__)
#define VOLT__INLINE_API __attribute__((always_inline)) inline
#else
#define VOLT__INLINE_API
#endif

/* Loop-thread check for public entry points: returns from the caller. */
#define VOLT__CHECK_THREAD(c, ret) \
  do {                             \
    if (!volt__on_loop(c)) return ret; \
  } while (0)

#endif /* VOLT_SIGNALS_INTERNAL_H */
