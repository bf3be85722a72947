// bbolt's on-disk constants (bbolt page.go/db.go, 1.3.x and 1.4.x agree). bbolt writes its structs in
// native byte order; every host etcd supports is little-endian, so the file is little-endian.

export const MAGIC = 0xed0cdaed;
export const VERSION = 2;

export const PAGE_HEADER_SIZE = 16;
export const LEAF_ELEMENT_SIZE = 16;
export const BRANCH_ELEMENT_SIZE = 16;
export const BUCKET_HEADER_SIZE = 16;
export const META_SIZE = 64;
/** The checksum covers the meta struct up to (not including) its own 8-byte field. */
export const META_CHECKSUMMED_SIZE = 56;

export const PageFlag = {
  branch: 0x01,
  leaf: 0x02,
  meta: 0x04,
  freelist: 0x10,
} as const;

/** Leaf element flag: the value is a bucket (header + optional inline page), not user data. */
export const BUCKET_LEAF_FLAG = 0x01;

/** meta.freelist when the freelist is not synced to disk (etcd on Linux runs with NoFreelistSync). */
export const PGID_NO_FREELIST = 0xffffffffffffffffn;

/** A page's element count is a u16; bbolt refuses 0xFFFF elements in one node. */
export const MAX_PAGE_ELEMENTS = 0xfffe;
/** The freelist stores its count in the first u64 when it does not fit the u16 header field. */
export const FREELIST_COUNT_OVERFLOW = 0xffff;

export const MAX_KEY_SIZE = 32768;
export const MAX_VALUE_SIZE = 2 ** 31 - 2;

export const MIN_PAGE_SIZE = 1024;
export const MAX_PAGE_SIZE = 1 << 20;

export function isValidPageSize(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_PAGE_SIZE && n <= MAX_PAGE_SIZE && (n & (n - 1)) === 0;
}

export interface PageHeader {
  id: bigint;
  flags: number;
  count: number;
  overflow: number;
}

export function readPageHeader(buf: Buffer, offset: number): PageHeader {
  return {
    id: buf.readBigUInt64LE(offset),
    flags: buf.readUInt16LE(offset + 8),
    count: buf.readUInt16LE(offset + 10),
    overflow: buf.readUInt32LE(offset + 12),
  };
}

export function writePageHeader(buf: Buffer, offset: number, h: PageHeader): void {
  buf.writeBigUInt64LE(h.id, offset);
  buf.writeUInt16LE(h.flags, offset + 8);
  buf.writeUInt16LE(h.count, offset + 10);
  buf.writeUInt32LE(h.overflow, offset + 12);
}

export function pageFlagName(flags: number): string {
  switch (flags) {
    case PageFlag.branch:
      return 'branch';
    case PageFlag.leaf:
      return 'leaf';
    case PageFlag.meta:
      return 'meta';
    case PageFlag.freelist:
      return 'freelist';
    default:
      return `unknown<0x${flags.toString(16)}>`;
  }
}
