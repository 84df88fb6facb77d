/* tests/headers/only_volt.c - <volt/volt.h> compiles on its own (meson.build
 * builds this file with nothing else included first). */
#include <volt/volt.h>

int volt_header_volt(void);
int volt_header_volt(void) { return 0; }
