/* volt/token.h - tokens, acks and events (included by <volt/volt.h>;
 * compiles on its own, without libuv).
 *
 * A token follows one asynchronous operation: a source fires, the token goes
 * PENDING with a fresh ack; whoever does the work acks it ok (back to IDLE)
 * or failed (FAILED with an error). Acks carry a generation, so stale,
 * repeated and made-up acks are refused with VOLT_ESTALE.
 */
#ifndef VOLT_TOKEN_H
#define VOLT_TOKEN_H

#include "graph.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum volt_token_state {
  VOLT_IDLE = 0,
  VOLT_PENDING = 1,
  VOLT_FAILED = 2
} volt_token_state;

/* Flags of volt_token; they combine. */
#define VOLT_TOKEN_CYCLIC 0x1u  /* a new event while pending supersedes (latest wins) */
#define VOLT_TOKEN_STAMPED 0x2u /* the stamp stays readable after ack/failure until the next mint */
#define VOLT_TOKEN_REARM 0x4u   /* after an ok ack, mint again at once if the source is still on */

/* An ack capability: a small value naming one mint of one token. Copy it
 * freely; it never dangles (a stale one is refused). */
typedef struct volt_ack {
  volt_rt *rt;
  uint32_t id;  /* 0: none */
  uint32_t gen;
} volt_ack;

static inline volt_ack volt_ack_none(void) {
  volt_ack a;
  a.rt = NULL;
  a.id = 0;
  a.gen = 0;
  return a;
}
#define VOLT_ACK_NONE (volt_ack_none())
/* Any thread. */
static inline bool volt_ack_is_none(volt_ack a) { return a.id == 0; }
/* Any thread. */
static inline bool volt_ack_eq(volt_ack a, volt_ack b) {
  return a.rt == b.rt && a.id == b.id && a.gen == b.gen;
}

typedef struct volt_token_opts {
  const char *name; /* copied; shown by volt_dump_dot */
  /* Decides which source values are events. NULL: for an event source every
   * occurrence (NIL payloads too); for any other node, values that are not
   * NIL (false and 0 count). Called on the loop thread with a borrowed value;
   * it must not touch the graph. */
  bool (*on)(volt_val v, void *ud);
  void *ud; /* passed to on, release and copy */
  /* Releases PTR stamps the token copied from its source, exactly once each
   * (when replaced by the next mint, dropped by an ack, or when the token is
   * freed). NULL: stamps are borrowed, not owned (the source keeps
   * ownership; a borrowed stamp is valid while the source still holds that
   * value). */
  void (*release)(volt_val v, void *ud);
  /* Makes the token's own copy of a PTR stamp (e.g. takes a reference or
   * duplicates the buffer), so that the stamp outlives the source's value;
   * `release` then releases that copy. NULL: the stamp is the source's
   * pointer itself (then set `release` only if the source never releases its
   * payloads itself). Called on the loop thread. (See docs/tokens.md.) */
  volt_val (*copy)(volt_val v, void *ud);
} volt_token_opts;

/* Loop thread. A token tracking `source` (an event from volt_event, or any
 * node whose value changes count). flags: 0 or VOLT_TOKEN_* combined. opts
 * may be NULL (copied; nothing in it needs to outlive the call but `ud`). A
 * state source that is already on mints at once (an event source never
 * does: there is no current occurrence). The token belongs to the current
 * owner (effect or scope), like any node; disposing it makes its ack stale.
 * Its value (volt_get) is its status as a VOLT_INT. NULL on bad arguments
 * (NULL, a source of another runtime or without a value: an effect or
 * scope; unknown flags), allocation failure or wrong thread. */
VOLT_EXTERN volt_node *volt_token(volt_rt *rt, volt_node *source, unsigned flags,
                                  const volt_token_opts *opts);

/* Loop thread. Tracked reads of a token: inside an effect or computed, the
 * reader depends on the token and runs again when any of the four changes.
 * Reads are never behind the source: a state source's change is taken into
 * account before the read returns.
 *  - status: VOLT_IDLE, VOLT_PENDING, VOLT_FAILED; or VOLT_EINVAL (not a
 *    live token) / VOLT_ETHREAD.
 *  - ack: the current ack, VOLT_ACK_NONE unless PENDING (or on error).
 *  - error: the VOLT_ERR value of the failing ack while FAILED, NIL
 *    otherwise; VOLT_ERR(VOLT_EINVAL / VOLT_ETHREAD) on misuse.
 *  - stamp: the payload (event) or value (state source) that minted the
 *    pending ack; NIL when not pending unless VOLT_TOKEN_STAMPED (then the
 *    last one, until the next mint). Misuse: a VOLT_ERR value.
 * Values are borrowed: valid until the token's next transition has been
 * flushed (PTR stamps: see volt_token_opts.copy). */
VOLT_EXTERN int volt_token_status(volt_node *tok);
VOLT_EXTERN volt_ack volt_token_ack(volt_node *tok);
VOLT_EXTERN volt_val volt_token_error(volt_node *tok);
VOLT_EXTERN volt_val volt_token_stamp(volt_node *tok);

/* Any thread. Acks the mint `ack` names: ok (PENDING -> IDLE, or a REARM
 * token's next mint) or failed (PENDING -> FAILED with volt_err(code, msg);
 * `msg` may be NULL and is copied before the call returns).
 * On the loop thread: applied now, then flushed (unless inside a batch or a
 * flush); returns 0, VOLT_ESTALE (stale, repeated, made up, or the token is
 * disposed: nothing changes), VOLT_EINVAL (VOLT_ACK_NONE), VOLT_EPERM
 * (inside a computed: nothing changes), VOLT_ECLOSING, or VOLT_ELOOP (the
 * flush it ran hit the cap; the ack itself happened).
 * Off the loop thread: queued and applied on the loop thread in order (with
 * emits); 0 (a stale ack is then dropped when applied), VOLT_ECLOSING (close
 * has begun: nothing queued), VOLT_ENOMEM, VOLT_EINVAL. A thread other than
 * the loop's holds volt_rt_acquire while it may ack. */
VOLT_EXTERN int volt_ack_ok(volt_ack ack);
VOLT_EXTERN int volt_ack_fail(volt_ack ack, int code, const char *msg);

/* Loop thread. A composite ack: acking it (from any thread) acks every
 * child that is still live then, depth first in the order given, ok or
 * failed alike, and flushes once; it returns 0 if at least one child was
 * acked, VOLT_ESTALE otherwise (and when acked twice). NONE, stale and other
 * runtimes' children are skipped when the join is made. A join of no live
 * children is VOLT_ACK_NONE (also on allocation failure or wrong thread); a
 * join of exactly one live child is that child's ack. `acks` is copied. A
 * join that is never acked is reclaimed once none of its children is live. */
VOLT_EXTERN volt_ack volt_ack_join(volt_rt *rt, const volt_ack *acks, size_t n);

/* ------------------------------------------------------------------------
 * Events (tokens/)
 * ------------------------------------------------------------------------ */

/* Loop thread. A discrete stream of occurrences. Reading it (volt_get)
 * gives the latest payload (NIL before the first); effects reading it run
 * once per flush in which it fired; tokens see every occurrence, equal
 * payloads too. The event belongs to the current owner. It has no release
 * hook, so PTR payloads stay the emitter's business: use volt_event_opts to
 * hand them over. NULL on allocation failure or wrong thread. */
VOLT_EXTERN volt_node *volt_event(volt_rt *rt);
/* Loop thread. Like volt_event, with options (may be NULL): `name`;
 * `release(v, ud)` is called once for every PTR payload the event took
 * (when the next occurrence's flush ends, when the event is freed, or when a
 * queued volt_emit_async is dropped); `watched`/`unwatched`. `equals` is
 * ignored (every occurrence counts). (See docs/tokens.md.) */
VOLT_EXTERN volt_node *volt_event_opts(volt_rt *rt, const volt_opts *opts);
/* Loop thread. Emits one occurrence now: every token on the event sees it
 * synchronously (two emits in one batch are two occurrences), then readers
 * are notified and, outside a batch, flushed. A PTR payload's ownership
 * moves to the event (released through its hook, also on VOLT_EPERM,
 * VOLT_ENOMEM and VOLT_ECLOSING); an ERR message is copied. 0, VOLT_EINVAL
 * (not an event: nothing taken), VOLT_EPERM (inside a computed), VOLT_ENOMEM
 * (the event holds a PTR payload with a release hook and no room could be
 * made for it to wait for the end of the flush: nothing happened),
 * VOLT_ECLOSING, VOLT_ELOOP (the flush hit the cap; the emit happened),
 * VOLT_ETHREAD (nothing taken). */
VOLT_EXTERN int volt_emit(volt_node *ev, volt_val payload);
/* Any thread. Queues an occurrence, applied on the loop thread in order with
 * acks (loop runtime: from the next loop iteration; loop-less: at the next
 * volt_flush). Also from the loop thread (then it is still queued). 0,
 * VOLT_ECLOSING once close has begun, VOLT_ENOMEM, VOLT_EINVAL. On 0 a PTR
 * payload's ownership moves to the event; on an error it stays the
 * caller's. An ERR message is copied. ev must not be disposed before the
 * call is made (as uv_async_send and uv_close), except by volt_rt_close
 * (then VOLT_ECLOSING); occurrences still queued for an event disposed later
 * are dropped and their payloads released. Off the loop thread, ev is not
 * checked to be an event. */
VOLT_EXTERN int volt_emit_async(volt_node *ev, volt_val payload);

#ifdef __cplusplus
}
#endif
#endif /* VOLT_TOKEN_H */
