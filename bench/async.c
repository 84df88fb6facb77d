/* bench/async.c - the `async` cases of SPEC.md ("What the C side adds"): a
 * token -> work -> ack -> effect round trip against a raw uv_queue_work
 * round trip on the same loop, and acks sent from another thread against a
 * raw mutex + uv_async_send queue (volt's async bars, docs/BENCHMARKS.md).
 *
 *  async-roundtrip-uv  N round trips, one at a time: uv_queue_work with no-op
 *                      work, and its after-work callback queues the next.
 *  async-roundtrip     the same through volt, on a runtime on the same kind
 *                      of loop: an event fires, its volt_action mints and
 *                      dispatches the no-op work (volt_dispatch's path:
 *                      the runtime's cap, uv_queue_work), the result acks
 *                      the mint on the loop thread, an effect reading the
 *                      action's version runs and fires the event for the
 *                      next round trip.
 *  async-roundtrip-64-uv, async-roundtrip-64
 *                      the same with 64 operations in flight: 64 requests
 *                      re-queued by their after-work callbacks, against 64
 *                      actions (each its own event and effect), on the
 *                      runtime's default cap (thread-pool size - 1).
 *  async-acks-uv       two threads push N items (half each) into a
 *                      mutex-protected array and wake the loop with
 *                      uv_async_send; the loop's callback takes what is
 *                      there; the clock stops when the loop has taken the
 *                      last one.
 *  async-acks          two threads ack N pending tokens, half each
 *                      (volt_ack_ok off the loop thread: volt's inbox and
 *                      its uv_async_t); the clock stops when an effect
 *                      reading each thread's last token sees both IDLE
 *                      (one thread's acks are applied in its order).
 * Each time is the fastest of 5 runs (3 with --short), raw and volt
 * alternating, each run on a fresh loop. Checks: round trips counted (as
 * action versions), every token IDLE at the end, every ack accepted, and
 * every loop closes (uv_loop_close == 0).
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

/* `width` requests in flight; each after-work callback queues its request
 * again until n round trips are done in all. */
typedef struct raw_trip {
  uv_loop_t *loop;
  uv_work_t *reqs;
  int n, started, done;
  bool bad;
} raw_trip;

static void raw_after(uv_work_t *req, int status) {
  raw_trip *r = req->data;
  if (status != 0) r->bad = true;
  r->done++;
  if (r->started < r->n) {
    r->started++;
    if (uv_queue_work(r->loop, req, noop_work, raw_after) != 0) r->bad = true;
  }
}

static double trip_raw_w(int n, int width, const char **check) {
  uv_loop_t loop;
  need(uv_loop_init(&loop) == 0, "uv_loop_init");
  raw_trip r = {&loop, calloc((size_t)width, sizeof(uv_work_t)), n, 0, 0, false};
  need(r.reqs != NULL, "calloc");
  double t0 = now_ms();
  for (int i = 0; i < width && r.started < n; i++) {
    r.reqs[i].data = &r;
    r.started++;
    if (uv_queue_work(&loop, &r.reqs[i], noop_work, raw_after) != 0) r.bad = true;
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  double t = now_ms() - t0;
  if (r.bad) fail(check, "FAIL:uv");
  if (r.done != n) fail(check, "FAIL:trips");
  if (!finish_loop(&loop)) fail(check, "FAIL:loop_close");
  free(r.reqs);
  return t;
}

static double trip_raw(int n, const char **check) { return trip_raw_w(n, 1, check); }
static double trip_raw_64(int n, const char **check) { return trip_raw_w(n, 64, check); }

/* ---- round trip: volt ------------------------------------------------------------- */

/* `width` lanes, each an event and a volt_action over it whose work does
 * nothing; an effect per lane reads the action's version (the token ->
 * work -> ack -> effect path) and, while trips remain, fires the lane's
 * event again: the action mints and dispatches the next work. */
typedef struct volt_trip volt_trip;

typedef struct lane {
  volt_trip *s;
  volt_node *ev, *act;
  int64_t seen; /* the version the effect saw last */
} lane;

struct volt_trip {
  lane *lanes;
  int n, started, done;
  int64_t effect_runs;
  bool bad;
};

static volt_val noop_action(volt_work *w, void *ud) {
  (void)w;
  (void)ud;
  return volt_nil();
}

static void trip_effect(void *ud) {
  lane *l = ud;
  volt_trip *s = l->s;
  int64_t v = volt_action_version(l->act);
  int st = volt_token_status(l->act);
  s->effect_runs++;
  if (v < 0 || st < 0 || st == VOLT_FAILED) s->bad = true;
  if (v == l->seen) return; /* the run that saw the mint (PENDING) */
  s->done += (int)(v - l->seen);
  l->seen = v;
  if (s->started < s->n) {
    s->started++;
    if (volt_emit(l->ev, volt_nil()) != 0) s->bad = true;
  }
}

static void on_closed(void *ud) { *(bool *)ud = true; }

static double trip_volt_w(int n, int width, const char **check) {
  uv_loop_t loop;
  need(uv_loop_init(&loop) == 0, "uv_loop_init");
  volt_rt *rt = NULL;
  need(volt_rt_new(&rt, &loop, NULL) == 0, "volt_rt_new");
  volt_trip s;
  memset(&s, 0, sizeof s);
  s.n = n;
  s.lanes = calloc((size_t)width, sizeof(lane));
  need(s.lanes != NULL, "calloc");
  for (int i = 0; i < width; i++) {
    lane *l = &s.lanes[i];
    l->s = &s;
    l->ev = must(volt_event(rt), "event");
    l->act = must(volt_action(rt, l->ev, 0, noop_action, NULL, NULL), "action");
    must(volt_effect(rt, trip_effect, l), "effect"); /* runs once: IDLE */
  }
  double t0 = now_ms();
  volt_batch_begin(rt);
  for (int i = 0; i < width && s.started < n; i++) {
    s.started++;
    if (volt_emit(s.lanes[i].ev, volt_nil()) != 0) s.bad = true;
  }
  volt_batch_end(rt);
  uv_run(&loop, UV_RUN_DEFAULT);
  double t = now_ms() - t0;
  if (s.bad) fail(check, "FAIL:volt");
  if (s.done != n) fail(check, "FAIL:trips");
  for (int i = 0; i < width; i++)
    if (volt_token_status(s.lanes[i].act) != VOLT_IDLE) {
      fail(check, "FAIL:status");
      break;
    }
  bool closed = false;
  volt_rt_close(rt, on_closed, &closed);
  if (!finish_loop(&loop) || !closed) fail(check, "FAIL:loop_close");
  free(s.lanes);
  return t;
}

static double trip_volt(int n, const char **check) { return trip_volt_w(n, 1, check); }
static double trip_volt_64(int n, const char **check) { return trip_volt_w(n, 64, check); }

/* ---- acks from other threads: raw mutex + uv_async_send queue ------------------------- */

enum { PRODUCERS = 2 }; /* threads sending, in both the raw and the volt case */

typedef struct raw_queue {
  uv_mutex_t lock;
  uv_async_t async;
  int64_t *items; /* preallocated: the raw side does no allocation */
  int n, len, taken;
  int64_t sum;
  double t_end;
} raw_queue;

/* One of the PRODUCERS threads: items [from, to). */
typedef struct raw_part {
  raw_queue *q;
  int from, to;
} raw_part;

static void raw_producer(void *arg) {
  raw_part *p = arg;
  raw_queue *q = p->q;
  for (int i = p->from; i < p->to; i++) {
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
  uv_thread_t th[PRODUCERS];
  raw_part part[PRODUCERS];
  double t0 = now_ms();
  for (int k = 0; k < PRODUCERS; k++) {
    part[k] = (raw_part){&q, n * k / PRODUCERS, n * (k + 1) / PRODUCERS};
    need(uv_thread_create(&th[k], raw_producer, &part[k]) == 0, "uv_thread_create");
  }
  uv_run(&loop, UV_RUN_DEFAULT);
  for (int k = 0; k < PRODUCERS; k++) uv_thread_join(&th[k]);
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
  volt_node *last[PRODUCERS]; /* each producer's last token */
  uv_async_t keep; /* keeps the loop alive: volt's own handles are unref'd */
  volt_ack *acks;
  int n;
  int refused[PRODUCERS]; /* each written by its producer only */
  bool seen_idle;
  double t_end;
} volt_acks;

typedef struct volt_part {
  volt_acks *s;
  int k, from, to;
} volt_part;

static void acks_producer(void *arg) {
  volt_part *p = arg;
  volt_acks *s = p->s;
  /* Counted, not asserted: the loop thread checks. */
  if (volt_rt_acquire(s->rt) != 0) {
    s->refused[p->k] = p->to - p->from;
    return;
  }
  for (int i = p->from; i < p->to; i++)
    if (volt_ack_ok(s->acks[i]) != 0) s->refused[p->k]++;
  volt_rt_release(s->rt);
}

static void last_effect(void *ud) {
  volt_acks *s = ud;
  /* Acks from one thread are applied in its order: each producer's last
   * token goes IDLE last. At creation every token is PENDING. */
  bool all = true;
  for (int k = 0; k < PRODUCERS; k++) all &= volt_token_status(s->last[k]) == VOLT_IDLE;
  if (all && !s->seen_idle) {
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
  volt_part part[PRODUCERS];
  for (int k = 0; k < PRODUCERS; k++) {
    part[k] = (volt_part){&s, k, n * k / PRODUCERS, n * (k + 1) / PRODUCERS};
    s.last[k] = toks[part[k].to - 1];
  }
  must(volt_effect(s.rt, last_effect, &s), "effect");
  uv_thread_t th[PRODUCERS];
  double t0 = now_ms();
  for (int k = 0; k < PRODUCERS; k++)
    need(uv_thread_create(&th[k], acks_producer, &part[k]) == 0, "uv_thread_create");
  uv_run(&loop, UV_RUN_DEFAULT);
  for (int k = 0; k < PRODUCERS; k++) uv_thread_join(&th[k]);
  double t = s.t_end - t0;
  if (!s.seen_idle) fail(check, "FAIL:last");
  for (int k = 0; k < PRODUCERS; k++)
    if (s.refused[k]) fail(check, "FAIL:refused");
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
  pair("async-roundtrip-64-uv", trip_raw_64, "async-roundtrip-64", trip_volt_64,
       B.shorter ? 6400 : 64000);
  pair("async-acks-uv", acks_raw, "async-acks", acks_volt, B.shorter ? 1000 : 100000);
}
