/* tokens/table.c - the handle table (ids with generations) and joins.
 *
 * Every token, event and join owns one slot of core->tokens. A slot's
 * generation only grows: a token's generation advances at every mint and at
 * every ack that consumes a mint, so "slot gen == ack gen" means exactly
 * "this mint is current and still pending". A freed slot's generation
 * advances too, so ids are reused but (id, gen) pairs never are (until a
 * slot's 32-bit generation wraps, after 2^32 mints of that one slot).
 */
#include <stdlib.h>

#include "tokens/tokens.h"

/* A composite ack: its children, and a cursor used while it fans out (no
 * recursion: the records themselves form the DFS stack). */
typedef struct volt__join {
  uint32_t n, pos;
  uint32_t parent; /* slot of the join being expanded above this one, 0: root */
  bool busy;       /* fanning out: the sweep must not free it */
  volt_ack kids[];
} volt__join;

static void tokens_free(volt__core *c) {
  struct volt__tokens *tb = c->tokens;
  if (!tb) return;
  for (uint32_t i = 1; i < tb->len; i++) {
    volt__slot *s = &tb->slots[i];
    if (s->kind == VOLT__SLOT_JOIN && s->obj) {
      volt__join *j = s->obj;
      volt__free(c, j, sizeof *j + (size_t)j->n * sizeof(volt_ack));
    }
  }
  while (tb->deferred) {
    volt__deferred *d = tb->deferred;
    tb->deferred = d->next;
    volt__free(c, d->base, d->size);
  }
  volt__free(c, tb->slots, (size_t)tb->cap * sizeof(volt__slot));
  volt__free(c, tb, sizeof *tb);
  c->tokens = NULL;
}

void volt__defer_free(volt__core *c, volt__deferred *d, void *base, size_t size) {
  d->base = base;
  d->size = size;
  d->next = c->tokens->deferred;
  c->tokens->deferred = d;
}

struct volt__tokens *volt__tokens_get(volt__core *c) {
  if (c->tokens) return c->tokens;
  struct volt__tokens *tb = volt__alloc(c, sizeof *tb);
  if (!tb) return NULL;
  memset(tb, 0, sizeof *tb);
  tb->len = 1; /* slot 0 is "none" */
  c->tokens = tb;
  c->tokens_free = tokens_free;
  return tb;
}

/* A child ack still names something live of this runtime. */
static bool ack_live(volt__core *c, volt_ack a) {
  struct volt__tokens *tb = c->tokens;
  if (a.id == 0 || a.rt != (volt_rt *)(void *)c || !tb || a.id >= tb->len) return false;
  volt__slot *s = &tb->slots[a.id];
  return (s->kind == VOLT__SLOT_TOKEN || s->kind == VOLT__SLOT_JOIN) && s->gen == a.gen &&
         s->obj != NULL;
}

static void join_free(volt__core *c, uint32_t id) {
  volt__slot *s = &c->tokens->slots[id];
  volt__join *j = s->obj;
  volt__free(c, j, sizeof *j + (size_t)j->n * sizeof(volt_ack));
  s->obj = NULL;
  c->tokens->joins--;
  volt__slot_free(c, id);
}

/* Before growing the table: joins none of whose children are live any more
 * can never do anything; free them (their acks become stale, which they
 * would be in effect anyway: acking them returns VOLT_ESTALE either way). */
static void sweep_joins(volt__core *c) {
  struct volt__tokens *tb = c->tokens;
  for (uint32_t i = 1; i < tb->len && tb->joins > 0; i++) {
    volt__slot *s = &tb->slots[i];
    if (s->kind != VOLT__SLOT_JOIN || !s->obj) continue;
    volt__join *j = s->obj;
    if (j->busy) continue;
    bool live = false;
    for (uint32_t k = 0; k < j->n && !live; k++) live = ack_live(c, j->kids[k]);
    if (!live) join_free(c, i);
  }
}

static uint32_t next_gen(uint32_t g) {
  g++;
  return g ? g : 1;
}

uint32_t volt__slot_new(volt__core *c, uint32_t kind, void *obj) {
  struct volt__tokens *tb = volt__tokens_get(c);
  if (!tb) return 0;
  if (!tb->free_head && tb->len >= tb->cap && tb->joins > 0) sweep_joins(c);
  uint32_t id;
  if (tb->free_head) {
    id = tb->free_head;
    tb->free_head = tb->slots[id].next_free;
  } else {
    if (tb->len >= tb->cap) {
      if (tb->cap >= UINT32_MAX / 2) return 0;
      uint32_t ncap = tb->cap ? tb->cap * 2 : 16;
      volt__slot *ns = volt__realloc(c, tb->slots, (size_t)tb->cap * sizeof(volt__slot),
                                     (size_t)ncap * sizeof(volt__slot));
      if (!ns) return 0;
      memset(ns + tb->cap, 0, (size_t)(ncap - tb->cap) * sizeof(volt__slot));
      tb->slots = ns;
      tb->cap = ncap;
    }
    id = tb->len++;
  }
  volt__slot *s = &tb->slots[id];
  s->obj = obj;
  s->kind = kind;
  s->next_free = 0;
  s->gen = next_gen(s->gen);
  return id;
}

void *volt__slot_get(volt__core *c, uint32_t id, uint32_t gen, uint32_t kind) {
  struct volt__tokens *tb = c->tokens;
  if (!tb || id == 0 || id >= tb->len) return NULL;
  volt__slot *s = &tb->slots[id];
  if (s->kind != kind || s->gen != gen) return NULL;
  return s->obj;
}

void volt__slot_free(volt__core *c, uint32_t id) {
  struct volt__tokens *tb = c->tokens;
  if (!tb || id == 0 || id >= tb->len) return;
  volt__slot *s = &tb->slots[id];
  s->obj = NULL;
  s->kind = VOLT__SLOT_FREE;
  s->gen = next_gen(s->gen);
  s->next_free = tb->free_head;
  tb->free_head = id;
}

uint32_t volt__slot_bump(volt__core *c, uint32_t id) {
  volt__slot *s = &c->tokens->slots[id];
  s->gen = next_gen(s->gen);
  return s->gen;
}

/* ---- joins ------------------------------------------------------------------- */

/* Loop thread. See volt/token.h. */
volt_ack volt_ack_join(volt_rt *rt, const volt_ack *acks, size_t n) {
  if (!rt || (n > 0 && !acks)) return VOLT_ACK_NONE;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c) || c->closing || !c->tokens) return VOLT_ACK_NONE;
  size_t live = 0, last = 0;
  for (size_t i = 0; i < n; i++)
    if (ack_live(c, acks[i])) {
      live++;
      last = i;
    }
  if (live == 0) return VOLT_ACK_NONE;
  /* One live child: acking the join would ack exactly it, once. */
  if (live == 1) return acks[last];
  if (live > (UINT32_MAX - sizeof(volt__join)) / sizeof(volt_ack)) return VOLT_ACK_NONE;
  size_t bytes = sizeof(volt__join) + live * sizeof(volt_ack);
  volt__join *j = volt__alloc(c, bytes);
  if (!j) return VOLT_ACK_NONE;
  j->n = (uint32_t)live;
  j->pos = 0;
  j->parent = 0;
  j->busy = false;
  size_t k = 0;
  for (size_t i = 0; i < n; i++)
    if (ack_live(c, acks[i])) j->kids[k++] = acks[i];
  uint32_t id = volt__slot_new(c, VOLT__SLOT_JOIN, j);
  if (!id) {
    volt__free(c, j, bytes);
    return VOLT_ACK_NONE;
  }
  c->tokens->joins++;
  volt_ack a;
  a.rt = rt;
  a.id = id;
  a.gen = c->tokens->slots[id].gen;
  return a;
}

/* A join's child that is a token: its ack names this runtime and the
 * token's pending mint, or it is stale. */
static int token_ack(volt__core *c, volt_ack a, bool ok, int code, const char *msg) {
  void *t = volt__slot_get(c, a.id, a.gen, VOLT__SLOT_TOKEN);
  if (!t || a.rt != (volt_rt *)(void *)c) return VOLT_ESTALE;
  return volt__token_apply(c, t, a, ok, code, msg);
}

/* Fans a join out depth first, left to right, without recursion: a child
 * join is consumed (its generation advanced) when entered and freed when
 * finished; the records' parent links are the stack. 0 if at least one leaf
 * was acked, VOLT_ESTALE otherwise (the join is consumed either way). */
static int join_apply(volt__core *c, uint32_t id, bool ok, int code, const char *msg) {
  volt__slot *s = &c->tokens->slots[id];
  volt__join *cur = s->obj;
  uint32_t cur_id = id;
  volt__slot_bump(c, id);
  cur->busy = true;
  cur->pos = 0;
  cur->parent = 0;
  size_t acked = 0;
  while (cur) {
    if (cur->pos < cur->n) {
      volt_ack a = cur->kids[cur->pos++];
      volt__join *child = volt__slot_get(c, a.id, a.gen, VOLT__SLOT_JOIN);
      if (child && a.rt == (volt_rt *)(void *)c) {
        volt__slot_bump(c, a.id);
        child->busy = true;
        child->pos = 0;
        child->parent = cur_id;
        cur = child;
        cur_id = a.id;
        continue;
      }
      if (token_ack(c, a, ok, code, msg) == 0) acked++;
      continue;
    }
    uint32_t parent = cur->parent;
    join_free(c, cur_id);
    cur_id = parent;
    cur = parent ? c->tokens->slots[parent].obj : NULL;
  }
  return acked ? 0 : VOLT_ESTALE;
}

/* ack.rt is c: both callers (ack_any and the inbox) found c through it. One
 * slot lookup checks the rest; the token or join applies the ack. */
int volt__ack_apply(volt__core *c, volt_ack ack, bool ok, int code, const char *msg) {
  if (ack.id == 0) return VOLT_EINVAL;
  if (c->closing) return VOLT_ECLOSING;
  struct volt__tokens *tb = c->tokens;
  if (!tb || ack.id >= tb->len) return VOLT_ESTALE;
  volt__slot *s = &tb->slots[ack.id];
  if (s->gen != ack.gen || !s->obj) return VOLT_ESTALE;
  if (s->kind == VOLT__SLOT_TOKEN) return volt__token_apply(c, s->obj, ack, ok, code, msg);
  if (s->kind == VOLT__SLOT_JOIN) return join_apply(c, ack.id, ok, code, msg);
  return VOLT_ESTALE;
}

/* An ack posted from another thread, applied on the loop thread (a stale
 * one is dropped then). */
static void apply_posted(volt__core *c, volt__msg *m) {
  volt_ack ack = {(volt_rt *)(void *)c, m->id, m->gen};
  (void)volt__ack_apply(c, ack, m->flag, m->code, m->text);
}

static int ack_any(volt_ack ack, bool ok, int code, const char *msg) {
  if (ack.id == 0) return VOLT_EINVAL;
  if (!ack.rt) return VOLT_ESTALE;
  volt__core *c = VOLT__CORE(ack.rt);
  if (!volt__on_loop(c)) {
    if (!c->post) return VOLT_ECLOSING;
    volt__msg m;
    memset(&m, 0, sizeof m);
    m.apply = apply_posted;
    m.id = ack.id;
    m.gen = ack.gen;
    m.code = code;
    m.flag = ok;
    m.text = (char *)(uintptr_t)msg;
    return c->post(c, &m);
  }
  if (volt__writes_refused(c)) return VOLT_EPERM;
  int r = volt__ack_apply(c, ack, ok, code, msg);
  if (r == 0) {
    int f = volt__maybe_flush(c);
    if (f < 0) r = f;
  }
  return r;
}

/* Any thread. See volt/token.h. */
int volt_ack_ok(volt_ack ack) { return ack_any(ack, true, 0, NULL); }

/* Any thread. See volt/token.h. */
int volt_ack_fail(volt_ack ack, int code, const char *msg) {
  return ack_any(ack, false, code, msg);
}
