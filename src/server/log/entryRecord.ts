// How the single-member log stores an entry in a WAL record: index and term as two u64 (big endian),
// then the request bytes. A hard-state record holds the term the member runs in.

export const RecordType = {
  entry: 1,
  hardState: 2,
} as const;

export function encodeEntry(index: number, term: number, data: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(16 + data.length);
  out.writeBigUInt64BE(BigInt(index), 0);
  out.writeBigUInt64BE(BigInt(term), 8);
  out.set(data, 16);
  return out;
}

export function decodeEntry(record: Uint8Array): { index: number; term: number; data: Uint8Array } {
  if (record.length < 16) throw new Error(`wal: entry record too short (${record.length} bytes)`);
  const buf = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
  return {
    index: Number(buf.readBigUInt64BE(0)),
    term: Number(buf.readBigUInt64BE(8)),
    data: buf.subarray(16),
  };
}

export function encodeHardState(term: number): Uint8Array {
  const out = Buffer.allocUnsafe(8);
  out.writeBigUInt64BE(BigInt(term), 0);
  return out;
}

export function decodeHardState(record: Uint8Array): number {
  if (record.length !== 8) throw new Error(`wal: hard state record has ${record.length} bytes, want 8`);
  return Number(Buffer.from(record.buffer, record.byteOffset, 8).readBigUInt64BE(0));
}
