/* tests/headers/only_token.c - <volt/token.h> compiles on its own (meson.build
 * builds this file with nothing else included first). */
#include <volt/token.h>

int volt_header_token(void);
int volt_header_token(void) { return 0; }
