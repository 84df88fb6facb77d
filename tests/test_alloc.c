/* tests/test_alloc.c - allocation failure injection (nghttp2 failmalloc
 * style, docs/guide.md "every allocation failure point returns an
 * error without leak or crash").
 *
 * A fixed scenario is run with the counting allocator failing its n-th
 * allocation, for n = 1, 2, 3, ... until a run completes with no failure
 * injected. In every run each API call must succeed or return its
 * documented error (NULL / VOLT_ENOMEM, or a VOLT_ERR value with
 * VOLT_ENOMEM from a read), PTR payloads must be released exactly once,
 * on_error may only hear VOLT_ENOMEM, and after close the allocator must
 * hold zero live bytes and have seen only correct old sizes. The complete
 * run must produce the scenario's expected results.
 */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scen scen;

typedef struct sc_eff {
  scen *sc;
  volt_node *a, *b;
  int runs;
  int64_t last;
  int kids_made;
} sc_eff;

struct scen {
  h_alloc alloc;
  h_pool pool;
  int mode; /* H_LOOPLESS, H_LOOP, H_DEFERRED */
  uv_loop_t loop;
  volt_rt *rt;
  int closed;
  /* violations */
  int bad;
  char bad_what[160];
  int errors, bad_errors;
  /* results, checked when nothing failed */
  bool complete;
  int64_t final_c2;
  bool s2_kept; /* volt_set(s2) returned VOLT_ENOMEM: s2 still holds 10 */
  int watch_calls;
  int64_t watch_now;
  int cleanups;
  int scope_cleanups;
  int root_cleanups;
  sc_eff e1;
  int kid_runs;
  int64_t scope_seen;
  int64_t bulk_seen;
  volt_node *scope_sig;
  char msgbuf[64];
};

static void sc_bad(scen *sc, const char *what, long long got) {
  if (sc->bad++ == 0) snprintf(sc->bad_what, sizeof sc->bad_what, "%s returned %lld", what, got);
}

/* A call returning int: 0 or VOLT_ENOMEM. */
static bool sc_rc(scen *sc, const char *what, int rc) {
  if (rc != 0 && rc != VOLT_ENOMEM) sc_bad(sc, what, rc);
  return rc == 0;
}

/* A read: the expected INT, or VOLT_ERR(VOLT_ENOMEM). */
static bool sc_read(scen *sc, const char *what, volt_val v, int64_t want) {
  if (volt_tag(v) == VOLT_ERR && volt_err_code(v) == VOLT_ENOMEM) return false;
  if (volt_tag(v) != VOLT_INT || volt_as_int(v) != want) {
    if (sc->bad++ == 0)
      snprintf(sc->bad_what, sizeof sc->bad_what, "%s: got tag %d int %lld err %d \"%s\", want %lld",
               what, (int)volt_tag(v), (long long)volt_as_int(v), volt_err_code(v),
               volt_err_msg(v), (long long)want);
    return false;
  }
  return true;
}

static void sc_on_error(volt_rt *rt, int code, const char *msg, void *ud) {
  scen *sc = ud;
  (void)rt;
  (void)msg;
  sc->errors++;
  if (code != VOLT_ENOMEM) sc->bad_errors++;
}

static void sc_count(void *ud) { (*(int *)ud)++; }

/* c1 = s1 + box(s2).v ; c2 = c1 * 2, or an ERR when c1 is odd and s3 says so */
typedef struct sc_comp {
  volt_node *s1, *s2, *s3, *c1;
} sc_comp;

static volt_val sc_c1(void *ud) {
  sc_comp *k = ud;
  volt_val a = volt_get(k->s1), b = volt_get(k->s2);
  if (volt_is_err(a)) return a;
  if (volt_is_err(b)) return b;
  if (volt_tag(b) != VOLT_PTR) return volt_err(VOLT_EINVAL, "s2 holds no box");
  return volt_int(volt_as_int(a) + ((h_box *)volt_as_ptr(b))->v);
}
static volt_val sc_c2(void *ud) {
  sc_comp *k = ud;
  volt_val c1 = volt_get(k->c1);
  volt_val s3 = volt_get(k->s3);
  if (volt_is_err(c1)) return c1;
  if (volt_is_err(s3) && volt_err_code(s3) == -1 && (volt_as_int(c1) & 1))
    return volt_err(-1, "odd");
  return volt_int(volt_as_int(c1) * 2);
}

static void sc_kid_cleanup(void *ud) { ((scen *)ud)->cleanups++; }
static void sc_kid(void *ud) {
  sc_eff *e = ud;
  e->sc->kid_runs++;
  (void)volt_get(e->b);
  sc_rc(e->sc, "volt_on_cleanup(kid)", volt_on_cleanup(e->sc->rt, sc_kid_cleanup, e->sc));
}
static void sc_eff_fn(void *ud) {
  sc_eff *e = ud;
  volt_val v = volt_get(e->a);
  e->runs++;
  if (volt_tag(v) == VOLT_INT) e->last = volt_as_int(v);
  sc_rc(e->sc, "volt_on_cleanup(effect)", volt_on_cleanup(e->sc->rt, sc_count, &e->sc->cleanups));
  if (volt_effect(e->sc->rt, sc_kid, e)) e->kids_made++;
}

static void sc_watch(volt_node *n, volt_val old, volt_val now, void *ud) {
  scen *sc = ud;
  (void)n;
  (void)old;
  sc->watch_calls++;
  sc->watch_now = volt_as_int(now);
}

typedef struct sc_scope {
  scen *sc;
  volt_node *outer;
} sc_scope;

static void sc_scope_eff(void *ud) {
  sc_scope *p = ud;
  volt_val v = volt_get(p->outer);
  if (volt_tag(v) == VOLT_INT) p->sc->scope_seen = volt_as_int(v);
}
static void sc_scope_fn(void *ud) {
  sc_scope *p = ud;
  scen *sc = p->sc;
  volt_opts o;
  memset(&o, 0, sizeof o);
  o.name = "scoped";
  sc->scope_sig = volt_signal(sc->rt, volt_err(-3, "scoped error message"), &o);
  (void)volt_effect(sc->rt, sc_scope_eff, p);
  sc_rc(sc, "volt_on_cleanup(scope)", volt_on_cleanup(sc->rt, sc_count, &sc->scope_cleanups));
}

/* Enough nodes and edges to make every internal array grow: 1100 signals
 * (more than one slab), some named, a computed summing 64 of them and an
 * effect on it, all in one scope. */
#define BULK_N 1100
#define BULK_FAN 64

typedef struct sc_bulk {
  scen *sc;
  volt_node *sig[BULK_N];
  volt_node *sum;
  int made;
  int64_t seen;
} sc_bulk;

static volt_val sc_bulk_sum(void *ud) {
  sc_bulk *b = ud;
  int64_t t = 0;
  for (int i = 0; i < BULK_FAN; i++) {
    volt_val v = volt_get(b->sig[i]);
    if (volt_is_err(v)) return v;
    t += volt_as_int(v);
  }
  return volt_int(t);
}
static void sc_bulk_eff(void *ud) {
  sc_bulk *b = ud;
  volt_val v = volt_get(b->sum);
  if (volt_tag(v) == VOLT_INT) b->seen = volt_as_int(v);
}
static void sc_bulk_fn(void *ud) {
  sc_bulk *b = ud;
  for (int i = 0; i < BULK_N; i++) {
    char name[32];
    volt_opts o;
    memset(&o, 0, sizeof o);
    snprintf(name, sizeof name, "bulk%d", i);
    o.name = i % 50 == 0 ? name : NULL;
    b->sig[i] = volt_signal(b->sc->rt, volt_int(i), &o);
    if (!b->sig[i]) return;
    b->made++;
  }
  b->sum = volt_computed(b->sc->rt, sc_bulk_sum, b, NULL);
  if (b->sum && volt_effect(b->sc->rt, sc_bulk_eff, b)) b->made++;
}

/* The scenario. Returns normally whatever fails. */
static void scenario(scen *sc) {
  volt_config cfg;
  volt_opts o1, o2, oc;
  volt_node *s1 = NULL, *s2 = NULL, *s3 = NULL, *c1 = NULL, *c2 = NULL, *eff = NULL, *scope = NULL;
  volt_watcher *w = NULL;
  sc_comp k;
  sc_scope sp;
  h_box *b0, *b1;
  int rc;
  bool all = true;

  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = &sc->alloc;
  cfg.on_error = sc_on_error;
  cfg.on_error_ud = sc;
  cfg.deferred = sc->mode == H_DEFERRED;
  if (sc->mode != H_LOOPLESS && uv_loop_init(&sc->loop) != 0) {
    sc_bad(sc, "uv_loop_init", -1);
    return;
  }
  rc = volt_rt_new(&sc->rt, sc->mode == H_LOOPLESS ? NULL : &sc->loop, &cfg);
  if (!sc_rc(sc, "volt_rt_new", rc)) {
    sc->rt = NULL;
    goto loop_out;
  }

  memset(&o1, 0, sizeof o1);
  o1.name = "s1";
  s1 = volt_signal(sc->rt, volt_int(1), &o1);
  memset(&o2, 0, sizeof o2);
  o2.name = "s2 with a longer name";
  o2.release = h_box_release;
  o2.ud = &sc->pool;
  b0 = h_box_new(&sc->pool, 10);
  s2 = volt_signal(sc->rt, volt_ptr(b0), &o2); /* NULL: b0 released */
  strcpy(sc->msgbuf, "initial message");
  s3 = volt_signal(sc->rt, volt_err(-2, sc->msgbuf), NULL);
  memset(sc->msgbuf, 'X', sizeof sc->msgbuf - 1);
  all = s1 && s2 && s3;
  if (!all) goto close;

  k.s1 = s1;
  k.s2 = s2;
  k.s3 = s3;
  memset(&oc, 0, sizeof oc);
  oc.name = "c1";
  c1 = volt_computed(sc->rt, sc_c1, &k, &oc);
  k.c1 = c1;
  c2 = c1 ? volt_computed(sc->rt, sc_c2, &k, NULL) : NULL;
  if (!c1 || !c2) {
    all = false;
    goto close;
  }
  (void)sc_read(sc, "volt_get(c2) first", volt_get(c2), 22);

  sc->e1.sc = sc;
  sc->e1.a = c2;
  sc->e1.b = s1;
  eff = volt_effect(sc->rt, sc_eff_fn, &sc->e1);
  w = volt_watch(c1, sc_watch, sc);
  sp.sc = sc;
  sp.outer = s1;
  scope = volt_scope(sc->rt, sc_scope_fn, &sp);
  if (!sc_rc(sc, "volt_on_cleanup(root)", volt_on_cleanup(sc->rt, sc_count, &sc->root_cleanups)))
    all = false;
  if (!eff || !w || !scope || !sc->scope_sig) all = false;

  {
    sc_bulk *bk = calloc(1, sizeof *bk);
    volt_node *bscope;
    if (!bk) {
      sc_bad(sc, "calloc", 0);
      goto close;
    }
    bk->sc = sc;
    bscope = volt_scope(sc->rt, sc_bulk_fn, bk);
    if (bscope && bk->made == BULK_N + 1) {
      if (bk->seen != BULK_FAN * (BULK_FAN - 1) / 2) {
        (void)sc_read(sc, "volt_get(bulk sum)", volt_get(bk->sum), BULK_FAN * (BULK_FAN - 1) / 2);
      }
      sc_rc(sc, "volt_set(bulk)", volt_set(bk->sig[3], volt_int(1003)));
      if (sc->mode == H_DEFERRED) sc_rc(sc, "volt_flush(bulk)", volt_flush(sc->rt));
      (void)sc_read(sc, "volt_get(bulk sum) after", volt_get(bk->sum),
                    BULK_FAN * (BULK_FAN - 1) / 2 + 1000);
      sc->bulk_seen = bk->seen;
    } else {
      all = false;
    }
    volt_dispose(bscope);
    free(bk);
  }

  /* a batch of writes */
  sc_rc(sc, "volt_batch_begin", volt_batch_begin(sc->rt));
  sc_rc(sc, "volt_set(s1)", volt_set(s1, volt_int(2)));
  b1 = h_box_new(&sc->pool, 20);
  /* s2 holds a PTR to release: the write keeps it a place to wait for the
   * end of the flush, or returns VOLT_ENOMEM and changes nothing. */
  sc->s2_kept = !sc_rc(sc, "volt_set(s2)", volt_set(s2, volt_ptr(b1)));
  strcpy(sc->msgbuf, "second message");
  sc_rc(sc, "volt_set(s3)", volt_set(s3, volt_err(-1, sc->msgbuf)));
  memset(sc->msgbuf, 'Y', sizeof sc->msgbuf - 1);
  sc_rc(sc, "volt_set(s1) again", volt_set(s1, volt_int(3)));
  sc_rc(sc, "volt_batch_end", volt_batch_end(sc->rt));
  if (sc->mode == H_DEFERRED) sc_rc(sc, "volt_flush", volt_flush(sc->rt));

  /* single writes outside a batch */
  sc_rc(sc, "volt_set(s1) single", volt_set(s1, volt_int(4)));
  sc_rc(sc, "volt_flush", volt_flush(sc->rt));
  {
    volt_val v = volt_get(c2);
    sc->final_c2 = volt_tag(v) == VOLT_INT ? volt_as_int(v) : -1;
    (void)sc_read(sc, "volt_get(c2) final", v, sc->s2_kept ? 28 : 48); /* (4 + 10 or 20) * 2 */
  }
  {
    volt_val v = volt_peek(s3);
    /* a message whose copy failed may be dropped; the code stays */
    const char *m = volt_err_msg(v);
    if (!(volt_err_code(v) == -1 && (!strcmp(m, "second message") || !*m)) &&
        !(volt_err_code(v) == -2 && (!strcmp(m, "initial message") || !*m)))
      sc_bad(sc, "volt_peek(s3) message", volt_err_code(v));
  }
  {
    volt_stats_t st;
    sc_rc(sc, "volt_stats", volt_stats(sc->rt, &st));
  }
  {
    FILE *f = tmpfile();
    if (f) {
      rc = volt_dump_dot(sc->rt, f);
      if (rc != 0 && rc != VOLT_ENOMEM) sc_bad(sc, "volt_dump_dot", rc);
      fclose(f);
    }
  }
  if (w) {
    rc = volt_unwatch(w);
    if (rc != 0) sc_bad(sc, "volt_unwatch", rc);
  }
  volt_dispose(eff);
  volt_dispose(scope);
  volt_dispose(c2);

close:
  volt_rt_close(sc->rt, sc_count, &sc->closed);
  if (sc->mode == H_LOOPLESS && sc->closed != 1) sc_bad(sc, "on_closed before return", sc->closed);
loop_out:
  if (sc->mode != H_LOOPLESS) {
    rc = uv_run(&sc->loop, UV_RUN_DEFAULT);
    if (rc != 0) sc_bad(sc, "uv_run", rc);
    rc = uv_loop_close(&sc->loop);
    if (rc != 0) sc_bad(sc, "uv_loop_close", rc);
  }
  if (sc->rt && sc->closed != 1) sc_bad(sc, "on_closed calls", sc->closed);
  sc->complete = all;
}

static void check_run(const scen *sc, size_t n) {
  ck_assert_msg(sc->bad == 0, "fail at %zu: %s (%d violations)", n, sc->bad_what, sc->bad);
  ck_assert_msg(sc->bad_errors == 0, "fail at %zu: on_error heard a code other than ENOMEM", n);
  ck_assert_msg(sc->alloc.live_bytes == 0, "fail at %zu: %zu bytes (%zu blocks) leaked", n,
                sc->alloc.live_bytes, sc->alloc.live_blocks);
  ck_assert_msg(sc->alloc.bad_old_size == 0, "fail at %zu: %zu wrong old sizes", n,
                sc->alloc.bad_old_size);
  ck_assert_msg(sc->alloc.bad_pointer == 0, "fail at %zu: foreign pointer freed", n);
  ck_assert_msg(h_pool_unreleased(&sc->pool) == 0, "fail at %zu: %d PTR values never released",
                n, h_pool_unreleased(&sc->pool));
  ck_assert_msg(h_pool_overreleased(&sc->pool) == 0, "fail at %zu: a PTR value released twice",
                n);
  ck_assert_msg(sc->pool.bad == 0, "fail at %zu: release hook got a foreign value", n);
}

static void check_complete(const scen *sc) {
  ck_assert(sc->complete);
  ck_assert_int_eq(sc->final_c2, 48); /* (4 + 20) * 2 */
  ck_assert_int_eq(sc->e1.runs, 3);   /* creation, batch, single write */
  ck_assert_int_eq(sc->e1.last, 48);
  ck_assert_int_eq(sc->e1.kids_made, 3);
  ck_assert_int_eq(sc->watch_calls, 2);
  ck_assert_int_eq(sc->watch_now, 24);
  ck_assert_int_eq(sc->scope_seen, 4);
  ck_assert_int_eq(sc->bulk_seen, BULK_FAN * (BULK_FAN - 1) / 2 + 1000);
  ck_assert_int_eq(sc->scope_cleanups, 1);
  ck_assert_int_eq(sc->root_cleanups, 1);
  ck_assert_int_eq(sc->errors, 0);
  ck_assert_int_eq(sc->closed, 1);
}

static void run_all_points(int mode, bool fail_all_after) {
  size_t n, total;
  scen *sc = malloc(sizeof *sc);
  ck_assert_ptr_nonnull(sc);

  /* a clean run first: counts the allocation points */
  memset(sc, 0, sizeof *sc);
  h_pool_init(&sc->pool);
  sc->mode = mode;
  scenario(sc);
  check_run(sc, 0);
  check_complete(sc);
  total = sc->alloc.calls;
  ck_assert_uint_gt(total, 5);

  for (n = 1; n < 100000; n++) {
    memset(sc, 0, sizeof *sc);
    h_pool_init(&sc->pool);
    sc->mode = mode;
    sc->alloc.fail_at = n;
    sc->alloc.fail_all_after = fail_all_after;
    scenario(sc);
    check_run(sc, n);
    if (sc->alloc.injected == 0) break; /* ran to the end untouched */
  }
  ck_assert_uint_lt(n, 100000);
  ck_assert_uint_ge(n, total);
  if (getenv("VOLT_TEST_VERBOSE"))
    fprintf(stderr, "# mode %d%s: %zu allocations in the clean run, %zu runs\n", mode,
            fail_all_after ? " (fail from n on)" : "", total, n); /* every point of the clean run was tried */
  check_complete(sc);
  free(sc);
}

START_TEST(fail_nth_allocation_loopless) { run_all_points(H_LOOPLESS, false); }
END_TEST

START_TEST(fail_nth_allocation_loop) { run_all_points(H_LOOP, false); }
END_TEST

START_TEST(fail_nth_allocation_deferred) { run_all_points(H_DEFERRED, false); }
END_TEST

START_TEST(fail_from_nth_allocation_on) { run_all_points(_i, true); }
END_TEST

/* The runtime allocation itself fails: VOLT_ENOMEM, *out untouched, the
 * loop stays closable. */
START_TEST(rt_new_enomem) {
  uv_loop_t loop;
  h_alloc a;
  volt_config cfg;
  volt_rt *rt = (volt_rt *)&a;

  ck_assert_int_eq(uv_loop_init(&loop), 0);
  h_alloc_init(&a);
  a.fail_at = 1;
  a.fail_all_after = true;
  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = &a;
  ck_assert_int_eq(volt_rt_new(&rt, &loop, &cfg), VOLT_ENOMEM);
  ck_assert_ptr_eq(rt, (volt_rt *)&a);
  ck_assert_int_eq(volt_rt_new(&rt, NULL, &cfg), VOLT_ENOMEM);
  ck_assert_uint_eq(a.live_bytes, 0);
  ck_assert_uint_gt(a.injected, 0);
  ck_assert_int_eq(uv_run(&loop, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&loop), 0);
}
END_TEST

/* A signal whose creation fails releases its initial PTR value. */
START_TEST(signal_enomem_releases_init) {
  h_env e;
  h_pool pool;
  volt_opts o;
  volt_node *s = NULL;
  int tries = 0;

  h_pool_init(&pool);
  memset(&o, 0, sizeof o);
  o.name = "named so that an extension is needed";
  o.release = h_box_release;
  o.ud = &pool;
  h_env_open(&e, _i, NULL);
  e.alloc.fail_at = e.alloc.calls + 1;
  e.alloc.fail_all_after = true;
  s = volt_signal(e.rt, volt_ptr(h_box_new(&pool, 1)), &o);
  ck_assert_ptr_null(s);
  ck_assert_int_eq(pool.box[0].released, 1);
  /* with memory back, it works */
  e.alloc.fail_at = 0;
  while (!s && tries++ < 3) s = volt_signal(e.rt, volt_ptr(h_box_new(&pool, 2)), &o);
  ck_assert_ptr_nonnull(s);
  ck_assert_int_eq(tries, 1);
  h_env_close(&e);
  ck_assert_int_eq(h_pool_unreleased(&pool), 0);
  ck_assert_int_eq(h_pool_overreleased(&pool), 0);
}
END_TEST

static Suite *alloc_suite(void) {
  Suite *s = suite_create("alloc");
  TCase *tc = h_tcase(s, "failmalloc");
  tcase_set_timeout(tc, 600);
  tcase_add_test(tc, rt_new_enomem);
  tcase_add_loop_test(tc, signal_enomem_releases_init, 0, 2);
  tcase_add_test(tc, fail_nth_allocation_loopless);
  tcase_add_test(tc, fail_nth_allocation_loop);
  tcase_add_test(tc, fail_nth_allocation_deferred);
  tcase_add_loop_test(tc, fail_from_nth_allocation_on, 0, 3);
  return s;
}

int main(void) { return h_run(alloc_suite()); }
