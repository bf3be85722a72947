// Segment file names: `<segment seq>-<seq of its first record>.wal`, both 16 lowercase hex digits
// (etcd's `%016x-%016x.wal`), so lexical order is numeric order.

export interface SegmentName {
  seq: number;
  firstRecordSeq: number;
}

const PATTERN = /^([0-9a-f]{16})-([0-9a-f]{16})\.wal$/;
export const TMP_SUFFIX = '.tmp';

export function formatSegmentName(s: SegmentName): string {
  return `${hex16(s.seq)}-${hex16(s.firstRecordSeq)}.wal`;
}

/** Returns null for names that are not segment names. */
export function parseSegmentName(name: string): SegmentName | null {
  const m = PATTERN.exec(name);
  if (!m) return null;
  const seq = parseInt(m[1]!, 16);
  const firstRecordSeq = parseInt(m[2]!, 16);
  if (!Number.isSafeInteger(seq) || !Number.isSafeInteger(firstRecordSeq)) {
    throw new Error(`wal: segment name ${name} holds a number beyond 2^53`);
  }
  return { seq, firstRecordSeq };
}

function hex16(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`wal: bad segment number ${n}`);
  return n.toString(16).padStart(16, '0');
}
