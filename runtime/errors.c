/* runtime/errors.c - names and sentences for error codes: volt's own, then
 * libuv's (which covers errno). */
#include <uv.h>

#include <volt/volt.h>

typedef struct {
  int code;
  const char *name;
  const char *msg;
} volt__errdesc;

static const volt__errdesc volt__errors[] = {
    {VOLT_ESTALE, "VOLT_ESTALE", "ack is stale, repeated or unknown"},
    {VOLT_ECYCLE, "VOLT_ECYCLE", "dependency cycle: a computed read itself"},
    {VOLT_ELOOP, "VOLT_ELOOP", "effects kept re-triggering past the round cap"},
    {VOLT_ECLOSING, "VOLT_ECLOSING", "the runtime is closing"},
    {VOLT_EPERM, "VOLT_EPERM", "write not allowed here (inside a computed)"},
    {VOLT_ETHREAD, "VOLT_ETHREAD", "loop-thread-only call made from another thread"},
};

static const volt__errdesc *find(int code) {
  for (size_t i = 0; i < sizeof volt__errors / sizeof volt__errors[0]; i++)
    if (volt__errors[i].code == code) return &volt__errors[i];
  return NULL;
}

/* libuv's uv_err_name/uv_strerror allocate (and leak) a string for codes they
 * do not know; ask the _r variants first to tell known from unknown. */
static bool uv_knows(int code) {
  char buf[64];
  uv_err_name_r(code, buf, sizeof buf);
  return strncmp(buf, "Unknown", 7) != 0;
}

const char *volt_strerror(int code) {
  if (code == 0) return "success";
  const volt__errdesc *d = find(code);
  if (d) return d->msg;
  if (code < 0 && uv_knows(code)) return uv_strerror(code);
  return "unknown error";
}

const char *volt_err_name(int code) {
  if (code == 0) return "OK";
  const volt__errdesc *d = find(code);
  if (d) return d->name;
  if (code < 0 && uv_knows(code)) return uv_err_name(code);
  return "UNKNOWN";
}
