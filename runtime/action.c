/* runtime/action.c - the action kind: a token that dispatches work on the
 * thread pool every time it mints and acks the mint with the work's result
 * (volt_action; docs/async.md).
 *
 * An action is a node of its own kind built on the token machinery: its
 * update and run ops are the token's (so every token read accepts it), its
 * dispose op disposes the token part first. Its own record (the last
 * value, the version, the work in flight) hangs on the token as the ud of
 * its observer, action_hook, which sees every mint, stale mint and ack:
 *   MINT  -> the work is dispatched (runtime/work.c) for the new ack;
 *   STALE -> the work for the old ack is cancelled (superseded, disposed);
 *   OK / FAIL by anything but the work's own result -> the same.
 * When a job returns (volt__action_returned), a result for the current mint
 * becomes the value (the old one released at the end of the flush through
 * opts->release) and acks ok; an ERR result acks failed and keeps the
 * value; anything else is released at once.
 */
#include <stdlib.h>
#include <string.h>

#include "runtime/work.h"

typedef struct volt__action {
  volt_node *node;
  volt_work_fn work;
  void *ud;
  void (*release)(volt_val v, void *ud);
  void *release_ud;
  uint64_t timeout_ms;
  volt_val value; /* owned (PTR: through release) */
  int64_t version;
  int in_flight;
} volt__action;

static void action_dispose(volt__core *c, volt_node *n);

static volt__kind action_kind = {.name = "action", .update = volt__token_update,
                                       .run = volt__token_run, .dispose = action_dispose,
                                       .traits = VOLT__KIND_VALUE};

/* A value the action no longer holds: released when the flush ends (a
 * reader in this flush may still hold it), or now if there is no room. */
static void value_drop(volt__core *c, volt__action *a, volt_val v) {
  if (v.tag != VOLT_PTR || !a->release) return;
  volt__grave g = {v, a->release, a->release_ud};
  if (VOLT__PUSH(c, c->graves, g)) a->release(v, a->release_ud);
}

/* A failure with no caller to return to (the work could not be
 * dispatched): the mint fails from the inbox, after the transition that
 * minted it is over (an observer must not ack inside one). The message
 * holds the runtime like a thread's volt_rt_acquire, so the loop stays
 * alive until it is applied (or dropped by the close). */
static void post_apply(volt__core *c, volt__msg *m) {
  volt_ack ack = {(volt_rt *)(void *)c, m->id, m->gen};
  (void)volt__ack_apply(c, ack, false, m->code, m->text);
  volt_rt_release((volt_rt *)(void *)c);
}

static void post_drop(volt__msg *m) { volt_rt_release(m->release_ud); }

static void fail_later(volt__core *c, volt_ack ack, int code) {
  volt_rt *rt = (volt_rt *)(void *)c;
  volt__msg m;
  memset(&m, 0, sizeof m);
  m.apply = post_apply;
  m.drop = post_drop;
  m.release_ud = rt;
  m.id = ack.id;
  m.gen = ack.gen;
  m.code = code;
  m.text = (char *)(uintptr_t) "could not dispatch the action's work";
  if (volt_rt_acquire(rt) == 0) {
    if (c->post && c->post(c, &m) == 0) return;
    volt_rt_release(rt);
  }
  volt__report(c, code, "an action's work could not be dispatched; its token stays pending");
}

static void dispatch(volt__core *c, volt__action *a, volt_ack ack) {
  volt_rt *rt = (volt_rt *)(void *)c;
  volt_work *j = NULL;
  int r = volt__work_start(rt, a->node, ack, a->work, a->ud, a, a->timeout_ms, &j);
  if (r) {
    fail_later(c, ack, r);
    return;
  }
  a->in_flight++;
  j->release = a->release; /* the job releases results the action cannot take */
  j->release_ud = a->release_ud;
}

static void action_hook(volt_node *tok, unsigned what, volt_ack ack, void *ud) {
  volt__action *a = ud;
  volt__core *c = volt__core_of(tok);
  if (what == VOLT__TOK_MINT)
    dispatch(c, a, ack);
  else
    volt__work_cancel_ack((volt_rt *)(void *)c, ack);
}

void volt__action_returned(volt_rt *rt, volt__action *a, volt_ack ack, bool apply,
                           volt_val result) {
  volt__core *c = &rt->core;
  a->in_flight--;
  bool live = !(a->node->flags & VOLT__F_DISPOSED);
  if (apply && live && volt__token_of_ack(c, ack) == a->node) {
    if (result.tag == VOLT_ERR) {
      /* The message is the job's copy, copied again by the ack. */
      (void)volt__ack_apply(c, ack, false, volt_err_code(result), volt_err_msg(result));
      return;
    }
    volt_val old = a->value;
    a->value = result;
    a->version++;
    value_drop(c, a, old);
    (void)volt__ack_apply(c, ack, true, 0, NULL); /* notifies the readers */
    return;
  }
  if (result.tag == VOLT_PTR && a->release) a->release(result, a->release_ud);
  if (live) volt__token_notify(c, a->node); /* in_flight changed */
}

static void action_dispose(volt__core *c, volt_node *n) {
  void *ud = NULL;
  volt__token_observer(n, &ud);
  volt__action *a = volt__token_observer(n, NULL) == action_hook ? ud : NULL;
  volt__token_dispose(c, n); /* its pending mint goes stale: work cancelled */
  if (!a) return;
  volt__work_forget_action((volt_rt *)(void *)c, a);
  value_drop(c, a, a->value);
  volt__free(c, a, sizeof *a);
}

/* The live action's record, or NULL with *err set. */
static volt__action *act_get(volt_node *n, int *err) {
  if (!n) {
    *err = VOLT_EINVAL;
    return NULL;
  }
  volt__core *c = volt__core_of(n);
  if (!volt__on_loop(c)) {
    *err = VOLT_ETHREAD;
    return NULL;
  }
  if (volt__live(n) != c || volt__kind_of(n) != &action_kind) {
    *err = VOLT_EINVAL;
    return NULL;
  }
  /* The tracked read, bringing a state source's change in first (it may
   * mint, dispatch, or dispose the action). */
  int st = volt_token_status(n);
  void *ud = NULL;
  if (st < 0 || volt__token_observer(n, &ud) != action_hook) {
    *err = st < 0 ? st : VOLT_EINVAL;
    return NULL;
  }
  return ud;
}

/* Loop thread. See volt/volt.h. */
volt_val volt_action_value(volt_node *action) {
  int err = 0;
  volt__action *a = act_get(action, &err);
  return a ? a->value : volt_err(err, volt_strerror(err));
}

/* Loop thread. See volt/volt.h. */
int64_t volt_action_version(volt_node *action) {
  int err = 0;
  volt__action *a = act_get(action, &err);
  return a ? a->version : err;
}

/* Loop thread. See volt/volt.h. */
int volt_action_in_flight(volt_node *action) {
  int err = 0;
  volt__action *a = act_get(action, &err);
  return a ? a->in_flight : err;
}

/* Loop thread. See volt/volt.h. */
volt_node *volt_action(volt_rt *rt, volt_node *source, unsigned flags, volt_work_fn work,
                       void *ud, const volt_action_opts *opts) {
  if (!rt || !source || !work) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c) || c->closing || !rt->loop) return NULL;
  volt_token_opts to;
  memset(&to, 0, sizeof to);
  if (opts) {
    to.name = opts->name;
    to.on = opts->on;
    to.copy = opts->copy;
    to.release = opts->stamp_release;
    to.ud = opts->ud;
  }
  volt__action *a = volt__alloc(c, sizeof *a);
  if (!a) return NULL;
  memset(a, 0, sizeof *a);
  a->work = work;
  a->ud = ud;
  a->value = volt_nil();
  if (opts) {
    a->release = opts->release;
    a->release_ud = opts->ud;
    a->timeout_ms = opts->timeout_ms;
  }
  /* A state source already on mints at creation, before the observer is
   * set: that mint is dispatched below. */
  volt_node *n = volt__token_make(rt, source, flags, &to, &action_kind);
  if (!n) {
    volt__free(c, a, sizeof *a);
    return NULL;
  }
  a->node = n;
  volt__token_observe(n, action_hook, a);
  /* Pending already? Its ack, read without tracking (volt_token_ack would
   * make a running effect depend on the new action). */
  volt__context saved, none = c->cx;
  none.tracker = NULL;
  volt__enter(c, &saved, none);
  volt_ack ack = volt_token_ack(n);
  volt__leave(c, &saved);
  if (!volt_ack_is_none(ack)) dispatch(c, a, ack);
  return volt__constructed(c, n); /* what the source's code queued */
}
