/* volt/value.h - the 16-byte tagged value, error codes and their names.
 *
 * Included by <volt/volt.h>; usable on its own (no libuv needed). Everything
 * here is a pure function of its arguments and may be called from any thread.
 */
#ifndef VOLT_VALUE_H
#define VOLT_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(VOLT_BUILDING) && defined(__GNUC__)
#define VOLT_EXTERN __attribute__((visibility("default")))
#else
#define VOLT_EXTERN /* nothing */
#endif

/* Error codes. Operations return 0 or one of these (negative). libuv's UV_E*
 * codes pass through unchanged; VOLT_EINVAL and VOLT_ENOMEM equal libuv's
 * UV_EINVAL and UV_ENOMEM (-EINVAL and -ENOMEM on Unix). The library's own
 * codes sit far outside errno's range. */
#define VOLT_EINVAL (-22)
#define VOLT_ENOMEM (-12)
#define VOLT_ESTALE (-30001)   /* ack no longer current (stale, repeated, made up) */
#define VOLT_ECYCLE (-30002)   /* a computed read itself, directly or not */
#define VOLT_ELOOP (-30003)    /* effects kept re-triggering past the cap */
#define VOLT_ECLOSING (-30004) /* the runtime is closing */
#define VOLT_EPERM (-30005)    /* a write where writes are not allowed */
#define VOLT_ETHREAD (-30006)  /* loop-only call made from another thread */

/* Any thread. A static English sentence for `code` ("unknown error" for codes
 * neither volt nor libuv knows). Never NULL; the caller does not free it. */
VOLT_EXTERN const char *volt_strerror(int code);
/* Any thread. The symbolic name of `code` ("VOLT_ESTALE", "ENOENT", ...;
 * "OK" for 0, "UNKNOWN" for codes neither volt nor libuv knows). Never
 * NULL; the caller does not free it. */
VOLT_EXTERN const char *volt_err_name(int code);

typedef enum volt_tag_t {
  VOLT_NIL = 0,
  VOLT_BOOL,
  VOLT_INT,
  VOLT_NUM,
  VOLT_PTR,
  VOLT_ERR
} volt_tag_t;

/* A value: 16 bytes, passed and returned by value. For VOLT_ERR the message
 * pointer is borrowed: values the library hands out point into storage the
 * library owns (valid until the node holding it changes value or dies); a
 * message passed in is copied by the library when stored. */
typedef struct volt_val {
  uint8_t tag;   /* a volt_tag_t */
  uint8_t flags; /* internal; zero in values users construct */
  uint16_t reserved;
  int32_t code; /* VOLT_ERR: the error code */
  union {
    bool b;
    int64_t i;
    double n;
    void *p;
    const char *msg; /* VOLT_ERR: the message, or NULL */
  } u;
} volt_val;

static inline volt_val volt_nil(void) {
  volt_val v;
  memset(&v, 0, sizeof v);
  return v;
}
static inline volt_val volt_bool(bool b) {
  volt_val v = volt_nil();
  v.tag = VOLT_BOOL;
  v.u.b = b;
  return v;
}
static inline volt_val volt_int(int64_t i) {
  volt_val v = volt_nil();
  v.tag = VOLT_INT;
  v.u.i = i;
  return v;
}
static inline volt_val volt_num(double d) {
  volt_val v = volt_nil();
  v.tag = VOLT_NUM;
  v.u.n = d;
  return v;
}
static inline volt_val volt_ptr(void *p) {
  volt_val v = volt_nil();
  v.tag = VOLT_PTR;
  v.u.p = p;
  return v;
}
/* `msg` may be NULL. It is not copied here; the library copies it when the
 * value is stored in a node, an ack or a token. */
static inline volt_val volt_err(int code, const char *msg) {
  volt_val v = volt_nil();
  v.tag = VOLT_ERR;
  v.code = code;
  v.u.msg = msg;
  return v;
}

static inline volt_tag_t volt_tag(volt_val v) { return (volt_tag_t)v.tag; }
static inline bool volt_is_nil(volt_val v) { return v.tag == VOLT_NIL; }
static inline bool volt_is_err(volt_val v) { return v.tag == VOLT_ERR; }
/* Accessors return the payload when the tag matches and a zero value
 * (false, 0, 0.0, NULL) otherwise. volt_as_num also converts VOLT_INT. */
static inline bool volt_as_bool(volt_val v) { return v.tag == VOLT_BOOL ? v.u.b : false; }
static inline int64_t volt_as_int(volt_val v) { return v.tag == VOLT_INT ? v.u.i : 0; }
static inline double volt_as_num(volt_val v) {
  return v.tag == VOLT_NUM ? v.u.n : v.tag == VOLT_INT ? (double)v.u.i : 0.0;
}
static inline void *volt_as_ptr(volt_val v) { return v.tag == VOLT_PTR ? v.u.p : NULL; }
/* 0 unless the value is VOLT_ERR. */
static inline int volt_err_code(volt_val v) { return v.tag == VOLT_ERR ? v.code : 0; }
/* The message of a VOLT_ERR value; "" when it has none or is not an error. */
static inline const char *volt_err_msg(volt_val v) {
  return (v.tag == VOLT_ERR && v.u.msg) ? v.u.msg : "";
}

/* Any thread. The default equality: same tag and payload; NUM compares with
 * ==, except that every NaN equals every NaN; PTR compares pointers; ERR
 * compares code and message text. A value whose tag is not a volt_tag_t
 * equals nothing, itself included. */
VOLT_EXTERN bool volt_val_eq(volt_val a, volt_val b);

#ifdef __cplusplus
}
#endif
#endif /* VOLT_VALUE_H */
