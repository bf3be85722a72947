// The on-disk frame of one WAL record:
//
//   offset 0  u32 LE  data length in bytes
//   offset 4  u8      type (1..255; 0 is reserved so an all-zero header is never a valid record)
//   offset 5  u32 LE  CRC-32C over type byte + data, NOT chained to the previous record: each record
//                     verifies on its own, which lets the reader look past a bad record to decide
//                     whether it is a torn tail or corruption with good data after it
//   offset 9  data
//   then zero padding up to a multiple of 8 bytes, so every record starts 8-byte aligned (the reader
//   only has to probe aligned offsets, and the CRC's word loads stay aligned in the file buffer).

import { crc32c } from '../../mvcc/crc32c.js';

export interface WalRecord {
  type: number;
  data: Uint8Array;
}

export const HEADER_BYTES = 9;
export const RECORD_ALIGN = 8;
/** Far above any raft batch; a larger length field is treated as damage, not as a record. */
export const MAX_RECORD_DATA_BYTES = 256 * 1024 * 1024;

export function frameBytes(dataLength: number): number {
  return (HEADER_BYTES + dataLength + RECORD_ALIGN - 1) & ~(RECORD_ALIGN - 1);
}

// CRC of the single type byte, per type: the seed the data's CRC continues from.
const TYPE_SEEDS = Uint32Array.from({ length: 256 }, (_, t) => crc32c(Uint8Array.of(t)));

export function recordCrc(type: number, data: Uint8Array, dataStart = 0, dataEnd = data.length): number {
  return crc32c(data, TYPE_SEEDS[type & 0xff]!, dataStart, dataEnd);
}

export function assertValidRecord(r: WalRecord): void {
  if (!Number.isInteger(r.type) || r.type < 1 || r.type > 255) {
    throw new RangeError(`wal: record type must be an integer in 1..255, got ${r.type}`);
  }
  if (!(r.data instanceof Uint8Array)) throw new TypeError('wal: record data must be a Uint8Array');
  if (r.data.length > MAX_RECORD_DATA_BYTES) {
    throw new RangeError(`wal: record of ${r.data.length} bytes exceeds ${MAX_RECORD_DATA_BYTES}`);
  }
}

/** Encodes records back to back into one buffer (the unit of one write). */
export function encodeRecords(records: readonly WalRecord[]): Buffer {
  let total = 0;
  for (const r of records) {
    assertValidRecord(r);
    total += frameBytes(r.data.length);
  }
  const out = Buffer.alloc(total); // zeroed: padding must be zeros
  let off = 0;
  for (const r of records) {
    out.writeUInt32LE(r.data.length, off);
    out[off + 4] = r.type;
    out.writeUInt32LE(recordCrc(r.type, r.data), off + 5);
    out.set(r.data, off + HEADER_BYTES);
    off += frameBytes(r.data.length);
  }
  if (off !== total) throw new Error(`wal: encoded ${off} bytes, expected ${total}`);
  return out;
}

export type DecodeResult =
  /** A verified record; `next` is the offset of the following frame. */
  | { kind: 'record'; record: WalRecord; next: number }
  /** Header bytes are all zero: unwritten (preallocated or lost) space, not a record. */
  | { kind: 'zero' }
  /** The frame runs past the end of the buffer (a short write), or the header itself is cut. */
  | { kind: 'short' }
  /**
   * A complete frame that fails verification; `checkedBytes` is how much data the CRC read, and
   * `frameEnd` where the frame ends if its length field is usable at all.
   */
  | { kind: 'bad'; reason: string; checkedBytes: number; frameEnd: number | null };

/**
 * Decodes the frame at `off`. The returned record's data is a view into `buf` (no copy).
 * Padding bytes are not checked: they carry no information and a flip there harms nothing.
 */
export function decodeRecordAt(buf: Uint8Array, off: number): DecodeResult {
  if (off % RECORD_ALIGN !== 0) throw new Error(`wal: decode at unaligned offset ${off}`);
  const remaining = buf.length - off;
  if (remaining < HEADER_BYTES) return isZero(buf, off, buf.length) ? { kind: 'zero' } : { kind: 'short' };
  if (isZero(buf, off, off + HEADER_BYTES)) return { kind: 'zero' };
  const len = readU32(buf, off);
  const type = buf[off + 4]!;
  const crc = readU32(buf, off + 5);
  if (type === 0) return { kind: 'bad', reason: 'record type 0', checkedBytes: 0, frameEnd: null };
  if (len > MAX_RECORD_DATA_BYTES) return { kind: 'bad', reason: `record length ${len} over the limit`, checkedBytes: 0, frameEnd: null };
  if (frameBytes(len) > remaining) {
    // Without padding the data may still fit exactly: the writer never leaves a frame unpadded, so
    // a frame cut anywhere (even only in its padding) is short.
    return { kind: 'short' };
  }
  const dataStart = off + HEADER_BYTES;
  const actual = recordCrc(type, buf, dataStart, dataStart + len);
  if (actual !== crc) {
    return {
      kind: 'bad',
      reason: `CRC mismatch (stored ${hex(crc)}, computed ${hex(actual)})`,
      checkedBytes: len,
      frameEnd: off + frameBytes(len),
    };
  }
  return { kind: 'record', record: { type, data: buf.subarray(dataStart, dataStart + len) }, next: off + frameBytes(len) };
}

/**
 * False when the header at `off` is readable and the frame fits, but its padding is not all zeros:
 * then it is certainly not a frame the writer produced. True otherwise (including "cannot tell").
 */
export function hasZeroPadding(buf: Uint8Array, off: number): boolean {
  if (buf.length - off < HEADER_BYTES) return true;
  const len = readU32(buf, off);
  if (len > MAX_RECORD_DATA_BYTES) return true;
  const end = off + frameBytes(len);
  if (end > buf.length) return true;
  return isZero(buf, off + HEADER_BYTES + len, end);
}

const ZEROS = new Uint8Array(64 * 1024);

/** Compared natively a chunk at a time: a 64 MiB preallocated segment is mostly zeros to check at open. */
export function isZero(buf: Uint8Array, from: number, to: number): boolean {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (let at = from; at < to; at += ZEROS.length) {
    const end = Math.min(to, at + ZEROS.length);
    if (b.compare(ZEROS, 0, end - at, at, end) !== 0) return false;
  }
  return true;
}

function readU32(buf: Uint8Array, off: number): number {
  return (buf[off]! | (buf[off + 1]! << 8) | (buf[off + 2]! << 16) | (buf[off + 3]! << 24)) >>> 0;
}

function hex(n: number): string {
  return '0x' + n.toString(16).padStart(8, '0');
}
