// HashKV against etcd's algorithm written out plainly from the spec (hash.go, key_index.go; 3.5.16+):
// the backend entries are derived from a reference model and encoded with protobufjs, not by the store.

import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/mvcc/crc32c.js';
import type { KeyValue, MvccEvent } from '../../../src/mvcc/types.js';
import { Model } from '../../property/mvccModel.js';
import { delReq, openStore, putReq } from './support.js';

const KV = protobuf.parse(`syntax = "proto3";
message KeyValue { bytes key = 1; int64 create_revision = 2; int64 mod_revision = 3; int64 version = 4; bytes value = 5; int64 lease = 6; }`).root.lookupType('KeyValue');

function encodeRef(kv: KeyValue): Buffer {
  const o: Record<string, unknown> = {};
  if (kv.key.length) o.key = kv.key;
  if (kv.createRevision) o.createRevision = kv.createRevision;
  if (kv.modRevision) o.modRevision = kv.modRevision;
  if (kv.version) o.version = kv.version;
  if (kv.value.length) o.value = kv.value;
  if (kv.lease) o.lease = kv.lease.toString();
  return Buffer.from(KV.encode(KV.fromObject(o)).finish());
}

interface Entry {
  main: number;
  sub: number;
  tomb: boolean;
  key: string;
  bytes: Buffer; // the bucket key
  value: Buffer;
}

function revBytes(main: number, sub: number, tomb: boolean): Buffer {
  const b = Buffer.alloc(tomb ? 18 : 17);
  b.writeBigUInt64BE(BigInt(main), 0);
  b[8] = 0x5f;
  b.writeBigUInt64BE(BigInt(sub), 9);
  if (tomb) b[17] = 0x74;
  return b;
}

function entriesOf(events: Map<number, MvccEvent[]>): Entry[] {
  const out: Entry[] = [];
  for (const [main, evs] of [...events].sort((a, b) => a[0] - b[0])) {
    evs.forEach((ev, sub) => {
      const tomb = ev.type === 'DELETE';
      const stored = tomb ? { key: ev.kv.key, createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n } : ev.kv;
      out.push({ main, sub, tomb, key: ev.kv.key.toString('hex'), bytes: revBytes(main, sub, tomb), value: encodeRef(stored) });
    });
  }
  return out;
}

const id = (e: Entry) => `${e.main}_${e.sub}`;

/** Per key: generations split after tombstones; pick the first ending at/after atRev, else the last. */
function chosen(entries: Entry[], atRev: number): Array<{ kept: Entry; endsNonLastGen: boolean }> {
  const byKey = new Map<string, Entry[]>();
  for (const e of entries) byKey.set(e.key, [...(byKey.get(e.key) ?? []), e]);
  const out: Array<{ kept: Entry; endsNonLastGen: boolean }> = [];
  for (const list of byKey.values()) {
    const gens: Entry[][] = [[]];
    for (const e of list) {
      gens[gens.length - 1]!.push(e);
      if (e.tomb) gens.push([]);
    }
    let gi = 0;
    while (gi < gens.length - 1 && gens[gi]![gens[gi]!.length - 1]!.main < atRev) gi++;
    const g = gens[gi]!;
    const le = g.filter((e) => e.main <= atRev);
    if (le.length === 0) continue;
    const kept = le[le.length - 1]!;
    out.push({ kept, endsNonLastGen: kept === g[g.length - 1] && gi !== gens.length - 1 });
  }
  return out;
}

function compactKeep(entries: Entry[], atRev: number): Set<string> {
  return new Set(chosen(entries, atRev).map((c) => id(c.kept)));
}

function hashKeep(entries: Entry[], atRev: number): Set<string> {
  return new Set(chosen(entries, atRev).filter((c) => !c.endsNonLastGen).map((c) => id(c.kept)));
}

function refHash(entries: Entry[], compactRev: number, rev: number, keep: Set<string>): number {
  const parts: Buffer[] = [Buffer.from('key')];
  for (const e of entries) {
    if (e.main > rev) continue;
    if (e.main <= compactRev && keep.size > 0 && !keep.has(id(e))) continue;
    if (e.main === compactRev && e.tomb) continue;
    parts.push(e.bytes, e.value);
  }
  return crc32c(Buffer.concat(parts));
}

type Op = { k: 'put'; key: string; v: string } | { k: 'del'; key: string } | { k: 'compact'; back: number } | { k: 'settle' };

describe('HashKV', () => {
  it('is CRC-32C over "key" and the bucket entries for an empty store', async () => {
    const { store } = await openStore();
    const h = await store.hashKV(0);
    expect(h).toEqual({ hash: crc32c(Buffer.from('key')), compactRevision: -1, hashRevision: 1, header: { revision: 1 } });
  });

  it('the spec history: compaction at 4 leaves 3, 4, 5t, 6, 7', async () => {
    const { store } = await openStore();
    await store.applyPut(putReq('foo', 'a'));
    await store.applyPut(putReq('foo', 'b'));
    await store.applyPut(putReq('k2', 'c'));
    await store.applyDeleteRange(delReq('foo'));
    await store.applyPut(putReq('foo', 'd'));
    await store.applyPut(putReq('lk', 'e'));
    await store.applyCompaction({ revision: 4, physical: true });
    await store.commit();
    await store.compactionSettled();
    const cur = store.backend.scan('key', Buffer.alloc(0), null);
    const keys = (await cur.next(100)).map((e) => [Number(e.key.readBigUInt64BE(0)), e.key.length === 18]);
    await cur.close();
    expect(keys).toEqual([[3, false], [4, false], [5, true], [6, false], [7, false]]);
  });

  it('matches the reference on random histories, with compactions and cached compaction hashes', async () => {
    const opArb: fc.Arbitrary<Op> = fc.oneof(
      { arbitrary: fc.record({ k: fc.constant('put' as const), key: fc.constantFrom('a', 'b', 'c'), v: fc.constantFrom('1', '22') }), weight: 5 },
      { arbitrary: fc.record({ k: fc.constant('del' as const), key: fc.constantFrom('a', 'b', 'c') }), weight: 2 },
      { arbitrary: fc.record({ k: fc.constant('compact' as const), back: fc.integer({ min: 0, max: 4 }) }), weight: 1 },
      { arbitrary: fc.constant({ k: 'settle' as const }), weight: 1 },
    );
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 10 }), async (ops, probe) => {
        const { store } = await openStore();
        const model = new Model();
        let compactRev = -1;
        // Each compaction: the revision, the one before it, and the hash etcd caches for it.
        const cached: Array<{ rev: number; prev: number; hash: number }> = [];
        let physical = entriesOf(model.events);
        // etcd caches a compaction's hash only if the previous compaction's pass had finished.
        let passPending = false;
        try {
          for (const op of ops) {
            if (op.k === 'put') {
              await store.applyPut(putReq(op.key, op.v));
              model.put(putReq(op.key, op.v));
            } else if (op.k === 'del') {
              await store.applyDeleteRange(delReq(op.key));
              model.deleteRange(delReq(op.key));
            } else if (op.k === 'settle') {
              await store.commit();
              await store.compactionSettled();
              passPending = false;
            } else {
              const rev = model.rev - op.back;
              if (rev <= compactRev || rev < 1) continue;
              await store.applyCompaction({ revision: rev, physical: false });
              const all = entriesOf(model.events).filter((e) => physical.some((p) => id(p) === id(e)) || e.main > (physical.at(-1)?.main ?? 0));
              const keep = compactKeep(all, rev);
              if (!passPending) cached.push({ rev, prev: compactRev, hash: refHash(all, compactRev, rev, keep) });
              passPending = true;
              physical = all.filter((e) => e.main > rev || keep.has(id(e)));
              compactRev = rev;
              if (cached.length > 10) cached.shift();
            }
            // Entries written since the last compaction are all physically present.
            const known = new Set(physical.map(id));
            const last = physical.at(-1)?.main ?? 0;
            physical = entriesOf(model.events).filter((e) => known.has(id(e)) || e.main > Math.max(last, compactRev));
          }
          await store.commit();
          const check = async (rev: number) => {
            const c = cached.find((x) => x.rev === rev);
            const got = await store.hashKV(rev);
            if (c) {
              expect(got).toEqual({ hash: c.hash, compactRevision: c.prev, hashRevision: rev, header: { revision: model.rev } });
              return;
            }
            const at = rev === 0 ? model.rev : rev;
            const want = refHash(physical, compactRev, at, hashKeep(physical, at));
            expect(got).toEqual({ hash: want, compactRevision: compactRev, hashRevision: at, header: { revision: model.rev } });
          };
          await check(0);
          const probeRev = Math.max(1, compactRev, model.rev - probe);
          await check(probeRev);
          for (const c of cached) await check(c.rev);
          if (compactRev > 1 && !cached.some((c) => c.rev === compactRev - 1)) await expect(store.hashKV(compactRev - 1)).rejects.toThrow('compacted');
          await expect(store.hashKV(model.rev + 1)).rejects.toThrow('future revision');
          // The same after the physical pass has run.
          await store.compactionSettled();
          await check(0);
          await check(probeRev);
        } finally {
          await store.close();
        }
      }),
      { numRuns: 80 },
    );
  }, 60_000);
});
