/* signals/memory.c - the graph's memory: the allocator hook, node slabs, the
 * edge array, extension records, the limbo, and giving memory back.
 *
 * Invariants:
 *  - a node slot's address never changes while the node lives;
 *  - a slot or edge disposed while user code or a walk may stand on it is
 *    not reused before the outermost call ends (the limbo): a walk that
 *    follows a stale index reads a record that is still what it was;
 *  - when a burst of nodes is gone, empty slabs and the unused tail of the
 *    edge array go back to the allocator beyond a bounded reserve.
 */
#include <stdlib.h>

#include "signals/internal.h"

_Thread_local char volt__tls_byte; /* see volt__on_loop */
_Thread_local uint32_t volt__tls_loops; /* see volt__core_of */

/* Loop thread. */
void volt__core_thread_done(volt__core *c) {
  if (!c->counted) return;
  c->counted = false;
  volt__tls_loops--;
}
#if VOLT_FAST_PATHS
_Thread_local volt__run_tls volt__tls_run; /* see volt__enter */
#endif

/* ---- allocator ------------------------------------------------------------- */

void *volt__default_realloc(void *ud, void *p, size_t old, size_t n) {
  (void)ud;
  (void)old;
  if (n == 0) {
    free(p);
    return NULL;
  }
  return realloc(p, n);
}

void *volt__realloc(volt__core *c, void *p, size_t old, size_t n) {
  void *q = c->realloc(c->realloc_ud, p, old, n);
  if (n == 0) {
    c->bytes -= old;
    return NULL;
  }
  if (!q) return NULL; /* p is untouched */
  c->bytes += n - old;
  return q;
}

void *volt__alloc(volt__core *c, size_t n) { return volt__realloc(c, NULL, 0, n); }

void volt__free(volt__core *c, void *p, size_t n) {
  if (p) volt__realloc(c, p, n, 0);
}

char *volt__strdup(volt__core *c, const char *s) {
  size_t n = strlen(s) + 1;
  char *d = volt__alloc(c, n);
  if (d) memcpy(d, s, n);
  return d;
}

typedef VOLT__VEC(char) any_vec;

int volt__grow(volt__core *c, void *vec, uint32_t need, size_t size) {
  any_vec *v = vec;
  if (need <= v->cap) return 0;
  uint64_t n = v->cap ? (uint64_t)v->cap * 2 : 16;
  while (n < need) n *= 2;
  if (n > UINT32_MAX / 2) return VOLT_ENOMEM;
  void *p = volt__realloc(c, v->at, (size_t)v->cap * size, (size_t)n * size);
  if (!p) return VOLT_ENOMEM;
  v->at = p;
  v->cap = (uint32_t)n;
  return 0;
}

/* ---- node slots ---------------------------------------------------------------- */

#define SLAB_RESERVE 16u /* empty slabs kept (1 MiB) */
#define SLAB_BYTES ((size_t)VOLT__SLAB_NODES * sizeof(volt_node) + 64)
#define FREE_LINK(n) ((n)->val.p)

/* The live count of a node's slab, kept just below the runtime pointer
 * under the slab's first slot. */
static uint32_t *slab_live(volt_node *n) {
  volt_node *first = n - (n->flags >> VOLT__SLOT_SHIFT);
  return (uint32_t *)(void *)first - 4;
}

static int slab_new(volt__core *c) {
  if (c->nslabs == c->slabs_cap) {
    uint32_t cap = c->slabs_cap ? c->slabs_cap * 2 : 8;
    void *p = volt__realloc(c, c->slabs, c->slabs_cap * sizeof(volt__slab), cap * sizeof(volt__slab));
    if (!p) return VOLT_ENOMEM;
    c->slabs = p;
    c->slabs_cap = cap;
  }
  char *raw = volt__alloc(c, SLAB_BYTES);
  if (!raw) return VOLT_ENOMEM;
  if (((uintptr_t)raw + SLAB_BYTES) >> VOLT__PTR_BITS) { /* see VOLT__PTR_BITS */
    volt__free(c, raw, SLAB_BYTES);
    volt__report(c, VOLT_ENOMEM, "node memory above 2^48: not supported");
    return VOLT_ENOMEM;
  }
  /* Slots on 64-byte lines; below the first: the live count, the runtime. */
  uintptr_t first = ((uintptr_t)raw + 16 + 63) & ~(uintptr_t)63;
  volt_node *slab = (volt_node *)(void *)(raw + (first - (uintptr_t)raw));
  ((volt__core **)(void *)slab)[-1] = c;
  ((uint32_t *)(void *)slab)[-4] = 0;
  memset(slab, 0, (size_t)VOLT__SLAB_NODES * sizeof(volt_node));
  for (uint32_t i = VOLT__SLAB_NODES; i-- > 0;) {
    slab[i].flags = i << VOLT__SLOT_SHIFT;
    FREE_LINK(&slab[i]) = c->free_nodes;
    c->free_nodes = &slab[i];
  }
  c->slabs[c->nslabs++] = (volt__slab){slab, raw};
  c->empty_slabs++;
  if (c->nslabs > c->peak_slabs) c->peak_slabs = c->nslabs;
  c->node_bytes += SLAB_BYTES;
  c->free_slots += VOLT__SLAB_NODES;
  return 0;
}

/* A zeroed slot (flags: its index only). NULL when out of memory. A slot
 * on the free list keeps what its last node left (the limbo is spliced in
 * whole, see volt__limbo_drain_slow): it is cleared here. */
volt_node *volt__slot_alloc(volt__core *c) {
  if (!c->free_nodes && slab_new(c)) return NULL;
  volt_node *n = c->free_nodes;
  c->free_nodes = FREE_LINK(n);
  n->flags &= VOLT__SLOT_BITS;
  n->ext = 0;
  n->kind = 0;
  n->deps = n->deps_tail = n->subs = n->owner = 0;
  n->dep1w = n->sub1w = 0;
  n->val.p = NULL;
  memset(&n->u, 0, sizeof n->u);
  c->free_slots--;
  c->live_nodes++;
  if ((*slab_live(n))++ == 0) c->empty_slabs--;
  return n;
}

/* The slot of a node gone for good counts as free (it goes on the free
 * list with the limbo, or now). */
static void slot_count_free(volt__core *c, volt_node *n) {
  if (--(*slab_live(n)) == 0) c->empty_slabs++;
  c->free_slots++;
}

/* The node is disposed (flags DISPOSED, no edges): its slot waits in the
 * limbo, linked through val.p, with its fields as they were. One that the
 * queue still names or whose function still runs waits on c->limbo_wait
 * until both are over; the others count as free already, and the drain
 * moves the whole limbo to the free list at once. */
void volt__slot_retire(volt__core *c, volt_node *n) {
  c->live_nodes--;
  if (n->flags & (VOLT__F_QUEUED | VOLT__F_RUNNING)) {
    FREE_LINK(n) = c->limbo_wait;
    c->limbo_wait = n;
    return;
  }
  slot_count_free(c, n);
  if (!c->limbo_nodes) c->limbo_tail = n;
  FREE_LINK(n) = c->limbo_nodes;
  c->limbo_nodes = n;
}

/* Gives back empty slabs beyond `keep`. The free list loses the slots of
 * the slabs that go (marked first: their live count becomes
 * SLAB_GOING). */
#define SLAB_GOING UINT32_MAX
static void slabs_shrink(volt__core *c, uint32_t keep) {
  uint32_t spare = 0, going = 0;
  for (uint32_t i = 0; i < c->nslabs; i++) {
    uint32_t *live = (uint32_t *)(void *)c->slabs[i].nodes - 4;
    if (*live != 0) continue;
    if (spare < keep) {
      spare++;
    } else {
      *live = SLAB_GOING;
      going++;
    }
  }
  if (!going) return;
  volt_node **link = &c->free_nodes;
  for (volt_node *n = c->free_nodes; n; n = FREE_LINK(n)) {
    if (*slab_live(n) == SLAB_GOING) {
      c->free_slots--;
      continue;
    }
    *link = n;
    link = (volt_node **)&FREE_LINK(n);
  }
  *link = NULL;
  uint32_t out = 0;
  for (uint32_t i = 0; i < c->nslabs; i++) {
    volt__slab sl = c->slabs[i];
    if (((uint32_t *)(void *)sl.nodes)[-4] == SLAB_GOING) {
      volt__free(c, sl.raw, SLAB_BYTES);
      c->node_bytes -= SLAB_BYTES;
      c->empty_slabs--;
      continue;
    }
    c->slabs[out++] = sl;
  }
  c->nslabs = out;
}

/* ---- edges ------------------------------------------------------------------------ */

uint32_t volt__edge_alloc(volt__core *c) {
  uint32_t i = c->free_edges;
  if (i) {
    c->free_edges = c->edges[i].next_dep;
  } else {
    if (c->edges_used == c->edges_cap) {
      uint64_t cap = c->edges_cap ? (uint64_t)c->edges_cap * 2 : 64;
      if (cap > UINT32_MAX / 2) return 0;
      void *p = volt__realloc(c, c->edges, (size_t)c->edges_cap * sizeof(volt__edge),
                              (size_t)cap * sizeof(volt__edge));
      if (!p) return 0;
      c->edges = p;
      c->edge_bytes = (size_t)cap * sizeof(volt__edge);
      c->edges_cap = (uint32_t)cap;
      if (c->edges_cap > c->peak_edge_cap) c->peak_edge_cap = c->edges_cap;
      if (!c->edges_used) {
        memset(&c->edges[0], 0, sizeof(volt__edge)); /* index 0: none */
        c->edges_used = 1;
      }
    }
    i = c->edges_used++;
  }
  memset(&c->edges[i], 0, sizeof(volt__edge));
  c->live_edges++;
  return i;
}

/* The edge is out of both lists. Its fields stay as they were (a walk
 * standing on it reads the neighbours it had); prev_dep links the limbo. */
void volt__edge_retire(volt__core *c, uint32_t e) {
  c->edges[e].prev_dep = c->limbo_edges;
  c->edges[e].prev_sub = UINT32_MAX; /* marks it retired (checked in debug builds) */
  c->limbo_edges = e;
  c->live_edges--;
}

/* Moves live edges from the top of the array into free slots below, so
 * that the array can shrink. Fixes the four neighbours and the two nodes
 * that name the moved edge. Only at the outermost level (no walk holds an
 * index). */
static void move_edge(volt__core *c, uint32_t from, uint32_t to) {
  volt__edge *e = &c->edges[to];
  *e = c->edges[from];
  /* dep's list is circular backwards (the head's prev_sub is the tail). */
  if (e->prev_sub == from) e->prev_sub = to; /* the only one */
  if (e->dep->subs == from) e->dep->subs = to; else c->edges[e->prev_sub].next_sub = to;
  if (e->next_sub) c->edges[e->next_sub].prev_sub = to; else c->edges[e->dep->subs].prev_sub = to;
  if (e->prev_dep) c->edges[e->prev_dep].next_dep = to; else e->sub->deps = to;
  if (e->next_dep) c->edges[e->next_dep].prev_dep = to; else e->sub->deps_tail = to;
}

static void edges_shrink(volt__core *c, uint32_t floor) {
  uint32_t cap = c->edges_cap;
  size_t live = c->live_edges;
  while (cap > floor && cap > 1024 && live * 4 < cap) cap /= 2;
  if (cap == c->edges_cap) return;
  /* Mark free slots (next_dep of a free edge is its list link; use dep ==
   * NULL as "free": every live edge has a dep). */
  for (uint32_t i = c->free_edges; i; i = c->edges[i].next_dep) c->edges[i].dep = NULL;
  uint32_t lo = 1, hi = c->edges_used;
  for (;;) {
    while (lo < hi && c->edges[lo].dep) lo++;
    while (hi > lo && !c->edges[hi - 1].dep) hi--;
    if (lo >= hi) break;
    move_edge(c, hi - 1, lo);
    c->edges[hi - 1].dep = NULL;
    hi--;
  }
  /* Now [1, hi) is live, everything above free. */
  if (hi > cap) return; /* cannot happen: live < cap / 4 */
  void *p = volt__realloc(c, c->edges, (size_t)c->edges_cap * sizeof(volt__edge),
                          (size_t)cap * sizeof(volt__edge));
  if (p) {
    c->edges = p;
    c->edges_cap = cap;
    c->edge_bytes = (size_t)cap * sizeof(volt__edge);
  }
  c->edges_used = hi;
  c->free_edges = 0;
}

/* ---- the limbo ---------------------------------------------------------------------- */

/* Giving memory back. What a graph used recently (its peak of slabs and of
 * edge array capacity) is kept, so that a program building and disposing
 * the same burst again and again does not pay for fresh memory each time;
 * the recent peak halves every DECAY_TICKS drains, so once a burst is over
 * for good the memory goes back, down to SLAB_RESERVE empty slabs and the
 * edge array sized for four times the live edges. */
#define DECAY_TICKS 256u

static void update_shrink_due(volt__core *c) {
  c->shrink_due = c->empty_slabs > SLAB_RESERVE || (c->edges_cap > 1024 && c->live_edges * 4 < c->edges_cap);
}

static void give_back(volt__core *c) {
  if (++c->ticks >= DECAY_TICKS) {
    c->ticks = 0;
    uint32_t used = c->nslabs - c->empty_slabs;
    c->peak_slabs = c->peak_slabs / 2 > used ? c->peak_slabs / 2 : used;
    c->peak_edge_cap /= 2;
  }
  uint32_t used = c->nslabs - c->empty_slabs;
  uint32_t keep = c->peak_slabs > used + SLAB_RESERVE ? c->peak_slabs - used : SLAB_RESERVE;
  if (c->empty_slabs > keep) slabs_shrink(c, keep);
  if (c->edges_cap > 1024 && c->live_edges * 4 < c->edges_cap && c->edges_cap > c->peak_edge_cap)
    edges_shrink(c, c->peak_edge_cap);
}

void volt__limbo_drain_slow(volt__core *c) {
  if (c->pinned) return;
  if (c->limbo_nodes) { /* counted free already: spliced in whole */
    FREE_LINK(c->limbo_tail) = c->free_nodes;
    c->free_nodes = c->limbo_nodes;
    c->limbo_nodes = c->limbo_tail = NULL;
  }
  /* Nodes the queue still names, or still running, wait for a later drain. */
  volt_node *n = c->limbo_wait, *wait = NULL;
  c->limbo_wait = NULL;
  while (n) {
    volt_node *next = FREE_LINK(n);
    if (n->flags & (VOLT__F_QUEUED | VOLT__F_RUNNING)) {
      FREE_LINK(n) = wait;
      wait = n;
    } else {
      slot_count_free(c, n);
      FREE_LINK(n) = c->free_nodes;
      c->free_nodes = n;
    }
    n = next;
  }
  c->limbo_wait = wait;
  for (uint32_t e = c->limbo_edges; e;) {
    uint32_t next = c->edges[e].prev_dep;
    c->edges[e].next_dep = c->free_edges;
    c->free_edges = e;
    e = next;
  }
  c->limbo_edges = 0;
  update_shrink_due(c);
  if (c->closing || !c->shrink_due) return;
  give_back(c);
  update_shrink_due(c);
}

/* ---- extensions ---------------------------------------------------------------------- */

#define EXT_CHUNK 256u

volt__ext *volt__ext_get(volt__core *c, volt_node *n, bool create) {
  if (n->ext) return volt__ext_at(c, n->ext);
  if (!create) return NULL;
  uint32_t i = c->free_ext;
  if (i) {
    c->free_ext = volt__ext_at(c, i)->next_free;
  } else {
    if (!c->ext_used) c->ext_used = 1; /* index 0: none */
    if (c->ext_used > VOLT__EXT_MAX) return NULL; /* the node's ext field is 24 bits */
    if (c->ext_used >= c->ext_nchunks * EXT_CHUNK) {
      volt__ext *chunk = volt__alloc(c, EXT_CHUNK * sizeof(volt__ext));
      if (!chunk) return NULL;
      void *p = volt__realloc(c, c->ext_chunks, c->ext_nchunks * sizeof(void *),
                              (c->ext_nchunks + 1) * sizeof(void *));
      if (!p) {
        volt__free(c, chunk, EXT_CHUNK * sizeof(volt__ext));
        return NULL;
      }
      memset(chunk, 0, EXT_CHUNK * sizeof(volt__ext));
      c->ext_chunks = p;
      c->ext_chunks[c->ext_nchunks++] = chunk;
    }
    i = c->ext_used++;
  }
  volt__ext *x = volt__ext_at(c, i);
  memset(x, 0, sizeof *x);
  x->node = n;
  n->ext = i;
  return x;
}

void volt__ext_release(volt__core *c, volt_node *n) {
  volt__ext *x = volt__ext_of(c, n);
  if (!x) return;
  if (x->name) volt__free(c, x->name, strlen(x->name) + 1);
  volt__free(c, x->kids, (size_t)x->kids_cap * sizeof(volt_node *));
  memset(x, 0, sizeof *x);
  x->next_free = c->free_ext;
  c->free_ext = n->ext;
  n->ext = 0;
}

/* ---- life cycle -------------------------------------------------------------------------- */

int volt__core_init(volt__core *c, const volt_config *cfg) {
  c->realloc = (cfg && cfg->realloc) ? cfg->realloc : volt__default_realloc;
  c->realloc_ud = cfg ? cfg->realloc_ud : NULL;
  c->thread_tag = &volt__tls_byte;
  c->counted = true;
  volt__tls_loops++;
  c->max_rounds = (cfg && cfg->max_rounds) ? cfg->max_rounds : 100;
  c->on_error = cfg ? cfg->on_error : NULL;
  c->on_error_ud = cfg ? cfg->on_error_ud : NULL;
  volt__stack_init(c);
  return 0;
}

#define VEC_FREE(c, v) volt__free((c), (v).at, (size_t)(v).cap * sizeof *(v).at)

void volt__core_free(volt__core *c) {
  VOLT__FP_TRACKER(NULL, NULL);
  if (c->tokens_free) c->tokens_free(c);
  for (uint32_t i = 0; i < c->nslabs; i++) volt__free(c, c->slabs[i].raw, SLAB_BYTES);
  volt__free(c, c->slabs, c->slabs_cap * sizeof(volt__slab));
  volt__free(c, c->edges, (size_t)c->edges_cap * sizeof(volt__edge));
  for (uint32_t i = 0; i < c->ext_nchunks; i++) {
    for (uint32_t j = 0; j < EXT_CHUNK; j++) {
      volt__ext *x = &c->ext_chunks[i][j];
      if (x->name) volt__free(c, x->name, strlen(x->name) + 1);
      volt__free(c, x->kids, (size_t)x->kids_cap * sizeof(volt_node *));
    }
    volt__free(c, c->ext_chunks[i], EXT_CHUNK * sizeof(volt__ext));
  }
  volt__free(c, c->ext_chunks, c->ext_nchunks * sizeof(void *));
  VEC_FREE(c, c->stack);
  VEC_FREE(c, c->orphans);
  VEC_FREE(c, c->defer);
  VEC_FREE(c, c->queue);
  VEC_FREE(c, c->later);
  VEC_FREE(c, c->graves);
  c->slabs = NULL;
  c->edges = NULL;
  c->ext_chunks = NULL;
  c->nslabs = c->slabs_cap = c->edges_cap = c->ext_nchunks = 0;
}
