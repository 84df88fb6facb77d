#!/usr/bin/env python3
"""Writes the hand-made seed scripts of tests/fuzz/corpus/ (seed-*.bin).

The byte format is documented at the top of graph_ops.c. A node operand is
an index among the usable nodes of fitting kinds in creation order, so the
scripts below count nodes by kind. Callbacks take their operations from the
stream when they run: the ops after an EFFECT with n ops per run are its
first run's. `VOLT_FUZZ_TRACE=1 ./build/tests/fuzz/fuzz_replay FILE` shows
what a script does.

    python3 tests/fuzz/make_seeds.py [OUTDIR]     (default: the corpus dir)
"""
import os
import sys

OPS = ['SIGNAL', 'COMPUTED', 'EFFECT', 'SCOPE', 'EVENT', 'TOKEN', 'WATCH', 'UNWATCH', 'SET', 'GET',
       'PEEK', 'EMIT', 'EMIT_ASYNC', 'ACK', 'ACK_OLD', 'JOIN', 'TOKREAD', 'BATCH', 'BATCH_END',
       'DISPOSE', 'FLUSH', 'CLEANUP', 'UNTRACK', 'DOT']
O = {name: i for i, name in enumerate(OPS)}


def INT(x): return (x << 3) | 0
NIL = 4
def ERR(x): return (x << 3) | 5
def PTR(x): return (x << 3) | 6


def rec(nops=0, out=0, cond=False, box_eq=False, k=0):
    """The m byte of COMPUTED / EFFECT."""
    return out | (4 if cond else 0) | (8 if box_eq else 0) | (nops << 4) | (k << 6)


def script(*ops, fail=0, every=0, rounds=0):
    """ops: tuples (NAME, operand, ...). fail: the allocation to fail (0: none);
    every: 0, 16 or 3 (also fail every n-th after it); rounds: 0, 1, 3 or 8."""
    mode = 0 if not fail else {0: 1, 16: 2, 3: 3}[every]
    out = bytearray([mode | ([0, 1, 3, 8].index(rounds) << 2), fail & 0xff, fail >> 8])
    for op in ops:
        out.append(O[op[0]])
        out.extend(op[1:])
    return bytes(out)


SEEDS = {
    # s0, s1; c2 = s0 + s1; effect e3 reads c2 and s0 (glitch-free view);
    # writes, reads, flush, dump.
    'basic': script(('SIGNAL', INT(1), 1), ('SIGNAL', INT(2), 1),
                    ('COMPUTED', rec(), 0, 1, 255), ('EFFECT', rec(), 2, 0, 255),
                    ('SET', 0, INT(5)), ('GET', 2), ('PEEK', 0), ('SET', 1, PTR(3)),
                    ('FLUSH',), ('DOT',)),
    # c2 reads s1 if s0 is odd else the event; parity and ERR outputs; a batch
    # with writes, a mid-batch read, an unmatched end.
    'conditional-batch': script(('SIGNAL', INT(1), 1 | 2), ('SIGNAL', INT(4), 1), ('EVENT', 1),
                                ('COMPUTED', rec(cond=True, out=1), 0, 1, 2),
                                ('COMPUTED', rec(out=3, k=1), 0, 1, 255),
                                ('EFFECT', rec(), 3, 4, 255),
                                ('BATCH',), ('SET', 0, INT(2)), ('GET', 3), ('SET', 1, ERR(1)),
                                ('BATCH_END',), ('BATCH_END',), ('SET', 1, INT(7))),
    # An effect reading s0 that writes s1 (one op per run), and an effect
    # reading s1: the write joins the flush.
    'effect-writes': script(('SIGNAL', INT(0), 1), ('SIGNAL', INT(0), 1),
                            ('EFFECT', rec(nops=1), 0, 255, 255), ('SET', 1, INT(3)),
                            ('EFFECT', rec(), 1, 0, 255),
                            ('SET', 0, INT(1)), ('SET', 1, INT(9)),
                            ('SET', 0, INT(2)), ('SET', 1, INT(4))),
    # An effect that disposes a node it read, during the flush of a write.
    'effect-disposes': script(('SIGNAL', INT(0), 1), ('SIGNAL', INT(1), 1),
                              ('COMPUTED', rec(), 0, 1, 255),
                              ('EFFECT', rec(nops=1), 2, 0, 1), ('PEEK', 0),
                              ('EFFECT', rec(), 2, 1, 255),
                              ('SET', 0, INT(2)), ('DISPOSE', 2),
                              ('SET', 1, INT(3)), ('GET', 0)),
    # An effect making a signal, a computed and a nested effect in every run;
    # re-runs dispose them (sentinel), and a top-level dispose of the parent.
    'effect-creates': script(('SIGNAL', INT(0), 1),
                             ('EFFECT', rec(nops=3), 0, 255, 255),
                             ('SIGNAL', INT(5), 1), ('COMPUTED', rec(), 0, 1, 255),
                             ('EFFECT', rec(), 1, 0, 255),
                             ('SET', 0, INT(1)),
                             ('SIGNAL', INT(6), 1), ('COMPUTED', rec(), 0, 255, 255), ('GET', 0),
                             ('DISPOSE', 1)),
    # A scope owning a signal and a cleanup that writes; disposing the scope
    # runs the cleanup, which writes a signal an effect reads.
    'scope-cleanup': script(('SIGNAL', INT(0), 1), ('EFFECT', rec(), 0, 255, 255),
                            ('SCOPE', 3), ('SIGNAL', INT(1), 1), ('CLEANUP', 2),
                            ('COMPUTED', rec(), 0, 1, 255),
                            ('DISPOSE', 2), ('SET', 0, INT(8)), ('DISPOSE', 1)),
    # Watchers: one that writes another signal, one on a computed, unwatch.
    'watchers': script(('SIGNAL', INT(0), 1 | 4), ('SIGNAL', INT(0), 1),
                       ('COMPUTED', rec(out=2), 0, 1, 255),
                       ('WATCH', 0, 1), ('WATCH', 2, 0),
                       ('SET', 0, INT(1)), ('SET', 1, INT(2)),
                       ('SET', 0, PTR(2)), ('SET', 1, INT(3)), ('UNWATCH', 0),
                       ('SET', 0, INT(4))),
    # Events and tokens: emits (PTR payloads to an event with a release
    # hook), token reads, acks ok / fail, stale acks, a join, an async emit.
    'tokens-events': script(('EVENT', 1), ('TOKEN', 0, 0), ('TOKEN', 0, 1 | 2 | (2 << 3)),
                            ('EFFECT', rec(), 1, 2, 255),
                            ('EMIT', 0, PTR(1)), ('TOKREAD', 0), ('ACK', 0, 0),
                            ('EMIT', 0, INT(3)), ('ACK', 1, 1), ('ACK_OLD', 0, 0),
                            ('EMIT', 0, INT(5)), ('JOIN', 0, 1), ('EMIT_ASYNC', 0, PTR(4)),
                            ('FLUSH',), ('TOKREAD', 1), ('DISPOSE', 1), ('ACK_OLD', 1, 1)),
    # A token on a signal with on/copy/release hooks and REARM; writes mint.
    'token-on-signal': script(('SIGNAL', INT(1), 1), ('TOKEN', 0, 4 | (3 << 3)),
                              ('TOKEN', 0, 1 | (1 << 3)), ('WATCH', 1, 0),
                              ('SET', 0, PTR(3)), ('ACK', 0, 0), ('SET', 0, INT(2)),
                              ('SET', 0, INT(5)), ('ACK', 0, 1), ('TOKREAD', 0),
                              ('TOKEN', 0, 0xe0)),
    # volt_untrack inside an effect: the read inside is not a dependency.
    'untrack': script(('SIGNAL', INT(0), 1), ('SIGNAL', INT(0), 1),
                      ('EFFECT', rec(nops=1), 0, 255, 255), ('UNTRACK', 2), ('GET', 1), ('SET', 1, INT(4)),
                      ('SET', 1, INT(1)), ('SET', 0, INT(1)), ('UNTRACK', 1), ('GET', 1)),
    # A computed that makes a node and registers a cleanup in its runs;
    # peeks re-run it after writes.
    'computed-owns': script(('SIGNAL', INT(0), 1),
                            ('COMPUTED', rec(nops=2), 0, 255, 255),
                            ('PEEK', 1), ('SIGNAL', INT(3), 1), ('CLEANUP', 0),
                            ('SET', 0, INT(1)), ('SIGNAL', INT(4), 1), ('CLEANUP', 1),
                            ('SET', 0, INT(2)), ('DISPOSE', 1)),
    # Allocation failures: the 4th allocation and every 3rd after it.
    'oom': script(('SIGNAL', INT(1), 1), ('SIGNAL', INT(2), 1),
                  ('COMPUTED', rec(), 0, 1, 255), ('EFFECT', rec(), 2, 0, 255),
                  ('WATCH', 2, 0), ('SET', 0, INT(5)), ('SET', 1, PTR(3)), ('FLUSH',),
                  ('SET', 0, INT(6)), ('FLUSH',), fail=4, every=3),
    # max_rounds 1: two effects ping-ponging writes stop at the cap (ELOOP).
    'eloop': script(('SIGNAL', INT(0), 1), ('SIGNAL', INT(0), 1),
                    ('EFFECT', rec(nops=1), 0, 255, 255), ('SET', 1, INT(1)),
                    ('EFFECT', rec(nops=1), 1, 255, 255), ('SET', 0, INT(2)),
                    ('SET', 0, INT(3)), ('SET', 1, INT(1)), ('SET', 0, INT(1)), ('FLUSH',),
                    rounds=1),
}


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), 'corpus')
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, 'seed-%s.bin' % name), 'wb') as f:
            f.write(data)
    print('%d seeds written to %s' % (len(SEEDS), out))


if __name__ == '__main__':
    main()
