/* runtime/work.h - work on the libuv thread pool (volt_dispatch) as the
 * rest of runtime/ sees it: the job record, the cap and its queues, and
 * what actions (runtime/action.c) and the close (runtime/rt.c) call.
 *
 * Ownership and threads: a job record is allocated, changed and freed on
 * the loop thread. A pool thread running it reads only fn, ud, the stamp
 * and `cancelled` (atomic), and writes result, result_msg and ran before
 * handing the job back (through the inbox's lock or libuv's after-work
 * queue, which order those writes before the loop reads them). `running`,
 * the ready queue links and the runners' lists are under rt->work_mu.
 */
#ifndef VOLT_RUNTIME_WORK_H
#define VOLT_RUNTIME_WORK_H

#include <stdatomic.h>

#include "runtime/rt.h"
#include "tokens/tokens.h"

struct volt__action;

enum {
  VOLT__JOB_OUT = 1,     /* in the ready queue or running on the pool;
                            counts in work_in_flight */
  VOLT__JOB_RETURNED     /* handed back to the loop (or dropped unrun) */
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
  struct volt_work *wprev, *wnext; /* the ready queue while OUT and not
                                      running (work_mu) */
  uint8_t state;                   /* VOLT__JOB_* (loop thread) */
  uint8_t holds;      /* reasons to live: not returned yet, its req carries
                         a runner, its timer is open */
  bool stale;         /* the result must not be applied */
  bool timer_open;    /* the timer is initialised and not closing */
  bool running;       /* work_mu: a runner took it from the ready queue */
  bool carrying;      /* loop thread: its req carries a runner (once) */
  /* Its req as a runner's request (a runner is started on the req of the
   * job whose arrival needed it, and runs whatever is ready): */
  struct volt_work *carried;  /* jobs it ran and kept (in order), handed
                                 back with its after-work callback */
  struct volt_work *unposted; /* jobs it ran whose results the inbox
                                 refused (close): handed back the same way */
  struct volt_work *unext;    /* link in a runner's unposted list */
};

/* Loop thread. Makes a job for tok's pending mint `ack` and queues it (the
 * ready queue, run by at most max_in_flight runners). `a` (may be NULL) is
 * the action it works for: its result release hook is copied into the job.
 * timeout_ms > 0 starts a timer. *out: the job (valid until the next
 * return to the loop). 0, VOLT_ENOMEM, VOLT_ESTALE, or a libuv
 * error (nothing queued, nothing changed). */
int volt__work_start(volt_rt *rt, volt_node *tok, volt_ack ack, volt_work_fn fn, void *ud,
                     struct volt__action *a, uint64_t timeout_ms, volt_work **out);
/* Loop thread. The mint `ack` is no longer current: every job for it that
 * has not returned is stale and cancelled (taken out of the ready queue
 * unrun, or volt_work_cancelled for running work). */
void volt__work_cancel_ack(volt_rt *rt, volt_ack ack);
/* Loop thread. The action `a` is being disposed: its jobs forget it (their
 * results will be released through the hook they copied). */
void volt__work_forget_action(volt_rt *rt, struct volt__action *a);
/* Loop thread, at close (after the graph was disposed): every job is
 * cancelled as by volt__work_cancel_ack; running work is let finish. */
void volt__work_close(volt_rt *rt);
/* Loop thread, from the prepare phase (volt__rt_want_publish): starts
 * runners, up to the cap, on the reqs of ready jobs. */
void volt__work_publish(volt_rt *rt);
/* When the runtime's memory goes (any thread, no job left): frees what
 * volt_dispatch set up. */
void volt__work_free(volt_rt *rt);
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
