import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/mvcc/crc32c.js';
import {
  decodeKeyValue,
  decodeLease,
  decodeLeaseKey,
  encodeKeyValue,
  encodeLease,
  encodeLeaseKey,
} from '../../../src/mvcc/keyValueCodec.js';
import { decodeRevision, encodeRevision, isTombstoneKey } from '../../../src/mvcc/revision.js';
import type { KeyValue } from '../../../src/mvcc/types.js';

// An independent encoder (protobufjs, proto3 semantics: zero fields omitted, fields in number order).
const root = protobuf.parse(`
syntax = "proto3";
message KeyValue { bytes key = 1; int64 create_revision = 2; int64 mod_revision = 3; int64 version = 4; bytes value = 5; int64 lease = 6; }
message Lease { int64 ID = 1; int64 TTL = 2; int64 RemainingTTL = 3; }
`).root;
const KV = root.lookupType('KeyValue');
const LeaseT = root.lookupType('Lease');

function referenceKv(kv: KeyValue): Buffer {
  // protobufjs writes every field that is set, so leave zero ones unset as gogoproto does.
  const obj: Record<string, unknown> = {};
  if (kv.key.length) obj.key = kv.key;
  if (kv.createRevision) obj.createRevision = kv.createRevision;
  if (kv.modRevision) obj.modRevision = kv.modRevision;
  if (kv.version) obj.version = kv.version;
  if (kv.value.length) obj.value = kv.value;
  if (kv.lease) obj.lease = kv.lease.toString();
  const msg = KV.fromObject(obj);
  return Buffer.from(KV.encode(msg).finish());
}

const int64 = fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.maxSafeInteger(), fc.integer({ min: -1000, max: -1 }));
const kvArb = fc.record({
  key: fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u)),
  createRevision: int64,
  modRevision: int64,
  version: int64,
  value: fc.uint8Array({ maxLength: 200 }).map((u) => Buffer.from(u)),
  lease: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
});

describe('KeyValue codec', () => {
  it('matches etcd bytes for a simple put and a tombstone', () => {
    const kv: KeyValue = { key: Buffer.from('foo'), createRevision: 2, modRevision: 2, version: 1, value: Buffer.from('bar'), lease: 0n };
    expect(encodeKeyValue(kv).toString('hex')).toBe('0a03666f6f1002180220012a03626172');
    const tomb: KeyValue = { key: Buffer.from('foo'), createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n };
    expect(encodeKeyValue(tomb).toString('hex')).toBe('0a03666f6f');
  });

  it('writes a negative lease as a 10-byte varint', () => {
    const kv: KeyValue = { key: Buffer.from('k'), createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: -1n };
    expect(encodeKeyValue(kv).toString('hex')).toBe('0a016b30ffffffffffffffffff01');
  });

  it('equals an independent protobuf encoder and round-trips', () => {
    fc.assert(
      fc.property(kvArb, (kv) => {
        const enc = encodeKeyValue(kv);
        expect(enc.equals(referenceKv(kv))).toBe(true);
        expect(decodeKeyValue(enc)).toEqual(kv);
      }),
      { numRuns: 500 },
    );
  });

  it('lease round-trips and matches the reference encoder', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), fc.nat(), fc.nat(), (id, ttl, rem) => {
        const lease = { id, ttl, remainingTtl: rem };
        const enc = encodeLease(lease);
        const obj: Record<string, unknown> = {};
        if (id) obj.ID = id.toString();
        if (ttl) obj.TTL = ttl;
        if (rem) obj.RemainingTTL = rem;
        const ref = Buffer.from(LeaseT.encode(LeaseT.fromObject(obj)).finish());
        expect(enc.equals(ref)).toBe(true);
        expect(decodeLease(enc)).toEqual(lease);
        expect(decodeLeaseKey(encodeLeaseKey(id))).toBe(id);
      }),
    );
  });

  it('skips unknown fields', () => {
    const withUnknown = Buffer.concat([Buffer.from('0a016b', 'hex'), Buffer.from('3a0378797a', 'hex'), Buffer.from('1005', 'hex')]);
    expect(decodeKeyValue(withUnknown)).toMatchObject({ key: Buffer.from('k'), createRevision: 5 });
  });
});

describe('revision keys', () => {
  it('encodes etcd 17/18-byte form in revision order', () => {
    const k = encodeRevision({ main: 258, sub: 1 });
    expect(k.toString('hex')).toBe('0000000000000102' + '5f' + '0000000000000001');
    const t = encodeRevision({ main: 5, sub: 0 }, true);
    expect(t.length).toBe(18);
    expect(isTombstoneKey(t)).toBe(true);
    expect(isTombstoneKey(k)).toBe(false);
    expect(decodeRevision(t)).toEqual({ main: 5, sub: 0 });
    fc.assert(
      fc.property(fc.nat(), fc.nat(), fc.nat(), fc.nat(), (a, b, c, d) => {
        const x = encodeRevision({ main: a, sub: b });
        const y = encodeRevision({ main: c, sub: d });
        const want = a !== c ? Math.sign(a - c) : Math.sign(b - d);
        expect(Math.sign(Buffer.compare(x, y))).toBe(want);
      }),
    );
  });
});

describe('crc32c', () => {
  it('matches the standard check value', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });
});
