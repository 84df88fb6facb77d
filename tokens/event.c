/* tokens/event.c - the event kind: discrete streams (volt_event, volt_emit,
 * volt_emit_async).
 *
 * An event is a source where every occurrence counts. Its value is
 * the latest payload. volt_emit stores the payload, hands the occurrence to
 * every token subscribed to the event (synchronously: two emits in one batch
 * are two occurrences for a token), then propagates like a signal write
 * that always counts (effects reading the event see the latest payload).
 *
 * The part other threads read (the handle id/gen and the release hook) is a
 * volt__event record reached through n->u.f.ud, written once at creation and
 * never again, so volt_emit_async may read it from any thread while the node
 * is alive.
 *
 * Event-like kinds: the sources of runtime/ (a timer, a stream, ...) are
 * events of their own kind, made with volt__event_new (tokens/tokens.h).
 * Only their producer fires them (volt__event_fire):
 * volt_emit and volt_emit_async refuse them, since neither the node's kind
 * nor its marker function is the plain event's.
 */
#include <stdlib.h>

#include "tokens/tokens.h"

typedef struct event_rec {
  volt__event pub;
  volt_node *node;
  volt__deferred dz;
  void *data; /* an event-like kind's own record (volt__event_data) */
} event_rec;

/* An event node's u.f.fn: tells events apart from any thread without
 * reading the flags (written once, at creation). */
static void event_mark(void *ud) { (void)ud; }

/* Every occurrence is a change. */
bool volt__event_update(volt__core *c, volt_node *n) {
  (void)c;
  n->flags &= ~(VOLT__F_DIRTY | VOLT__F_PENDING);
  return true;
}

volt__kind volt__event_kind = {.name = "event", .update = volt__event_update,
                             .dispose = volt__event_dispose,
                             .traits = VOLT__KIND_VALUE | VOLT__KIND_EVENT};

void volt__event_dispose(volt__core *c, volt_node *n) {
  volt__ext *x = volt__ext_get(c, n, false);
  event_rec *e = x ? x->data : NULL;
  if (!e) return;
  if (e->pub.id) volt__slot_free(c, e->pub.id);
  x->data = NULL;
  /* Disposed by the close: a thread may still call volt_emit_async(n) (it
   * gets VOLT_ECLOSING, but may read the record first), so the record stays
   * until the runtime's memory goes. Otherwise the user promised not to
   * emit to a disposed event. */
  if (c->closing)
    volt__defer_free(c, &e->dz, e, sizeof *e);
  else
    volt__free(c, e, sizeof *e);
}

/* Loop thread. See volt/token.h. */
volt_node *volt_event_opts(volt_rt *rt, const volt_opts *opts) {
  if (!rt) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c) || c->closing) return NULL;
  return volt__event_new(c, &volt__event_kind, opts, NULL);
}

/* Loop thread. See tokens/tokens.h. */
volt_node *volt__event_new(volt__core *c, volt__kind *kind, const volt_opts *opts,
                           void *data) {
  if (!volt__tokens_get(c)) return NULL;
  volt_opts o;
  memset(&o, 0, sizeof o);
  if (opts) {
    o = *opts;
    o.equals = NULL; /* every occurrence counts */
  }
  /* value: the latest payload (NIL before the first) */
  volt_node *n = volt__node_new(c, kind, VOLT__F_HAS_VALUE, &o);
  if (!n) return NULL;
  volt__ext *x = volt__ext_get(c, n, true);
  event_rec *e = x ? volt__alloc(c, sizeof *e) : NULL;
  if (!e) goto fail;
  memset(e, 0, sizeof *e);
  e->node = n;
  e->data = data;
  e->pub.c = c;
  e->pub.release = o.release;
  e->pub.release_ud = o.ud;
  x->data = e;
  e->pub.id = volt__slot_new(c, VOLT__SLOT_EVENT, e);
  if (!e->pub.id) goto fail;
  e->pub.gen = c->tokens->slots[e->pub.id].gen;
  /* Only a plain event takes volt_emit_async (see the top of this file). */
  n->u.f.fn.run = kind == &volt__event_kind ? event_mark : NULL;
  n->u.f.ud = &e->pub;
  return n;
fail:
  volt_dispose(n);
  return NULL;
}

/* Loop thread. See tokens/tokens.h. */
void *volt__event_data(volt__core *c, volt_node *n) {
  volt__ext *x = volt__ext_get(c, n, false);
  event_rec *e = x ? x->data : NULL;
  return e ? e->data : NULL;
}

/* Loop thread. See volt/token.h. */
volt_node *volt_event(volt_rt *rt) { return volt_event_opts(rt, NULL); }

/* Stores the payload (owned by the event from now on), delivers the
 * occurrence to token subscribers, propagates. No flush. */
static int emit_now(volt__core *c, volt_node *ev, volt_val payload) {
  volt_val old = volt__stored(ev);
  payload.flags = 0;
  if (volt__holds_owned(ev) && volt__graves_room(c, 1)) {
    /* The old payload could not wait for the end of the flush (a watcher
     * may hold it): nothing happens. */
    volt__release_now(c, ev, payload);
    return VOLT_ENOMEM;
  }
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
    if (volt__is_token_kind(volt__kind_of(s)) && !(s->flags & VOLT__F_DISPOSED))
      volt__token_occurrence(c, s, volt__value(ev));
    i = next;
  }
  ev->flags |= VOLT__F_DIRTY;
  volt__propagate(c, ev);
  return 0;
}

/* Loop thread. See tokens/tokens.h. */
int volt__event_fire(volt__core *c, volt_node *ev, volt_val payload) {
  if (volt__writes_refused(c) || c->closing) {
    payload.flags = 0;
    volt__release_now(c, ev, payload);
    return volt__writes_refused(c) ? VOLT_EPERM : VOLT_ECLOSING;
  }
  int rc = emit_now(c, ev, payload);
  int f = volt__maybe_flush(c);
  return rc ? rc : f;
}

/* Loop thread. See volt/token.h. */
int volt_emit(volt_node *ev, volt_val payload) {
  if (!ev || !volt__val_ok(payload)) return VOLT_EINVAL;
  volt__core *c = volt__core_of(ev);
  if (!volt__on_loop(c)) return VOLT_ETHREAD;
  if (volt__live(ev) != c || volt__kind_of(ev) != &volt__event_kind) return VOLT_EINVAL;
  return volt__event_fire(c, ev, payload);
}

/* An occurrence posted from another thread, applied on the loop thread. */
static void apply_posted(volt__core *c, volt__msg *m) {
  event_rec *e = volt__slot_get(c, m->id, m->gen, VOLT__SLOT_EVENT);
  if (!e || c->closing || (e->node->flags & VOLT__F_DISPOSED)) {
    if (m->val.tag == VOLT_PTR && m->release) m->release(m->val, m->release_ud);
    return;
  }
  if (emit_now(c, e->node, m->val)) /* an ERR message is copied from the queue's */
    volt__report(c, VOLT_ENOMEM, "out of memory: a posted occurrence was dropped");
}

static void drop_posted(volt__msg *m) {
  if (m->val.tag == VOLT_PTR && m->release) m->release(m->val, m->release_ud);
}

/* Any thread. See volt/token.h. */
int volt_emit_async(volt_node *ev, volt_val payload) {
  if (!ev || !volt__val_ok(payload)) return VOLT_EINVAL;
  /* On the event's own loop thread, a disposed event is refused before its
   * record (perhaps freed with it) is read: VOLT_ECLOSING when the close
   * disposed it (as another thread is told), VOLT_EINVAL otherwise. */
  volt__core *lc = volt__core_of(ev); /* NULL off every loop thread */
  if (volt__on_loop(lc) && (ev->flags & VOLT__F_DISPOSED))
    return lc->closing ? VOLT_ECLOSING : VOLT_EINVAL;
  /* Elsewhere only fields written once, when the event was made, are read:
   * the loop thread keeps writing the flags word. */
  if (ev->u.f.fn.run != event_mark) return VOLT_EINVAL;
  const volt__event *e = ev->u.f.ud;
  if (!e) return VOLT_EINVAL;
  volt__core *c = e->c;
  if (!c->post) return VOLT_ECLOSING;
  volt__msg m;
  memset(&m, 0, sizeof m);
  m.apply = apply_posted;
  m.drop = drop_posted;
  m.id = e->id;
  m.gen = e->gen;
  payload.flags = 0;
  m.val = payload;
  if (payload.tag == VOLT_ERR && payload.u.msg) m.text = (char *)(uintptr_t)payload.u.msg;
  m.release = e->release;
  m.release_ud = e->release_ud;
  return c->post(c, &m);
}
