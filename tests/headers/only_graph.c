/* tests/headers/only_graph.c - <volt/graph.h> compiles on its own (meson.build
 * builds this file with nothing else included first). */
#include <volt/graph.h>

int volt_header_graph(void);
int volt_header_graph(void) { return 0; }
