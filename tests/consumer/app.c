/* tests/consumer/app.c - an out-of-tree consumer of volt.
 *
 * Built by .ci/run twice, the ways users build against volt:
 *   1. against an installed copy, with pkg-config:
 *        cc app.c $(pkg-config --cflags --libs volt)
 *   2. as a meson subproject (tests/consumer/meson-subproject/meson.build).
 * It uses only the public header and checks a few values end to end: a
 * loop runtime, signals, a computed, an effect, a watcher, a batch, a scope
 * with a cleanup, and a clean close. Exit status 0 when all checks pass.
 */
#include <stdio.h>
#include <string.h>

#include <uv.h>
#include <volt/volt.h>

static int failures;

#define CHECK(cond)                                                          \
  do {                                                                       \
    if (!(cond)) {                                                           \
      fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                            \
    }                                                                        \
  } while (0)

typedef struct state {
  volt_node *a, *b, *sum;
  int effect_runs;
  int64_t effect_seen;
  int watch_calls;
  int64_t watch_old, watch_now;
  int cleanups;
  int closed;
} state;

static volt_val sum_fn(void *ud) {
  state *s = ud;
  return volt_int(volt_as_int(volt_get(s->a)) + volt_as_int(volt_get(s->b)));
}

static void effect_fn(void *ud) {
  state *s = ud;
  s->effect_runs++;
  s->effect_seen = volt_as_int(volt_get(s->sum));
}

static void watch_fn(volt_node *n, volt_val old, volt_val now, void *ud) {
  state *s = ud;
  (void)n;
  s->watch_calls++;
  s->watch_old = volt_as_int(old);
  s->watch_now = volt_as_int(now);
}

static void cleanup_fn(void *ud) {
  state *s = ud;
  s->cleanups++;
}

static void scope_fn(void *ud) {
  state *s = ud;
  CHECK(volt_on_cleanup(volt_node_rt(s->a), cleanup_fn, s) == 0);
}

static void on_closed(void *ud) {
  state *s = ud;
  s->closed++;
}

int main(void) {
  uv_loop_t loop;
  volt_rt *rt = NULL;
  state s;
  memset(&s, 0, sizeof s);

  /* Header-only parts: values and error names. */
  CHECK(volt_val_eq(volt_int(3), volt_int(3)));
  CHECK(!volt_val_eq(volt_int(3), volt_num(3.5)));
  CHECK(strcmp(volt_err_name(VOLT_ECYCLE), "VOLT_ECYCLE") == 0);
  CHECK(volt_strerror(VOLT_ELOOP) != NULL);

  if (uv_loop_init(&loop) != 0) {
    fprintf(stderr, "uv_loop_init failed\n");
    return 1;
  }
  CHECK(volt_rt_new(&rt, &loop, NULL) == 0);
  if (!rt)
    return 1;
  CHECK(volt_rt_loop(rt) == &loop);

  s.a = volt_signal(rt, volt_int(1), NULL);
  s.b = volt_signal(rt, volt_int(2), NULL);
  s.sum = volt_computed(rt, sum_fn, &s, NULL);
  CHECK(s.a && s.b && s.sum);
  if (!s.a || !s.b || !s.sum)
    return 1;
  CHECK(volt_as_int(volt_get(s.sum)) == 3);

  /* An effect runs at creation. */
  CHECK(volt_effect(rt, effect_fn, &s) != NULL);
  CHECK(s.effect_runs == 1 && s.effect_seen == 3);

  volt_watcher *w = volt_watch(s.sum, watch_fn, &s);
  CHECK(w != NULL);

  /* A single write outside a batch flushes synchronously. */
  CHECK(volt_set(s.a, volt_int(10)) == 0);
  CHECK(s.effect_runs == 2 && s.effect_seen == 12);
  CHECK(s.watch_calls == 1 && s.watch_old == 3 && s.watch_now == 12);

  /* Two writes in a batch: one run, and the effect never sees a mix. */
  CHECK(volt_batch_begin(rt) == 0);
  CHECK(volt_set(s.a, volt_int(20)) == 0);
  CHECK(volt_set(s.b, volt_int(30)) == 0);
  CHECK(s.effect_runs == 2);
  CHECK(volt_batch_end(rt) == 0);
  CHECK(s.effect_runs == 3 && s.effect_seen == 50);
  CHECK(s.watch_calls == 2 && s.watch_old == 12 && s.watch_now == 50);

  /* An equal write notifies nobody. */
  CHECK(volt_set(s.b, volt_int(30)) == 0);
  CHECK(s.effect_runs == 3 && s.watch_calls == 2);

  CHECK(volt_unwatch(w) == 0);

  /* A scope owns its cleanups; disposing it runs them. */
  volt_node *scope = volt_scope(rt, scope_fn, &s);
  CHECK(scope != NULL);
  CHECK(s.cleanups == 0);
  volt_dispose(scope);
  CHECK(s.cleanups == 1);

  volt_stats_t st;
  CHECK(volt_stats(rt, &st) == 0);
  CHECK(st.live_nodes >= 4);

  /* Close: the runtime's handles are closed from the loop, then the loop
   * closes cleanly. */
  volt_rt_close(rt, on_closed, &s);
  CHECK(uv_run(&loop, UV_RUN_DEFAULT) == 0);
  CHECK(s.closed == 1);
  CHECK(uv_loop_close(&loop) == 0);

  if (failures) {
    fprintf(stderr, "consumer: %d check(s) failed\n", failures);
    return 1;
  }
  puts("consumer: all checks passed");
  return 0;
}
