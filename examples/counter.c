/* examples/counter.c - volt's smallest complete program.
 *
 * A repeating libuv timer ticks every 100 ms and increments a counter
 * signal. A computed derives "doubled" from it, and an effect prints both
 * whenever either changes. After five ticks the program stops the timer,
 * closes the runtime and the loop, and exits 0.
 *
 * Build and run (from the repository root):
 *   meson setup build && meson compile -C build && ./build/examples/counter
 *
 * Expected output:
 *   count=0 doubled=0
 *   count=1 doubled=2
 *   ...
 *   count=5 doubled=10
 *   runtime closed
 *   done
 *
 * Everything here runs on the loop thread (the thread that called
 * volt_rt_new), as volt requires for all graph operations.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include <uv.h>
#include <volt/volt.h>

#define TICKS 5

typedef struct app {
  uv_timer_t timer;   /* the event source: plain libuv */
  volt_rt *rt;        /* the reactive runtime attached to the loop */
  volt_node *count;   /* signal: a writable value */
  volt_node *doubled; /* computed: count * 2, cached */
  int closed;         /* set by on_closed */
} app;

/* The computed's function. It reads `count` with volt_get, a *tracked*
 * read: volt records that `doubled` depends on `count` and recomputes it
 * only when `count` really changes. */
static volt_val compute_doubled(void *ud) {
  volt_node *count = ud;
  return volt_int(volt_as_int(volt_get(count)) * 2);
}

/* The effect's function. It runs once when the effect is created and then
 * after every flush in which something it read changed. Both reads are
 * tracked, and volt guarantees it never sees a new count with an old
 * doubled (glitch-free). */
static void print_values(void *ud) {
  app *a = ud;
  int64_t count = volt_as_int(volt_get(a->count));
  int64_t doubled = volt_as_int(volt_get(a->doubled));
  printf("count=%" PRId64 " doubled=%" PRId64 "\n", count, doubled);
  fflush(stdout);
}

/* Called from the loop once the runtime has released its uv handles. */
static void on_closed(void *ud) {
  app *a = ud;
  a->closed = 1;
  puts("runtime closed");
}

/* The timer callback: an ordinary libuv callback that writes a signal.
 * Outside a batch and with the default (synchronous) flush mode, volt_set
 * runs the dependent effect before it returns. */
static void on_tick(uv_timer_t *t) {
  app *a = t->data;
  /* volt_peek is an untracked read: fine here, we are not inside a
   * computed or effect anyway. */
  int64_t next = volt_as_int(volt_peek(a->count)) + 1;
  int rc = volt_set(a->count, volt_int(next));
  if (rc != 0)
    fprintf(stderr, "volt_set: %s (%s)\n", volt_strerror(rc), volt_err_name(rc));

  if (next == TICKS) {
    /* Stop our own handle, then close the runtime: it disposes the graph
     * (running cleanups and release hooks) and closes its own handles.
     * Neither keeps the loop alive afterwards, so uv_run returns. */
    uv_close((uv_handle_t *)&a->timer, NULL);
    volt_rt_close(a->rt, on_closed, a);
  }
}

int main(void) {
  uv_loop_t loop;
  app a = {0};
  int rc;

  if ((rc = uv_loop_init(&loop)) != 0) {
    fprintf(stderr, "uv_loop_init: %s\n", uv_strerror(rc));
    return 1;
  }

  /* NULL config: all defaults (synchronous flushes, libc allocator). */
  if ((rc = volt_rt_new(&a.rt, &loop, NULL)) != 0) {
    fprintf(stderr, "volt_rt_new: %s\n", volt_strerror(rc));
    return 1;
  }

  /* The graph. Nodes created here, outside any effect or scope, belong to
   * the runtime and are freed by volt_rt_close: no explicit dispose needed.
   * Names show up in volt_dump_dot and error messages. */
  volt_opts count_opts = {.name = "count"};
  volt_opts doubled_opts = {.name = "doubled"};
  a.count = volt_signal(a.rt, volt_int(0), &count_opts);
  a.doubled = volt_computed(a.rt, compute_doubled, a.count, &doubled_opts);
  /* Prints "count=0 doubled=0" right away: effects run at creation. */
  if (!a.count || !a.doubled || !volt_effect(a.rt, print_values, &a)) {
    fprintf(stderr, "out of memory\n");
    volt_rt_close(a.rt, NULL, NULL);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return 1;
  }

  /* The event source: a plain libuv timer, first tick after 100 ms, then
   * every 100 ms. */
  uv_timer_init(&loop, &a.timer);
  a.timer.data = &a;
  uv_timer_start(&a.timer, on_tick, 100, 100);

  /* Run until nothing is left: the timer is closed after TICKS ticks and
   * volt's own handles never keep the loop alive. */
  uv_run(&loop, UV_RUN_DEFAULT);

  /* Everything is closed, so this returns 0. */
  rc = uv_loop_close(&loop);
  if (rc != 0 || !a.closed) {
    fprintf(stderr, "loop not clean: %s\n", rc ? uv_strerror(rc) : "on_closed not called");
    return 1;
  }
  puts("done");
  return 0;
}
