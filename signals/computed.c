/* signals/computed.c - the computed kind: a lazy, cached derived value.
 *
 * Evaluated when read or observed and a dependency really changed (the
 * update op); owns what its function creates. When its last subscriber
 * leaves it drops its own dependencies (the unwatched op) and is evaluated
 * again when read or observed again; one only ever read at top level
 * keeps its dependencies and stays cached.
 *
 * Deep chains: the only recursion in volt is a computed's function reading
 * a computed never evaluated. When the C stack runs low, the evaluation is
 * not made: the node is left for the shallow end (c->defer), every
 * evaluation above it unwinds (c->aborting) and throws its result away,
 * and the outermost one evaluates the deferred nodes, deepest first, then
 * tries again.
 */
#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* pthread_getattr_np */
#endif
#include <pthread.h>

#include "signals/internal.h"

#define MAX_NEST 2000u

void volt__stack_init(volt__core *c) {
  c->stack_limit = NULL;
#if defined(__linux__) && defined(__GLIBC__)
  pthread_attr_t a;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    void *lo = NULL;
    size_t size = 0;
    if (pthread_attr_getstack(&a, &lo, &size) == 0 && lo && size) {
      /* A reserve for user code, the C library and the sanitizers. */
      size_t reserve = size / 2;
      if (reserve > 256 * 1024) reserve = 256 * 1024;
      if (reserve < 24 * 1024) reserve = size > 48 * 1024 ? 24 * 1024 : size / 2;
      c->stack_limit = (const char *)lo + reserve;
    }
    pthread_attr_destroy(&a);
  }
#endif
}

static bool stack_low(const volt__core *c) {
  char here;
  if (c->evaluating < 8) return false; /* always some progress */
  if (c->evaluating > MAX_NEST) return true;
  return c->stack_limit && (const char *)&here < c->stack_limit;
}

/* Runs the function as user code tracked by n, which owns what it makes. */
static inline volt_val run_fn(volt__core *c, volt_node *n) {
  volt__context saved;
  volt__enter(c, &saved, (volt__context){n, n, true});
  n->deps_tail = 0;
  n->flags = (n->flags & ~(VOLT__F_DIRTY | VOLT__F_PENDING | VOLT__F_LOST)) | VOLT__F_RUNNING;
  c->evaluating++;
  volt_val v = n->u.f.fn.compute(n->u.f.ud);
  c->evaluating--;
  n->flags &= ~VOLT__F_RUNNING;
  volt__leave(c, &saved);
  if (!volt__val_ok(v)) v = volt_err(VOLT_EINVAL, "a computed returned a value of unknown tag");
  v.flags = 0; /* what it returns is its own or borrowed, never ours to free */
  return v;
}

/* After the run: drops what it no longer read and stores v, unless the
 * node was disposed meanwhile, the evaluation is unwinding (deep chains),
 * or memory ran out. True when the value changed. */
static bool finish(volt__core *c, volt_node *n, volt_val v) {
  if (n->flags & VOLT__F_DISPOSED) {
    volt__release_now(c, n, v); /* through the hook the disposal kept */
    volt__run_ended(c, n);
    return false;
  }
  volt__trim(c, n);
  if (n->flags & VOLT__F_DISPOSED) { /* by an unwatched hook the trim ran */
    volt__release_now(c, n, v);
    volt__run_ended(c, n);
    return false;
  }
  if (c->aborting) { /* computed from placeholders */
    if (v.tag != VOLT_PTR || !(n->flags & VOLT__F_HAS_VALUE) || v.u.p != volt__stored(n).u.p)
      volt__release_now(c, n, v);
    n->flags |= VOLT__F_DIRTY;
    return false;
  }
  if ((n->flags & VOLT__F_HAS_VALUE) && volt__holds_owned(n) && volt__graves_room(c, 1)) {
    /* No room for the old value to wait: keep it, evaluate again later. */
    volt__release_now(c, n, v);
    n->flags |= VOLT__F_DIRTY;
    c->resync = true;
    return false;
  }
  if (n->flags & VOLT__F_LOST) { /* a dependency was not recorded */
    volt__release_now(c, n, v);
    v = volt_err(VOLT_ENOMEM, NULL);
    n->flags |= VOLT__F_DIRTY;
    c->resync = true; /* its readers are checked again at the next flush */
  }
  return volt__store(c, n, v);
}

static bool evaluate(volt__core *c, volt_node *n) {
  if (n->flags & VOLT__F_OWNS) volt__reset_owner(c, n); /* children go, cleanups run */
  if (n->flags & VOLT__F_DISPOSED) return false;
  return finish(c, n, run_fn(c, n));
}

/* The plain path: the deep-chain bookkeeping around each evaluation. A
 * value it read that changed during the run (a child effect wrote it)
 * leaves the node DIRTY: it is evaluated again, at most max_rounds times. */
static bool update_general(volt__core *c, volt_node *n) {
  if (n->flags & (VOLT__F_DISPOSED | VOLT__F_RUNNING)) return false;
  bool any = false;
  for (unsigned again = 0;; again++) {
    if (c->aborting) {
      if (c->evaluating > 0 || c->in_deferred) { /* unwinding */
        n->flags |= VOLT__F_DIRTY;
        return false;
      }
      volt__run_deferred(c);
    }
    if (stack_low(c) && VOLT__PUSH(c, c->defer, n) == 0) {
      c->aborting = true;
      n->flags |= VOLT__F_DIRTY;
      return false;
    }
    bool changed = evaluate(c, n);
    if (!c->aborting) {
      any |= changed;
      /* Changed under its own run, not by a failure (those set resync). */
      if ((n->flags & (VOLT__F_DIRTY | VOLT__F_DISPOSED)) != VOLT__F_DIRTY || c->resync ||
          again >= c->max_rounds)
        return any;
      continue;
    }
    if (c->evaluating > 0 || c->in_deferred) return false; /* an outer level goes on */
    volt__run_deferred(c);
    if (n->flags & VOLT__F_DISPOSED) return false;
  }
}

#if VOLT_FAST_PATHS
/* The end of a fast evaluation that met anything unusual: as the plain
 * path would have gone on. */
__attribute__((noinline)) static bool fast_unusual(volt__core *c, volt_node *n, volt_val v) {
  bool changed = finish(c, n, v);
  if (!c->aborting) return changed;
  if (c->evaluating > 0 || c->in_deferred) return false;
  volt__run_deferred(c);
  if (n->flags & VOLT__F_DISPOSED) return false;
  return update_general(c, n);
}
#endif

static bool computed_update(volt__core *c, volt_node *n) {
#if VOLT_FAST_PATHS
  /* Fast path: nothing to tear down first, not deep, not unwinding; after
   * the run, nothing disposed, lost or to release. Tested against the
   * plain path by the differential model test and the fuzzer in both
   * builds. */
  if (!((n->flags & (VOLT__F_DISPOSED | VOLT__F_RUNNING | VOLT__F_OWNS)) | c->aborting) &&
      c->evaluating < 8) {
    volt_val v = run_fn(c, n);
    if ((n->flags & (VOLT__F_DISPOSED | VOLT__F_LOST | VOLT__F_RELEASE)) | c->aborting)
      return fast_unusual(c, n, v);
    volt__trim(c, n);
    if (n->flags & VOLT__F_DISPOSED) return fast_unusual(c, n, v); /* by a hook the trim ran */
    bool changed = volt__store(c, n, v);
    if (n->flags & VOLT__F_DIRTY) changed |= update_general(c, n); /* changed under its run */
    return changed;
  }
#endif
  return update_general(c, n);
}

void volt__run_deferred(volt__core *c) {
  if (c->in_deferred) return;
  c->in_deferred = true;
  while (c->defer.len) {
    volt_node *d = c->defer.at[c->defer.len - 1];
    uint32_t before = c->defer.len;
    c->aborting = false;
    volt__refresh(c, d);
    if (c->defer.len == before) c->defer.len--; /* else deeper work first */
  }
  c->aborting = false;
  c->in_deferred = false;
}

static void computed_unwatched(volt__core *c, volt_node *n) { volt__orphan(c, n); }

volt__kind volt__computed_kind = {.name = "computed", .update = computed_update,
                                .unwatched = computed_unwatched, .traits = VOLT__KIND_VALUE};

volt_node *volt_computed(volt_rt *rt, volt_val (*fn)(void *ud), void *ud, const volt_opts *opts) {
  if (!rt || !fn) return NULL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, NULL);
  volt_node *n = volt__node_new(c, &volt__computed_kind, VOLT__F_DIRTY, opts);
  if (!n) return NULL;
  n->u.f.fn.compute = fn;
  n->u.f.ud = ud;
  return n;
}
