/* signals/alloc.c - memory of the graph: the allocator hook, node slabs,
 * the edge array, extension records, and the loop-thread identity.
 *
 * Nodes: 64-byte slots carved from slabs of VOLT__SLAB_NODES; a slot's
 * address never changes, so users can hold volt_node pointers. The 8 bytes
 * below a slab's first slot hold the runtime pointer: a node finds it from
 * its slot index. Edges: one
 * array of 32-byte records addressed by 32-bit index; it may move when it
 * grows, so code keeps indices, not pointers, across anything that links.
 * Extensions: chunks of VOLT__EXT_CHUNK records, stable addresses.
 */
#include <stdlib.h>

#include "signals/internal.h"

/* ---- thread identity ------------------------------------------------------ */

_Thread_local char volt__tls_byte;
_Thread_local volt__core *volt__tls_core;
/* The innermost tracking run on this thread (any runtime): volt_get answers
 * a repeated read of the dependency that run read last without anything
 * else (the node is then known to be this thread's and tracked). */
_Thread_local volt__frame *volt__tls_frame;

const void *volt__thread_tag(void) { return &volt__tls_byte; }

/* ---- allocator -------------------------------------------------------------- */

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
  if (q == NULL) return NULL; /* p is untouched */
  c->bytes += n;
  c->bytes -= old;
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

void volt__strfree(volt__core *c, char *s) {
  if (s) volt__free(c, s, strlen(s) + 1);
}

/* Grows an array of `size`-byte items to hold at least `need` items. */
static int grow(volt__core *c, void **arr, uint32_t *cap, uint32_t need, size_t size,
                uint32_t min) {
  if (need <= *cap) return 0;
  uint64_t n = *cap ? (uint64_t)*cap * 2 : min;
  while (n < need) n *= 2;
  if (n > UINT32_MAX / 2) return VOLT_ENOMEM;
  void *p = volt__realloc(c, *arr, (size_t)*cap * size, (size_t)n * size);
  if (!p) return VOLT_ENOMEM;
  *arr = p;
  *cap = (uint32_t)n;
  return 0;
}

int volt__grow(volt__core *c, void **arr, uint32_t *cap, uint32_t need, size_t size) {
  return grow(c, arr, cap, need, size, 16);
}

/* ---- nodes -------------------------------------------------------------------- */

volt_node *volt__node_alloc(volt__core *c, uint32_t flags) {
  volt_node *n = c->free_nodes;
  if (!n) {
    if (c->nslabs == c->slabs_cap &&
        grow(c, (void **)&c->slabs, &c->slabs_cap, c->nslabs + 1, sizeof(volt__slab), 8))
      return NULL;
    /* Slots are aligned to 64 bytes: one node, one cache line. */
    size_t sz = (size_t)VOLT__SLAB_NODES * sizeof(volt_node) + 64;
    char *raw = volt__alloc(c, sz);
    if (!raw) return NULL;
    /* The runtime pointer sits just below the first slot, in the alignment
     * padding (volt__rt_of). */
    uintptr_t first = ((uintptr_t)raw + 8 + 63) & ~(uintptr_t)63; /* raw is 8-aligned: <= raw + 64 */
    volt_node *slab = (volt_node *)(void *)(raw + (first - (uintptr_t)raw));
    c->node_bytes += sz;
    c->slabs[c->nslabs].nodes = slab;
    c->slabs[c->nslabs].raw = raw;
    c->nslabs++;
    ((volt_rt **)(void *)slab)[-1] = (volt_rt *)c;
    memset(slab, 0, (size_t)VOLT__SLAB_NODES * sizeof(volt_node)); /* see volt__node_init */
    /* Each slot knows its index. Thread the slots onto the free list, first
     * slot first. */
    for (uint32_t i = VOLT__SLAB_NODES; i-- > 0;) {
      slab[i].flags = VOLT__K_FREE | (i << VOLT__SLOT_SHIFT);
      slab[i].dep1 = c->free_nodes;
      c->free_nodes = &slab[i];
    }
    n = c->free_nodes;
  }
  volt__node_init(c, n, flags);
  return n;
}

/* Returns a disposed node's slot to the free list (live_nodes was already
 * decremented when it was disposed). */
void volt__node_release_slot(volt__core *c, volt_node *n) {
  n->flags &= VOLT__SLOT_BITS; /* kind FREE */
  n->dep1 = c->free_nodes; /* u stays: see volt_emit_async */
  c->free_nodes = n;
}

/* ---- edges -------------------------------------------------------------------- */

uint32_t volt__edge_alloc(volt__core *c) {
  uint32_t i = c->free_edges;
  if (i) {
    c->free_edges = c->edges[i].next_dep;
  } else {
    if (c->edges_used == c->edges_cap) {
      /* Grow by doubling into a fresh block aligned to 64 bytes (two edges
       * per cache line, none straddling). */
      uint64_t cap = c->edges_cap ? (uint64_t)c->edges_cap * 2 : 64;
      if (cap > UINT32_MAX / 2) return 0;
      size_t sz = (size_t)cap * sizeof(volt__edge) + 64;
      char *raw = volt__alloc(c, sz);
      if (!raw) return 0;
      volt__edge *arr = (volt__edge *)(void *)(raw + ((64 - ((uintptr_t)raw & 63)) & 63));
      if (c->edges_used) memcpy(arr, c->edges, (size_t)c->edges_used * sizeof(volt__edge));
      if (c->edges_raw)
        volt__free(c, c->edges_raw, (size_t)c->edges_cap * sizeof(volt__edge) + 64);
      c->edge_bytes += sz - (c->edges_cap ? (size_t)c->edges_cap * sizeof(volt__edge) + 64 : 0);
      c->edges_raw = raw;
      c->edges = arr;
      c->edges_cap = (uint32_t)cap;
      if (c->edges_used == 0) {
        c->edges_used = 1; /* index 0 means none */
        arr[0] = (volt__edge){0};
      }
    }
    i = c->edges_used++;
  }
  c->live_edges++;
  return i;
}

void volt__edge_free(volt__core *c, uint32_t i) {
  volt__edge *e = &c->edges[i];
  e->dep = e->sub = NULL;
  e->next_dep = c->free_edges;
  c->free_edges = i;
  c->live_edges--;
}

/* ---- extensions ---------------------------------------------------------------- */


volt__ext *volt__ext_get(volt__core *c, volt_node *n, bool create) {
  if (n->ext) return volt__ext_at(c, n->ext);
  if (!create) return NULL;
  uint32_t i = c->free_ext;
  if (i) {
    c->free_ext = volt__ext_at(c, i)->next_free;
  } else {
    if (c->ext_used == 0) c->ext_used = 1;
    if (c->ext_used >= c->ext_nchunks * VOLT__EXT_CHUNK) {
      uint32_t cap = c->ext_nchunks;
      volt__ext *chunk = volt__alloc(c, VOLT__EXT_CHUNK * sizeof(volt__ext));
      if (!chunk) return NULL;
      memset(chunk, 0, VOLT__EXT_CHUNK * sizeof(volt__ext));
      void *p = volt__realloc(c, c->ext_chunks, cap * sizeof(void *), (cap + 1) * sizeof(void *));
      if (!p) {
        volt__free(c, chunk, VOLT__EXT_CHUNK * sizeof(volt__ext));
        return NULL;
      }
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

/* Building a large scope again and again (a list re-rendered, the sbench
 * cases) grew its children array by doubling each time, and each time the
 * C library's allocator went back to the kernel for the pages: 5 % of
 * createSignals. A few of the largest arrays are kept instead. */
void volt__kids_keep(volt__core *c, volt_node **kids, uint32_t cap) {
  if (!kids) return;
  if (cap >= VOLT__KIDS_KEEP && !c->closing) {
    uint32_t small = 0;
    for (uint32_t i = 1; i < VOLT__KIDS_SPARES; i++)
      if (c->kids_spare_cap[i] < c->kids_spare_cap[small]) small = i;
    if (c->kids_spare_cap[small] < cap) {
      volt_node **old = c->kids_spare[small];
      uint32_t old_cap = c->kids_spare_cap[small];
      c->kids_spare[small] = kids;
      c->kids_spare_cap[small] = cap;
      kids = old;
      cap = old_cap;
      if (!kids) return;
    }
  }
  volt__free(c, kids, (size_t)cap * sizeof(volt_node *));
}

void volt__ext_release(volt__core *c, volt_node *n) {
  if (!n->ext) return;
  volt__ext *x = volt__ext_at(c, n->ext);
  volt__strfree(c, x->name);
  x->name = NULL;
  if (c->kid_px == x) c->kid_owner = NULL, c->kid_px = NULL;
  volt__kids_keep(c, x->kids, x->kids_cap);
  x->kids = NULL;
  x->nkids = x->kids_cap = x->ndead = 0;
  x->node = NULL;
  x->next_free = c->free_ext;
  c->free_ext = n->ext;
  n->ext = 0;
}

/* ---- scratch stack --------------------------------------------------------------- */

int volt__stack_reserve(volt__core *c, uint32_t need) {
  return grow(c, (void **)&c->stack, &c->stack_cap, need, sizeof(uint32_t), 64);
}

/* ---- teardown ------------------------------------------------------------------- */

void volt__core_free(volt__core *c) {
  if (volt__tls_core == c) volt__tls_core = NULL;
  for (uint32_t i = 0; i < VOLT__KIDS_SPARES; i++) {
    volt__free(c, c->kids_spare[i], (size_t)c->kids_spare_cap[i] * sizeof(volt_node *));
    c->kids_spare[i] = NULL;
    c->kids_spare_cap[i] = 0;
  }
  if (c->tokens_free) c->tokens_free(c);
  for (uint32_t i = 0; i < c->nslabs; i++)
    volt__free(c, c->slabs[i].raw, (size_t)VOLT__SLAB_NODES * sizeof(volt_node) + 64);
  volt__free(c, c->slabs, c->slabs_cap * sizeof(volt__slab));
  if (c->edges_raw) volt__free(c, c->edges_raw, (size_t)c->edges_cap * sizeof(volt__edge) + 64);
  c->edges_raw = NULL;
  for (uint32_t i = 0; i < c->ext_nchunks; i++) {
    for (uint32_t j = 0; j < VOLT__EXT_CHUNK; j++) {
      volt__ext *x = &c->ext_chunks[i][j];
      volt__strfree(c, x->name);
      volt__free(c, x->kids, (size_t)x->kids_cap * sizeof(volt_node *));
    }
    volt__free(c, c->ext_chunks[i], VOLT__EXT_CHUNK * sizeof(volt__ext));
  }
  volt__free(c, c->ext_chunks, c->ext_nchunks * sizeof(void *));
  volt__free(c, c->stack, c->stack_cap * sizeof(uint32_t));
  volt__free(c, c->defer, c->defer_cap * sizeof(volt_node *));
  volt__free(c, c->queue, c->queue_cap * sizeof(volt_node *));
  volt__free(c, c->limbo, c->limbo_cap * sizeof(volt_node *));
  volt__free(c, c->wq, c->wq_cap * sizeof(volt_node *));
  volt__free(c, c->graves, c->graves_cap * sizeof(volt__grave));
  c->slabs = NULL;
  c->edges = NULL;
  c->ext_chunks = NULL;
  c->nslabs = c->slabs_cap = c->edges_cap = c->ext_nchunks = 0;
}

void volt__core_defaults(volt__core *c, volt_rt *rt, const volt_config *cfg) {
  (void)rt;
  c->realloc = (cfg && cfg->realloc) ? cfg->realloc : volt__default_realloc;
  c->realloc_ud = cfg ? cfg->realloc_ud : NULL;
  c->thread_tag = volt__thread_tag();
  c->get_tag = c->thread_tag;
  volt__tls_core = c;
  /* A tracking run left by a longjmp (a test harness after a failed check)
   * must not be trusted by the next runtime: volt_get's frame path is only
   * a shortcut, and without it reads take the general path. */
  volt__tls_frame = NULL;
  c->max_rounds = (cfg && cfg->max_rounds) ? cfg->max_rounds : 100;
  c->on_error = cfg ? cfg->on_error : NULL;
  c->on_error_ud = cfg ? cfg->on_error_ud : NULL;
  c->version = 1;
}

int volt__core_init(volt__core *c, volt_rt *rt, const volt_config *cfg) {
  volt__core_defaults(c, rt, cfg);
  volt__stack_init(c);
  return 0;
}
