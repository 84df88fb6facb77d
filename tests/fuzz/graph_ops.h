/* tests/fuzz/graph_ops.h - the graph-operations interpreter shared by the
 * libFuzzer target (fuzz_graph.c) and the corpus replay (replay.c). The
 * script format is documented at the top of graph_ops.c.
 */
#ifndef VOLT_TESTS_FUZZ_GRAPH_OPS_H
#define VOLT_TESTS_FUZZ_GRAPH_OPS_H

#include <stddef.h>
#include <stdint.h>

/* Runs one script on a fresh loop-less runtime and closes it. Returns
 * normally when every oracle held; on a failed oracle it prints the reason
 * to stderr and calls abort(). Not reentrant (one script at a time).
 * Environment: see the top of graph_ops.c (VOLT_FUZZ_TRACE, VOLT_FUZZ_NO_OOM). */
void graph_ops_run(const uint8_t *data, size_t size);

#endif /* VOLT_TESTS_FUZZ_GRAPH_OPS_H */
