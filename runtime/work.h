/* runtime/work.h - work on the libuv thread pool (volt_dispatch) as the
 * rest of runtime/ sees it: the job record, the cap and its FIFO, and what
 * actions (runtime/action.c) and the close (runtime/rt.c) call.
 *
 * Ownership and threads: a job record is allocated, changed and freed on
 * the loop thread. While its work function runs, the pool thread reads
 * only fn, ud, the stamp and `cancelled` (atomic), and writes only result,
 * result_msg and ran; libuv's queue orders those writes before after_work.
 */
#ifndef VOLT_RUNTIME_WORK_H
#define VOLT_RUNTIME_WORK_H

#include <stdatomic.h>

#include "runtime/rt.h"
#include "tokens/tokens.h"

struct volt__action;

enum {
  VOLT__JOB_WAITING = 1, /* in the runtime's FIFO, not on the pool yet */
  VOLT__JOB_OUT,         /* handed to uv_queue_work; counts in work_in_flight */
  VOLT__JOB_RETURNED     /* after_work ran (or it never left the FIFO) */
};

struct volt_work {
  uv_work_t req;
  uv_timer_t timer; /* the action's timeout (has_timer) */
  volt_rt *rt;
  volt_ack ack; /* the mint the result acks */
  volt_work_fn fn;
  void *ud;
  volt__stamp_copy stamp; /* the work's own stamp (see volt_work_stamp) */
  char *stamp_msg;        /* an ERR stamp's message, copied (volt__alloc) */
  size_t stamp_msg_size;
  atomic_bool cancelled;
  volt_val result;  /* written by the pool thread */
  char *result_msg; /* an ERR result's message, copied there (malloc) */
  bool ran;         /* the work function ran */
  /* The action the job works for; NULL for volt_dispatch, or once the
   * action is disposed (then the result is only released). */
  struct volt__action *action;
  void (*release)(volt_val v, void *ud); /* PTR results (an action's) */
  void *release_ud;
  struct volt_work *prev, *next;   /* rt->jobs */
  struct volt_work *wprev, *wnext; /* the FIFO while WAITING */
  uint8_t state;                   /* VOLT__JOB_* */
  uint8_t holds;      /* callbacks still to come (after_work, timer close) */
  bool stale;         /* the result must not be applied */
  bool timer_open;    /* the timer is initialised and not closing */
};

/* Loop thread. Makes a job for tok's pending mint `ack` and queues it (on
 * the pool, or in the FIFO when the cap is reached). `a` (may be NULL) is
 * the action it works for: its result release hook is copied into the job.
 * timeout_ms > 0 starts a timer. *out: the job (valid until the next
 * return to the loop). 0, VOLT_ENOMEM, VOLT_ESTALE, or a libuv
 * error (nothing queued, nothing changed). */
int volt__work_start(volt_rt *rt, volt_node *tok, volt_ack ack, volt_work_fn fn, void *ud,
                     struct volt__action *a, uint64_t timeout_ms, volt_work **out);
/* Loop thread. The mint `ack` is no longer current: every job for it that
 * has not returned is stale and cancelled (dropped from the FIFO, uv_cancel
 * when still queued on the pool, volt_work_cancelled for running work). */
void volt__work_cancel_ack(volt_rt *rt, volt_ack ack);
/* Loop thread. The action `a` is being disposed: its jobs forget it (their
 * results will be released through the hook they copied). */
void volt__work_forget_action(volt_rt *rt, struct volt__action *a);
/* Loop thread, at close (after the graph was disposed): every job is
 * cancelled as by volt__work_cancel_ack; running work is let finish. */
void volt__work_close(volt_rt *rt);
/* The observer volt_dispatch puts on a token that has none (ud: the
 * runtime): a mint that goes stale cancels its work. */
void volt__work_token_hook(volt_node *tok, unsigned what, volt_ack ack, void *ud);

/* runtime/action.c: a job of a live action returned (after_work) or left
 * the FIFO without running. `apply`: the work ran, is not stale, the
 * runtime is not closing. The result (owned) is the action's from here on.
 * No flush. */
void volt__action_returned(volt_rt *rt, struct volt__action *a, volt_ack ack, bool apply,
                           volt_val result);

#endif /* VOLT_RUNTIME_WORK_H */
