import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  decodeRecordAt,
  encodeRecords,
  frameBytes,
  HEADER_BYTES,
  type WalRecord,
} from '../../../src/server/wal/record.js';

const recordArb = fc.record({ type: fc.integer({ min: 1, max: 255 }), data: fc.uint8Array({ maxLength: 200 }) });

function decodeAll(buf: Uint8Array): WalRecord[] {
  const out: WalRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = decodeRecordAt(buf, off);
    if (r.kind !== 'record') throw new Error(`unexpected ${r.kind} at ${off}`);
    out.push({ type: r.record.type, data: Uint8Array.from(r.record.data) });
    off = r.next;
  }
  return out;
}

describe('record codec', () => {
  it('decode(encode(records)) = records, frames 8-byte aligned', () => {
    fc.assert(
      fc.property(fc.array(recordArb, { maxLength: 20 }), (records) => {
        const buf = encodeRecords(records);
        expect(buf.length % 8).toBe(0);
        expect(buf.length).toBe(records.reduce((n, r) => n + frameBytes(r.data.length), 0));
        expect(decodeAll(buf)).toEqual(records.map((r) => ({ type: r.type, data: Uint8Array.from(r.data) })));
      }),
      { numRuns: 300 },
    );
  });

  it('any single flipped bit in header or data is detected', () => {
    fc.assert(
      fc.property(recordArb, fc.nat(), (record, bitSeed) => {
        const buf = encodeRecords([record]);
        const bits = (HEADER_BYTES + record.data.length) * 8;
        const bit = bitSeed % bits;
        buf[bit >> 3]! ^= 1 << (bit & 7);
        const r = decodeRecordAt(buf, 0);
        expect(r.kind).not.toBe('record');
      }),
      { numRuns: 500 },
    );
  });

  it('every strict prefix of a frame is short or zero, never a record', () => {
    fc.assert(
      fc.property(recordArb, (record) => {
        const buf = encodeRecords([record]);
        for (let cut = 0; cut < buf.length; cut++) {
          const kind = decodeRecordAt(buf.subarray(0, cut), 0).kind;
          expect(kind === 'short' || kind === 'zero').toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('rejects types outside 1..255 and non-integers', () => {
    for (const type of [0, 256, -1, 1.5]) {
      expect(() => encodeRecords([{ type, data: new Uint8Array(1) }])).toThrow(RangeError);
    }
  });
});
