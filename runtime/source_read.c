/* runtime/source_read.c - volt_read_source: the reads of a user's
 * uv_stream_t as an event source. Each chunk read is one occurrence whose
 * payload is a volt_chunk (a PTR the source owns and releases); the end of
 * the stream is one occurrence volt_err(UV_EOF), a read error one
 * occurrence volt_err(code), and after either the source fires nothing more.
 *
 * The stream is the user's: the source never closes it and never touches
 * its `data`. While the source is watched it reads (uv_read_start), when the
 * last subscriber leaves it stops (uv_read_stop: the kernel holds what
 * arrives meanwhile, which pushes back on the writer). After the end or an
 * error it never touches the stream again, so the user may close the stream
 * as soon as a subscriber has seen that value.
 *
 * libuv's read callbacks are given the stream alone, whose `data` is the
 * user's; the sources reading now are found in a list kept per thread (the
 * callbacks run on the loop thread, the thread of the runtime).
 */
#include <stddef.h>
#include <string.h>

#include "runtime/source.h"

typedef struct read_src {
  volt__source s; /* first; s.handle is NULL: the stream is not ours */
  uv_stream_t *stream;
  struct read_src *next_reading; /* in `reading`, while reading */
  bool reading;  /* uv_read_start succeeded, not stopped since */
  bool ended;    /* EOF or an error was seen: the stream is not touched */
  bool firing;   /* inside read_cb's fire */
  bool doomed;   /* disposed while firing: freed when the fire returns */
} read_src;

/* The sources reading now on this thread. */
static _Thread_local read_src *reading;

static read_src *find(const uv_stream_t *stream) {
  for (read_src *r = reading; r; r = r->next_reading)
    if (r->stream == stream) return r;
  return NULL;
}

static void unlist(read_src *r) {
  for (read_src **p = &reading; *p; p = &(*p)->next_reading)
    if (*p == r) {
      *p = r->next_reading;
      break;
    }
  r->next_reading = NULL;
}

/* A chunk: the public part, then what freeing it needs, then the bytes. */
typedef struct chunk_rec {
  volt_chunk pub; /* first: the payload points here */
  volt__core *c;
  size_t bytes; /* of the whole record */
  char data[];
} chunk_rec;

static void chunk_free(chunk_rec *k) { volt__free(k->c, k, k->bytes); }

/* The node's release hook: frees a chunk once the event drops it. */
static void chunk_release(volt_val v, void *ud) {
  (void)ud;
  chunk_rec *k = volt_as_ptr(v);
  if (k) chunk_free(k);
}

/* libuv asks for a buffer: a chunk of the size it suggests, shrunk to what
 * was read in read_cb. None (out of memory): libuv reports UV_ENOBUFS. */
static void alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  read_src *r = find((uv_stream_t *)h);
  buf->base = NULL;
  buf->len = 0;
  if (!r) return;
  volt__core *c = &r->s.rt->core;
  size_t bytes = sizeof(chunk_rec) + suggested;
  chunk_rec *k = volt__alloc(c, bytes);
  if (!k) return;
  k->c = c;
  k->bytes = bytes;
  k->pub.base = k->data;
  k->pub.len = 0;
  *buf = uv_buf_init(k->data, (unsigned)suggested);
}

static chunk_rec *chunk_of(const uv_buf_t *buf) {
  return buf->base ? (chunk_rec *)(void *)(buf->base - offsetof(chunk_rec, data)) : NULL;
}

static void stop_reading(read_src *r) {
  if (!r->reading) return;
  r->reading = false;
  unlist(r);
  if (!r->ended) uv_read_stop(r->stream);
}

static void read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf) {
  read_src *r = find(stream);
  chunk_rec *k = chunk_of(buf);
  if (!r || !r->s.node || nread == 0) { /* nothing read (EAGAIN) */
    if (k) chunk_free(k);
    return;
  }
  volt_val v;
  if (nread > 0) {
    /* Give back what was not used (a failed shrink keeps the block). */
    size_t bytes = sizeof(chunk_rec) + (size_t)nread;
    chunk_rec *small = volt__realloc(k->c, k, k->bytes, bytes);
    if (small) {
      k = small;
      k->bytes = bytes;
    }
    k->pub.base = k->data;
    k->pub.len = (size_t)nread;
    v = volt_ptr(&k->pub);
  } else {
    if (k) chunk_free(k);
    if (nread != UV_ENOBUFS) {
      /* The end, or an error: libuv has stopped reading, and the stream is
       * never touched again (its user may close it on seeing this value). */
      r->ended = true;
      stop_reading(r);
    }
    v = volt_err((int)nread, NULL);
  }
  r->firing = true;
  volt__source_fire(&r->s, v);
  r->firing = false;
  if (r->doomed) volt__free(&r->s.rt->core, r, r->s.size);
}

/* First subscriber: reading starts (unless the stream has ended). */
static void read_watched(volt__core *c, volt_node *n) {
  read_src *r = (read_src *)volt__source_of(c, n);
  if (!r || !r->s.ready || r->ended || r->reading) return;
  int rc = uv_read_start(r->stream, alloc_cb, read_cb);
  if (rc) {
    volt__source_start_failed(&r->s, rc);
    return;
  }
  r->reading = true;
  r->s.running = true;
  r->next_reading = reading;
  reading = r;
}

/* Last subscriber left: reading stops. */
static void read_unwatched(volt__core *c, volt_node *n) {
  read_src *r = (read_src *)volt__source_of(c, n);
  if (!r || !r->s.ready) return;
  r->s.running = false;
  stop_reading(r);
}

/* Reading stops; the stream is not ours to close, so the record goes now
 * (or when the read callback that is firing it returns), unless a kick timer
 * was made for a start error: then with the kick's close callback. */
static void read_dispose(volt__core *c, volt_node *n) {
  read_src *r = (read_src *)volt__source_of(c, n);
  volt__event_dispose(c, n);
  if (!r || !r->s.ready) return;
  stop_reading(r);
  if (!volt__source_close(&r->s)) return; /* its kick closes: freed then */
  if (r->firing)
    r->doomed = true;
  else
    volt__free(c, r, r->s.size);
}

static volt__kind read_kind = {.name = "read", .update = volt__event_update, .watched = read_watched,
                           .unwatched = read_unwatched, .dispose = read_dispose,
                           .traits = VOLT__KIND_VALUE | VOLT__KIND_EVENT};

/* Loop thread. See volt/volt.h. */
volt_node *volt_read_source(volt_rt *rt, uv_stream_t *stream) {
  if (!volt__source_core(rt) || !stream || stream->loop != rt->loop ||
      uv_is_closing((uv_handle_t *)stream) || !uv_is_readable(stream))
    return NULL;
  read_src *r = volt__source_alloc(rt, sizeof *r);
  if (!r) return NULL;
  r->stream = stream;
  volt_node *n = volt__source_node(rt, &r->s, &read_kind, chunk_release);
  if (n) r->s.ready = true;
  return n;
}
