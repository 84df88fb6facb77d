/* runtime/source.c - what the event sources over libuv handles share: the
 * checks of their constructors, the node, the close protocol, and firing
 * from a libuv callback (see source.h).
 */
#include <string.h>

#include "runtime/source.h"

volt__core *volt__source_core(volt_rt *rt) {
  if (!rt) return NULL;
  volt__core *c = VOLT__CORE(rt);
  if (!volt__on_loop(c) || c->closing || c->close_pending || !rt->loop) return NULL;
  return c;
}

void *volt__source_alloc(volt_rt *rt, size_t size) {
  volt__source *s = volt__alloc(&rt->core, size);
  if (!s) return NULL;
  memset(s, 0, size);
  s->rt = rt;
  s->size = size;
  return s;
}

volt_node *volt__source_node(volt_rt *rt, volt__source *s, volt__kind *kind,
                             void (*release)(volt_val v, void *ud)) {
  volt__core *c = &rt->core;
  volt_opts o;
  memset(&o, 0, sizeof o);
  o.release = release;
  o.ud = c; /* the core outlives every payload the node may hold */
  volt_node *n = volt__event_new(c, kind, release ? &o : NULL, s);
  if (!n) {
    volt__free(c, s, s->size);
    return NULL;
  }
  s->node = n;
  return n;
}

volt_node *volt__source_ready(volt__source *s, int init_rc) {
  volt_rt *rt = s->rt;
  volt_node *n = s->node;
  if (init_rc != 0) {
    volt_dispose(n); /* not ready: the dispose op leaves s alone */
    volt__free(&rt->core, s, s->size);
    return NULL;
  }
  s->handle->data = s;
  s->ready = true;
  rt->open_handles++; /* until close_cb */
  return n;
}

volt__source *volt__source_of(volt__core *c, volt_node *n) { return volt__event_data(c, n); }

static void kick_cb(uv_timer_t *h) {
  volt__source *s = h->data;
  int code = s->kick_code;
  s->kick_code = 0;
  if (s->node && code) volt__source_fire(s, volt_err(code, NULL));
}

void volt__source_start_failed(volt__source *s, int code) {
  volt_rt *rt = s->rt;
  if (!s->node) return;
  /* The watched op runs inside a link (a read being tracked, a watcher or a
   * token subscribing): nothing may be fired there. A ref'd zero-timeout
   * timer fires it on the next turn of the loop, which turns for it even
   * when nothing else keeps it alive. */
  if (!s->kick_open) {
    int rc = uv_timer_init(rt->loop, &s->kick);
    if (rc) {
      volt__report(&rt->core, rc, "a source could not start, and its error was dropped");
      return;
    }
    s->kick.data = s;
    s->kick_open = true;
    rt->open_handles++; /* until close_cb */
  }
  s->kick_code = code;
  uv_timer_start(&s->kick, kick_cb, 0, 0);
}

static void close_cb(uv_handle_t *h) {
  volt__source *s = h->data;
  volt_rt *rt = s->rt;
  if (--s->closing == 0) volt__free(&rt->core, s, s->size);
  volt__rt_handle_closed(rt); /* may free rt: the last thing done here */
}

bool volt__source_close(volt__source *s) {
  s->node = NULL;
  s->running = false;
  if (s->handle) {
    s->closing++;
    uv_close(s->handle, close_cb); /* stops it */
  }
  if (s->kick_open) {
    s->closing++;
    uv_close((uv_handle_t *)&s->kick, close_cb);
  }
  return s->closing == 0;
}

void volt__source_dispose(volt__core *c, volt_node *n) {
  volt__source *s = volt__source_of(c, n);
  volt__event_dispose(c, n);
  if (!s || !s->ready) return;
  (void)volt__source_close(s); /* s has its own handle: freed in close_cb */
}

void volt__source_fire(volt__source *s, volt_val payload) {
  volt__core *c = &s->rt->core;
  int rc = volt__event_fire(c, s->node, payload);
  if (rc == VOLT_ENOMEM)
    volt__report(c, VOLT_ENOMEM, "out of memory: a source's occurrence was dropped");
}
