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

struct volt_rt {
  volt__core core; /* must stay first */
  uv_loop_t *loop; /* NULL: loop-less */
  uv_prepare_t prepare; /* deferred flush before the loop blocks */
  uv_check_t check;     /* deferred flush after poll */
  bool handles_open;
  unsigned open_handles; /* handles whose close callback has not run */
  bool flush_scheduled;
  struct volt__inbox *inbox; /* NULL until first needed or loop-less */
  unsigned max_in_flight;
  size_t work_in_flight;

  /* close and lifetime (napi thread-safe function model) */
  atomic_int refs; /* 1 for the loop side + one per volt_rt_acquire */
  atomic_bool close_begun;
  void (*on_closed)(void *ud);
  void *on_closed_ud;
  bool closed_called;

  /* async work (runtime/work.c) */
  struct volt_work *jobs;                  /* every job whose record is live */
  struct volt_work *wait_head, *wait_tail; /* FIFO: waiting under the cap */
  size_t jobs_live; /* job records not yet freed: close waits for 0 */

  /* keep-alive (runtime/inbox.c): volt_rt_acquire holds; the inbox's
   * uv_async_t is ref'd while it is > 0 (changed on the loop thread only) */
  atomic_int acquired;
};

/* Called by the runtime when the last reference is dropped. */
void volt__rt_free(volt_rt *rt);
/* Called when one of the runtime's handles finished closing. */
void volt__rt_handle_closed(volt_rt *rt);
/* Loop thread, after close began: calls on_closed once the runtime's handles
 * are closed and its last job record is gone. */
void volt__rt_maybe_finish(volt_rt *rt);

#endif /* VOLT_RUNTIME_RT_H */
