/* signals/core.h - the graph core's internal data layout and entry points.
 *
 * Shared by signals/, tokens/ and runtime/. No <uv.h> here: the runtime's
 * struct volt_rt starts with a volt__core, and the core only ever sees that
 * part (VOLT__CORE(rt)).
 *
 * Layout (docs/design.md explains the numbers):
 *  - nodes are 64-byte slots in slab chunks; their addresses are stable, so
 *    users hold volt_node pointers. A node holds its first subscriber and
 *    first dependency directly (one load per level when walking), its
 *    value's tag in the flags word, and finds its runtime below its slab;
 *  - edges are 32-byte records in one growable array, addressed by a 32-bit
 *    index (0 = none). Each edge sits in two lists: its dependency's
 *    subscriber list (doubly linked) and its subscriber's dependency list
 *    (singly linked, trimmed from the tail after each run);
 *  - rarely used per-node data (name, hooks, owner links, cleanups, kind
 *    data) lives in an extension record, allocated on demand.
 */
#ifndef VOLT_SIGNALS_CORE_H
#define VOLT_SIGNALS_CORE_H

#include <stdatomic.h>
#include <volt/volt.h>

/* ---- node flags ---------------------------------------------------------- */

/* Kind: the low 4 bits. */
enum {
  VOLT__K_FREE = 0,
  VOLT__K_SIGNAL,
  VOLT__K_COMPUTED,
  VOLT__K_EFFECT,
  VOLT__K_WATCHER,
  VOLT__K_SCOPE,
  VOLT__K_EVENT,
  VOLT__K_TOKEN,
  VOLT__K_MASK = 0xf
};

enum {
  VOLT__F_DIRTY = 1u << 4,     /* a direct dependency changed (signal: value pending) */
  VOLT__F_PENDING = 1u << 5,   /* an indirect dependency may have changed */
  VOLT__F_RUNNING = 1u << 6,   /* fn is running (tracking its reads) */
  VOLT__F_QUEUED = 1u << 7,    /* in the effect/watcher queue */
  VOLT__F_DISPOSED = 1u << 8,  /* disposed; slot freed when the flush ends */
  VOLT__F_HAS_VALUE = 1u << 9, /* computed has been evaluated once */
  VOLT__F_HOOKS = 1u << 10,    /* ext has watched/unwatched hooks */
  VOLT__F_RELEASE = 1u << 11,  /* ext has a release hook */
  VOLT__F_EQUALS = 1u << 12,   /* ext has an equals function */
  VOLT__F_ALWAYS = 1u << 13,   /* every write notifies (events) */
  VOLT__F_LISTENER = 1u << 14, /* subscriber handled by kind ops, not run as effect */
  VOLT__F_OWNS = 1u << 16 /* has (or had) children or cleanups */
};

#define VOLT__KIND(n) ((n)->flags & VOLT__K_MASK)

/* ---- records --------------------------------------------------------------- */

typedef struct volt__edge {
  volt_node *dep;     /* the node read */
  volt_node *sub;     /* the node that read it */
  uint32_t prev_sub;  /* dep's subscriber list (the head's is the tail) */
  uint32_t next_sub;
  uint32_t next_dep;  /* sub's dependency list; free-list link when unused */
  uint32_t version;   /* tracking run that last confirmed this edge */
} volt__edge;

/* Bits of a node's flags word above the state flags: the tag of the stored
 * value, whether that value is an error whose message the library copied,
 * and the node's index in its slab (the runtime pointer is stored just below
 * the slab's first slot). */
enum {
  VOLT__VT_SHIFT = 17,
  VOLT__VT_MASK = 7u << 17,
  VOLT__F_VOWN = 1u << 20, /* the value is an ERR with a copied message */
  VOLT__F_VERR = 1u << 21, /* the value is an ERR */
  VOLT__SLOT_SHIFT = 22
};
#define VOLT__SLOT_BITS (~0u << VOLT__SLOT_SHIFT)

/* A stored value's payload; its tag is in the node's flags. */
typedef union volt__payload {
  bool b;
  int64_t i;
  double n;
  void *p;
  const char *msg; /* VOLT_ERR with VOLT__F_VOWN: the copied message */
} volt__payload;

struct volt_node {
  uint32_t flags; /* kind, state flags, value tag, slot (see above) */
  uint32_t deps;  /* dependency list (edge indices, singly linked) */
  uint32_t subs;  /* subscriber list (edge indices, doubly linked and
                     circular backwards: the head's prev_sub is the tail) */
  uint32_t ext;   /* extension index, 0: none */
  uint32_t owner; /* extension index of the owner, 0: the runtime */
  uint32_t pos;   /* index in the owner's list of children */
  volt__payload val; /* current value (tag in flags; VOLT_ERR without
                        VOLT__F_VOWN keeps its code here) */
  union {
    struct {
      union {
        volt_val (*compute)(void *ud);
        void (*run)(void *ud);
        volt_watch_fn watch;
        void *any;
      } fn;
      void *ud;
    } f;
    volt_val pending; /* signals: the value written but not yet settled */
  } u;
  /* The first subscriber and the first dependency themselves (the nodes at
   * the heads of the two lists): walking the graph down or up a level is
   * then one load, not two (edge, then node). */
  volt_node *sub1;
  volt_node *dep1;
};

_Static_assert(sizeof(struct volt_node) == VOLT_NODE_BYTES && VOLT_NODE_BYTES == 64,
               "a node is one cache line (and volt.h says so)");
_Static_assert(sizeof(volt__edge) == VOLT_EDGE_BYTES && VOLT_EDGE_BYTES == 32,
               "an edge is half a cache line (and volt.h says so)");

/* The runtime a node belongs to: stored just below its slab's first slot.
 * Loop thread (the flags word is written there). */
static inline volt_rt *volt__rt_of(const volt_node *n) {
  const volt_node *slab0 = n - (n->flags >> VOLT__SLOT_SHIFT);
  return ((volt_rt *const *)(const void *)slab0)[-1];
}

/* An ERR message copied by the library carries its code in front of it. */
#define VOLT__ERRHDR 8u
static inline int32_t volt__errcode(const char *msg) {
  return *(const int32_t *)(const void *)(msg - VOLT__ERRHDR);
}
#define VOLT__V_OWNED 0x1u /* value flag: the ERR message was copied by the library */

static inline volt_tag_t volt__vtag(const volt_node *n) {
  return (volt_tag_t)((n->flags & VOLT__VT_MASK) >> VOLT__VT_SHIFT);
}
/* The value of a node whose flags word is f, when it is not an error. A
 * bool's payload is stored as 0 or 1 in all 8 bytes. */
static inline volt_val volt__plain_value(const volt_node *n, uint32_t f) {
  volt_val v;
  v.tag = (uint8_t)((f & VOLT__VT_MASK) >> VOLT__VT_SHIFT);
  v.flags = 0;
  v.reserved = 0;
  v.code = 0;
  v.u.i = n->val.i;
  return v;
}
/* The node's value as a volt_val (an owned ERR keeps VOLT__V_OWNED). */
static inline volt_val volt__value(const volt_node *n) {
  uint32_t f = n->flags;
  volt_val v = volt__plain_value(n, f);
  if (f & VOLT__F_VERR) {
    if (f & VOLT__F_VOWN) {
      v.flags = VOLT__V_OWNED;
      v.code = volt__errcode(n->val.msg);
    } else {
      v.code = (int32_t)n->val.i;
      v.u.msg = NULL;
    }
  }
  return v;
}
/* Stores v as the node's value (no release of the old one). An ERR value is
 * kept as its copied message (VOLT__V_OWNED) or as its code alone. */
static inline void volt__set_value(volt_node *n, volt_val v) {
  uint32_t f = n->flags & ~(VOLT__VT_MASK | VOLT__F_VOWN | VOLT__F_VERR);
  f |= (uint32_t)v.tag << VOLT__VT_SHIFT;
  if (v.tag == VOLT_ERR) {
    f |= VOLT__F_VERR;
    if ((v.flags & VOLT__V_OWNED) && v.u.msg) {
      f |= VOLT__F_VOWN;
      n->val.msg = v.u.msg;
    } else {
      n->val.i = v.code;
    }
  } else if (v.tag == VOLT_BOOL) {
    n->val.i = 0;
    n->val.b = v.u.b;
  } else if (v.tag == VOLT_NIL) {
    n->val.i = 0;
  } else {
    n->val.i = v.u.i;
  }
  n->flags = f;
}

typedef struct volt__cleanup {
  struct volt__cleanup *next;
  void (*fn)(void *ud);
  void *ud;
} volt__cleanup;

/* Per-kind behaviour for kinds defined outside signals/ (tokens, events,
 * watchers). Registered once per runtime in core->ops[kind]. */
typedef struct volt__kind_ops {
  const char *name; /* for DOT */
  /* A listener subscriber (VOLT__F_LISTENER) was reached by propagation:
   * it is queued and, when the flush reaches it, its DIRTY/PENDING marks
   * are cleared and run(n) is called. */
  void (*run)(volt_node *n);
  /* Free kind data; called once when the node is disposed, before its edges
   * are dropped. */
  void (*dispose)(volt_node *n);
} volt__kind_ops;

typedef struct volt__ext {
  volt_node *node;
  volt_node **kids;                 /* children, oldest first; NULL: disposed */
  uint32_t nkids, kids_cap, ndead;
  volt__cleanup *cleanups;          /* LIFO */
  char *name;
  bool (*equals)(volt_val a, volt_val b, void *ud);
  void (*release)(volt_val v, void *ud);
  void (*watched)(volt_node *n, void *ud);
  void (*unwatched)(volt_node *n, void *ud);
  void *opts_ud;
  void *data;                       /* kind data (tokens, watchers, events) */
  uint32_t next_free;
} volt__ext;

/* A value released later (at the end of the flush), so that watchers still
 * see the old value. */
typedef struct volt__grave {
  volt_val v;
  void (*release)(volt_val v, void *ud);
  void *ud;
} volt__grave;

/* One tracking run on the C stack. The cursor splits the run's dependency
 * list: up to `tail`, what this run has read; from `nx` on, what the
 * previous run read after that (dropped when the run ends). */
typedef struct volt__frame {
  volt_node *node;
  volt_node *last;  /* the node `tail` points to (NULL when tail is 0) */
  struct volt__core *core;
  volt_node *next;  /* the node `nx` points to (NULL when nx is 0): a read
                       of it is the common case, checked with one compare */
  uint32_t tail;    /* cursor: the last dependency confirmed in this run */
  uint32_t version; /* edges confirmed in this run carry it */
  uint32_t nx;      /* the edge after the cursor (0: none) */
  bool oom;         /* a dependency could not be recorded */
  struct volt__frame *prev;
} volt__frame;
/* The fields a confirmed read writes (last, next, tail, nx) are not
 * neighbours: GCC would merge neighbouring stores into vector stores, and
 * the next read's loads of a part of them wait for the store to forward
 * (measured: 25-1000x5 10 % slower). */

#define VOLT__SLAB_NODES 1024u /* at most 1 << (32 - VOLT__SLOT_SHIFT) */

typedef struct volt__slab {
  volt_node *nodes; /* VOLT__SLAB_NODES slots, 64-byte aligned inside raw */
  void *raw;
} volt__slab;
#define VOLT__EXT_CHUNK 256u
#define VOLT__KIDS_SPARES 2u  /* children arrays kept for reuse */
#define VOLT__KIDS_KEEP 1024u /* the smallest capacity worth keeping */

typedef struct volt__core {
  /* allocator */
  volt_realloc_fn realloc;
  void *realloc_ud;
  size_t bytes, node_bytes, edge_bytes;

  /* thread identity: address of a thread-local byte of the loop thread */
  const void *thread_tag;
  const void *get_tag; /* thread_tag, or NULL while a resync is pending:
                          volt_get's fast path checks both at once */

  /* nodes */
  volt__slab *slabs;
  uint32_t nslabs, slabs_cap;
  volt_node *free_nodes; /* linked through dep1 */
  size_t live_nodes;

  /* edges */
  volt__edge *edges; /* 64-byte aligned, inside edges_raw; edges[0] is
                        never used and names no node (a frame's `next`
                        for nx 0 is edges[0].dep, NULL) */
  void *edges_raw;
  uint32_t edges_cap, edges_used, free_edges;
  size_t live_edges;

  /* extensions */
  volt__ext **ext_chunks;
  uint32_t ext_nchunks, ext_used, free_ext;
  /* Children arrays of disposed owners kept for the next owners that grow
   * one (the largest few; see volt__kids_keep). */
  volt_node **kids_spare[VOLT__KIDS_SPARES];
  uint32_t kids_spare_cap[VOLT__KIDS_SPARES];
  /* The owner the last node was created under and its extension record (a
   * scope building many nodes skips the record lookup). Cleared when that
   * record is released. */
  volt_node *kid_owner;
  volt__ext *kid_px;

  /* tracking */
  volt__frame *frame;      /* innermost tracking run, NULL: untracked */
  struct volt__untracked *hidden; /* innermost untracked section: the runs
                                     it hides (volt__next_frame) */
  volt_node *owner;        /* current owner (effect/scope), NULL: runtime */
  const char *stack_limit; /* deeper than this: defer evaluation */
  uint32_t computing;      /* computeds being evaluated (writes forbidden) */
  uint32_t running;        /* effect/computed/watcher callbacks on the stack */
  uint32_t version;        /* tracking run counter */
  uint32_t deferred_evals; /* evaluations cut short for lack of stack */
  uint32_t eval_events;    /* bumped by anything that makes a running
                              evaluation end the slow way: a deferral, a
                              dependency not recorded, the node disposed */
  bool in_deferred;        /* volt__run_deferred is running */
  bool aborting;           /* an evaluation was deferred: unwind to the outermost */

  /* scratch stack for propagate/check (edge indices / nodes) */
  uint32_t *stack;
  uint32_t stack_cap, sp;
  volt_node **defer;       /* computeds to evaluate first (deep chains) */
  uint32_t defer_len, defer_cap;

  /* flushing */
  volt_node **queue; /* effects and listeners to run */
  uint32_t queue_len, queue_cap, queue_head;
  bool queued_owner; /* a node with children was queued in this flush (else
                        no queued node can be another's ancestor) */
  volt_node **wq;    /* watchers waiting for the effects to settle */
  uint32_t wq_len, wq_cap;
  volt_node **limbo; /* disposed during a flush; freed at its end */
  uint32_t limbo_len, limbo_cap;
  volt__grave *graves;
  uint32_t graves_len, graves_cap;
  uint32_t batch;    /* batch depth */
  union {
    struct {
      bool flushing;
      bool deferred;      /* flush from the loop (runtime sets schedule) */
      bool closing;
      bool close_pending; /* close requested during a flush */
    };
    uint32_t holds; /* the four at once (volt__maybe_flush) */
  };
  bool resync;       /* a mark was lost to an allocation failure (set
                        through volt__set_resync) */
  unsigned max_rounds;
  uint64_t flushes, effect_runs;
  volt__cleanup *root_cleanups; /* volt_on_cleanup outside any owner */

  /* hooks into the runtime layer */
  void (*schedule)(volt_rt *rt);  /* deferred mode: make sure a flush comes */
  void (*after_flush)(volt_rt *rt); /* e.g. a close requested during the flush */
  void (*on_error)(volt_rt *rt, int code, const char *msg, void *ud);
  void *on_error_ud;

  const volt__kind_ops *ops[VOLT__K_MASK + 1];

  /* tokens/: the ack table (ids and generations), owned by tokens/. Freed by
   * tokens_free (set by tokens/ when it creates the table) at core free. */
  struct volt__tokens *tokens;
  void (*tokens_free)(struct volt__core *c);
  /* runtime/: drain the cross-thread inbox (set by runtime/; may be NULL).
   * volt_flush calls it first. */
  void (*drain)(volt_rt *rt);
} volt__core;

#define VOLT__CORE(rt) ((volt__core *)(void *)(rt))
#define VOLT__E(c, i) (&(c)->edges[(i)])

/* Starts a tracking run of n: the cursor before the first dependency.
 * Field by field: as one initializer GCC zeroed the frame with vector
 * stores and merged the rest into vector stores, which the run's first
 * read then had to wait for. The vectorizer may still merge these, so the
 * functions that start runs are built without it (VOLT__NO_SLP). */
static inline void volt__frame_start(volt__frame *fr, volt__core *c, volt_node *n) {
  fr->node = n;
  fr->core = c;
  fr->last = NULL;
  fr->next = n->dep1;
  fr->tail = 0;
  fr->nx = n->deps;
  fr->version = c->version++;
  fr->oom = false;
  fr->prev = c->frame;
}
#if defined(__GNUC__) && !defined(__clang__)
#define VOLT__NO_SLP __attribute__((optimize("no-tree-slp-vectorize")))
#else
#define VOLT__NO_SLP
#endif

/* ---- entry points for the other layers ------------------------------------ */

static inline void volt__set_resync(volt__core *c, bool on) {
  c->resync = on;
  c->get_tag = on ? NULL : c->thread_tag;
}

/* Thread check: true on the runtime's loop thread. The identity of a thread
 * is the address of a thread-local byte (initial-exec TLS: one instruction). */
#if defined(__GNUC__)
extern _Thread_local char volt__tls_byte __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern _Thread_local volt__core *volt__tls_core __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern _Thread_local volt__frame *volt__tls_frame __attribute__((tls_model("initial-exec"), visibility("hidden")));
#else
extern _Thread_local volt__frame *volt__tls_frame;
extern _Thread_local char volt__tls_byte;
extern _Thread_local volt__core *volt__tls_core;
#endif
static inline bool volt__on_loop(const volt__core *c) {
  return c->thread_tag == (const void *)&volt__tls_byte;
}
const void *volt__thread_tag(void);

/* The runtime of a node read or written on this thread, when it is the one
 * this thread used last (volt__tls_core), else NULL. The pointer returned
 * comes from the thread-local copy, not from the node: code that goes on to
 * use the runtime does not wait for the node's flags and its slab to load
 * (measured: 12% of the time of the kairo "triangle" case). The caller still
 * checks the thread (c->get_tag) and falls back to volt__core_of. */
static inline volt__core *volt__core_hint(const volt_node *n) {
  volt__core *c = volt__tls_core;
  if (c != VOLT__CORE(volt__rt_of(n))) return NULL;
#if defined(__GNUC__)
  __asm__("" : "+r"(c)); /* keep the thread-local copy, not the equal one */
#endif
  return c;
}
/* The node's runtime; remembered as this thread's last one when this is its
 * loop thread. */
static inline volt__core *volt__core_of(const volt_node *n) {
  volt__core *c = VOLT__CORE(volt__rt_of(n));
  if (volt__on_loop(c)) volt__tls_core = c;
  return c;
}

/* The node's runtime if this is its loop thread, else NULL (the hint
 * first, then the node's slab). */
static inline volt__core *volt__core_here(const volt_node *n) {
  volt__core *c = volt__core_hint(n);
  if (c && volt__on_loop(c)) return c;
  c = volt__core_of(n);
  return volt__on_loop(c) ? c : NULL;
}

/* The allocator used when the config names none: the C library's. */
void *volt__default_realloc(void *ud, void *p, size_t old, size_t n);

/* Allocation through the hook, counted in c->bytes. */
void *volt__alloc(volt__core *c, size_t n);
void *volt__realloc(volt__core *c, void *p, size_t old, size_t n);
void volt__free(volt__core *c, void *p, size_t n);
char *volt__strdup(volt__core *c, const char *s);
void volt__strfree(volt__core *c, char *s);

/* Core life cycle, embedded in the runtime. */
int volt__core_init(volt__core *c, volt_rt *rt, const volt_config *cfg);
/* Disposes every live node (owners first), runs root cleanups. */
void volt__core_dispose_all(volt__core *c);
/* Frees all core memory (after dispose_all). */
void volt__core_free(volt__core *c);

/* A fresh node whose flags word starts as `flags` (its kind, and state or
 * value-tag bits), owned by the current owner. opts may be NULL. NULL on
 * allocation failure. */
volt_node *volt__node_new(volt__core *c, uint32_t flags, const volt_opts *opts);
/* The node's extension, allocating it if needed (NULL on failure). */
volt__ext *volt__ext_get(volt__core *c, volt_node *n, bool create);

/* Tracked read bookkeeping: links the running subscriber to n. Does
 * nothing outside a tracking run (c->frame == NULL). */
void volt__track(volt__core *c, volt_node *n);
/* True while a computed is being evaluated: writes are refused (EPERM). */
static inline bool volt__in_computed(const volt__core *c) { return c->computing != 0; }
/* Stores v as n's value (copying ERR messages), releasing the old value
 * through the graveyard. Returns false when the value equals the old one
 * (then v itself is released unless it is the same pointer). */
bool volt__store(volt__core *c, volt_node *n, volt_val v);
/* The value changed: mark subscribers (direct: dirty, indirect: pending) and
 * queue effects/listeners. Does not flush. */
void volt__propagate(volt__core *c, volt_node *n);
/* Same, marking direct subscribers PENDING too (a signal's write: its
 * value is pending until read). */
void volt__propagate_pending(volt__core *c, volt_node *n);
/* Flush now unless inside a batch or a flush, or deferred (then schedule).
 * The slow part: something of batch, flushing, deferred, closing,
 * close_pending, computing, running is set. */
int volt__maybe_flush_slow(volt__core *c);
int volt__flush(volt__core *c);
/* Four loads, one test. Not fewer, wider loads: batch, computing and
 * running were just written (batch begin, the end of an effect's run), and
 * a load wider than the store before it waits for that store to reach the
 * cache (measured: createComputations 7 % slower, triangle 6 %). */
static inline int volt__maybe_flush(volt__core *c) {
  if (c->batch | c->holds | c->computing | c->running)
    return c->holds ? volt__maybe_flush_slow(c) : 0; /* else in a batch or busy: later */
  if (!c->queue_len && !c->graves_len && !c->limbo_len && !c->resync) return 0;
  return volt__flush(c);
}
/* Release a value the node owns, now (PTR through the node's hook; ERR
 * messages the library copied). */
void volt__release_now(volt__core *c, volt_node *n, volt_val v);
/* Release later (end of flush). */
void volt__release_later(volt__core *c, volt_node *n, volt_val v);
/* A copy of v for storage: ERR messages duplicated (flag VOLT__V_OWNED). */
volt_val volt__val_own(volt__core *c, volt_val v);
void volt__val_drop(volt__core *c, volt_val v);
/* Report an error to cfg->on_error. */
void volt__report(volt__core *c, int code, const char *msg);
/* Makes sure a computed/effect is up to date (pull). */
void volt__refresh(volt__core *c, volt_node *n);
/* Subscribes sub (a listener node) to dep outside any tracking run. 0 or
 * VOLT_ENOMEM. */
int volt__link(volt__core *c, volt_node *dep, volt_node *sub);
/* Drops every dependency edge of sub. */
void volt__unlink_deps(volt__core *c, volt_node *sub);


#endif /* VOLT_SIGNALS_CORE_H */
