/* runtime/event.c - discrete event streams (DESIGN.md §7): volt_event,
 * volt_emit, volt_emit_async.
 *
 * An event is a node of kind VOLT__K_EVENT with VOLT__F_ALWAYS. Its value is
 * the latest payload. volt_emit stores the payload, hands the occurrence to
 * every token subscribed to the event (synchronously: two emits in one batch
 * are two occurrences for a token), then propagates like a signal write
 * that always counts (effects reading the event see the latest payload).
 *
 * The part other threads read (the handle id/gen and the release hook) is a
 * volt__event record reached through n->u.f.ud, written once at creation and
 * never again, so volt_emit_async may read it from any thread while the node
 * is alive.
 */
#include <stdlib.h>

#include "runtime/inbox.h"
#include "runtime/rt.h"
#include "tokens/tokens.h"

typedef struct event_rec {
  volt__event pub;
  volt_node *node;
  volt__deferred dz;
} event_rec;

static void event_dispose(volt_node *n);

/* An event node's u.f.fn: tells events apart without reading the flags. */
static const char event_mark;

static const volt__kind_ops event_ops = {"event", NULL, event_dispose};

static void event_dispose(volt_node *n) {
  volt__core *c = VOLT__CORE(volt__rt_of(n));
  volt__ext *x = volt__ext_get(c, n, false);
  event_rec *e = x ? x->data : NULL;
  if (!e) return;
  if (e->pub.id) volt__slot_free(c, e->pub.id);
  x->data = NULL;
  /* Disposed by the close: a thread may still call volt_emit_async(n) (it
   * gets VOLT_ECLOSING, but may read the record first), so the record stays
   * until the runtime's memory goes. Otherwise the user promised not to
   * emit to a disposed event. */
  if (atomic_load(&((volt_rt *)(void *)c)->close_begun))
    volt__defer_free(c, &e->dz, e, sizeof *e);
  else
    volt__free(c, e, sizeof *e);
}

/* Loop thread. See volt/token.h. */
volt_node *volt_event_opts(volt_rt *rt, const volt_opts *opts) {
  if (!rt) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c) || c->closing) return NULL;
  if (!volt__tokens_get(c)) return NULL;
  c->ops[VOLT__K_EVENT] = &event_ops;
  volt_opts o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o = *opts;
    o.equals = NULL; /* every occurrence counts */
  }
  volt_node *n = volt__node_new(c, VOLT__K_EVENT, &o);
  if (!n) return NULL;
  n->flags |= VOLT__F_ALWAYS | VOLT__F_HAS_VALUE; /* value: the latest payload (NIL) */
  volt__ext *x = volt__ext_get(c, n, true);
  event_rec *e = x ? volt__alloc(c, sizeof *e) : NULL;
  if (!e) goto fail;
  memset(e, 0, sizeof *e);
  e->node = n;
  e->pub.rt = rt;
  e->pub.release = o.release;
  e->pub.release_ud = o.ud;
  x->data = e;
  e->pub.id = volt__slot_new(c, VOLT__SLOT_EVENT, e);
  if (!e->pub.id) goto fail;
  e->pub.gen = c->tokens->slots[e->pub.id].gen;
  n->u.f.fn.any = (void *)&event_mark;
  n->u.f.ud = &e->pub;
  return n;
fail:
  volt_dispose(n);
  return NULL;
}

/* Loop thread. See volt/token.h. */
volt_node *volt_event(volt_rt *rt) { return volt_event_opts(rt, NULL); }

/* Stores the payload (owned by the event from now on), delivers the
 * occurrence to token subscribers, propagates. No flush. */
static void emit_now(volt__core *c, volt_node *ev, volt_val payload) {
  volt_val old = volt__value(ev);
  payload.flags = 0;
  volt__set_value(ev, volt__val_own(c, payload));
  if (!(old.tag == VOLT_PTR && payload.tag == VOLT_PTR && old.u.p == payload.u.p))
    volt__release_later(c, ev, old);
  /* Tokens first, one occurrence each. Their transitions only mark the
   * graph; the subscriber list does not change under us (on() predicates
   * must not touch the graph), but read the next link before each call
   * anyway. */
  for (uint32_t i = ev->subs; i;) {
    volt__edge *e = VOLT__E(c, i);
    uint32_t next = e->next_sub;
    volt_node *s = e->sub;
    if (VOLT__KIND(s) == VOLT__K_TOKEN && !(s->flags & VOLT__F_DISPOSED))
      volt__token_occurrence(c, s, volt__value(ev));
    i = next;
  }
  volt__propagate(c, ev);
}

/* Loop thread. See volt/token.h. */
int volt_emit(volt_node *ev, volt_val payload) {
  if (!ev) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(volt__rt_of(ev));
  if (!volt__on_loop(c)) return VOLT_ETHREAD;
  if (VOLT__KIND(ev) != VOLT__K_EVENT || (ev->flags & VOLT__F_DISPOSED)) return VOLT_EINVAL;
  if (c->computing || c->closing) {
    payload.flags = 0;
    volt__release_now(c, ev, payload);
    return c->computing ? VOLT_EPERM : VOLT_ECLOSING;
  }
  emit_now(c, ev, payload);
  return volt__maybe_flush(c);
}

/* Any thread. See volt/token.h. */
int volt_emit_async(volt_node *ev, volt_val payload) {
  if (!ev) return VOLT_EINVAL;
  /* Only fields written once, when the event was made, are read here: the
   * loop thread keeps writing the flags word. */
  if (ev->u.f.fn.any != &event_mark) return VOLT_EINVAL;
  const volt__event *e = ev->u.f.ud;
  if (!e) return VOLT_EINVAL;
  volt_rt *rt = e->rt;
  volt__core *c = VOLT__CORE(rt);
  if (atomic_load(&rt->close_begun)) return VOLT_ECLOSING;
  if (volt__on_loop(c) && (ev->flags & VOLT__F_DISPOSED)) return VOLT_EINVAL;
  return volt__inbox_push_emit(rt, e->id, e->gen, payload, e->release, e->release_ud);
}

void volt__event_apply(volt__core *c, uint32_t id, uint32_t gen, volt_val payload,
                       void (*release)(volt_val v, void *ud), void *release_ud) {
  event_rec *e = volt__slot_get(c, id, gen, VOLT__SLOT_EVENT);
  if (!e || c->closing || (e->node->flags & VOLT__F_DISPOSED)) {
    if (payload.tag == VOLT_PTR && release) release(payload, release_ud);
    return;
  }
  emit_now(c, e->node, payload);
}
