/* signals/internal.h - what the files of signals/ share and no other layer
 * needs: slots and edges, ownership, the kinds of this layer. */
#ifndef VOLT_SIGNALS_INTERNAL_H
#define VOLT_SIGNALS_INTERNAL_H

#include <assert.h>
#include <string.h>

#include "signals/core.h"

/* The kinds defined in signals/ (one file each). */
extern volt__kind volt__signal_kind;
extern volt__kind volt__computed_kind;
extern volt__kind volt__effect_kind;
extern volt__kind volt__watcher_kind;
extern volt__kind volt__scope_kind;

/* memory.c */
volt_node *volt__slot_alloc(volt__core *c);
/* A disposed node's slot waits in the limbo until the outermost call ends. */
void volt__slot_retire(volt__core *c, volt_node *n);
uint32_t volt__edge_alloc(volt__core *c);
void volt__edge_retire(volt__core *c, uint32_t e);
static inline volt__ext *volt__ext_at(volt__core *c, uint32_t i) {
  return &c->ext_chunks[i / 256u][i % 256u];
}
static inline volt__ext *volt__ext_of(volt__core *c, const volt_node *n) {
  return n->ext ? volt__ext_at(c, n->ext) : NULL;
}
void volt__ext_release(volt__core *c, volt_node *n);

/* owner.c */
volt_node *volt__owner_of(volt__core *c, const volt_node *n);
/* Before an owner re-runs: its children go (newest first), its cleanups run. */
void volt__reset_owner(volt__core *c, volt_node *n);
/* A node disposed while its function ran: what its run still needed (its
 * release hook, for the value the function returns) goes now. */
void volt__run_ended(volt__core *c, volt_node *n);
/* Calls a user hook of n's options (watched or unwatched), as user code. */
void volt__call_hook(volt__core *c, volt_node *n, void (*fn)(volt_node *, void *), void *ud);

/* propagate.c */
bool volt__check_dirty(volt__core *c, volt_node *n);
void volt__unlink_subs(volt__core *c, volt_node *n);
void volt__trim_slow(volt__core *c, volt_node *n);
/* After a tracking run: drops the dependencies it did not read again. */
static inline void volt__trim(volt__core *c, volt_node *n) {
  if (n->deps_tail ? c->edges[n->deps_tail].next_dep : n->deps) volt__trim_slow(c, n);
}
/* A computed that lost its last subscriber drops its dependencies (after
 * the unlinking in progress, iteratively). */
void volt__orphan(volt__core *c, volt_node *n);

/* computed.c: evaluations left for the shallow end of the C stack. */
void volt__run_deferred(volt__core *c);
void volt__stack_init(volt__core *c);

/* flush.c */
void volt__resync(volt__core *c);
/* Releases the values replaced meanwhile (their hooks may write). */
void volt__drain_graves(volt__core *c);

/* Public entry point checks: the runtime of a live node on its loop thread. */
#define VOLT__CHECK_THREAD(c, ret)        \
  do {                                    \
    if (!volt__on_loop(c)) return ret;    \
  } while (0)

#endif /* VOLT_SIGNALS_INTERNAL_H */
