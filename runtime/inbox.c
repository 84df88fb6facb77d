/* runtime/inbox.c - the "post to the loop thread" queue (see inbox.h).
 * It carries volt__msg records and knows nothing of what they mean.
 *
 * Producers (any thread): check that close has not begun, lock, refuse if
 * closing, append, uv_async_send, unlock. Sending under the lock is what
 * makes the close safe: volt__inbox_close sets `closing` under the same lock
 * before uv_close, so no send can start after the close did.
 *
 * Consumer (loop thread): the async callback (or volt_flush, through
 * core->before_flush) detaches the whole FIFO under the lock and applies it outside
 * the lock, in order, inside one batch. Sends coalesce; a send that lands
 * after the detach schedules another callback (libuv clears the pending bit
 * before calling back), so nothing is lost.
 *
 * Storage: items sit in chunks of CHUNK_ITEMS, filled in order; a drained
 * chunk goes back to a short spare list for the producers. A steady stream
 * of acks then allocates nothing: a malloc per item freed on the other
 * thread made the C library's allocator 60 % of the profile of async-acks.
 */
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "runtime/inbox.h"
#include "runtime/rt.h"

/* An item is a volt__msg, copied in place under the lock. */
typedef volt__msg item;

enum { CHUNK_ITEMS = 128, SPARE_MAX = 8 };

/* Items in order: items[0 .. len) of each chunk, chunk after chunk. */
typedef struct chunk {
  struct chunk *next;
  uint32_t len;
  item items[CHUNK_ITEMS];
} chunk;

struct volt__inbox {
  uv_mutex_t mu;
  uv_async_t async;
  volt_rt *rt;
  chunk *head, *tail; /* under mu: the queue */
  chunk *spare;       /* under mu: drained chunks kept for reuse */
  unsigned nspare;    /* under mu */
  bool closing;      /* under mu: pushes are refused */
  bool has_async;    /* loop thread */
  bool handle_open;  /* loop thread: async initialised, close callback not run */
  bool close_started;
  bool draining;
  bool reffed;       /* loop thread: the async handle is ref'd (keep-alive) */
  chunk *leftovers; /* taken at close, released in the close callback */
};

static char *copy_msg(const char *s) {
  if (!s) return NULL;
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* Drops an item that will never be applied. Loop thread (close) or the
 * freeing thread (after the last reference): no one else can see it. */
static void item_release(item *it) {
  if (it->drop) it->drop(it);
  free(it->text);
}

static void free_chunks(chunk *ch) {
  while (ch) {
    chunk *next = ch->next;
    free(ch);
    ch = next;
  }
}

/* Releases every item of a detached list of chunks and frees the chunks. */
static void release_list(chunk *ch) {
  for (chunk *k = ch; k; k = k->next)
    for (uint32_t i = 0; i < k->len; i++) item_release(&k->items[i]);
  free_chunks(ch);
}

static void drain_hook(volt__core *c) { volt__inbox_drain((volt_rt *)(void *)c); }

static void async_cb(uv_async_t *h) {
  struct volt__inbox *ib = h->data;
  volt_rt *rt = ib->rt;
  /* The keep-alive first: what a thread queued before its release is in
   * the queue drained next (rt.c). */
  volt__inbox_keepalive(rt);
  volt__inbox_drain(rt);
  /* One flush for everything applied (deferred mode: scheduled). Nothing
   * may touch ib or rt after it: a close requested by an effect may run
   * at its end. */
  (void)volt__maybe_flush(&rt->core);
}

int volt__inbox_open(volt_rt *rt) {
  if (!rt) return VOLT_EINVAL;
  if (rt->inbox) return 0;
  struct volt__inbox *ib = calloc(1, sizeof *ib);
  if (!ib) return VOLT_ENOMEM;
  int r = uv_mutex_init(&ib->mu);
  if (r != 0) {
    free(ib);
    return r;
  }
  ib->rt = rt;
  if (rt->loop) {
    r = uv_async_init(rt->loop, &ib->async, async_cb);
    if (r != 0) {
      uv_mutex_destroy(&ib->mu);
      free(ib);
      return r;
    }
    ib->async.data = ib;
    uv_unref((uv_handle_t *)&ib->async);
    ib->has_async = true;
    ib->handle_open = true;
  }
  rt->inbox = ib;
  rt->core.before_flush = drain_hook;
  rt->core.post = volt__inbox_post;
  return 0;
}

static void inbox_destroy(volt_rt *rt) {
  struct volt__inbox *ib = rt->inbox;
  if (!ib) return;
  rt->inbox = NULL;
  release_list(ib->leftovers);
  release_list(ib->head);
  free_chunks(ib->spare);
  uv_mutex_destroy(&ib->mu);
  free(ib);
}

/* After the close: free now unless another thread still holds a reference
 * (it may still try to push and must find the mutex; volt__inbox_free then
 * frees it when the last reference goes). */
static void maybe_destroy(volt_rt *rt) {
  if (atomic_load(&rt->refs) <= 1) inbox_destroy(rt);
}

static void close_cb(uv_handle_t *h) {
  struct volt__inbox *ib = h->data;
  volt_rt *rt = ib->rt;
  chunk *left = ib->leftovers;
  ib->leftovers = NULL;
  ib->handle_open = false;
  release_list(left);
  if (rt->core.before_flush == drain_hook) rt->core.before_flush = NULL;
  maybe_destroy(rt);
  volt__rt_handle_closed(rt);
}

void volt__inbox_close(volt_rt *rt) {
  struct volt__inbox *ib = rt ? rt->inbox : NULL;
  if (!ib || ib->close_started) return;
  ib->close_started = true;
  uv_mutex_lock(&ib->mu);
  ib->closing = true;
  chunk *left = ib->head;
  ib->head = ib->tail = NULL;
  uv_mutex_unlock(&ib->mu);
  ib->leftovers = left; /* released, never applied: the graph is gone */
  if (ib->has_async && ib->handle_open) {
    uv_close((uv_handle_t *)&ib->async, close_cb);
    return;
  }
  left = ib->leftovers;
  ib->leftovers = NULL;
  release_list(left);
  if (rt->core.before_flush == drain_hook) rt->core.before_flush = NULL;
  maybe_destroy(rt);
}

void volt__inbox_keepalive(volt_rt *rt) {
  struct volt__inbox *ib = rt ? rt->inbox : NULL;
  if (!ib || !ib->has_async || !ib->handle_open || ib->close_started) return;
  bool want = atomic_load(&rt->acquired) > 0;
  if (want == ib->reffed) return;
  ib->reffed = want;
  if (want)
    uv_ref((uv_handle_t *)&ib->async);
  else
    uv_unref((uv_handle_t *)&ib->async);
}

void volt__inbox_wake(volt_rt *rt) {
  struct volt__inbox *ib = rt ? rt->inbox : NULL;
  if (!ib) return;
  uv_mutex_lock(&ib->mu);
  if (!ib->closing && ib->has_async) uv_async_send(&ib->async);
  uv_mutex_unlock(&ib->mu);
}

bool volt__inbox_has_handle(volt_rt *rt) {
  return rt && rt->inbox && rt->inbox->handle_open;
}

void volt__inbox_free(volt_rt *rt) {
  if (rt) inbox_destroy(rt);
}

static void apply(volt_rt *rt, item *it) {
  it->apply(&rt->core, it);
  free(it->text);
}

void volt__inbox_drain(volt_rt *rt) {
  struct volt__inbox *ib = rt ? rt->inbox : NULL;
  if (!ib || ib->draining) return;
  uv_mutex_lock(&ib->mu);
  chunk *list = ib->head;
  ib->head = ib->tail = NULL;
  uv_mutex_unlock(&ib->mu);
  if (!list) return;
  volt__core *c = &rt->core;
  /* Applied inside a batch, without flushing: the caller flushes once
   * (volt_flush, the deferred prepare/check, or async_cb). */
  ib->draining = true;
  c->batch++;
  for (chunk *k = list; k; k = k->next)
    for (uint32_t i = 0; i < k->len; i++) apply(rt, &k->items[i]);
  c->batch--;
  ib->draining = false;
  /* The chunks go back to the producers (a few), or are freed. */
  uv_mutex_lock(&ib->mu);
  while (list && ib->nspare < SPARE_MAX) {
    chunk *next = list->next;
    list->next = ib->spare;
    ib->spare = list;
    ib->nspare++;
    list = next;
  }
  uv_mutex_unlock(&ib->mu);
  free_chunks(list);
}

int volt__inbox_post(volt__core *c, const volt__msg *m) {
  volt_rt *rt = (volt_rt *)(void *)c;
  struct volt__inbox *ib = rt->inbox;
  if (!ib || atomic_load(&rt->close_begun)) return VOLT_ECLOSING;
  char *text = NULL;
  if (m->text && !(text = copy_msg(m->text))) return VOLT_ENOMEM;
  int rc = 0;
  uv_mutex_lock(&ib->mu);
  chunk *t = ib->tail;
  if (ib->closing) {
    rc = VOLT_ECLOSING;
  } else if (!t || t->len == CHUNK_ITEMS) {
    chunk *k = ib->spare;
    if (k) {
      ib->spare = k->next;
      ib->nspare--;
    } else if (!(k = malloc(sizeof *k))) {
      rc = VOLT_ENOMEM;
    }
    if (k) {
      k->next = NULL;
      k->len = 0;
      if (t)
        t->next = k;
      else
        ib->head = k;
      ib->tail = t = k;
    }
  }
  if (rc) {
    uv_mutex_unlock(&ib->mu);
    free(text);
    return rc;
  }
  item *it = &t->items[t->len];
  *it = *m;
  it->text = text;
  if (it->val.tag == VOLT_ERR && text) it->val.u.msg = text; /* the queue's copy */
  /* A non-empty queue has a wake-up on its way already: the consumer
   * detaches under this lock, so it will see this item too. */
  bool wake = ib->head == t && t->len == 0;
  t->len++;
  if (wake && ib->has_async) uv_async_send(&ib->async);
  uv_mutex_unlock(&ib->mu);
  return 0;
}
