/* volt/token.h - tokens, acks and event sources (included by <volt/volt.h>).
 *
 * A token follows one asynchronous operation: a source fires, the token goes
 * PENDING with a fresh ack; whoever does the work acks it ok (back to IDLE)
 * or failed (FAILED with an error). Acks carry a generation, so stale,
 * repeated and made-up acks are refused with VOLT_ESTALE.
 */
#ifndef VOLT_TOKEN_H
#define VOLT_TOKEN_H

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
  const char *name; /* copied */
  /* Decides which source values are events. NULL: for an event source every
   * occurrence (NIL payloads too); for any other node, values that are not
   * NIL. */
  bool (*on)(volt_val v, void *ud);
  void *ud;
  /* Releases PTR stamps the token copied from its source. NULL: stamps
   * are borrowed, not owned (the source keeps ownership). */
  void (*release)(volt_val v, void *ud);
  /* Makes the token's own copy of a PTR stamp (e.g. takes a reference or
   * duplicates the buffer), so that the stamp outlives the source's value;
   * `release` then releases that copy exactly once. NULL: the stamp is the
   * source's pointer itself. Called on the loop thread. (Added to DESIGN's
   * names; see docs/tokens.md.) */
  volt_val (*copy)(volt_val v, void *ud);
} volt_token_opts;

/* A token tracking `source` (an event from volt_event, or any node whose
 * value changes count). flags: 0 or VOLT_TOKEN_* combined. opts may be NULL.
 * A source that is already on mints at once. NULL on failure. */
VOLT_EXTERN volt_node *volt_token(volt_rt *rt, volt_node *source, unsigned flags,
                                  const volt_token_opts *opts);

/* Tracked reads of a token. Wrong node kind or thread: VOLT_EINVAL /
 * VOLT_ETHREAD as a negative int for status; NONE / error values for the
 * others. */
VOLT_EXTERN int volt_token_status(volt_node *tok);
VOLT_EXTERN volt_ack volt_token_ack(volt_node *tok);
VOLT_EXTERN volt_val volt_token_error(volt_node *tok);
VOLT_EXTERN volt_val volt_token_stamp(volt_node *tok);

/* Any thread. Acks the mint `ack` names. On the loop thread: applied now;
 * 0, VOLT_ESTALE (stale, repeated, made up, or the token is disposed),
 * VOLT_EINVAL (VOLT_ACK_NONE). Off the loop thread: queued and applied on
 * the loop thread in order; 0 (a stale ack is then dropped when applied),
 * VOLT_ECLOSING, VOLT_EINVAL. `msg` is copied. */
VOLT_EXTERN int volt_ack_ok(volt_ack ack);
VOLT_EXTERN int volt_ack_fail(volt_ack ack, int code, const char *msg);

/* A composite ack: acking it acks every live child in order, ok or failed
 * alike; NONE and stale children are skipped. A join of no live children is
 * VOLT_ACK_NONE (also on allocation failure). */
VOLT_EXTERN volt_ack volt_ack_join(volt_rt *rt, const volt_ack *acks, size_t n);

/* ------------------------------------------------------------------------
 * Events (runtime/)
 * ------------------------------------------------------------------------ */

/* A discrete stream of occurrences. Reading it (volt_get) gives the latest
 * payload; tokens see every occurrence, equal payloads too. NULL on failure
 * or wrong thread. The event belongs to the current owner. PTR payloads
 * are not released (the event has no release hook): use volt_event_opts. */
VOLT_EXTERN volt_node *volt_event(volt_rt *rt);
/* Like volt_event with options: `name`; `release(v, ud)` is called once for
 * every PTR payload the event took (when the next occurrence replaces it, when
 * the event is freed, or when a queued volt_emit_async is dropped);
 * `watched`/`unwatched`. `equals` is ignored (every occurrence counts). opts
 * may be NULL. Loop thread. (Added to DESIGN's names; see docs/tokens.md.) */
VOLT_EXTERN volt_node *volt_event_opts(volt_rt *rt, const volt_opts *opts);
/* Emits one occurrence now. A PTR payload's ownership moves to the event.
 * 0, VOLT_EINVAL, VOLT_EPERM (inside a computed), VOLT_ETHREAD. */
VOLT_EXTERN int volt_emit(volt_node *ev, volt_val payload);
/* Any thread. Queues an occurrence, applied on the loop thread in order with
 * acks. 0, VOLT_ECLOSING once close has begun, VOLT_ENOMEM, VOLT_EINVAL. ev
 * must not be disposed before the call is made (as uv_async_send and
 * uv_close); occurrences still queued for an event disposed later are dropped
 * and their payloads released. */
VOLT_EXTERN int volt_emit_async(volt_node *ev, volt_val payload);

#ifdef __cplusplus
}
#endif
#endif /* VOLT_TOKEN_H */
