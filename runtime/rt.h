/* runtime/rt.h - the runtime object: the graph core plus its libuv side.
 *
 * Internal to runtime/ (and tests). The core comes first so that signals/
 * and tokens/ can see a volt_rt as a volt__core without <uv.h>.
 */
#ifndef VOLT_RUNTIME_RT_H
#define VOLT_RUNTIME_RT_H

#include <stdatomic.h>
#include <uv.h>

#include <volt/volt.h>

#include "signals/core.h"

struct volt__inbox; /* runtime/inbox.h: the cross-thread queue */

/* rt->work_batch: when runners for new work start (runtime/work.c). */
enum {
  VOLT__BATCH_NONE = 0, /* at once */
  VOLT__BATCH_RUNNER,   /* at the end of the runner callback under way */
  VOLT__BATCH_PREPARE   /* from the prepare phase (volt__rt_want_publish) */
};

struct volt_rt {
  volt__core core; /* must stay first */
  /* What other threads read or write: apart from the loop thread's fields
   * (see volt__core's first fields). */
  struct volt__inbox *inbox; /* NULL until first needed or loop-less */
  atomic_int refs; /* 1 for the loop side + one per volt_rt_acquire */
  atomic_bool close_begun;
  /* keep-alive (runtime/inbox.c): volt_rt_acquire holds; the inbox's
   * uv_async_t is ref'd while it is > 0 (changed on the loop thread only) */
  atomic_int acquired;
  char apart_[64];

  uv_loop_t *loop; /* NULL: loop-less */
  uv_prepare_t prepare; /* deferred flush before the loop blocks */
  uv_check_t check;     /* deferred flush after poll */
  bool handles_open;
  unsigned open_handles; /* handles whose close callback has not run */
  bool flush_scheduled;
  unsigned max_in_flight;
  size_t work_in_flight; /* jobs out: queued in the runtime or running */

  /* close and lifetime (napi thread-safe function model) */
  void (*on_closed)(void *ud);
  void *on_closed_ud;
  bool closed_called;

  /* async work (runtime/work.c) */
  struct volt_work *jobs;                  /* every job whose record is live */
  size_t jobs_live; /* job records not yet freed: close waits for 0 */
  uv_mutex_t work_mu;  /* guards what the pool threads share with the loop: */
  struct volt_work *ready_head, *ready_tail; /* the runtime's FIFO: jobs
                                                out, not yet picked up */
  unsigned runners;    /* pool tasks running jobs (<= max_in_flight) */
  atomic_uint ready_gen; /* bumped by every push: a lingering runner looks */
  bool work_closing;   /* no more posting of results to the inbox */
  bool work_mu_ready;  /* loop thread: work_mu initialised */
  bool publish_due;    /* loop thread: runners to start from the prepare phase */
  uint8_t work_batch;  /* loop thread: VOLT__BATCH_*: results are coming
                          back; runners for work they set off wait */
};

/* Called by the runtime when the last reference is dropped. */
void volt__rt_free(volt_rt *rt);
/* Called when one of the runtime's handles finished closing. */
void volt__rt_handle_closed(volt_rt *rt);
/* Loop thread. Runners are to be started for work sent out (runtime/work.c):
 * volt__work_publish runs from this iteration's prepare phase; until then
 * the loop is kept alive. */
void volt__rt_want_publish(volt_rt *rt);
/* Loop thread, after close began: calls on_closed once the runtime's handles
 * are closed and its last job record is gone. */
void volt__rt_maybe_finish(volt_rt *rt);

#endif /* VOLT_RUNTIME_RT_H */
