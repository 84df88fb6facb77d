/* tests/test_badinput.c - the bad-input table: every public function of
 * the headers in include/volt/ called with NULL and invalid arguments (wrong node kind,
 * unknown flags, out-of-range value tags, acks that are NONE, forged,
 * repeated, from another runtime or after the close began), from a thread
 * that is not the loop's, and after a disposal or a close where the docs
 * say what happens then. Each row returns the result docs/api.md documents
 * for that function and changes nothing.
 *
 * The table (`rows`, below) has one row per function and bad input: the
 * function, the input, the documented result, and how the row is set up.
 * Each row is its own Check test (tcase_add_loop_test over the table; a
 * failure names the row's index, function and input, and row i is TAP test
 * i + 1, which names a row that crashed). A row:
 *
 *  1. opens a runtime (a fresh uv loop unless the row is loop-less) and
 *     builds the fixture: a named signal s = 1, a computed c = 2 * s, an
 *     effect reading c (its runs counted), a watcher on s (its calls
 *     counted), a scope, an event with two tokens made pending by one
 *     occurrence (7), a token whose ack was used once already, a signal
 *     and an event with a release hook (their PTR values are boxes whose
 *     releases are counted), and, on a loop, an idle action and an
 *     unwatched timer source;
 *  2. runs the row's own setup (a second runtime, a join, a disposed
 *     token, streams, the close...);
 *  3. takes a snapshot: every field of volt_stats, the counting
 *     allocator's live bytes and blocks, and peeks of the fixture (s, c,
 *     the event, the effect's runs, the watcher's calls, every token's
 *     status, the pending ack and stamp, the action's status, version and
 *     work in flight, the releases of boxes); takes it twice, to show that
 *     looking changes nothing;
 *  4. makes the call - on the loop thread, or (F_THREAD) on a new thread
 *     that only records what it got; the loop thread asserts after the
 *     join - and lets the loop apply what a thread queued (F_PUMP);
 *  5. checks the result against the table, the snapshot against the one
 *     before, and, unless the runtime is closed, that the graph still works
 *     (a write of s runs the effect once and c follows);
 *  6. closes everything: on_closed once, uv_loop_close == 0, no live
 *     bytes, and no callback handed to a refused call ever ran.
 *
 * Functions that take no checkable input, and so have no row: the
 * constructors and accessors of value.h (volt_nil, volt_bool, volt_int,
 * volt_num, volt_ptr, volt_err, volt_tag, volt_is_nil, volt_is_err,
 * volt_as_*, volt_err_code, volt_err_msg) and of token.h (volt_ack_none,
 * volt_ack_is_none, volt_ack_eq) are static inline pure functions of a
 * value passed by value: every input is valid (an accessor of the wrong
 * tag gives its zero value), and nothing is changed. Every function the
 * shared library exports (nm -D) has at least one row.
 *
 * Rows that do not exist, and why: volt_token and volt_action "after the
 * close began" (the close disposed every node, so no source is left to
 * pass; their closing check is covered through the other constructors);
 * volt_emit_async from another thread on a node that is not an event (the
 * docs say it is not checked there: the node's record is the loop
 * thread's); a second volt_dispose or volt_unwatch of the same node (the
 * docs say it must not be used again, as after free).
 */
#include "harness.h"

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------------------
 * What a row is
 * ------------------------------------------------------------------------ */

/* The fixture (see the top of the file). */
typedef struct fx {
  h_env e;
  int mode;
  volt_node *s, *c, *eff, *sc, *ev, *tok, *tokb, *ev2, *tok2, *ev3, *act, *tsrc;
  volt_node *sp, *evp; /* a signal and an event with a release hook (PTR values) */
  h_pool pool;         /* their boxes; a refused call's box stays the caller's */
  volt_watcher *w;
  volt_ack ack, ackb; /* the pending acks of tok and tokb */
  volt_ack used;      /* tok2's ack, acked once already */
  int runs;           /* the effect's runs */
  int wcalls;         /* the watcher's calls */
  int stray;          /* callbacks handed to refused calls that ran anyway */
  bool closed_rt;     /* the row's setup closed the runtime */
  bool held;          /* an acquire the row's setup took */
  /* F_RT2: a second runtime on its own loop, with a pending token */
  bool has_e2;
  h_env e2;
  volt_node *ev_r2, *tok_r2;
  volt_ack ack_r2;
  /* row setups */
  volt_node *inner;   /* a computed whose function makes a call that is refused there */
  int inner_rc;       /* what that call returned (INT_MIN: not made yet) */
  volt_ack join;      /* a join of ack and ackb */
  volt_ack disposed;  /* the ack of a pending token that was disposed */
  FILE *file;
  bool streams;
  uv_loop_t loop2;
  uv_pipe_t pipe_other, pipe_closing;
  uv_tcp_t tcp_unread;
  int fds_other[2], fds_closing[2];
} fx;

/* What a call gave; every member starts as a value no documented result
 * has, so a body that forgets to record fails its row. */
typedef struct out {
  int rc;
  int64_t i64;
  const void *ptr;
  volt_val v;
  volt_ack ack;
  const char *str;
  int b; /* a bool result: 0 or 1; -1 until recorded */
  const char *bad; /* a side effect the body saw that must not happen */
} out;

typedef void body(fx *f, out *o);

/* The documented result. */
enum want {
  W_INT,   /* o->rc == code */
  W_I64,   /* o->i64 == code */
  W_NULL,  /* o->ptr == NULL */
  W_ERR,   /* o->v is a VOLT_ERR with code */
  W_NIL,   /* o->v is NIL */
  W_NONE,  /* volt_ack_is_none(o->ack) */
  W_VOID,  /* nothing to return: the snapshot and the side checks say it */
  W_STR,   /* o->str equals str */
  W_BOOL   /* o->b == code */
};

/* How the row is set up. */
enum {
  F_LOOPLESS = 1u << 0, /* a loop-less runtime (no action, no timer source) */
  F_THREAD = 1u << 1,   /* the call runs on a new thread, which only records */
  F_PUMP = 1u << 2,     /* then the loop applies what the thread queued */
  F_CLOSED = 1u << 3,   /* volt_rt_close was called before the snapshot */
  F_HOLD = 1u << 4,     /* volt_rt_acquire before (and volt_rt_release after) */
  F_RT2 = 1u << 5,      /* a second runtime with a pending token */
  F_STREAMS = 1u << 6,  /* streams for volt_read_source */
  F_FILE = 1u << 7,     /* a temporary file for volt_dump_dot */
  F_OTHER_LOOP = 1u << 8 /* with F_THREAD: the thread is another runtime's loop thread */
};

typedef struct row {
  const char *fn;    /* the public function */
  const char *input; /* the bad input */
  enum want want;    /* the documented result ... */
  int code;          /* ... its code (W_INT, W_I64, W_ERR, W_BOOL) */
  const char *str;   /* ... or its string (W_STR) */
  unsigned flags;
  body *prep; /* the row's own setup, before the snapshot (may be NULL) */
  body *call;
} row;

/* The calls (defined after the table). */
static body rt_new_null_out, rt_new_deferred_loopless, rt_close_null, rt_close_again,
    rt_close_plain, rt_acquire_null, rt_acquire, rt_release_null, rt_release_unmatched,
    rt_loop_null;
static body stats_null_rt, stats_null_out, stats_ok, dot_null_rt, dot_null_file, dot_file,
    name_null, name_s, node_rt_null, node_rt_s;
static body signal_null_rt, signal_tag6, signal_tag8, signal_tag16, signal_tag32, signal_ok,
    computed_null_rt, computed_null_fn, computed_ok, effect_null_rt, effect_null_fn, effect_ok;
static body signal_ptr_null_rt, signal_ptr_ok, set_computed_ptr, set_sp_ptr, emit_evp_ptr,
    emit_async_evp_ptr;
static body emit_async_evp_tag;
static body set_null, set_computed, set_effect, set_event, set_token, set_timer, set_tag6,
    set_tag8, set_tag16, set_tag32, set_ok;
static body get_null, get_effect, get_scope, get_s, peek_null, peek_effect, peek_scope, peek_s;
static body untrack_null_rt, untrack_null_fn, untrack_ok;
static body batch_begin_null, batch_begin_ok, batch_end_null, batch_end_ok, flush_null, flush_ok;
static body watch_null, watch_null_cb, watch_effect, watch_scope, watch_ok, unwatch_null,
    unwatch_signal, unwatch_ok;
static body scope_null_rt, scope_null_fn, scope_ok, cleanup_null_rt, cleanup_null_fn,
    cleanup_ok, dispose_null, dispose_s;
static body token_null_rt, token_null_src, token_flag8, token_flag_high, token_src_effect,
    token_src_scope, token_src_rt2, token_ok;
static body status_null, status_signal, status_event, status_tok, tack_null, tack_signal,
    tack_tok, terr_null, terr_signal, terr_tok, tstamp_null, tstamp_computed, tstamp_tok;
static body ack_none, ack_none_rt, ack_gen_next, ack_gen_prev, ack_sweep, ack_random,
    ack_null_rt, ack_used, ack_rt2, ack_disposed, ack_pending, ack_join_twice;
static body fail_none, fail_gen_next, fail_used, fail_pending;
static body join_null_rt, join_null_acks, join_empty, join_nones, join_stale, join_rt2, join_live;
static body event_null_rt, event_ok, event_opts_null_rt, event_opts_ok, emit_null,
    emit_signal, emit_token, emit_timer, emit_tag8, emit_tag32, emit_ok, emit_async_null,
    emit_async_signal, emit_async_timer, emit_async_tag16, emit_async_ok;
static body timer_null_rt, timer_ok, read_null_rt, read_null_stream, read_other_loop,
    read_closing, read_unreadable, fs_null_rt, fs_null_path, fs_empty, fs_missing, fs_ok,
    sig_zero, sig_negative, sig_kill, sig_stop, sig_unknown, sig_null_rt, sig_ok;
static body dispatch_none, dispatch_null_work, dispatch_gen_next, dispatch_used,
    dispatch_null_rt, dispatch_join, dispatch_rt2, dispatch_disposed, dispatch_ok,
    work_stamp_null, work_cancelled_null;
static body action_null_rt, action_null_src, action_null_work, action_flags,
    action_src_effect, action_src_rt2, action_ok, avalue_null, avalue_token, avalue_act,
    aversion_null, aversion_token, aversion_act, ainflight_null, ainflight_signal,
    ainflight_act;
static body val_eq_tag32, strerror_unknown, strerror_min, err_name_unknown;
static body peek_inner;

/* Row setups. */
static body p_join, p_join_acked, p_disposed_token, p_file_readonly, p_in_computed_set,
    p_in_computed_emit, p_in_computed_ack, p_in_computed_fail, p_in_computed_dispatch;

/* ------------------------------------------------------------------------
 * The table
 * ------------------------------------------------------------------------ */

#define EINV VOLT_EINVAL
#define ETHR VOLT_ETHREAD
#define ESTL VOLT_ESTALE
#define ECLS VOLT_ECLOSING

static const row rows[] = {
    /* function, input, result, code, string, setup flags, setup, call */
    /* ---- runtime (volt.h) ---- */
    {"volt_rt_new", "NULL out", W_INT, EINV, NULL, 0, NULL, rt_new_null_out},
    {"volt_rt_new", "deferred without a loop", W_INT, EINV, NULL, 0, NULL, rt_new_deferred_loopless},
    {"volt_rt_close", "NULL rt", W_VOID, 0, NULL, 0, NULL, rt_close_null},
    {"volt_rt_close", "from another thread", W_VOID, 0, NULL, F_THREAD, NULL, rt_close_plain},
    {"volt_rt_close", "again after the close began", W_VOID, 0, NULL, F_CLOSED, NULL, rt_close_again},
    {"volt_rt_acquire", "NULL rt", W_INT, EINV, NULL, 0, NULL, rt_acquire_null},
    {"volt_rt_acquire", "after the close began", W_INT, ECLS, NULL, F_CLOSED, NULL, rt_acquire},
    {"volt_rt_acquire", "after the close began, from another thread", W_INT, ECLS, NULL,
     F_CLOSED | F_HOLD | F_THREAD, NULL, rt_acquire},
    {"volt_rt_release", "NULL rt", W_VOID, 0, NULL, 0, NULL, rt_release_null},
    {"volt_rt_release", "no hold outstanding", W_VOID, 0, NULL, 0, NULL, rt_release_unmatched},
    {"volt_rt_release", "no hold outstanding, loop-less", W_VOID, 0, NULL, F_LOOPLESS, NULL,
     rt_release_unmatched},
    {"volt_rt_loop", "NULL rt", W_NULL, 0, NULL, 0, NULL, rt_loop_null},
    /* ---- stats and debugging (graph.h) ---- */
    {"volt_stats", "NULL rt", W_INT, EINV, NULL, 0, NULL, stats_null_rt},
    {"volt_stats", "NULL out", W_INT, EINV, NULL, 0, NULL, stats_null_out},
    {"volt_stats", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, stats_ok},
    {"volt_dump_dot", "NULL rt", W_INT, EINV, NULL, F_FILE, NULL, dot_null_rt},
    {"volt_dump_dot", "NULL file", W_INT, EINV, NULL, 0, NULL, dot_null_file},
    {"volt_dump_dot", "from another thread", W_INT, ETHR, NULL, F_FILE | F_THREAD, NULL, dot_file},
    {"volt_dump_dot", "a stream opened for reading", W_INT, UV_EIO, NULL, 0, p_file_readonly,
     dot_file},
    {"volt_node_name", "NULL node", W_STR, 0, "", 0, NULL, name_null},
    {"volt_node_name", "from another thread", W_STR, 0, "", F_THREAD, NULL, name_s},
    {"volt_node_name", "from another runtime's loop thread", W_STR, 0, "", F_THREAD | F_OTHER_LOOP,
     NULL, name_s},
    {"volt_node_rt", "NULL node", W_NULL, 0, NULL, 0, NULL, node_rt_null},
    {"volt_node_rt", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, node_rt_s},
    {"volt_node_rt", "from another runtime's loop thread", W_NULL, 0, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, node_rt_s},
    /* ---- signals, computeds, effects (graph.h) ---- */
    {"volt_signal", "NULL rt", W_NULL, 0, NULL, 0, NULL, signal_null_rt},
    {"volt_signal", "init of tag 6", W_NULL, 0, NULL, 0, NULL, signal_tag6},
    {"volt_signal", "init of tag 8", W_NULL, 0, NULL, 0, NULL, signal_tag8},
    {"volt_signal", "init of tag 16", W_NULL, 0, NULL, 0, NULL, signal_tag16},
    {"volt_signal", "init of tag 32", W_NULL, 0, NULL, 0, NULL, signal_tag32},
    {"volt_signal", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, signal_ok},
    {"volt_signal", "NULL rt, a PTR init with a release hook (stays the caller's)", W_NULL, 0, NULL,
     0, NULL, signal_ptr_null_rt},
    {"volt_signal", "from another thread, a PTR init with a release hook (stays the caller's)",
     W_NULL, 0, NULL, F_THREAD, NULL, signal_ptr_ok},
    {"volt_signal", "from another runtime's loop thread", W_NULL, 0, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, signal_ok},
    {"volt_signal", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, signal_ok},
    {"volt_computed", "NULL rt", W_NULL, 0, NULL, 0, NULL, computed_null_rt},
    {"volt_computed", "NULL fn", W_NULL, 0, NULL, 0, NULL, computed_null_fn},
    {"volt_computed", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, computed_ok},
    {"volt_computed", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, computed_ok},
    {"volt_effect", "NULL rt", W_NULL, 0, NULL, 0, NULL, effect_null_rt},
    {"volt_effect", "NULL fn", W_NULL, 0, NULL, 0, NULL, effect_null_fn},
    {"volt_effect", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, effect_ok},
    {"volt_effect", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, effect_ok},
    {"volt_set", "NULL node", W_INT, EINV, NULL, 0, NULL, set_null},
    {"volt_set", "a computed", W_INT, EINV, NULL, 0, NULL, set_computed},
    {"volt_set", "a computed, a PTR value (stays the caller's)", W_INT, EINV, NULL, 0, NULL,
     set_computed_ptr},
    {"volt_set", "from another thread, a PTR value (stays the caller's)", W_INT, ETHR, NULL,
     F_THREAD, NULL, set_sp_ptr},
    {"volt_set", "an effect", W_INT, EINV, NULL, 0, NULL, set_effect},
    {"volt_set", "an event", W_INT, EINV, NULL, 0, NULL, set_event},
    {"volt_set", "a token", W_INT, EINV, NULL, 0, NULL, set_token},
    {"volt_set", "a timer source", W_INT, EINV, NULL, 0, NULL, set_timer},
    {"volt_set", "a value of tag 6", W_INT, EINV, NULL, 0, NULL, set_tag6},
    {"volt_set", "a value of tag 8", W_INT, EINV, NULL, 0, NULL, set_tag8},
    {"volt_set", "a value of tag 16", W_INT, EINV, NULL, 0, NULL, set_tag16},
    {"volt_set", "a value of tag 32", W_INT, EINV, NULL, 0, NULL, set_tag32},
    {"volt_set", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, set_ok},
    {"volt_set", "inside a computed's function", W_INT, VOLT_EPERM, NULL, 0, p_in_computed_set,
     peek_inner},
    {"volt_set", "from another runtime's loop thread", W_INT, ETHR, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, set_ok},
    {"volt_get", "NULL node", W_ERR, EINV, NULL, 0, NULL, get_null},
    {"volt_get", "an effect", W_ERR, EINV, NULL, 0, NULL, get_effect},
    {"volt_get", "a scope", W_ERR, EINV, NULL, 0, NULL, get_scope},
    {"volt_get", "from another thread", W_ERR, ETHR, NULL, F_THREAD, NULL, get_s},
    {"volt_get", "from another runtime's loop thread", W_ERR, ETHR, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, get_s},
    {"volt_peek", "NULL node", W_ERR, EINV, NULL, 0, NULL, peek_null},
    {"volt_peek", "an effect", W_ERR, EINV, NULL, 0, NULL, peek_effect},
    {"volt_peek", "a scope", W_ERR, EINV, NULL, 0, NULL, peek_scope},
    {"volt_peek", "from another thread", W_ERR, ETHR, NULL, F_THREAD, NULL, peek_s},
    {"volt_peek", "from another runtime's loop thread", W_ERR, ETHR, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, peek_s},
    {"volt_untrack", "NULL rt", W_VOID, 0, NULL, 0, NULL, untrack_null_rt},
    {"volt_untrack", "NULL fn", W_VOID, 0, NULL, 0, NULL, untrack_null_fn},
    {"volt_untrack", "from another thread", W_VOID, 0, NULL, F_THREAD, NULL, untrack_ok},
    /* ---- batches and flushing (graph.h) ---- */
    {"volt_batch_begin", "NULL rt", W_INT, EINV, NULL, 0, NULL, batch_begin_null},
    {"volt_batch_begin", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, batch_begin_ok},
    {"volt_batch_end", "NULL rt", W_INT, EINV, NULL, 0, NULL, batch_end_null},
    {"volt_batch_end", "no batch open", W_INT, EINV, NULL, 0, NULL, batch_end_ok},
    {"volt_batch_end", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, batch_end_ok},
    {"volt_flush", "NULL rt", W_INT, EINV, NULL, 0, NULL, flush_null},
    {"volt_flush", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, flush_ok},
    /* ---- watchers (graph.h) ---- */
    {"volt_watch", "NULL node", W_NULL, 0, NULL, 0, NULL, watch_null},
    {"volt_watch", "NULL cb", W_NULL, 0, NULL, 0, NULL, watch_null_cb},
    {"volt_watch", "an effect", W_NULL, 0, NULL, 0, NULL, watch_effect},
    {"volt_watch", "a scope", W_NULL, 0, NULL, 0, NULL, watch_scope},
    {"volt_watch", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, watch_ok},
    {"volt_watch", "from another runtime's loop thread", W_NULL, 0, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, watch_ok},
    {"volt_unwatch", "NULL watcher", W_INT, EINV, NULL, 0, NULL, unwatch_null},
    {"volt_unwatch", "a signal, not a watcher", W_INT, EINV, NULL, 0, NULL, unwatch_signal},
    {"volt_unwatch", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, unwatch_ok},
    {"volt_unwatch", "from another runtime's loop thread", W_INT, ETHR, NULL,
     F_THREAD | F_OTHER_LOOP, NULL, unwatch_ok},
    /* ---- ownership (graph.h) ---- */
    {"volt_scope", "NULL rt", W_NULL, 0, NULL, 0, NULL, scope_null_rt},
    {"volt_scope", "NULL fn", W_NULL, 0, NULL, 0, NULL, scope_null_fn},
    {"volt_scope", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, scope_ok},
    {"volt_scope", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, scope_ok},
    {"volt_on_cleanup", "NULL rt", W_INT, EINV, NULL, 0, NULL, cleanup_null_rt},
    {"volt_on_cleanup", "NULL fn", W_INT, EINV, NULL, 0, NULL, cleanup_null_fn},
    {"volt_on_cleanup", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, cleanup_ok},
    {"volt_on_cleanup", "after the close began", W_INT, ECLS, NULL, F_CLOSED, NULL, cleanup_ok},
    {"volt_dispose", "NULL node", W_VOID, 0, NULL, 0, NULL, dispose_null},
    {"volt_dispose", "from another thread", W_VOID, 0, NULL, F_THREAD, NULL, dispose_s},
    {"volt_dispose", "from another runtime's loop thread", W_VOID, 0, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, dispose_s},
    /* ---- tokens (token.h) ---- */
    {"volt_token", "NULL rt", W_NULL, 0, NULL, 0, NULL, token_null_rt},
    {"volt_token", "NULL source", W_NULL, 0, NULL, 0, NULL, token_null_src},
    {"volt_token", "unknown flag 0x8", W_NULL, 0, NULL, 0, NULL, token_flag8},
    {"volt_token", "unknown flag 0x80000000", W_NULL, 0, NULL, 0, NULL, token_flag_high},
    {"volt_token", "an effect as source", W_NULL, 0, NULL, 0, NULL, token_src_effect},
    {"volt_token", "a scope as source", W_NULL, 0, NULL, 0, NULL, token_src_scope},
    {"volt_token", "a source of another runtime", W_NULL, 0, NULL, F_RT2, NULL, token_src_rt2},
    {"volt_token", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, token_ok},
    {"volt_token_status", "NULL node", W_INT, EINV, NULL, 0, NULL, status_null},
    {"volt_token_status", "a signal", W_INT, EINV, NULL, 0, NULL, status_signal},
    {"volt_token_status", "an event", W_INT, EINV, NULL, 0, NULL, status_event},
    {"volt_token_status", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, status_tok},
    {"volt_token_status", "from another runtime's loop thread", W_INT, ETHR, NULL,
     F_THREAD | F_OTHER_LOOP, NULL, status_tok},
    {"volt_token_ack", "NULL node", W_NONE, 0, NULL, 0, NULL, tack_null},
    {"volt_token_ack", "a signal", W_NONE, 0, NULL, 0, NULL, tack_signal},
    {"volt_token_ack", "from another thread", W_NONE, 0, NULL, F_THREAD, NULL, tack_tok},
    {"volt_token_error", "NULL node", W_ERR, EINV, NULL, 0, NULL, terr_null},
    {"volt_token_error", "a signal", W_ERR, EINV, NULL, 0, NULL, terr_signal},
    {"volt_token_error", "from another thread", W_ERR, ETHR, NULL, F_THREAD, NULL, terr_tok},
    {"volt_token_stamp", "NULL node", W_ERR, EINV, NULL, 0, NULL, tstamp_null},
    {"volt_token_stamp", "a computed", W_ERR, EINV, NULL, 0, NULL, tstamp_computed},
    {"volt_token_stamp", "from another thread", W_ERR, ETHR, NULL, F_THREAD, NULL, tstamp_tok},
    /* ---- acks (token.h) ---- */
    {"volt_ack_ok", "VOLT_ACK_NONE", W_INT, EINV, NULL, 0, NULL, ack_none},
    {"volt_ack_ok", "id 0 with a runtime and a generation", W_INT, EINV, NULL, 0, NULL, ack_none_rt},
    {"volt_ack_ok", "the next generation", W_INT, ESTL, NULL, 0, NULL, ack_gen_next},
    {"volt_ack_ok", "the previous generation", W_INT, ESTL, NULL, 0, NULL, ack_gen_prev},
    {"volt_ack_ok", "forged: every id and generation below 32 but the pending ones", W_INT, ESTL,
     NULL, 0, NULL, ack_sweep},
    {"volt_ack_ok", "forged: 256 random ids and generations", W_INT, ESTL, NULL, 0, NULL, ack_random},
    {"volt_ack_ok", "forged: every id and generation below 32 but the live ones, a join live", W_INT,
     ESTL, NULL, 0, p_join, ack_sweep},
    {"volt_ack_ok", "an id with a NULL runtime", W_INT, ESTL, NULL, 0, NULL, ack_null_rt},
    {"volt_ack_ok", "repeated (acked once already)", W_INT, ESTL, NULL, 0, NULL, ack_used},
    {"volt_ack_ok", "another runtime's (its id and generation on rt2)", W_INT, ESTL, NULL, F_RT2,
     NULL, ack_rt2},
    {"volt_ack_ok", "its token disposed", W_INT, ESTL, NULL, 0, p_disposed_token, ack_disposed},
    {"volt_ack_ok", "a join acked twice", W_INT, ESTL, NULL, 0, p_join_acked, ack_join_twice},
    {"volt_ack_ok", "after the close began", W_INT, ECLS, NULL, F_CLOSED, NULL, ack_pending},
    {"volt_ack_ok", "inside a computed's function", W_INT, VOLT_EPERM, NULL, 0, p_in_computed_ack,
     peek_inner},
    {"volt_ack_ok", "VOLT_ACK_NONE from another thread", W_INT, EINV, NULL, F_THREAD, NULL, ack_none},
    {"volt_ack_ok", "an id with a NULL runtime from another thread", W_INT, ESTL, NULL, F_THREAD,
     NULL, ack_null_rt},
    {"volt_ack_ok", "the next generation from another thread (dropped when applied)", W_INT, 0,
     NULL, F_THREAD | F_HOLD | F_PUMP, NULL, ack_gen_next},
    {"volt_ack_ok", "repeated, from another thread (dropped when applied)", W_INT, 0, NULL,
     F_THREAD | F_HOLD | F_PUMP, NULL, ack_used},
    {"volt_ack_ok", "after the close began, from another thread", W_INT, ECLS, NULL,
     F_THREAD | F_HOLD | F_CLOSED, NULL, ack_pending},
    {"volt_ack_fail", "VOLT_ACK_NONE", W_INT, EINV, NULL, 0, NULL, fail_none},
    {"volt_ack_fail", "the next generation", W_INT, ESTL, NULL, 0, NULL, fail_gen_next},
    {"volt_ack_fail", "repeated (acked once already)", W_INT, ESTL, NULL, 0, NULL, fail_used},
    {"volt_ack_fail", "after the close began", W_INT, ECLS, NULL, F_CLOSED, NULL, fail_pending},
    {"volt_ack_fail", "inside a computed's function", W_INT, VOLT_EPERM, NULL, 0,
     p_in_computed_fail, peek_inner},
    {"volt_ack_fail", "VOLT_ACK_NONE from another thread", W_INT, EINV, NULL, F_THREAD, NULL,
     fail_none},
    {"volt_ack_fail", "repeated, from another thread (dropped when applied)", W_INT, 0, NULL,
     F_THREAD | F_HOLD | F_PUMP, NULL, fail_used},
    {"volt_ack_fail", "after the close began, from another thread", W_INT, ECLS, NULL,
     F_THREAD | F_HOLD | F_CLOSED, NULL, fail_pending},
    {"volt_ack_join", "NULL rt", W_NONE, 0, NULL, 0, NULL, join_null_rt},
    {"volt_ack_join", "NULL acks with n 2", W_NONE, 0, NULL, 0, NULL, join_null_acks},
    {"volt_ack_join", "NULL acks with n 0", W_NONE, 0, NULL, 0, NULL, join_empty},
    {"volt_ack_join", "only VOLT_ACK_NONE children", W_NONE, 0, NULL, 0, NULL, join_nones},
    {"volt_ack_join", "only stale and forged children", W_NONE, 0, NULL, 0, NULL, join_stale},
    {"volt_ack_join", "only another runtime's live children", W_NONE, 0, NULL, F_RT2, NULL, join_rt2},
    {"volt_ack_join", "from another thread", W_NONE, 0, NULL, F_THREAD, NULL, join_live},
    {"volt_ack_join", "after the close began", W_NONE, 0, NULL, F_CLOSED, NULL, join_live},
    /* ---- events (token.h) ---- */
    {"volt_event", "NULL rt", W_NULL, 0, NULL, 0, NULL, event_null_rt},
    {"volt_event", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, event_ok},
    {"volt_event", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, event_ok},
    {"volt_event_opts", "NULL rt", W_NULL, 0, NULL, 0, NULL, event_opts_null_rt},
    {"volt_event_opts", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, event_opts_ok},
    {"volt_event_opts", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, event_opts_ok},
    {"volt_emit", "NULL node", W_INT, EINV, NULL, 0, NULL, emit_null},
    {"volt_emit", "a signal", W_INT, EINV, NULL, 0, NULL, emit_signal},
    {"volt_emit", "a token", W_INT, EINV, NULL, 0, NULL, emit_token},
    {"volt_emit", "a timer source", W_INT, EINV, NULL, 0, NULL, emit_timer},
    {"volt_emit", "a payload of tag 8", W_INT, EINV, NULL, 0, NULL, emit_tag8},
    {"volt_emit", "a payload of tag 32", W_INT, EINV, NULL, 0, NULL, emit_tag32},
    {"volt_emit", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, emit_ok},
    {"volt_emit", "from another thread, a PTR payload (stays the caller's)", W_INT, ETHR, NULL,
     F_THREAD, NULL, emit_evp_ptr},
    {"volt_emit", "inside a computed's function", W_INT, VOLT_EPERM, NULL, 0, p_in_computed_emit,
     peek_inner},
    {"volt_emit", "from another runtime's loop thread", W_INT, ETHR, NULL, F_THREAD | F_OTHER_LOOP,
     NULL, emit_ok},
    {"volt_emit_async", "NULL node", W_INT, EINV, NULL, 0, NULL, emit_async_null},
    {"volt_emit_async", "a signal (on the loop thread)", W_INT, EINV, NULL, 0, NULL,
     emit_async_signal},
    {"volt_emit_async", "a timer source", W_INT, EINV, NULL, 0, NULL, emit_async_timer},
    {"volt_emit_async", "a payload of tag 16", W_INT, EINV, NULL, 0, NULL, emit_async_tag16},
    {"volt_emit_async", "NULL node from another thread", W_INT, EINV, NULL, F_THREAD, NULL,
     emit_async_null},
    {"volt_emit_async", "a timer source from another thread", W_INT, EINV, NULL, F_THREAD, NULL,
     emit_async_timer},
    {"volt_emit_async", "a payload of tag 16 from another thread", W_INT, EINV, NULL, F_THREAD,
     NULL, emit_async_tag16},
    {"volt_emit_async", "its event disposed by the close", W_INT, ECLS, NULL, F_CLOSED, NULL,
     emit_async_ok},
    {"volt_emit_async", "its event disposed by the close, from another thread", W_INT, ECLS, NULL,
     F_THREAD | F_HOLD | F_CLOSED, NULL, emit_async_ok},
    {"volt_emit_async", "its event disposed by the close, a PTR payload (stays the caller's)", W_INT,
     ECLS, NULL, F_CLOSED, NULL, emit_async_evp_ptr},
    {"volt_emit_async", "a payload of tag 16, an event with a release hook", W_INT, EINV, NULL, 0,
     NULL, emit_async_evp_tag},
    /* ---- event sources (volt.h) ---- */
    {"volt_timer_source", "NULL rt", W_NULL, 0, NULL, 0, NULL, timer_null_rt},
    {"volt_timer_source", "a loop-less runtime", W_NULL, 0, NULL, F_LOOPLESS, NULL, timer_ok},
    {"volt_timer_source", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, timer_ok},
    {"volt_timer_source", "after the close began", W_NULL, 0, NULL, F_CLOSED, NULL, timer_ok},
    {"volt_read_source", "NULL rt", W_NULL, 0, NULL, F_STREAMS, NULL, read_null_rt},
    {"volt_read_source", "NULL stream", W_NULL, 0, NULL, 0, NULL, read_null_stream},
    {"volt_read_source", "a readable stream of another loop", W_NULL, 0, NULL, F_STREAMS, NULL,
     read_other_loop},
    {"volt_read_source", "a stream that is closing", W_NULL, 0, NULL, F_STREAMS, NULL, read_closing},
    {"volt_read_source", "a stream that is not readable", W_NULL, 0, NULL, F_STREAMS, NULL,
     read_unreadable},
    {"volt_read_source", "a loop-less runtime", W_NULL, 0, NULL, F_LOOPLESS | F_STREAMS, NULL,
     read_other_loop},
    {"volt_read_source", "from another thread", W_NULL, 0, NULL, F_THREAD | F_STREAMS, NULL,
     read_unreadable},
    {"volt_fs_source", "NULL rt", W_NULL, 0, NULL, 0, NULL, fs_null_rt},
    {"volt_fs_source", "NULL path", W_NULL, 0, NULL, 0, NULL, fs_null_path},
    {"volt_fs_source", "an empty path", W_NULL, 0, NULL, 0, NULL, fs_empty},
    {"volt_fs_source", "a path that does not exist", W_NULL, 0, NULL, 0, NULL, fs_missing},
    {"volt_fs_source", "a loop-less runtime", W_NULL, 0, NULL, F_LOOPLESS, NULL, fs_ok},
    {"volt_fs_source", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, fs_ok},
    {"volt_posix_signal_source", "signal 0", W_NULL, 0, NULL, 0, NULL, sig_zero},
    {"volt_posix_signal_source", "signal -1", W_NULL, 0, NULL, 0, NULL, sig_negative},
    {"volt_posix_signal_source", "SIGKILL", W_NULL, 0, NULL, 0, NULL, sig_kill},
    {"volt_posix_signal_source", "SIGSTOP", W_NULL, 0, NULL, 0, NULL, sig_stop},
    {"volt_posix_signal_source", "signal 1000 (unknown)", W_NULL, 0, NULL, 0, NULL, sig_unknown},
    {"volt_posix_signal_source", "NULL rt", W_NULL, 0, NULL, 0, NULL, sig_null_rt},
    {"volt_posix_signal_source", "a loop-less runtime", W_NULL, 0, NULL, F_LOOPLESS, NULL, sig_ok},
    {"volt_posix_signal_source", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, sig_ok},
    /* ---- async work (volt.h) ---- */
    {"volt_dispatch", "VOLT_ACK_NONE", W_INT, EINV, NULL, 0, NULL, dispatch_none},
    {"volt_dispatch", "NULL work", W_INT, EINV, NULL, 0, NULL, dispatch_null_work},
    {"volt_dispatch", "the next generation", W_INT, ESTL, NULL, 0, NULL, dispatch_gen_next},
    {"volt_dispatch", "repeated (acked once already)", W_INT, ESTL, NULL, 0, NULL, dispatch_used},
    {"volt_dispatch", "an id with a NULL runtime", W_INT, ESTL, NULL, 0, NULL, dispatch_null_rt},
    {"volt_dispatch", "a join's ack", W_INT, EINV, NULL, 0, p_join, dispatch_join},
    {"volt_dispatch", "another runtime's (its id and generation on rt2)", W_INT, ESTL, NULL, F_RT2,
     NULL, dispatch_rt2},
    {"volt_dispatch", "its token disposed", W_INT, ESTL, NULL, 0, p_disposed_token, dispatch_disposed},
    {"volt_dispatch", "a loop-less runtime", W_INT, EINV, NULL, F_LOOPLESS, NULL, dispatch_ok},
    {"volt_dispatch", "after the close began", W_INT, ECLS, NULL, F_CLOSED, NULL, dispatch_ok},
    {"volt_dispatch", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL, dispatch_ok},
    {"volt_dispatch", "inside a computed's function", W_INT, VOLT_EPERM, NULL, 0,
     p_in_computed_dispatch, peek_inner},
    {"volt_dispatch", "from another runtime's loop thread", W_INT, ETHR, NULL,
     F_THREAD | F_OTHER_LOOP, NULL, dispatch_ok},
    {"volt_work_stamp", "NULL work", W_NIL, 0, NULL, 0, NULL, work_stamp_null},
    {"volt_work_cancelled", "NULL work", W_BOOL, 1, NULL, 0, NULL, work_cancelled_null},
    {"volt_action", "NULL rt", W_NULL, 0, NULL, 0, NULL, action_null_rt},
    {"volt_action", "NULL source", W_NULL, 0, NULL, 0, NULL, action_null_src},
    {"volt_action", "NULL work", W_NULL, 0, NULL, 0, NULL, action_null_work},
    {"volt_action", "unknown flag 0x10", W_NULL, 0, NULL, 0, NULL, action_flags},
    {"volt_action", "an effect as source", W_NULL, 0, NULL, 0, NULL, action_src_effect},
    {"volt_action", "a source of another runtime", W_NULL, 0, NULL, F_RT2, NULL, action_src_rt2},
    {"volt_action", "a loop-less runtime", W_NULL, 0, NULL, F_LOOPLESS, NULL, action_ok},
    {"volt_action", "from another thread", W_NULL, 0, NULL, F_THREAD, NULL, action_ok},
    {"volt_action_value", "NULL node", W_ERR, EINV, NULL, 0, NULL, avalue_null},
    {"volt_action_value", "a token, not an action", W_ERR, EINV, NULL, 0, NULL, avalue_token},
    {"volt_action_value", "from another thread", W_ERR, ETHR, NULL, F_THREAD, NULL, avalue_act},
    {"volt_action_version", "NULL node", W_I64, EINV, NULL, 0, NULL, aversion_null},
    {"volt_action_version", "a token, not an action", W_I64, EINV, NULL, 0, NULL, aversion_token},
    {"volt_action_version", "from another thread", W_I64, ETHR, NULL, F_THREAD, NULL, aversion_act},
    {"volt_action_version", "from another runtime's loop thread", W_I64, ETHR, NULL,
     F_THREAD | F_OTHER_LOOP, NULL, aversion_act},
    {"volt_action_in_flight", "NULL node", W_INT, EINV, NULL, 0, NULL, ainflight_null},
    {"volt_action_in_flight", "a signal", W_INT, EINV, NULL, 0, NULL, ainflight_signal},
    {"volt_action_in_flight", "from another thread", W_INT, ETHR, NULL, F_THREAD, NULL,
     ainflight_act},
    /* ---- values and error codes (value.h) ---- */
    {"volt_val_eq", "two equal values of tag 32", W_BOOL, 0, NULL, 0, NULL, val_eq_tag32},
    {"volt_strerror", "12345 (unknown)", W_STR, 0, "unknown error", 0, NULL, strerror_unknown},
    {"volt_strerror", "INT_MIN", W_STR, 0, "unknown error", 0, NULL, strerror_min},
    {"volt_err_name", "-29999 (unknown)", W_STR, 0, "UNKNOWN", 0, NULL, err_name_unknown},
};

#define NROWS ((int)(sizeof rows / sizeof rows[0]))

/* ------------------------------------------------------------------------
 * Callbacks handed to the calls (none of those a refused call was given
 * may ever run: they count into f->stray)
 * ------------------------------------------------------------------------ */

static void stray_fn(void *ud) { ((fx *)ud)->stray++; }
static volt_val stray_compute(void *ud) {
  ((fx *)ud)->stray++;
  return volt_nil();
}
static void stray_watch(volt_node *n, volt_val old, volt_val now, void *ud) {
  (void)n;
  (void)old;
  (void)now;
  ((fx *)ud)->stray++;
}
static volt_val stray_work(volt_work *w, void *ud) {
  (void)w;
  (void)ud;
  return volt_int(1); /* runs on a pool thread: records nothing */
}
static void noop(void *ud) { (void)ud; }

static volt_val bad_tag(int tag) {
  volt_val v = volt_int(5);
  v.tag = (uint8_t)tag;
  return v;
}

static volt_ack ack_of(volt_rt *rt, uint32_t id, uint32_t gen) {
  volt_ack a;
  a.rt = rt;
  a.id = id;
  a.gen = gen;
  return a;
}

/* ------------------------------------------------------------------------
 * The calls, in the order of the table. Each only calls and records: some
 * run on a thread that is not the loop's.
 * ------------------------------------------------------------------------ */

/* runtime */
static void rt_new_null_out(fx *f, out *o) {
  h_alloc a;
  volt_config cfg;
  (void)f;
  h_alloc_init(&a);
  memset(&cfg, 0, sizeof cfg);
  cfg.realloc = h_realloc;
  cfg.realloc_ud = &a;
  o->rc = volt_rt_new(NULL, NULL, &cfg);
  if (a.calls != 0) o->bad = "the allocator was called";
}
static void rt_new_deferred_loopless(fx *f, out *o) {
  h_alloc a;
  volt_config cfg;
  volt_rt *sentinel = (volt_rt *)(void *)f, *rt = sentinel;
  h_alloc_init(&a);
  memset(&cfg, 0, sizeof cfg);
  cfg.deferred = true;
  cfg.realloc = h_realloc;
  cfg.realloc_ud = &a;
  o->rc = volt_rt_new(&rt, NULL, &cfg);
  if (rt != sentinel) o->bad = "*out was written";
  if (a.calls != 0) o->bad = "the allocator was called";
}
static void rt_close_null(fx *f, out *o) {
  (void)o;
  volt_rt_close(NULL, stray_fn, f);
}
static void rt_close_plain(fx *f, out *o) {
  (void)o;
  volt_rt_close(f->e.rt, stray_fn, f);
}
static void rt_close_again(fx *f, out *o) {
  (void)o;
  volt_rt_close(f->e.rt, stray_fn, f); /* the first close's on_closed stays */
}
static void rt_acquire_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_rt_acquire(NULL);
}
static void rt_acquire(fx *f, out *o) { o->rc = volt_rt_acquire(f->e.rt); }
static void rt_release_null(fx *f, out *o) {
  (void)f;
  (void)o;
  volt_rt_release(NULL);
}
static void rt_release_unmatched(fx *f, out *o) {
  (void)o;
  volt_rt_release(f->e.rt);
}
static void rt_loop_null(fx *f, out *o) {
  (void)f;
  o->ptr = volt_rt_loop(NULL);
}

/* stats and debugging */
static void stats_null_rt(fx *f, out *o) {
  volt_stats_t s;
  (void)f;
  o->rc = volt_stats(NULL, &s);
}
static void stats_null_out(fx *f, out *o) { o->rc = volt_stats(f->e.rt, NULL); }
static void stats_ok(fx *f, out *o) {
  volt_stats_t s, before;
  memset(&s, 0xa5, sizeof s);
  before = s;
  o->rc = volt_stats(f->e.rt, &s);
  if (o->rc != 0 && memcmp(&s, &before, sizeof s) != 0) o->bad = "*s was written";
}
static void dot_null_rt(fx *f, out *o) { o->rc = volt_dump_dot(NULL, f->file); }
static void dot_null_file(fx *f, out *o) { o->rc = volt_dump_dot(f->e.rt, NULL); }
static void dot_file(fx *f, out *o) {
  o->rc = volt_dump_dot(f->e.rt, f->file);
  if (o->rc == VOLT_ETHREAD && ftell(f->file) != 0) o->bad = "something was written";
}
static void name_null(fx *f, out *o) {
  (void)f;
  o->str = volt_node_name(NULL);
}
static void name_s(fx *f, out *o) { o->str = volt_node_name(f->s); }
static void node_rt_null(fx *f, out *o) {
  (void)f;
  o->ptr = volt_node_rt(NULL);
}
static void node_rt_s(fx *f, out *o) { o->ptr = volt_node_rt(f->s); }

/* signals, computeds, effects */
static void signal_null_rt(fx *f, out *o) {
  (void)f;
  o->ptr = volt_signal(NULL, volt_int(1), NULL);
}
static void signal_tag6(fx *f, out *o) { o->ptr = volt_signal(f->e.rt, bad_tag(6), NULL); }
static void signal_tag8(fx *f, out *o) { o->ptr = volt_signal(f->e.rt, bad_tag(8), NULL); }
static void signal_tag16(fx *f, out *o) { o->ptr = volt_signal(f->e.rt, bad_tag(16), NULL); }
static void signal_tag32(fx *f, out *o) { o->ptr = volt_signal(f->e.rt, bad_tag(32), NULL); }
static void signal_ok(fx *f, out *o) { o->ptr = volt_signal(f->e.rt, volt_int(1), NULL); }
/* A box handed to a refused call: the caller's still, never released. */
static volt_val caller_box(fx *f) { return volt_ptr(&f->pool.box[H_BOXES - 1]); }
static void signal_ptr_null_rt(fx *f, out *o) {
  volt_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.release = h_box_release;
  opts.ud = &f->pool;
  o->ptr = volt_signal(NULL, caller_box(f), &opts);
}
static void signal_ptr_ok(fx *f, out *o) {
  volt_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.release = h_box_release;
  opts.ud = &f->pool;
  o->ptr = volt_signal(f->e.rt, caller_box(f), &opts);
}
static void set_computed_ptr(fx *f, out *o) { o->rc = volt_set(f->c, caller_box(f)); }
static void set_sp_ptr(fx *f, out *o) { o->rc = volt_set(f->sp, caller_box(f)); }
static void emit_evp_ptr(fx *f, out *o) { o->rc = volt_emit(f->evp, caller_box(f)); }
static void emit_async_evp_ptr(fx *f, out *o) { o->rc = volt_emit_async(f->evp, caller_box(f)); }
static void emit_async_evp_tag(fx *f, out *o) { o->rc = volt_emit_async(f->evp, bad_tag(16)); }
static void computed_null_rt(fx *f, out *o) {
  o->ptr = volt_computed(NULL, stray_compute, f, NULL);
}
static void computed_null_fn(fx *f, out *o) { o->ptr = volt_computed(f->e.rt, NULL, f, NULL); }
static void computed_ok(fx *f, out *o) {
  o->ptr = volt_computed(f->e.rt, stray_compute, f, NULL);
}
static void effect_null_rt(fx *f, out *o) { o->ptr = volt_effect(NULL, stray_fn, f); }
static void effect_null_fn(fx *f, out *o) { o->ptr = volt_effect(f->e.rt, NULL, f); }
static void effect_ok(fx *f, out *o) { o->ptr = volt_effect(f->e.rt, stray_fn, f); }
static void set_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_set(NULL, volt_int(3));
}
static void set_computed(fx *f, out *o) { o->rc = volt_set(f->c, volt_int(3)); }
static void set_effect(fx *f, out *o) { o->rc = volt_set(f->eff, volt_int(3)); }
static void set_event(fx *f, out *o) { o->rc = volt_set(f->ev, volt_int(3)); }
static void set_token(fx *f, out *o) { o->rc = volt_set(f->tok, volt_int(VOLT_IDLE)); }
static void set_timer(fx *f, out *o) { o->rc = volt_set(f->tsrc, volt_int(3)); }
static void set_tag6(fx *f, out *o) { o->rc = volt_set(f->s, bad_tag(6)); }
static void set_tag8(fx *f, out *o) { o->rc = volt_set(f->s, bad_tag(8)); }
static void set_tag16(fx *f, out *o) { o->rc = volt_set(f->s, bad_tag(16)); }
static void set_tag32(fx *f, out *o) { o->rc = volt_set(f->s, bad_tag(32)); }
static void set_ok(fx *f, out *o) { o->rc = volt_set(f->s, volt_int(3)); }
static void get_null(fx *f, out *o) {
  (void)f;
  o->v = volt_get(NULL);
}
static void get_effect(fx *f, out *o) { o->v = volt_get(f->eff); }
static void get_scope(fx *f, out *o) { o->v = volt_get(f->sc); }
static void get_s(fx *f, out *o) { o->v = volt_get(f->s); }
static void peek_null(fx *f, out *o) {
  (void)f;
  o->v = volt_peek(NULL);
}
static void peek_effect(fx *f, out *o) { o->v = volt_peek(f->eff); }
static void peek_scope(fx *f, out *o) { o->v = volt_peek(f->sc); }
static void peek_s(fx *f, out *o) { o->v = volt_peek(f->s); }
static void untrack_null_rt(fx *f, out *o) {
  (void)o;
  volt_untrack(NULL, stray_fn, f);
}
static void untrack_null_fn(fx *f, out *o) {
  (void)o;
  volt_untrack(f->e.rt, NULL, f);
}
static void untrack_ok(fx *f, out *o) {
  (void)o;
  volt_untrack(f->e.rt, stray_fn, f);
}

/* batches and flushing */
static void batch_begin_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_batch_begin(NULL);
}
static void batch_begin_ok(fx *f, out *o) { o->rc = volt_batch_begin(f->e.rt); }
static void batch_end_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_batch_end(NULL);
}
static void batch_end_ok(fx *f, out *o) { o->rc = volt_batch_end(f->e.rt); }
static void flush_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_flush(NULL);
}
static void flush_ok(fx *f, out *o) { o->rc = volt_flush(f->e.rt); }

/* watchers */
static void watch_null(fx *f, out *o) { o->ptr = volt_watch(NULL, stray_watch, f); }
static void watch_null_cb(fx *f, out *o) { o->ptr = volt_watch(f->s, NULL, f); }
static void watch_effect(fx *f, out *o) { o->ptr = volt_watch(f->eff, stray_watch, f); }
static void watch_scope(fx *f, out *o) { o->ptr = volt_watch(f->sc, stray_watch, f); }
static void watch_ok(fx *f, out *o) { o->ptr = volt_watch(f->s, stray_watch, f); }
static void unwatch_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_unwatch(NULL);
}
static void unwatch_signal(fx *f, out *o) { o->rc = volt_unwatch((volt_watcher *)(void *)f->s); }
static void unwatch_ok(fx *f, out *o) { o->rc = volt_unwatch(f->w); }

/* ownership */
static void scope_null_rt(fx *f, out *o) { o->ptr = volt_scope(NULL, stray_fn, f); }
static void scope_null_fn(fx *f, out *o) { o->ptr = volt_scope(f->e.rt, NULL, f); }
static void scope_ok(fx *f, out *o) { o->ptr = volt_scope(f->e.rt, stray_fn, f); }
static void cleanup_null_rt(fx *f, out *o) { o->rc = volt_on_cleanup(NULL, stray_fn, f); }
static void cleanup_null_fn(fx *f, out *o) { o->rc = volt_on_cleanup(f->e.rt, NULL, f); }
static void cleanup_ok(fx *f, out *o) { o->rc = volt_on_cleanup(f->e.rt, stray_fn, f); }
static void dispose_null(fx *f, out *o) {
  (void)f;
  (void)o;
  volt_dispose(NULL);
}
static void dispose_s(fx *f, out *o) {
  (void)o;
  volt_dispose(f->s);
}

/* tokens */
static void token_null_rt(fx *f, out *o) { o->ptr = volt_token(NULL, f->ev, 0, NULL); }
static void token_null_src(fx *f, out *o) { o->ptr = volt_token(f->e.rt, NULL, 0, NULL); }
static void token_flag8(fx *f, out *o) { o->ptr = volt_token(f->e.rt, f->ev, 0x8u, NULL); }
static void token_flag_high(fx *f, out *o) {
  o->ptr = volt_token(f->e.rt, f->ev, 0x80000000u | VOLT_TOKEN_CYCLIC, NULL);
}
static void token_src_effect(fx *f, out *o) { o->ptr = volt_token(f->e.rt, f->eff, 0, NULL); }
static void token_src_scope(fx *f, out *o) { o->ptr = volt_token(f->e.rt, f->sc, 0, NULL); }
static void token_src_rt2(fx *f, out *o) { o->ptr = volt_token(f->e.rt, f->ev_r2, 0, NULL); }
static void token_ok(fx *f, out *o) { o->ptr = volt_token(f->e.rt, f->ev, 0, NULL); }
static void status_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_token_status(NULL);
}
static void status_signal(fx *f, out *o) { o->rc = volt_token_status(f->s); }
static void status_event(fx *f, out *o) { o->rc = volt_token_status(f->ev); }
static void status_tok(fx *f, out *o) { o->rc = volt_token_status(f->tok); }
static void tack_null(fx *f, out *o) {
  (void)f;
  o->ack = volt_token_ack(NULL);
}
static void tack_signal(fx *f, out *o) { o->ack = volt_token_ack(f->s); }
static void tack_tok(fx *f, out *o) { o->ack = volt_token_ack(f->tok); }
static void terr_null(fx *f, out *o) {
  (void)f;
  o->v = volt_token_error(NULL);
}
static void terr_signal(fx *f, out *o) { o->v = volt_token_error(f->s); }
static void terr_tok(fx *f, out *o) { o->v = volt_token_error(f->tok); }
static void tstamp_null(fx *f, out *o) {
  (void)f;
  o->v = volt_token_stamp(NULL);
}
static void tstamp_computed(fx *f, out *o) { o->v = volt_token_stamp(f->c); }
static void tstamp_tok(fx *f, out *o) { o->v = volt_token_stamp(f->tok); }

/* acks */
static void ack_none(fx *f, out *o) {
  (void)f;
  o->rc = volt_ack_ok(VOLT_ACK_NONE);
}
static void ack_none_rt(fx *f, out *o) { o->rc = volt_ack_ok(ack_of(f->e.rt, 0, f->ack.gen)); }
static void ack_gen_next(fx *f, out *o) {
  o->rc = volt_ack_ok(ack_of(f->ack.rt, f->ack.id, f->ack.gen + 1));
}
static void ack_gen_prev(fx *f, out *o) {
  o->rc = volt_ack_ok(ack_of(f->ack.rt, f->ack.id, f->ack.gen - 1));
}
/* Records VOLT_ESTALE when every forged ack got it, otherwise the first
 * other result. */
static bool is_live(const fx *f, volt_ack a) {
  return volt_ack_eq(a, f->ack) || volt_ack_eq(a, f->ackb) || volt_ack_eq(a, f->join);
}
static void ack_sweep(fx *f, out *o) {
  o->rc = VOLT_ESTALE;
  for (uint32_t id = 1; id < 32; id++)
    for (uint32_t gen = 0; gen < 32; gen++) {
      volt_ack a = ack_of(f->e.rt, id, gen);
      int rc;
      if (is_live(f, a)) continue;
      rc = volt_ack_ok(a);
      if (rc != VOLT_ESTALE && o->rc == VOLT_ESTALE) o->rc = rc;
    }
}
static void ack_random(fx *f, out *o) {
  uint64_t x = 0x9e3779b97f4a7c15ull; /* a fixed seed: the same acks every run */
  o->rc = VOLT_ESTALE;
  for (int i = 0; i < 256; i++) {
    volt_ack a;
    int rc;
    x = x * 6364136223846793005ull + 1442695040888963407ull;
    a = ack_of(f->e.rt, (uint32_t)(x >> 33) | 1u, (uint32_t)x);
    if (i % 2) a.id &= 63u; /* half of them near the ids in use */
    if (a.id == 0 || is_live(f, a)) continue;
    rc = volt_ack_ok(a);
    if (rc != VOLT_ESTALE && o->rc == VOLT_ESTALE) o->rc = rc;
  }
}
static void ack_null_rt(fx *f, out *o) { o->rc = volt_ack_ok(ack_of(NULL, f->ack.id, f->ack.gen)); }
static void ack_used(fx *f, out *o) { o->rc = volt_ack_ok(f->used); }
static void ack_rt2(fx *f, out *o) { o->rc = volt_ack_ok(ack_of(f->e2.rt, f->ack.id, f->ack.gen)); }
static void ack_disposed(fx *f, out *o) { o->rc = volt_ack_ok(f->disposed); }
static void ack_pending(fx *f, out *o) { o->rc = volt_ack_ok(f->ack); }
static void ack_join_twice(fx *f, out *o) { o->rc = volt_ack_ok(f->join); }
static void fail_none(fx *f, out *o) {
  (void)f;
  o->rc = volt_ack_fail(VOLT_ACK_NONE, UV_EIO, "none");
}
static void fail_gen_next(fx *f, out *o) {
  o->rc = volt_ack_fail(ack_of(f->ack.rt, f->ack.id, f->ack.gen + 1), UV_EIO, "forged");
}
static void fail_used(fx *f, out *o) { o->rc = volt_ack_fail(f->used, UV_EIO, "repeated"); }
static void fail_pending(fx *f, out *o) { o->rc = volt_ack_fail(f->ack, UV_EIO, "late"); }
static void join_null_rt(fx *f, out *o) {
  volt_ack kids[2];
  kids[0] = f->ack;
  kids[1] = f->ackb;
  o->ack = volt_ack_join(NULL, kids, 2);
}
static void join_null_acks(fx *f, out *o) { o->ack = volt_ack_join(f->e.rt, NULL, 2); }
static void join_empty(fx *f, out *o) { o->ack = volt_ack_join(f->e.rt, NULL, 0); }
static void join_nones(fx *f, out *o) {
  volt_ack kids[3] = {VOLT_ACK_NONE, VOLT_ACK_NONE, VOLT_ACK_NONE};
  o->ack = volt_ack_join(f->e.rt, kids, 3);
}
static void join_stale(fx *f, out *o) {
  volt_ack kids[4];
  kids[0] = f->used;
  kids[1] = ack_of(f->e.rt, f->ack.id, f->ack.gen + 1);
  kids[2] = ack_of(f->e.rt, 999, 1);
  kids[3] = ack_of(NULL, f->ack.id, f->ack.gen);
  o->ack = volt_ack_join(f->e.rt, kids, 4);
}
static void join_rt2(fx *f, out *o) {
  volt_ack kids[2];
  kids[0] = f->ack_r2;
  kids[1] = f->ack_r2;
  o->ack = volt_ack_join(f->e.rt, kids, 2);
}
static void join_live(fx *f, out *o) {
  volt_ack kids[2];
  kids[0] = f->ack;
  kids[1] = f->ackb;
  o->ack = volt_ack_join(f->e.rt, kids, 2);
}

/* events */
static void event_null_rt(fx *f, out *o) {
  (void)f;
  o->ptr = volt_event(NULL);
}
static void event_ok(fx *f, out *o) { o->ptr = volt_event(f->e.rt); }
static void event_opts_null_rt(fx *f, out *o) {
  volt_opts opts;
  (void)f;
  memset(&opts, 0, sizeof opts);
  opts.name = "refused";
  o->ptr = volt_event_opts(NULL, &opts);
}
static void event_opts_ok(fx *f, out *o) {
  volt_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.name = "refused";
  o->ptr = volt_event_opts(f->e.rt, &opts);
}
static void emit_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_emit(NULL, volt_int(8));
}
static void emit_signal(fx *f, out *o) { o->rc = volt_emit(f->s, volt_int(8)); }
static void emit_token(fx *f, out *o) { o->rc = volt_emit(f->tok, volt_int(8)); }
static void emit_timer(fx *f, out *o) { o->rc = volt_emit(f->tsrc, volt_int(8)); }
static void emit_tag8(fx *f, out *o) { o->rc = volt_emit(f->ev, bad_tag(8)); }
static void emit_tag32(fx *f, out *o) { o->rc = volt_emit(f->ev, bad_tag(32)); }
static void emit_ok(fx *f, out *o) { o->rc = volt_emit(f->ev, volt_int(8)); }
static void emit_async_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_emit_async(NULL, volt_int(8));
}
static void emit_async_signal(fx *f, out *o) { o->rc = volt_emit_async(f->s, volt_int(8)); }
static void emit_async_timer(fx *f, out *o) { o->rc = volt_emit_async(f->tsrc, volt_int(8)); }
static void emit_async_tag16(fx *f, out *o) { o->rc = volt_emit_async(f->ev, bad_tag(16)); }
static void emit_async_ok(fx *f, out *o) { o->rc = volt_emit_async(f->ev, volt_int(8)); }

/* event sources */
static void timer_null_rt(fx *f, out *o) {
  (void)f;
  o->ptr = volt_timer_source(NULL, 1, 1);
}
static void timer_ok(fx *f, out *o) { o->ptr = volt_timer_source(f->e.rt, 1, 1); }
static void read_null_rt(fx *f, out *o) {
  o->ptr = volt_read_source(NULL, (uv_stream_t *)&f->pipe_other);
}
static void read_null_stream(fx *f, out *o) { o->ptr = volt_read_source(f->e.rt, NULL); }
static void read_other_loop(fx *f, out *o) {
  o->ptr = volt_read_source(f->e.rt, (uv_stream_t *)&f->pipe_other);
}
static void read_closing(fx *f, out *o) {
  o->ptr = volt_read_source(f->e.rt, (uv_stream_t *)&f->pipe_closing);
}
static void read_unreadable(fx *f, out *o) {
  o->ptr = volt_read_source(f->e.rt, (uv_stream_t *)&f->tcp_unread);
}
static void fs_null_rt(fx *f, out *o) {
  (void)f;
  o->ptr = volt_fs_source(NULL, ".");
}
static void fs_null_path(fx *f, out *o) { o->ptr = volt_fs_source(f->e.rt, NULL); }
static void fs_empty(fx *f, out *o) { o->ptr = volt_fs_source(f->e.rt, ""); }
static void fs_missing(fx *f, out *o) {
  o->ptr = volt_fs_source(f->e.rt, "/nonexistent/volt-badinput/none");
}
static void fs_ok(fx *f, out *o) { o->ptr = volt_fs_source(f->e.rt, "."); }
static void sig_zero(fx *f, out *o) { o->ptr = volt_posix_signal_source(f->e.rt, 0); }
static void sig_negative(fx *f, out *o) { o->ptr = volt_posix_signal_source(f->e.rt, -1); }
static void sig_kill(fx *f, out *o) { o->ptr = volt_posix_signal_source(f->e.rt, SIGKILL); }
static void sig_stop(fx *f, out *o) { o->ptr = volt_posix_signal_source(f->e.rt, SIGSTOP); }
static void sig_unknown(fx *f, out *o) { o->ptr = volt_posix_signal_source(f->e.rt, 1000); }
static void sig_null_rt(fx *f, out *o) {
  (void)f;
  o->ptr = volt_posix_signal_source(NULL, SIGUSR1);
}
static void sig_ok(fx *f, out *o) { o->ptr = volt_posix_signal_source(f->e.rt, SIGUSR1); }

/* async work */
static void dispatch_none(fx *f, out *o) { o->rc = volt_dispatch(VOLT_ACK_NONE, stray_work, f); }
static void dispatch_null_work(fx *f, out *o) { o->rc = volt_dispatch(f->ack, NULL, f); }
static void dispatch_gen_next(fx *f, out *o) {
  o->rc = volt_dispatch(ack_of(f->ack.rt, f->ack.id, f->ack.gen + 1), stray_work, f);
}
static void dispatch_used(fx *f, out *o) { o->rc = volt_dispatch(f->used, stray_work, f); }
static void dispatch_null_rt(fx *f, out *o) {
  o->rc = volt_dispatch(ack_of(NULL, f->ack.id, f->ack.gen), stray_work, f);
}
static void dispatch_join(fx *f, out *o) { o->rc = volt_dispatch(f->join, stray_work, f); }
static void dispatch_rt2(fx *f, out *o) {
  o->rc = volt_dispatch(ack_of(f->e2.rt, f->ack.id, f->ack.gen), stray_work, f);
}
static void dispatch_disposed(fx *f, out *o) { o->rc = volt_dispatch(f->disposed, stray_work, f); }
static void dispatch_ok(fx *f, out *o) { o->rc = volt_dispatch(f->ack, stray_work, f); }
static void work_stamp_null(fx *f, out *o) {
  (void)f;
  o->v = volt_work_stamp(NULL);
}
static void work_cancelled_null(fx *f, out *o) {
  (void)f;
  o->b = volt_work_cancelled(NULL) ? 1 : 0;
}
static void action_null_rt(fx *f, out *o) {
  o->ptr = volt_action(NULL, f->ev, 0, stray_work, f, NULL);
}
static void action_null_src(fx *f, out *o) {
  o->ptr = volt_action(f->e.rt, NULL, 0, stray_work, f, NULL);
}
static void action_null_work(fx *f, out *o) {
  o->ptr = volt_action(f->e.rt, f->ev, 0, NULL, f, NULL);
}
static void action_flags(fx *f, out *o) {
  o->ptr = volt_action(f->e.rt, f->ev, 0x10u, stray_work, f, NULL);
}
static void action_src_effect(fx *f, out *o) {
  o->ptr = volt_action(f->e.rt, f->eff, 0, stray_work, f, NULL);
}
static void action_src_rt2(fx *f, out *o) {
  o->ptr = volt_action(f->e.rt, f->ev_r2, 0, stray_work, f, NULL);
}
static void action_ok(fx *f, out *o) {
  volt_action_opts opts;
  memset(&opts, 0, sizeof opts);
  opts.name = "refused";
  o->ptr = volt_action(f->e.rt, f->ev, 0, stray_work, f, &opts);
}
static void avalue_null(fx *f, out *o) {
  (void)f;
  o->v = volt_action_value(NULL);
}
static void avalue_token(fx *f, out *o) { o->v = volt_action_value(f->tok); }
static void avalue_act(fx *f, out *o) { o->v = volt_action_value(f->act); }
static void aversion_null(fx *f, out *o) {
  (void)f;
  o->i64 = volt_action_version(NULL);
}
static void aversion_token(fx *f, out *o) { o->i64 = volt_action_version(f->tok); }
static void aversion_act(fx *f, out *o) { o->i64 = volt_action_version(f->act); }
static void ainflight_null(fx *f, out *o) {
  (void)f;
  o->rc = volt_action_in_flight(NULL);
}
static void ainflight_signal(fx *f, out *o) { o->rc = volt_action_in_flight(f->s); }
static void ainflight_act(fx *f, out *o) { o->rc = volt_action_in_flight(f->act); }

/* A refused call inside a computed's function: the computed (made by the
 * row's setup, never evaluated) is evaluated by this peek. */
static void peek_inner(fx *f, out *o) {
  (void)volt_peek(f->inner);
  o->rc = f->inner_rc;
}

/* values and error codes */
static void val_eq_tag32(fx *f, out *o) {
  (void)f;
  o->b = volt_val_eq(bad_tag(32), bad_tag(32)) ? 1 : 0;
}
static void strerror_unknown(fx *f, out *o) {
  (void)f;
  o->str = volt_strerror(12345);
}
static void strerror_min(fx *f, out *o) {
  (void)f;
  o->str = volt_strerror(INT_MIN);
}
static void err_name_unknown(fx *f, out *o) {
  (void)f;
  o->str = volt_err_name(-29999);
}

/* ------------------------------------------------------------------------
 * Row setups (loop thread, before the snapshot; they may assert)
 * ------------------------------------------------------------------------ */

/* A join of the two pending acks. */
static void p_join(fx *f, out *o) {
  volt_ack kids[2];
  (void)o;
  kids[0] = f->ack;
  kids[1] = f->ackb;
  f->join = volt_ack_join(f->e.rt, kids, 2);
  ck_assert(!volt_ack_is_none(f->join));
  ck_assert(!volt_ack_eq(f->join, f->ack) && !volt_ack_eq(f->join, f->ackb));
}

/* The same join, acked once: both tokens go IDLE. */
static void p_join_acked(fx *f, out *o) {
  p_join(f, o);
  ck_assert_int_eq(volt_ack_ok(f->join), 0);
  ck_assert_int_eq(volt_token_status(f->tok), VOLT_IDLE);
  ck_assert_int_eq(volt_token_status(f->tokb), VOLT_IDLE);
}

/* A pending token of its own event, disposed with its ack kept. */
static void p_disposed_token(fx *f, out *o) {
  volt_node *ev = volt_event(f->e.rt), *tok;
  (void)o;
  ck_assert_ptr_nonnull(ev);
  tok = volt_token(f->e.rt, ev, 0, NULL);
  ck_assert_ptr_nonnull(tok);
  ck_assert_int_eq(volt_emit(ev, volt_int(1)), 0);
  f->disposed = volt_token_ack(tok);
  ck_assert(!volt_ack_is_none(f->disposed));
  volt_dispose(tok);
  volt_dispose(ev);
}

/* Computeds whose functions make a write that is refused there (EPERM). */
static volt_val in_computed_set(void *ud) {
  fx *f = ud;
  f->inner_rc = volt_set(f->s, volt_int(9));
  return volt_int(0);
}
static volt_val in_computed_emit(void *ud) {
  fx *f = ud;
  f->inner_rc = volt_emit(f->ev, volt_int(9));
  return volt_int(0);
}
static volt_val in_computed_ack(void *ud) {
  fx *f = ud;
  f->inner_rc = volt_ack_ok(f->ack);
  return volt_int(0);
}
static volt_val in_computed_fail(void *ud) {
  fx *f = ud;
  f->inner_rc = volt_ack_fail(f->ack, UV_EIO, "inside");
  return volt_int(0);
}
static volt_val in_computed_dispatch(void *ud) {
  fx *f = ud;
  f->inner_rc = volt_dispatch(f->ack, stray_work, f);
  return volt_int(0);
}
static void make_inner(fx *f, volt_val (*fn)(void *)) {
  f->inner_rc = INT_MIN;
  f->inner = volt_computed(f->e.rt, fn, f, NULL);
  ck_assert_ptr_nonnull(f->inner);
  ck_assert_int_eq(f->inner_rc, INT_MIN); /* lazy: not evaluated yet */
}
static void p_in_computed_set(fx *f, out *o) {
  (void)o;
  make_inner(f, in_computed_set);
}
static void p_in_computed_emit(fx *f, out *o) {
  (void)o;
  make_inner(f, in_computed_emit);
}
static void p_in_computed_ack(fx *f, out *o) {
  (void)o;
  make_inner(f, in_computed_ack);
}
static void p_in_computed_fail(fx *f, out *o) {
  (void)o;
  make_inner(f, in_computed_fail);
}
static void p_in_computed_dispatch(fx *f, out *o) {
  (void)o;
  make_inner(f, in_computed_dispatch);
}

/* A stream volt_dump_dot cannot write to. */
static void p_file_readonly(fx *f, out *o) {
  (void)o;
  f->file = fopen("/dev/null", "r");
  ck_assert_ptr_nonnull(f->file);
}

/* ------------------------------------------------------------------------
 * The fixture
 * ------------------------------------------------------------------------ */

static volt_val double_s(void *ud) {
  fx *f = ud;
  return volt_int(volt_as_int(volt_get(f->s)) * 2);
}
static void read_c(void *ud) {
  fx *f = ud;
  (void)volt_get(f->c);
  f->runs++;
}
static void count_watch(volt_node *n, volt_val old, volt_val now, void *ud) {
  (void)n;
  (void)old;
  (void)now;
  ((fx *)ud)->wcalls++;
}
static volt_val idle_work(volt_work *w, void *ud) {
  (void)w;
  (void)ud;
  return volt_int(1);
}

static void open_streams(fx *f) {
  ck_assert_int_eq(uv_loop_init(&f->loop2), 0);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f->fds_other), 0);
  ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f->fds_closing), 0);
  /* Readable, but of another loop. */
  ck_assert_int_eq(uv_pipe_init(&f->loop2, &f->pipe_other, 0), 0);
  ck_assert_int_eq(uv_pipe_open(&f->pipe_other, f->fds_other[0]), 0);
  ck_assert(uv_is_readable((uv_stream_t *)&f->pipe_other));
  /* The runtime's loop, readable, closing. */
  if (f->e.lp) {
    ck_assert_int_eq(uv_pipe_init(f->e.lp, &f->pipe_closing, 0), 0);
    ck_assert_int_eq(uv_pipe_open(&f->pipe_closing, f->fds_closing[0]), 0);
    ck_assert(uv_is_readable((uv_stream_t *)&f->pipe_closing));
    uv_close((uv_handle_t *)&f->pipe_closing, NULL);
    /* The runtime's loop, open, never connected: not readable. */
    ck_assert_int_eq(uv_tcp_init(f->e.lp, &f->tcp_unread), 0);
    ck_assert(!uv_is_readable((uv_stream_t *)&f->tcp_unread));
  } else {
    close(f->fds_closing[0]);
  }
  f->streams = true;
}

static void close_streams_main(fx *f) {
  if (!f->streams || !f->e.lp) return;
  uv_close((uv_handle_t *)&f->tcp_unread, NULL); /* closed by the env's uv_run */
}

static void close_streams_aux(fx *f) {
  if (!f->streams) return;
  uv_close((uv_handle_t *)&f->pipe_other, NULL);
  ck_assert_int_eq(uv_run(&f->loop2, UV_RUN_DEFAULT), 0);
  ck_assert_int_eq(uv_loop_close(&f->loop2), 0);
  close(f->fds_other[1]);
  close(f->fds_closing[1]);
}

static void fx_open(fx *f, const row *r) {
  volt_opts named;
  memset(f, 0, sizeof *f);
  f->mode = (r->flags & F_LOOPLESS) ? H_LOOPLESS : H_LOOP;
  h_env_open(&f->e, f->mode, NULL);
  memset(&named, 0, sizeof named);
  named.name = "s";
  f->s = volt_signal(f->e.rt, volt_int(1), &named);
  f->c = volt_computed(f->e.rt, double_s, f, NULL);
  f->eff = volt_effect(f->e.rt, read_c, f);
  f->w = volt_watch(f->s, count_watch, f);
  f->sc = volt_scope(f->e.rt, noop, NULL);
  f->ev = volt_event(f->e.rt);
  h_pool_init(&f->pool);
  {
    volt_opts owned;
    memset(&owned, 0, sizeof owned);
    owned.release = h_box_release;
    owned.ud = &f->pool;
    f->sp = volt_signal(f->e.rt, volt_ptr(h_box_new(&f->pool, 1)), &owned);
    f->evp = volt_event_opts(f->e.rt, &owned);
    ck_assert_ptr_nonnull(f->sp);
    ck_assert_ptr_nonnull(f->evp);
    ck_assert_int_eq(volt_emit(f->evp, volt_ptr(h_box_new(&f->pool, 2))), 0);
  }
  ck_assert_ptr_nonnull(f->s);
  ck_assert_ptr_nonnull(f->c);
  ck_assert_ptr_nonnull(f->eff);
  ck_assert_ptr_nonnull(f->w);
  ck_assert_ptr_nonnull(f->sc);
  ck_assert_ptr_nonnull(f->ev);
  f->tok = volt_token(f->e.rt, f->ev, 0, NULL);
  f->tokb = volt_token(f->e.rt, f->ev, VOLT_TOKEN_STAMPED, NULL);
  ck_assert_ptr_nonnull(f->tok);
  ck_assert_ptr_nonnull(f->tokb);
  ck_assert_int_eq(volt_emit(f->ev, volt_int(7)), 0);
  f->ack = volt_token_ack(f->tok);
  f->ackb = volt_token_ack(f->tokb);
  ck_assert(!volt_ack_is_none(f->ack) && !volt_ack_is_none(f->ackb));
  /* A token whose ack was used once. */
  f->ev2 = volt_event(f->e.rt);
  f->tok2 = volt_token(f->e.rt, f->ev2, 0, NULL);
  ck_assert_ptr_nonnull(f->tok2);
  ck_assert_int_eq(volt_emit(f->ev2, volt_int(1)), 0);
  f->used = volt_token_ack(f->tok2);
  ck_assert_int_eq(volt_ack_ok(f->used), 0);
  ck_assert_int_eq(volt_token_status(f->tok2), VOLT_IDLE);
  if (f->e.lp) {
    f->ev3 = volt_event(f->e.rt);
    f->act = volt_action(f->e.rt, f->ev3, 0, idle_work, NULL, NULL);
    f->tsrc = volt_timer_source(f->e.rt, 1000, 0);
    ck_assert_ptr_nonnull(f->act);
    ck_assert_ptr_nonnull(f->tsrc);
  }
  ck_assert_int_eq(f->runs, 1);
  ck_assert_int_eq(h_int(volt_peek(f->c)), 2);

  if (r->flags & F_RT2) {
    h_env_open(&f->e2, H_LOOP, NULL);
    f->has_e2 = true;
    /* Events first, so that the id and generation of the first runtime's
     * pending ack name an event here, not rt2's own pending mint (which
     * would be a real ack of rt2, not a forged one). */
    for (int k = 0; k < 4; k++) ck_assert_ptr_nonnull(volt_event(f->e2.rt));
    f->ev_r2 = volt_event(f->e2.rt);
    f->tok_r2 = volt_token(f->e2.rt, f->ev_r2, 0, NULL);
    ck_assert_ptr_nonnull(f->tok_r2);
    ck_assert_int_eq(volt_emit(f->ev_r2, volt_int(1)), 0);
    f->ack_r2 = volt_token_ack(f->tok_r2);
    ck_assert(!volt_ack_is_none(f->ack_r2));
  }
  if (r->flags & F_STREAMS) open_streams(f);
  if (r->flags & F_FILE) {
    f->file = tmpfile();
    ck_assert_ptr_nonnull(f->file);
  }
  if (r->prep) {
    out o;
    memset(&o, 0, sizeof o);
    r->prep(f, &o);
  }
  if (r->flags & F_HOLD) {
    ck_assert_int_eq(volt_rt_acquire(f->e.rt), 0);
    f->held = true;
  }
  if (r->flags & F_CLOSED) {
    /* A loop runtime's memory stays until on_closed, from uv_run. */
    ck_assert_ptr_nonnull(f->e.lp);
    volt_rt_close(f->e.rt, h_count_closed, &f->e.closed);
    f->closed_rt = true;
    ck_assert_int_eq(f->e.closed, 0);
  }
}

static void fx_release(fx *f) {
  if (!f->held) return;
  f->held = false;
  volt_rt_release(f->e.rt);
}

static void fx_close(fx *f) {
  fx_release(f);
  close_streams_main(f);
  /* h_env_close's own volt_rt_close does nothing after the row's. */
  h_env_close(&f->e);
  if (f->has_e2) h_env_close(&f->e2);
  close_streams_aux(f);
  if (f->file) fclose(f->file);
}

/* ------------------------------------------------------------------------
 * Snapshots
 * ------------------------------------------------------------------------ */

typedef struct snap {
  volt_stats_t st;
  size_t live_bytes, live_blocks;
  int closed, errors;
  /* the graph (not after a close) */
  int64_t s, c, ev;
  int runs, wcalls;
  int tok, tokb, tok2, act;
  volt_ack ack, ackb;
  int64_t stamp, stampb, act_version;
  int act_in_flight;
  int64_t ev_r2;
  int tok_r2;
  int releases;
} snap;

static void snap_take(fx *f, snap *p) {
  memset(p, 0, sizeof *p);
  ck_assert_int_eq(volt_stats(f->e.rt, &p->st), 0);
  p->live_bytes = f->e.alloc.live_bytes;
  p->live_blocks = f->e.alloc.live_blocks;
  p->closed = f->e.closed;
  p->errors = f->e.errors;
  p->releases = f->pool.releases;
  if (f->has_e2) {
    p->ev_r2 = h_int(volt_peek(f->ev_r2));
    p->tok_r2 = volt_token_status(f->tok_r2);
  }
  if (f->closed_rt) return;
  p->s = h_int(volt_peek(f->s));
  p->c = h_int(volt_peek(f->c));
  p->ev = h_int(volt_peek(f->ev));
  p->runs = f->runs;
  p->wcalls = f->wcalls;
  p->tok = volt_token_status(f->tok);
  p->tokb = volt_token_status(f->tokb);
  p->tok2 = volt_token_status(f->tok2);
  p->ack = volt_token_ack(f->tok);
  p->ackb = volt_token_ack(f->tokb);
  p->stamp = volt_as_int(volt_token_stamp(f->tok));
  p->stampb = volt_as_int(volt_token_stamp(f->tokb));
  if (f->act) {
    p->act = volt_token_status(f->act);
    p->act_version = volt_action_version(f->act);
    p->act_in_flight = volt_action_in_flight(f->act);
  }
}

#define SAME(field)                                                                        \
  ck_assert_msg(a->field == b->field, "row %d (%s: %s): %s: " #field " %lld -> %lld", i, r->fn, \
                r->input, what, (long long)a->field, (long long)b->field)

static void snap_expect(int i, const row *r, const char *what, const snap *a, const snap *b) {
  SAME(st.live_nodes);
  SAME(st.edges);
  SAME(st.bytes);
  SAME(st.node_bytes);
  SAME(st.edge_bytes);
  SAME(st.flushes);
  SAME(st.effect_runs);
  SAME(st.work_in_flight);
  SAME(live_bytes);
  SAME(live_blocks);
  SAME(closed);
  SAME(errors);
  SAME(s);
  SAME(c);
  SAME(ev);
  SAME(runs);
  SAME(wcalls);
  SAME(tok);
  SAME(tokb);
  SAME(tok2);
  SAME(act);
  SAME(stamp);
  SAME(stampb);
  SAME(act_version);
  SAME(act_in_flight);
  SAME(ev_r2);
  SAME(tok_r2);
  SAME(releases);
  ck_assert_msg(volt_ack_eq(a->ack, b->ack) && volt_ack_eq(a->ackb, b->ackb),
                "row %d (%s: %s): %s: the pending acks changed", i, r->fn, r->input, what);
}

/* ------------------------------------------------------------------------
 * Running a row
 * ------------------------------------------------------------------------ */

typedef struct on_thread {
  const row *r;
  fx *f;
  out *o;
} on_thread;

static void thread_main(void *arg) {
  on_thread *t = arg;
  volt_rt *mine = NULL;
  /* F_OTHER_LOOP: this thread is the loop thread of a runtime of its own
   * (loop-less), made before the call and closed after it. */
  if ((t->r->flags & F_OTHER_LOOP) && volt_rt_new(&mine, NULL, NULL) != 0) {
    t->o->bad = "the thread's own runtime could not be made";
    return;
  }
  t->r->call(t->f, t->o); /* records only: nothing asserts here */
  if (mine) volt_rt_close(mine, NULL, NULL);
}

static void pump_close_cb(uv_async_t *h) { uv_close((uv_handle_t *)h, NULL); }

/* Lets the loop apply what another thread queued (the runtime's own
 * handles are unref'd: a ref'd async keeps uv_run going for one
 * iteration). Loop-less: volt_flush. */
static void pump(fx *f) {
  if (f->e.lp) {
    uv_async_t keep;
    ck_assert_int_eq(uv_async_init(f->e.lp, &keep, pump_close_cb), 0);
    ck_assert_int_eq(uv_async_send(&keep), 0);
    ck_assert_int_eq(uv_run(f->e.lp, UV_RUN_DEFAULT), 0);
  } else {
    ck_assert_int_eq(volt_flush(f->e.rt), 0);
  }
}

static void expect_result(int i, const row *r, const out *o) {
  switch (r->want) {
  case W_INT:
    ck_assert_msg(o->rc == r->code, "row %d (%s: %s): returned %d (%s), documented %d (%s)", i,
                  r->fn, r->input, o->rc, volt_err_name(o->rc), r->code, volt_err_name(r->code));
    break;
  case W_I64:
    ck_assert_msg(o->i64 == r->code, "row %d (%s: %s): returned %lld, documented %d", i, r->fn,
                  r->input, (long long)o->i64, r->code);
    break;
  case W_NULL:
    ck_assert_msg(o->ptr == NULL, "row %d (%s: %s): returned %p, documented NULL", i, r->fn,
                  r->input, o->ptr);
    break;
  case W_ERR:
    ck_assert_msg(volt_tag(o->v) == VOLT_ERR && volt_err_code(o->v) == r->code,
                  "row %d (%s: %s): returned tag %d code %d (%s), documented VOLT_ERR %s", i, r->fn,
                  r->input, volt_tag(o->v), volt_err_code(o->v), volt_err_name(volt_err_code(o->v)),
                  volt_err_name(r->code));
    break;
  case W_NIL:
    ck_assert_msg(volt_is_nil(o->v), "row %d (%s: %s): returned tag %d, documented NIL", i, r->fn,
                  r->input, volt_tag(o->v));
    break;
  case W_NONE:
    ck_assert_msg(volt_ack_is_none(o->ack), "row %d (%s: %s): returned ack %u/%u, documented NONE",
                  i, r->fn, r->input, o->ack.id, o->ack.gen);
    break;
  case W_VOID:
    break;
  case W_STR:
    ck_assert_msg(o->str != NULL && strcmp(o->str, r->str) == 0,
                  "row %d (%s: %s): returned \"%s\", documented \"%s\"", i, r->fn, r->input,
                  o->str ? o->str : "(null)", r->str);
    break;
  case W_BOOL:
    ck_assert_msg(o->b == r->code, "row %d (%s: %s): returned %d, documented %d", i, r->fn,
                  r->input, o->b, r->code);
    break;
  }
  ck_assert_msg(o->bad == NULL, "row %d (%s: %s): %s", i, r->fn, r->input, o->bad ? o->bad : "");
}

START_TEST(bad_input_row) {
  const row *r = &rows[_i];
  fx f;
  snap before, again, after;
  out o;

  fx_open(&f, r);
  snap_take(&f, &before);
  snap_take(&f, &again);
  snap_expect(_i, r, "taking the snapshot changed it", &before, &again);

  o.rc = INT_MIN;
  o.i64 = INT64_MIN;
  o.ptr = &o; /* not NULL */
  o.v = volt_int(INT64_MIN);
  o.ack = ack_of(NULL, UINT32_MAX, UINT32_MAX);
  o.str = NULL;
  o.b = -1;
  o.bad = NULL;
  if (r->flags & F_THREAD) {
    on_thread t = {r, &f, &o};
    uv_thread_t tid;
    ck_assert_int_eq(uv_thread_create(&tid, thread_main, &t), 0);
    ck_assert_int_eq(uv_thread_join(&tid), 0);
  } else {
    r->call(&f, &o);
  }
  if (r->flags & F_PUMP) {
    fx_release(&f);
    pump(&f);
  }
  expect_result(_i, r, &o);
  snap_take(&f, &after);
  snap_expect(_i, r, "the call changed", &before, &after);

  if (!f.closed_rt) {
    /* The graph still works: no batch was left open, nothing was closed. */
    ck_assert_msg(volt_set(f.s, volt_int(50)) == 0, "row %d (%s: %s): a write failed after it", _i,
                  r->fn, r->input);
    ck_assert_msg(f.runs == before.runs + 1 && h_int(volt_peek(f.c)) == 100,
                  "row %d (%s: %s): the effect did not follow a write after it", _i, r->fn,
                  r->input);
    ck_assert_msg(f.wcalls == before.wcalls + 1,
                  "row %d (%s: %s): the watcher did not follow a write after it", _i, r->fn,
                  r->input);
  }
  fx_close(&f);
  ck_assert_msg(f.e.closed == 1, "row %d (%s: %s): on_closed ran %d times", _i, r->fn, r->input,
                f.e.closed);
  ck_assert_msg(f.stray == 0, "row %d (%s: %s): a callback given to the refused call ran", _i,
                r->fn, r->input);
  /* The fixture's boxes were released once each (by the close); the box a
   * refused call was handed, never. */
  ck_assert_msg(h_pool_unreleased(&f.pool) == 0 && h_pool_overreleased(&f.pool) == 0 &&
                    f.pool.bad == 0 && f.pool.box[H_BOXES - 1].released == 0,
                "row %d (%s: %s): boxes released wrongly (%d unreleased, %d twice, %d foreign, "
                "the caller's %d times)",
                _i, r->fn, r->input, h_pool_unreleased(&f.pool), h_pool_overreleased(&f.pool),
                f.pool.bad, f.pool.box[H_BOXES - 1].released);
}
END_TEST

/* Every row names a function the headers declare, and none is listed twice
 * with the same input. */
START_TEST(table_is_well_formed) {
  for (int i = 0; i < NROWS; i++) {
    ck_assert_msg(strncmp(rows[i].fn, "volt_", 5) == 0 && rows[i].call != NULL,
                  "row %d is incomplete", i);
    for (int j = 0; j < i; j++)
      ck_assert_msg(strcmp(rows[i].fn, rows[j].fn) != 0 || strcmp(rows[i].input, rows[j].input) != 0,
                    "rows %d and %d are the same (%s: %s)", j, i, rows[i].fn, rows[i].input);
  }
}
END_TEST

static Suite *badinput_suite(void) {
  Suite *s = suite_create("badinput");
  /* The rows first: row i is TAP test i + 1 (a crash's report names no
   * row, its number does). */
  TCase *tc = h_tcase(s, "rows");
  tcase_add_loop_test(tc, bad_input_row, 0, NROWS);
  tc = h_tcase(s, "table");
  tcase_add_test(tc, table_is_well_formed);
  return s;
}

int main(void) { return h_run(badinput_suite()); }
