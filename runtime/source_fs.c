/* runtime/source_fs.c - volt_fs_source: a uv_fs_event_t as an event
 * source. Each change libuv reports is one occurrence whose payload is a
 * volt_fs_change (a PTR the source owns and releases), or volt_err(code)
 * when libuv reports an error.
 */
#include <string.h>

#include "runtime/source.h"

typedef struct fs_src {
  volt__source s; /* first */
  uv_fs_event_t ev;
  char *path; /* copied; freed with the record */
} fs_src;

/* A change as fired: the public part, then what freeing it needs, then the
 * name's bytes. */
typedef struct change_rec {
  volt_fs_change pub; /* first: the payload points here */
  volt__core *c;
  size_t bytes;
} change_rec;

/* The node's release hook: frees a change once the event drops it. */
static void change_release(volt_val v, void *ud) {
  (void)ud;
  change_rec *r = volt_as_ptr(v);
  if (r) volt__free(r->c, r, r->bytes);
}

static void on_change(uv_fs_event_t *h, const char *filename, int events, int status) {
  fs_src *f = h->data;
  if (!f->s.node) return;
  if (status < 0) {
    volt__source_fire(&f->s, volt_err(status, NULL));
    return;
  }
  volt__core *c = &f->s.rt->core;
  size_t len = filename ? strlen(filename) : 0;
  size_t bytes = sizeof(change_rec) + len + 1;
  change_rec *r = volt__alloc(c, bytes);
  if (!r) {
    volt__source_fire(&f->s, volt_err(VOLT_ENOMEM, NULL));
    return;
  }
  char *name = (char *)(r + 1);
  if (len) memcpy(name, filename, len);
  name[len] = '\0';
  r->pub.name = name;
  r->pub.events = events;
  r->c = c;
  r->bytes = bytes;
  volt__source_fire(&f->s, volt_ptr(&r->pub));
}

/* First subscriber: the watch starts (the path is watched from now on). */
static void fs_watched(volt__core *c, volt_node *n) {
  fs_src *f = (fs_src *)volt__source_of(c, n);
  if (!f || !f->s.ready) return;
  int rc = uv_fs_event_start(&f->ev, on_change, f->path, 0);
  if (rc)
    volt__source_start_failed(&f->s, rc);
  else
    f->s.running = true;
}

/* Last subscriber left: the watch stops; changes meanwhile are not seen. */
static void fs_unwatched(volt__core *c, volt_node *n) {
  fs_src *f = (fs_src *)volt__source_of(c, n);
  if (!f || !f->s.ready || !f->s.running) return;
  f->s.running = false;
  uv_fs_event_stop(&f->ev);
}

/* The path goes with the node; the record itself in the close callback. */
static void fs_dispose(volt__core *c, volt_node *n) {
  fs_src *f = (fs_src *)volt__source_of(c, n);
  if (f && f->s.ready && f->path) {
    volt__free(c, f->path, strlen(f->path) + 1);
    f->path = NULL;
  }
  volt__source_dispose(c, n);
}

static volt__kind fs_kind = {.name = "fs", .update = volt__event_update, .watched = fs_watched,
                           .unwatched = fs_unwatched, .dispose = fs_dispose,
                           .traits = VOLT__KIND_VALUE | VOLT__KIND_EVENT};

/* Loop thread. See volt/volt.h. */
volt_node *volt_fs_source(volt_rt *rt, const char *path) {
  if (!volt__source_core(rt) || !path || !*path) return NULL;
  /* A path that cannot be looked at now is refused here rather than failing
   * later, when the source is first watched. */
  uv_fs_t req;
  int rc = uv_fs_stat(rt->loop, &req, path, NULL); /* synchronous */
  uv_fs_req_cleanup(&req);
  if (rc < 0) return NULL;
  volt__core *c = &rt->core;
  fs_src *f = volt__source_alloc(rt, sizeof *f);
  if (!f) return NULL;
  f->path = volt__strdup(c, path);
  if (!f->path) {
    volt__free(c, f, sizeof *f);
    return NULL;
  }
  char *copy = f->path;
  f->s.handle = (uv_handle_t *)&f->ev;
  if (!volt__source_node(rt, &f->s, &fs_kind, change_release)) {
    volt__free(c, copy, strlen(copy) + 1);
    return NULL;
  }
  int init = uv_fs_event_init(rt->loop, &f->ev);
  if (init) volt__free(c, f->path, strlen(f->path) + 1);
  return volt__source_ready(&f->s, init);
}
