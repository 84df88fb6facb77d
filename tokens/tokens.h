/* tokens/tokens.h - what the files of tokens/ share, and what the layer
 * above (actions, volt_dispatch) may use.
 *
 * No <uv.h> here, and no header of runtime/: acks and emits from other
 * threads go through core->post, which the runtime installs.
 *
 * The handle table (core->tokens) names loop-side objects by (id, gen) so
 * that values crossing threads or outliving an object never dangle: acks name
 * a token's current mint or a join; queued emits name an event. A slot's
 * generation only ever grows (0 is skipped), so an id/gen pair that once named
 * a disposed object never names a newer one.
 */
#ifndef VOLT_TOKENS_TOKENS_H
#define VOLT_TOKENS_TOKENS_H

#include <volt/token.h>

#include "signals/core.h"

/* ---- the handle table ------------------------------------------------------ */

enum {
  VOLT__SLOT_FREE = 0,
  VOLT__SLOT_TOKEN, /* obj: struct volt__token *; gen: the current mint */
  VOLT__SLOT_JOIN,  /* obj: struct volt__join * */
  VOLT__SLOT_EVENT  /* obj: struct volt__event *; gen: fixed at creation */
};

typedef struct volt__slot {
  void *obj;
  uint32_t gen;
  uint32_t kind;      /* VOLT__SLOT_* */
  uint32_t next_free; /* free list (slot index), 0: end */
} volt__slot;

/* Memory other threads may still read after its owner is disposed during
 * close (an event's record): freed with the table, after the last
 * volt_rt_release. */
typedef struct volt__deferred {
  struct volt__deferred *next;
  void *base;
  size_t size;
} volt__deferred;

struct volt__tokens {
  volt__slot *slots; /* slots[0] is never used (id 0 is "none") */
  uint32_t len, cap;
  uint32_t free_head;
  uint32_t joins; /* live join records (swept when the table would grow) */
  volt__deferred *deferred;
};

extern volt__kind volt__token_kind;
extern volt__kind volt__event_kind;

/* Loop thread. Creates the table on first use. NULL on allocation failure. */
struct volt__tokens *volt__tokens_get(volt__core *c);
/* Frees `base` (size bytes) when the table is freed, not now. d lives in
 * the block itself. */
void volt__defer_free(volt__core *c, volt__deferred *d, void *base, size_t size);
/* A new slot for obj; its gen is advanced (never 0). 0 on allocation failure. */
uint32_t volt__slot_new(volt__core *c, uint32_t kind, void *obj);
/* The object in slot id if it is of `kind` and its generation is gen; NULL
 * otherwise (out of range, free, other kind, stale). Loop thread. */
void *volt__slot_get(volt__core *c, uint32_t id, uint32_t gen, uint32_t kind);
/* Frees slot id (its generation advances: every id/gen naming it is stale). */
void volt__slot_free(volt__core *c, uint32_t id);
/* Advances a slot's generation (a token's new mint). Returns the new one. */
uint32_t volt__slot_bump(volt__core *c, uint32_t id);

/* ---- acks ------------------------------------------------------------------- */

/* Loop thread: applies an ack now (a token ack or a join's fan-out), without
 * flushing. 0, VOLT_ESTALE, VOLT_EINVAL, VOLT_ECLOSING. `msg` is copied. */
int volt__ack_apply(volt__core *c, volt_ack ack, bool ok, int code, const char *msg);
/* token.c: applies `ack` to the token record `tok` that its slot names (the
 * caller checked the runtime, slot, kind and generation): 0, or VOLT_ESTALE
 * when the token is not pending. No flush. */
int volt__token_apply(volt__core *c, void *tok, volt_ack ack, bool ok, int code, const char *msg);

/* ---- token internals (for actions / volt_dispatch) -------------------------- */

/* What happened to a token's mint (volt__token_observe). */
enum {
  VOLT__TOK_MINT = 1, /* a new ack was minted (ack: the new one) */
  VOLT__TOK_STALE,    /* the mint became stale unacked: superseded (CYCLIC) or
                         the token is being disposed (ack: the old one) */
  VOLT__TOK_OK,       /* the mint was acked ok (ack: the acked one) */
  VOLT__TOK_FAIL      /* the mint was acked failed (ack: the acked one) */
};
typedef void (*volt__token_hook)(volt_node *tok, unsigned what, volt_ack ack, void *ud);

/* Loop thread. Sets the one observer of a token's mints (NULL clears it).
 * Called synchronously inside each transition, after the token's state
 * changed and before the flush; it must not dispose the token. A mint made at
 * volt_token's creation happens before any observer can be set: check
 * volt_token_ack afterwards. 0 or VOLT_EINVAL. */
int volt__token_observe(volt_node *tok, volt__token_hook fn, void *ud);

/* Loop thread. true if n is a live token (of the token kind or of a kind
 * built on it, such as actions). */
bool volt__is_token(volt_node *n);

/* ---- kinds built on tokens (actions, in the layer above) ------------------------ */

/* The token kind's ops. A kind built on tokens uses volt__token_update as its
 * update op (that is what makes volt__is_token_kind true for it, and the
 * token reads accept it) and volt__token_run as its run op; its dispose op
 * calls volt__token_dispose first. */
bool volt__token_update(volt__core *c, volt_node *n);
void volt__token_run(volt__core *c, volt_node *n);
void volt__token_dispose(volt__core *c, volt_node *n);
bool volt__is_token_kind(const volt__kind *k);
/* Loop thread. volt_token with the node's kind given (a kind built on
 * tokens). Same arguments, checks and result as volt_token. */
volt_node *volt__token_make(volt_rt *rt, volt_node *source, unsigned flags,
                            const volt_token_opts *opts, volt__kind *kind);
/* Loop thread. The observer set by volt__token_observe (NULL: none) and
 * its ud (*ud, when ud is not NULL). tok is a node of a runtime of this
 * thread, live or being disposed (its kind's dispose op may ask, before
 * calling volt__token_dispose). NULL for anything but a token. */
volt__token_hook volt__token_observer(volt_node *tok, void **ud);
/* Loop thread. The token whose current (pending) mint `ack` names, or NULL
 * (stale, repeated, made up, a join, another runtime's). */
volt_node *volt__token_of_ack(volt__core *c, volt_ack ack);
/* Readers of tok see a change (the layer above changed something readable
 * of its own, e.g. an action's work in flight). Marks and propagates; no
 * flush. */
void volt__token_notify(volt__core *c, volt_node *tok);

/* A stamp for work that may outlive the token's own: v is the token's
 * current stamp; a PTR stamp of a token with a copy hook is a fresh copy
 * made through that hook, to be released through `release(v, ud)` (the
 * token's release hook; NULL: nothing to release). Any other stamp is
 * borrowed from the token: a scalar needs nothing, an ERR message must be
 * copied by the caller before the token's next transition, and a PTR
 * without a copy hook is the token's own borrowed pointer. */
typedef struct volt__stamp_copy {
  volt_val v;
  void (*release)(volt_val v, void *ud);
  void *ud;
} volt__stamp_copy;
/* Loop thread. Fills *out for tok's pending mint: 0, or VOLT_ESTALE when tok
 * is not pending. */
int volt__token_work_stamp(volt__core *c, volt_node *tok, volt__stamp_copy *out);

/* ---- events (event.c) -------------------------------------------------------- */

/* The part of an event that other threads may read (immutable after
 * creation; reachable from the node's u.f.ud). */
typedef struct volt__event {
  volt__core *c;    /* set once: volt_emit_async reads it from any thread */
  uint32_t id, gen; /* the event's handle */
  void (*release)(volt_val v, void *ud);
  void *release_ud;
} volt__event;

/* Loop thread: a token subscribed to an event sees one occurrence. Called by
 * volt_emit for every token subscriber, before the event's own propagation.
 * Does not flush. */
void volt__token_occurrence(volt__core *c, volt_node *tok, volt_val payload);

/* ---- event-like kinds (the sources of runtime/) ------------------------------ */

/* A source over a libuv handle (runtime/) is an event of its own kind: every
 * occurrence counts for tokens, effects read its latest payload, and its kind
 * adds watched/unwatched ops (start and stop the handle) and a dispose op
 * (close it). The interface, all loop thread:
 *
 *  - the kind record's `update` is volt__event_update, its traits include
 *    VOLT__KIND_VALUE | VOLT__KIND_EVENT, and its `dispose` op calls
 *    volt__event_dispose (which frees the event's part; it does not touch
 *    `data`);
 *  - volt__event_new makes the node: opts as volt_event_opts (`equals` is
 *    ignored; `release`/`ud` release the PTR payloads it fires). `data` is the
 *    kind's own record, returned by volt__event_data until the node is
 *    disposed. NULL on allocation failure (the node is disposed again, so its
 *    dispose op may run with `data` already set: it must tell a record the
 *    constructor has not finished). The caller checked the thread and that
 *    the runtime is not closing;
 *  - volt_emit and volt_emit_async refuse such a node with VOLT_EINVAL: only
 *    its producer fires it, with volt__event_fire (now, as volt_emit: tokens
 *    see the occurrence, readers are marked, and a flush runs if none is
 *    under way; a PTR payload's ownership moves to the node, also on error).
 *    ev must be live, and not be fired from inside a kind op (a watched op
 *    runs in the middle of a link).
 */
volt_node *volt__event_new(volt__core *c, volt__kind *kind, const volt_opts *opts,
                           void *data);
bool volt__event_update(volt__core *c, volt_node *n);
void volt__event_dispose(volt__core *c, volt_node *n);
void *volt__event_data(volt__core *c, volt_node *n);
/* 0, VOLT_EPERM (inside a computed), VOLT_ECLOSING, VOLT_ENOMEM or
 * VOLT_ELOOP, as volt_emit. */
int volt__event_fire(volt__core *c, volt_node *ev, volt_val payload);

#endif /* VOLT_TOKENS_TOKENS_H */
