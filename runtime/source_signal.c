/* runtime/source_signal.c - volt_posix_signal_source: a uv_signal_t as an
 * event source. Each delivery libuv reports is one occurrence whose payload
 * is the signal number (VOLT_INT).
 */
#include <signal.h>
#include <string.h>

#include "runtime/source.h"

typedef struct signal_src {
  volt__source s; /* first */
  uv_signal_t sig;
  int signum;
} signal_src;

static void on_signal(uv_signal_t *h, int signum) {
  signal_src *g = h->data;
  if (!g->s.node) return;
  volt__source_fire(&g->s, volt_int(signum));
}

/* First subscriber: libuv's handler is installed for the signal. */
static void signal_watched(volt__core *c, volt_node *n) {
  signal_src *g = (signal_src *)volt__source_of(c, n);
  if (!g || !g->s.ready) return;
  int rc = uv_signal_start(&g->sig, on_signal, g->signum);
  if (rc)
    volt__source_start_failed(&g->s, rc);
  else
    g->s.running = true;
}

/* Last subscriber left: stopped. When no other handle of the process
 * watches the signal, libuv gives it back its default action. */
static void signal_unwatched(volt__core *c, volt_node *n) {
  signal_src *g = (signal_src *)volt__source_of(c, n);
  if (!g || !g->s.ready || !g->s.running) return;
  g->s.running = false;
  uv_signal_stop(&g->sig);
}

static volt__kind signal_kind = {.name = "posix_signal", .update = volt__event_update, .watched = signal_watched,
                           .unwatched = signal_unwatched, .dispose = volt__source_dispose,
                           .traits = VOLT__KIND_VALUE | VOLT__KIND_EVENT};

/* A signal a handler can be installed for (asked of the system without
 * changing anything; SIGKILL and SIGSTOP can never be caught). */
static bool catchable(int signum) {
  struct sigaction old;
  if (signum <= 0 || signum == SIGKILL || signum == SIGSTOP) return false;
  return sigaction(signum, NULL, &old) == 0;
}

/* Loop thread. See volt/volt.h. */
volt_node *volt_posix_signal_source(volt_rt *rt, int signum) {
  if (!volt__source_core(rt) || !catchable(signum)) return NULL;
  signal_src *g = volt__source_alloc(rt, sizeof *g);
  if (!g) return NULL;
  g->signum = signum;
  g->s.handle = (uv_handle_t *)&g->sig;
  if (!volt__source_node(rt, &g->s, &signal_kind, NULL)) return NULL;
  return volt__source_ready(&g->s, uv_signal_init(rt->loop, &g->sig));
}
