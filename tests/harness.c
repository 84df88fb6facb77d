/* tests/harness.c - shared helpers for the Check suites (see harness.h). */
#include "harness.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- counting allocator -------------------------------------------------- */

#define H_MAGIC 0x766f6c74616c6c63ull /* "voltallc" */
#define H_DEAD 0x6465616462656566ull  /* "deadbeef" */

typedef union h_hdr {
  max_align_t align;
  struct {
    size_t size;
    uint64_t magic;
  } h;
} h_hdr;

void h_alloc_init(h_alloc *a) { memset(a, 0, sizeof *a); }

static bool h_should_fail(h_alloc *a) {
  a->calls++;
  if (a->fail_at == 0) return false;
  if (a->calls == a->fail_at || (a->fail_all_after && a->calls > a->fail_at)) {
    a->injected++;
    return true;
  }
  return false;
}

void *h_realloc(void *ud, void *p, size_t old_size, size_t new_size) {
  h_alloc *a = ud;
  h_hdr *hd = NULL;

  if (p != NULL) {
    hd = (h_hdr *)p - 1;
    if (hd->h.magic != H_MAGIC) {
      a->bad_pointer++;
      return NULL; /* do not touch memory we do not own */
    }
    if (hd->h.size != old_size) a->bad_old_size++;
  } else if (new_size == 0) {
    if (old_size != 0) a->null_free++;
    return NULL;
  }

  if (new_size == 0) { /* free */
    a->live_bytes -= hd->h.size;
    a->live_blocks--;
    hd->h.magic = H_DEAD;
    free(hd);
    return NULL;
  }

  if (h_should_fail(a)) return NULL; /* the old block, if any, stays valid */

  if (hd == NULL) {
    hd = malloc(sizeof *hd + new_size);
    if (hd == NULL) return NULL;
    a->live_blocks++;
  } else {
    size_t had = hd->h.size;
    h_hdr *nh = realloc(hd, sizeof *hd + new_size);
    if (nh == NULL) return NULL;
    hd = nh;
    a->live_bytes -= had;
  }
  hd->h.size = new_size;
  hd->h.magic = H_MAGIC;
  a->live_bytes += new_size;
  if (a->live_bytes > a->peak_bytes) a->peak_bytes = a->live_bytes;
  return hd + 1;
}

/* ---- runtime environment --------------------------------------------------- */

void h_count_closed(void *ud) { (*(int *)ud)++; }

static void h_once_cb(uv_timer_t *t) { uv_close((uv_handle_t *)t, NULL); }

void h_run_once(uv_loop_t *loop) {
  uv_timer_t t;
  ck_assert_int_eq(uv_timer_init(loop, &t), 0);
  ck_assert_int_eq(uv_timer_start(&t, h_once_cb, 0, 0), 0);
  ck_assert_int_eq(uv_run(loop, UV_RUN_DEFAULT), 0);
}

static void h_env_on_error(volt_rt *rt, int code, const char *msg, void *ud) {
  h_env *e = ud;
  (void)rt;
  (void)msg;
  if (e->errors < (int)(sizeof e->error_codes / sizeof e->error_codes[0]))
    e->error_codes[e->errors] = code;
  e->errors++;
  e->last_error = code;
}

void h_env_open(h_env *e, int mode, const volt_config *cfg) {
  int rc;

  memset(e, 0, sizeof *e);
  h_alloc_init(&e->alloc);
  if (cfg) e->cfg = *cfg;
  if (e->cfg.realloc == NULL) {
    e->cfg.realloc = h_realloc;
    e->cfg.realloc_ud = &e->alloc;
  }
  if (e->cfg.on_error == NULL) {
    e->cfg.on_error = h_env_on_error;
    e->cfg.on_error_ud = e;
  }
  if (mode != H_LOOPLESS) {
    ck_assert_int_eq(uv_loop_init(&e->loop), 0);
    e->lp = &e->loop;
  }
  if (mode == H_DEFERRED) e->cfg.deferred = true;
  rc = volt_rt_new(&e->rt, e->lp, &e->cfg);
  ck_assert_int_eq(rc, 0);
  ck_assert_ptr_nonnull(e->rt);
}

void h_env_close(h_env *e) {
  volt_rt_close(e->rt, h_count_closed, &e->closed);
  e->rt = NULL;
  if (e->lp == NULL) {
    /* loop-less: on_closed runs before volt_rt_close returns */
    ck_assert_int_eq(e->closed, 1);
  } else {
    ck_assert_int_eq(uv_run(e->lp, UV_RUN_DEFAULT), 0);
    ck_assert_int_eq(e->closed, 1);
    ck_assert_int_eq(uv_loop_close(e->lp), 0);
    e->lp = NULL;
  }
  if (e->cfg.realloc == h_realloc && e->cfg.realloc_ud == &e->alloc) {
    ck_assert_uint_eq(e->alloc.live_bytes, 0);
    ck_assert_uint_eq(e->alloc.live_blocks, 0);
    ck_assert_uint_eq(e->alloc.bad_old_size, 0);
    ck_assert_uint_eq(e->alloc.bad_pointer, 0);
    ck_assert_uint_eq(e->alloc.null_free, 0);
  }
}

/* ---- boxes ------------------------------------------------------------------- */

void h_pool_init(h_pool *p) { memset(p, 0, sizeof *p); }

h_box *h_box_new(h_pool *p, int64_t v) {
  h_box *b;
  ck_assert_int_lt(p->used, H_BOXES);
  b = &p->box[p->used];
  b->id = p->used++;
  b->v = v;
  b->released = 0;
  return b;
}

void h_box_release(volt_val v, void *ud) {
  h_pool *p = ud;
  h_box *b = volt_as_ptr(v);
  p->releases++;
  if (volt_tag(v) != VOLT_PTR || b < &p->box[0] || b >= &p->box[H_BOXES]) {
    p->bad++;
    return;
  }
  b->released++;
}

bool h_box_equals(volt_val a, volt_val b, void *ud) {
  (void)ud;
  if (volt_tag(a) != VOLT_PTR || volt_tag(b) != VOLT_PTR) return volt_val_eq(a, b);
  return ((h_box *)volt_as_ptr(a))->v == ((h_box *)volt_as_ptr(b))->v;
}

int h_pool_unreleased(const h_pool *p) {
  int n = 0;
  for (int i = 0; i < p->used; i++)
    if (p->box[i].released == 0) n++;
  return n;
}

int h_pool_overreleased(const h_pool *p) {
  int n = 0;
  for (int i = 0; i < p->used; i++)
    if (p->box[i].released > 1) n++;
  return n;
}

/* ---- ordering log ------------------------------------------------------------ */

void h_log_push(h_log *l, int v) {
  if (l->n < H_LOG_MAX) l->v[l->n] = v;
  l->n++;
}

void h_log_expect(const h_log *l, int n, const int *want) {
  char got[512], exp[512];
  size_t gl = 0, el = 0;
  bool same = l->n == n;
  got[0] = exp[0] = '\0';
  for (int i = 0; i < l->n && i < H_LOG_MAX && gl < sizeof got - 16; i++)
    gl += (size_t)snprintf(got + gl, sizeof got - gl, "%d ", l->v[i]);
  for (int i = 0; i < n && el < sizeof exp - 16; i++) {
    el += (size_t)snprintf(exp + el, sizeof exp - el, "%d ", want[i]);
    if (same && (i >= H_LOG_MAX || l->v[i] != want[i])) same = false;
  }
  ck_assert_msg(same, "log [%s] expected [%s]", got, exp);
}

/* ---- threads with a watchdog ------------------------------------------------------ */

typedef struct h_watchdog {
  uv_mutex_t mu;
  uv_cond_t cv;
  bool done;
  void (*fn)(void *);
  void *arg;
} h_watchdog;

static void h_watchdog_main(void *p) {
  h_watchdog *w = p;
  w->fn(w->arg);
  uv_mutex_lock(&w->mu);
  w->done = true;
  uv_cond_signal(&w->cv);
  uv_mutex_unlock(&w->mu);
}

void h_thread_run(size_t stack_size, void (*fn)(void *), void *arg, unsigned timeout_s,
                  size_t *stack_used) {
  h_watchdog *w = calloc(1, sizeof *w); /* leaked on timeout: the thread may still use it */
  uv_thread_options_t opts;
  uv_thread_t tid;
  uint64_t deadline;
  int rc;

  ck_assert_ptr_nonnull(w);
  ck_assert_int_eq(uv_mutex_init(&w->mu), 0);
  ck_assert_int_eq(uv_cond_init(&w->cv), 0);
  w->fn = fn;
  w->arg = arg;
  opts.flags = stack_size ? UV_THREAD_HAS_STACK_SIZE : UV_THREAD_NO_FLAGS;
  opts.stack_size = stack_size;
  rc = uv_thread_create_ex(&tid, &opts, h_watchdog_main, w);
  if (rc == UV_EINVAL && stack_size) {
    size_t page = 4096, min = 16384;
#ifdef PTHREAD_STACK_MIN
    min = PTHREAD_STACK_MIN;
#endif
    opts.stack_size = (min + page - 1) / page * page;
    fprintf(stderr, "# a %zu-byte stack was refused; using %zu bytes\n", stack_size,
            opts.stack_size);
    rc = uv_thread_create_ex(&tid, &opts, h_watchdog_main, w);
  }
  ck_assert_int_eq(rc, 0);
  if (stack_used) *stack_used = opts.stack_size;

  deadline = uv_hrtime() + (uint64_t)timeout_s * 1000000000u;
  uv_mutex_lock(&w->mu);
  while (!w->done) {
    uint64_t now = uv_hrtime();
    if (now >= deadline) break;
    (void)uv_cond_timedwait(&w->cv, &w->mu, deadline - now);
  }
  if (!w->done) {
    const char *fork = getenv("CK_FORK");
    uv_mutex_unlock(&w->mu);
    if (fork && strcmp(fork, "no") == 0) {
      fprintf(stdout, "not ok - a test thread did not finish within %u s (runaway); exiting\n",
              timeout_s);
      fprintf(stderr, "# a test thread did not finish within %u s; exiting\n", timeout_s);
      fflush(NULL);
      _exit(EXIT_FAILURE);
    }
    ck_abort_msg("the test thread did not finish within %u s", timeout_s);
  }
  uv_mutex_unlock(&w->mu);
  ck_assert_int_eq(uv_thread_join(&tid), 0);
  uv_cond_destroy(&w->cv);
  uv_mutex_destroy(&w->mu);
  free(w);
}

/* ---- graph fixtures shared by several suites ----------------------------------- */

void h_eff1_fn(void *ud) {
  h_eff1 *r = ud;
  r->runs++;
  r->seen = volt_get(r->src);
}

volt_val h_lin_fn(void *ud) {
  h_lin *c = ud;
  int64_t v;
  c->runs++;
  v = c->k * volt_as_int(volt_get(c->a));
  if (c->b) v += volt_as_int(volt_get(c->b));
  return volt_int(v);
}

void h_wrec_cb(volt_node *n, volt_val old, volt_val now, void *ud) {
  h_wrec *w = ud;
  w->calls++;
  if (w->n && n != w->n) w->bad_node++;
  w->old = old;
  w->now = now;
}

volt_val h_chain_fn(void *ud) {
  volt_val v = volt_get(ud);
  if (volt_is_err(v)) return v;
  return volt_int(volt_as_int(v) + 1);
}

volt_val h_dr_reader_b_first(void *ud) {
  h_dr *d = ud;
  d->reader_runs++;
  int64_t b = h_int(volt_get(d->b));
  return volt_int(b + volt_as_int(volt_get(d->a)));
}

void h_dr_build(h_env *e, h_dr *d, volt_val (*a_fn)(void *), volt_val (*reader_fn)(void *)) {
  volt_stats_t st;
  d->src = volt_signal(e->rt, volt_int(1), NULL);
  d->b = volt_signal(e->rt, volt_int(5), NULL);
  d->a = volt_computed(e->rt, a_fn, d, NULL);
  d->reader = volt_computed(e->rt, reader_fn, d, NULL);
  ck_assert_int_eq(h_int(volt_get(d->reader)), 15);
  ck_assert_int_eq(volt_stats(e->rt, &st), 0);
  ck_assert_uint_eq(st.edges, 3); /* a: src; reader: a, b */
}

void h_dr_write_both_and_read(h_env *e, h_dr *d) {
  ck_assert_int_eq(volt_batch_begin(e->rt), 0);
  ck_assert_int_eq(volt_set(d->src, volt_int(2)), 0);
  ck_assert_int_eq(volt_set(d->b, volt_int(6)), 0);
  ck_assert_int_eq(volt_batch_end(e->rt), 0);
  (void)volt_get(d->reader);
  ck_assert_int_eq(d->reader_runs, 2);
}

void h_obs_fn(void *ud) {
  h_obs *o = ud;
  volt_val e, s;
  o->runs++;
  o->status = volt_token_status(o->tok);
  e = volt_token_error(o->tok);
  o->ack = volt_token_ack(o->tok);
  s = volt_token_stamp(o->tok);
  o->stamp = s;
  o->err = volt_err_code(e);
  snprintf(o->msg, sizeof o->msg, "%s", volt_err_msg(e));
  if (o->status == VOLT_PENDING && !volt_is_nil(e)) o->bad++;
  if (o->status == VOLT_FAILED && !volt_is_err(e)) o->bad++;
  if (o->status != VOLT_FAILED && !volt_is_nil(e)) o->bad++;
  if ((o->status == VOLT_PENDING) == volt_ack_is_none(o->ack)) o->bad++;
}

volt_node *h_observe(h_obs *o, volt_rt *rt, volt_node *tok) {
  volt_node *eff;
  memset(o, 0, sizeof *o);
  o->tok = tok;
  eff = volt_effect(rt, h_obs_fn, o);
  ck_assert_ptr_nonnull(eff);
  ck_assert_int_eq(o->runs, 1);
  return eff;
}

/* ---- volt_dump_dot output ------------------------------------------------------- */

bool h_dot_vertex_id(const char *dot, const char *name, char *id, size_t cap) {
  const char *p = dot;
  while ((p = strstr(p, name)) != NULL) {
    const char *ls = p, *le = p;
    bool arrow = false;
    while (ls > dot && ls[-1] != '\n') ls--;
    while (*le && *le != '\n') le++;
    for (const char *q = ls; q + 1 < le; q++)
      if (q[0] == '-' && q[1] == '>') arrow = true;
    if (!arrow) {
      size_t n = 0;
      while (ls < le && (*ls == ' ' || *ls == '\t')) ls++;
      while (ls + n < le && ls[n] != ' ' && ls[n] != '[' && ls[n] != '\t' && ls[n] != ';')
        n++;
      if (n == 0 || n >= cap) return false;
      memcpy(id, ls, n);
      id[n] = '\0';
      return true;
    }
    p++;
  }
  return false;
}

static bool h_dot_word_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
         ch == '_' || ch == '.';
}

bool h_dot_has_arc(const char *dot, const char *from, const char *to) {
  char idf[128], idt[128], arc[300];
  const char *p = dot;
  size_t n;
  if (!h_dot_vertex_id(dot, from, idf, sizeof idf) || !h_dot_vertex_id(dot, to, idt, sizeof idt))
    return false;
  snprintf(arc, sizeof arc, "%s -> %s", idf, idt);
  n = strlen(arc);
  while ((p = strstr(p, arc)) != NULL) {
    bool starts = p == dot || !h_dot_word_char(p[-1]);
    bool ends = !h_dot_word_char(p[n]);
    if (starts && ends) return true;
    p++;
  }
  return false;
}

/* ---- misc ---------------------------------------------------------------------- */

int64_t h_int(volt_val v) {
  ck_assert_msg(volt_tag(v) == VOLT_INT, "expected an INT value, got tag %d (err %d %s)",
                (int)volt_tag(v), volt_err_code(v), volt_err_msg(v));
  return volt_as_int(v);
}

volt_stats_t h_stats(volt_rt *rt) {
  volt_stats_t s;
  memset(&s, 0, sizeof s);
  ck_assert_int_eq(volt_stats(rt, &s), 0);
  return s;
}

TCase *h_tcase(Suite *s, const char *name) {
  TCase *tc = tcase_create(name);
  suite_add_tcase(s, tc);
  return tc;
}

int h_run(Suite *s) {
  SRunner *sr = srunner_create(s);
  int failed;
  srunner_run_all(sr, CK_ENV);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed != 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}

/* ---- gated work on the thread pool ---------------------------------------------- */

void h_gate_init(h_gate *g) {
  memset(g, 0, sizeof *g);
  ck_assert_int_eq(uv_mutex_init(&g->mu), 0);
  ck_assert_int_eq(uv_cond_init(&g->cv), 0);
}

void h_gate_destroy(h_gate *g) {
  uv_cond_destroy(&g->cv);
  uv_mutex_destroy(&g->mu);
}

void h_gate_open(h_gate *g, h_job *j) {
  uv_mutex_lock(&g->mu);
  if (j)
    j->go = true;
  else
    g->all = true;
  uv_cond_broadcast(&g->cv);
  uv_mutex_unlock(&g->mu);
}

void h_gate_wait(h_gate *g, int n) {
  uv_mutex_lock(&g->mu);
  while (g->started < n) uv_cond_wait(&g->cv, &g->mu);
  uv_mutex_unlock(&g->mu);
}

int h_gate_started(h_gate *g) {
  uv_mutex_lock(&g->mu);
  int n = g->started;
  uv_mutex_unlock(&g->mu);
  return n;
}

void h_job_init(h_job *j, h_gate *g, int id, volt_val result) {
  memset(j, 0, sizeof *j);
  j->g = g;
  j->id = id;
  j->result = result;
}

volt_val h_gated_work(volt_work *w, void *ud) {
  h_job *j = ud;
  h_gate *g = j->g;
  uv_mutex_lock(&g->mu);
  if (g->started < H_GATE_MAX) g->order[g->started] = j->id;
  g->started++;
  uv_cond_broadcast(&g->cv);
  while (!g->all && !j->go) uv_cond_wait(&g->cv, &g->mu);
  uv_mutex_unlock(&g->mu);
  if (j->wait_cancel)
    while (!volt_work_cancelled(w)) uv_sleep(1);
  j->saw_cancel = volt_work_cancelled(w);
  volt_val st = volt_work_stamp(w);
  j->stamp_tag = (int)volt_tag(st);
  if (st.tag == VOLT_INT) j->stamp_int = volt_as_int(st);
  if (st.tag == VOLT_PTR && volt_as_ptr(st))
    snprintf(j->text, sizeof j->text, "%s", (const char *)volt_as_ptr(st));
  if (st.tag == VOLT_ERR) snprintf(j->text, sizeof j->text, "%s", volt_err_msg(st));
  j->ran++;
  return j->result;
}

int h_pool_size(void) {
  const char *env = getenv("UV_THREADPOOL_SIZE");
  int n = env ? atoi(env) : 0;
  return n > 0 ? n : 4;
}
