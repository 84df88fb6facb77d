/* runtime/source_timer.c - volt_timer_source: a uv_timer_t as an event
 * source. Each tick is one occurrence whose payload is the number of ticks
 * since the source was made (VOLT_INT, 1 for the first).
 */
#include "runtime/source.h"

typedef struct timer_src {
  volt__source s; /* first */
  uv_timer_t timer;
  uint64_t timeout, repeat;
  int64_t ticks;
} timer_src;

static void on_tick(uv_timer_t *h) {
  timer_src *t = h->data;
  if (!t->s.node) return;
  t->ticks++;
  volt__source_fire(&t->s, volt_int(t->ticks));
  /* t may be disposed now, but it lives until its close callback. */
}

/* First subscriber: the timer starts, from now (a re-watched source starts
 * over: timeout, then repeat). */
static void timer_watched(volt__core *c, volt_node *n) {
  timer_src *t = (timer_src *)volt__source_of(c, n);
  if (!t || !t->s.ready) return;
  int rc = uv_timer_start(&t->timer, on_tick, t->timeout, t->repeat);
  if (rc)
    volt__source_start_failed(&t->s, rc);
  else
    t->s.running = true;
}

/* Last subscriber left: the timer stops (no tick is kept for later). */
static void timer_unwatched(volt__core *c, volt_node *n) {
  timer_src *t = (timer_src *)volt__source_of(c, n);
  if (!t || !t->s.ready || !t->s.running) return;
  t->s.running = false;
  uv_timer_stop(&t->timer);
}

static volt__kind timer_kind = {.name = "timer", .update = volt__event_update, .watched = timer_watched,
                           .unwatched = timer_unwatched, .dispose = volt__source_dispose,
                           .traits = VOLT__KIND_VALUE | VOLT__KIND_EVENT};

/* Loop thread. See volt/volt.h. */
volt_node *volt_timer_source(volt_rt *rt, uint64_t timeout_ms, uint64_t repeat_ms) {
  if (!volt__source_core(rt)) return NULL;
  timer_src *t = volt__source_alloc(rt, sizeof *t);
  if (!t) return NULL;
  t->timeout = timeout_ms;
  t->repeat = repeat_ms;
  t->s.handle = (uv_handle_t *)&t->timer;
  if (!volt__source_node(rt, &t->s, &timer_kind, NULL)) return NULL;
  return volt__source_ready(&t->s, uv_timer_init(rt->loop, &t->timer));
}
