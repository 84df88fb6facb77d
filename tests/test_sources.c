/* tests/test_sources.c - event sources over libuv handles (volt/volt.h:
 * volt_timer_source, volt_read_source, volt_fs_source,
 * volt_posix_signal_source), through the public API only.
 *
 * Cases:
 *
 * | case                              | what it pins                                              |
 * |-----------------------------------|-----------------------------------------------------------|
 * | timer_fires_once                  | a one-shot timer ticks once (payload 1), then uv_run ends  |
 * | timer_repeat_until_unwatched      | repeat keeps uv_run going; the last subscriber leaving     |
 * |                                   | stops the handle, so uv_run returns                       |
 * | timer_runs_only_while_watched     | no subscriber: the loop is not kept alive; first one:     |
 * |                                   | it is; last one gone: not again                           |
 * | timer_restarts_when_watched_again | a second watcher starts it over; ticks go on counting     |
 * | timer_deferred_mode               | the same in deferred mode                                 |
 * | read_pipe_pair                    | chunks as volt_chunk PTRs, then volt_err(UV_EOF)          |
 * | read_tcp_loopback                 | a TCP connection on 127.0.0.1: chunks in order, EOF after |
 * |                                   | uv_shutdown; the stream closed by its user after EOF      |
 * | read_enobufs_then_data            | no memory for a chunk: volt_err(UV_ENOBUFS), reading goes |
 * |                                   | on                                                        |
 * | read_second_source_fails_to_start | a start error arrives as one occurrence volt_err(code),   |
 * |                                   | on the next turn of the loop                              |
 * | read_stops_when_unwatched         | unwatched: uv_read_stop, the stream is no longer active   |
 * | read_source_disposed_in_its_own_read | disposed by the effect its read ran: stops, freed after |
 * | fs_change_in_temp_dir             | a file written in a mkdtemp directory is seen by name     |
 * | fs_start_error_is_a_value         | the path removed before the watch: volt_err(UV_ENOENT)    |
 * | close_with_a_start_error_pending  | volt_rt_close closes the timer that would fire the error  |
 * | posix_signal_fires                | SIGUSR1 sent to the process arrives as VOLT_INT SIGUSR1   |
 * | token_follows_timer               | a token on a source mints on every tick (stamp: the tick) |
 * | dispose_running_source            | disposal closes the handle: uv_run returns, loop closes   |
 * | dispose_owner_scope               | disposing the owning scope closes every source it made    |
 * | close_with_sources_running        | volt_rt_close with all four running: on_closed after the  |
 * |                                   | handles closed, uv_loop_close == 0, no live bytes         |
 * | close_from_a_tick                 | volt_rt_close from an effect a tick ran                   |
 * | effect_through_computed           | effect -> computed -> source: disposing the effect stops  |
 * |                                   | the handle through the computed's transitive unwatch      |
 * | refused_without_loop              | loop-less runtime: every constructor returns NULL         |
 * | refused_on_other_thread           | wrong thread: NULL, nothing made                          |
 * | refused_bad_arguments             | NULL/foreign/unreadable stream, missing path, SIGKILL...  |
 * | not_emittable                     | volt_emit / volt_emit_async on a source: VOLT_EINVAL      |
 * | constructors_fail_nth_allocation  | every allocation of every constructor failed in turn:    |
 * |                                   | NULL, nothing leaked; the complete run works              |
 *
 * Rules: a fresh uv loop per test (h_env), every test ends with
 * uv_loop_close == 0 (h_env_close, or by hand when the test owns handles),
 * nothing asserts off the test thread, and timers only drive (a generous
 * guard timer stops a test that would otherwise hang; no elapsed time is
 * asserted).
 */
#define _DEFAULT_SOURCE /* mkdtemp */
#include "harness.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * Helpers
 * ------------------------------------------------------------------------ */

/* An effect that reads a source, counts its runs and keeps the last payload
 * it saw (an INT, or an ERR's code). It disposes itself once it has seen
 * `stop_at` INT payloads (0: never). */
typedef struct tick_eff {
  volt_node *src, *self;
  int runs;
  int ints;
  int64_t last;
  int errs;
  int last_err;
  int stop_at;
  volt_rt *close_rt; /* set: volt_rt_close(close_rt) at stop_at */
  int *closed;
} tick_eff;

static void tick_fn(void *ud) {
  tick_eff *t = ud;
  volt_val v = volt_get(t->src);
  t->runs++;
  if (volt_tag(v) == VOLT_INT) {
    t->ints++;
    t->last = volt_as_int(v);
  } else if (volt_tag(v) == VOLT_ERR) {
    t->errs++;
    t->last_err = volt_err_code(v);
  }
  if (t->stop_at && t->ints == t->stop_at) {
    if (t->close_rt) {
      volt_rt_close(t->close_rt, h_count_closed, t->closed);
      t->close_rt = NULL;
    } else if (t->self) {
      volt_dispose(t->self);
      t->self = NULL;
    }
  }
}

static volt_node *tick_effect(volt_rt *rt, tick_eff *t, volt_node *src, int stop_at) {
  memset(t, 0, sizeof *t);
  t->src = src;
  t->stop_at = stop_at;
  t->self = volt_effect(rt, tick_fn, t);
  ck_assert_ptr_nonnull(t->self);
  ck_assert_int_eq(t->runs, 1); /* at creation: NIL, nothing fired yet */
  ck_assert_int_eq(t->ints, 0);
  return t->self;
}

/* A guard: a ref'd timer that, if it ever fires, records it and closes the
 * handles it was given, so that a broken test ends instead of hanging. The
 * test disarms it (guard_off) once the loop has done what it should. */
typedef struct guard {
  uv_timer_t t;
  int fired;
  uv_handle_t *close_too[4];
  volt_node *dispose_too;
  bool armed;
} guard;

static void guard_cb(uv_timer_t *h) {
  guard *g = h->data;
  g->fired++;
  for (int i = 0; i < 4; i++)
    if (g->close_too[i] && !uv_is_closing(g->close_too[i])) uv_close(g->close_too[i], NULL);
  if (g->dispose_too) volt_dispose(g->dispose_too);
  g->dispose_too = NULL;
  uv_close((uv_handle_t *)h, NULL);
  g->armed = false;
}

static void guard_on(guard *g, uv_loop_t *loop, uint64_t ms) {
  memset(g, 0, sizeof *g);
  ck_assert_int_eq(uv_timer_init(loop, &g->t), 0);
  g->t.data = g;
  ck_assert_int_eq(uv_timer_start(&g->t, guard_cb, ms, 0), 0);
  g->armed = true;
}

static void guard_off(guard *g) {
  if (!g || !g->armed) return;
  g->armed = false;
  uv_close((uv_handle_t *)&g->t, NULL);
}

static int alive(uv_loop_t *loop) { return uv_loop_alive(loop); }

/* ------------------------------------------------------------------------
 * Timer
 * ------------------------------------------------------------------------ */

START_TEST(timer_fires_once) {
  h_env e;
  tick_eff t;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 0);
  ck_assert_ptr_nonnull(src);
  ck_assert_int_eq(volt_tag(volt_peek(src)), VOLT_NIL);
  tick_effect(e.rt, &t, src, 0);
  /* The one-shot timer keeps the loop alive until it has ticked. */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.ints, 1);
  ck_assert_int_eq(t.last, 1);
  ck_assert_int_eq(t.runs, 2);
  ck_assert_int_eq(h_int(volt_peek(src)), 1);
  h_env_close(&e);
}
END_TEST

START_TEST(timer_repeat_until_unwatched) {
  h_env e;
  tick_eff t;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  tick_effect(e.rt, &t, src, 3); /* disposes itself at the third tick */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.ints, 3);
  ck_assert_int_eq(t.last, 3);
  ck_assert_ptr_null(t.self);
  ck_assert_int_eq(alive(e.lp), 0);
  h_env_close(&e);
}
END_TEST

START_TEST(timer_runs_only_while_watched) {
  h_env e;
  tick_eff t;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  /* Not watched: nothing keeps the loop alive, nothing fires. */
  ck_assert_int_eq(alive(e.lp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(volt_tag(volt_peek(src)), VOLT_NIL);
  /* A top-level read (no subscriber) does not start it either. */
  (void)volt_get(src);
  ck_assert_int_eq(alive(e.lp), 0);
  /* A watcher: running. */
  h_wrec w;
  memset(&w, 0, sizeof w);
  volt_watcher *wt = volt_watch(src, h_wrec_cb, &w);
  ck_assert_ptr_nonnull(wt);
  ck_assert_int_ne(alive(e.lp), 0);
  ck_assert_int_eq(volt_unwatch(wt), 0);
  ck_assert_int_eq(alive(e.lp), 0);
  /* An effect: running while it lives. */
  volt_node *eff = tick_effect(e.rt, &t, src, 0);
  ck_assert_int_ne(alive(e.lp), 0);
  volt_dispose(eff);
  ck_assert_int_eq(alive(e.lp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.ints, 0);
  ck_assert_int_eq(w.calls, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(timer_restarts_when_watched_again) {
  h_env e;
  tick_eff t1, t2;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  tick_effect(e.rt, &t1, src, 2);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t1.ints, 2);
  ck_assert_int_eq(alive(e.lp), 0);
  /* Watched again: it starts over, and the count of ticks goes on. The new
   * effect first reads the latest payload (2). */
  memset(&t2, 0, sizeof t2);
  t2.src = src;
  t2.stop_at = 2;
  t2.self = volt_effect(e.rt, tick_fn, &t2);
  ck_assert_ptr_nonnull(t2.self);
  ck_assert_int_eq(t2.last, 2);
  ck_assert_int_ne(alive(e.lp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t2.ints, 2);
  ck_assert_int_eq(t2.last, 3);
  ck_assert_int_eq(t1.ints, 2);
  h_env_close(&e);
}
END_TEST

START_TEST(timer_deferred_mode) {
  h_env e;
  tick_eff t;
  h_env_open(&e, H_DEFERRED, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  tick_effect(e.rt, &t, src, 2);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  /* Ticks of one loop iteration would coalesce into one flush. */
  ck_assert_int_eq(t.ints, 2);
  ck_assert_int_ge(t.last, 2);
  ck_assert_int_eq(alive(e.lp), 0);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Read
 * ------------------------------------------------------------------------ */

/* A watcher-free reader of a read source: an effect that appends every
 * chunk to `got` and records the first error code (UV_EOF at the end). */
typedef struct reader {
  volt_node *src, *self;
  char got[256];
  size_t len;
  int chunks;
  int err;       /* first error seen (0: none) */
  int errs;      /* errors seen */
  int enobufs;   /* UV_ENOBUFS seen */
  int bad;       /* a payload that is neither a chunk nor an error */
  h_alloc *heal; /* set: allocation failures stop at the first ENOBUFS */
  uv_handle_t *close_at_end[3]; /* closed on EOF (the stream: allowed then) */
  guard *g;
  volt_node *also; /* set: read too (a signal the test writes) */
  bool dispose_src; /* dispose the source at the first chunk (inside its read) */
} reader;

static void reader_fn(void *ud) {
  reader *r = ud;
  if (r->also) (void)volt_get(r->also);
  volt_val v = volt_get(r->src);
  if (volt_tag(v) == VOLT_NIL) return;
  if (volt_tag(v) == VOLT_PTR) {
    const volt_chunk *k = volt_as_ptr(v);
    if (!k || k->len == 0 || r->len + k->len > sizeof r->got) {
      r->bad++;
      return;
    }
    memcpy(r->got + r->len, k->base, k->len);
    r->len += k->len;
    r->chunks++;
    if (r->dispose_src) {
      r->dispose_src = false;
      volt_dispose(r->src); /* k is released with it: not used below */
    }
    return;
  }
  if (volt_tag(v) != VOLT_ERR) {
    r->bad++;
    return;
  }
  int code = volt_err_code(v);
  if (code == UV_ENOBUFS) {
    r->enobufs++;
    if (r->heal) {
      r->heal->fail_at = 0;
      r->heal->fail_all_after = false;
      r->heal = NULL;
    }
    return;
  }
  r->errs++;
  if (!r->err) r->err = code;
  for (int i = 0; i < 3; i++)
    if (r->close_at_end[i] && !uv_is_closing(r->close_at_end[i])) uv_close(r->close_at_end[i], NULL);
  if (r->g) guard_off(r->g);
}

static void reader_start(reader *r, volt_rt *rt, volt_node *src) {
  r->src = src;
  r->self = volt_effect(rt, reader_fn, r);
  ck_assert_ptr_nonnull(r->self);
}

static void write_all(int fd, const char *s) {
  size_t n = strlen(s);
  while (n) {
    ssize_t w = write(fd, s, n);
    ck_assert_int_gt(w, 0);
    s += w;
    n -= (size_t)w;
  }
}

START_TEST(read_pipe_pair) {
  h_env e;
  int fds[2];
  uv_pipe_t pipe;
  reader r;
  memset(&r, 0, sizeof r);
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  volt_node *src = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  ck_assert_ptr_nonnull(src);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&pipe), 0); /* not watched yet */
  reader_start(&r, e.rt, src);
  ck_assert_int_ne(uv_is_active((uv_handle_t *)&pipe), 0);
  write_all(fds[1], "hello, ");
  write_all(fds[1], "pipe");
  ck_assert_int_eq(close(fds[1]), 0);
  /* Reading stops at the end: nothing keeps the loop alive then. */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(r.bad, 0);
  ck_assert_int_ge(r.chunks, 1);
  ck_assert_uint_eq(r.len, strlen("hello, pipe"));
  ck_assert(memcmp(r.got, "hello, pipe", r.len) == 0);
  ck_assert_int_eq(r.err, UV_EOF);
  ck_assert_int_eq(r.errs, 1);
  /* The user closes the stream after disposing the source. */
  volt_dispose(src);
  uv_close((uv_handle_t *)&pipe, NULL);
  h_env_close(&e);
}
END_TEST

typedef struct tcp_case {
  volt_rt *rt;
  uv_tcp_t server, conn, client;
  uv_connect_t connect;
  uv_write_t w1, w2;
  uv_shutdown_t shut;
  volt_node *src;
  reader r;
  int accepted, connected, writes, shutdowns;
  int errors; /* unexpected callback statuses (checked on the test thread) */
  guard g;
} tcp_case;

static void tcp_on_connection(uv_stream_t *server, int status) {
  tcp_case *tc = server->data;
  if (status != 0) {
    tc->errors++;
    return;
  }
  if (uv_tcp_init(server->loop, &tc->conn) != 0 || uv_accept(server, (uv_stream_t *)&tc->conn)) {
    tc->errors++;
    return;
  }
  tc->accepted++;
  /* Read through the source from the start of the connection. */
  tc->src = volt_read_source(tc->rt, (uv_stream_t *)&tc->conn);
  if (!tc->src) {
    tc->errors++;
    return;
  }
  tc->r.close_at_end[0] = (uv_handle_t *)&tc->conn;
  tc->r.close_at_end[1] = (uv_handle_t *)&tc->server;
  tc->r.close_at_end[2] = (uv_handle_t *)&tc->client;
  tc->r.g = &tc->g;
  tc->r.src = tc->src;
  tc->r.self = volt_effect(tc->rt, reader_fn, &tc->r);
  if (!tc->r.self) tc->errors++;
}

static void tcp_on_shutdown(uv_shutdown_t *req, int status) {
  tcp_case *tc = req->data;
  if (status != 0) tc->errors++;
  tc->shutdowns++;
}

static void tcp_on_write(uv_write_t *req, int status) {
  tcp_case *tc = req->data;
  if (status != 0) tc->errors++;
  if (++tc->writes == 2) {
    tc->shut.data = tc;
    if (uv_shutdown(&tc->shut, (uv_stream_t *)&tc->client, tcp_on_shutdown) != 0) tc->errors++;
  }
}

static void tcp_on_connect(uv_connect_t *req, int status) {
  tcp_case *tc = req->data;
  if (status != 0) {
    tc->errors++;
    return;
  }
  tc->connected++;
  static char a[] = "first chunk; ", b[] = "second chunk";
  uv_buf_t b1 = uv_buf_init(a, (unsigned)strlen(a));
  uv_buf_t b2 = uv_buf_init(b, (unsigned)strlen(b));
  tc->w1.data = tc->w2.data = tc;
  if (uv_write(&tc->w1, (uv_stream_t *)&tc->client, &b1, 1, tcp_on_write) != 0) tc->errors++;
  if (uv_write(&tc->w2, (uv_stream_t *)&tc->client, &b2, 1, tcp_on_write) != 0) tc->errors++;
}

START_TEST(read_tcp_loopback) {
  h_env e;
  tcp_case *tc = calloc(1, sizeof *tc);
  ck_assert_ptr_nonnull(tc);
  h_env_open(&e, H_LOOP, NULL);
  tc->rt = e.rt;
  struct sockaddr_in addr;
  struct sockaddr_storage bound;
  int blen = sizeof bound;
  ck_assert_int_eq(uv_ip4_addr("127.0.0.1", 0, &addr), 0);
  ck_assert_int_eq(uv_tcp_init(e.lp, &tc->server), 0);
  tc->server.data = tc;
  ck_assert_int_eq(uv_tcp_bind(&tc->server, (const struct sockaddr *)&addr, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&tc->server, 8, tcp_on_connection), 0);
  ck_assert_int_eq(uv_tcp_getsockname(&tc->server, (struct sockaddr *)&bound, &blen), 0);
  ck_assert_int_eq(uv_tcp_init(e.lp, &tc->client), 0);
  tc->connect.data = tc;
  ck_assert_int_eq(uv_tcp_connect(&tc->connect, &tc->client, (const struct sockaddr *)&bound,
                                  tcp_on_connect), 0);
  guard_on(&tc->g, e.lp, 10000);
  tc->g.close_too[0] = (uv_handle_t *)&tc->server;
  tc->g.close_too[1] = (uv_handle_t *)&tc->client;
  tc->g.close_too[2] = (uv_handle_t *)&tc->conn;
  /* The reader closes the three handles when it sees the end. */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(tc->g.fired, 0);
  ck_assert_int_eq(tc->errors, 0);
  ck_assert_int_eq(tc->accepted, 1);
  ck_assert_int_eq(tc->connected, 1);
  ck_assert_int_eq(tc->writes, 2);
  ck_assert_int_eq(tc->shutdowns, 1);
  ck_assert_int_eq(tc->r.bad, 0);
  ck_assert_int_ge(tc->r.chunks, 1);
  ck_assert_uint_eq(tc->r.len, strlen("first chunk; second chunk"));
  ck_assert(memcmp(tc->r.got, "first chunk; second chunk", tc->r.len) == 0);
  ck_assert_int_eq(tc->r.err, UV_EOF);
  ck_assert_int_eq(tc->r.errs, 1);
  /* The stream was closed after the end; the source, still alive, never
   * touches it again: disposing it now is safe. */
  volt_dispose(tc->src);
  h_env_close(&e);
  free(tc);
}
END_TEST

START_TEST(read_enobufs_then_data) {
  h_env e;
  int fds[2];
  uv_pipe_t pipe;
  reader r;
  memset(&r, 0, sizeof r);
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  volt_node *src = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  ck_assert_ptr_nonnull(src);
  r.also = volt_signal(e.rt, volt_int(0), NULL);
  ck_assert_ptr_nonnull(r.also);
  reader_start(&r, e.rt, src);
  /* One flush that queues the reader, so that the queue has room when
   * every allocation fails (a listener that cannot be queued waits for
   * memory, and the reader is what gives memory back). */
  ck_assert_int_eq(volt_set(r.also, volt_int(1)), 0);
  write_all(fds[1], "after the shortage");
  ck_assert_int_eq(close(fds[1]), 0);
  /* Every allocation fails from now until the reader sees UV_ENOBUFS. */
  r.heal = &e.alloc;
  e.alloc.fail_at = e.alloc.calls + 1;
  e.alloc.fail_all_after = true;
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_ge(r.enobufs, 1);
  ck_assert_int_eq(r.bad, 0);
  ck_assert_uint_eq(r.len, strlen("after the shortage"));
  ck_assert(memcmp(r.got, "after the shortage", r.len) == 0);
  ck_assert_int_eq(r.err, UV_EOF);
  volt_dispose(src);
  uv_close((uv_handle_t *)&pipe, NULL);
  h_env_close(&e);
}
END_TEST

/* One loop iteration that does not wait (a start error's zero-timeout
 * timer is due). */
static void pump(uv_loop_t *loop) { (void)uv_run(loop, UV_RUN_NOWAIT); }

START_TEST(read_second_source_fails_to_start) {
  h_env e;
  int fds[2];
  uv_pipe_t pipe;
  reader r1, r2;
  memset(&r1, 0, sizeof r1);
  memset(&r2, 0, sizeof r2);
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  volt_node *s1 = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  volt_node *s2 = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  ck_assert_ptr_nonnull(s1);
  ck_assert_ptr_nonnull(s2);
  reader_start(&r1, e.rt, s1);
  reader_start(&r2, e.rt, s2); /* uv_read_start: already reading */
  ck_assert_int_eq(r2.errs, 0); /* not fired inside the link: next turn */
  pump(e.lp);
  ck_assert_int_eq(r2.errs, 1);
  ck_assert_int_eq(r2.err, UV_EALREADY);
  ck_assert_int_eq(r1.errs, 0);
  /* The first source still reads. */
  write_all(fds[1], "x");
  ck_assert_int_eq(close(fds[1]), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_uint_eq(r1.len, 1);
  ck_assert_int_eq(r1.err, UV_EOF);
  volt_dispose(s1);
  volt_dispose(s2);
  uv_close((uv_handle_t *)&pipe, NULL);
  h_env_close(&e);
}
END_TEST

START_TEST(read_stops_when_unwatched) {
  h_env e;
  int fds[2];
  uv_pipe_t pipe;
  reader r;
  memset(&r, 0, sizeof r);
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  volt_node *src = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  ck_assert_ptr_nonnull(src);
  reader_start(&r, e.rt, src);
  ck_assert_int_ne(uv_is_active((uv_handle_t *)&pipe), 0);
  volt_dispose(r.self);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&pipe), 0);
  /* What is written meanwhile waits in the socket... */
  write_all(fds[1], "kept");
  ck_assert_int_eq(close(fds[1]), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(r.chunks, 0);
  /* ...and is read when the source is watched again. */
  reader r2;
  memset(&r2, 0, sizeof r2);
  reader_start(&r2, e.rt, src);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_uint_eq(r2.len, 4);
  ck_assert(memcmp(r2.got, "kept", 4) == 0);
  ck_assert_int_eq(r2.err, UV_EOF);
  volt_dispose(src);
  uv_close((uv_handle_t *)&pipe, NULL);
  h_env_close(&e);
}
END_TEST

START_TEST(read_source_disposed_in_its_own_read) {
  h_env e;
  int fds[2];
  uv_pipe_t pipe;
  reader r;
  memset(&r, 0, sizeof r);
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  volt_node *src = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  ck_assert_ptr_nonnull(src);
  r.dispose_src = true;
  reader_start(&r, e.rt, src);
  write_all(fds[1], "one");
  /* The reader disposes the source while its read callback fires it:
   * reading stops, the record goes when the callback returns. */
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(r.chunks, 1);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&pipe), 0);
  ck_assert_uint_eq(h_stats(e.rt).edges, 0);
  uv_close((uv_handle_t *)&pipe, NULL);
  ck_assert_int_eq(close(fds[1]), 0);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * File changes
 * ------------------------------------------------------------------------ */

typedef struct fs_eff {
  volt_node *src, *self;
  int changes, errs, seen_name;
  int events;
  const char *want;
  guard *g;
} fs_eff;

static void fs_fn(void *ud) {
  fs_eff *f = ud;
  volt_val v = volt_get(f->src);
  if (volt_tag(v) == VOLT_ERR) f->errs++;
  if (volt_tag(v) != VOLT_PTR) return;
  const volt_fs_change *ch = volt_as_ptr(v);
  f->changes++;
  f->events |= ch->events;
  if (strcmp(ch->name, f->want) == 0 && !f->seen_name++) {
    /* Seen: stop watching (the source stops) and disarm the guard, so
     * uv_run returns. */
    guard_off(f->g);
    volt_dispose(f->self);
  }
}

START_TEST(fs_change_in_temp_dir) {
  h_env e;
  guard g;
  fs_eff f;
  char dir[] = "/tmp/volt-sources-XXXXXX";
  char file[sizeof dir + 16];
  memset(&f, 0, sizeof f);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(file, sizeof file, "%s/a.txt", dir);
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_fs_source(e.rt, dir);
  ck_assert_ptr_nonnull(src);
  f.src = src;
  f.want = "a.txt";
  guard_on(&g, e.lp, 10000);
  g.dispose_too = NULL;
  f.g = &g;
  f.self = volt_effect(e.rt, fs_fn, &f); /* the watch starts here */
  ck_assert_ptr_nonnull(f.self);
  g.dispose_too = f.self;
  FILE *fp = fopen(file, "w");
  ck_assert_ptr_nonnull(fp);
  ck_assert_int_gt(fputs("change", fp), 0);
  ck_assert_int_eq(fclose(fp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(g.fired, 0);
  ck_assert_int_eq(f.seen_name, 1);
  ck_assert_int_ge(f.changes, 1);
  ck_assert_int_ne(f.events & (UV_RENAME | UV_CHANGE), 0);
  ck_assert_int_eq(f.errs, 0);
  h_env_close(&e);
  ck_assert_int_eq(unlink(file), 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(fs_start_error_is_a_value) {
  h_env e;
  tick_eff t;
  char dir[] = "/tmp/volt-sources-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_fs_source(e.rt, dir);
  ck_assert_ptr_nonnull(src);
  ck_assert_int_eq(rmdir(dir), 0); /* gone before anyone watches it */
  tick_effect(e.rt, &t, src, 0);   /* uv_fs_event_start fails */
  ck_assert_int_eq(t.errs, 0);      /* not fired inside the link */
  /* The error arrives on the next turn of the loop, which turns for it. */
  ck_assert_int_ne(alive(e.lp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.errs, 1);
  ck_assert_int_eq(t.last_err, UV_ENOENT);
  ck_assert_int_eq(alive(e.lp), 0);
  h_env_close(&e);
}
END_TEST

START_TEST(close_with_a_start_error_pending) {
  h_env e;
  tick_eff t;
  char dir[] = "/tmp/volt-sources-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_fs_source(e.rt, dir);
  ck_assert_ptr_nonnull(src);
  ck_assert_int_eq(rmdir(dir), 0);
  tick_effect(e.rt, &t, src, 0); /* the start error waits for the loop */
  h_env_close(&e);               /* closed first: the error is never fired */
  ck_assert_int_eq(t.errs, 0);
}
END_TEST

/* ------------------------------------------------------------------------
 * POSIX signals
 * ------------------------------------------------------------------------ */

START_TEST(posix_signal_fires) {
  h_env e;
  tick_eff t;
  guard g;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_posix_signal_source(e.rt, SIGUSR1);
  ck_assert_ptr_nonnull(src);
  tick_effect(e.rt, &t, src, 1); /* libuv's handler is installed now */
  guard_on(&g, e.lp, 10000);
  g.dispose_too = t.self;
  ck_assert_int_eq(uv_kill(getpid(), SIGUSR1), 0);
  /* The effect disposes itself on the delivery (the source stops); the
   * guard is disarmed then. */
  while (t.ints == 0 && !g.fired) (void)uv_run(e.lp, UV_RUN_ONCE);
  guard_off(&g);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(g.fired, 0);
  ck_assert_int_eq(t.ints, 1);
  ck_assert_int_eq(t.last, SIGUSR1);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Tokens, disposal, close, computeds
 * ------------------------------------------------------------------------ */

typedef struct tok_follow {
  volt_node *tok;
  int mints;
  int64_t stamps[8];
  int bad;
} tok_follow;

static void tok_follow_fn(void *ud) {
  tok_follow *f = ud;
  if (!f->tok) return;
  if (volt_token_status(f->tok) != VOLT_PENDING) return;
  volt_val s = volt_token_stamp(f->tok);
  if (volt_tag(s) != VOLT_INT) f->bad++;
  if (f->mints < 8) f->stamps[f->mints] = volt_as_int(s);
  f->mints++;
  if (volt_ack_ok(volt_token_ack(f->tok)) != 0) f->bad++;
  if (f->mints == 3) {
    volt_dispose(f->tok); /* the source's last subscriber: it stops */
    f->tok = NULL;
  }
}

START_TEST(token_follows_timer) {
  h_env e;
  tok_follow f;
  memset(&f, 0, sizeof f);
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  f.tok = volt_token(e.rt, src, 0, NULL);
  ck_assert_ptr_nonnull(f.tok);
  ck_assert_int_eq(volt_token_status(f.tok), VOLT_IDLE); /* an event never mints at creation */
  ck_assert_int_ne(alive(e.lp), 0); /* the token's subscription started it */
  volt_node *eff = volt_effect(e.rt, tok_follow_fn, &f);
  ck_assert_ptr_nonnull(eff);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(f.bad, 0);
  ck_assert_int_eq(f.mints, 3);
  ck_assert_int_eq(f.stamps[0], 1);
  ck_assert_int_eq(f.stamps[1], 2);
  ck_assert_int_eq(f.stamps[2], 3);
  ck_assert_int_eq(alive(e.lp), 0);
  h_env_close(&e);
}
END_TEST

START_TEST(dispose_running_source) {
  h_env e;
  tick_eff t;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  tick_effect(e.rt, &t, src, 0);
  ck_assert_int_ne(alive(e.lp), 0);
  volt_dispose(src); /* closes the handle; the effect loses its dependency */
  ck_assert_int_eq(h_stats(e.rt).edges, 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.ints, 0);
  ck_assert_int_eq(t.runs, 1);
  h_env_close(&e);
}
END_TEST

typedef struct owner_case {
  volt_node *timer, *sig;
  tick_eff t1, t2;
  volt_rt *rt;
} owner_case;

static void owner_body(void *ud) {
  owner_case *o = ud;
  o->timer = volt_timer_source(o->rt, 1, 1);
  o->sig = volt_posix_signal_source(o->rt, SIGUSR2);
  if (!o->timer || !o->sig) return;
  o->t1.src = o->timer;
  o->t1.self = volt_effect(o->rt, tick_fn, &o->t1);
  o->t2.src = o->sig;
  o->t2.self = volt_effect(o->rt, tick_fn, &o->t2);
}

START_TEST(dispose_owner_scope) {
  h_env e;
  owner_case o;
  memset(&o, 0, sizeof o);
  h_env_open(&e, H_LOOP, NULL);
  o.rt = e.rt;
  size_t before = h_stats(e.rt).live_nodes;
  volt_node *scope = volt_scope(e.rt, owner_body, &o);
  ck_assert_ptr_nonnull(scope);
  ck_assert_ptr_nonnull(o.t1.self);
  ck_assert_ptr_nonnull(o.t2.self);
  ck_assert_int_ne(alive(e.lp), 0);
  volt_dispose(scope);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, before);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(o.t1.ints + o.t2.ints, 0);
  h_env_close(&e);
}
END_TEST

START_TEST(close_with_sources_running) {
  h_env e;
  tick_eff t1, t2;
  reader r;
  fs_eff f;
  int fds[2];
  uv_pipe_t pipe;
  char dir[] = "/tmp/volt-sources-XXXXXX";
  memset(&r, 0, sizeof r);
  memset(&f, 0, sizeof f);
  ck_assert_ptr_nonnull(mkdtemp(dir));
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  volt_node *timer = volt_timer_source(e.rt, 1000000, 1000000);
  volt_node *sig = volt_posix_signal_source(e.rt, SIGUSR2);
  volt_node *rd = volt_read_source(e.rt, (uv_stream_t *)&pipe);
  volt_node *fs = volt_fs_source(e.rt, dir);
  ck_assert_ptr_nonnull(timer);
  ck_assert_ptr_nonnull(sig);
  ck_assert_ptr_nonnull(rd);
  ck_assert_ptr_nonnull(fs);
  tick_effect(e.rt, &t1, timer, 0);
  tick_effect(e.rt, &t2, sig, 0);
  reader_start(&r, e.rt, rd);
  f.src = fs;
  f.want = "";
  f.self = volt_effect(e.rt, fs_fn, &f);
  ck_assert_ptr_nonnull(f.self);
  /* All running: the close disposes them and waits for their handles. */
  volt_rt_close(e.rt, h_count_closed, &e.closed);
  e.rt = NULL;
  ck_assert_int_eq(e.closed, 0);
  ck_assert_int_eq(uv_is_active((uv_handle_t *)&pipe), 0); /* reading stopped */
  uv_close((uv_handle_t *)&pipe, NULL);
  ck_assert_int_eq(close(fds[1]), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(e.lp), 0);
  e.lp = NULL;
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.live_blocks, 0);
  ck_assert_uint_eq(e.alloc.bad_old_size, 0);
  ck_assert_int_eq(t1.ints + t2.ints + r.chunks + f.changes, 0);
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

START_TEST(close_from_a_tick) {
  h_env e;
  tick_eff t;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  tick_effect(e.rt, &t, src, 2);
  t.close_rt = e.rt; /* the second tick closes the runtime from the effect */
  t.closed = &e.closed;
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.ints, 2);
  ck_assert_int_eq(e.closed, 1);
  ck_assert_int_eq(uv_loop_close(e.lp), 0);
  ck_assert_uint_eq(e.alloc.live_bytes, 0);
  ck_assert_uint_eq(e.alloc.live_blocks, 0);
}
END_TEST

typedef struct via {
  volt_node *src;
  int evals;
} via;

static volt_val via_fn(void *ud) {
  via *v = ud;
  v->evals++;
  volt_val x = volt_get(v->src);
  return volt_tag(x) == VOLT_INT ? volt_int(volt_as_int(x) * 10) : volt_int(0);
}

START_TEST(effect_through_computed) {
  h_env e;
  tick_eff t;
  via v = {0};
  h_env_open(&e, H_LOOP, NULL);
  v.src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(v.src);
  volt_node *comp = volt_computed(e.rt, via_fn, &v, NULL);
  ck_assert_ptr_nonnull(comp);
  ck_assert_int_eq(alive(e.lp), 0);
  /* An effect over the computed: the source is watched through it. */
  memset(&t, 0, sizeof t);
  t.src = comp;
  t.stop_at = 3; /* 0 at creation, then 10, 20: disposes itself */
  t.self = volt_effect(e.rt, tick_fn, &t);
  ck_assert_ptr_nonnull(t.self);
  ck_assert_int_eq(t.ints, 1);
  ck_assert_int_eq(t.last, 0);
  ck_assert_int_ne(alive(e.lp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(t.ints, 3);
  ck_assert_int_eq(t.last, 20);
  ck_assert_ptr_null(t.self);
  /* The effect is gone: the computed lost its last subscriber, dropped its
   * own dependencies, and the source stopped (uv_run returned). */
  ck_assert_int_eq(alive(e.lp), 0);
  /* Watched again through the computed, and stopped by disposing the
   * effect from outside. */
  tick_eff t2;
  memset(&t2, 0, sizeof t2);
  t2.src = comp;
  volt_node *eff = volt_effect(e.rt, tick_fn, &t2);
  ck_assert_ptr_nonnull(eff);
  ck_assert_int_ne(alive(e.lp), 0);
  volt_dispose(eff);
  ck_assert_int_eq(alive(e.lp), 0);
  ck_assert_int_eq(uv_run(e.lp, UV_RUN_DEFAULT), 0);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Refusals
 * ------------------------------------------------------------------------ */

START_TEST(refused_without_loop) {
  h_env e;
  uv_loop_t other;
  uv_pipe_t pipe;
  h_env_open(&e, H_LOOPLESS, NULL);
  ck_assert_int_eq(uv_loop_init(&other), 0);
  ck_assert_int_eq(uv_pipe_init(&other, &pipe, 0), 0);
  ck_assert_ptr_null(volt_timer_source(e.rt, 1, 1));
  ck_assert_ptr_null(volt_read_source(e.rt, (uv_stream_t *)&pipe));
  ck_assert_ptr_null(volt_fs_source(e.rt, "/tmp"));
  ck_assert_ptr_null(volt_posix_signal_source(e.rt, SIGUSR1));
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, 0);
  h_env_close(&e);
  uv_close((uv_handle_t *)&pipe, NULL);
  ck_assert_int_eq(uv_run(&other, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&other), 0);
}
END_TEST

typedef struct other_thread {
  volt_rt *rt;
  uv_stream_t *stream;
  int made; /* constructors that did not return NULL */
} other_thread;

static void other_thread_fn(void *ud) {
  other_thread *o = ud;
  o->made += volt_timer_source(o->rt, 1, 1) != NULL;
  o->made += volt_read_source(o->rt, o->stream) != NULL;
  o->made += volt_fs_source(o->rt, "/tmp") != NULL;
  o->made += volt_posix_signal_source(o->rt, SIGUSR1) != NULL;
}

START_TEST(refused_on_other_thread) {
  h_env e;
  uv_pipe_t pipe;
  int fds[2];
  other_thread o;
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  o.rt = e.rt;
  o.stream = (uv_stream_t *)&pipe;
  o.made = 0;
  size_t bytes = e.alloc.live_bytes;
  h_thread_run(0, other_thread_fn, &o, 30, NULL);
  ck_assert_int_eq(o.made, 0);
  ck_assert_uint_eq(e.alloc.live_bytes, bytes);
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, 0);
  ck_assert_int_eq(alive(e.lp), 0);
  uv_close((uv_handle_t *)&pipe, NULL);
  ck_assert_int_eq(close(fds[1]), 0);
  h_env_close(&e);
}
END_TEST

START_TEST(refused_bad_arguments) {
  h_env e;
  uv_loop_t other;
  uv_pipe_t foreign, closing;
  uv_tcp_t unconnected;
  int fds[2];
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(uv_loop_init(&other), 0);
  ck_assert_int_eq(uv_pipe_init(&other, &foreign, 0), 0);
  ck_assert_int_eq(uv_tcp_init(e.lp, &unconnected), 0);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &closing, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&closing, fds[0]), 0);
  uv_close((uv_handle_t *)&closing, NULL);
  ck_assert_ptr_null(volt_timer_source(NULL, 1, 1));
  ck_assert_ptr_null(volt_read_source(e.rt, NULL));
  ck_assert_ptr_null(volt_read_source(e.rt, (uv_stream_t *)&foreign));
  ck_assert_ptr_null(volt_read_source(e.rt, (uv_stream_t *)&unconnected));
  ck_assert_ptr_null(volt_read_source(e.rt, (uv_stream_t *)&closing));
  ck_assert_ptr_null(volt_fs_source(e.rt, NULL));
  ck_assert_ptr_null(volt_fs_source(e.rt, ""));
  ck_assert_ptr_null(volt_fs_source(e.rt, "/nonexistent/volt/path"));
  ck_assert_ptr_null(volt_posix_signal_source(e.rt, 0));
  ck_assert_ptr_null(volt_posix_signal_source(e.rt, -1));
  ck_assert_ptr_null(volt_posix_signal_source(e.rt, SIGKILL));
  ck_assert_ptr_null(volt_posix_signal_source(e.rt, SIGSTOP));
  ck_assert_ptr_null(volt_posix_signal_source(e.rt, 100000));
  ck_assert_uint_eq(h_stats(e.rt).live_nodes, 0);
  ck_assert_int_eq(e.alloc.live_blocks > 0, 1); /* the runtime's own */
  uv_close((uv_handle_t *)&unconnected, NULL);
  ck_assert_int_eq(close(fds[1]), 0);
  h_env_close(&e);
  uv_close((uv_handle_t *)&foreign, NULL);
  ck_assert_int_eq(uv_run(&other, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&other), 0);
}
END_TEST

START_TEST(not_emittable) {
  h_env e;
  h_env_open(&e, H_LOOP, NULL);
  volt_node *src = volt_timer_source(e.rt, 1, 1);
  ck_assert_ptr_nonnull(src);
  ck_assert_int_eq(volt_emit(src, volt_int(7)), VOLT_EINVAL);
  ck_assert_int_eq(volt_emit_async(src, volt_int(7)), VOLT_EINVAL);
  ck_assert_int_eq(volt_tag(volt_peek(src)), VOLT_NIL);
  h_env_close(&e);
}
END_TEST

/* ------------------------------------------------------------------------
 * Allocation failure
 * ------------------------------------------------------------------------ */

enum { MAKE_TIMER, MAKE_READ, MAKE_FS, MAKE_SIGNAL, MAKE_KINDS };

/* Makes one source of the given kind with the n-th allocation failing
 * (n = 0: none), watches it, disposes it, closes the runtime. True when no
 * failure was injected (the complete run). */
static bool make_one(int kind, size_t n, const char *dir) {
  h_env e;
  int fds[2];
  uv_pipe_t pipe;
  tick_eff t;
  h_env_open(&e, H_LOOP, NULL);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  ck_assert_int_eq(uv_pipe_init(e.lp, &pipe, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&pipe, fds[0]), 0);
  /* The runtime's lasting structures (node slab, extension chunk, handle
   * table) are made first, by an event made and disposed, so that a failed
   * constructor can be seen to hold nothing. */
  volt_node *warm = volt_event(e.rt);
  ck_assert_ptr_nonnull(warm);
  volt_dispose(warm);
  size_t bytes = e.alloc.live_bytes, blocks = e.alloc.live_blocks;
  e.alloc.fail_at = n ? e.alloc.calls + n : 0;
  volt_node *src = NULL;
  switch (kind) {
  case MAKE_TIMER: src = volt_timer_source(e.rt, 1000000, 0); break;
  case MAKE_READ: src = volt_read_source(e.rt, (uv_stream_t *)&pipe); break;
  case MAKE_FS: src = volt_fs_source(e.rt, dir); break;
  default: src = volt_posix_signal_source(e.rt, SIGUSR2); break;
  }
  bool injected = e.alloc.injected > 0;
  e.alloc.fail_at = 0;
  if (!src) {
    /* Refused: nothing was made and nothing is held. */
    ck_assert(injected);
    ck_assert_uint_eq(e.alloc.live_bytes, bytes);
    ck_assert_uint_eq(e.alloc.live_blocks, blocks);
    ck_assert_uint_eq(h_stats(e.rt).live_nodes, 0);
    ck_assert_int_eq(alive(e.lp), 0);
  } else {
    tick_effect(e.rt, &t, src, 0);
    ck_assert_int_ne(alive(e.lp), 0);
    volt_dispose(src);
  }
  uv_close((uv_handle_t *)&pipe, NULL);
  ck_assert_int_eq(close(fds[1]), 0);
  h_env_close(&e);
  return !injected;
}

START_TEST(constructors_fail_nth_allocation) {
  char dir[] = "/tmp/volt-sources-XXXXXX";
  ck_assert_ptr_nonnull(mkdtemp(dir));
  for (int kind = 0; kind < MAKE_KINDS; kind++) {
    size_t n = 1;
    while (!make_one(kind, n, dir)) {
      n++;
      ck_assert_uint_lt(n, 1000);
    }
    ck_assert_uint_gt(n, 1); /* at least one allocation was failed */
  }
  ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

/* ------------------------------------------------------------------------ */

static Suite *sources_suite(void) {
  Suite *s = suite_create("sources");
  TCase *tc = h_tcase(s, "timer");
  tcase_add_test(tc, timer_fires_once);
  tcase_add_test(tc, timer_repeat_until_unwatched);
  tcase_add_test(tc, timer_runs_only_while_watched);
  tcase_add_test(tc, timer_restarts_when_watched_again);
  tcase_add_test(tc, timer_deferred_mode);
  tc = h_tcase(s, "read");
  tcase_add_test(tc, read_pipe_pair);
  tcase_add_test(tc, read_tcp_loopback);
  tcase_add_test(tc, read_enobufs_then_data);
  tcase_add_test(tc, read_second_source_fails_to_start);
  tcase_add_test(tc, read_stops_when_unwatched);
  tcase_add_test(tc, read_source_disposed_in_its_own_read);
  tc = h_tcase(s, "fs");
  tcase_add_test(tc, fs_change_in_temp_dir);
  tcase_add_test(tc, fs_start_error_is_a_value);
  tcase_add_test(tc, close_with_a_start_error_pending);
  tc = h_tcase(s, "signal");
  tcase_add_test(tc, posix_signal_fires);
  tc = h_tcase(s, "graph");
  tcase_add_test(tc, token_follows_timer);
  tcase_add_test(tc, dispose_running_source);
  tcase_add_test(tc, dispose_owner_scope);
  tcase_add_test(tc, close_with_sources_running);
  tcase_add_test(tc, close_from_a_tick);
  tcase_add_test(tc, effect_through_computed);
  tc = h_tcase(s, "refusals");
  tcase_add_test(tc, refused_without_loop);
  tcase_add_test(tc, refused_on_other_thread);
  tcase_add_test(tc, refused_bad_arguments);
  tcase_add_test(tc, not_emittable);
  tcase_add_test(tc, constructors_fail_nth_allocation);
  return s;
}

int main(void) { return h_run(sources_suite()); }
