/* signals/value.c - values: equality, how a node stores its value in 8
 * bytes plus its flags, copies of error messages, and releasing what a node
 * owns (now, or when the flush ends).
 *
 * A node's value: the tag in its flags (VOLT__VT_*), the payload in `val`.
 * An ERR keeps a copied message (VOLT__F_VOWN; its code sits in the 8 bytes
 * in front of the text) or, without a message, its code in `val.i`.
 * Values handed to users never carry VOLT__V_OWNED: what they read is
 * borrowed, and returning it from a computed never gives the library a
 * message to free that another node owns.
 */
#include <math.h>

#include "signals/internal.h"

bool volt_val_eq(volt_val a, volt_val b) {
  if (a.tag != b.tag) return false;
  switch (a.tag) {
  case VOLT_NIL:
    return true;
  case VOLT_BOOL:
    return a.u.b == b.u.b;
  case VOLT_INT:
    return a.u.i == b.u.i;
  case VOLT_NUM:
    return a.u.n == b.u.n || (isnan(a.u.n) && isnan(b.u.n));
  case VOLT_PTR:
    return a.u.p == b.u.p;
  case VOLT_ERR:
    return a.code == b.code && strcmp(volt_err_msg(a), volt_err_msg(b)) == 0;
  default:
    return false;
  }
}

/* The stored value, with VOLT__V_OWNED on a copied message (internal). */
static volt_val stored(const volt_node *n) {
  volt_val v = volt_nil();
  uint32_t f = n->flags;
  v.tag = (uint8_t)((f & VOLT__VT_MASK) >> VOLT__VT_SHIFT);
  if (!(f & VOLT__F_VERR)) {
    if (v.tag == VOLT_BOOL)
      v.u.b = n->val.i != 0;
    else
      v.u.i = n->val.i;
  } else if (f & VOLT__F_VOWN) {
    v.flags = VOLT__V_OWNED;
    v.u.msg = n->val.msg;
    memcpy(&v.code, n->val.msg - VOLT__ERRHDR, sizeof v.code);
  } else {
    v.code = (int32_t)n->val.i;
  }
  return v;
}

volt_val volt__value_slow(const volt_node *n) {
  volt_val v = stored(n);
  v.flags = 0;
  return v;
}

void volt__set_value_err(volt_node *n, volt_val v) {
  uint32_t f = n->flags & ~(VOLT__VT_MASK | VOLT__F_VOWN | VOLT__F_VERR);
  f |= (uint32_t)v.tag << VOLT__VT_SHIFT;
  n->val.i = 0;
  if (v.tag == VOLT_ERR) {
    f |= VOLT__F_VERR;
    if ((v.flags & VOLT__V_OWNED) && v.u.msg) {
      f |= VOLT__F_VOWN;
      n->val.msg = v.u.msg;
    } else {
      n->val.i = v.code;
    }
  } else if (v.tag == VOLT_BOOL) {
    n->val.i = v.u.b ? 1 : 0;
  } else if (v.tag != VOLT_NIL) {
    n->val.i = v.u.i;
  }
  n->flags = f;
}

volt_val volt__val_own(volt__core *c, volt_val v) {
  v.flags = 0;
  if (v.tag != VOLT_ERR || !v.u.msg) return v;
  size_t len = strlen(v.u.msg) + 1;
  char *h = volt__alloc(c, VOLT__ERRHDR + len);
  if (!h) {
    v.u.msg = NULL; /* out of memory: the error keeps its code */
    return v;
  }
  memcpy(h, &v.code, sizeof v.code);
  memcpy(h + VOLT__ERRHDR, v.u.msg, len);
  v.u.msg = h + VOLT__ERRHDR;
  v.flags = VOLT__V_OWNED;
  return v;
}

void volt__val_drop(volt__core *c, volt_val v) {
  if (v.tag == VOLT_ERR && (v.flags & VOLT__V_OWNED) && v.u.msg) {
    char *h = (char *)(uintptr_t)v.u.msg - VOLT__ERRHDR;
    volt__free(c, h, VOLT__ERRHDR + strlen(v.u.msg) + 1);
  }
}

bool volt__eq(volt__core *c, volt_node *n, volt_val a, volt_val b) {
  if (n->flags & VOLT__F_EQUALS) {
    volt__ext *x = volt__ext_of(c, n);
    volt_val pa = a, pb = b;
    pa.flags = pb.flags = 0;
    return x->equals(pa, pb, x->opts_ud);
  }
  return volt_val_eq(a, b);
}

/* Does releasing v do anything for n? */
static bool owned(const volt_node *n, volt_val v) {
  return (v.tag == VOLT_PTR && (n->flags & VOLT__F_RELEASE)) ||
         (v.tag == VOLT_ERR && (v.flags & VOLT__V_OWNED) && v.u.msg);
}

void volt__release_now(volt__core *c, volt_node *n, volt_val v) {
  if (!owned(n, v)) return;
  if (v.tag == VOLT_PTR) {
    volt__ext *x = volt__ext_of(c, n);
    volt_val u = v;
    u.flags = 0;
    x->release(u, x->opts_ud);
  } else {
    volt__val_drop(c, v);
  }
}

void volt__release_later(volt__core *c, volt_node *n, volt_val v) {
  if (!owned(n, v)) return;
  volt__grave g = {v, NULL, NULL};
  if (v.tag == VOLT_PTR) {
    volt__ext *x = volt__ext_of(c, n);
    g.release = x->release;
    g.ud = x->opts_ud;
  }
  if (VOLT__PUSH(c, c->graves, g)) volt__release_now(c, n, v); /* no room to wait */
}

int volt__graves_room(volt__core *c, uint32_t extra) {
  return volt__grow(c, &c->graves, c->graves.len + c->graves_owed + extra, sizeof(volt__grave));
}

bool volt__store_slow(volt__core *c, volt_node *n, volt_val v) {
  volt_val old = stored(n);
  bool had = (n->flags & VOLT__F_HAS_VALUE) != 0;
  v.flags = 0;
  if (had && volt__eq(c, n, old, v)) {
    if (v.tag == VOLT_PTR && v.u.p != old.u.p) volt__release_now(c, n, v);
    return false;
  }
  volt__set_value(n, volt__val_own(c, v));
  n->flags |= VOLT__F_HAS_VALUE;
  if (had) volt__release_later(c, n, old);
  return true;
}

/* The stored value as the layers that own it see it (with ownership). */
volt_val volt__stored(const volt_node *n) { return stored(n); }

volt_rt *volt_node_rt(volt_node *n) {
  /* Off the node's loop thread NULL, as every loop-only call answers there
   * (on another runtime's loop thread volt__core_of finds a runtime). */
  volt__core *c = n ? volt__core_of(n) : NULL;
  return volt__on_loop(c) ? (volt_rt *)(void *)c : NULL;
}

const char *volt_node_name(volt_node *n) {
  volt__core *c = volt__live(n);
  volt__ext *x = c ? volt__ext_of(c, n) : NULL;
  return (x && x->name) ? x->name : "";
}
