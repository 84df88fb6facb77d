/* bench/async.c - the `async` cases of SPEC.md ("What the C side adds"): a
 * token -> work -> ack -> effect round trip against a raw uv_queue_work
 * round trip on the same loop, and acks sent from another thread against a
 * raw mutex + uv_async_send queue (volt's async bars, docs/BENCHMARKS.md).
 *
 *  async-roundtrip-uv  N round trips, one at a time: uv_queue_work with no-op
 *                      work, and its after-work callback queues the next.
 *  async-roundtrip     the same through volt, on a runtime on the same kind
 *                      of loop: an event fires, its token goes PENDING, an
 *                      effect reading the token queues the no-op work with
 *                      the token's ack, the after-work callback acks it ok
 *                      (the effect runs again and sees IDLE) and fires the
 *                      event for the next round trip.
 *  async-acks-uv       a thread pushes N items into a mutex-protected array
 *                      and wakes the loop with uv_async_send; the loop's
 *                      callback takes what is there; the clock stops when
 *                      the loop has taken the last one.
 *  async-acks          a thread acks N pending tokens (volt_ack_ok off the
 *                      loop thread: volt's inbox and its uv_async_t); the
 *                      clock stops when an effect reading the last token
 *                      sees it IDLE (acks are applied in order).
 * Each time is the fastest of 5 runs (3 with --short), raw and volt
 * alternating, each run on a fresh loop. Checks: round trips and effect
 * runs counted, every token IDLE at the end, every ack accepted, and every
 * loop closes (uv_loop_close == 0).
 */
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

static int runs_of(void) { return B.shorter ? 3 : 5; }

/* Runs the loop until nothing is left and closes it; false if it would not
 * close. */
static bool finish_loop(uv_loop_t *loop) {
  uv_run(loop, UV_RUN_DEFAULT);
  return uv_loop_close(loop) == 0;
}

static void noop_work(uv_work_t *req) { (void)req; }

/* Setup the benchmark cannot go on without: dies with a message. */
static void need(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "volt_bench: %s: %s failed\n", bench_current, what);
    exit(2);
  }
}

/* ---- round trip: raw libuv ------------------------------------------------------ */

typedef struct raw_trip {
  uv_loop_t *loop;
  uv_work_t req;
  int n, done;
  bool bad;
} raw_trip;

static void raw_after(uv_work_t *req, int status) {
  raw_trip *r = req->data;
  if (status != 0) r->bad = true;
  if (++r->done < r->n && uv_queue_work(r->loop, &r->req, noop_work, raw_after) != 0) r->bad = true;
}

static double trip_raw(int n, const char **check) {
  uv_loop_t loop;
  need(uv_loop_init(&loop) == 0, "uv_loop_init");
  raw_trip r = {&loop, {0}, n, 0, false};
  r.req.data = &r;
  double t0 = now_ms();
  if (uv_queue_work(&loop, &r.req, noop_work, raw_after) != 0) r.bad = true;
  uv_run(&loop, UV_RUN_DEFAULT);
  double t = now_ms() - t0;
  if (r.bad) fail(check, "FAIL:uv");
  if (r.done != n) fail(check, "FAIL:trips");
  if (!finish_loop(&loop)) fail(check, "FAIL:loop_close");
  return t;
}

/* ---- round trip: volt ------------------------------------------------------------- */

typedef struct volt_trip {
  uv_loop_t *loop;
  volt_node *ev, *tok;
  uv_work_t req;
  volt_ack ack;
  int n, done;
  int64_t idle_runs;
  bool bad;
} volt_trip;

static void volt_after(uv_work_t *req, int status) {
  volt_trip *s = req->data;
  if (status != 0) s->bad = true;
  /* On the loop thread: applied and flushed now (the effect sees IDLE). */
  if (volt_ack_ok(s->ack) != 0) s->bad = true;
  if (++s->done < s->n && volt_emit(s->ev, volt_nil()) != 0) s->bad = true;
}

static void trip_effect(void *ud) {
  volt_trip *s = ud;
  int st = volt_token_status(s->tok);
  if (st == VOLT_PENDING) {
    s->ack = volt_token_ack(s->tok);
    if (uv_queue_work(s->loop, &s->req, noop_work, volt_after) != 0) s->bad = true;
  } else if (st == VOLT_IDLE) {
    s->idle_runs++;
  } else {
    s->bad = true;
  }
}

static void on_closed(void *ud) { *(bool *)ud = true; }

static double trip_volt(int n, const char **check) {
  uv_loop_t loop;
  need(uv_loop_init(&loop) == 0, "uv_loop_init");
  volt_rt *rt = NULL;
  need(volt_rt_new(&rt, &loop, NULL) == 0, "volt_rt_new");
  volt_trip s;
  memset(&s, 0, sizeof s);
  s.loop = &loop;
  s.n = n;
  s.req.data = &s;
  s.ev = must(volt_event(rt), "event");
  s.tok = must(volt_token(rt, s.ev, 0, NULL), "token");
  must(volt_effect(rt, trip_effect, &s), "effect"); /* runs once: IDLE */
  double t0 = now_ms();
  if (volt_emit(s.ev, volt_nil()) != 0) s.bad = true;
  uv_run(&loop, UV_RUN_DEFAULT);
  double t = now_ms() - t0;
  if (s.bad) fail(check, "FAIL:volt");
  if (s.done != n) fail(check, "FAIL:trips");
  if (s.idle_runs != (int64_t)n + 1) fail(check, "FAIL:effect_runs");
  if (volt_token_status(s.tok) != VOLT_IDLE) fail(check, "FAIL:status");
  bool closed = false;
  volt_rt_close(rt, on_closed, &closed);
  if (!finish_loop(&loop) || !closed) fail(check, "FAIL:loop_close");
  return t;
}

/* ---- acks from another thread: raw mutex + uv_async_send queue ------------------------ */

typedef struct raw_queue {
  uv_mutex_t lock;
  uv_async_t async;
  int64_t *items; /* preallocated: the raw side does no allocation */
  int n, len, taken;
  int64_t sum;
  double t_end;
} raw_queue;

static void raw_producer(void *arg) {
  raw_queue *q = arg;
  for (int i = 0; i < q->n; i++) {
    uv_mutex_lock(&q->lock);
    q->items[q->len++] = i;
    uv_mutex_unlock(&q->lock);
    uv_async_send(&q->async);
  }
}

static void raw_consume(uv_async_t *a) {
  raw_queue *q = a->data;
  uv_mutex_lock(&q->lock);
  int len = q->len;
  uv_mutex_unlock(&q->lock);
  for (; q->taken < len; q->taken++) q->sum += q->items[q->taken];
  if (q->taken == q->n) {
    q->t_end = now_ms();
    /* The producer may still be inside its last uv_async_send: let the
     * loop end, and close the handle after joining the thread. */
    uv_unref((uv_handle_t *)&q->async);
  }
}

static double acks_raw(int n, const char **check) {
  uv_loop_t loop;
  need(uv_loop_init(&loop) == 0, "uv_loop_init");
  raw_queue q;
  memset(&q, 0, sizeof q);
  q.n = n;
  q.items = malloc(sizeof(int64_t) * (size_t)n);
  need(q.items && uv_mutex_init(&q.lock) == 0 && uv_async_init(&loop, &q.async, raw_consume) == 0,
       "setup");
  q.async.data = &q;
  uv_thread_t th;
  double t0 = now_ms();
  need(uv_thread_create(&th, raw_producer, &q) == 0, "uv_thread_create");
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_thread_join(&th);
  uv_close((uv_handle_t *)&q.async, NULL);
  double t = q.t_end - t0;
  if (q.taken != n || q.sum != (int64_t)n * (n - 1) / 2) fail(check, "FAIL:items");
  uv_mutex_destroy(&q.lock);
  free(q.items);
  if (!finish_loop(&loop)) fail(check, "FAIL:loop_close");
  return t;
}

/* ---- acks from another thread: volt ------------------------------------------------------ */

typedef struct volt_acks {
  volt_rt *rt;
  volt_node *last;
  uv_async_t keep; /* keeps the loop alive: volt's own handles are unref'd */
  volt_ack *acks;
  int n, refused;
  bool seen_idle;
  double t_end;
} volt_acks;

static void acks_producer(void *arg) {
  volt_acks *s = arg;
  /* Counted, not asserted: the loop thread checks. */
  if (volt_rt_acquire(s->rt) != 0) {
    s->refused = s->n;
    return;
  }
  for (int i = 0; i < s->n; i++)
    if (volt_ack_ok(s->acks[i]) != 0) s->refused++;
  volt_rt_release(s->rt);
}

static void last_effect(void *ud) {
  volt_acks *s = ud;
  int st = volt_token_status(s->last);
  /* At creation the token is PENDING: only the last ack makes it IDLE. */
  if (st == VOLT_IDLE && !s->seen_idle) {
    s->seen_idle = true;
    s->t_end = now_ms();
    uv_close((uv_handle_t *)&s->keep, NULL);
  }
}

static void keep_cb(uv_async_t *a) { (void)a; }

static double acks_volt(int n, const char **check) {
  uv_loop_t loop;
  need(uv_loop_init(&loop) == 0, "uv_loop_init");
  volt_acks s;
  memset(&s, 0, sizeof s);
  s.n = n;
  need(volt_rt_new(&s.rt, &loop, NULL) == 0 && uv_async_init(&loop, &s.keep, keep_cb) == 0, "setup");
  volt_node **toks = malloc(sizeof(volt_node *) * (size_t)n);
  s.acks = malloc(sizeof(volt_ack) * (size_t)n);
  need(toks && s.acks, "malloc");
  /* n tokens, each on its own event, each fired once: n pending acks. */
  for (int i = 0; i < n; i++) {
    volt_node *ev = must(volt_event(s.rt), "event");
    toks[i] = must(volt_token(s.rt, ev, 0, NULL), "token");
    if (volt_emit(ev, volt_nil()) != 0) fail(check, "FAIL:emit");
    s.acks[i] = volt_token_ack(toks[i]);
  }
  s.last = toks[n - 1];
  must(volt_effect(s.rt, last_effect, &s), "effect");
  uv_thread_t th;
  double t0 = now_ms();
  need(uv_thread_create(&th, acks_producer, &s) == 0, "uv_thread_create");
  uv_run(&loop, UV_RUN_DEFAULT);
  uv_thread_join(&th);
  double t = s.t_end - t0;
  if (!s.seen_idle) fail(check, "FAIL:last");
  if (s.refused) fail(check, "FAIL:refused");
  for (int i = 0; i < n; i++)
    if (volt_token_status(toks[i]) != VOLT_IDLE) {
      fail(check, "FAIL:status");
      break;
    }
  bool closed = false;
  volt_rt_close(s.rt, on_closed, &closed);
  if (!finish_loop(&loop) || !closed) fail(check, "FAIL:loop_close");
  free(toks);
  free(s.acks);
  return t;
}

/* ---- runner ------------------------------------------------------------------------------- */

typedef double (*async_fn)(int n, const char **check);

/* Runs raw and volt alternately, keeps each one's fastest time. */
static void pair(const char *raw_name, async_fn raw, const char *volt_name, async_fn volt, int n) {
  bool want_raw = bench_want(raw_name), want_volt = bench_want(volt_name);
  if (!want_raw && !want_volt) return;
  const char *craw = "ok", *cvolt = "ok";
  double braw = INFINITY, bvolt = INFINITY;
  for (int r = 0; r < runs_of(); r++) {
    if (want_raw) {
      bench_current = raw_name;
      double t = raw(n, &craw);
      if (t < braw) braw = t;
    }
    if (want_volt) {
      bench_current = volt_name;
      double t = volt(n, &cvolt);
      if (t < bvolt) bvolt = t;
    }
  }
  if (want_raw) bench_emit(raw_name, braw, craw);
  if (want_volt) bench_emit(volt_name, bvolt, cvolt);
}

void run_async(void) {
  pair("async-roundtrip-uv", trip_raw, "async-roundtrip", trip_volt, B.shorter ? 200 : 20000);
  pair("async-acks-uv", acks_raw, "async-acks", acks_volt, B.shorter ? 1000 : 100000);
}
