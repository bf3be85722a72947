import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, crc32cBytewise } from '../../../src/mvcc/crc32c.js';

// Bit-by-bit definition, independent of the tables under test.
function crc32cBitwise(data: Uint8Array): number {
  let c = 0xffffffff;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}

describe('crc32c', () => {
  it('matches the published check values', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32c(new Uint8Array(0))).toBe(0);
    // RFC 3720 (iSCSI) B.4 test vectors.
    expect(crc32c(new Uint8Array(32))).toBe(0x8a9136aa);
    expect(crc32c(new Uint8Array(32).fill(0xff))).toBe(0x62a8ab43);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => i))).toBe(0x46dd794e);
    expect(crc32c(Uint8Array.from({ length: 32 }, (_, i) => 31 - i))).toBe(0x113fdb5c);
  });

  it('equals the bitwise definition, for any data, split anywhere', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(), (data, cut) => {
        const want = crc32cBitwise(data);
        expect(crc32c(data)).toBe(want);
        expect(crc32cBytewise(data)).toBe(want);
        const k = data.length === 0 ? 0 : cut % (data.length + 1);
        expect(crc32c(data, crc32c(data, 0, 0, k), k)).toBe(want);
      }),
      { numRuns: 500 },
    );
  });

  it('rejects a range outside the buffer', () => {
    expect(() => crc32c(new Uint8Array(4), 0, 2, 5)).toThrow(RangeError);
  });

  it('reports its throughput (logged, not asserted)', () => {
    const buf = new Uint8Array(1 << 20);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 2654435761) >>> 24;
    const mbps = (fn: (b: Uint8Array) => number): number => {
      fn(buf);
      const rounds = 32;
      const t0 = process.hrtime.bigint();
      for (let r = 0; r < rounds; r++) fn(buf);
      const sec = Number(process.hrtime.bigint() - t0) / 1e9;
      return Math.round(rounds / sec);
    };
    console.log(`crc32c slicing-by-8: ${mbps((b) => crc32c(b))} MB/s; bytewise: ${mbps(crc32cBytewise)} MB/s`);
  });
});
