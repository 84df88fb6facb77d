/* tests/fuzz/graph_ops.c - reads a byte string as a script of graph
 * operations on one loop-less runtime, through the public API only, and
 * checks the library against a naive model as it goes.
 *
 * Script layout
 *   byte 0    bits 0-1: allocation failures: 0 none, 1 fail the n-th
 *             allocation, 2 also every 16th after it, 3 also every 3rd;
 *             bits 2-3: cfg.max_rounds 0 (default), 1, 3, 8
 *   bytes 1-2 n, little endian (1-based; every allocation attempt counts,
 *             those of volt_rt_new included)
 *   then      operations until the bytes run out.
 * VOLT_FUZZ_NO_OOM=1 in the environment ignores byte 0's failure schedule
 * (to look for other bugs while an allocation-failure bug is open);
 * VOLT_FUZZ_TRACE=1 prints every operation and callback to stderr.
 *
 * An operation is a byte (op % 24) and its operands; a byte past the end
 * reads as 0 and ends the script. A node operand b picks the (b % count)-th
 * of the nodes of fitting kinds that the harness may use (live, made, not
 * hidden); with none, the operation does nothing. Callbacks take their
 * operations from the same stream when they run: "runs n ops" means the
 * next n operations of the script execute inside the callback.
 *
 *  op  name      operands  action
 *   0  SIGNAL    v o       volt_signal(v); o: 1 opts with the counting release
 *                          hook (else NULL opts, never PTR values), 2 equals by
 *                          content, 4 watched/unwatched hooks, 8 a name
 *   1  COMPUTED  m a b c   volt_computed reading nodes a b c (made earlier;
 *                          a byte >= 0xf0 reads nothing):
 *                          sum of the reads, or with m&4 a, then b if a is odd
 *                          else c; m&3 result: sum+k, (sum+k)&1, PTR(sum+k),
 *                          ERR when (sum+k)%4==0; m&8 equals by content;
 *                          (m>>4)&3 ops per run; k = m>>6
 *   2  EFFECT    m a b c   volt_effect reading like COMPUTED (m&4, (m>>4)&3
 *                          ops per run; not inside a computed)
 *   3  SCOPE     n         volt_scope; the body runs n&3 ops
 *   4  EVENT     o         o&1: volt_event_opts with the release hook (o&2
 *                          watched hooks, o&4 a name); else volt_event
 *   5  TOKEN     s f       volt_token(source s, flags f&7); (f>>3)&1 an `on`
 *                          hook (odd values), (f>>3)&2 copy+release hooks;
 *                          f>=0xe0 adds an unknown flag (must be refused)
 *   6  WATCH     t n       volt_watch(t); the callback runs n&3 ops
 *   7  UNWATCH   w         volt_unwatch
 *   8  SET       s v       volt_set (s&0xc0 == 0xc0: any valued node, else a
 *                          signal)
 *   9  GET       s         volt_get
 *  10  PEEK      s         volt_peek
 *  11  EMIT      e v       volt_emit (e&0xc0 == 0xc0: any valued node)
 *  12  EMIT_ASYNC e v      volt_emit_async (applied at the next flush)
 *  13  ACK       t c       volt_token_ack(t), then c&1 ? volt_ack_fail : ok
 *  14  ACK_OLD   i c       acks one of the last 8 acks seen (maybe stale)
 *  15  JOIN      i j       volt_ack_join of two remembered acks, acked ok
 *  16  TOKREAD   t         volt_token_status / ack / error / stamp
 *  17  BATCH     -         volt_batch_begin (at most 4 open per context)
 *  18  BATCH_END -         ends a batch this context opened; none open at
 *                          all: an unmatched end (must be VOLT_EINVAL)
 *  19  DISPOSE   s         volt_dispose
 *  20  FLUSH     -         volt_flush
 *  21  CLEANUP   n         volt_on_cleanup; the cleanup runs n&3 ops
 *  22  UNTRACK   n         volt_untrack; the block runs n&3 ops
 *  23  DOT       -         volt_dump_dot to /dev/null and volt_stats
 *
 * Values (v): v&7 0-3 INT v>>3, 4 NIL, 5 ERR(-100-(v>>3&3), a heap message
 * freed right after the call, or NULL when v>>3&4), 6-7 PTR to a counted box
 * holding v>>3 (INT v>>3 where the node has no release hook).
 *
 * The model. Every node the script makes gets a slot (creation order) with
 * its owner: the running effect, computed or scope, or the runtime
 * (cleanups: the runtime). Nothing is made where the owner is not
 * documented (inside watcher callbacks and volt_untrack blocks). A slot
 * dies when the harness disposes it or an owner above it, or when its owner
 * re-runs. A re-run is seen at its start: each effect or computed run that
 * made children ends by making a "sentinel" scope, its last child, whose
 * cleanup runs first when the owner is torn down and marks the children
 * dead before any other user code of the teardown runs. When a sentinel
 * cannot be made (allocation failure, full table), the children are
 * "hidden": live for the count, never touched again. Reads inside any
 * computed only touch signals and events (no evaluation, so no cycles).
 *
 * Oracles (abort() with a message): no sanitizer report; model values: a
 * read of a signal, or of a computed whose reads are all signals or such
 * computeds, equals the model (ERR(VOLT_ENOMEM) allowed once an allocation
 * failed) - inside callbacks too, so a glitch shows where it happens;
 * after each top-level operation outside a batch: volt_peek of every such
 * node, what every effect read in its last run is still current (unless a
 * flush stopped at the cap or an allocation failed since the last clean
 * volt_flush), volt_stats live_nodes equals the model; effects and watchers
 * never run after their disposal, cleanups run once, watchers only see
 * changes, watched/unwatched alternate, PTR values handed out are not yet
 * released; at the end, after volt_rt_close: no byte left allocated, every
 * PTR released exactly once, every cleanup run exactly once.
 */
#include "graph_ops.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <volt/volt.h>

enum {
  MAX_SLOTS = 256,
  MAX_CTX = 4096,   /* context stack (nested evaluations included) */
  OPS_DEPTH = 8,    /* callbacks deeper than this run no operations */
  MAX_BOXES = 4096,
  MAX_CLEANUPS = 512,
  MAX_VIEW = 8,
  MAX_ACKS = 8,
  MAX_BATCH = 4,
  NOPS = 24
};

enum { K_SIGNAL, K_COMPUTED, K_EFFECT, K_SCOPE, K_EVENT, K_TOKEN, K_WATCHER, K_SENTINEL };
#define BIT(k) (1u << (k))
#define K_VALUES (BIT(K_SIGNAL) | BIT(K_COMPUTED) | BIT(K_EVENT) | BIT(K_TOKEN))
#define K_SAFE (BIT(K_SIGNAL) | BIT(K_EVENT)) /* reading them evaluates nothing */
static const char *const kind_name[] = {"signal", "computed", "effect", "scope",
                                        "event",  "token",    "watcher", "sentinel"};

enum { MV_NIL, MV_INT, MV_ERR };
typedef struct mval { int t; int64_t i; } mval; /* ERR: i is the code */

typedef struct rec { /* what a computed or an effect reads and does */
  int16_t read[3];
  uint8_t out, k, nops;
  bool cond;
} rec;

typedef struct slot {
  void *h;        /* volt_node * or volt_watcher *; NULL until made */
  int16_t owner;  /* slot, or -1: the runtime */
  int16_t target; /* watcher: its node */
  uint8_t kind, nops;
  bool live;      /* the library counts it */
  bool hidden;    /* never touched again (see the top) */
  bool abandon;   /* owner: children made from now on are hidden */
  bool release, box_eq, tok_copy, watched;
  rec r;
  mval v; /* signal: the model's value */
  uint8_t nview;
  struct { int16_t s; mval v; } view[MAX_VIEW]; /* effect: its last run's reads */
} slot;

enum { C_TOP, C_EFFECT, C_COMPUTED, C_SCOPE, C_CLEANUP, C_WATCHER, C_UNTRACK };
typedef struct ctx { uint8_t kind, batches; int16_t slot; } ctx;

enum { B_LIB = 1, B_DONE }; /* box owned by the library / released */
typedef struct box { int64_t v; uint8_t state; } box;

typedef struct cleanup { int16_t target; uint8_t nops, ran; bool sentinel, registered; } cleanup;

static struct {
  const uint8_t *p;
  size_t n, pos;
  bool eof, closing;
  volt_rt *rt;
  slot s[MAX_SLOTS];
  int ns;
  ctx c[MAX_CTX];
  int depth, batches; /* batches: open in all contexts */
  box boxes[MAX_BOXES];
  int nboxes;
  cleanup cl[MAX_CLEANUPS];
  int ncl;
  volt_ack acks[MAX_ACKS];
  int nacks;
  size_t live_bytes, live_blocks, calls, fail_at, fail_every, base_live;
  bool oom;          /* an allocation failed (ever) */
  bool unsettled;    /* effects may lag until the next clean volt_flush */
  unsigned trouble;  /* ELOOP or failed allocations so far */
  unsigned cbs;      /* callbacks entered so far */
  unsigned gen;      /* bumped by every change of the model */
  unsigned memo_gen[MAX_SLOTS];
  bool memo_ok[MAX_SLOTS];
  mval memo_v[MAX_SLOTS];
} F;

static box statics[4] = {{0, B_LIB}, {1, B_LIB}, {2, B_LIB}, {3, B_LIB}};
static int trace = -1, no_oom = -1;
static FILE *devnull;

static void run_ops(int n);

/* ---- diagnostics --------------------------------------------------------- */

static void die(const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "graph_ops: ORACLE FAILED: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  abort();
}

static void tr(const char *fmt, ...) {
  if (!trace) return;
  va_list ap;
  fprintf(stderr, "%*s", 2 * F.depth, "");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
}

static const char *mv_str(mval m) {
  static char buf[4][32];
  static int k;
  char *b = buf[k++ & 3];
  if (m.t == MV_NIL) return "nil";
  snprintf(b, 32, m.t == MV_INT ? "%lld" : "ERR(%lld)", (long long)m.i);
  return b;
}

/* ---- allocator: counts live bytes, checks old sizes, fails on schedule ---- */

typedef union hdr { max_align_t a; size_t size; } hdr;

static void *fz_realloc(void *ud, void *p, size_t old, size_t size) {
  (void)ud;
  hdr *h = p ? (hdr *)p - 1 : NULL;
  if (h && h->size != old) die("allocator: old size %zu, the block has %zu", old, h->size);
  if (size == 0) {
    if (h) {
      F.live_bytes -= old;
      F.live_blocks--;
      free(h);
    }
    return NULL;
  }
  F.calls++;
  if (F.fail_at && (F.calls == F.fail_at ||
                    (F.fail_every && F.calls > F.fail_at && (F.calls - F.fail_at) % F.fail_every == 0))) {
    F.oom = F.unsettled = true;
    F.trouble++;
    tr("(allocation %zu fails)", F.calls);
    return NULL;
  }
  hdr *nh = realloc(h, sizeof *nh + size);
  if (!nh) die("out of real memory");
  if (!h) F.live_blocks++;
  F.live_bytes += size - old;
  nh->size = size;
  return nh + 1;
}

static void on_error(volt_rt *rt, int code, const char *msg, void *ud) {
  (void)rt, (void)ud;
  tr("(on_error %s: %s)", volt_err_name(code), msg ? msg : "");
  F.unsettled = true;
  F.trouble++;
}

static void note_rc(int rc) {
  if (rc == VOLT_ELOOP) {
    F.unsettled = true;
    F.trouble++;
  }
}

/* ---- values ------------------------------------------------------------------ */

static box *box_new(int64_t v) {
  if (F.nboxes == MAX_BOXES) return NULL;
  box *b = &F.boxes[F.nboxes++];
  b->v = v;
  b->state = B_LIB;
  return b;
}

/* The pool box p points to, or a static one, or NULL. */
static box *box_find(const void *p) {
  uintptr_t a = (uintptr_t)p, lo = (uintptr_t)F.boxes;
  if (a >= lo && a < lo + sizeof F.boxes && (a - lo) % sizeof(box) == 0) return (box *)p;
  for (int i = 0; i < 4; i++)
    if (p == &statics[i]) return &statics[i];
  return NULL;
}

static bool is_static(const box *b) { return b >= statics && b < statics + 4; }

static void box_release(volt_val v, void *ud) {
  (void)ud;
  if (v.tag != VOLT_PTR) die("release hook called with tag %d", v.tag);
  box *b = box_find(v.u.p);
  if (!b || is_static(b)) die("release hook called with a pointer that was never handed over");
  if (b->state != B_LIB) die("box %d released twice", (int)(b - F.boxes));
  b->state = B_DONE;
}

/* A value the library handed out, as the model sees it. strict: a PTR must
 * not have been released yet. */
static mval seen(volt_val v, bool strict) {
  mval m = {MV_INT, 0};
  switch (v.tag) {
  case VOLT_NIL: m.t = MV_NIL; break;
  case VOLT_BOOL: m.i = v.u.b; break;
  case VOLT_INT: m.i = v.u.i; break;
  case VOLT_NUM: m.i = (int64_t)v.u.n; break;
  case VOLT_PTR: {
    box *b = box_find(v.u.p);
    if (!b) die("a PTR value that is not a box: %p", v.u.p);
    if (strict && b->state != B_LIB) die("read a PTR released already (box %d)", (int)(b - F.boxes));
    m.i = b->v;
    break;
  }
  case VOLT_ERR:
    m.t = MV_ERR;
    m.i = v.code;
    if (strlen(volt_err_msg(v)) > 4096) die("error message too long");
    break;
  default: die("value with tag %d", v.tag);
  }
  return m;
}

static bool mv_eq(mval a, mval b) {
  if (a.t != b.t) return false;
  return a.t == MV_NIL || a.i == b.i;
}

static bool box_equals(volt_val a, volt_val b, void *ud) {
  (void)ud;
  return mv_eq(seen(a, true), seen(b, true));
}

/* The value that byte b names; *msg gets a heap message to free after the
 * call. ptr: a PTR may be made (counted box). */
static volt_val make_val(uint8_t b, bool ptr, mval *m, char **msg) {
  int x = b >> 3;
  *msg = NULL;
  m->t = MV_INT;
  m->i = x;
  switch (b & 7) {
  case 4: m->t = MV_NIL; return volt_nil();
  case 5:
    m->t = MV_ERR;
    m->i = -100 - (x & 3);
    if (!(x & 4)) {
      *msg = malloc(16);
      snprintf(*msg, 16, "error %d", x);
    }
    return volt_err((int)m->i, *msg);
  case 6:
  case 7: {
    box *bx = ptr ? box_new(x) : NULL;
    if (bx) return volt_ptr(bx);
    return volt_int(x);
  }
  default: return volt_int(x);
  }
}

/* A value refused by the call it was given to: it is the caller's again. */
static void give_back(volt_val v) {
  if (v.tag == VOLT_PTR && !is_static(box_find(v.u.p))) box_release(v, NULL);
}

/* ---- slots and the ownership model ----------------------------------------------- */

static bool usable(int i) {
  return i >= 0 && i < F.ns && F.s[i].live && F.s[i].h && !F.s[i].hidden;
}

/* The (b % count)-th usable slot of the given kinds below `below`. */
static int pick(uint8_t b, unsigned kinds, int below) {
  int n = 0;
  for (int i = 0; i < below; i++)
    if (usable(i) && (kinds & BIT(F.s[i].kind))) n++;
  if (n == 0) return -1;
  int want = b % n;
  for (int i = 0; i < below; i++)
    if (usable(i) && (kinds & BIT(F.s[i].kind)) && want-- == 0) return i;
  return -1;
}

/* Marks root's descendants (and root itself when self) dead, or hidden. */
static void mark_tree(int root, bool self, bool hide) {
  bool in[MAX_SLOTS] = {false};
  in[root] = true;
  if (self) F.s[root].live = false;
  for (int j = root + 1; j < F.ns; j++) {
    if (F.s[j].owner < 0 || !in[F.s[j].owner]) continue;
    in[j] = true;
    if (hide) F.s[j].hidden = true;
    else F.s[j].live = false;
  }
  F.gen++;
}

static void abandon(int p) {
  tr("(children of %d hidden)", p);
  mark_tree(p, false, true);
  F.s[p].abandon = true;
}

/* Where a node made now belongs: a slot, -1 the runtime, -2 nowhere known. */
static int creation_owner(void) {
  if (F.closing) return -2;
  for (int d = F.depth; d >= 0; d--) {
    const ctx *c = &F.c[d];
    switch (c->kind) {
    case C_WATCHER:
    case C_UNTRACK: return -2;
    case C_TOP:
    case C_CLEANUP: return -1;
    default: return F.s[c->slot].live ? c->slot : -2;
    }
  }
  return -1;
}

static bool in_computed(void) {
  for (int d = F.depth; d > 0; d--)
    if (F.c[d].kind == C_COMPUTED) return true;
  return false;
}

static int slot_new(int kind, int owner) {
  if (F.ns == MAX_SLOTS) return -1;
  int i = F.ns++;
  slot *s = &F.s[i];
  memset(s, 0, sizeof *s);
  s->kind = (uint8_t)kind;
  s->owner = (int16_t)owner;
  s->target = -1;
  s->live = true;
  s->hidden = owner >= 0 && (F.s[owner].hidden || F.s[owner].abandon);
  s->r.read[0] = s->r.read[1] = s->r.read[2] = -1;
  return i;
}

/* After the constructor returned h. */
static void slot_done(int i, void *h) {
  tr("-> %s %d%s", kind_name[F.s[i].kind], i, !F.s[i].live ? " (disposed meanwhile)" : h ? "" : " failed");
  if (!F.s[i].live) return;
  if (!h) mark_tree(i, true, false);
  else F.s[i].h = h;
  F.gen++;
}

static void push(int kind, int i) {
  if (F.depth + 1 == MAX_CTX) die("harness: context stack overflow");
  F.cbs++;
  F.c[++F.depth] = (ctx){(uint8_t)kind, 0, (int16_t)i};
}

static void pop(void) {
  ctx *c = &F.c[F.depth];
  while (c->batches) {
    c->batches--;
    F.batches--;
    int rc = volt_batch_end(F.rt);
    if (rc != 0 && rc != VOLT_ELOOP) die("volt_batch_end returned %d", rc);
    note_rc(rc);
  }
  F.depth--;
}

/* ---- the model's values --------------------------------------------------------------- */

static mval add(mval a, mval b) {
  if (a.t == MV_ERR) return a;
  if (b.t == MV_ERR) return b;
  a.i += b.t == MV_INT ? b.i : 0;
  return a;
}

static mval eval_rec(const rec *r, mval (*rd)(int)) {
  mval sum = {MV_INT, 0};
  if (r->cond) {
    mval c = rd(r->read[0]);
    sum = add(sum, c);
    return add(sum, rd(c.t == MV_INT && (c.i & 1) ? r->read[1] : r->read[2]));
  }
  for (int j = 0; j < 3; j++) sum = add(sum, rd(r->read[j]));
  return sum;
}

static mval out_model(const rec *r, mval sum) {
  if (sum.t == MV_ERR) return sum;
  mval m = {MV_INT, sum.i + r->k};
  if (r->out == 1) m.i &= 1;
  if (r->out == 3 && (m.i & 3) == 0) m = (mval){MV_ERR, -200 - r->k};
  return m;
}

static bool model_of(int i, mval *out);

static mval rd_model(int i) {
  mval v = {MV_NIL, 0};
  if (i >= 0) model_of(i, &v);
  return v;
}

/* The model's value of node i; false when the model does not know it. */
static bool model_of(int i, mval *out) {
  if (!usable(i)) return false;
  const slot *s = &F.s[i];
  if (s->kind == K_SIGNAL) {
    *out = s->v;
    return true;
  }
  if (s->kind != K_COMPUTED) return false;
  if (F.memo_gen[i] != F.gen + 1) {
    mval dummy;
    bool ok = true;
    for (int j = 0; j < 3; j++)
      if (s->r.read[j] >= 0 && !model_of(s->r.read[j], &dummy)) ok = false;
    F.memo_ok[i] = ok;
    if (ok) F.memo_v[i] = out_model(&s->r, eval_rec(&s->r, rd_model));
    F.memo_gen[i] = F.gen + 1;
  }
  *out = F.memo_v[i];
  return F.memo_ok[i];
}

static void check_model(int i, mval got, const char *what) {
  mval want;
  if (!model_of(i, &want) || mv_eq(got, want)) return;
  if (F.oom && got.t == MV_ERR && got.i == VOLT_ENOMEM) return;
  /* After a flush stopped at its cap, a node whose dependencies kept
   * changing while it was brought up to date reads as VOLT_ELOOP. */
  if (F.unsettled && got.t == MV_ERR && got.i == VOLT_ELOOP) return;
  die("%s of %s %d gave %s, the model says %s", what, kind_name[F.s[i].kind], i, mv_str(got),
      mv_str(want));
}

static void view_add(int i, mval m) {
  const ctx *c = &F.c[F.depth];
  if (c->kind != C_EFFECT) return;
  slot *e = &F.s[c->slot];
  if (e->nview < MAX_VIEW) {
    e->view[e->nview].s = (int16_t)i;
    e->view[e->nview++].v = m;
  }
}

/* A tracked read by an effect's or computed's own code. */
static mval rd_real(int i) {
  mval nil = {MV_NIL, 0};
  if (i < 0 || !usable(i)) return nil;
  mval m = seen(volt_get(F.s[i].h), true);
  check_model(i, m, "volt_get");
  view_add(i, m);
  return m;
}

/* ---- callbacks ----------------------------------------------------------------------------- */

static void sentinel_cleanup(void *ud) {
  cleanup *cl = &F.cl[(intptr_t)ud];
  if (cl->ran++) die("sentinel cleanup ran twice");
  int p = cl->target;
  tr("(sentinel of %d: its children go)", p);
  if (F.s[p].live) mark_tree(p, false, false);
}

static void sentinel_body(void *ud) {
  if (volt_on_cleanup(F.rt, sentinel_cleanup, ud) == 0) F.cl[(intptr_t)ud].registered = true;
}

/* Ends a run of effect or computed p that made children (see the top). */
static void sentinel(int p) {
  bool kids = false;
  for (int j = p + 1; j < F.ns && !kids; j++) kids = F.s[j].owner == p && F.s[j].live;
  if (!kids || !F.s[p].live || F.closing) return;
  int si = F.ncl < MAX_CLEANUPS && creation_owner() == p ? slot_new(K_SENTINEL, p) : -1;
  if (si < 0) {
    abandon(p);
    return;
  }
  intptr_t cl = F.ncl++;
  F.cl[cl] = (cleanup){(int16_t)p, 0, 0, true, false};
  volt_node *h = volt_scope(F.rt, sentinel_body, (void *)cl);
  slot_done(si, h);
  if (!h || !F.cl[cl].registered) abandon(p);
}

static volt_val computed_fn(void *ud) {
  int i = (int)(intptr_t)ud;
  slot *s = &F.s[i];
  if (F.closing || !s->live) return volt_nil();
  mark_tree(i, false, false); /* what the last run made is gone */
  s->abandon = false;
  push(C_COMPUTED, i);
  tr("computed %d runs", i);
  mval sum = eval_rec(&s->r, rd_real);
  run_ops(s->r.nops);
  sentinel(i);
  pop();
  mval m = out_model(&s->r, sum);
  if (m.t == MV_ERR) return volt_err((int)m.i, "computed error");
  box *b = s->r.out == 2 ? box_new(m.i) : NULL;
  return b ? volt_ptr(b) : volt_int(m.i);
}

static void effect_fn(void *ud) {
  int i = (int)(intptr_t)ud;
  slot *s = &F.s[i];
  if (F.closing) return;
  if (!s->live) die("effect %d ran after it was disposed", i);
  mark_tree(i, false, false);
  s->abandon = false;
  s->nview = 0;
  push(C_EFFECT, i);
  tr("effect %d runs", i);
  eval_rec(&s->r, rd_real);
  run_ops(s->r.nops);
  sentinel(i);
  pop();
}

static void scope_fn(void *ud) {
  int i = (int)(intptr_t)ud;
  push(C_SCOPE, i);
  run_ops(F.s[i].nops);
  pop();
}

static void cleanup_fn(void *ud) {
  cleanup *cl = &F.cl[(intptr_t)ud];
  if (cl->ran++) die("cleanup %d ran twice", (int)(intptr_t)ud);
  if (F.closing) return;
  push(C_CLEANUP, -1);
  tr("cleanup %d runs", (int)(intptr_t)ud);
  run_ops(cl->nops);
  pop();
}

static void untrack_fn(void *ud) {
  push(C_UNTRACK, -1);
  run_ops((int)(intptr_t)ud);
  pop();
}

static void watch_cb(volt_node *n, volt_val old, volt_val now, void *ud) {
  int i = (int)(intptr_t)ud, t = F.s[i].target;
  if (F.closing) return;
  if (!F.s[i].live) die("watcher %d called after it was disposed", i);
  mval mo = seen(old, true), mn = seen(now, true);
  tr("watcher %d: %s -> %s", i, mv_str(mo), mv_str(mn));
  if (usable(t)) {
    if (n != F.s[t].h) die("watcher %d called with another node", i);
    if (F.s[t].kind != K_EVENT &&
        (F.s[t].box_eq ? mv_eq(mo, mn) : volt_val_eq(old, now)))
      die("watcher %d called with old == now (%s)", i, mv_str(mn));
    check_model(t, mn, "watcher's now");
  }
  push(C_WATCHER, i);
  run_ops(F.s[i].nops);
  pop();
}

static void on_watched(volt_node *n, void *ud) {
  (void)n;
  slot *s = &F.s[(intptr_t)ud];
  if (s->watched) die("watched twice in a row on node %d", (int)(intptr_t)ud);
  s->watched = true;
}

static void on_unwatched(volt_node *n, void *ud) {
  (void)n;
  slot *s = &F.s[(intptr_t)ud];
  if (!s->watched) die("unwatched without watched on node %d", (int)(intptr_t)ud);
  s->watched = false;
}

static bool tok_on(volt_val v, void *ud) {
  (void)ud;
  mval m = seen(v, true);
  return m.t == MV_INT && (m.i & 1);
}

static volt_val tok_copy(volt_val v, void *ud) {
  (void)ud;
  if (v.tag != VOLT_PTR) return v;
  box *b = box_new(seen(v, true).i);
  return b ? volt_ptr(b) : volt_nil();
}

/* ---- operations ------------------------------------------------------------------------------ */

static uint8_t take(void) {
  if (F.pos < F.n) return F.p[F.pos++];
  F.eof = true;
  return 0;
}

static void remember(volt_ack a) {
  if (volt_ack_is_none(a)) return;
  F.acks[F.nacks % MAX_ACKS] = a;
  F.nacks++;
}

static uint8_t read_rec(rec *r, int below) {
  uint8_t m = take();
  r->out = m & 3;
  r->cond = m & 4;
  r->nops = (m >> 4) & 3;
  r->k = m >> 6;
  for (int j = 0; j < 3; j++) {
    uint8_t b = take();
    r->read[j] = (int16_t)(b >= 0xf0 ? -1 : pick(b, K_VALUES, below));
  }
  tr("  reads %d %d %d%s out %d nops %d", r->read[0], r->read[1], r->read[2],
     r->cond ? " (cond)" : "", r->out, r->nops);
  return m;
}

static void op_signal(void) {
  uint8_t vb = take(), o = take();
  int owner = creation_owner(), i;
  if (owner == -2 || (i = slot_new(K_SIGNAL, owner)) < 0) return;
  slot *s = &F.s[i];
  volt_opts opts = {0};
  char *name = NULL, *msg;
  s->release = o & 1;
  if (s->release) {
    opts.release = box_release;
    opts.ud = (void *)(intptr_t)i;
    s->box_eq = o & 2;
    if (s->box_eq) opts.equals = box_equals;
    if (o & 4) opts.watched = on_watched, opts.unwatched = on_unwatched;
    if (o & 8) opts.name = name = strdup("sig");
  }
  volt_val v = make_val(vb, s->release, &s->v, &msg);
  tr("signal %d = %s (owner %d)", i, mv_str(s->v), owner);
  volt_node *h = volt_signal(F.rt, v, s->release ? &opts : NULL);
  free(msg);
  free(name);
  slot_done(i, h);
}

static void op_node_with_fn(int kind) {
  int owner = creation_owner(), i;
  if (owner == -2 || (kind == K_EFFECT && in_computed()) || (i = slot_new(kind, owner)) < 0) {
    for (int j = 0; j < 4; j++) take();
    return;
  }
  slot *s = &F.s[i];
  tr("%s %d (owner %d)", kind_name[kind], i, owner);
  uint8_t m = read_rec(&s->r, i);
  volt_node *h;
  if (kind == K_EFFECT) {
    h = volt_effect(F.rt, effect_fn, (void *)(intptr_t)i);
  } else {
    volt_opts o = {0};
    o.release = box_release;
    s->box_eq = m & 8;
    if (s->box_eq) o.equals = box_equals;
    h = volt_computed(F.rt, computed_fn, (void *)(intptr_t)i, &o);
  }
  slot_done(i, h);
}

static void op_scope(void) {
  uint8_t n = take();
  int owner = creation_owner(), i;
  if (owner == -2 || (i = slot_new(K_SCOPE, owner)) < 0) return;
  F.s[i].nops = n & 3;
  tr("scope %d (owner %d, %d ops)", i, owner, n & 3);
  slot_done(i, volt_scope(F.rt, scope_fn, (void *)(intptr_t)i));
}

static void op_event(void) {
  uint8_t o = take();
  int owner = creation_owner(), i;
  if (owner == -2 || (i = slot_new(K_EVENT, owner)) < 0) return;
  slot *s = &F.s[i];
  s->release = o & 1;
  tr("event %d (owner %d%s)", i, owner, s->release ? ", release hook" : "");
  volt_node *h;
  if (s->release) {
    volt_opts opts = {0};
    char *name = (o & 4) ? strdup("ev") : NULL;
    opts.name = name;
    opts.release = box_release;
    opts.ud = (void *)(intptr_t)i;
    if (o & 2) opts.watched = on_watched, opts.unwatched = on_unwatched;
    h = volt_event_opts(F.rt, &opts);
    free(name);
  } else {
    h = volt_event(F.rt);
  }
  slot_done(i, h);
}

static void op_token(void) {
  uint8_t sb = take(), f = take();
  int owner = creation_owner(), src = pick(sb, in_computed() ? K_SAFE : K_VALUES, F.ns), i;
  if (owner == -2 || src < 0 || (i = slot_new(K_TOKEN, owner)) < 0) return;
  unsigned flags = f & 7, variant = (f >> 3) & 3;
  bool bad = (f >> 5) == 7;
  if (bad) flags |= 0x10;
  volt_token_opts o = {0};
  if (variant & 1) o.on = tok_on;
  if (variant & 2) o.copy = tok_copy, o.release = box_release, F.s[i].tok_copy = true;
  tr("token %d on %d flags %u opts %u (owner %d)", i, src, flags, variant, owner);
  volt_node *h = volt_token(F.rt, F.s[src].h, flags, variant ? &o : NULL);
  if (bad && h) die("volt_token accepted unknown flags");
  slot_done(i, h);
}

static void op_watch(void) {
  uint8_t tb = take(), n = take();
  int owner = creation_owner(), t = pick(tb, in_computed() ? K_SAFE : K_VALUES, F.ns), i;
  if (owner == -2 || t < 0 || (i = slot_new(K_WATCHER, owner)) < 0) return;
  F.s[i].target = (int16_t)t;
  F.s[i].nops = n & 3;
  tr("watcher %d on %d (owner %d)", i, t, owner);
  slot_done(i, volt_watch(F.s[t].h, watch_cb, (void *)(intptr_t)i));
}

static void op_unwatch(void) {
  int w = pick(take(), BIT(K_WATCHER), F.ns);
  if (w < 0) return;
  tr("unwatch %d", w);
  void *h = F.s[w].h;
  mark_tree(w, true, false);
  int rc = volt_unwatch(h);
  if (rc != 0) die("volt_unwatch of live watcher %d returned %d", w, rc);
}

static void op_set(void) {
  uint8_t sb = take(), vb = take();
  int t = pick(sb, (sb & 0xc0) == 0xc0 ? K_VALUES : BIT(K_SIGNAL), F.ns);
  if (t < 0) return;
  slot *s = &F.s[t];
  bool sig = s->kind == K_SIGNAL;
  char *msg;
  mval m, old = s->v;
  volt_val v = make_val(vb, sig ? s->release : true, &m, &msg);
  tr("set %s %d = %s", kind_name[s->kind], t, mv_str(m));
  if (sig) s->v = m; /* callbacks of the flush see the new value */
  F.gen++;
  int rc = volt_set(s->h, v);
  free(msg);
  note_rc(rc);
  if (!sig) {
    if (rc != VOLT_EINVAL) die("volt_set on a %s returned %d", kind_name[s->kind], rc);
    give_back(v);
    return;
  }
  if (rc == 0 || rc == VOLT_ELOOP) {
    if (in_computed()) die("volt_set inside a computed returned %d", rc);
    return;
  }
  /* VOLT_ENOMEM: the signal holds a PTR with a release hook and no room
   * could be made for it to wait for the end of the flush; nothing
   * changed (v was released). */
  if (!(rc == VOLT_ENOMEM && s->release) && (rc != VOLT_EPERM || F.depth == 0))
    die("volt_set of signal %d returned %d", t, rc);
  s->v = old;
  F.gen++;
}

static void op_read(bool get) {
  int t = pick(take(), in_computed() ? K_SAFE : K_VALUES, F.ns);
  if (t < 0) return;
  volt_node *h = F.s[t].h;
  mval m = seen(get ? volt_get(h) : volt_peek(h), true);
  tr("%s %s %d: %s", get ? "get" : "peek", kind_name[F.s[t].kind], t, mv_str(m));
  check_model(t, m, get ? "volt_get" : "volt_peek");
  if (get) view_add(t, m);
}

static void op_emit(bool async) {
  uint8_t eb = take(), vb = take();
  int t = pick(eb, (eb & 0xc0) == 0xc0 && !async ? K_VALUES : BIT(K_EVENT), F.ns);
  if (t < 0) return;
  slot *s = &F.s[t];
  bool ev = s->kind == K_EVENT;
  char *msg;
  mval m;
  volt_val v = make_val(vb, ev && s->release, &m, &msg);
  if (ev && !s->release && (vb & 7) >= 6) v = volt_ptr(&statics[vb & 3]);
  tr("%s %s %d: %s", async ? "emit_async" : "emit", kind_name[s->kind], t, mv_str(m));
  int rc = async ? volt_emit_async(s->h, v) : volt_emit(s->h, v);
  free(msg);
  note_rc(rc);
  if (async) {
    if (rc != 0) give_back(v);
    if (rc != 0 && rc != VOLT_ENOMEM) die("volt_emit_async returned %d", rc);
  } else if (!ev) {
    if (rc != VOLT_EINVAL) die("volt_emit on a %s returned %d", kind_name[s->kind], rc);
    give_back(v);
  } else if (rc == VOLT_EPERM  ? F.depth == 0
             : rc == VOLT_ENOMEM ? !s->release /* only an event owning PTR payloads */
                                 : (rc != 0 && rc != VOLT_ELOOP) || in_computed()) {
    die("volt_emit returned %d", rc);
  }
}

static int ack(volt_ack a, uint8_t c) {
  char *msg = NULL;
  if (c & 1) {
    msg = malloc(16);
    snprintf(msg, 16, "failed %d", c >> 1);
  }
  int rc = (c & 1) ? volt_ack_fail(a, -300 - ((c >> 1) & 3), (c & 2) ? NULL : msg) : volt_ack_ok(a);
  free(msg);
  note_rc(rc);
  if (rc != 0 && rc != VOLT_ESTALE && rc != VOLT_EINVAL && rc != VOLT_EPERM && rc != VOLT_ELOOP)
    die("ack returned %d", rc);
  if (rc == VOLT_EPERM && !in_computed()) die("ack outside a computed returned VOLT_EPERM");
  return rc;
}

static void op_ack(void) {
  uint8_t tb = take(), c = take();
  int t = in_computed() ? -1 : pick(tb, BIT(K_TOKEN), F.ns);
  if (t < 0) return;
  unsigned cbs = F.cbs;
  volt_ack a = volt_token_ack(F.s[t].h);
  remember(a);
  tr("ack token %d (id %u gen %u) %s", t, a.id, a.gen, (c & 1) ? "fail" : "ok");
  int rc = ack(a, c);
  /* Nothing ran between the read and the ack: a current ack is accepted. */
  if (cbs == F.cbs && (volt_ack_is_none(a) ? rc != VOLT_EINVAL : rc != 0 && rc != VOLT_ELOOP))
    die("ack of token %d's current ack returned %d", t, rc);
}

static void op_ack_old(void) {
  uint8_t ib = take(), c = take();
  if (!F.nacks) return;
  int n = F.nacks < MAX_ACKS ? F.nacks : MAX_ACKS;
  tr("ack old %d", ib % n);
  ack(F.acks[ib % n], c);
}

static void op_join(void) {
  uint8_t ib = take(), jb = take();
  if (!F.nacks) return;
  int n = F.nacks < MAX_ACKS ? F.nacks : MAX_ACKS;
  volt_ack two[2] = {F.acks[ib % n], F.acks[jb % n]};
  volt_ack j = volt_ack_join(F.rt, two, 2);
  tr("join %d %d -> id %u", ib % n, jb % n, j.id);
  if (!volt_ack_is_none(j)) ack(j, 0);
}

static void op_tokread(void) {
  int t = in_computed() ? -1 : pick(take(), BIT(K_TOKEN), F.ns);
  if (t < 0) return;
  tr("read token %d", t);
  int st = volt_token_status(F.s[t].h);
  if (usable(t) && (st < 0 || st > 2)) die("token %d status %d", t, st);
  if (!usable(t)) return;
  remember(volt_token_ack(F.s[t].h));
  if (!usable(t)) return;
  mval e = seen(volt_token_error(F.s[t].h), true);
  if (e.t == MV_INT) die("token %d error is not NIL or ERR", t);
  if (!usable(t)) return;
  volt_val sp = volt_token_stamp(F.s[t].h);
  seen(sp, F.s[t].tok_copy); /* stamps without copy are borrowed: maybe stale */
}

static void op_batch(bool begin) {
  ctx *c = &F.c[F.depth];
  int rc;
  if (begin) {
    if (c->batches == MAX_BATCH) return;
    tr("batch begin");
    if ((rc = volt_batch_begin(F.rt)) != 0) die("volt_batch_begin returned %d", rc);
    c->batches++;
    F.batches++;
  } else if (c->batches) {
    tr("batch end");
    c->batches--;
    F.batches--;
    rc = volt_batch_end(F.rt);
    note_rc(rc);
    if (rc != 0 && rc != VOLT_ELOOP) die("volt_batch_end returned %d", rc);
  } else if (F.batches == 0) {
    tr("batch end (unmatched)");
    if ((rc = volt_batch_end(F.rt)) != VOLT_EINVAL) die("unmatched volt_batch_end returned %d", rc);
  }
}

static void op_dispose(void) {
  int t = pick(take(), ~(BIT(K_WATCHER) | BIT(K_SENTINEL)), F.ns);
  if (t < 0) return;
  tr("dispose %s %d", kind_name[F.s[t].kind], t);
  void *h = F.s[t].h;
  mark_tree(t, true, false);
  volt_dispose(h);
}

static void op_flush(void) {
  unsigned trouble = F.trouble;
  tr("flush");
  int rc = volt_flush(F.rt);
  note_rc(rc);
  if (rc != 0 && rc != VOLT_ELOOP) die("volt_flush returned %d", rc);
  if (rc == 0 && F.depth == 0 && F.batches == 0 && F.trouble == trouble) F.unsettled = false;
}

static void op_cleanup(void) {
  uint8_t n = take();
  int owner = creation_owner();
  if (owner == -2 || F.ncl == MAX_CLEANUPS) return;
  intptr_t i = F.ncl++;
  F.cl[i] = (cleanup){(int16_t)owner, n & 3, 0, false, false};
  tr("cleanup %d on %d (%d ops)", (int)i, owner, n & 3);
  int rc = volt_on_cleanup(F.rt, cleanup_fn, (void *)i);
  if (rc == 0) F.cl[i].registered = true;
  else if (rc != VOLT_ENOMEM) die("volt_on_cleanup returned %d", rc);
}

static void op_untrack(void) {
  uint8_t n = take();
  tr("untrack (%d ops)", n & 3);
  volt_untrack(F.rt, untrack_fn, (void *)(intptr_t)(n & 3));
}

static void op_dot(void) {
  volt_stats_t st;
  int rc = volt_dump_dot(F.rt, devnull);
  if (rc != 0 && rc != VOLT_ENOMEM) die("volt_dump_dot returned %d", rc);
  if (volt_stats(F.rt, &st) != 0) die("volt_stats failed");
}

static void op(void) {
  uint8_t code = take() % NOPS;
  if (F.eof) return;
  switch (code) {
  case 0: op_signal(); break;
  case 1: op_node_with_fn(K_COMPUTED); break;
  case 2: op_node_with_fn(K_EFFECT); break;
  case 3: op_scope(); break;
  case 4: op_event(); break;
  case 5: op_token(); break;
  case 6: op_watch(); break;
  case 7: op_unwatch(); break;
  case 8: op_set(); break;
  case 9: op_read(true); break;
  case 10: op_read(false); break;
  case 11: op_emit(false); break;
  case 12: op_emit(true); break;
  case 13: op_ack(); break;
  case 14: op_ack_old(); break;
  case 15: op_join(); break;
  case 16: op_tokread(); break;
  case 17: op_batch(true); break;
  case 18: op_batch(false); break;
  case 19: op_dispose(); break;
  case 20: op_flush(); break;
  case 21: op_cleanup(); break;
  case 22: op_untrack(); break;
  default: op_dot(); break;
  }
}

static void run_ops(int n) {
  if (F.depth >= OPS_DEPTH || F.closing) return;
  while (n-- > 0 && !F.eof) op();
}

/* ---- top-level checks ---------------------------------------------------------------------- */

static void check_all(void) {
  for (int i = 0; i < F.ns; i++) {
    mval want;
    if ((F.s[i].kind == K_SIGNAL || F.s[i].kind == K_COMPUTED) && model_of(i, &want))
      check_model(i, seen(volt_peek(F.s[i].h), true), "volt_peek");
  }
  if (!F.unsettled) {
    for (int e = 0; e < F.ns; e++) {
      const slot *s = &F.s[e];
      if (s->kind != K_EFFECT || !s->live) continue;
      for (int j = 0; j < s->nview; j++) {
        mval want;
        if (model_of(s->view[j].s, &want) && !mv_eq(want, s->view[j].v) &&
            !(F.oom && s->view[j].v.t == MV_ERR && s->view[j].v.i == VOLT_ENOMEM))
          die("effect %d last read %s %d = %s, it is now %s (a missed update)", e,
              kind_name[F.s[s->view[j].s].kind], s->view[j].s, mv_str(s->view[j].v), mv_str(want));
      }
    }
  }
  volt_stats_t st;
  if (volt_stats(F.rt, &st) != 0) die("volt_stats failed");
  size_t live = 0;
  for (int i = 0; i < F.ns; i++) live += F.s[i].live;
  if (st.live_nodes - F.base_live != live)
    die("volt_stats: %zu live nodes, the model has %zu", st.live_nodes - F.base_live, live);
}

static void on_closed(void *ud) { ++*(int *)ud; }

void graph_ops_run(const uint8_t *data, size_t size) {
  if (trace < 0) {
    const char *t = getenv("VOLT_FUZZ_TRACE"), *o = getenv("VOLT_FUZZ_NO_OOM");
    trace = t && *t && *t != '0';
    no_oom = o && *o && *o != '0';
  }
  if (!devnull && !(devnull = fopen("/dev/null", "w"))) die("cannot open /dev/null");
  memset(&F, 0, sizeof F);
  F.p = data;
  F.n = size;
  uint8_t h0 = take(), h1 = take(), h2 = take();
  static const size_t every[4] = {0, 0, 16, 3};
  static const unsigned rounds[4] = {0, 1, 3, 8};
  if ((h0 & 3) && !no_oom) {
    F.fail_at = (size_t)h1 | (size_t)h2 << 8;
    if (F.fail_at == 0) F.fail_at = 1;
    F.fail_every = every[h0 & 3];
  }
  volt_config cfg = {0};
  cfg.realloc = fz_realloc;
  cfg.on_error = on_error;
  cfg.max_rounds = rounds[(h0 >> 2) & 3];
  tr("script of %zu bytes: fail at %zu every %zu, max_rounds %u", size, F.fail_at, F.fail_every,
     cfg.max_rounds);
  int rc = volt_rt_new(&F.rt, NULL, &cfg);
  if (rc == 0) {
    volt_stats_t st;
    if (volt_stats(F.rt, &st) != 0) die("volt_stats failed");
    F.base_live = st.live_nodes;
    while (!F.eof) {
      op();
      if (F.batches == 0) check_all();
    }
    while (F.c[0].batches) op_batch(false);
    op_flush();
    check_all();
    int closed = 0;
    F.closing = true;
    tr("close (%zu allocations so far)", F.calls);
    volt_rt_close(F.rt, on_closed, &closed);
    if (closed != 1) die("on_closed ran %d times", closed);
  } else if (rc != VOLT_ENOMEM || !F.oom) {
    die("volt_rt_new returned %d", rc);
  }
  if (F.live_bytes || F.live_blocks)
    die("after close: %zu bytes in %zu blocks still allocated", F.live_bytes, F.live_blocks);
  for (int i = 0; i < F.nboxes; i++)
    if (F.boxes[i].state != B_DONE) die("box %d (PTR value) never released", i);
  for (int i = 0; i < F.ncl; i++)
    if (F.cl[i].registered && F.cl[i].ran != 1) die("cleanup %d ran %d times", i, F.cl[i].ran);
}
