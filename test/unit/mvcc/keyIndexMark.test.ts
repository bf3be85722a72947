import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../../src/mvcc/keyIndex.js';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Backend } from '../../../src/mvcc/backend.js';
import { KvState, keyRange } from '../../../src/mvcc/kvState.js';
import { WriteTxn } from '../../../src/mvcc/writeTxn.js';

/*
 * KeyIndex.mark/rollbackTo replaced clone() in write txns (clone copied a key's whole history on every
 * write: with etcd's benchmark, which writes one key, a third of the leader's CPU). Rolling back to a
 * mark must give exactly what a clone taken at the mark holds.
 */

type Op = { kind: 'put' } | { kind: 'tombstone' };
const opArb: fc.Arbitrary<Op> = fc.oneof(fc.constant({ kind: 'put' as const }), fc.constant({ kind: 'tombstone' as const }));

function apply(ki: KeyIndex, ops: readonly Op[], startRev: number): number {
  let rev = startRev;
  for (const op of ops) {
    rev++;
    // A tombstone needs a live generation; otherwise the op becomes a put.
    if (op.kind === 'tombstone' && ki.generations[ki.generations.length - 1]!.revs.length > 0) ki.tombstone({ main: rev, sub: 0 });
    else ki.put({ main: rev, sub: 0 });
  }
  return rev;
}

function state(ki: KeyIndex): unknown {
  return { generations: ki.generations.map((g) => ({ created: g.created, ver: g.ver, revs: [...g.revs] })), latest: ki.latest };
}

describe('KeyIndex.mark / rollbackTo', () => {
  it('restores the state a clone taken at the mark holds, after any puts and tombstones', () => {
    fc.assert(fc.property(fc.array(opArb, { maxLength: 30 }), fc.array(opArb, { minLength: 1, maxLength: 30 }), (before, after) => {
      const ki = new KeyIndex(Buffer.from('k'));
      const rev = apply(ki, before, 1);
      const expected = state(ki.clone());
      const mark = ki.mark();
      apply(ki, after, rev);
      ki.rollbackTo(mark);
      expect(state(ki)).toEqual(expected);
    }));
  });

  it('refuses a mark from a longer history (an invariant broken by compaction in between)', () => {
    const ki = new KeyIndex(Buffer.from('k'));
    ki.put({ main: 2, sub: 0 });
    ki.tombstone({ main: 3, sub: 0 });
    ki.put({ main: 4, sub: 0 });
    const mark = ki.mark();
    ki.compact(4, new Set());
    expect(() => ki.rollbackTo(mark)).toThrow(/rollback/);
  });
});

describe('a rolled-back write txn on a key with history', () => {
  it('leaves the key index, live value and lease as they were', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-mark-'));
    const backend = await Backend.open(dir);
    try {
      const s = new KvState(backend);
      const key = Buffer.from('hot');
      for (let i = 0; i < 5; i++) {
        const txn = new WriteTxn(s);
        txn.put(key, Buffer.from(`v${i}`), 0n);
        txn.finish();
      }
      const ki = s.index.get(key)!;
      const expected = state(ki.clone());
      const txn = new WriteTxn(s);
      txn.put(key, Buffer.from('x'), 7n);
      txn.deleteRange(keyRange(key, Buffer.alloc(0)));
      txn.put(key, Buffer.from('y'), 0n);
      txn.put(Buffer.from('new'), Buffer.from('z'), 0n);
      txn.rollback();
      expect(s.index.get(key)).toBe(ki);
      expect(state(ki)).toEqual(expected);
      expect(ki.latest?.value.toString()).toBe('v4');
      expect(s.index.get(Buffer.from('new'))).toBeUndefined();
      expect(s.currentRev).toBe(6);
    } finally {
      await backend.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
