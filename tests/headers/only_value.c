/* tests/headers/only_value.c - <volt/value.h> compiles on its own (meson.build
 * builds this file with nothing else included first). */
#include <volt/value.h>

int volt_header_value(void);
int volt_header_value(void) { return 0; }
