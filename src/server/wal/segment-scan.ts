// Reads the records of one segment and decides what a failure to decode means.
//
// A crash leaves the last segment in one of these states after the last durable record:
//   - zeros to the end (nothing more written; preallocated space reads as zeros),
//   - a frame cut short (the process died mid-write; the file ends inside the frame),
//   - a partially persisted write (power loss: some 512-byte sectors of an unsynced write reached
//     the disk, others still read as zeros), possibly with later complete records of that same
//     write after the hole.
// Torn writes are assumed to tear at sector (512-byte) granularity, as disks and the page cache do.
// None of those can hold an acknowledged record after the damage: an acknowledged (fsynced) write
// implies everything written before it is on disk too. So the tail is cut when the damage shows one
// of those marks. A complete, zero-free frame with a bad CRC is bit rot, not a crash: if good records
// follow it, or it is the last thing in the file, cutting it could drop acknowledged data silently,
// so that is an error (as in etcd, whose decoder only treats a CRC failure as torn when a sector of
// the record is all zeros). Any failure in a segment that is not the last one is an error.

import { WalCorruptError } from './errors.js';
import { decodeRecordAt, hasZeroPadding, isZero, RECORD_ALIGN, type DecodeResult, type WalRecord } from './record.js';

const SECTOR_BYTES = 512;

export interface TornTail {
  /** Offset of the first byte cut: the end of the last intact record. */
  offset: number;
  /** Bytes from `offset` up to the last non-zero byte of the file. */
  truncatedBytes: number;
  reason: string;
}

export interface SegmentScan {
  records: WalRecord[];
  /** Offset just after the last intact record: where the next append goes. */
  end: number;
  /** Non-null only for the last segment, when a torn tail must be cut at `tail.offset`. */
  tail: TornTail | null;
}

export function scanSegment(buf: Uint8Array, file: string, isLast: boolean): SegmentScan {
  const records: WalRecord[] = [];
  let off = 0;
  while (off < buf.length) {
    const r = decodeRecordAt(buf, off);
    if (r.kind === 'record') {
      records.push(r.record);
      off = r.next;
      continue;
    }
    if (r.kind === 'zero' && isZero(buf, off, buf.length)) break; // clean end of written data
    const tail = classifyFailure(buf, off, r, file, isLast);
    return { records, end: off, tail };
  }
  return { records, end: Math.min(off, buf.length), tail: null };
}

function classifyFailure(
  buf: Uint8Array,
  off: number,
  failure: Exclude<DecodeResult, { kind: 'record' }>,
  file: string,
  isLast: boolean,
): TornTail {
  const what = describe(failure);
  const damage = failure.kind === 'bad' && failure.reason.startsWith('CRC mismatch') ? 'crc' : 'record';
  if (!isLast) throw new WalCorruptError(`${what} in a segment that is not the last one`, file, off, damage);
  const search = findNextRecord(buf, off + RECORD_ALIGN);
  const nextGood = search.kind === 'found' ? search.offset : null;
  // Where a torn write would show its hole: up to the next intact record, and never past the end of
  // a frame whose length is readable (zeros after the final record are unwritten preallocated space,
  // which says nothing about whether the record itself was torn).
  let regionEnd = nextGood ?? buf.length;
  if (failure.kind === 'bad' && failure.frameEnd !== null) regionEnd = Math.min(regionEnd, failure.frameEnd);
  const hole = hasZeroSector(buf, off, regionEnd);
  if (nextGood !== null && !hole) {
    throw new WalCorruptError(
      `${what}, followed by an intact record at offset ${nextGood} and no sign of a torn write`,
      file,
      off,
      damage,
    );
  }
  if (nextGood === null && !hole && failure.kind === 'bad') {
    throw new WalCorruptError(`${what} in the final record, with no sign of a torn write`, file, off, damage);
  }
  const note = search.kind === 'gave-up' ? ' (search for intact records after it gave up)' : '';
  return { offset: off, truncatedBytes: lastNonZero(buf, off) - off, reason: what + note };
}

function describe(f: Exclude<DecodeResult, { kind: 'record' }>): string {
  switch (f.kind) {
    case 'zero':
      return 'zeroed record header';
    case 'short':
      return 'record cut short by the end of the file';
    case 'bad':
      return f.reason;
  }
}

// Probing every aligned offset checksums a candidate's data for every plausible-looking header, and
// arbitrary bytes (a torn multi-megabyte record of compressed or random data) hold many: the cost
// grows with the cube of the damaged region. Past this budget the search gives up; the caller then
// decides by the other signs alone (a frame cut by the end of the file, a zeroed sector), which is
// right for every torn write and wrong only for a corrupted length field followed by megabytes of
// random-looking records, a case then reported in the repair's reason.
const SCAN_BUDGET_BYTES = 64 * 1024 * 1024;

type Search = { kind: 'found'; offset: number } | { kind: 'none' } | { kind: 'gave-up' };

function findNextRecord(buf: Uint8Array, from: number): Search {
  let budget = SCAN_BUDGET_BYTES;
  for (let y = from; y + RECORD_ALIGN <= buf.length; y += RECORD_ALIGN) {
    if (!hasZeroPadding(buf, y)) continue; // the writer always pads with zeros: cheap to rule out
    const r = decodeRecordAt(buf, y);
    if (r.kind === 'record') return { kind: 'found', offset: y };
    if (r.kind === 'bad') budget -= r.checkedBytes;
    if (budget < 0) return { kind: 'gave-up' };
  }
  return { kind: 'none' };
}

/** True if some part of [from, to), split at sector boundaries of the file, is all zeros. */
function hasZeroSector(buf: Uint8Array, from: number, to: number): boolean {
  let a = from;
  while (a < to) {
    const b = Math.min(to, (Math.floor(a / SECTOR_BYTES) + 1) * SECTOR_BYTES);
    if (isZero(buf, a, b)) return true;
    a = b;
  }
  return false;
}

function lastNonZero(buf: Uint8Array, from: number): number {
  let i = buf.length;
  const chunk = 64 * 1024;
  while (i - chunk > from && isZero(buf, i - chunk, i)) i -= chunk;
  while (i > from && buf[i - 1] === 0) i--;
  return i;
}
