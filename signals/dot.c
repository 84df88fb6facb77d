/* signals/dot.c - looking inside: statistics and the graph as Graphviz DOT
 * (shapes: box for sources, ellipse for derived values, diamond for
 * listeners, octagon for the rest). */
#include "signals/internal.h"

int volt_stats(volt_rt *rt, volt_stats_t *s) {
  if (!rt || !s) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  memset(s, 0, sizeof *s);
  if (c->stats_extra) c->stats_extra(c, s);
  s->live_nodes = c->live_nodes;
  s->edges = c->live_edges;
  s->bytes = c->bytes;
  s->node_bytes = c->node_bytes;
  s->edge_bytes = c->edge_bytes;
  s->flushes = c->flushes;
  s->effect_runs = c->effect_runs;
  return 0;
}

/* Writes s as a DOT string body, escaping quotes and backslashes. */
static int put_escaped(FILE *f, const char *s) {
  for (; *s; s++) {
    if ((*s == '"' || *s == '\\') && fputc('\\', f) == EOF) return -1;
    if (fputc(*s == '\n' ? ' ' : *s, f) == EOF) return -1;
  }
  return 0;
}

int volt_dump_dot(volt_rt *rt, FILE *f) {
  if (!rt || !f) return VOLT_EINVAL;
  volt__core *c = VOLT__CORE(rt);
  VOLT__CHECK_THREAD(c, VOLT_ETHREAD);
  int bad = fprintf(f, "digraph volt {\n  rankdir=LR;\n  node [fontname=\"monospace\"];\n") < 0;
  for (uint32_t s = 0; s < c->nslabs && !bad; s++) {
    volt_node *slab = c->slabs[s].nodes;
    for (uint32_t i = 0; i < VOLT__SLAB_NODES && !bad; i++) {
      volt_node *n = &slab[i];
      if ((n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE) continue;
      volt__ext *x = volt__ext_of(c, n);
      const char *kind = volt__kind_of(n)->name;
      const char *shape = !n->deps && (volt__kind_of(n)->traits & VOLT__KIND_VALUE) ? "box"
                          : (volt__kind_of(n)->traits & VOLT__KIND_VALUE)           ? "ellipse"
                          : (n->flags & VOLT__F_LISTENER)                  ? "diamond"
                                                                           : "octagon";
      bad |= fprintf(f, "  n%p [shape=%s, label=\"", (void *)n, shape) < 0;
      if (x && x->name) bad |= put_escaped(f, x->name) < 0 || fputc(' ', f) == EOF;
      bad |= fprintf(f, "(%s)\"];\n", kind) < 0;
      if (n->owner)
        bad |= fprintf(f, "  n%p -> n%p [style=dotted, arrowhead=none];\n",
                       (void *)volt__owner_of(c, n), (void *)n) < 0;
    }
  }
  for (uint32_t s = 0; s < c->nslabs && !bad; s++) {
    volt_node *slab = c->slabs[s].nodes;
    for (uint32_t i = 0; i < VOLT__SLAB_NODES && !bad; i++) {
      volt_node *n = &slab[i];
      if ((n->flags & (VOLT__F_ALIVE | VOLT__F_DISPOSED)) != VOLT__F_ALIVE) continue;
      for (uint32_t e = n->deps; e && !bad; e = VOLT__E(c, e)->next_dep)
        bad |= fprintf(f, "  n%p -> n%p;\n", (void *)VOLT__E(c, e)->dep, (void *)n) < 0;
    }
  }
  bad |= fprintf(f, "}\n") < 0;
  if (fflush(f) != 0) bad = 1;
  return bad ? -5 /* UV_EIO */ : 0;
}
