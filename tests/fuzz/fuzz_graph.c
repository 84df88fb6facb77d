/* tests/fuzz/fuzz_graph.c - the libFuzzer entry point: one input is one
 * script for the graph-operations interpreter (graph_ops.c documents the
 * format). Built only with clang and -fsanitize=fuzzer (tests/fuzz/meson.build).
 *
 *   ./build/tests/fuzz/fuzz_graph -max_total_time=60 corpus-copy/ tests/fuzz/corpus/
 */
#include "graph_ops.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  graph_ops_run(data, size);
  return 0;
}
