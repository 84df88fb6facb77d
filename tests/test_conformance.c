/* tests/test_conformance.c - the behaviour tests of two JavaScript signal
 * libraries, alien-signals (stackblitz/alien-signals, tests/NAME.spec.ts,
 * 0.x to 3.2) and @preact/signals-core (preactjs/signals,
 * packages/core/test/signal.test.tsx: signal, effect, computed, batch,
 * untracked), ported to volt's public API to find where volt behaves
 * differently. Each case translates one upstream test's intent (values,
 * call counts, order of runs, recomputations); the code is our own.
 *
 * Mapping: signal -> volt_signal / volt_get / volt_set; computed ->
 * volt_computed; effect -> volt_effect (its returned cleanup ->
 * volt_on_cleanup inside it; dispose() -> volt_dispose); effectScope ->
 * volt_scope; untracked / setActiveSub(undefined) -> volt_untrack; peek ->
 * volt_peek; batch / startBatch..endBatch -> volt_batch_begin..end;
 * watched/unwatched -> volt_opts hooks; .subscribe(cb) -> an effect that
 * reads the signal and calls cb untracked; a thrown error -> a VOLT_ERR
 * value returned by the computed; "Cycle detected" -> VOLT_ECYCLE (or
 * VOLT_ELOOP for effects). Strings become integers ("a" -> 1, "aa" -> 2,
 * "b c" -> b * 100 + c).
 *
 * Every test runs on a loop-less runtime on the counting allocator (one
 * case needs a loop: pr_signal_update_from_watched). h_env_close checks the
 * close contract and that no byte is left allocated.
 *
 * Kinds of case, marked in the table:
 *  - no mark: asserts what upstream asserts.
 *  - [BY DESIGN: ...]: volt's documented semantics differ on purpose
 *    (writes in computeds return VOLT_EPERM; writes inside an effect join
 *    the current flush, guide §5; an effect re-runs after writing what it
 *    read, §8; NaN equals NaN, §2; no
 *    trigger() and no writable computeds). The case asserts volt's
 *    behaviour; its comment says what upstream expects.
 *  - [adapted]: upstream's shape needs something C has no equivalent for
 *    (exceptions, `using`, internals); the intent is kept.
 *  - [FINDING]: volt differs and the guide does not say it should. The
 *    case asserts upstream's behaviour and sits in the tcase "findings",
 *    which is added only with VOLT_CONFORMANCE_FINDINGS=1 (or
 *    CK_RUN_CASE=findings), so the suite stays green meanwhile.
 *
 * Not ported (no C equivalent): preact's toString / toJSON / valueOf /
 * JSON.stringify / instanceof Signal / brand symbol cases and its effect
 * "internals" (_start, _callback, _sources); effects that dispose
 * themselves during their *first* run through `this` (volt hands out the
 * node only when volt_effect returns); disposing the same effect twice
 * (a use after free in volt, guide §9); effects whose first run or cleanup
 * throws, and batch() rethrowing; alien-signals' "skipped effects from a
 * previous failed flush" (an exception aborting a flush); the superseded
 * 0.x "inner effects in sequence" order (3.x expects the opposite, ported
 * as al_effect_inner_same_order_as_plain); preact's createModel section.
 *
 * Run: meson test -C build conformance --print-errorlogs
 * Findings: VOLT_CONFORMANCE_FINDINGS=1 build/tests/test_conformance
 *      or   CK_RUN_CASE=findings CK_VERBOSITY=normal build/tests/test_conformance
 * One tcase: CK_RUN_CASE=<tcase> CK_VERBOSITY=normal build/tests/test_conformance
 *
 *  tcase / case
 *        upstream test
 *        [mark]
 *  ------------------------------------------------------------------------
 *  alien_computed: (alien-signals tests/computed.spec.ts)
 *    al_computed_propagate_through_chain
 *        should correctly propagate changes through computed signals
 *    al_computed_chained_updated_source
 *        should propagate updated source value through chained computations
 *    al_computed_flags_indirectly_updated
 *        should handle flags are indirectly updated during checkDirty
 *    al_computed_no_update_on_revert
 *        should not update if the signal value is reverted
 *  alien_effect: (alien-signals tests/effect.spec.ts (2.x, 3.x))
 *    al_effect_clear_subs_when_untracked
 *        should clear subscriptions when untracked by all subscribers
 *    al_effect_no_run_untracked_inner
 *        should not run untracked inner effect
 *    al_effect_outer_first
 *        should run outer effect first
 *    al_effect_inner_not_triggered_maybe_dirty
 *        should not trigger inner effect when resolve maybe dirty
 *    al_effect_inner_same_order_as_plain
 *        should notify inner effects in the same order as non-inner effects
 *    al_effect_custom_batch_effect
 *        should custom effect support batch
 *        [BY DESIGN: write in a computed -> VOLT_EPERM]
 *    al_effect_duplicate_subs_notify_order
 *        should duplicate subscribers do not affect the notify order
 *    al_effect_side_effect_with_inner_effects
 *        should handle side effect with inner effects
 *        [BY DESIGN: writes in an effect join the flush (guide §5)]
 *    al_effect_flags_indirectly_updated
 *        should handle flags are indirectly updated during checkDirty
 *    al_effect_recursion_first_run
 *        should handle effect recursion for the first execution
 *        [BY DESIGN: an effect re-runs after writing what it read (guide §5, §8)]
 *    al_effect_custom_recurse
 *        should support custom recurse effect
 *    al_effect_cleanup_order_rerun
 *        cleanup order on outer re-run: inner before outer, before new run
 *    al_effect_cleanup_order_dispose
 *        cleanup order on dispose: inner before outer
 *    al_effect_sibling_cleanup_lifo_dispose
 *        sibling cleanup order on dispose: reverse creation (LIFO)
 *    al_effect_sibling_cleanup_lifo_rerun
 *        sibling cleanup order on outer re-run: reverse creation (LIFO)
 *    al_effect_three_level_cleanup_dispose
 *        three-level nested cleanup on dispose: deepest first
 *    al_effect_computed_unwatched_child_cleanup_lifo
 *        computed unwatched: child effect cleanups run in reverse creation (LIFO)
 *    al_effect_inner_of_computed_cleanup_before_setup
 *        effect created inside computed: old inner cleanup runs before new inner setup
 *    al_effect_cleanup_order_after_inner_only_rerun
 *        cleanup order is correct on outer re-run after a prior inner-only re-run
 *    al_effect_outer_keeps_own_dep_issue115
 *        outer effect keeps responding to its own dep after inner re-runs (#115)
 *  alien_vue_computed: (alien-signals tests/vue/computed.spec.ts)
 *    al_vue_updated_value
 *        should return updated value
 *    al_vue_compute_lazily
 *        should compute lazily
 *    al_vue_trigger_effect
 *        should trigger effect
 *    al_vue_chained
 *        should work when chained
 *    al_vue_trigger_effect_chained
 *        should trigger effect when chained
 *    al_vue_trigger_effect_chained_mixed
 *        should trigger effect when chained (mixed invocations)
 *    al_vue_setter
 *        should support setter
 *        [BY DESIGN: no writable computeds (VOLT_EINVAL)]
 *    al_vue_setter_triggers_effect
 *        should trigger effect w/ setter
 *        [BY DESIGN: no writable computeds]
 *    al_vue_invalidate_before_effects
 *        should invalidate before non-computed effects (#5720)
 *    al_vue_invalidate_before_computeds
 *        should invalidate before non-computed computeds (#5720)
 *    al_vue_query_deps_sequentially
 *        should query deps dirty sequentially
 *    al_vue_dirty_realloc_after_query
 *        chained computed dirty reallocation after querying dirty
 *    al_vue_dirty_realloc_after_getter
 *        chained computed dirty reallocation after trigger computed getter
 *    al_vue_deps_order_consistent
 *        deps order should be consistent with the last time get value
 *    al_vue_second_maybe_dirty_computed
 *        should trigger by the second computed that maybe dirty
 *    al_vue_second_effect_triggered
 *        should trigger the second effect
 *    al_vue_chained_clear_dirty
 *        should chained recursive effects clear dirty after trigger
 *        [adapted: no dirty flags; no recompute]
 *    al_vue_chained_first_computed_writes
 *        should chained computeds dirtyLevel update with first computed effect
 *        [BY DESIGN: write in a computed]
 *    al_vue_chained_ref_and_computed
 *        should work when chained(ref+computed)
 *        [BY DESIGN: write in a computed]
 *    al_vue_effect_even_computed_dirty
 *        should trigger effect even computed already dirty
 *        [BY DESIGN: write in a computed]
 *    al_vue_queried_maybe_dirty_kept
 *        should not override queried MaybeDirty result (#10185)
 *        [BY DESIGN: write in a computed]
 *    al_vue_no_trigger_if_unchanged
 *        should not trigger if value did not change
 *    al_vue_chained_trigger
 *        chained computed trigger
 *    al_vue_chained_avoid_recompute
 *        chained computed avoid re-compute
 *    al_vue_chained_value_invalidation
 *        chained computed value invalidation
 *    al_vue_sync_access_then_effect_runs
 *        sync access of invalidated chained computed should not prevent final effect from running
 *    al_vue_computed_tracks_in_untracked_zone
 *        computed should force track in untracked zone
 *    al_vue_computed_side_effect_triggers
 *        computed side effect should be able trigger
 *        [BY DESIGN: write in a computed]
 *    al_vue_chained_read_before_subs
 *        chained computed should work when accessed before having subs
 *    al_vue_recomputed_despite_side_effects
 *        should be recomputed without being affected by side effects
 *        [BY DESIGN: write in a computed]
 *  alien_scope: (alien-signals tests/effectScope.spec.ts (2.x, 3.x))
 *    al_scope_no_trigger_after_stop
 *        should not trigger after stop
 *    al_scope_dispose_inner_effects_in_effect
 *        should dispose inner effects if created in an effect
 *        [BY DESIGN: writes in an effect join the flush (guide §5)]
 *    al_scope_inner_reads_tracked_by_outer
 *        should track signal updates in an inner scope when accessed by an outer effect
 *    al_scope_dispose_runs_child_cleanup
 *        scope dispose runs child effect cleanup
 *    al_scope_sibling_cleanup_lifo
 *        scope dispose: sibling effects clean up in reverse creation (LIFO)
 *    al_scope_nested_cleanup_depth_first
 *        scope dispose: nested effect cleanup runs depth-first reverse
 *    al_scope_intermediate_parent_cleanup_order
 *        scope as intermediate parent: cleanup order respects nesting
 *  alien_trigger: (alien-signals tests/trigger.spec.ts)
 *    al_trigger_no_dependencies
 *        should not throw when triggering with no dependencies
 *        [BY DESIGN: no trigger(); see the section]
 *    al_trigger_dependent_computed
 *        should trigger updates for dependent computed signals
 *        [BY DESIGN: no trigger()]
 *    al_trigger_second_source
 *        should trigger updates for the second source signal
 *        [BY DESIGN: no trigger()]
 *    al_trigger_effect_once
 *        should trigger effect once
 *        [BY DESIGN: no trigger()]
 *    al_trigger_not_notify_trigger_sub
 *        should not notify the trigger function sub
 *        [BY DESIGN: no trigger()]
 *  alien_untrack: (alien-signals tests/untrack.spec.ts)
 *    al_untrack_in_computed
 *        should pause tracking in computed
 *    al_untrack_in_effect
 *        should pause tracking in effect
 *    al_untrack_in_scope
 *        should pause tracking in effect scope
 *    al_untrack_untrack
 *        should untrack (0.x)
 *  alien_issues: (alien-signals tests/issue_*.spec.ts)
 *    al_issue105_nested_scope_links
 *        #105 signal and computed should link to the same node in effectScope
 *    al_issue105_signal_and_computed_through_scope
 *        #105 effect should respond to both signal and computed changes through scope
 *    al_issue105_scope_consecutive_updates
 *        #105 scope should respond to consecutive signal updates
 *    al_issue105_computed_in_scope_caches
 *        #105 computed in standalone scope should cache and clean up
 *    al_issue109_dispose_in_computed_update
 *        #109
 *    al_issue109_self_dispose_body_finishes
 *        self-dispose inside effect: code after dispose() still runs
 *    al_issue109_disposed_by_other_node_skipped
 *        disposed-by-other-node effect: scheduled run is skipped entirely
 *    al_issue109_disposed_effect_graph_clean
 *        disposed effect: graph state is fully cleaned up
 *        [adapted: volt_stats edges]
 *    al_issue109_disposed_not_renotified
 *        disposed effect should not be re-notified on later updates
 *    al_issue109_dispose_scope_in_computed_update
 *        #109 scope-variant: dispose effectScope during computed update
 *    al_issue109_sibling_disposal_two_subs
 *        #109 shallowPropagate walks stale link after sibling disposal
 *    al_issue109_sibling_disposal_three_subs
 *        #109 shallowPropagate walks stale link with 3 subscribers
 *    al_issue109_stale_link_no_rerun
 *        #109 stale-link: disposed effect still runs
 *    al_issue109_variant_dispose_mid_check
 *        #109 variant - dep.subs undefined
 *    al_issue48_reaction_dispose_inner
 *        #48 (and #43)
 *        [adapted: untrack keeps the owner (§17.9)]
 *    al_issue99_inner_resets_through_chain
 *        #99 consecutive inner resets through computed chain
 *        [BY DESIGN: effect re-runs after its own write (§5, §8)]
 *  alien_topology: (alien-signals tests/topology.spec.ts)
 *    al_topo_drop_aba_updates
 *        should drop A->B->A updates
 *    al_topo_diamond_once
 *        should only update every signal once (diamond graph)
 *    al_topo_diamond_tail_once
 *        should only update every signal once (diamond graph + tail)
 *    al_topo_bail_out_same_result
 *        should bail out if result is the same
 *    al_topo_jagged_diamond_tails
 *        should only update every signal once (jagged diamond graph + tails)
 *    al_topo_only_listened_signals
 *        should only subscribe to signals listened to
 *    al_topo_only_listened_signals_2
 *        should only subscribe to signals listened to II
 *    al_topo_one_dep_unmarks
 *        should ensure subs update even if one dep unmarks it
 *    al_topo_two_deps_unmark
 *        should ensure subs update even if two deps unmark it
 *    al_topo_lazy_branches
 *        should support lazy branches
 *    al_topo_all_deps_unmark
 *        should not update a sub if all deps unmark it
 *    al_topo_err_during_activation
 *        should keep graph consistent on errors during activation
 *        [errors are VOLT_ERR values]
 *    al_topo_err_in_computeds
 *        should keep graph consistent on errors in computeds
 *        [errors are VOLT_ERR values]
 *  preact_signal: (signal.test.tsx describe("signal"))
 *    pr_signal_return_value
 *        should return value
 *    pr_signal_notify_after_listener_disposed
 *        should notify other listeners of changes after one listener is disposed
 *    pr_signal_peek_value
 *        .peek() should get value
 *    pr_signal_peek_updated_value
 *        .peek() should get the updated value after a value change
 *    pr_signal_peek_no_effect_dep
 *        .peek() should not make surrounding effect depend on the signal
 *    pr_signal_peek_no_computed_dep
 *        .peek() should not make surrounding computed depend on the signal
 *    pr_signal_subscribe_calls_with_value
 *        .subscribe() should subscribe to a signal
 *        [subscribe = effect + untracked callback]
 *    pr_signal_subscribe_runs_on_change
 *        .subscribe() should run the callback when the signal value changes
 *    pr_signal_unsubscribe
 *        .subscribe() should unsubscribe from a signal
 *    pr_signal_subscribe_cb_reads_untracked
 *        .subscribe() should not start triggering on when a signal accessed in the callback
 *        changes
 *    pr_signal_subscribe_in_effect_no_outer_dep
 *        .subscribe() should not cause surrounding effect to subscribe to ... the callback
 *    pr_signal_watched_first_subscription
 *        .(un)watched() should call watched when first subscription occurs
 *    pr_signal_update_from_watched
 *        .(un)watched() should allow updating the signal from watched
 *        [needs a loop: setTimeout -> uv timer]
 *  preact_effect: (signal.test.tsx describe("effect()"))
 *    pr_effect_runs_immediately
 *        should run the callback immediately
 *    pr_effect_subscribes
 *        should subscribe to signals
 *    pr_effect_subscribes_multiple
 *        should subscribe to multiple signals
 *    pr_effect_dispose_subscriptions
 *        should dispose of subscriptions
 *    pr_effect_dispose_self_on_rerun
 *        should dispose of subscriptions (this.dispose())
 *    pr_effect_unsubscribe
 *        should unsubscribe from signal
 *    pr_effect_conditional_unsubscribe
 *        should conditionally unsubscribe from signals
 *    pr_effect_batches_writes
 *        should batch writes
 *    pr_effect_cleanup_before_next_run
 *        should call the cleanup callback before the next run
 *    pr_effect_only_previous_cleanup
 *        should call only the callback from the previous run
 *    pr_effect_cleanup_on_dispose
 *        should call the cleanup callback function when disposed
 *    pr_effect_no_rerun_when_computed_unchanged
 *        should not recompute if ... no direct dependency has actually changed
 *    pr_effect_no_unneeded_dep_recompute
 *        should not recompute dependencies unnecessarily
 *    pr_effect_no_out_of_order_recompute
 *        should not recompute dependencies out of order
 *    pr_effect_recompute_dep_changed_during_run
 *        should recompute if a dependency changes during computation after becoming a dependency
 *    pr_effect_cleanup_implicit_batch
 *        should run the cleanup in an implicit batch
 *    pr_effect_cleanup_write_no_retrigger
 *        should not retrigger the effect if the cleanup modifies one of the dependencies
 *    pr_effect_cleanup_when_self_disposed
 *        should run the cleanup if the effect disposes itself
 *    pr_effect_cleanup_disposes_effect
 *        should not run the effect if the cleanup function disposes it
 *    pr_effect_cleanups_outside_context
 *        should run cleanups outside any evaluation context
 *    pr_effect_cycles
 *        should throw on cycles
 *        [BY DESIGN: NaN == NaN (guide §2); VOLT_ELOOP]
 *    pr_effect_indirect_cycles
 *        should throw on indirect cycles
 *        [BY DESIGN: write in a computed]
 *    pr_effect_dispose_running
 *        should allow disposing a running effect
 *    pr_effect_triggered_then_disposed_in_batch
 *        should not run if it's first been triggered and then disposed in a batch
 *    pr_effect_triggered_disposed_triggered_in_batch
 *        should not run if it's been triggered, disposed and then triggered again in a batch
 *    pr_effect_noop_batch_no_rerun
 *        should not rerun an effect for a no-op batch assignment
 *    pr_effect_repeated_noop_batches
 *        should not rerun an effect for repeated no-op top-level batches
 *    pr_effect_noop_batch_through_computed
 *        should not rerun an effect subscribed through a computed for a no-op batch assignment
 *    pr_effect_unsubscribed_computed_read_in_reverted_batch
 *        should keep unsubscribed computeds coherent when they are read during a reverted batch
 *    pr_effect_unsubscribed_computed_peeked_in_reverted_batch
 *        should keep unsubscribed computeds coherent when they are peeked during a reverted batch
 *    pr_effect_parent_not_rerun_for_child_signal
 *        should not rerun parent effect if a nested child effect's signal's value changes
 *    pr_effect_reset_cleanup_on_early_return
 *        should reset the cleanup if the effect throws
 *        [adapted: "throw" = early return]
 *    pr_effect_scoped_disposal
 *        should support resource management disposal
 *        [adapted: `using` = a scope]
 *  preact_computed: (signal.test.tsx describe("computed()"))
 *    pr_computed_return_value
 *        should return value
 *    pr_computed_updated_value
 *        should return updated value
 *    pr_computed_lazy
 *        should be lazily computed on demand
 *    pr_computed_only_when_dep_changed
 *        should be computed only when a dependency has changed at some point
 *    pr_computed_dep_changed_during_run
 *        should recompute if a dependency changes during computation ...
 *        [BY DESIGN: write in a computed]
 *    pr_computed_simple_cycle
 *        should detect simple dependency cycles
 *        [VOLT_ECYCLE]
 *    pr_computed_deep_cycle
 *        should detect deep dependency cycles
 *        [VOLT_ECYCLE]
 *    pr_computed_not_own_dependency
 *        should not allow a computed signal to become a direct dependency of itself
 *    pr_computed_stores_errors
 *        should store thrown errors and recompute only after a dependency changes
 *        [VOLT_ERR]
 *    pr_computed_stores_non_errors
 *        should store thrown non-errors and recompute only after a dependency changes
 *        [VOLT_ERR without message]
 *    pr_computed_conditional_unsubscribe
 *        should conditionally unsubscribe from signals
 *    pr_computed_watched_first_subscription
 *        .(un)watched() should call watched when first subscription occurs
 *    pr_computed_watched_nested_signal
 *        .(un)watched() ... w/ nested signal
 *    pr_computed_undefined_vs_uninitialized
 *        should consider undefined value separate from uninitialized value
 *        [NIL]
 *    pr_computed_no_leak_of_dep_errors
 *        should not leak errors raised by dependencies
 *    pr_computed_notify_right_after_first_subscription
 *        should propagate notifications even right after first subscription
 *    pr_computed_outdated_right_after_first_subscription
 *        should get marked as outdated right after first subscription
 *    pr_computed_notify_after_listener_disposed
 *        should propagate notification to other listeners after one listener is disposed
 *    pr_computed_no_out_of_order_recompute
 *        should not recompute dependencies out of order
 *    pr_computed_no_unneeded_dep_recompute
 *        should not recompute dependencies unnecessarily
 *    pr_computed_peek_value
 *        .peek() should get value
 *    pr_computed_peek_error
 *        .peek() should throw when evaluation throws
 *        [VOLT_ERR]
 *    pr_computed_peek_previous_error
 *        ..peek() should throw when previous evaluation threw and dependencies haven't changed
 *        [VOLT_ERR]
 *    pr_computed_peek_refresh_stale
 *        .peek() should refresh value if stale
 *    pr_computed_peek_simple_cycle
 *        .peek() should detect simple dependency cycles
 *        [VOLT_ECYCLE]
 *    pr_computed_peek_deep_cycle
 *        .peek() should detect deep dependency cycles
 *        [VOLT_ECYCLE]
 *    pr_computed_peek_no_effect_dep
 *        .peek() should not make surrounding effect depend on the computed
 *    pr_computed_peek_no_computed_dep
 *        .peek() should not make surrounding computed depend on the computed
 *    pr_computed_peek_no_effect_dep_on_peeked_deps
 *        ..peek() should not make surrounding effect depend on the peeked computed's dependencies
 *    pr_computed_peek_no_computed_dep_on_peeked_deps
 *        .peek() should not make surrounding computed depend on peeked computed's dependencies
 *    pr_computed_collectable_after_listeners_lost
 *        garbage collection: ... after it has lost all of its listeners
 *        [adapted: edges and live nodes]
 *    pr_computed_collectable_unobserved
 *        garbage collection: ... if nothing is listening to its changes
 *        [adapted: edges and live nodes]
 *  preact_graph: (signal.test.tsx computed() > graph updates)
 *    pr_graph_drop_aba_updates
 *        should drop A->B->A updates
 *    pr_graph_diamond_once
 *        should only update every signal once (diamond graph)
 *    pr_graph_diamond_tail_once
 *        should only update every signal once (diamond graph + tail)
 *    pr_graph_bail_out_same_result
 *        should bail out if result is the same
 *    pr_graph_jagged_diamond_tails
 *        should only update every signal once (jagged diamond graph + tails)
 *    pr_graph_only_listened_signals
 *        should only subscribe to signals listened to
 *    pr_graph_only_listened_signals_2
 *        should only subscribe to signals listened to II
 *    pr_graph_one_dep_unmarks
 *        should ensure subs update even if one dep unmarks it
 *    pr_graph_two_deps_unmark
 *        should ensure subs update even if two deps unmark it
 *    pr_graph_once_for_multiple_dep_changes
 *        should run computeds once for multiple dep changes
 *  preact_errors: (signal.test.tsx computed() > error handling)
 *    pr_errh_lazy_branches
 *        should support lazy branches
 *    pr_errh_all_deps_unmark
 *        should not update a sub if all deps unmark it
 *    pr_errh_err_during_activation
 *        should keep graph consistent on errors during activation
 *        [errors are VOLT_ERR values]
 *    pr_errh_err_in_computeds
 *        should keep graph consistent on errors in computeds
 *        [errors are VOLT_ERR values]
 *    pr_errh_write_to_computed
 *        should throw when writing to computeds
 *        [volt_set -> VOLT_EINVAL]
 *  preact_batch: (signal.test.tsx describe("batch/transaction"))
 *    pr_batch_returns_result
 *        should return the value from the callback
 *        [adapted: volt_batch_end returns 0]
 *    pr_batch_delays_writes
 *        should delay writes
 *    pr_batch_delays_until_outermost
 *        should delay writes until outermost batch is complete
 *    pr_batch_reads_written_signals
 *        should read signals written to
 *    pr_batch_reads_computed_with_updated_sources
 *        should read computed signals with updated source signals
 *    pr_batch_no_block_after_batch
 *        should not block writes after batching completed
 *    pr_batch_not_stale_with_get
 *        should not lead to stale signals with .value in batch
 *    pr_batch_not_stale_with_peek
 *        should not lead to stale signals with peek() in batch
 *    pr_batch_effect_first_run_immediate
 *        should run effect's first run immediately even inside a batch
 *    pr_batch_pending_effects_run_despite_failures
 *        should run pending effects even if some effects throw
 *        [adapted: "throw" = early return]
 *    pr_batch_pending_effects_after_early_exit
 *        should run pending effects even if the callback throws
 *        [adapted: early exit]
 *  preact_untracked: (signal.test.tsx describe("untracked"))
 *    pr_untracked_in_effect
 *        should block tracking inside effects
 *    pr_untracked_effect_inside_untracked
 *        should block tracking even when run inside effect run inside untracked
 *    pr_untracked_assignment_ok
 *        should not cause signal assignments throw
 *    pr_untracked_in_computed
 *        should block tracking inside computed signals
 */
#include "harness.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * Shared context and helpers. Every test starts with OPEN() (a loop-less
 * runtime on the counting allocator, the context zeroed) and ends with
 * CLOSE() (volt_rt_close, close contract, zero live bytes). The context is
 * global so that the small callbacks below can reach the nodes of the test.
 * ------------------------------------------------------------------------ */

typedef struct ctx {
  h_env env;
  volt_rt *rt;
  volt_node *a, *b, *c, *d, *e, *f, *g, *s, *s2;
  volt_node *fx, *fx2, *fx3, *scope, *scope2;
  int n1, n2, n3, n4, n5, n6;
  int bad, step;
  int64_t r1, r2, r3;
  h_log log;
  h_log log2;
} ctx;

static ctx X;
#define RT (X.rt)

static void open_env(int mode) {
  memset(&X, 0, sizeof X);
  h_env_open(&X.env, mode, NULL);
  X.rt = X.env.rt;
}
#define OPEN() open_env(H_LOOPLESS)
#define CLOSE()               \
  do {                        \
    h_env_close(&X.env);      \
    X.rt = NULL;              \
  } while (0)

static volt_node *sig(int64_t v) {
  volt_node *n = volt_signal(RT, volt_int(v), NULL);
  ck_assert_ptr_nonnull(n);
  return n;
}
static volt_node *sigv(volt_val v) {
  volt_node *n = volt_signal(RT, v, NULL);
  ck_assert_ptr_nonnull(n);
  return n;
}
static volt_node *comp(volt_val (*fn)(void *)) {
  volt_node *n = volt_computed(RT, fn, NULL, NULL);
  ck_assert_ptr_nonnull(n);
  return n;
}
static volt_node *compu(volt_val (*fn)(void *), void *ud) {
  volt_node *n = volt_computed(RT, fn, ud, NULL);
  ck_assert_ptr_nonnull(n);
  return n;
}
static volt_node *eff(void (*fn)(void *)) {
  volt_node *n = volt_effect(RT, fn, NULL);
  ck_assert_ptr_nonnull(n);
  return n;
}
static volt_node *effu(void (*fn)(void *), void *ud) {
  volt_node *n = volt_effect(RT, fn, ud);
  ck_assert_ptr_nonnull(n);
  return n;
}
/* tracked / untracked int reads (0 for a non-INT) */
static int64_t gi(volt_node *n) { return volt_as_int(volt_get(n)); }
static int64_t pk(volt_node *n) { return volt_as_int(volt_peek(n)); }
#define SET(n, v) ck_assert_int_eq(volt_set((n), volt_int(v)), 0)
#define EQ(n, v) ck_assert_int_eq(h_int(volt_get(n)), (v))
#define PEEKEQ(n, v) ck_assert_int_eq(h_int(volt_peek(n)), (v))
#define BEGIN() ck_assert_int_eq(volt_batch_begin(RT), 0)
#define END() ck_assert_int_eq(volt_batch_end(RT), 0)
#define LOG(code) h_log_push(&X.log, (code))
#define EXPECT_LOG(...)                                              \
  do {                                                               \
    static const int want_[] = {__VA_ARGS__};                        \
    h_log_expect(&X.log, (int)(sizeof want_ / sizeof want_[0]), want_); \
  } while (0)
#define EXPECT_LOG_EMPTY() ck_assert_int_eq(X.log.n, 0)
#define CLEAR_LOG() (X.log.n = 0)

/* a cleanup that logs the code it was registered with */
static void cl_log(void *ud) { LOG((int)(intptr_t)ud); }
#define ON_CLEANUP_LOG(code) \
  ck_assert_int_eq(volt_on_cleanup(RT, cl_log, (void *)(intptr_t)(code)), 0)
/* a cleanup that counts into an int */
static void cl_count(void *ud) { (*(int *)ud)++; }

static volt_stats_t st(void) { return h_stats(RT); }

/* ========================================================================
 * alien-signals: tests/computed.spec.ts
 * ======================================================================== */

/* c1 = src % 2, c2 = c1, c3 = c2 */
static volt_val cc_mod2(void *ud) { return volt_int(gi(ud) % 2); }
static volt_val cc_id(void *ud) { return volt_get(ud); }

START_TEST(al_computed_propagate_through_chain) {
  OPEN();
  X.s = sig(0);
  X.a = compu(cc_mod2, X.s);
  X.b = compu(cc_id, X.a);
  X.c = compu(cc_id, X.b);
  EQ(X.c, 0);
  SET(X.s, 1);
  EQ(X.b, 1);
  SET(X.s, 3);
  EQ(X.c, 1);
  CLOSE();
}
END_TEST

/* a = src, b = a % 2, c = src, d = b + c */
static volt_val cc2_d(void *ud) {
  (void)ud;
  return volt_int(gi(X.b) + gi(X.c));
}
START_TEST(al_computed_chained_updated_source) {
  OPEN();
  X.s = sig(0);
  X.a = compu(cc_id, X.s);
  X.b = compu(cc_mod2, X.a);
  X.c = compu(cc_id, X.s);
  X.d = comp(cc2_d);
  EQ(X.d, 0);
  SET(X.s, 2);
  EQ(X.d, 2);
  CLOSE();
}
END_TEST

/* b = a; c = (b, 0); d = (c, b) -- flags updated indirectly during the check */
static volt_val ci_c(void *ud) {
  (void)ud;
  volt_get(X.b);
  return volt_int(0);
}
static volt_val ci_d(void *ud) {
  (void)ud;
  volt_get(X.c);
  return volt_get(X.b);
}
static void ci_build(void) {
  X.a = sigv(volt_bool(false));
  X.b = compu(cc_id, X.a);
  X.c = comp(ci_c);
  X.d = comp(ci_d);
}
START_TEST(al_computed_flags_indirectly_updated) {
  OPEN();
  ci_build();
  ck_assert(volt_tag(volt_get(X.d)) == VOLT_BOOL && !volt_as_bool(volt_get(X.d)));
  ck_assert_int_eq(volt_set(X.a, volt_bool(true)), 0);
  ck_assert(volt_as_bool(volt_get(X.d)));
  CLOSE();
}
END_TEST

static volt_val rv_c1(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.s);
}
START_TEST(al_computed_no_update_on_revert) {
  OPEN();
  X.s = sig(0);
  X.a = comp(rv_c1);
  EQ(X.a, 0);
  ck_assert_int_eq(X.n1, 1);
  SET(X.s, 1);
  SET(X.s, 0);
  EQ(X.a, 0);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* ========================================================================
 * alien-signals: tests/effect.spec.ts
 * ======================================================================== */

static volt_val cs_b(void *ud) {
  (void)ud;
  X.n1++;
  return volt_int(gi(X.a) * 2);
}
static void read_b(void *ud) {
  (void)ud;
  volt_get(X.b);
}
START_TEST(al_effect_clear_subs_when_untracked) {
  OPEN();
  X.a = sig(1);
  X.b = comp(cs_b);
  X.fx = eff(read_b);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
  volt_dispose(X.fx);
  SET(X.a, 3);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* b = a > 0; outer: if b, inner effect that must never see a == 0 */
static volt_val pos_b(void *ud) {
  (void)ud;
  return volt_bool(gi(X.a) > 0);
}
static void ui_inner(void *ud) {
  (void)ud;
  if (gi(X.a) == 0) X.bad++;
}
static void ui_outer(void *ud) {
  (void)ud;
  if (volt_as_bool(volt_get(X.b))) effu(ui_inner, NULL);
}
START_TEST(al_effect_no_run_untracked_inner) {
  OPEN();
  X.a = sig(3);
  X.b = comp(pos_b);
  eff(ui_outer);
  SET(X.a, 2);
  SET(X.a, 1);
  SET(X.a, 0);
  ck_assert_int_eq(X.bad, 0);
  CLOSE();
}
END_TEST

static void of_inner(void *ud) {
  (void)ud;
  volt_get(X.b);
  if (gi(X.a) == 0) X.bad++;
}
static void of_outer(void *ud) {
  (void)ud;
  if (gi(X.a)) effu(of_inner, NULL);
}
START_TEST(al_effect_outer_first) {
  OPEN();
  X.a = sig(1);
  X.b = sig(1);
  eff(of_outer);
  BEGIN();
  SET(X.b, 0);
  SET(X.a, 0);
  END();
  ck_assert_int_eq(X.bad, 0);
  CLOSE();
}
END_TEST

static void md_inner(void *ud) {
  (void)ud;
  volt_get(X.b);
  X.n1++;
}
static void md_outer(void *ud) {
  (void)ud;
  effu(md_inner, NULL);
}
START_TEST(al_effect_inner_not_triggered_maybe_dirty) {
  OPEN();
  X.a = sig(0);
  X.b = compu(cc_mod2, X.a);
  eff(md_outer);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* order of inner effects: logs 1x (plain), 2x (inside an effect), 3x (in a scope) */
static volt_val io_c(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) - gi(X.b));
}
static void io_e1(void *ud) {
  h_log *l = ud;
  h_log_push(l, 1);
  volt_get(X.a);
}
static void io_e2(void *ud) {
  h_log *l = ud;
  h_log_push(l, 2);
  volt_get(X.a);
  volt_get(X.b);
}
static h_log io_l1, io_l2, io_l3;
static void io_outer(void *ud) {
  (void)ud;
  volt_get(X.c);
  effu(io_e1, &io_l2);
  effu(io_e2, &io_l2);
}
static void io_scope(void *ud) {
  (void)ud;
  effu(io_e1, &io_l3);
  effu(io_e2, &io_l3);
}
START_TEST(al_effect_inner_same_order_as_plain) {
  static const int want[] = {2, 1};
  OPEN();
  memset(&io_l1, 0, sizeof io_l1);
  memset(&io_l2, 0, sizeof io_l2);
  memset(&io_l3, 0, sizeof io_l3);
  X.a = sig(0);
  X.b = sig(0);
  X.c = comp(io_c);
  effu(io_e1, &io_l1);
  effu(io_e2, &io_l1);
  eff(io_outer);
  ck_assert_ptr_nonnull(volt_scope(RT, io_scope, NULL));
  io_l1.n = io_l2.n = io_l3.n = 0;
  BEGIN();
  SET(X.b, 1);
  SET(X.a, 1);
  END();
  h_log_expect(&io_l1, 2, want);
  h_log_expect(&io_l2, 2, want);
  h_log_expect(&io_l3, 2, want);
  CLOSE();
}
END_TEST

/* volt differs by design: the computed `aa` writes b; in volt that write
 * returns VOLT_EPERM and changes nothing, so `bb` is not re-evaluated. */
enum { BE_BB = 1, BE_AA0, BE_AA1 };
static volt_val be_aa(void *ud) {
  (void)ud;
  LOG(BE_AA0);
  if (!gi(X.a)) X.r1 = volt_set(X.b, volt_int(1));
  LOG(BE_AA1);
  return volt_nil();
}
static volt_val be_bb(void *ud) {
  (void)ud;
  LOG(BE_BB);
  return volt_get(X.b);
}
static void be_fx(void *ud) {
  ck_assert_int_eq(volt_batch_begin(RT), 0);
  volt_get(ud);
  ck_assert_int_eq(volt_batch_end(RT), 0);
}
START_TEST(al_effect_custom_batch_effect) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  X.c = comp(be_aa);
  X.d = comp(be_bb);
  effu(be_fx, X.d);
  effu(be_fx, X.c);
  EXPECT_LOG(BE_BB, BE_AA0, BE_AA1);
  ck_assert_int_eq(X.r1, VOLT_EPERM);
  EQ(X.b, 0);
  CLOSE();
}
END_TEST

/* Upstream: "should duplicate subscribers do not affect the notify order".
 * Shape: effect A's first run reads src2 then src1; B reads src1; src2 = 1
 * makes A re-run reading src1, src2, src1 (its dependency order changes,
 * src1 read twice); then src1 changes. A runs before B: A's old edge to
 * src1 is taken up again by the third read (the next one of the previous
 * run comes before "read earlier in this run"), so it stays ahead of B's. */
static void ds_peek_src2(void *ud) { *(int *)ud = gi(X.b) == 1; }
static void ds_a(void *ud) {
  int is_one = 0;
  (void)ud;
  LOG(1);
  volt_untrack(RT, ds_peek_src2, &is_one);
  if (is_one) volt_get(X.a);
  volt_get(X.b);
  volt_get(X.a);
}
static void ds_b(void *ud) {
  (void)ud;
  LOG(2);
  volt_get(X.a);
}
START_TEST(al_effect_duplicate_subs_notify_order) {
  OPEN();
  X.a = sig(0); /* src1 */
  X.b = sig(0); /* src2 */
  eff(ds_a);
  eff(ds_b);
  SET(X.b, 1);
  CLEAR_LOG();
  SET(X.a, pk(X.a) + 1);
  EXPECT_LOG(1, 2);
  CLOSE();
}
END_TEST

/* writes from an effect's body to signals its inner effects read.
 * volt differs by design: writes made inside an effect join the current
 * flush (guide §5), so the inner effects run after the outer body returns,
 * not inside volt_set. Upstream checks the order [b, a] inside the body;
 * here the same order is checked once the outer effect has returned. */
static void si_a(void *ud) {
  (void)ud;
  volt_get(X.a);
  LOG(1);
}
static void si_b(void *ud) {
  (void)ud;
  volt_get(X.b);
  LOG(2);
}
static void si_outer(void *ud) {
  (void)ud;
  effu(si_a, NULL);
  effu(si_b, NULL);
  X.r1 = X.log.n; /* 2: both inner effects ran at creation */
  CLEAR_LOG();
  volt_set(X.b, volt_int(1));
  volt_set(X.a, volt_int(1));
  X.r2 = X.log.n; /* upstream: 2 ([b, a]) here; volt: 0, they run later */
}
START_TEST(al_effect_side_effect_with_inner_effects) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  eff(si_outer);
  ck_assert_int_eq(X.r1, 2);
  ck_assert_int_eq(X.r2, 0);
  EXPECT_LOG(2, 1);
  CLOSE();
}
END_TEST

static void ci_fx(void *ud) {
  (void)ud;
  volt_get(X.d);
  X.n1++;
}
START_TEST(al_effect_flags_indirectly_updated) {
  OPEN();
  ci_build();
  eff(ci_fx);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(volt_set(X.a, volt_bool(true)), 0);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* volt differs by design: an effect that writes a signal it has read runs
 * again (guide §5 and §8); alien-signals suppresses that recursion, so
 * upstream expects one run each. Here each effect counts up to 5: 6 runs. */
static void rc_1(void *ud) {
  (void)ud;
  X.n1++;
  int64_t v = gi(X.a) + 1;
  volt_set(X.a, volt_int(v < 5 ? v : 5));
}
static void rc_2(void *ud) {
  (void)ud;
  X.n2++;
  int64_t v = gi(X.b) + 1;
  volt_set(X.b, volt_int(v < 5 ? v : 5));
  volt_get(X.b);
}
START_TEST(al_effect_recursion_first_run) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  eff(rc_1);
  eff(rc_2);
  ck_assert_int_eq(X.n1, 6);
  ck_assert_int_eq(X.n2, 6);
  EQ(X.a, 5);
  EQ(X.b, 5);
  CLOSE();
}
END_TEST

/* the recursion alien-signals enables by hand is volt's default */
START_TEST(al_effect_custom_recurse) {
  OPEN();
  X.a = sig(0);
  eff(rc_1);
  ck_assert_int_eq(X.n1, 6);
  CLOSE();
}
END_TEST

/* cleanup order (alien-signals 3.x effect.spec.ts). Codes: */
enum {
  OUTER_RUN = 1,
  INNER_RUN,
  INNER_CLEANUP,
  OUTER_CLEANUP,
  INNER1_CLEANUP,
  INNER2_CLEANUP,
  INNER3_CLEANUP,
  CHILD_CLEANUP,
  GRANDCHILD_CLEANUP,
  COMPUTED_EVAL
};
static void co_inner(void *ud) {
  (void)ud;
  LOG(INNER_RUN);
  ON_CLEANUP_LOG(INNER_CLEANUP);
}
static void co_outer(void *ud) {
  (void)ud;
  if (X.a) volt_get(X.a);
  LOG(OUTER_RUN);
  effu(co_inner, NULL);
  ON_CLEANUP_LOG(OUTER_CLEANUP);
}
START_TEST(al_effect_cleanup_order_rerun) {
  OPEN();
  X.a = sig(0);
  eff(co_outer);
  EXPECT_LOG(OUTER_RUN, INNER_RUN);
  CLEAR_LOG();
  SET(X.a, 1);
  EXPECT_LOG(INNER_CLEANUP, OUTER_CLEANUP, OUTER_RUN, INNER_RUN);
  CLOSE();
}
END_TEST

START_TEST(al_effect_cleanup_order_dispose) {
  OPEN();
  X.fx = eff(co_outer);
  CLEAR_LOG();
  volt_dispose(X.fx);
  EXPECT_LOG(INNER_CLEANUP, OUTER_CLEANUP);
  CLOSE();
}
END_TEST

static void sib_i(void *ud) { ON_CLEANUP_LOG((int)(intptr_t)ud); }
static void sib_outer(void *ud) {
  (void)ud;
  if (X.a) volt_get(X.a);
  effu(sib_i, (void *)(intptr_t)INNER1_CLEANUP);
  effu(sib_i, (void *)(intptr_t)INNER2_CLEANUP);
  effu(sib_i, (void *)(intptr_t)INNER3_CLEANUP);
  ON_CLEANUP_LOG(OUTER_CLEANUP);
}
START_TEST(al_effect_sibling_cleanup_lifo_dispose) {
  OPEN();
  X.fx = eff(sib_outer);
  volt_dispose(X.fx);
  EXPECT_LOG(INNER3_CLEANUP, INNER2_CLEANUP, INNER1_CLEANUP, OUTER_CLEANUP);
  CLOSE();
}
END_TEST

START_TEST(al_effect_sibling_cleanup_lifo_rerun) {
  OPEN();
  X.a = sig(0);
  eff(sib_outer);
  CLEAR_LOG();
  SET(X.a, 1);
  ck_assert_int_ge(X.log.n, 4);
  X.log.n = 4;
  EXPECT_LOG(INNER3_CLEANUP, INNER2_CLEANUP, INNER1_CLEANUP, OUTER_CLEANUP);
  CLOSE();
}
END_TEST

static void n3_grandchild(void *ud) {
  (void)ud;
  ON_CLEANUP_LOG(GRANDCHILD_CLEANUP);
}
static void n3_child(void *ud) {
  (void)ud;
  effu(n3_grandchild, NULL);
  ON_CLEANUP_LOG(CHILD_CLEANUP);
}
static void n3_outer(void *ud) {
  (void)ud;
  effu(n3_child, NULL);
  ON_CLEANUP_LOG(OUTER_CLEANUP);
}
START_TEST(al_effect_three_level_cleanup_dispose) {
  OPEN();
  X.fx = eff(n3_outer);
  volt_dispose(X.fx);
  EXPECT_LOG(GRANDCHILD_CLEANUP, CHILD_CLEANUP, OUTER_CLEANUP);
  CLOSE();
}
END_TEST

/* Upstream: "computed unwatched: child effect cleanups run in reverse
 * creation (LIFO)". Shape: a computed whose function creates three effects
 * (each registering a cleanup); one effect reads the computed; that reader
 * is disposed. The computed is unwatched, so what its run made is disposed
 * at once, newest first: cleanups 3, 2, 1. */
static volt_val cu_c(void *ud) {
  (void)ud;
  effu(sib_i, (void *)(intptr_t)INNER1_CLEANUP);
  effu(sib_i, (void *)(intptr_t)INNER2_CLEANUP);
  effu(sib_i, (void *)(intptr_t)INNER3_CLEANUP);
  return volt_int(0);
}
static void read_c(void *ud) {
  (void)ud;
  volt_get(X.c);
}
START_TEST(al_effect_computed_unwatched_child_cleanup_lifo) {
  OPEN();
  X.c = comp(cu_c);
  X.fx = eff(read_c);
  CLEAR_LOG();
  volt_dispose(X.fx);
  EXPECT_LOG(INNER3_CLEANUP, INNER2_CLEANUP, INNER1_CLEANUP);
  CLOSE();
}
END_TEST

static volt_val ic_c(void *ud) {
  (void)ud;
  LOG(COMPUTED_EVAL);
  effu(co_inner, NULL);
  return volt_get(X.a);
}
START_TEST(al_effect_inner_of_computed_cleanup_before_setup) {
  OPEN();
  X.a = sig(0);
  X.c = comp(ic_c);
  eff(read_c);
  CLEAR_LOG();
  SET(X.a, 1);
  EXPECT_LOG(INNER_CLEANUP, COMPUTED_EVAL, INNER_RUN);
  CLOSE();
}
END_TEST

static void pr_inner(void *ud) {
  (void)ud;
  volt_get(X.b);
  LOG(INNER_RUN);
  ON_CLEANUP_LOG(INNER_CLEANUP);
}
static void pr_outer(void *ud) {
  (void)ud;
  volt_get(X.a);
  LOG(OUTER_RUN);
  effu(pr_inner, NULL);
  ON_CLEANUP_LOG(OUTER_CLEANUP);
}
START_TEST(al_effect_cleanup_order_after_inner_only_rerun) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  eff(pr_outer);
  SET(X.b, 1);
  CLEAR_LOG();
  SET(X.a, 1);
  EXPECT_LOG(INNER_CLEANUP, OUTER_CLEANUP, OUTER_RUN, INNER_RUN);
  CLOSE();
}
END_TEST

static void k115_inner(void *ud) {
  (void)ud;
  volt_get(X.b);
  X.n2++;
}
static void k115_outer(void *ud) {
  (void)ud;
  volt_get(X.a);
  X.n1++;
  effu(k115_inner, NULL);
}
START_TEST(al_effect_outer_keeps_own_dep_issue115) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  eff(k115_outer);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  SET(X.b, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_ge(X.n2, 2);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* ========================================================================
 * alien-signals: tests/effectScope.spec.ts (2.x and 3.x)
 * ======================================================================== */

static void count_a(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a);
}
/* Upstream: effectScope "should not trigger after stop". Shape: inside a
 * scope's body, create an effect reading a, then write a: the write re-runs
 * the effect before it returns (a scope's body at the top level flushes as
 * the top level does); after the scope is disposed, writes run nothing. */
static void st_body(void *ud) {
  (void)ud;
  X.fx = eff(count_a);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
}
START_TEST(al_scope_no_trigger_after_stop) {
  OPEN();
  X.a = sig(1);
  X.scope = volt_scope(RT, st_body, NULL);
  ck_assert_ptr_nonnull(X.scope);
  SET(X.a, 3);
  ck_assert_int_eq(X.n1, 3);
  volt_dispose(X.scope);
  SET(X.a, 4);
  ck_assert_int_eq(X.n1, 3);
  CLOSE();
}
END_TEST

/* volt differs by design: the writes the outer effect makes join the
 * current flush (guide §5), so upstream's "triggers == 2" right after
 * `source(2)` inside the outer effect's body does not hold in volt; the
 * scope is disposed before the flush reaches the inner effect. What both
 * agree on: after the dispose, the inner effect never runs again. */
static void di_scope_body(void *ud) {
  (void)ud;
  eff(count_a);
}
static void di_outer(void *ud) {
  (void)ud;
  volt_node *sc = volt_scope(RT, di_scope_body, NULL);
  ck_assert_ptr_nonnull(sc);
  X.r1 = X.n1; /* 1 */
  volt_set(X.a, volt_int(2));
  X.r2 = X.n1; /* upstream: 2; volt: 1 (the write joins the flush) */
  volt_dispose(sc);
  volt_set(X.a, volt_int(3));
}
START_TEST(al_scope_dispose_inner_effects_in_effect) {
  OPEN();
  X.a = sig(1);
  eff(di_outer);
  ck_assert_int_eq(X.r1, 1);
  ck_assert_int_eq(X.r2, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 4);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* What a scope's body reads, the effect that made the scope depends on
 * (through the scope): the outer effect re-runs. */
static void tr_scope_body(void *ud) {
  (void)ud;
  volt_get(X.a);
}
static void tr_outer(void *ud) {
  (void)ud;
  ck_assert_ptr_nonnull(volt_scope(RT, tr_scope_body, NULL));
  X.n1++;
}
START_TEST(al_scope_inner_reads_tracked_by_outer) {
  OPEN();
  X.a = sig(1);
  eff(tr_outer);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

static void sc_e_cleanup(void *ud) { ON_CLEANUP_LOG((int)(intptr_t)ud); }
static void sc1_body(void *ud) {
  (void)ud;
  effu(sc_e_cleanup, (void *)(intptr_t)INNER_CLEANUP);
}
START_TEST(al_scope_dispose_runs_child_cleanup) {
  OPEN();
  X.scope = volt_scope(RT, sc1_body, NULL);
  volt_dispose(X.scope);
  EXPECT_LOG(INNER_CLEANUP);
  CLOSE();
}
END_TEST

static void sc3_body(void *ud) {
  (void)ud;
  effu(sc_e_cleanup, (void *)(intptr_t)INNER1_CLEANUP);
  effu(sc_e_cleanup, (void *)(intptr_t)INNER2_CLEANUP);
  effu(sc_e_cleanup, (void *)(intptr_t)INNER3_CLEANUP);
}
START_TEST(al_scope_sibling_cleanup_lifo) {
  OPEN();
  X.scope = volt_scope(RT, sc3_body, NULL);
  volt_dispose(X.scope);
  EXPECT_LOG(INNER3_CLEANUP, INNER2_CLEANUP, INNER1_CLEANUP);
  CLOSE();
}
END_TEST

static void scn_body(void *ud) {
  (void)ud;
  effu(n3_child, NULL);
}
START_TEST(al_scope_nested_cleanup_depth_first) {
  OPEN();
  X.scope = volt_scope(RT, scn_body, NULL);
  volt_dispose(X.scope);
  EXPECT_LOG(GRANDCHILD_CLEANUP, CHILD_CLEANUP);
  CLOSE();
}
END_TEST

static void sip_body(void *ud) {
  (void)ud;
  effu(co_inner, NULL);
}
static void sip_outer(void *ud) {
  (void)ud;
  volt_get(X.a);
  LOG(OUTER_RUN);
  ck_assert_ptr_nonnull(volt_scope(RT, sip_body, NULL));
  ON_CLEANUP_LOG(OUTER_CLEANUP);
}
START_TEST(al_scope_intermediate_parent_cleanup_order) {
  OPEN();
  X.a = sig(0);
  eff(sip_outer);
  CLEAR_LOG();
  SET(X.a, 1);
  EXPECT_LOG(INNER_CLEANUP, OUTER_CLEANUP, OUTER_RUN, INNER_RUN);
  CLOSE();
}
END_TEST

/* ========================================================================
 * alien-signals: tests/trigger.spec.ts
 *
 * volt differs by design: there is no trigger(). A signal that holds a
 * mutable array (a PTR) and was made with an `equals` that never reports
 * equal stands in: re-setting it with its current value is the trigger.
 * Several signals triggered together are re-set in one batch.
 * ======================================================================== */

typedef struct arr {
  int len;
  int v[8];
} arr;
static bool never_eq(volt_val a, volt_val b, void *ud) {
  (void)a;
  (void)b;
  (void)ud;
  return false;
}
static volt_node *arr_sig(arr *p) {
  volt_opts o = {.equals = never_eq};
  volt_node *n = volt_signal(RT, volt_ptr(p), &o);
  ck_assert_ptr_nonnull(n);
  return n;
}
static void trig(volt_node *n) { ck_assert_int_eq(volt_set(n, volt_peek(n)), 0); }
static volt_val arr_len(void *ud) {
  arr *p = volt_as_ptr(volt_get(ud));
  return volt_int(p ? p->len : -1);
}

START_TEST(al_trigger_no_dependencies) {
  OPEN();
  BEGIN(); /* trigger(() => {}): nothing read, nothing to notify */
  END();
  ck_assert_uint_eq(st().effect_runs, 0);
  CLOSE();
}
END_TEST

START_TEST(al_trigger_dependent_computed) {
  arr v = {0};
  OPEN();
  X.a = arr_sig(&v);
  X.c = compu(arr_len, X.a);
  EQ(X.c, 0);
  v.v[v.len++] = 1;
  trig(X.a);
  EQ(X.c, 1);
  CLOSE();
}
END_TEST

START_TEST(al_trigger_second_source) {
  arr v1 = {0}, v2 = {0};
  OPEN();
  X.a = arr_sig(&v1);
  X.b = arr_sig(&v2);
  X.c = compu(arr_len, X.b);
  EQ(X.c, 0);
  v2.v[v2.len++] = 1;
  BEGIN();
  trig(X.a);
  trig(X.b);
  END();
  EQ(X.c, 1);
  CLOSE();
}
END_TEST

static void tr_both(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a);
  volt_get(X.b);
}
START_TEST(al_trigger_effect_once) {
  arr v1 = {0}, v2 = {0};
  OPEN();
  X.a = arr_sig(&v1);
  X.b = arr_sig(&v2);
  eff(tr_both);
  ck_assert_int_eq(X.n1, 1);
  BEGIN();
  trig(X.a);
  trig(X.b);
  END();
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

START_TEST(al_trigger_not_notify_trigger_sub) {
  arr v1 = {0};
  OPEN();
  X.a = arr_sig(&v1);
  X.b = compu(cc_id, X.a); /* src2 = computed(src1) */
  eff(tr_both);
  ck_assert_int_eq(X.n1, 1);
  BEGIN();
  trig(X.a); /* src2 is a computed: triggered through src1 */
  END();
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* ========================================================================
 * alien-signals: tests/untrack.spec.ts (setActiveSub(undefined) ->
 * volt_untrack)
 * ======================================================================== */

static void ut_read_a_into_r1(void *ud) {
  (void)ud;
  X.r1 = gi(X.a);
}
static volt_val ut_c(void *ud) {
  (void)ud;
  X.n1++;
  volt_untrack(RT, ut_read_a_into_r1, NULL);
  return volt_int(X.r1);
}
START_TEST(al_untrack_in_computed) {
  OPEN();
  X.a = sig(0);
  X.c = comp(ut_c);
  EQ(X.c, 0);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  SET(X.a, 2);
  SET(X.a, 3);
  EQ(X.c, 0);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static void ut_fx(void *ud) {
  (void)ud;
  X.n1++;
  if (gi(X.b)) volt_untrack(RT, ut_read_a_into_r1, NULL);
}
START_TEST(al_untrack_in_effect) {
  OPEN();
  X.a = sig(0); /* src */
  X.b = sig(0); /* is */
  eff(ut_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.b, 1);
  ck_assert_int_eq(X.n1, 2);
  SET(X.a, 1);
  SET(X.a, 2);
  SET(X.a, 3);
  ck_assert_int_eq(X.n1, 2);
  SET(X.b, 2);
  ck_assert_int_eq(X.n1, 3);
  SET(X.a, 4);
  SET(X.a, 5);
  SET(X.a, 6);
  ck_assert_int_eq(X.n1, 3);
  SET(X.b, 0);
  ck_assert_int_eq(X.n1, 4);
  SET(X.a, 7);
  SET(X.a, 8);
  SET(X.a, 9);
  ck_assert_int_eq(X.n1, 4);
  CLOSE();
}
END_TEST

static void ut_sfx(void *ud) {
  (void)ud;
  X.n1++;
  volt_untrack(RT, ut_read_a_into_r1, NULL);
}
static void ut_sbody(void *ud) {
  (void)ud;
  eff(ut_sfx);
}
START_TEST(al_untrack_in_scope) {
  OPEN();
  X.a = sig(0);
  ck_assert_ptr_nonnull(volt_scope(RT, ut_sbody, NULL));
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  SET(X.a, 2);
  SET(X.a, 3);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* ========================================================================
 * alien-signals: tests/issue_*.spec.ts
 * ======================================================================== */

/* #105: reads inside (nested) scopes inside an effect: the effect re-runs
 * when one of them changes (the scope passes the change on). */
static volt_val zero_fn(void *ud) {
  (void)ud;
  return volt_int(0);
}
static void i105_inner_body(void *ud) {
  (void)ud;
  volt_get(X.a);
  volt_get(X.b);
}
static void i105_outer_body(void *ud) {
  (void)ud;
  ck_assert_ptr_nonnull(volt_scope(RT, i105_inner_body, NULL));
}
static void i105_fx(void *ud) {
  (void)ud;
  X.n1++;
  ck_assert_ptr_nonnull(volt_scope(RT, ud ? i105_inner_body : i105_outer_body, NULL));
}
START_TEST(al_issue105_nested_scope_links) {
  OPEN();
  X.a = sig(0);
  X.b = comp(zero_fn);
  eff(i105_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, pk(X.a) + 1);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

static volt_val dbl_a(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) * 2);
}
START_TEST(al_issue105_signal_and_computed_through_scope) {
  OPEN();
  X.a = sig(0);
  X.b = comp(dbl_a);
  effu(i105_fx, (void *)1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

static void i105c_body(void *ud) {
  (void)ud;
  volt_get(X.a);
}
static void i105c_fx(void *ud) {
  (void)ud;
  X.n1++;
  ck_assert_ptr_nonnull(volt_scope(RT, i105c_body, NULL));
}
START_TEST(al_issue105_scope_consecutive_updates) {
  OPEN();
  X.a = sig(0);
  eff(i105c_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 3);
  CLOSE();
}
END_TEST

static volt_val cnt_a(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.a);
}
static void i105d_body(void *ud) {
  (void)ud;
  X.c = comp(cnt_a);
  EQ(X.c, 0);
  EQ(X.c, 0);
}
START_TEST(al_issue105_computed_in_scope_caches) {
  OPEN();
  X.a = sig(0);
  X.scope = volt_scope(RT, i105d_body, NULL);
  ck_assert_ptr_nonnull(X.scope);
  ck_assert_int_eq(X.n1, 1);
  volt_dispose(X.scope);
  CLOSE();
}
END_TEST

/* #109: an effect disposed from inside a computed's update */
static volt_val i109_a(void *ud) {
  (void)ud;
  if (volt_as_bool(volt_get(X.s)) && X.fx) {
    volt_dispose(X.fx);
    X.fx = NULL;
  }
  return volt_int(0);
}
START_TEST(al_issue109_dispose_in_computed_update) {
  OPEN();
  X.s = sigv(volt_bool(false));
  X.a = comp(i109_a);
  X.b = compu(cc_id, X.a);
  X.fx = eff(read_b);
  ck_assert_int_eq(volt_set(X.s, volt_bool(true)), 0);
  ck_assert_ptr_null(X.fx);
  CLOSE();
}
END_TEST

enum { ST_START = 1, ST_AFTER, ST_END };
static void sd_fx(void *ud) {
  (void)ud;
  LOG(ST_START);
  volt_get(X.s);
  if (gi(X.s) == 1) {
    volt_dispose(X.fx);
    LOG(ST_AFTER);
  }
  LOG(ST_END);
}
START_TEST(al_issue109_self_dispose_body_finishes) {
  OPEN();
  X.s = sig(0);
  X.fx = eff(sd_fx);
  EXPECT_LOG(ST_START, ST_END);
  SET(X.s, 1);
  EXPECT_LOG(ST_START, ST_END, ST_START, ST_AFTER, ST_END);
  CLOSE();
}
END_TEST

/* a = s, disposing the first effect when s == 1 */
static volt_val i109e_a(void *ud) {
  (void)ud;
  int64_t v = gi(X.s);
  if (v == 1 && X.fx) {
    volt_dispose(X.fx);
    X.fx = NULL;
  }
  return volt_int(v);
}
static void i109e_e1(void *ud) {
  (void)ud;
  volt_get(X.a);
  X.n1++;
}
static void read_a(void *ud) {
  (void)ud;
  volt_get(X.a);
}
START_TEST(al_issue109_disposed_by_other_node_skipped) {
  OPEN();
  X.s = sig(0);
  X.a = comp(i109e_a);
  X.fx = eff(i109e_e1);
  eff(read_a);
  ck_assert_int_eq(X.n1, 1);
  SET(X.s, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(al_issue109_disposed_effect_graph_clean) {
  volt_stats_t s0, s1;
  OPEN();
  X.s = sig(0);
  X.a = comp(i109e_a);
  X.fx = eff(read_a);
  eff(read_a);
  s0 = st();
  ck_assert_uint_eq(s0.edges, 3);
  SET(X.s, 1);
  s1 = st();
  ck_assert_uint_eq(s1.live_nodes, s0.live_nodes - 1);
  ck_assert_uint_eq(s1.edges, 2); /* a -> s, e2 -> a */
  CLOSE();
}
END_TEST

START_TEST(al_issue109_disposed_not_renotified) {
  OPEN();
  X.s = sig(0);
  X.a = comp(i109e_a);
  X.fx = eff(i109e_e1);
  eff(read_a);
  ck_assert_int_eq(X.n1, 1);
  SET(X.s, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.s, 2);
  SET(X.s, 3);
  SET(X.s, 4);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static volt_val i109s_a(void *ud) {
  (void)ud;
  if (volt_as_bool(volt_get(X.s)) && X.scope) {
    volt_dispose(X.scope);
    X.scope = NULL;
  }
  return volt_int(0);
}
static void i109s_body(void *ud) {
  (void)ud;
  eff(read_b);
}
START_TEST(al_issue109_dispose_scope_in_computed_update) {
  OPEN();
  X.s = sigv(volt_bool(false));
  X.a = comp(i109s_a);
  X.b = compu(cc_id, X.a);
  X.scope = volt_scope(RT, i109s_body, NULL);
  ck_assert_ptr_nonnull(X.scope);
  ck_assert_int_eq(volt_set(X.s, volt_bool(true)), 0);
  ck_assert_ptr_null(X.scope);
  CLOSE();
}
END_TEST

static void i109_e2(void *ud) {
  (void)ud;
  X.r2 = gi(X.a);
}
static void i109_e3(void *ud) {
  (void)ud;
  X.r3 = gi(X.a);
}
START_TEST(al_issue109_sibling_disposal_two_subs) {
  OPEN();
  X.s = sig(0);
  X.a = comp(i109e_a);
  X.fx = eff(read_a);
  X.r2 = -1;
  eff(i109_e2);
  ck_assert_int_eq(X.r2, 0);
  SET(X.s, 1);
  ck_assert_int_eq(X.r2, 1);
  CLOSE();
}
END_TEST

START_TEST(al_issue109_sibling_disposal_three_subs) {
  OPEN();
  X.s = sig(0);
  X.a = comp(i109e_a);
  X.fx = eff(read_a);
  X.r2 = X.r3 = -1;
  eff(i109_e2);
  eff(i109_e3);
  ck_assert_int_eq(X.r2, 0);
  ck_assert_int_eq(X.r3, 0);
  SET(X.s, 1);
  ck_assert_int_eq(X.r2, 1);
  ck_assert_int_eq(X.r3, 1);
  CLOSE();
}
END_TEST

START_TEST(al_issue109_stale_link_no_rerun) {
  OPEN();
  X.s = sig(0);
  X.a = comp(i109e_a);
  X.fx = eff(i109e_e1);
  eff(read_a);
  ck_assert_int_eq(X.n1, 1);
  SET(X.s, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* a never changes, a2 disposes the effect mid-update, b reads a then a2 */
static volt_val i109v_a(void *ud) {
  (void)ud;
  volt_get(X.s);
  return volt_int(0);
}
static volt_val i109v_a2(void *ud) {
  (void)ud;
  if (gi(X.s) && X.fx) {
    volt_dispose(X.fx);
    X.fx = NULL;
  }
  return volt_get(X.s);
}
static volt_val i109v_b(void *ud) {
  (void)ud;
  volt_get(X.a);
  volt_get(X.c);
  return volt_int(0);
}
START_TEST(al_issue109_variant_dispose_mid_check) {
  OPEN();
  X.s = sig(0);
  X.a = comp(i109v_a);
  X.c = comp(i109v_a2);
  X.b = comp(i109v_b);
  X.fx = eff(read_b);
  SET(X.s, 1);
  ck_assert_ptr_null(X.fx);
  EQ(X.b, 0);
  CLOSE();
}
END_TEST

/* #48: a MobX-style reaction (a computed of dataFn, an effect comparing
 * with the previous value and calling effectFn untracked). Adapted: in
 * volt a volt_untrack block does not change the owner (guide §17 item 9),
 * so the inner reaction belongs to the outer reaction's effect and is
 * disposed when that effect re-runs; the inner reaction is made inside a
 * scope whose cleanup forgets it, so the later disposeInner() is skipped
 * rather than disposing twice. */
typedef struct reaction {
  volt_node *tracked, *fx;
  void (*effect_fn)(struct reaction *r, int64_t now);
  int64_t prev;
  int version;
  int64_t cur;
} reaction;
static volt_val rx_data(void *ud) {
  (void)ud;
  return volt_get(X.s);
}
static void rx_call(void *ud) {
  reaction *r = ud;
  r->effect_fn(r, r->cur);
}
static void rx_fx(void *ud) {
  reaction *r = ud;
  int64_t cur = gi(r->tracked);
  if (!r->version) r->prev = cur;
  r->version++;
  if (cur == r->prev) return;
  r->prev = cur;
  r->cur = cur;
  volt_untrack(RT, rx_call, r);
}
static void rx_make(reaction *r, void (*fn)(reaction *, int64_t)) {
  memset(r, 0, sizeof *r);
  r->effect_fn = fn;
  r->tracked = comp(rx_data);
  r->fx = effu(rx_fx, r);
}
static reaction rx_outer, rx_inner;
static void rx_noop(reaction *r, int64_t v) {
  (void)r;
  (void)v;
  X.n2++;
}
static void rx_forget(void *ud) { *(volt_node **)ud = NULL; }
static void rx_inner_body(void *ud) {
  (void)ud;
  rx_make(&rx_inner, rx_noop);
  ck_assert_int_eq(volt_on_cleanup(RT, rx_forget, &X.scope), 0);
}
static void rx_outer_fn(reaction *r, int64_t v) {
  (void)r;
  X.n1++;
  if (v == 1) {
    X.scope = volt_scope(RT, rx_inner_body, NULL);
    ck_assert_ptr_nonnull(X.scope);
  } else if (v == 2) {
    if (X.scope) volt_dispose(X.scope);
    X.scope = NULL;
  }
}
START_TEST(al_issue48_reaction_dispose_inner) {
  OPEN();
  X.s = sig(0);
  rx_make(&rx_outer, rx_outer_fn);
  SET(X.s, 1);
  SET(X.s, 2);
  SET(X.s, 3);
  ck_assert_int_eq(X.n1, 3);
  ck_assert_ptr_null(X.scope);
  CLOSE();
}
END_TEST

/* #99: an effect that resets, through a computed chain, the signal it
 * reads. volt differs by design: the effect's own write changes what it
 * read (c), so it runs again (guide §5, §8); alien-signals does not re-run
 * an effect for its own write. Upstream counts runs 1, 2, 3, 4; volt
 * counts 1, 3, 5, 7. The values agree: s is back to 0 each time. */
static void i99_fx(void *ud) {
  (void)ud;
  X.n1++;
  if (gi(X.c) > 0) volt_set(X.s, volt_int(0));
}
START_TEST(al_issue99_inner_resets_through_chain) {
  OPEN();
  X.s = sig(0);
  X.c = compu(cc_id, X.s);
  eff(i99_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.s, 1);
  EQ(X.s, 0);
  ck_assert_int_eq(X.n1, 3);
  SET(X.s, 2);
  EQ(X.s, 0);
  ck_assert_int_eq(X.n1, 5);
  SET(X.s, 3);
  EQ(X.s, 0);
  ck_assert_int_eq(X.n1, 7);
  CLOSE();
}
END_TEST

/* ========================================================================
 * Graph updates: alien-signals tests/topology.spec.ts, adopted from
 * @preact/signals-core's "computed() > graph updates" and "error
 * handling". The bodies are shared; each upstream copy has its own case.
 * Strings become integers ("a" -> 1, "aa" -> 2, "b c" -> b * 100 + c).
 * ======================================================================== */

static volt_val g_id_a(void *ud) {
  (void)ud;
  return volt_get(X.a);
}
static volt_val g_aba_b(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) - 1);
}
static volt_val g_aba_c(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) + gi(X.b));
}
static volt_val g_aba_d(void *ud) {
  (void)ud;
  X.n1++;
  return volt_int(1000 + gi(X.c));
}
static void body_drop_aba(void) {
  X.a = sig(2);
  X.b = comp(g_aba_b);
  X.c = comp(g_aba_c);
  X.d = comp(g_aba_d);
  EQ(X.d, 1003);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 4);
  EQ(X.d, 1007);
  ck_assert_int_eq(X.n1, 2);
}

static volt_val g_bc_d(void *ud) {
  (void)ud;
  X.n1++;
  return volt_int(gi(X.b) * 100 + gi(X.c));
}
static void body_diamond(void) {
  X.a = sig(1);
  X.b = comp(g_id_a);
  X.c = comp(g_id_a);
  X.d = comp(g_bc_d);
  EQ(X.d, 101);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  EQ(X.d, 202);
  ck_assert_int_eq(X.n1, 2);
}

static volt_val g_tail_e(void *ud) {
  (void)ud;
  X.n2++;
  return volt_get(X.d);
}
static void body_diamond_tail(void) {
  X.a = sig(1);
  X.b = comp(g_id_a);
  X.c = comp(g_id_a);
  X.d = comp(g_bc_d);
  X.e = comp(g_tail_e);
  EQ(X.e, 101);
  ck_assert_int_eq(X.n2, 1);
  SET(X.a, 2);
  EQ(X.e, 202);
  ck_assert_int_eq(X.n2, 2);
}

static volt_val g_const_b(void *ud) {
  (void)ud;
  volt_get(X.a);
  return volt_int(7);
}
static volt_val g_cnt_b(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.b);
}
static void body_bail_out(void) {
  X.a = sig(1);
  X.b = comp(g_const_b);
  X.c = comp(g_cnt_b);
  EQ(X.c, 7);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  EQ(X.c, 7);
  ck_assert_int_eq(X.n1, 1);
}

/* jagged: b = a, c = a, d = c, e = b*100 + d, f = e, g = e; log 1/2/3 */
static volt_val g_id_c(void *ud) {
  (void)ud;
  return volt_get(X.c);
}
static volt_val g_j_e(void *ud) {
  (void)ud;
  X.n1++;
  LOG(1);
  return volt_int(gi(X.b) * 100 + gi(X.d));
}
static volt_val g_j_f(void *ud) {
  (void)ud;
  X.n2++;
  LOG(2);
  return volt_get(X.e);
}
static volt_val g_j_g(void *ud) {
  (void)ud;
  X.n3++;
  LOG(3);
  return volt_get(X.e);
}
static void body_jagged(void) {
  X.a = sig(1);
  X.b = comp(g_id_a);
  X.c = comp(g_id_a);
  X.d = comp(g_id_c);
  X.e = comp(g_j_e);
  X.f = comp(g_j_f);
  X.g = comp(g_j_g);
  EQ(X.f, 101);
  ck_assert_int_eq(X.n2, 1);
  EQ(X.g, 101);
  ck_assert_int_eq(X.n3, 1);
  for (int v = 2; v <= 3; v++) {
    X.n1 = X.n2 = X.n3 = 0;
    CLEAR_LOG();
    SET(X.a, v);
    EQ(X.e, v * 101);
    ck_assert_int_eq(X.n1, 1);
    EQ(X.f, v * 101);
    ck_assert_int_eq(X.n2, 1);
    EQ(X.g, v * 101);
    ck_assert_int_eq(X.n3, 1);
  }
  /* top to bottom, left to right */
  EXPECT_LOG(1, 2, 3);
}

static volt_val g_cnt_a(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.a);
}
static void body_only_listened(void) {
  X.a = sig(1);
  X.b = comp(g_id_a);
  X.c = comp(g_cnt_a); /* never read */
  EQ(X.b, 1);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 2);
  EQ(X.b, 2);
  ck_assert_int_eq(X.n1, 0);
}

static volt_val g_cnt2_b(void *ud) {
  (void)ud;
  X.n2++;
  return volt_get(X.b);
}
static void g_result_c(void *ud) {
  (void)ud;
  X.r1 = gi(X.c);
}
static void body_only_listened_2(void) {
  X.a = sig(1);
  X.b = comp(g_cnt_a);
  X.c = comp(g_cnt2_b);
  X.d = comp(g_id_a);
  X.fx = eff(g_result_c);
  ck_assert_int_eq(X.r1, 1);
  EQ(X.d, 1);
  X.n1 = X.n2 = 0;
  volt_dispose(X.fx);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 0);
  ck_assert_int_eq(X.n2, 0);
  EQ(X.d, 2);
}

static volt_val g_const_c(void *ud) {
  (void)ud;
  volt_get(X.a);
  return volt_int(3);
}
static volt_val g_const_d(void *ud) {
  (void)ud;
  volt_get(X.a);
  return volt_int(4);
}
static volt_val g_ret_bc(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.b) * 100 + gi(X.c);
  return volt_int(X.r1);
}
static void body_one_dep_unmarks(void) {
  X.a = sig(1);
  X.b = comp(g_id_a);
  X.c = comp(g_const_c);
  X.d = comp(g_ret_bc);
  EQ(X.d, 103);
  X.n1 = 0;
  SET(X.a, 2);
  EQ(X.d, 203);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, 203);
}

static volt_val g_ret_bcd(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.b) * 10000 + gi(X.c) * 100 + gi(X.d);
  return volt_int(X.r1);
}
static void body_two_deps_unmark(void) {
  X.a = sig(1);
  X.b = comp(g_id_a);
  X.c = comp(g_const_c);
  X.d = comp(g_const_d);
  X.e = comp(g_ret_bcd);
  EQ(X.e, 10304);
  X.n1 = 0;
  SET(X.a, 2);
  EQ(X.e, 20304);
  ck_assert_int_eq(X.n1, 1);
}

static volt_val g_lazy_c(void *ud) {
  (void)ud;
  return gi(X.a) > 0 ? volt_get(X.a) : volt_get(X.b);
}
static void body_lazy_branches(void) {
  X.a = sig(0);
  X.b = comp(g_id_a);
  X.c = comp(g_lazy_c);
  EQ(X.c, 0);
  SET(X.a, 1);
  EQ(X.c, 1);
  SET(X.a, 0);
  EQ(X.c, 0);
}

static volt_val g_const_b2(void *ud) {
  (void)ud;
  volt_get(X.a);
  return volt_int(2);
}
static void body_all_deps_unmark(void) {
  X.a = sig(1);
  X.b = comp(g_const_b2);
  X.c = comp(g_const_c);
  X.d = comp(g_ret_bc);
  EQ(X.d, 203);
  X.n1 = 0;
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 0);
  EQ(X.d, 203); /* read: still no re-run, b and c did not change */
  ck_assert_int_eq(X.n1, 0);
}

/* errors: thrown errors become VOLT_ERR values (guide §12) */
static volt_val g_fail(void *ud) {
  (void)ud;
  return volt_err(VOLT_EINVAL, "fail");
}
static void body_err_activation(void) {
  X.a = sig(0);
  X.b = comp(g_fail);
  X.c = comp(g_id_a);
  ck_assert_int_eq(volt_err_code(volt_get(X.b)), VOLT_EINVAL);
  ck_assert_str_eq(volt_err_msg(volt_get(X.b)), "fail");
  SET(X.a, 1);
  EQ(X.c, 1);
}
static volt_val g_fail_on_1(void *ud) {
  (void)ud;
  if (gi(X.a) == 1) return volt_err(VOLT_EINVAL, "fail");
  return volt_get(X.a);
}
static volt_val g_id_b(void *ud) {
  (void)ud;
  return volt_get(X.b);
}
static void body_err_in_computed(void) {
  X.a = sig(0);
  X.b = comp(g_fail_on_1);
  X.c = comp(g_id_b);
  EQ(X.c, 0);
  SET(X.a, 1);
  ck_assert_str_eq(volt_err_msg(volt_get(X.b)), "fail");
  SET(X.a, 2);
  EQ(X.c, 2);
}

#define GRAPH_CASE(name, body) \
  START_TEST(name) {           \
    OPEN();                    \
    body();                    \
    CLOSE();                   \
  }                            \
  END_TEST

GRAPH_CASE(al_topo_drop_aba_updates, body_drop_aba)
GRAPH_CASE(al_topo_diamond_once, body_diamond)
GRAPH_CASE(al_topo_diamond_tail_once, body_diamond_tail)
GRAPH_CASE(al_topo_bail_out_same_result, body_bail_out)
GRAPH_CASE(al_topo_jagged_diamond_tails, body_jagged)
GRAPH_CASE(al_topo_only_listened_signals, body_only_listened)
GRAPH_CASE(al_topo_only_listened_signals_2, body_only_listened_2)
GRAPH_CASE(al_topo_one_dep_unmarks, body_one_dep_unmarks)
GRAPH_CASE(al_topo_two_deps_unmark, body_two_deps_unmark)
GRAPH_CASE(al_topo_lazy_branches, body_lazy_branches)
GRAPH_CASE(al_topo_all_deps_unmark, body_all_deps_unmark)
GRAPH_CASE(al_topo_err_during_activation, body_err_activation)
GRAPH_CASE(al_topo_err_in_computeds, body_err_in_computed)

GRAPH_CASE(pr_graph_drop_aba_updates, body_drop_aba)
GRAPH_CASE(pr_graph_diamond_once, body_diamond)
GRAPH_CASE(pr_graph_diamond_tail_once, body_diamond_tail)
GRAPH_CASE(pr_graph_bail_out_same_result, body_bail_out)
GRAPH_CASE(pr_graph_jagged_diamond_tails, body_jagged)
GRAPH_CASE(pr_graph_only_listened_signals, body_only_listened)
GRAPH_CASE(pr_graph_only_listened_signals_2, body_only_listened_2)
GRAPH_CASE(pr_graph_one_dep_unmarks, body_one_dep_unmarks)
GRAPH_CASE(pr_graph_two_deps_unmark, body_two_deps_unmark)
GRAPH_CASE(pr_errh_lazy_branches, body_lazy_branches)
GRAPH_CASE(pr_errh_all_deps_unmark, body_all_deps_unmark)
GRAPH_CASE(pr_errh_err_during_activation, body_err_activation)
GRAPH_CASE(pr_errh_err_in_computeds, body_err_in_computed)

static volt_val g_sum_ab(void *ud) {
  (void)ud;
  X.n1++;
  return volt_int(gi(X.a) * 100 + gi(X.b));
}
START_TEST(pr_graph_once_for_multiple_dep_changes) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = comp(g_sum_ab);
  EQ(X.c, 102);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 3);
  SET(X.b, 4);
  EQ(X.c, 304);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

START_TEST(pr_errh_write_to_computed) {
  OPEN();
  X.a = sig(1);
  X.b = comp(g_id_a);
  ck_assert_int_eq(volt_set(X.b, volt_int(2)), VOLT_EINVAL);
  EQ(X.b, 1);
  CLOSE();
}
END_TEST

/* ========================================================================
 * @preact/signals-core: describe("signal")
 * ======================================================================== */

START_TEST(pr_signal_return_value) {
  int v[2] = {1, 2};
  OPEN();
  X.a = sigv(volt_ptr(v));
  ck_assert_ptr_eq(volt_as_ptr(volt_get(X.a)), v);
  CLOSE();
}
END_TEST

static void spy_a1(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a);
}
static void spy_a2(void *ud) {
  (void)ud;
  X.n2++;
  volt_get(X.a);
}
static void spy_a3(void *ud) {
  (void)ud;
  X.n3++;
  volt_get(X.a);
}
START_TEST(pr_signal_notify_after_listener_disposed) {
  volt_node *d;
  OPEN();
  X.a = sig(0);
  eff(spy_a1);
  d = eff(spy_a2);
  eff(spy_a3);
  ck_assert_int_eq(X.n1 + X.n2 * 10 + X.n3 * 100, 111);
  volt_dispose(d);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  ck_assert_int_eq(X.n2, 1);
  ck_assert_int_eq(X.n3, 2);
  CLOSE();
}
END_TEST

START_TEST(pr_signal_peek_value) {
  OPEN();
  X.a = sig(1);
  PEEKEQ(X.a, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_signal_peek_updated_value) {
  OPEN();
  X.a = sig(1);
  SET(X.a, 2);
  PEEKEQ(X.a, 2);
  CLOSE();
}
END_TEST

static void peek_a_fx(void *ud) {
  (void)ud;
  X.n1++;
  volt_peek(X.a);
}
START_TEST(pr_signal_peek_no_effect_dep) {
  OPEN();
  X.a = sig(1);
  eff(peek_a_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static volt_val peek_a_c(void *ud) {
  (void)ud;
  X.n1++;
  volt_peek(X.a);
  return volt_nil();
}
START_TEST(pr_signal_peek_no_computed_dep) {
  OPEN();
  X.a = sig(1);
  X.d = comp(peek_a_c);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* .subscribe(cb): an effect that reads the signal and calls cb(value)
 * untracked -- the shape @preact/signals-core gives it. */
typedef struct subscription {
  volt_node *src;
  void (*cb)(struct subscription *s, volt_val v);
  volt_val v;
  int calls;
  int64_t last;
} subscription;
static void sub_call(void *ud) {
  subscription *s = ud;
  s->calls++;
  s->last = volt_as_int(s->v);
  if (s->cb) s->cb(s, s->v);
}
static void sub_fx(void *ud) {
  subscription *s = ud;
  s->v = volt_get(s->src);
  volt_untrack(RT, sub_call, s);
}
static volt_node *subscribe(subscription *s, volt_node *src,
                            void (*cb)(subscription *, volt_val)) {
  memset(s, 0, sizeof *s);
  s->src = src;
  s->cb = cb;
  return effu(sub_fx, s);
}

START_TEST(pr_signal_subscribe_calls_with_value) {
  subscription sb;
  OPEN();
  X.a = sig(1);
  subscribe(&sb, X.a, NULL);
  ck_assert_int_eq(sb.calls, 1);
  ck_assert_int_eq(sb.last, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_signal_subscribe_runs_on_change) {
  subscription sb;
  OPEN();
  X.a = sig(1);
  subscribe(&sb, X.a, NULL);
  SET(X.a, 2);
  ck_assert_int_eq(sb.calls, 2);
  ck_assert_int_eq(sb.last, 2);
  CLOSE();
}
END_TEST

START_TEST(pr_signal_unsubscribe) {
  subscription sb;
  volt_node *d;
  OPEN();
  X.a = sig(1);
  d = subscribe(&sb, X.a, NULL);
  volt_dispose(d);
  sb.calls = 0;
  SET(X.a, 2);
  ck_assert_int_eq(sb.calls, 0);
  CLOSE();
}
END_TEST

static void sub_read_b(subscription *s, volt_val v) {
  (void)s;
  (void)v;
  volt_get(X.b);
}
START_TEST(pr_signal_subscribe_cb_reads_untracked) {
  subscription sb;
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  subscribe(&sb, X.a, sub_read_b);
  ck_assert_int_eq(sb.calls, 1);
  SET(X.b, pk(X.b) + 1);
  ck_assert_int_eq(sb.calls, 1);
  CLOSE();
}
END_TEST

static subscription sub_inner;
static void sub_outer(void *ud) {
  (void)ud;
  subscribe(&sub_inner, X.a, sub_read_b);
  X.n1++;
}
START_TEST(pr_signal_subscribe_in_effect_no_outer_dep) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  eff(sub_outer);
  ck_assert_int_eq(X.n1, 1);
  SET(X.b, pk(X.b) + 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static void hk_watched(volt_node *n, void *ud) {
  (void)n;
  (void)ud;
  X.n5++;
}
static void hk_unwatched(volt_node *n, void *ud) {
  (void)n;
  (void)ud;
  X.n6++;
}
static const volt_opts hk_opts = {.watched = hk_watched, .unwatched = hk_unwatched};

START_TEST(pr_signal_watched_first_subscription) {
  subscription s1, s2;
  volt_node *u1, *u2;
  OPEN();
  X.a = volt_signal(RT, volt_int(1), &hk_opts);
  ck_assert_int_eq(X.n5, 0);
  u1 = subscribe(&s1, X.a, NULL);
  ck_assert_int_eq(X.n5, 1);
  u2 = subscribe(&s2, X.a, NULL);
  ck_assert_int_eq(X.n5, 1);
  volt_dispose(u1);
  volt_dispose(u2);
  ck_assert_int_eq(X.n6, 1);
  CLOSE();
}
END_TEST

/* watched() schedules a write on the loop (setTimeout -> a uv timer) */
static uv_timer_t wt_timer;
static void wt_fire(uv_timer_t *t) {
  (void)t;
  SET(X.a, 2);
}
static void wt_watched(volt_node *n, void *ud) {
  (void)n;
  (void)ud;
  X.n5++;
  ck_assert_int_eq(uv_timer_start(&wt_timer, wt_fire, 0, 0), 0);
}
static void wt_record(subscription *s, volt_val v) {
  (void)s;
  (void)v;
  LOG((int)gi(X.a));
}
START_TEST(pr_signal_update_from_watched) {
  subscription s1, s2;
  volt_node *u1, *u2;
  volt_opts o = {.watched = wt_watched, .unwatched = hk_unwatched};
  open_env(H_LOOP);
  ck_assert_int_eq(uv_timer_init(X.env.lp, &wt_timer), 0);
  X.a = volt_signal(RT, volt_int(1), &o);
  ck_assert_int_eq(X.n5, 0);
  u1 = subscribe(&s1, X.a, wt_record);
  ck_assert_int_eq(X.n5, 1);
  u2 = subscribe(&s2, X.a, NULL);
  ck_assert_int_eq(X.n5, 1);
  ck_assert_int_eq(uv_run(X.env.lp, UV_RUN_DEFAULT), 0);
  volt_dispose(u1);
  volt_dispose(u2);
  ck_assert_int_eq(X.n6, 1);
  EXPECT_LOG(1, 2);
  uv_close((uv_handle_t *)&wt_timer, NULL);
  CLOSE();
}
END_TEST

/* ========================================================================
 * @preact/signals-core: describe("effect()")
 * ======================================================================== */

START_TEST(pr_effect_runs_immediately) {
  OPEN();
  X.a = sig(123);
  eff(spy_a1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_subscribes) {
  OPEN();
  X.a = sig(123);
  eff(spy_a1);
  X.n1 = 0;
  SET(X.a, 42);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static void spy_ab(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a);
  volt_get(X.b);
}
START_TEST(pr_effect_subscribes_multiple) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  eff(spy_ab);
  X.n1 = 0;
  SET(X.a, 11);
  SET(X.b, 22);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_dispose_subscriptions) {
  volt_node *d;
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  d = eff(spy_ab);
  X.n1 = 0;
  volt_dispose(d);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 11);
  SET(X.b, 22);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

/* this.dispose() on a re-run (a == "aa" -> 2) */
static void sdr_fx(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.b);
  if (gi(X.a) == 2) volt_dispose(X.fx);
}
START_TEST(pr_effect_dispose_self_on_rerun) {
  OPEN();
  X.a = sig(1);
  X.b = sig(1);
  X.fx = eff(sdr_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
  SET(X.a, 3);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_unsubscribe) {
  volt_node *d;
  OPEN();
  X.a = sig(123);
  d = eff(spy_a1);
  X.n1 = 0;
  volt_dispose(d);
  SET(X.a, 42);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

static void cond_fx(void *ud) {
  (void)ud;
  X.n1++;
  if (volt_as_bool(volt_get(X.c)))
    volt_get(X.a);
  else
    volt_get(X.b);
}
START_TEST(pr_effect_conditional_unsubscribe) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = sigv(volt_bool(true));
  eff(cond_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.b, 22);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(volt_set(X.c, volt_bool(false)), 0);
  ck_assert_int_eq(X.n1, 2);
  X.n1 = 0;
  SET(X.a, 111);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

static void bw_writer(void *ud) {
  (void)ud;
  volt_set(X.a, volt_int(2));
  volt_set(X.a, volt_int(3));
}
START_TEST(pr_effect_batches_writes) {
  OPEN();
  X.a = sig(1);
  eff(spy_a1);
  X.n1 = 0;
  eff(bw_writer);
  ck_assert_int_eq(X.n1, 1);
  EQ(X.a, 3);
  CLOSE();
}
END_TEST

static void cbn_fx(void *ud) {
  (void)ud;
  volt_get(X.a);
  ck_assert_int_eq(volt_on_cleanup(RT, cl_count, &X.n1), 0);
}
START_TEST(pr_effect_cleanup_before_next_run) {
  OPEN();
  X.a = sig(0);
  eff(cbn_fx);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* the signal holds which counter the cleanup bumps (a "function") */
static void ocp_fx(void *ud) {
  (void)ud;
  ck_assert_int_eq(volt_on_cleanup(RT, cl_count, volt_as_ptr(volt_get(X.a))), 0);
}
START_TEST(pr_effect_only_previous_cleanup) {
  OPEN();
  X.a = sigv(volt_ptr(&X.n1));
  eff(ocp_fx);
  ck_assert_int_eq(X.n1 + X.n2 + X.n3, 0);
  ck_assert_int_eq(volt_set(X.a, volt_ptr(&X.n2)), 0);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 0);
  ck_assert_int_eq(X.n3, 0);
  ck_assert_int_eq(volt_set(X.a, volt_ptr(&X.n3)), 0);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  ck_assert_int_eq(X.n3, 0);
  CLOSE();
}
END_TEST

static void cod_fx(void *ud) {
  (void)ud;
  ck_assert_int_eq(volt_on_cleanup(RT, cl_count, &X.n1), 0);
}
START_TEST(pr_effect_cleanup_on_dispose) {
  volt_node *d;
  OPEN();
  d = eff(cod_fx);
  ck_assert_int_eq(X.n1, 0);
  volt_dispose(d);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static volt_val const0_a(void *ud) {
  (void)ud;
  volt_get(X.a);
  return volt_int(0);
}
static void spy_c1(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.c);
}
START_TEST(pr_effect_no_rerun_when_computed_unchanged) {
  OPEN();
  X.a = sig(0);
  X.c = comp(const0_a);
  eff(spy_c1);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

/* c = (b, spy); effect reads c only while a == 0 */
static volt_val un_c(void *ud) {
  (void)ud;
  volt_get(X.b);
  X.n1++;
  return volt_nil();
}
static void un_fx(void *ud) {
  (void)ud;
  if (gi(X.a) == 0) volt_get(X.c);
}
START_TEST(pr_effect_no_unneeded_dep_recompute) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  X.c = comp(un_c);
  eff(un_fx);
  ck_assert_int_eq(X.n1, 1);
  BEGIN();
  SET(X.b, 1);
  SET(X.a, 1);
  END();
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* d = c (spy); effect: a > 0 ? (b, d) : b */
static volt_val ooo_d(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.c);
}
static void ooo_fx(void *ud) {
  (void)ud;
  if (gi(X.a) > 0) {
    volt_get(X.b);
    volt_get(X.d);
  } else {
    volt_get(X.b);
  }
}
static void ooo_set3(int64_t v) {
  BEGIN();
  SET(X.a, v);
  SET(X.b, v);
  SET(X.c, v);
  END();
}
START_TEST(pr_effect_no_out_of_order_recompute) {
  OPEN();
  X.a = sig(1);
  X.b = sig(1);
  X.c = sig(1);
  X.d = comp(ooo_d);
  eff(ooo_fx);
  X.n1 = 0;
  ooo_set3(2);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  ooo_set3(-1);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

static void rec_fx(void *ud) {
  (void)ud;
  X.n1++;
  if (gi(X.a) == 0) volt_set(X.a, volt_int(pk(X.a) + 1));
}
START_TEST(pr_effect_recompute_dep_changed_during_run) {
  OPEN();
  X.a = sig(0);
  eff(rec_fx);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* b, c read by a spy effect; the other effect's cleanup writes both */
static void ib_spy(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.b) * 10 + gi(X.c);
}
static void ib_cleanup(void *ud) {
  (void)ud;
  volt_set(X.b, volt_int(8));
  volt_set(X.c, volt_int(9));
}
static void ib_fx(void *ud) {
  (void)ud;
  volt_get(X.a);
  ck_assert_int_eq(volt_on_cleanup(RT, ib_cleanup, NULL), 0);
}
START_TEST(pr_effect_cleanup_implicit_batch) {
  OPEN();
  X.a = sig(0);
  X.b = sig(1);
  X.c = sig(2);
  eff(ib_spy);
  eff(ib_fx);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, 89);
  CLOSE();
}
END_TEST

static void cw_cleanup(void *ud) {
  (void)ud;
  volt_set(X.a, volt_int(2));
}
static void cw_fx(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.a);
  ck_assert_int_eq(volt_on_cleanup(RT, cw_cleanup, NULL), 0);
}
START_TEST(pr_effect_cleanup_write_no_retrigger) {
  OPEN();
  X.a = sig(0);
  eff(cw_fx);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, 2);
  CLOSE();
}
END_TEST

static void sdc_fx(void *ud) {
  (void)ud;
  if (gi(X.a) > 0) {
    volt_dispose(X.fx);
    /* the owner is gone: the cleanup runs at once (guide §10) */
    ck_assert_int_eq(volt_on_cleanup(RT, cl_count, &X.n1), 0);
  }
}
START_TEST(pr_effect_cleanup_when_self_disposed) {
  OPEN();
  X.a = sig(0);
  X.fx = eff(sdc_fx);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static void cdi_cleanup(void *ud) {
  (void)ud;
  volt_dispose(X.fx);
}
static void cdi_fx(void *ud) {
  (void)ud;
  volt_get(X.a);
  X.n1++;
  ck_assert_int_eq(volt_on_cleanup(RT, cdi_cleanup, NULL), 0);
}
START_TEST(pr_effect_cleanup_disposes_effect) {
  OPEN();
  X.a = sig(0);
  X.fx = eff(cdi_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* a computed creates an effect whose cleanup reads b: that read must not
 * be tracked by anyone */
static void ocx_cleanup(void *ud) {
  (void)ud;
  volt_get(X.b);
}
static void ocx_inner(void *ud) {
  (void)ud;
  ck_assert_int_eq(volt_on_cleanup(RT, ocx_cleanup, NULL), 0);
}
static volt_val ocx_c(void *ud) {
  (void)ud;
  if (gi(X.a) == 0) effu(ocx_inner, NULL);
  return volt_get(X.a);
}
START_TEST(pr_effect_cleanups_outside_context) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  X.c = comp(ocx_c);
  eff(spy_c1);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.b, 1);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

/* volt differs by design: upstream's effect writes NaN over what it read
 * and expects "Cycle detected"; in volt every NaN equals every NaN (guide
 * §2), so the second write is no change and the effect settles after two
 * runs. A write that really changes every time stops at the cap with
 * VOLT_ELOOP (guide §12), which is the closest to upstream's intent. */
static void cyc_nan_fx(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a);
  volt_set(X.a, volt_num(NAN));
}
static void cyc_inc_fx(void *ud) {
  (void)ud;
  X.n2++;
  volt_set(X.b, volt_int(gi(X.b) + 1));
}
START_TEST(pr_effect_cycles) {
  OPEN();
  X.a = sigv(volt_num(0));
  eff(cyc_nan_fx);
  ck_assert_int_eq(X.n1, 2);
  X.b = sig(0);
  X.c = sig(0);
  X.fx = eff(cyc_inc_fx); /* first run writes; the flush hits the cap */
  X.n2 = 0;
  ck_assert_int_eq(volt_set(X.b, volt_int(1000)), VOLT_ELOOP);
  ck_assert_int_le(X.n2, 101);
  volt_dispose(X.fx);
  CLOSE();
}
END_TEST

/* volt differs by design (writes in computeds): upstream's computed writes
 * NaN into its own dependency and expects "Cycle detected"; in volt the
 * write returns VOLT_EPERM, nothing changes, and the effect runs once. */
static volt_val icy_c(void *ud) {
  (void)ud;
  volt_get(X.a);
  X.r1 = volt_set(X.a, volt_num(NAN));
  return volt_num(NAN);
}
START_TEST(pr_effect_indirect_cycles) {
  OPEN();
  X.a = sigv(volt_num(0));
  X.c = comp(icy_c);
  eff(spy_c1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, VOLT_EPERM);
  ck_assert(volt_as_num(volt_get(X.a)) == 0.0);
  CLOSE();
}
END_TEST

static void dr_fx(void *ud) {
  (void)ud;
  if (gi(X.a) == 1) {
    volt_dispose(X.fx);
    X.n1++;
  }
}
START_TEST(pr_effect_dispose_running) {
  OPEN();
  X.a = sig(0);
  X.fx = eff(dr_fx);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_triggered_then_disposed_in_batch) {
  volt_node *d;
  OPEN();
  X.a = sig(0);
  d = eff(spy_a1);
  X.n1 = 0;
  BEGIN();
  SET(X.a, 1);
  volt_dispose(d);
  END();
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_triggered_disposed_triggered_in_batch) {
  volt_node *d;
  OPEN();
  X.a = sig(0);
  d = eff(spy_a1);
  X.n1 = 0;
  BEGIN();
  SET(X.a, 1);
  volt_dispose(d);
  SET(X.a, 2);
  END();
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_noop_batch_no_rerun) {
  OPEN();
  X.a = sig(42);
  eff(spy_a1);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  BEGIN();
  SET(X.a, 0);
  SET(X.a, 42);
  END();
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_repeated_noop_batches) {
  OPEN();
  X.a = sig(42);
  eff(spy_a1);
  X.n1 = 0;
  BEGIN();
  SET(X.a, 0);
  SET(X.a, 42);
  END();
  ck_assert_int_eq(X.n1, 0);
  BEGIN();
  SET(X.a, -1);
  SET(X.a, 42);
  END();
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_noop_batch_through_computed) {
  OPEN();
  X.a = sig(42);
  X.c = comp(dbl_a);
  eff(spy_c1);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  BEGIN();
  SET(X.a, 0);
  SET(X.a, 42);
  END();
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

static volt_val bang_a(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) + 100);
}
START_TEST(pr_effect_unsubscribed_computed_read_in_reverted_batch) {
  OPEN();
  X.a = sig(1);
  X.c = comp(bang_a);
  EQ(X.c, 101);
  BEGIN();
  SET(X.a, 2);
  EQ(X.c, 102);
  SET(X.a, 1);
  END();
  SET(X.a, 3);
  EQ(X.c, 103);
  CLOSE();
}
END_TEST

START_TEST(pr_effect_unsubscribed_computed_peeked_in_reverted_batch) {
  OPEN();
  X.a = sig(1);
  X.c = comp(dbl_a);
  PEEKEQ(X.c, 2);
  BEGIN();
  SET(X.a, 2);
  PEEKEQ(X.c, 4);
  SET(X.a, 1);
  END();
  SET(X.a, 3);
  PEEKEQ(X.c, 6);
  CLOSE();
}
END_TEST

static void pc_child(void *ud) {
  (void)ud;
  X.n2++;
  volt_get(X.b);
}
static void pc_parent(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a);
  effu(pc_child, NULL);
}
START_TEST(pr_effect_parent_not_rerun_for_child_signal) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  eff(pc_parent);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  SET(X.b, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 2);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  ck_assert_int_eq(X.n2, 3);
  CLOSE();
}
END_TEST

/* ========================================================================
 * @preact/signals-core: describe("computed()")
 * ======================================================================== */

static volt_val ab_c(void *ud) {
  (void)ud;
  X.n1++;
  return volt_int(gi(X.a) * 100 + gi(X.b));
}
START_TEST(pr_computed_return_value) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = comp(ab_c);
  EQ(X.c, 102);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_updated_value) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = comp(ab_c);
  EQ(X.c, 102);
  SET(X.a, 11);
  EQ(X.c, 1102);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_lazy) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = comp(ab_c);
  ck_assert_int_eq(X.n1, 0);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 3);
  SET(X.b, 4);
  ck_assert_int_eq(X.n1, 1);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_only_when_dep_changed) {
  OPEN();
  X.a = sig(1);
  X.c = comp(cnt_a);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* volt differs by design (writes in computeds): upstream's computed
 * increments its own dependency and re-runs at the next read; in volt the
 * write returns VOLT_EPERM, nothing changes, and the next read is cached. */
static volt_val inc_c(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = volt_set(X.a, volt_int(gi(X.a) + 1));
  return volt_nil();
}
START_TEST(pr_computed_dep_changed_during_run) {
  OPEN();
  X.a = sig(0);
  X.c = comp(inc_c);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, VOLT_EPERM);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1); /* upstream: 2 */
  EQ(X.a, 0);
  CLOSE();
}
END_TEST

static volt_val self_c(void *ud) { return volt_get(*(volt_node **)ud); }
START_TEST(pr_computed_simple_cycle) {
  OPEN();
  X.a = compu(self_c, &X.a);
  ck_assert_int_eq(volt_err_code(volt_get(X.a)), VOLT_ECYCLE);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_deep_cycle) {
  OPEN();
  X.a = compu(self_c, &X.b);
  X.b = compu(self_c, &X.c);
  X.c = compu(self_c, &X.d);
  X.d = compu(self_c, &X.a);
  ck_assert_int_eq(volt_err_code(volt_get(X.a)), VOLT_ECYCLE);
  CLOSE();
}
END_TEST

static volt_val self_catch_c(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.a); /* VOLT_ECYCLE, ignored ("caught") */
  return volt_int(5);
}
static void read_a_r1(void *ud) {
  (void)ud;
  X.r1 = gi(X.a);
}
START_TEST(pr_computed_not_own_dependency) {
  OPEN();
  X.a = comp(self_catch_c);
  EQ(X.a, 5);
  ck_assert_ptr_nonnull(volt_effect(RT, read_a_r1, NULL));
  ck_assert_int_eq(X.r1, 5);
  CLOSE();
}
END_TEST

static volt_val throw_c(void *ud) {
  (void)ud;
  volt_get(X.a);
  X.n1++;
  return volt_err(VOLT_EINVAL, ud ? "boom" : NULL);
}
static void body_stored_error(void *msg) {
  X.a = sig(0);
  X.c = compu(throw_c, msg);
  ck_assert(volt_is_err(volt_get(X.c)));
  ck_assert(volt_is_err(volt_get(X.c)));
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert(volt_is_err(volt_get(X.c)));
  ck_assert_int_eq(X.n1, 2);
}
START_TEST(pr_computed_stores_errors) {
  OPEN();
  body_stored_error("boom");
  ck_assert_str_eq(volt_err_msg(volt_get(X.c)), "boom");
  CLOSE();
}
END_TEST

START_TEST(pr_computed_stores_non_errors) {
  OPEN();
  body_stored_error(NULL);
  ck_assert_str_eq(volt_err_msg(volt_get(X.c)), "");
  CLOSE();
}
END_TEST

static volt_val cond_c(void *ud) {
  (void)ud;
  X.n1++;
  return volt_as_bool(volt_get(X.c)) ? volt_get(X.a) : volt_get(X.b);
}
START_TEST(pr_computed_conditional_unsubscribe) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = sigv(volt_bool(true));
  X.d = comp(cond_c);
  EQ(X.d, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.b, 22);
  EQ(X.d, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(volt_set(X.c, volt_bool(false)), 0);
  EQ(X.d, 22);
  ck_assert_int_eq(X.n1, 2);
  X.n1 = 0;
  SET(X.a, 111);
  EQ(X.d, 22);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

static volt_val one_c(void *ud) {
  (void)ud;
  return volt_int(1);
}
START_TEST(pr_computed_watched_first_subscription) {
  subscription s1, s2;
  volt_node *u1, *u2;
  OPEN();
  X.c = volt_computed(RT, one_c, NULL, &hk_opts);
  ck_assert_int_eq(X.n5, 0);
  u1 = subscribe(&s1, X.c, NULL);
  ck_assert_int_eq(X.n5, 1);
  u2 = subscribe(&s2, X.c, NULL);
  ck_assert_int_eq(X.n5, 1);
  volt_dispose(u1);
  volt_dispose(u2);
  ck_assert_int_eq(X.n6, 1);
  CLOSE();
}
END_TEST

static volt_val plus1_a(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) + 1);
}
START_TEST(pr_computed_watched_nested_signal) {
  subscription s1, s2;
  volt_node *u1, *u2;
  OPEN();
  X.a = volt_signal(RT, volt_int(1), &hk_opts);
  X.c = volt_computed(RT, plus1_a, NULL, &hk_opts);
  ck_assert_int_eq(X.n5, 0);
  u1 = subscribe(&s1, X.c, NULL);
  ck_assert_int_eq(X.n5, 2);
  u2 = subscribe(&s2, X.a, NULL);
  ck_assert_int_eq(X.n5, 2);
  volt_dispose(u2);
  volt_dispose(u1);
  ck_assert_int_eq(X.n6, 2);
  CLOSE();
}
END_TEST

static volt_val nil_c(void *ud) {
  (void)ud;
  X.n1++;
  return volt_nil();
}
START_TEST(pr_computed_undefined_vs_uninitialized) {
  OPEN();
  X.a = sig(0);
  X.c = comp(nil_c);
  ck_assert(volt_is_nil(volt_get(X.c)));
  SET(X.a, 1);
  ck_assert(volt_is_nil(volt_get(X.c)));
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static volt_val catch_b(void *ud) {
  (void)ud;
  if (volt_is_err(volt_get(X.b))) return volt_int(77); /* "ok" */
  return volt_nil();
}
START_TEST(pr_computed_no_leak_of_dep_errors) {
  OPEN();
  X.a = sig(0);
  X.b = compu(throw_c, "error");
  X.c = comp(catch_b);
  EQ(X.c, 77);
  SET(X.a, 1);
  EQ(X.c, 77);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_notify_right_after_first_subscription) {
  OPEN();
  X.a = sig(0);
  X.b = compu(cc_id, X.a);
  X.c = compu(cc_id, X.b);
  volt_get(X.c);
  eff(spy_c1);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_outdated_right_after_first_subscription) {
  OPEN();
  X.a = sig(0);
  X.c = compu(cc_id, X.a);
  volt_get(X.c);
  SET(X.a, 1);
  eff(read_c);
  EQ(X.c, 1);
  CLOSE();
}
END_TEST

static void spy_c2(void *ud) {
  (void)ud;
  X.n2++;
  volt_get(X.c);
}
static void spy_c3(void *ud) {
  (void)ud;
  X.n3++;
  volt_get(X.c);
}
START_TEST(pr_computed_notify_after_listener_disposed) {
  volt_node *d;
  OPEN();
  X.a = sig(0);
  X.c = compu(cc_id, X.a);
  eff(spy_c1);
  d = eff(spy_c2);
  eff(spy_c3);
  ck_assert_int_eq(X.n1 + X.n2 * 10 + X.n3 * 100, 111);
  volt_dispose(d);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  ck_assert_int_eq(X.n2, 1);
  ck_assert_int_eq(X.n3, 2);
  CLOSE();
}
END_TEST

static volt_val ooo_e(void *ud) {
  (void)ud;
  ooo_fx(NULL);
  return volt_nil();
}
START_TEST(pr_computed_no_out_of_order_recompute) {
  OPEN();
  X.a = sig(1);
  X.b = sig(1);
  X.c = sig(1);
  X.d = comp(ooo_d);
  X.e = comp(ooo_e);
  volt_get(X.e);
  X.n1 = 0;
  SET(X.a, 2);
  SET(X.b, 2);
  SET(X.c, 2);
  volt_get(X.e);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, -1);
  SET(X.b, -1);
  SET(X.c, -1);
  volt_get(X.e);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

static volt_val un_d(void *ud) {
  (void)ud;
  un_fx(NULL);
  return volt_nil();
}
START_TEST(pr_computed_no_unneeded_dep_recompute) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  X.c = comp(un_c);
  X.d = comp(un_d);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  BEGIN();
  SET(X.b, 1);
  SET(X.a, 1);
  END();
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_value) {
  OPEN();
  X.a = sig(1);
  X.c = compu(cc_id, X.a);
  PEEKEQ(X.c, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_error) {
  OPEN();
  X.c = comp(g_fail);
  ck_assert_str_eq(volt_err_msg(volt_peek(X.c)), "fail");
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_previous_error) {
  OPEN();
  X.c = comp(g_fail);
  ck_assert_str_eq(volt_err_msg(volt_get(X.c)), "fail");
  ck_assert_str_eq(volt_err_msg(volt_peek(X.c)), "fail");
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_refresh_stale) {
  OPEN();
  X.a = sig(1);
  X.b = compu(cc_id, X.a);
  PEEKEQ(X.b, 1);
  SET(X.a, 2);
  PEEKEQ(X.b, 2);
  CLOSE();
}
END_TEST

static volt_val self_peek_c(void *ud) { return volt_peek(*(volt_node **)ud); }
START_TEST(pr_computed_peek_simple_cycle) {
  OPEN();
  X.a = compu(self_peek_c, &X.a);
  ck_assert_int_eq(volt_err_code(volt_peek(X.a)), VOLT_ECYCLE);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_deep_cycle) {
  OPEN();
  X.a = compu(self_c, &X.b);
  X.b = compu(self_c, &X.c);
  X.c = compu(self_c, &X.d);
  X.d = compu(self_peek_c, &X.a);
  ck_assert_int_eq(volt_err_code(volt_peek(X.a)), VOLT_ECYCLE);
  CLOSE();
}
END_TEST

static void peek_c_fx(void *ud) {
  (void)ud;
  X.n1++;
  volt_peek(X.c);
}
START_TEST(pr_computed_peek_no_effect_dep) {
  OPEN();
  X.a = sig(1);
  X.c = compu(cc_id, X.a);
  eff(peek_c_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static volt_val peek_c_c(void *ud) {
  (void)ud;
  X.n1++;
  volt_peek(X.c);
  return volt_nil();
}
START_TEST(pr_computed_peek_no_computed_dep) {
  OPEN();
  X.a = sig(1);
  X.c = compu(cc_id, X.a);
  X.d = comp(peek_c_c);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_no_effect_dep_on_peeked_deps) {
  OPEN();
  X.a = sig(1);
  X.c = compu(cc_id, X.a);
  eff(peek_c_fx);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 2); /* a real change too: still no run */
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

START_TEST(pr_computed_peek_no_computed_dep_on_peeked_deps) {
  OPEN();
  X.a = sig(1);
  X.c = compu(cc_id, X.a);
  X.d = comp(peek_c_c);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 1);
  X.n1 = 0;
  SET(X.a, 1);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 2);
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 0);
  CLOSE();
}
END_TEST

/* garbage collection, C style: a computed nobody listens to any more holds
 * no edge into its source once disposed, and the memory comes back */
START_TEST(pr_computed_collectable_after_listeners_lost) {
  volt_stats_t s0, s1;
  volt_node *d;
  OPEN();
  X.a = sig(0);
  s0 = st();
  X.c = compu(cc_id, X.a);
  d = eff(read_c);
  ck_assert_uint_eq(st().edges, s0.edges + 2);
  volt_dispose(d);
  ck_assert_uint_eq(st().edges, s0.edges); /* the computed let go of a */
  volt_dispose(X.c);
  s1 = st();
  ck_assert_uint_eq(s1.live_nodes, s0.live_nodes);
  ck_assert_uint_eq(s1.edges, s0.edges);
  CLOSE();
}
END_TEST

/* ========================================================================
 * @preact/signals-core: describe("batch/transaction")
 * ======================================================================== */

START_TEST(pr_batch_returns_result) {
  OPEN();
  BEGIN();
  ck_assert_int_eq(volt_batch_end(RT), 0); /* batch(() => 1): the flush's 0 */
  ck_assert_int_eq(volt_batch_end(RT), VOLT_EINVAL);
  CLOSE();
}
END_TEST

START_TEST(pr_batch_delays_writes) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  eff(spy_ab);
  X.n1 = 0;
  BEGIN();
  SET(X.a, 11);
  SET(X.b, 22);
  ck_assert_int_eq(X.n1, 0);
  END();
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_batch_delays_until_outermost) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  eff(spy_ab);
  X.n1 = 0;
  BEGIN();
  BEGIN();
  SET(X.a, pk(X.a) + 10);
  SET(X.b, pk(X.b) + 10);
  END();
  SET(X.a, pk(X.a) + 100);
  SET(X.b, pk(X.b) + 100);
  END();
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(pr_batch_reads_written_signals) {
  OPEN();
  X.a = sig(1);
  BEGIN();
  SET(X.a, 2);
  X.r1 = gi(X.a);
  END();
  ck_assert_int_eq(X.r1, 2);
  CLOSE();
}
END_TEST

/* A -> B -> C -> D -> E, C read inside the batch */
static volt_val chain_c(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.b);
}
static volt_val chain_d(void *ud) {
  (void)ud;
  X.n2++;
  return volt_get(X.c);
}
static volt_val chain_e(void *ud) {
  (void)ud;
  X.n3++;
  return volt_get(X.d);
}
START_TEST(pr_batch_reads_computed_with_updated_sources) {
  OPEN();
  X.a = sig(1);
  X.b = compu(cc_id, X.a);
  X.c = comp(chain_c);
  X.d = comp(chain_d);
  X.e = comp(chain_e);
  BEGIN();
  SET(X.a, 2);
  X.r1 = gi(X.c);
  ck_assert_int_eq(X.n2, 0);
  END();
  ck_assert_int_eq(X.r1, 2);
  EQ(X.d, 2);
  EQ(X.e, 2);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  ck_assert_int_eq(X.n3, 1);
  CLOSE();
}
END_TEST

static volt_val abc_d(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) * 10000 + gi(X.b) * 100 + gi(X.c));
}
static void result_d(void *ud) {
  (void)ud;
  X.r1 = gi(X.d);
}
START_TEST(pr_batch_no_block_after_batch) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = sig(3);
  X.d = comp(abc_d);
  eff(result_d);
  BEGIN();
  SET(X.a, 11);
  SET(X.b, 22);
  END();
  SET(X.c, 33);
  ck_assert_int_eq(X.r1, 112233);
  CLOSE();
}
END_TEST

static volt_val triple_a(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) * 3);
}
static void invokes_fx(void *ud) {
  (void)ud;
  LOG((int)(gi(X.b) * 10 + gi(X.c)));
}
static void body_not_stale(bool use_peek) {
  X.a = sig(0);
  X.b = comp(dbl_a);
  X.c = comp(triple_a);
  eff(invokes_fx);
  EXPECT_LOG(0);
  BEGIN();
  SET(X.a, 1);
  if (use_peek)
    PEEKEQ(X.b, 2);
  else
    EQ(X.b, 2);
  END();
  EXPECT_LOG(0, 23);
}
START_TEST(pr_batch_not_stale_with_get) {
  OPEN();
  body_not_stale(false);
  CLOSE();
}
END_TEST

START_TEST(pr_batch_not_stale_with_peek) {
  OPEN();
  body_not_stale(true);
  CLOSE();
}
END_TEST

START_TEST(pr_batch_effect_first_run_immediate) {
  OPEN();
  X.a = sig(0);
  BEGIN();
  eff(spy_a1);
  X.r1 = X.n1;
  END();
  ck_assert_int_eq(X.r1, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* ========================================================================
 * @preact/signals-core: describe("untracked")
 * ======================================================================== */

static void ut_spy_ab(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.a) + gi(X.b);
}
static void ut_block_fx(void *ud) {
  (void)ud;
  volt_untrack(RT, ut_spy_ab, NULL);
}
START_TEST(pr_untracked_in_effect) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  eff(ut_block_fx);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 10);
  SET(X.b, 20);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static void ut_make_effect(void *ud) {
  (void)ud;
  X.b = sig(0); /* unused; b must exist for ut_spy_ab */
  eff(ut_block_fx);
}
START_TEST(pr_untracked_effect_inside_untracked) {
  OPEN();
  X.a = sig(1);
  volt_untrack(RT, ut_make_effect, NULL);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

static void ut_bump(void *ud) {
  (void)ud;
  ck_assert_int_eq(volt_set(X.b, volt_int(gi(X.b) + 1)), 0);
}
static void ut_assign_fx(void *ud) {
  (void)ud;
  volt_get(X.a);
  volt_untrack(RT, ut_bump, NULL);
}
START_TEST(pr_untracked_assignment_ok) {
  volt_node *d;
  OPEN();
  X.a = sig(1);
  X.b = sig(0);
  d = eff(ut_assign_fx);
  SET(X.a, 2);
  EQ(X.b, 2);
  SET(X.a, 3);
  EQ(X.b, 3);
  volt_dispose(d);
  CLOSE();
}
END_TEST

static volt_val ut_block_c(void *ud) {
  (void)ud;
  volt_untrack(RT, ut_spy_ab, NULL);
  return volt_int(X.r1);
}
START_TEST(pr_untracked_in_computed) {
  OPEN();
  X.a = sig(1);
  X.b = sig(2);
  X.c = comp(ut_block_c);
  ck_assert_int_eq(X.n1, 0);
  EQ(X.c, 3);
  SET(X.a, 10);
  volt_get(X.c);
  SET(X.b, 20);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  EQ(X.c, 3);
  CLOSE();
}
END_TEST

/* ========================================================================
 * alien-signals: tests/vue/computed.spec.ts (Vue's computed tests, as
 * alien-signals ran them against its Vue-style layer; shallowRef -> signal)
 * ======================================================================== */

START_TEST(al_vue_updated_value) {
  OPEN();
  X.a = sigv(volt_nil());
  X.c = compu(cc_id, X.a);
  ck_assert(volt_is_nil(volt_get(X.c)));
  SET(X.a, 1);
  EQ(X.c, 1);
  CLOSE();
}
END_TEST

START_TEST(al_vue_compute_lazily) {
  OPEN();
  X.a = sigv(volt_nil());
  X.c = comp(cnt_a);
  ck_assert_int_eq(X.n1, 0);
  ck_assert(volt_is_nil(volt_get(X.c)));
  ck_assert_int_eq(X.n1, 1);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  EQ(X.c, 1);
  ck_assert_int_eq(X.n1, 2);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

static void dummy_c(void *ud) {
  (void)ud;
  X.r1 = gi(X.c);
  X.r2 = volt_is_nil(volt_get(X.c));
}
START_TEST(al_vue_trigger_effect) {
  OPEN();
  X.a = sigv(volt_nil());
  X.c = compu(cc_id, X.a);
  eff(dummy_c);
  ck_assert_int_eq(X.r2, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.r1, 1);
  ck_assert_int_eq(X.r2, 0);
  CLOSE();
}
END_TEST

static volt_val v_c1(void *ud) {
  (void)ud;
  X.n1++;
  return volt_get(X.a);
}
static volt_val v_c2(void *ud) {
  (void)ud;
  X.n2++;
  return volt_int(gi(X.b) + 1);
}
static void v_chain(void) {
  X.a = sig(0);
  X.b = comp(v_c1);
  X.c = comp(v_c2);
}
START_TEST(al_vue_chained) {
  OPEN();
  v_chain();
  EQ(X.c, 1);
  EQ(X.b, 0);
  SET(X.a, 1);
  EQ(X.c, 2);
  EQ(X.b, 1);
  CLOSE();
}
END_TEST

static void v_dummy_c(void *ud) {
  (void)ud;
  X.r1 = gi(X.c);
}
START_TEST(al_vue_trigger_effect_chained) {
  OPEN();
  v_chain();
  eff(v_dummy_c);
  ck_assert_int_eq(X.r1, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.r1, 2);
  ck_assert_int_eq(X.n1, 2);
  ck_assert_int_eq(X.n2, 2);
  CLOSE();
}
END_TEST

static void v_dummy_bc(void *ud) {
  (void)ud;
  X.r1 = gi(X.b) + gi(X.c);
}
START_TEST(al_vue_trigger_effect_chained_mixed) {
  OPEN();
  v_chain();
  eff(v_dummy_bc);
  ck_assert_int_eq(X.r1, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.r1, 3);
  ck_assert_int_eq(X.n1, 2);
  ck_assert_int_eq(X.n2, 2);
  CLOSE();
}
END_TEST

/* volt differs by design: no writable computeds (volt_set on a computed is
 * VOLT_EINVAL); the setter is a plain function writing n. */
static void plus_one_set(int64_t v) { SET(X.a, v - 1); }
START_TEST(al_vue_setter) {
  OPEN();
  X.a = sig(1);
  X.c = comp(plus1_a);
  EQ(X.c, 2);
  SET(X.a, 2);
  EQ(X.c, 3);
  ck_assert_int_eq(volt_set(X.c, volt_int(0)), VOLT_EINVAL);
  plus_one_set(0);
  EQ(X.a, -1);
  CLOSE();
}
END_TEST

static void dummy_a(void *ud) {
  (void)ud;
  X.r1 = gi(X.a);
}
START_TEST(al_vue_setter_triggers_effect) {
  OPEN();
  X.a = sig(1);
  X.c = comp(plus1_a);
  eff(dummy_a);
  ck_assert_int_eq(X.r1, 1);
  plus_one_set(0);
  ck_assert_int_eq(X.r1, -1);
  CLOSE();
}
END_TEST

/* #5720: plusOne read (and cached) outside, then n changes */
static void v_inv_fx(void *ud) {
  (void)ud;
  volt_get(X.a);
  LOG((int)gi(X.b));
}
START_TEST(al_vue_invalidate_before_effects) {
  OPEN();
  X.a = sig(0);
  X.b = comp(plus1_a);
  eff(v_inv_fx);
  volt_get(X.b);
  SET(X.a, 1);
  EXPECT_LOG(1, 2);
  CLOSE();
}
END_TEST

static volt_val v_inv_c(void *ud) {
  v_inv_fx(ud);
  return volt_nil();
}
START_TEST(al_vue_invalidate_before_computeds) {
  OPEN();
  X.a = sig(0);
  X.b = comp(plus1_a);
  X.c = comp(v_inv_c);
  volt_get(X.c);
  volt_get(X.b);
  SET(X.a, 1);
  volt_get(X.c);
  EXPECT_LOG(1, 2);
  CLOSE();
}
END_TEST

/* a holds a pointer to {v}; b = a; c = b ? b->v : nil (spy); d = b ? c : 0 */
typedef struct vbox {
  int64_t v;
} vbox;
static volt_val v_q_c(void *ud) {
  (void)ud;
  X.n1++;
  vbox *p = volt_as_ptr(volt_get(X.b));
  return p ? volt_int(p->v) : volt_nil();
}
static volt_val v_q_d(void *ud) {
  (void)ud;
  if (volt_as_ptr(volt_get(X.b))) return volt_get(X.c);
  return volt_int(0);
}
START_TEST(al_vue_query_deps_sequentially) {
  vbox box = {1};
  OPEN();
  X.a = sigv(volt_ptr(&box));
  X.b = compu(cc_id, X.a);
  X.c = comp(v_q_c);
  X.d = comp(v_q_d);
  volt_get(X.d);
  box.v = 2;
  ck_assert_int_eq(volt_set(X.a, volt_ptr(NULL)), 0);
  EQ(X.d, 0);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* items (nil or an array), isLoaded = !!items, msg = loaded ? 1 : 2 */
static volt_val v_loaded(void *ud) {
  (void)ud;
  return volt_bool(volt_as_ptr(volt_get(X.a)) != NULL);
}
static volt_val v_msg(void *ud) {
  (void)ud;
  return volt_int(volt_as_bool(volt_get(X.b)) ? 1 : 2);
}
static void v_msg_fx(void *ud) {
  (void)ud;
  X.r1 = gi(X.c);
}
START_TEST(al_vue_dirty_realloc_after_query) {
  int items1[3] = {1, 2, 3}, items2[3] = {1, 2, 3};
  OPEN();
  X.a = sigv(volt_nil());
  X.b = comp(v_loaded);
  X.c = comp(v_msg);
  eff(v_msg_fx);
  ck_assert_int_eq(volt_set(X.a, volt_ptr(items1)), 0);
  ck_assert_int_eq(volt_set(X.a, volt_ptr(items2)), 0);
  ck_assert_int_eq(volt_set(X.a, volt_nil()), 0);
  ck_assert_int_eq(X.r1, 2);
  CLOSE();
}
END_TEST

START_TEST(al_vue_dirty_realloc_after_getter) {
  int items[3] = {1, 2, 3};
  OPEN();
  X.a = sigv(volt_nil());
  X.b = comp(v_loaded);
  X.c = comp(v_msg);
  X.r1 = gi(X.c);
  ck_assert_int_eq(volt_set(X.a, volt_ptr(items)), 0);
  volt_get(X.b);
  X.r1 = gi(X.c);
  ck_assert_int_eq(X.r1, 1);
  ck_assert_int_eq(volt_set(X.a, volt_nil()), 0);
  X.r1 = gi(X.c);
  ck_assert_int_eq(X.r1, 2);
  CLOSE();
}
END_TEST

/* b = a%3 != 0; c = a%3 == 2 ? expensive : cheap (spy); d = a%3 == 2;
 * e = b && d ? avoid : c */
static volt_val v_do_b(void *ud) {
  (void)ud;
  return volt_bool(gi(X.a) % 3 != 0);
}
static volt_val v_do_c(void *ud) {
  (void)ud;
  X.n1++;
  return volt_int(gi(X.a) % 3 == 2 ? 1 : 2);
}
static volt_val v_do_d(void *ud) {
  (void)ud;
  return volt_bool(gi(X.a) % 3 == 2);
}
static volt_val v_do_e(void *ud) {
  (void)ud;
  if (volt_as_bool(volt_get(X.b)) && volt_as_bool(volt_get(X.d))) return volt_int(3);
  return volt_get(X.c);
}
START_TEST(al_vue_deps_order_consistent) {
  OPEN();
  X.a = sig(0);
  X.b = comp(v_do_b);
  X.c = comp(v_do_c);
  X.d = comp(v_do_d);
  X.e = comp(v_do_e);
  volt_get(X.e);
  SET(X.a, 1);
  volt_get(X.e);
  ck_assert_int_eq(X.n1, 2);
  SET(X.a, 2);
  EQ(X.e, 3);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* c1 = src1; c2 = src1 % 2 + src2; c3 = (c1, c2) spy */
static volt_val v_sm_c2(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) % 2 + gi(X.b));
}
static volt_val v_sm_c3(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.c);
  volt_get(X.d);
  return volt_nil();
}
START_TEST(al_vue_second_maybe_dirty_computed) {
  OPEN();
  X.a = sig(0);
  X.b = sig(0);
  X.c = compu(cc_id, X.a);
  X.d = comp(v_sm_c2);
  X.e = comp(v_sm_c3);
  volt_get(X.e);
  SET(X.a, 2);
  volt_get(X.e);
  ck_assert_int_eq(X.n1, 2);
  SET(X.b, 1);
  volt_get(X.e);
  ck_assert_int_eq(X.n1, 3);
  CLOSE();
}
END_TEST

START_TEST(al_vue_second_effect_triggered) {
  OPEN();
  X.a = sig(1);
  X.c = compu(cc_id, X.a);
  eff(read_c);
  eff(spy_c1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* the dirty-level assertion of upstream becomes: a second read of the
 * chain recomputes nothing */
START_TEST(al_vue_chained_clear_dirty) {
  OPEN();
  X.a = sig(1);
  X.b = comp(v_c1);
  X.c = compu(g_id_b, NULL);
  volt_get(X.c);
  ck_assert_int_eq(X.n1, 1);
  volt_get(X.c);
  volt_get(X.b);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* volt differs by design (writes in computeds), the next five cases: the
 * computed's write returns VOLT_EPERM and changes nothing. */
static volt_val v_w_c1(void *ud) {
  (void)ud;
  if (gi(X.a) == 0) X.r3 = volt_set(X.a, volt_int(1));
  return volt_get(X.a);
}
START_TEST(al_vue_chained_first_computed_writes) {
  OPEN();
  X.a = sig(0);
  X.b = comp(v_w_c1);
  X.c = compu(g_id_b, NULL);
  X.d = compu(cc_id, X.c);
  EQ(X.d, 0); /* upstream: 1 */
  ck_assert_int_eq(X.r3, VOLT_EPERM);
  CLOSE();
}
END_TEST

static volt_val v_w_foo(void *ud) {
  (void)ud;
  if (gi(X.a) == 0) X.r3 = volt_set(X.a, volt_int(1));
  return volt_int(7); /* "foo" */
}
static volt_val v_w_c2(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) * 10 + gi(X.b));
}
START_TEST(al_vue_chained_ref_and_computed) {
  OPEN();
  X.a = sig(0);
  X.b = comp(v_w_foo);
  X.c = comp(v_w_c2);
  EQ(X.c, 7);
  EQ(X.c, 7); /* upstream: "1foo" the second time */
  ck_assert_int_eq(X.r3, VOLT_EPERM);
  CLOSE();
}
END_TEST

static void v_w_fx(void *ud) {
  (void)ud;
  X.n1++;
  LOG((int)gi(X.c));
}
START_TEST(al_vue_effect_even_computed_dirty) {
  OPEN();
  X.a = sig(0);
  X.b = comp(v_w_foo);
  X.c = comp(v_w_c2);
  eff(v_w_fx);
  ck_assert_int_eq(X.n1, 1);
  EQ(X.a, 0); /* upstream: 1 */
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 2);
  EXPECT_LOG(7, 27);
  EQ(X.a, 2);
  CLOSE();
}
END_TEST

/* #10185: c1 creates and stores an item when v1 is empty */
static volt_val v_mo_c1(void *ud) {
  (void)ud;
  volt_node *item = volt_as_ptr(volt_get(X.a));
  if (!item) {
    X.r3 = volt_set(X.a, volt_ptr(X.s)); /* refused: VOLT_EPERM */
    item = X.s;
  }
  return volt_get(item);
}
static volt_val v_mo_c2(void *ud) {
  (void)ud;
  if (!volt_as_bool(volt_get(X.b))) return volt_int(0);
  return volt_int(gi(X.c) ? 1 : 0);
}
START_TEST(al_vue_queried_maybe_dirty_kept) {
  OPEN();
  X.s = sig(0); /* the item's v */
  X.a = sigv(volt_ptr(NULL));
  X.b = sigv(volt_bool(false));
  X.c = comp(v_mo_c1);
  X.d = comp(v_mo_c2);
  X.e = compu(cc_id, X.d);
  volt_get(X.e);
  ck_assert_int_eq(volt_set(X.b, volt_bool(true)), 0);
  volt_get(X.e);
  ck_assert_int_eq(X.r3, VOLT_EPERM);
  SET(X.s, 999);
  EQ(X.e, 1); /* "yes" */
  CLOSE();
}
END_TEST

static volt_val v_odd(void *ud) {
  (void)ud;
  X.n2++;
  return volt_int(gi(X.a) % 2);
}
static void v_spy_c(void *ud) {
  (void)ud;
  X.n1++;
  volt_get(X.c);
}
START_TEST(al_vue_no_trigger_if_unchanged) {
  OPEN();
  X.a = sig(0);
  X.c = comp(v_odd);
  eff(v_spy_c);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 3);
  SET(X.a, 5);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

/* c1 = src % 2 (spy n2), c2 = c1 + 1 (spy n3), effect reads c2 (spy n1) */
static volt_val v_c2b(void *ud) {
  (void)ud;
  X.n3++;
  return volt_int(gi(X.c) + 1);
}
static void v_fx_d(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.d);
}
static void v_chain2(void) {
  X.a = sig(0);
  X.c = comp(v_odd);
  X.d = comp(v_c2b);
  eff(v_fx_d);
}
START_TEST(al_vue_chained_trigger) {
  OPEN();
  v_chain2();
  ck_assert_int_eq(X.n2, 1);
  ck_assert_int_eq(X.n3, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n2, 2);
  ck_assert_int_eq(X.n3, 2);
  ck_assert_int_eq(X.n1, 2);
  CLOSE();
}
END_TEST

START_TEST(al_vue_chained_avoid_recompute) {
  OPEN();
  v_chain2();
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 2);
  SET(X.a, 4);
  SET(X.a, 6);
  ck_assert_int_eq(X.n2, 4);
  ck_assert_int_eq(X.n3, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

START_TEST(al_vue_chained_value_invalidation) {
  OPEN();
  v_chain2();
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, 1);
  EQ(X.d, 1);
  ck_assert_int_eq(X.n2, 1);
  ck_assert_int_eq(X.n3, 1);
  SET(X.a, 1);
  EQ(X.d, 2);
  ck_assert_int_eq(X.n3, 2);
  CLOSE();
}
END_TEST

START_TEST(al_vue_sync_access_then_effect_runs) {
  OPEN();
  v_chain2();
  ck_assert_int_eq(X.n1, 1);
  BEGIN(); /* the sync access happens before the effect had a chance */
  SET(X.a, 1);
  volt_get(X.d);
  END();
  ck_assert_int_eq(X.n1, 2);
  SET(X.a, 2); /* and without a batch */
  volt_get(X.d);
  ck_assert_int_eq(X.n1, 3);
  CLOSE();
}
END_TEST

/* an untracked zone inside an effect creates a computed and an inner
 * effect reading it: the inner effect tracks, the outer does not */
static void v_ft_inner(void *ud) {
  (void)ud;
  X.n2++;
  volt_get(X.c);
}
static void v_ft_zone(void *ud) {
  (void)ud;
  volt_get(X.a);
  X.c = comp(plus1_a);
  volt_get(X.c);
  eff(v_ft_inner);
  volt_get(X.a);
}
static void v_ft_outer(void *ud) {
  (void)ud;
  X.n1++;
  volt_untrack(RT, v_ft_zone, NULL);
}
START_TEST(al_vue_computed_tracks_in_untracked_zone) {
  OPEN();
  X.a = sig(0);
  eff(v_ft_outer);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 2);
  CLOSE();
}
END_TEST

static volt_val v_se_c(void *ud) {
  (void)ud;
  X.r3 = volt_set(X.a, volt_bool(true));
  return volt_get(X.b);
}
static void v_se_fx(void *ud) {
  (void)ud;
  if (volt_as_bool(volt_get(X.a))) volt_set(X.b, volt_bool(true));
}
START_TEST(al_vue_computed_side_effect_triggers) {
  OPEN();
  X.a = sigv(volt_bool(false));
  X.b = sigv(volt_bool(false));
  X.c = comp(v_se_c);
  eff(v_se_fx);
  ck_assert(!volt_as_bool(volt_get(X.b)));
  volt_get(X.c);
  ck_assert_int_eq(X.r3, VOLT_EPERM);
  ck_assert(!volt_as_bool(volt_get(X.b))); /* upstream: true */
  ck_assert(!volt_as_bool(volt_get(X.c))); /* upstream: true */
  CLOSE();
}
END_TEST

static void v_dummy_d(void *ud) {
  (void)ud;
  X.n1++;
  X.r1 = gi(X.d);
}
START_TEST(al_vue_chained_read_before_subs) {
  OPEN();
  X.a = sig(0);
  X.c = compu(cc_id, X.a);
  X.d = compu(h_chain_fn, X.c);
  volt_get(X.d);
  eff(v_dummy_d);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.r1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 2);
  ck_assert_int_eq(X.r1, 2);
  CLOSE();
}
END_TEST

static volt_val v_rs_c1(void *ud) {
  (void)ud;
  X.r3 = volt_set(X.a, volt_int(1));
  return volt_int(0);
}
static volt_val v_rs_c2(void *ud) {
  (void)ud;
  return volt_int(gi(X.a) * 10 + gi(X.b));
}
START_TEST(al_vue_recomputed_despite_side_effects) {
  OPEN();
  X.a = sig(0);
  X.b = comp(v_rs_c1);
  X.c = comp(v_rs_c2);
  EQ(X.c, 0); /* "0,0" */
  ck_assert_int_eq(X.r3, VOLT_EPERM);
  SET(X.a, 1);
  EQ(X.c, 10); /* "1,0" */
  CLOSE();
}
END_TEST

/* alien-signals 0.x tests/untrack.spec.ts: 'should untrack' */
static volt_val ut_only_c(void *ud) {
  (void)ud;
  volt_untrack(RT, ut_read_a_into_r1, NULL);
  return volt_int(X.r1);
}
START_TEST(al_untrack_untrack) {
  OPEN();
  X.a = sig(0);
  X.c = comp(ut_only_c);
  EQ(X.c, 0);
  SET(X.a, 1);
  EQ(X.c, 0);
  CLOSE();
}
END_TEST

/* ========================================================================
 * @preact/signals-core: cases whose upstream shape throws or uses `using`,
 * adapted (an effect "throws" by returning early; `using` is a scope)
 * ======================================================================== */

/* "should reset the cleanup if the effect throws": a run that ends early
 * registers no cleanup; the cleanup of the run before runs once */
static void rc_fx(void *ud) {
  (void)ud;
  if (gi(X.a) == 0) {
    ck_assert_int_eq(volt_on_cleanup(RT, cl_count, &X.n1), 0);
    return;
  }
  /* "throws": nothing registered */
}
START_TEST(pr_effect_reset_cleanup_on_early_return) {
  OPEN();
  X.a = sig(0);
  eff(rc_fx);
  ck_assert_int_eq(X.n1, 0);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 0);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* "should support resource management disposal": a scope is the block */
static void rm_body(void *ud) {
  (void)ud;
  eff(cbn_fx);
}
START_TEST(pr_effect_scoped_disposal) {
  volt_node *blk;
  OPEN();
  X.a = sig(0);
  blk = volt_scope(RT, rm_body, NULL);
  ck_assert_ptr_nonnull(blk);
  volt_dispose(blk);
  ck_assert_int_eq(X.n1, 1);
  SET(X.a, 1);
  ck_assert_int_eq(X.n1, 1);
  CLOSE();
}
END_TEST

/* "should run pending effects even if some effects throw": the failing
 * effects end early; the others still run once */
static void bail_fx(void *ud) {
  (void)ud;
  if (gi(X.a) == 1) {
    X.bad++; /* "throw" */
    return;
  }
}
START_TEST(pr_batch_pending_effects_run_despite_failures) {
  OPEN();
  X.a = sig(0);
  eff(bail_fx);
  eff(spy_a1);
  eff(bail_fx);
  eff(spy_a2);
  eff(bail_fx);
  X.n1 = X.n2 = 0;
  BEGIN();
  SET(X.a, pk(X.a) + 1);
  END();
  ck_assert_int_eq(X.bad, 3);
  ck_assert_int_eq(X.n1, 1);
  ck_assert_int_eq(X.n2, 1);
  CLOSE();
}
END_TEST

/* "should run pending effects even if the callback throws": the batch body
 * stops early; the end still flushes */
START_TEST(pr_batch_pending_effects_after_early_exit) {
  OPEN();
  X.a = sig(0);
  X.b = sig(1);
  eff(spy_a1);
  eff(spy_ab);
  X.n1 = 0;
  BEGIN();
  SET(X.a, pk(X.a) + 1);
  SET(X.b, pk(X.b) + 1);
  goto out; /* "throw" */
out:
  END();
  ck_assert_int_eq(X.n1, 2); /* spy_a1 and spy_ab both count into n1 */
  CLOSE();
}
END_TEST

/* garbage collection: a computed nobody listens to holds nothing */
START_TEST(pr_computed_collectable_unobserved) {
  volt_stats_t s0;
  OPEN();
  X.a = sig(0);
  s0 = st();
  X.c = compu(cc_id, X.a);
  ck_assert_uint_eq(st().edges, s0.edges);
  volt_dispose(X.c);
  ck_assert_uint_eq(st().live_nodes, s0.live_nodes);
  CLOSE();
}
END_TEST

/* ------------------------------------------------------------------------
 * Suite
 * ------------------------------------------------------------------------ */

static bool findings_wanted(void) {
  const char *f = getenv("VOLT_CONFORMANCE_FINDINGS");
  const char *c = getenv("CK_RUN_CASE");
  return (f && strcmp(f, "1") == 0) || (c && strcmp(c, "findings") == 0);
}

static Suite *conformance_suite(void) {
  Suite *s = suite_create("conformance");
  TCase *tc;

  tc = h_tcase(s, "alien_computed");
  tcase_add_test(tc, al_computed_propagate_through_chain);
  tcase_add_test(tc, al_computed_chained_updated_source);
  tcase_add_test(tc, al_computed_flags_indirectly_updated);
  tcase_add_test(tc, al_computed_no_update_on_revert);

  tc = h_tcase(s, "alien_effect");
  tcase_add_test(tc, al_effect_clear_subs_when_untracked);
  tcase_add_test(tc, al_effect_no_run_untracked_inner);
  tcase_add_test(tc, al_effect_outer_first);
  tcase_add_test(tc, al_effect_inner_not_triggered_maybe_dirty);
  tcase_add_test(tc, al_effect_inner_same_order_as_plain);
  tcase_add_test(tc, al_effect_custom_batch_effect);
  tcase_add_test(tc, al_effect_side_effect_with_inner_effects);
  tcase_add_test(tc, al_effect_flags_indirectly_updated);
  tcase_add_test(tc, al_effect_recursion_first_run);
  tcase_add_test(tc, al_effect_custom_recurse);
  tcase_add_test(tc, al_effect_cleanup_order_rerun);
  tcase_add_test(tc, al_effect_cleanup_order_dispose);
  tcase_add_test(tc, al_effect_sibling_cleanup_lifo_dispose);
  tcase_add_test(tc, al_effect_sibling_cleanup_lifo_rerun);
  tcase_add_test(tc, al_effect_three_level_cleanup_dispose);
  tcase_add_test(tc, al_effect_computed_unwatched_child_cleanup_lifo);
  tcase_add_test(tc, al_effect_inner_of_computed_cleanup_before_setup);
  tcase_add_test(tc, al_effect_cleanup_order_after_inner_only_rerun);
  tcase_add_test(tc, al_effect_outer_keeps_own_dep_issue115);

  tc = h_tcase(s, "alien_vue_computed");
  tcase_add_test(tc, al_vue_updated_value);
  tcase_add_test(tc, al_vue_compute_lazily);
  tcase_add_test(tc, al_vue_trigger_effect);
  tcase_add_test(tc, al_vue_chained);
  tcase_add_test(tc, al_vue_trigger_effect_chained);
  tcase_add_test(tc, al_vue_trigger_effect_chained_mixed);
  tcase_add_test(tc, al_vue_setter);
  tcase_add_test(tc, al_vue_setter_triggers_effect);
  tcase_add_test(tc, al_vue_invalidate_before_effects);
  tcase_add_test(tc, al_vue_invalidate_before_computeds);
  tcase_add_test(tc, al_vue_query_deps_sequentially);
  tcase_add_test(tc, al_vue_dirty_realloc_after_query);
  tcase_add_test(tc, al_vue_dirty_realloc_after_getter);
  tcase_add_test(tc, al_vue_deps_order_consistent);
  tcase_add_test(tc, al_vue_second_maybe_dirty_computed);
  tcase_add_test(tc, al_vue_second_effect_triggered);
  tcase_add_test(tc, al_vue_chained_clear_dirty);
  tcase_add_test(tc, al_vue_chained_first_computed_writes);
  tcase_add_test(tc, al_vue_chained_ref_and_computed);
  tcase_add_test(tc, al_vue_effect_even_computed_dirty);
  tcase_add_test(tc, al_vue_queried_maybe_dirty_kept);
  tcase_add_test(tc, al_vue_no_trigger_if_unchanged);
  tcase_add_test(tc, al_vue_chained_trigger);
  tcase_add_test(tc, al_vue_chained_avoid_recompute);
  tcase_add_test(tc, al_vue_chained_value_invalidation);
  tcase_add_test(tc, al_vue_sync_access_then_effect_runs);
  tcase_add_test(tc, al_vue_computed_tracks_in_untracked_zone);
  tcase_add_test(tc, al_vue_computed_side_effect_triggers);
  tcase_add_test(tc, al_vue_chained_read_before_subs);
  tcase_add_test(tc, al_vue_recomputed_despite_side_effects);

  tc = h_tcase(s, "alien_scope");
  tcase_add_test(tc, al_scope_dispose_inner_effects_in_effect);
  tcase_add_test(tc, al_scope_inner_reads_tracked_by_outer);
  tcase_add_test(tc, al_scope_dispose_runs_child_cleanup);
  tcase_add_test(tc, al_scope_sibling_cleanup_lifo);
  tcase_add_test(tc, al_scope_nested_cleanup_depth_first);
  tcase_add_test(tc, al_scope_intermediate_parent_cleanup_order);

  tc = h_tcase(s, "alien_trigger");
  tcase_add_test(tc, al_trigger_no_dependencies);
  tcase_add_test(tc, al_trigger_dependent_computed);
  tcase_add_test(tc, al_trigger_second_source);
  tcase_add_test(tc, al_trigger_effect_once);
  tcase_add_test(tc, al_trigger_not_notify_trigger_sub);

  tc = h_tcase(s, "alien_untrack");
  tcase_add_test(tc, al_untrack_in_computed);
  tcase_add_test(tc, al_untrack_in_effect);
  tcase_add_test(tc, al_untrack_in_scope);
  tcase_add_test(tc, al_untrack_untrack);

  tc = h_tcase(s, "alien_issues");
  tcase_add_test(tc, al_issue105_nested_scope_links);
  tcase_add_test(tc, al_issue105_signal_and_computed_through_scope);
  tcase_add_test(tc, al_issue105_scope_consecutive_updates);
  tcase_add_test(tc, al_issue105_computed_in_scope_caches);
  tcase_add_test(tc, al_issue109_dispose_in_computed_update);
  tcase_add_test(tc, al_issue109_self_dispose_body_finishes);
  tcase_add_test(tc, al_issue109_disposed_by_other_node_skipped);
  tcase_add_test(tc, al_issue109_disposed_effect_graph_clean);
  tcase_add_test(tc, al_issue109_disposed_not_renotified);
  tcase_add_test(tc, al_issue109_dispose_scope_in_computed_update);
  tcase_add_test(tc, al_issue109_sibling_disposal_two_subs);
  tcase_add_test(tc, al_issue109_sibling_disposal_three_subs);
  tcase_add_test(tc, al_issue109_stale_link_no_rerun);
  tcase_add_test(tc, al_issue109_variant_dispose_mid_check);
  tcase_add_test(tc, al_issue48_reaction_dispose_inner);
  tcase_add_test(tc, al_issue99_inner_resets_through_chain);

  tc = h_tcase(s, "alien_topology");
  tcase_add_test(tc, al_topo_drop_aba_updates);
  tcase_add_test(tc, al_topo_diamond_once);
  tcase_add_test(tc, al_topo_diamond_tail_once);
  tcase_add_test(tc, al_topo_bail_out_same_result);
  tcase_add_test(tc, al_topo_jagged_diamond_tails);
  tcase_add_test(tc, al_topo_only_listened_signals);
  tcase_add_test(tc, al_topo_only_listened_signals_2);
  tcase_add_test(tc, al_topo_one_dep_unmarks);
  tcase_add_test(tc, al_topo_two_deps_unmark);
  tcase_add_test(tc, al_topo_lazy_branches);
  tcase_add_test(tc, al_topo_all_deps_unmark);
  tcase_add_test(tc, al_topo_err_during_activation);
  tcase_add_test(tc, al_topo_err_in_computeds);

  tc = h_tcase(s, "preact_signal");
  tcase_add_test(tc, pr_signal_return_value);
  tcase_add_test(tc, pr_signal_notify_after_listener_disposed);
  tcase_add_test(tc, pr_signal_peek_value);
  tcase_add_test(tc, pr_signal_peek_updated_value);
  tcase_add_test(tc, pr_signal_peek_no_effect_dep);
  tcase_add_test(tc, pr_signal_peek_no_computed_dep);
  tcase_add_test(tc, pr_signal_subscribe_calls_with_value);
  tcase_add_test(tc, pr_signal_subscribe_runs_on_change);
  tcase_add_test(tc, pr_signal_unsubscribe);
  tcase_add_test(tc, pr_signal_subscribe_cb_reads_untracked);
  tcase_add_test(tc, pr_signal_subscribe_in_effect_no_outer_dep);
  tcase_add_test(tc, pr_signal_watched_first_subscription);
  tcase_add_test(tc, pr_signal_update_from_watched);

  tc = h_tcase(s, "preact_effect");
  tcase_add_test(tc, pr_effect_runs_immediately);
  tcase_add_test(tc, pr_effect_subscribes);
  tcase_add_test(tc, pr_effect_subscribes_multiple);
  tcase_add_test(tc, pr_effect_dispose_subscriptions);
  tcase_add_test(tc, pr_effect_dispose_self_on_rerun);
  tcase_add_test(tc, pr_effect_unsubscribe);
  tcase_add_test(tc, pr_effect_conditional_unsubscribe);
  tcase_add_test(tc, pr_effect_batches_writes);
  tcase_add_test(tc, pr_effect_cleanup_before_next_run);
  tcase_add_test(tc, pr_effect_only_previous_cleanup);
  tcase_add_test(tc, pr_effect_cleanup_on_dispose);
  tcase_add_test(tc, pr_effect_no_rerun_when_computed_unchanged);
  tcase_add_test(tc, pr_effect_no_unneeded_dep_recompute);
  tcase_add_test(tc, pr_effect_no_out_of_order_recompute);
  tcase_add_test(tc, pr_effect_recompute_dep_changed_during_run);
  tcase_add_test(tc, pr_effect_cleanup_implicit_batch);
  tcase_add_test(tc, pr_effect_cleanup_write_no_retrigger);
  tcase_add_test(tc, pr_effect_cleanup_when_self_disposed);
  tcase_add_test(tc, pr_effect_cleanup_disposes_effect);
  tcase_add_test(tc, pr_effect_cleanups_outside_context);
  tcase_add_test(tc, pr_effect_cycles);
  tcase_add_test(tc, pr_effect_indirect_cycles);
  tcase_add_test(tc, pr_effect_dispose_running);
  tcase_add_test(tc, pr_effect_triggered_then_disposed_in_batch);
  tcase_add_test(tc, pr_effect_triggered_disposed_triggered_in_batch);
  tcase_add_test(tc, pr_effect_noop_batch_no_rerun);
  tcase_add_test(tc, pr_effect_repeated_noop_batches);
  tcase_add_test(tc, pr_effect_noop_batch_through_computed);
  tcase_add_test(tc, pr_effect_unsubscribed_computed_read_in_reverted_batch);
  tcase_add_test(tc, pr_effect_unsubscribed_computed_peeked_in_reverted_batch);
  tcase_add_test(tc, pr_effect_parent_not_rerun_for_child_signal);
  tcase_add_test(tc, pr_effect_reset_cleanup_on_early_return);
  tcase_add_test(tc, pr_effect_scoped_disposal);

  tc = h_tcase(s, "preact_computed");
  tcase_add_test(tc, pr_computed_return_value);
  tcase_add_test(tc, pr_computed_updated_value);
  tcase_add_test(tc, pr_computed_lazy);
  tcase_add_test(tc, pr_computed_only_when_dep_changed);
  tcase_add_test(tc, pr_computed_dep_changed_during_run);
  tcase_add_test(tc, pr_computed_simple_cycle);
  tcase_add_test(tc, pr_computed_deep_cycle);
  tcase_add_test(tc, pr_computed_not_own_dependency);
  tcase_add_test(tc, pr_computed_stores_errors);
  tcase_add_test(tc, pr_computed_stores_non_errors);
  tcase_add_test(tc, pr_computed_conditional_unsubscribe);
  tcase_add_test(tc, pr_computed_watched_first_subscription);
  tcase_add_test(tc, pr_computed_watched_nested_signal);
  tcase_add_test(tc, pr_computed_undefined_vs_uninitialized);
  tcase_add_test(tc, pr_computed_no_leak_of_dep_errors);
  tcase_add_test(tc, pr_computed_notify_right_after_first_subscription);
  tcase_add_test(tc, pr_computed_outdated_right_after_first_subscription);
  tcase_add_test(tc, pr_computed_notify_after_listener_disposed);
  tcase_add_test(tc, pr_computed_no_out_of_order_recompute);
  tcase_add_test(tc, pr_computed_no_unneeded_dep_recompute);
  tcase_add_test(tc, pr_computed_peek_value);
  tcase_add_test(tc, pr_computed_peek_error);
  tcase_add_test(tc, pr_computed_peek_previous_error);
  tcase_add_test(tc, pr_computed_peek_refresh_stale);
  tcase_add_test(tc, pr_computed_peek_simple_cycle);
  tcase_add_test(tc, pr_computed_peek_deep_cycle);
  tcase_add_test(tc, pr_computed_peek_no_effect_dep);
  tcase_add_test(tc, pr_computed_peek_no_computed_dep);
  tcase_add_test(tc, pr_computed_peek_no_effect_dep_on_peeked_deps);
  tcase_add_test(tc, pr_computed_peek_no_computed_dep_on_peeked_deps);
  tcase_add_test(tc, pr_computed_collectable_after_listeners_lost);
  tcase_add_test(tc, pr_computed_collectable_unobserved);

  tc = h_tcase(s, "preact_graph");
  tcase_add_test(tc, pr_graph_drop_aba_updates);
  tcase_add_test(tc, pr_graph_diamond_once);
  tcase_add_test(tc, pr_graph_diamond_tail_once);
  tcase_add_test(tc, pr_graph_bail_out_same_result);
  tcase_add_test(tc, pr_graph_jagged_diamond_tails);
  tcase_add_test(tc, pr_graph_only_listened_signals);
  tcase_add_test(tc, pr_graph_only_listened_signals_2);
  tcase_add_test(tc, pr_graph_one_dep_unmarks);
  tcase_add_test(tc, pr_graph_two_deps_unmark);
  tcase_add_test(tc, pr_graph_once_for_multiple_dep_changes);

  tc = h_tcase(s, "preact_errors");
  tcase_add_test(tc, pr_errh_lazy_branches);
  tcase_add_test(tc, pr_errh_all_deps_unmark);
  tcase_add_test(tc, pr_errh_err_during_activation);
  tcase_add_test(tc, pr_errh_err_in_computeds);
  tcase_add_test(tc, pr_errh_write_to_computed);

  tc = h_tcase(s, "preact_batch");
  tcase_add_test(tc, pr_batch_returns_result);
  tcase_add_test(tc, pr_batch_delays_writes);
  tcase_add_test(tc, pr_batch_delays_until_outermost);
  tcase_add_test(tc, pr_batch_reads_written_signals);
  tcase_add_test(tc, pr_batch_reads_computed_with_updated_sources);
  tcase_add_test(tc, pr_batch_no_block_after_batch);
  tcase_add_test(tc, pr_batch_not_stale_with_get);
  tcase_add_test(tc, pr_batch_not_stale_with_peek);
  tcase_add_test(tc, pr_batch_effect_first_run_immediate);
  tcase_add_test(tc, pr_batch_pending_effects_run_despite_failures);
  tcase_add_test(tc, pr_batch_pending_effects_after_early_exit);

  tc = h_tcase(s, "alien_findings_fixed");
  tcase_add_test(tc, al_scope_no_trigger_after_stop);
  tcase_add_test(tc, al_effect_duplicate_subs_notify_order);

  tc = h_tcase(s, "preact_untracked");
  tcase_add_test(tc, pr_untracked_in_effect);
  tcase_add_test(tc, pr_untracked_effect_inside_untracked);
  tcase_add_test(tc, pr_untracked_assignment_ok);
  tcase_add_test(tc, pr_untracked_in_computed);

  /* findings: volt differs from upstream where the guide does not say it
   * should; off by default (VOLT_CONFORMANCE_FINDINGS=1 or
   * CK_RUN_CASE=findings adds them). */
  if (findings_wanted()) {
    tc = h_tcase(s, "findings");
    (void)tc; /* none left: each finding so far was fixed and moved to its tcase */
  }
  return s;
}

int main(void) { return h_run(conformance_suite()); }
