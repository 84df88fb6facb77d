/* signals/value.c - value equality and node accessors. */
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

volt_rt *volt_node_rt(volt_node *n) { return n ? volt__rt_of(n) : NULL; }

const char *volt_node_name(volt_node *n) {
  if (!n) return "";
  volt__core *c = VOLT__CORE(volt__rt_of(n));
  if (!volt__on_loop(c)) return "";
  volt__ext *x = volt__ext_of(c, n);
  return (x && x->name) ? x->name : "";
}
