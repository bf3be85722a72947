// etcd's revision keys in the `key` bucket: BE64(main) '_' BE64(sub), plus 't' for a tombstone.
// Byte order of these keys is revision order, which every history scan relies on.

export interface Revision {
  readonly main: number;
  readonly sub: number;
}

export const REV_BYTES_LEN = 17;
export const MARKED_REV_BYTES_LEN = 18;
const TOMBSTONE_MARK = 0x74; // 't'

export function compareRevision(a: Revision, b: Revision): number {
  return a.main !== b.main ? a.main - b.main : a.sub - b.sub;
}

export function encodeRevision(rev: Revision, tombstone = false): Buffer {
  assertRevisionPart(rev.main);
  assertRevisionPart(rev.sub);
  const b = Buffer.allocUnsafe(tombstone ? MARKED_REV_BYTES_LEN : REV_BYTES_LEN);
  b.writeBigUInt64BE(BigInt(rev.main), 0);
  b[8] = 0x5f; // '_'
  b.writeBigUInt64BE(BigInt(rev.sub), 9);
  if (tombstone) b[17] = TOMBSTONE_MARK;
  return b;
}

export function decodeRevision(b: Uint8Array): Revision {
  if (b.length !== REV_BYTES_LEN && b.length !== MARKED_REV_BYTES_LEN) {
    throw new Error(`mvcc: revision key has ${b.length} bytes, want 17 or 18`);
  }
  const buf = Buffer.from(b.buffer, b.byteOffset, b.length);
  return { main: Number(buf.readBigUInt64BE(0)), sub: Number(buf.readBigUInt64BE(9)) };
}

export function isTombstoneKey(b: Uint8Array): boolean {
  return b.length === MARKED_REV_BYTES_LEN && b[17] === TOMBSTONE_MARK;
}

/** A map key for a revision that is cheap to build and compare. */
export function revisionId(rev: Revision): string {
  return `${rev.main}_${rev.sub}`;
}

function assertRevisionPart(n: number): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`mvcc: bad revision component ${n}`);
}
