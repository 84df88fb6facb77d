/* signals/core.h - the graph core as the other layers see it: the node and
 * edge records, the kind ops, and the narrow internal API that tokens/ and
 * runtime/ use. No <uv.h> here, nor anywhere in signals/.
 *
 * Records (docs/design.md, "Layout"):
 *  - a node is one 64-byte slot in a slab of VOLT__SLAB_NODES; its address
 *    never changes (users hold volt_node pointers). The runtime pointer sits
 *    just below the slab's first slot and a node knows its slot index, so
 *    it finds its runtime without storing it;
 *  - an edge is a 32-byte record in one growable array, named by a 32-bit
 *    index (0: none). It sits in two doubly linked lists: its dependency's
 *    subscribers and its subscriber's dependencies;
 *  - what few nodes need (name, hooks, children, cleanups, kind data) lives
 *    in an extension record, made on demand.
 *
 * The core never asks what kind a node is: it calls the kind's ops.
 */
#ifndef VOLT_SIGNALS_CORE_H
#define VOLT_SIGNALS_CORE_H

#include <volt/graph.h>

/* ---- flags ------------------------------------------------------------------ */

enum {
  VOLT__F_DIRTY = 1u << 0,     /* must be brought up to date (update op) */
  VOLT__F_PENDING = 1u << 1,   /* something it depends on may have changed */
  VOLT__F_RUNNING = 1u << 2,   /* its function is on the C stack, tracking */
  VOLT__F_QUEUED = 1u << 3,    /* in the flush queue */
  VOLT__F_DISPOSED = 1u << 4,  /* disposed; the slot waits for the limbo */
  VOLT__F_HAS_VALUE = 1u << 5, /* holds a value (a computed: evaluated once) */
  VOLT__F_LISTENER = 1u << 6,  /* reached by a mark, it is queued (run op),
                                  not marked through */
  VOLT__F_HOOKS = 1u << 7,     /* ext has watched/unwatched hooks */
  VOLT__F_RELEASE = 1u << 8,   /* ext has a release hook */
  VOLT__F_EQUALS = 1u << 9,    /* ext has an equals function */
  VOLT__F_OWNS = 1u << 10,     /* has (or had) children or cleanups */
  VOLT__F_ALIVE = 1u << 11,    /* the slot holds a node (free slots: 0) */
  VOLT__F_VERR = 1u << 12,     /* the value is an ERR */
  VOLT__F_VOWN = 1u << 13,     /* ... whose message the library copied */
  VOLT__F_LOST = 1u << 17,     /* a read of its run could not be recorded */
  VOLT__F_CHECKING = 1u << 18, /* on the path of a check walk (c->walk): read
                                  by the node that walk is settling, a cycle */
  VOLT__F_OWED = 1u << 20,     /* a signal written while holding a value to
                                  release: a grave slot is kept for it */
  VOLT__F_VALUE = 1u << 19,    /* its kind has a readable value (a copy of
                                  VOLT__KIND_VALUE: reads need not load the
                                  kind record) */
  VOLT__VT_SHIFT = 14,         /* 3 bits: the value's tag */
  VOLT__VT_MASK = 7u << 14,
  VOLT__SLOT_SHIFT = 22        /* 10 bits: the slot's index in its slab */
};
#define VOLT__SLOT_BITS (~0u << VOLT__SLOT_SHIFT)
#define VOLT__SLAB_NODES 1024u

struct volt__core;
typedef struct volt__core volt__core;
struct volt__msg;
struct volt__tokens;

/* A check walk under way (on the C stack): its root, where its path starts
 * on c->stack, and the dependency it is bringing up to date now. */
typedef struct volt__walk {
  struct volt__walk *up;
  volt_node *root, *settling;
  uint32_t base;
} volt__walk;

/* What a kind does; the core calls these and nothing else kind-specific.
 * Every op may be NULL. One static record per kind, in the kind's file. */
typedef struct volt__kind {
  const char *name; /* for DOT and errors */
  /* Pull: n is DIRTY (or never evaluated); bring it up to date and clear
   * DIRTY. True when its value changed. NULL: the value is current. */
  bool (*update)(volt__core *c, volt_node *n);
  /* A LISTENER was queued by a mark and the flush reached it. */
  void (*run)(volt__core *c, volt_node *n);
  /* Its first subscriber arrived / its last one left. */
  void (*watched)(volt__core *c, volt_node *n);
  void (*unwatched)(volt__core *c, volt_node *n);
  /* Frees kind data, once, when the node is disposed (edges still there). */
  void (*dispose)(volt__core *c, volt_node *n);
  /* Flags of the kind (VOLT__KIND_*). */
  unsigned traits;
  /* Its id (volt__kind_id), 0 until the first node of the kind is made. */
  unsigned id;
} volt__kind;

enum {
  VOLT__KIND_VALUE = 1u << 0, /* has a readable value (watch, token source) */
  VOLT__KIND_EVENT = 1u << 1, /* every occurrence counts (token source) */
  VOLT__KIND_LATE = 1u << 2   /* a listener run after the effects settle */
};

typedef union volt__payload {
  bool b;
  int64_t i;
  double n;
  void *p;
  const char *msg; /* an ERR whose message was copied (VOLT__F_VOWN) */
} volt__payload;

struct volt_node {
  uint32_t flags;             /* VOLT__F_*, the value's tag, slot index */
  unsigned ext : 24;          /* extension record, 0: none */
  unsigned kind : 8;          /* its kind's id (volt__kind_of), 0: a free slot */
  uint32_t deps, deps_tail;   /* dependencies; during a run, deps_tail is
                                 the last one this run has read */
  uint32_t subs;              /* subscribers (the head's prev_sub is the tail) */
  uint32_t owner;             /* owner's extension index, 0: the runtime */
  volt__payload val;          /* the value (tag in flags); free and limbo
                                 slots: the next one (val.p) */
  union {
    struct {
      union {
        volt_val (*compute)(void *ud);
        void (*run)(void *ud);
        volt_watch_fn watch;
      } fn;
      void *ud;
    } f;
    volt_val pending; /* signals: written, not yet settled */
  } u; /* left as it was when the slot is freed: another thread may still
          read an event's record through it until close ends */
  /* The nodes at the heads of the two lists themselves (the first
   * dependency, the first subscriber): a walk goes down a level with one
   * load, not two (edge, then node); measured, this halved the cost of a
   * level of marking and of checking. Each word holds the pointer in its low
   * VOLT__PTR_BITS bits and half of `pos` (our place in the owner's
   * children) in the bits above: see volt__dep1, volt__sub1, volt__pos. */
  uint64_t dep1w, sub1w;
};

typedef struct volt__edge {
  volt_node *dep, *sub;
  uint32_t prev_sub, next_sub; /* dep's subscriber list (the head's prev_sub: the tail) */
  uint32_t prev_dep, next_dep; /* sub's dependency list */
} volt__edge;


_Static_assert(sizeof(struct volt_node) == VOLT_NODE_BYTES, "a node is one cache line");
_Static_assert(sizeof(volt__edge) == VOLT_EDGE_BYTES, "an edge is half a cache line");

/* ---- the node's packed words ------------------------------------------------------ */

/* Node addresses fit in 48 bits (user space on the 64-bit targets volt
 * supports; memory.c refuses a slab above). The 16 bits above hold half of
 * `pos` each. */
#define VOLT__PTR_BITS 48
#define VOLT__PTR_MASK ((UINT64_C(1) << VOLT__PTR_BITS) - 1)
static inline volt_node *volt__dep1(const volt_node *n) {
  return (volt_node *)(uintptr_t)(n->dep1w & VOLT__PTR_MASK);
}
static inline volt_node *volt__sub1(const volt_node *n) {
  return (volt_node *)(uintptr_t)(n->sub1w & VOLT__PTR_MASK);
}
static inline void volt__set_dep1(volt_node *n, const volt_node *d) {
  n->dep1w = (n->dep1w & ~VOLT__PTR_MASK) | (uint64_t)(uintptr_t)d;
}
static inline void volt__set_sub1(volt_node *n, const volt_node *s) {
  n->sub1w = (n->sub1w & ~VOLT__PTR_MASK) | (uint64_t)(uintptr_t)s;
}
/* Our place in the owner's array of children. */
static inline uint32_t volt__pos(const volt_node *n) {
  return (uint32_t)(n->dep1w >> VOLT__PTR_BITS) | (uint32_t)(n->sub1w >> VOLT__PTR_BITS) << 16;
}
static inline void volt__set_pos(volt_node *n, uint32_t pos) {
  n->dep1w = (n->dep1w & VOLT__PTR_MASK) | (uint64_t)(pos & 0xffffu) << VOLT__PTR_BITS;
  n->sub1w = (n->sub1w & VOLT__PTR_MASK) | (uint64_t)(pos >> 16) << VOLT__PTR_BITS;
}

/* ---- kinds -------------------------------------------------------------------------- */

/* Every kind gets a small id the first time a node of it is made (any
 * layer's kind: the core never names them); a node keeps the id, the
 * table gives the record back. Ids are never reused. */
#define VOLT__KINDS_MAX 255u
#define VOLT__EXT_MAX 0xffffffu /* extension records at once (24 bits) */
extern volt__kind *volt__kinds[VOLT__KINDS_MAX + 1];
unsigned volt__kind_register(volt__kind *k);
static inline const volt__kind *volt__kind_of(const volt_node *n) { return volt__kinds[n->kind]; }
/* The id of kind k, registering it first if need be. 0: the table is full. */
static inline unsigned volt__kind_id(volt__kind *k) {
  unsigned id = __atomic_load_n(&k->id, __ATOMIC_ACQUIRE);
  return id ? id : volt__kind_register(k);
}

typedef struct volt__cleanup {
  struct volt__cleanup *next;
  void (*fn)(void *ud);
  void *ud;
} volt__cleanup;

typedef struct volt__ext {
  volt_node *node;
  volt_node **kids; /* children, oldest first (NULL holes) */
  uint32_t nkids, kids_cap, nholes;
  uint32_t next_free;
  volt__cleanup *cleanups; /* newest first */
  char *name;
  bool (*equals)(volt_val a, volt_val b, void *ud);
  void (*release)(volt_val v, void *ud);
  void (*watched)(volt_node *n, void *ud);
  void (*unwatched)(volt_node *n, void *ud);
  void *opts_ud;
  void *data; /* kind data */
} volt__ext;

/* A value released when the flush ends (watchers still see it). */
typedef struct volt__grave {
  volt_val v;
  void (*release)(volt_val v, void *ud);
  void *ud;
} volt__grave;

/* A growable array of T (volt__grow). */
#define VOLT__VEC(T) struct { T *at; uint32_t len, cap; }

/* What user code changes and volt__enter/volt__leave save: the node whose
 * reads are tracked, the owner of what gets created, whether writes are
 * refused. */
typedef struct volt__context {
  volt_node *tracker; /* NULL: reads are not tracked */
  volt_node *owner;   /* NULL: the runtime */
  bool computing;     /* inside a computed: writes are refused */
} volt__context;

typedef struct volt__slab {
  volt_node *nodes; /* below the first slot: its live count, the runtime */
  void *raw;
} volt__slab;

struct volt__core {
  /* What other threads read (volt_ack_ok, volt_emit_async): written on the
   * loop thread only at creation and close, and kept on cache lines of
   * their own. Sharing a line with a field the loop thread writes all the
   * time (the context, the epoch) made every cross-thread ack miss the
   * cache on it. */
  const void *thread_tag; /* the address of a thread-local byte of the loop thread */
  /* Any thread: queue m for the loop thread (runtime/inbox.c). */
  int (*post)(volt__core *c, const struct volt__msg *m);
  char apart_[64];

  /* memory */
  volt_realloc_fn realloc;
  void *realloc_ud;
  size_t bytes, node_bytes, edge_bytes;
  volt__slab *slabs;
  uint32_t nslabs, slabs_cap;
  volt_node *free_nodes; /* linked through val.p */
  size_t live_nodes, free_slots;
  uint32_t empty_slabs; /* slabs with no live or retired node */
  volt__edge *edges;
  uint32_t edges_cap, edges_used, free_edges; /* free list through next_dep */
  size_t live_edges;
  volt__ext **ext_chunks;
  uint32_t ext_nchunks, ext_used, free_ext;
  /* Nodes and edges disposed while user code or a walk may still stand on
   * them: their slots are reused only when the outermost call ends. */
  volt_node *limbo_nodes, *limbo_tail; /* linked through val.p */
  volt_node *limbo_wait; /* queued or running: freed one by one */
  uint32_t limbo_edges; /* linked through prev_dep */
  uint32_t pinned;      /* > 0: the limbo is not freed (a read looks on) */
  bool shrink_due;      /* memory can be given back (memory.c) */
  uint32_t peak_slabs, peak_edge_cap, ticks; /* recent use (memory.c) */

  /* the context of the code running now */
  volt__context cx;
  uint32_t depth;  /* user code and walks on the stack (volt__enter) */
  uint32_t open;   /* of depth: scope and untrack bodies with nothing but
                      such bodies below them; a write there still flushes */
  uint32_t epoch;  /* bumped by every mark: a walk sees writes made under it */

  /* walks */
  struct volt__walk *walk; /* the innermost check walk under way */
  VOLT__VEC(uint32_t) stack;
  VOLT__VEC(volt_node *) orphans; /* computeds whose last subscriber left */
  VOLT__VEC(volt_node *) defer;   /* evaluations left for the shallow end */
  const char *stack_limit;
  uint32_t evaluating; /* computeds being evaluated, nested */
  bool aborting;       /* an evaluation was deferred: unwind */
  bool in_deferred;
  bool dropping;       /* orphans are being dropped */

  /* flushing */
  VOLT__VEC(volt_node *) queue;
  uint32_t queue_head;
  bool queued_owner; /* a queued node owns others (else none is another's
                        ancestor, and the flush need not look) */
  VOLT__VEC(volt_node *) later; /* watchers: after the effects settle */
  VOLT__VEC(volt__grave) graves;
  uint32_t graves_owed; /* slots kept for OWED signals */
  uint32_t batch;
  bool flushing, deferred, closing, close_pending;
  bool resync; /* a mark or a queue entry was lost to a failed allocation */
  unsigned max_rounds;
  uint64_t flushes, effect_runs;
  volt__cleanup *root_cleanups;
  bool cleanups_closed; /* the close ran the root cleanups: no more */
  bool counted;         /* in its loop thread's volt__tls_loops */

  /* installed by the layers above */
  void (*schedule)(volt__core *c);    /* deferred mode: a flush must come */
  void (*after_flush)(volt__core *c); /* a close requested meanwhile */
  void (*before_flush)(volt__core *c); /* e.g. apply what other threads posted */
  void (*on_error)(volt_rt *rt, int code, const char *msg, void *ud);
  void *on_error_ud;
  void (*stats_extra)(volt__core *c, volt_stats_t *s); /* runtime/: its counters */
  struct volt__tokens *tokens; /* tokens/: its handle table */
  void (*tokens_free)(volt__core *c);
};

#define VOLT__CORE(rt) ((volt__core *)(void *)(rt))
#define VOLT__E(c, i) (&(c)->edges[(i)])

/* ---- posting to the loop thread -------------------------------------------------- */

/* A message for the loop thread. The queue that carries it (installed by
 * the runtime as c->post) knows nothing of what it means: it copies the
 * record and its `text`, calls apply(c, m) on the loop thread in order, or
 * drop(m) if it is never applied (close), then frees the text. */
typedef struct volt__msg {
  void (*apply)(volt__core *c, struct volt__msg *m);
  void (*drop)(struct volt__msg *m); /* may be NULL */
  uint32_t id, gen;
  int32_t code;
  bool flag;
  char *text;
  volt_val val;
  void (*release)(volt_val v, void *ud);
  void *release_ud;
} volt__msg;

/* ---- thread identity ---------------------------------------------------------- */

/* The identity of a thread is the address of a thread-local byte; the
 * initial-exec model makes it one instruction in a shared library too
 * (the general model called __tls_get_addr on every check: 3 % of all
 * instructions of avoidablePropagation). */
#if defined(__GNUC__)
extern _Thread_local char volt__tls_byte
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
extern _Thread_local uint32_t volt__tls_loops
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
#else
extern _Thread_local char volt__tls_byte;
extern _Thread_local uint32_t volt__tls_loops;
#endif
static inline bool volt__on_loop(const volt__core *c) {
  return c && c->thread_tag == (const void *)&volt__tls_byte;
}
/* The runtimes this thread is the loop thread of, until their on_closed:
 * counted by volt__core_init and volt__core_thread_done. */
void volt__core_thread_done(volt__core *c);

/* The runtime a node belongs to (found below its slab), or NULL on a
 * thread that is no runtime's loop thread: such a thread does not read the
 * node at all (its flags word belongs to the loop thread; reading it would
 * be a data race even to answer VOLT_ETHREAD). */
static inline volt__core *volt__core_of(const volt_node *n) {
  if (!volt__tls_loops) return NULL;
  const volt_node *slab0 = n - (n->flags >> VOLT__SLOT_SHIFT);
  return ((volt__core *const *)(const void *)slab0)[-1];
}
/* The node's runtime if this is its loop thread and the node is live. */
static inline volt__core *volt__live(const volt_node *n) {
  if (!n) return NULL;
  volt__core *c = volt__core_of(n);
  if (!volt__on_loop(c) || (n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE)
    return NULL;
  return c;
}

/* ---- values --------------------------------------------------------------------- */

#define VOLT__ERRHDR 8u   /* a copied message carries its code in front */
#define VOLT__V_OWNED 0x1u /* value flag: the ERR message was copied */

volt_val volt__value_slow(const volt_node *n);
/* A value whose tag is one of volt_tag_t's (anything else would spill into
 * the flags word, where a node keeps the tag in 3 bits). */
static inline bool volt__val_ok(volt_val v) { return v.tag <= VOLT_ERR; }
/* The node's value as users see it (borrowed). */
static inline volt_val volt__value(const volt_node *n) {
  uint32_t f = n->flags;
  if (f & VOLT__F_VERR) return volt__value_slow(n);
  /* Two words: the tag (flags, reserved and code are 0) and the payload
   * (a bool is stored as 0 or 1 in all 8 bytes). Field by field, GCC
   * assembled the first word a byte at a time. */
  union {
    volt_val v;
    uint64_t w[2];
  } u;
  u.w[0] = (f & VOLT__VT_MASK) >> VOLT__VT_SHIFT;
  u.w[1] = (uint64_t)n->val.i;
  return u.v;
}/* The same, with VOLT__V_OWNED on a message the node copied (for the code
 * that releases it). */
volt_val volt__stored(const volt_node *n);
void volt__set_value_err(volt_node *n, volt_val v);
/* A copy for keeping: ERR messages duplicated (VOLT__V_OWNED). */
volt_val volt__val_own(volt__core *c, volt_val v);
void volt__val_drop(volt__core *c, volt_val v);
/* Equality for n's cutoff: its own equals, or volt_val_eq. */
bool volt__eq(volt__core *c, volt_node *n, volt_val a, volt_val b);
/* Releases a value n held: PTR through n's hook, copied ERR messages. Now,
 * or when the flush ends (watchers may still be shown it). */
void volt__release_now(volt__core *c, volt_node *n, volt_val v);
void volt__release_later(volt__core *c, volt_node *n, volt_val v);
/* Makes sure `extra` more values can wait for the end of the flush on top
 * of those already owed (c->graves_owed): a value replaced must never be
 * released early for lack of room (a watcher may still hold it). 0 or
 * VOLT_ENOMEM. */
int volt__graves_room(volt__core *c, uint32_t extra);
/* Does n hold a PTR its release hook will be called for? Watchers keep
 * such a value borrowed until the end of the flush that replaced it (an
 * error message they copy), so replacing it needs a grave slot. */
static inline bool volt__holds_owned(const volt_node *n) {
  uint32_t f = n->flags;
  return (f & VOLT__F_RELEASE) && (f & VOLT__VT_MASK) == (uint32_t)VOLT_PTR << VOLT__VT_SHIFT;
}
/* Stores v as n's value unless it equals the current one (then v is
 * released unless it is the same pointer). True when the value changed;
 * the old value is released later. */
bool volt__store_slow(volt__core *c, volt_node *n, volt_val v);
/* A plain value's payload as a node stores it (bool: 0 or 1; nil: 0). */
static inline int64_t volt__payload_of(volt_val v) {
  if (v.tag == VOLT_BOOL) return v.u.b ? 1 : 0;
  return v.tag == VOLT_NIL ? 0 : v.u.i;
}
/* Stores v (no release of the old value, no copy). */
static inline void volt__set_value(volt_node *n, volt_val v) {
  if (v.tag == VOLT_ERR) {
    volt__set_value_err(n, v);
    return;
  }
  n->val.i = volt__payload_of(v);
  n->flags = (n->flags & ~(VOLT__VT_MASK | VOLT__F_VOWN | VOLT__F_VERR)) |
             ((uint32_t)v.tag << VOLT__VT_SHIFT);
}

/* For a node without hooks that holds no error, and a value that is not an
 * error: does it hold v already? The same tag and bits mean equal, and so
 * do two NUMs that compare equal or are both NaN (volt_val_eq). The store
 * then keeps v unless it does. */
static inline bool volt__holds_plain(const volt_node *n, volt_val v) {
  uint32_t f = n->flags, vt = (uint32_t)v.tag << VOLT__VT_SHIFT;
  if ((f & (VOLT__F_HAS_VALUE | VOLT__VT_MASK)) != (VOLT__F_HAS_VALUE | vt)) return false;
  return n->val.i == volt__payload_of(v) ||
         (v.tag == VOLT_NUM && (n->val.n == v.u.n || (n->val.n != n->val.n && v.u.n != v.u.n)));
}
static inline bool volt__store_plain(volt_node *n, volt_val v) {
  if (volt__holds_plain(n, v)) return false;
  uint32_t f = n->flags, vt = (uint32_t)v.tag << VOLT__VT_SHIFT;
  int64_t p = volt__payload_of(v);
  n->val.i = p;
  n->flags = (f & ~VOLT__VT_MASK) | vt | VOLT__F_HAS_VALUE;
  return true;
}
static inline bool volt__store(volt__core *c, volt_node *n, volt_val v) {
  if (!(n->flags & (VOLT__F_EQUALS | VOLT__F_RELEASE | VOLT__F_VERR)) && v.tag != VOLT_ERR)
    return volt__store_plain(n, v);
  return volt__store_slow(c, n, v);
}

/* ---- memory --------------------------------------------------------------------- */

void *volt__alloc(volt__core *c, size_t n);
void *volt__realloc(volt__core *c, void *p, size_t old, size_t n);
void volt__free(volt__core *c, void *p, size_t n);
char *volt__strdup(volt__core *c, const char *s);
void *volt__default_realloc(void *ud, void *p, size_t old, size_t n);
/* Grows v (a VOLT__VEC) to hold `need` items. 0 or VOLT_ENOMEM. */
int volt__grow(volt__core *c, void *vec, uint32_t need, size_t size);
#define VOLT__PUSH(c, v, x) \
  ((v).len < (v).cap || volt__grow((c), &(v), (v).len + 1, sizeof *(v).at) == 0 \
       ? ((v).at[(v).len++] = (x), 0) : VOLT_ENOMEM)

volt__ext *volt__ext_get(volt__core *c, volt_node *n, bool create);

/* ---- nodes ---------------------------------------------------------------------- */

/* A new node of `kind` with the given flags, owned by the current owner.
 * NULL on allocation failure or while closing. */
volt_node *volt__node_new(volt__core *c, volt__kind *kind, uint32_t flags,
                          const volt_opts *opts);
/* Disposes n and its subtree (children newest first). */
void volt__dispose(volt__core *c, volt_node *n);

/* ---- the propagation core (propagate.c) ------------------------------------------- */

/* Fast path (VOLT_FAST_PATHS): the node whose reads are tracked now on
 * this thread, and its runtime, in a thread-local that volt__enter and
 * volt__leave keep equal to c->cx.tracker. volt_get answers the common
 * tracked reads from it without finding the node's runtime or checking the
 * thread: an edge of the tracker names the node read, so the node is the
 * tracker's runtime's and this is its loop thread. */
#if VOLT_FAST_PATHS
typedef struct volt__run_tls {
  volt_node *tracker;
  volt__core *core;
  /* The node of the tracker's cursor edge (edges[tracker->deps_tail].dep)
   * as volt_get's fast path last saw it, or NULL: forgotten (VOLT__FP_FORGET)
   * wherever a cursor moves or an edge goes outside that path. Reading it
   * again costs one comparison. */
  volt_node *last;
} volt__run_tls;
#if defined(__GNUC__)
extern _Thread_local volt__run_tls volt__tls_run
    __attribute__((tls_model("initial-exec"), visibility("hidden")));
#else
extern _Thread_local volt__run_tls volt__tls_run;
#endif
#define VOLT__FP_TRACKER(c, t) \
  (volt__tls_run.tracker = (t), volt__tls_run.core = (c), volt__tls_run.last = NULL)
#define VOLT__FP_FORGET() (volt__tls_run.last = NULL)
#else
#define VOLT__FP_TRACKER(c, t) ((void)0)
#define VOLT__FP_FORGET() ((void)0)
#endif

/* Links sub to dep: a tracked read in a run, or a subscription of a
 * listener outside one. 0 or VOLT_ENOMEM. */
int volt__link(volt__core *c, volt_node *dep, volt_node *sub);
#if defined(__GNUC__)
__attribute__((noinline))
#endif
void volt__track_slow(volt__core *c, volt_node *n);
/* A tracked read of n by whatever is tracking now (nothing outside a run).
 * Inline: the same dependency as the last read, or the next one of the
 * previous run (the common cases; volt__link's first two). */
static inline void volt__track(volt__core *c, volt_node *n) {
  volt_node *t = c->cx.tracker;
  if (!t) return;
  uint32_t prev = t->deps_tail;
  if (prev && c->edges[prev].dep == n) return;
  uint32_t next = prev ? c->edges[prev].next_dep : t->deps;
  if (next && c->edges[next].dep == n) {
    t->deps_tail = next;
    VOLT__FP_FORGET();
    return;
  }
  volt__track_slow(c, n);
}
/* Drops every dependency of sub. */
void volt__unlink_deps(volt__core *c, volt_node *sub);
/* n changed (or may have): marks its subscribers, queues listeners. */
void volt__propagate(volt__core *c, volt_node *n);
/* Brings n up to date (pull). True when its value changed. */
bool volt__refresh(volt__core *c, volt_node *n);
/* n's value brought up to date, untracked and without flushing (tokens
 * peek their source with it). Borrowed. */
volt_val volt__peek_fresh(volt__core *c, volt_node *n);

/* ---- user code and flushing (here and flush.c) ------------------------------------------ */


/* The one way into user code. Saves the context, installs `now`, and
 * counts the depth: no flush starts and no slot is reused until the
 * outermost leave. */
static inline void volt__enter(volt__core *c, volt__context *saved, volt__context now) {
  *saved = c->cx;
  c->cx = now;
  c->depth++;
  VOLT__FP_TRACKER(c, now.tracker);
}
/* Restores the context saved by volt__enter. */
static inline void volt__leave(volt__core *c, const volt__context *saved) {
  c->cx = *saved;
  c->depth--;
  VOLT__FP_TRACKER(c, saved->tracker);
}

/* User code, a walk or a flush is on the stack: no flush may start and no
 * close may happen now (the layers above test this, never the fields). */
static inline bool volt__busy(const volt__core *c) { return c->depth || c->flushing || c->pinned; }
/* Inside a computed: writes (sets, emits, acks) are refused with EPERM. */
static inline bool volt__writes_refused(const volt__core *c) { return c->cx.computing; }

/* The one "is there work?" predicate: something is queued, waiting to be
 * released, or a lost mark must be found again. */
static inline bool volt__has_work(const volt__core *c) {
  return c->queue.len > c->queue_head || c->later.len || c->graves.len || c->resync ||
         c->defer.len;
}
/* Queues a listener (idempotent). */
void volt__enqueue(volt__core *c, volt_node *n);
int volt__flush(volt__core *c);
void volt__limbo_drain_slow(volt__core *c);
/* Outermost level, not flushing: slots and edges in the limbo become free;
 * memory beyond a bounded reserve goes back to the allocator. */
static inline void volt__limbo_drain(volt__core *c) {
  if (c->limbo_nodes || c->limbo_wait || c->limbo_edges || c->shrink_due)
    volt__limbo_drain_slow(c);
}
int volt__maybe_flush_slow(volt__core *c);
/* Flushes now if nothing prevents it (a batch, a flush, user code on the
 * stack, deferred mode: then schedules). Returns the flush's result. */
static inline int volt__maybe_flush(volt__core *c) {
  if (c->depth != c->open || c->flushing || c->batch) return 0; /* the batch's end flushes */
  if (!(c->batch | c->closing | c->deferred | c->close_pending)) {
    if (volt__has_work(c)) return volt__flush(c); /* it drains the limbo */
    if (!c->depth) volt__limbo_drain(c);
    return 0;
  }
  return volt__maybe_flush_slow(c);
}
/* The end of a constructor whose making ran user code (an effect's first
 * run, a scope's body, a token's source brought up to date): flushes what
 * that code queued, as a write would. NULL for a
 * node disposed meanwhile, or by a close that code asked for (c may be
 * gone after this). */
static inline volt_node *volt__constructed(volt__core *c, volt_node *n) {
  bool gone = !n || (n->flags & VOLT__F_DISPOSED) || (c->close_pending && !c->depth);
  volt__maybe_flush(c);
  return gone ? NULL : n;
}
/* The same without freeing the limbo afterwards (the caller still looks at
 * a node). */
int volt__flush_if_allowed(volt__core *c);
void volt__report(volt__core *c, int code, const char *msg);

/* ---- life cycle ------------------------------------------------------------------ */

int volt__core_init(volt__core *c, const volt_config *cfg);
void volt__core_dispose_all(volt__core *c);
void volt__core_free(volt__core *c);

#endif /* VOLT_SIGNALS_CORE_H */
