/* tokens/token.c - the token state machine (docs/tokens.md).
 *
 * A token is a node of the token kind, a listener (VOLT__F_LISTENER)
 * subscribed to its source with one edge. Its state lives in a volt__token
 * record in the node's extension (ext->data); its value (volt__value(n)) is its
 * status as a VOLT_INT, so volt_get and watchers see the status.
 *
 * - Event sources: volt_emit calls volt__token_occurrence for every token
 *   subscriber, synchronously, once per occurrence.
 * - State sources: a change of the source's value counts. The token pulls:
 *   when the flush reaches it (kind op run) and whenever it is read, it peeks
 *   the source and compares with the last value it saw, so a reader never
 *   sees a token lagging behind the source it also reads (glitch-free).
 *
 * Every transition that changes anything readable (status, ack, error,
 * stamp) marks the token DIRTY and propagates; nothing else does (a dropped
 * event or a refused ack notifies nobody). Transitions never flush by
 * themselves: the public entry points call volt__maybe_flush once.
 */
#include <stdlib.h>

#include "tokens/tokens.h"

typedef struct volt__token {
  /* What an ack reads and writes comes first, on the record's first cache
   * line (an ack from another thread touches nothing else of it unless it
   * fails or re-arms). */
  volt_node *node;
  uint32_t id;  /* handle slot */
  uint8_t state;
  uint8_t flags; /* VOLT_TOKEN_* */
  bool src_event;
  bool has_dropped; /* REARM + event source: an occurrence was dropped */
  volt__token_hook hook;
  void *hook_ud;
  volt_val stamp;   /* owned (copy hook / copied message); NIL: none */
  volt_node *src;
  bool pulling;     /* re-entrancy guard while peeking the source */
  volt_val err;     /* owned; NIL unless FAILED */
  volt_val last;    /* state source: the last value seen (ERR message owned;
                       a PTR is compared by address, never dereferenced) */
  volt_val dropped; /* REARM + event source: newest dropped payload, owned */
  bool (*on)(volt_val v, void *ud);
  volt_val (*copy)(volt_val v, void *ud);
  void *ud;
} volt__token;

/* The value (the status) was set when the transition happened: settling it
 * only says "changed". Kinds built on tokens (actions) share this op: it is
 * how a node is recognised as a token (volt__is_token_kind). */
bool volt__token_update(volt__core *c, volt_node *n) {
  (void)c;
  n->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  return true;
}

volt__kind volt__token_kind = {.name = "token", .update = volt__token_update,
                             .run = volt__token_run, .dispose = volt__token_dispose,
                             .traits = VOLT__KIND_VALUE};

bool volt__is_token_kind(const volt__kind *k) { return k && k->update == volt__token_update; }

static volt__token *tok_data(volt__core *c, volt_node *n) {
  volt__ext *x = volt__ext_get(c, n, false);
  return x ? x->data : NULL;
}

static volt_ack tok_ack(volt__core *c, volt__token *t) {
  volt_ack a;
  a.rt = (volt_rt *)(void *)c;
  a.id = t->id;
  a.gen = c->tokens->slots[t->id].gen; /* the current mint while PENDING */
  return a;
}

/* A value the token keeps: PTR through the copy hook, ERR message copied. */
static volt_val tok_own(volt__core *c, volt__token *t, volt_val v) {
  if (v.tag == VOLT_PTR) return t->copy ? t->copy(v, t->ud) : v;
  if (v.tag == VOLT_ERR) return volt__val_own(c, v);
  return v;
}

/* Releases a value kept by tok_own (at the end of the flush: readers of the
 * stamp in this flush keep a valid borrow). */
static void tok_drop(volt__core *c, volt__token *t, volt_val *v) {
  if (v->tag == VOLT_PTR || v->tag == VOLT_ERR) volt__release_later(c, t->node, *v);
  *v = volt_nil();
}

/* The fingerprint of a source value for change detection. */
static volt_val fp_make(volt__core *c, volt_val v) {
  if (v.tag == VOLT_ERR) return volt__val_own(c, v);
  v.flags = 0;
  return v;
}

static void fp_drop(volt__core *c, volt_val *v) {
  if (v->tag == VOLT_ERR) volt__val_drop(c, *v);
  *v = volt_nil();
}

static bool fp_eq(volt_val a, volt_val b) {
  if (a.tag != b.tag) return false;
  if (a.tag == VOLT_PTR) return a.u.p == b.u.p; /* never dereferenced */
  return volt_val_eq(a, b);
}

/* Does v count? `on` is user code: entered like any (a volt_rt_close it
 * calls waits for the call that asked to end). */
static bool tok_on(volt__core *c, volt__token *t, volt_val v) {
  if (!t->on) return t->src_event || v.tag != VOLT_NIL;
  volt__context saved;
  volt__enter(c, &saved, (volt__context){NULL, NULL, c->cx.computing});
  bool yes = t->on(v, t->ud);
  volt__leave(c, &saved);
  return yes;
}

static void tok_notify(volt__core *c, volt__token *t) {
  volt_node *n = t->node;
  volt__set_value(n, volt_int(t->state));
  /* DIRTY tells the check walks of its subscribers that it changed; they
   * clear it (update op). With none, nothing would, and a DIRTY node is
   * not reached by marks: a later change of a state source would no longer
   * run the token (no mint, so no work for an action, until someone read
   * it). A reader that subscribes later reads the current state. With no
   * subscriber there is nothing to mark (the common case of an ack from
   * another thread: 25 of the loop thread's 178 instructions per ack). */
  if (!n->subs) {
    n->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
    return;
  }
  n->flags |= VOLT__F_DIRTY;
  volt__propagate(c, n);
}


/* The source is still alive (disposing a node drops its subscriber edges). */
static bool src_alive(volt__core *c, volt__token *t) {
  volt_node *n = t->node;
  return t->src && n->deps && VOLT__E(c, n->deps)->dep == t->src &&
         !(t->src->flags & VOLT__F_DISPOSED);
}

/* The source can be peeked now (alive, and not a computed being evaluated
 * further up the C stack, which would read as a cycle). */
static bool src_readable(volt__core *c, volt__token *t) {
  return src_alive(c, t) && !(t->src->flags & (VOLT__F_RUNNING | VOLT__F_CHECKING));
}

/* Mints a new ack with `stamp` (already owned by the token). Superseding a
 * pending mint makes the old ack stale. Clears the error (retry) in the same
 * transition. Does not notify. */
static void tok_mint(volt__core *c, volt__token *t, volt_val stamp) {
  bool superseding = t->state == VOLT_PENDING;
  volt_ack old = tok_ack(c, t);
  volt__slot_bump(c, t->id);
  if (t->state == VOLT_FAILED) tok_drop(c, t, &t->err);
  t->state = VOLT_PENDING;
  tok_drop(c, t, &t->stamp);
  t->stamp = stamp;
  if (t->hook) {
    if (superseding) t->hook(t->node, VOLT__TOK_STALE, old, t->hook_ud);
    if (t->hook) t->hook(t->node, VOLT__TOK_MINT, tok_ack(c, t), t->hook_ud);
  }
}

/* The source fired with value v (borrowed; on() already passed). */
static void tok_fire(volt__core *c, volt__token *t, volt_val v) {
  if (t->state != VOLT_PENDING || (t->flags & VOLT_TOKEN_CYCLIC)) {
    tok_mint(c, t, tok_own(c, t, v));
    tok_notify(c, t);
    return;
  }
  /* Pending, not cyclic: the event is dropped. A REARM token over an event
   * remembers the newest dropped one (invisible: no notification). */
  if ((t->flags & VOLT_TOKEN_REARM) && t->src_event) {
    tok_drop(c, t, &t->dropped);
    t->dropped = tok_own(c, t, v);
    t->has_dropped = true;
  }
}

/* State source: compare the source's current value with the last one seen;
 * a change whose new value is on() fires. */
/* Peeks the source (bringing it up to date runs user code, which may
 * dispose the token: then its record is gone and false is returned). */
static bool peek_src(volt__core *c, volt__token *t, volt_node *src, volt_val *v) {
  volt_node *n = t->node;
  t->pulling = true;
  *v = volt__peek_fresh(c, src);
  if (n->flags & VOLT__F_DISPOSED) return false; /* the slot stays until the call ends */
  t->pulling = false;
  return true;
}

/* False when the token was disposed meanwhile. */
static bool tok_pull(volt__core *c, volt__token *t) {
  if (t->src_event || t->pulling || !src_readable(c, t)) return true;
  volt_val v;
  if (!peek_src(c, t, t->src, &v)) return false;
  if (fp_eq(t->last, v)) return true;
  fp_drop(c, &t->last);
  t->last = fp_make(c, v);
  if (tok_on(c, t, v)) tok_fire(c, t, v);
  return true;
}

/* Kind op: the flush reached the token (its source may have changed). */
void volt__token_run(volt__core *c, volt_node *n) {
  n->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  volt__token *t = tok_data(c, n);
  if (t) tok_pull(c, t);
}

void volt__token_dispose(volt__core *c, volt_node *n) {
  volt__ext *x = volt__ext_get(c, n, false);
  volt__token *t = x ? x->data : NULL;
  if (!t) return;
  if (t->state == VOLT_PENDING && t->hook) t->hook(n, VOLT__TOK_STALE, tok_ack(c, t), t->hook_ud);
  if (t->id) volt__slot_free(c, t->id);
  tok_drop(c, t, &t->err);
  tok_drop(c, t, &t->stamp);
  tok_drop(c, t, &t->dropped);
  fp_drop(c, &t->last);
  x->data = NULL;
  volt__free(c, t, sizeof *t);
}

void volt__token_occurrence(volt__core *c, volt_node *tok, volt_val payload) {
  volt__token *t = tok_data(c, tok);
  if (!t || !t->src_event) return;
  if (tok_on(c, t, payload)) tok_fire(c, t, payload);
}

int volt__token_apply(volt__core *c, void *tok, volt_ack ack, bool ok, int code, const char *msg) {
  volt__token *t = tok;
  /* A consumed mint advanced the generation: an ack naming the new one
   * while nothing is pending was made up. */
  if (t->state != VOLT_PENDING) return VOLT_ESTALE;
  volt__slot_bump(c, t->id); /* the mint is consumed: its ack is now stale */
  bool stamped = (t->flags & VOLT_TOKEN_STAMPED) != 0;
  if (!ok) {
    t->state = VOLT_FAILED;
    t->err = volt__val_own(c, volt_err(code, msg));
    if (!stamped) tok_drop(c, t, &t->stamp);
    tok_drop(c, t, &t->dropped);
    t->has_dropped = false;
    if (t->hook) t->hook(t->node, VOLT__TOK_FAIL, ack, t->hook_ud);
    tok_notify(c, t);
    return 0;
  }
  t->state = VOLT_IDLE;
  if (!stamped) tok_drop(c, t, &t->stamp);
  if (t->hook) t->hook(t->node, VOLT__TOK_OK, ack, t->hook_ud);
  if (t->flags & VOLT_TOKEN_REARM) {
    if (t->src_event) {
      if (t->has_dropped && t->state == VOLT_IDLE) {
        volt_val d = t->dropped;
        t->dropped = volt_nil();
        t->has_dropped = false;
        tok_mint(c, t, d);
      }
    } else if (t->state == VOLT_IDLE && src_readable(c, t)) {
      volt_val v;
      if (!peek_src(c, t, t->src, &v)) return 0; /* disposed by the source's code */
      if (!fp_eq(t->last, v)) {
        fp_drop(c, &t->last);
        t->last = fp_make(c, v);
      }
      if (tok_on(c, t, v)) tok_mint(c, t, tok_own(c, t, v));
    }
  }
  tok_notify(c, t);
  return 0;
}

/* ---- public ------------------------------------------------------------------ */

/* Loop thread. See volt/token.h (volt_token) and tokens.h. */
volt_node *volt__token_make(volt_rt *rt, volt_node *source, unsigned flags,
                            const volt_token_opts *opts, volt__kind *kind) {
  if (!rt || !source) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c) || c->closing || volt__live(source) != c) return NULL;
  if (flags & ~(VOLT_TOKEN_CYCLIC | VOLT_TOKEN_STAMPED | VOLT_TOKEN_REARM)) return NULL;
  if (!(volt__kind_of(source)->traits & VOLT__KIND_VALUE)) return NULL; /* no value to follow */
  if (!volt__tokens_get(c)) return NULL;

  volt_opts o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o.name = opts->name;
    o.release = opts->release;
    o.ud = opts->ud;
  }
  volt_node *n = volt__node_new(c, kind, VOLT__F_LISTENER | VOLT__F_HAS_VALUE, &o);
  if (!n) return NULL;
  volt__set_value(n, volt_int(VOLT_IDLE));
  volt__ext *x = volt__ext_get(c, n, true);
  volt__token *t = x ? volt__alloc(c, sizeof *t) : NULL;
  if (!t) goto fail;
  memset(t, 0, sizeof *t);
  t->node = n;
  t->src = source;
  t->flags = (uint8_t)flags;
  t->src_event = (volt__kind_of(source)->traits & VOLT__KIND_EVENT) != 0;
  if (opts) {
    t->on = opts->on;
    t->copy = opts->copy;
    t->ud = opts->ud;
  }
  x->data = t;
  t->id = volt__slot_new(c, VOLT__SLOT_TOKEN, t);
  if (!t->id) goto fail;
  if (volt__link(c, source, n) != 0) {
    t->src = NULL;
    goto fail;
  }
  if (!t->src_event) {
    /* A state source that is already on mints at once (no subscribers yet:
     * nothing to notify). An event has no "current occurrence". */
    volt_val v;
    if (!peek_src(c, t, source, &v)) return NULL; /* disposed by the source's code */
    t->last = fp_make(c, v);
    if (tok_on(c, t, v)) {
      tok_mint(c, t, tok_own(c, t, v));
      volt__set_value(n, volt_int(t->state));
    }
  }
  return n;
fail:
  volt_dispose(n);
  return NULL;
}

/* Loop thread. See volt/token.h. */
volt_node *volt_token(volt_rt *rt, volt_node *source, unsigned flags,
                      const volt_token_opts *opts) {
  volt_node *n = volt__token_make(rt, source, flags, opts, &volt__token_kind);
  if (!rt || !volt__on_loop(VOLT__CORE(rt))) return n;
  return volt__constructed(VOLT__CORE(rt), n); /* what the source's code queued */
}

/* A live token on the loop thread, or NULL with *err set. */
static volt__token *tok_get(volt_node *n, int *err) {
  if (!n) {
    *err = VOLT_EINVAL;
    return NULL;
  }
  volt__core *c = volt__core_of(n);
  if (!volt__on_loop(c)) {
    *err = VOLT_ETHREAD;
    return NULL;
  }
  if (volt__live(n) != c || !volt__is_token_kind(volt__kind_of(n))) {
    *err = VOLT_EINVAL;
    return NULL;
  }
  volt__token *t = tok_data(c, n);
  if (!t) {
    *err = VOLT_EINVAL;
    return NULL;
  }
  if (!tok_pull(c, t)) {
    *err = VOLT_EINVAL; /* disposed while its source was brought up to date */
    return NULL;
  }
  volt__track(c, n);
  return t;
}

bool volt__is_token(volt_node *n) {
  return volt__live(n) && volt__is_token_kind(volt__kind_of(n)) && tok_data(volt__core_of(n), n) != NULL;
}

volt__token_hook volt__token_observer(volt_node *tok, void **ud) {
  if (!tok || !volt__is_token_kind(volt__kind_of(tok))) return NULL;
  volt__token *t = tok_data(volt__core_of(tok), tok);
  if (!t) return NULL;
  if (ud) *ud = t->hook_ud;
  return t->hook;
}

volt_node *volt__token_of_ack(volt__core *c, volt_ack ack) {
  if (ack.rt != (volt_rt *)(void *)c) return NULL;
  volt__token *t = volt__slot_get(c, ack.id, ack.gen, VOLT__SLOT_TOKEN);
  return t ? t->node : NULL;
}

int volt__token_work_stamp(volt__core *c, volt_node *tok, volt__stamp_copy *out) {
  volt__token *t = tok_data(c, tok);
  if (!t || t->state != VOLT_PENDING) return VOLT_ESTALE;
  out->v = t->stamp;
  out->v.flags = 0;
  out->release = NULL;
  out->ud = NULL;
  if (t->stamp.tag == VOLT_PTR && t->copy) {
    volt__ext *x = volt__ext_get(c, tok, false);
    out->v = t->copy(out->v, t->ud);
    out->release = x ? x->release : NULL;
    out->ud = x ? x->opts_ud : NULL;
  }
  return 0;
}

void volt__token_notify(volt__core *c, volt_node *tok) {
  volt__token *t = tok_data(c, tok);
  if (t) tok_notify(c, t);
}

int volt__token_observe(volt_node *tok, volt__token_hook fn, void *ud) {
  if (!volt__is_token(tok)) return VOLT_EINVAL;
  volt__token *t = tok_data(volt__core_of(tok), tok);
  t->hook = fn;
  t->hook_ud = ud;
  return 0;
}

/* Loop thread. See volt/token.h. */
int volt_token_status(volt_node *tok) {
  int err = 0;
  volt__token *t = tok_get(tok, &err);
  return t ? t->state : err;
}

/* Loop thread. See volt/token.h. */
volt_ack volt_token_ack(volt_node *tok) {
  int err = 0;
  volt__token *t = tok_get(tok, &err);
  if (!t || t->state != VOLT_PENDING) return VOLT_ACK_NONE;
  return tok_ack(volt__core_of(tok), t);
}

/* Loop thread. See volt/token.h. */
volt_val volt_token_error(volt_node *tok) {
  int err = 0;
  volt__token *t = tok_get(tok, &err);
  if (!t) return volt_err(err, volt_strerror(err));
  return t->state == VOLT_FAILED ? t->err : volt_nil();
}

/* Loop thread. See volt/token.h. */
volt_val volt_token_stamp(volt_node *tok) {
  int err = 0;
  volt__token *t = tok_get(tok, &err);
  if (!t) return volt_err(err, volt_strerror(err));
  if (t->state == VOLT_PENDING || (t->flags & VOLT_TOKEN_STAMPED)) return t->stamp;
  return volt_nil();
}
