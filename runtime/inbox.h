/* runtime/inbox.h - the cross-thread inbox (acks and emits from any thread
 * applied on the loop thread in order). No <uv.h> here. */
#ifndef VOLT_RUNTIME_INBOX_H
#define VOLT_RUNTIME_INBOX_H

#include <volt/volt.h>

int volt__inbox_open(volt_rt *rt);
void volt__inbox_close(volt_rt *rt);
bool volt__inbox_has_handle(volt_rt *rt);

#endif
