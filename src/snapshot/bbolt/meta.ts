import { BoltFormatError } from './errors.js';
import { fnv64a } from './fnv64a.js';
import {
  MAGIC,
  META_CHECKSUMMED_SIZE,
  META_SIZE,
  PAGE_HEADER_SIZE,
  PageFlag,
  PGID_NO_FREELIST,
  VERSION,
  writePageHeader,
} from './layout.js';

/** bbolt's meta struct. pgids stay bigint here: they are u64 on disk and a tampered file may use all 64 bits. */
export interface BoltMeta {
  magic: number;
  version: number;
  pageSize: number;
  flags: number;
  rootPgid: bigint;
  rootSequence: bigint;
  /** PGID_NO_FREELIST when the freelist is not synced. */
  freelistPgid: bigint;
  /** High-water mark: the first page id past the data. */
  pgid: bigint;
  txid: bigint;
  checksum: bigint;
}

/** Reads the meta struct that starts `PAGE_HEADER_SIZE` bytes into the page at `pageOffset`. */
export function decodeMeta(buf: Buffer, pageOffset: number): BoltMeta {
  const o = pageOffset + PAGE_HEADER_SIZE;
  if (o + META_SIZE > buf.length) {
    throw new BoltFormatError(`meta page at offset ${pageOffset} is truncated (file has ${buf.length} bytes)`);
  }
  return {
    magic: buf.readUInt32LE(o),
    version: buf.readUInt32LE(o + 4),
    pageSize: buf.readUInt32LE(o + 8),
    flags: buf.readUInt32LE(o + 12),
    rootPgid: buf.readBigUInt64LE(o + 16),
    rootSequence: buf.readBigUInt64LE(o + 24),
    freelistPgid: buf.readBigUInt64LE(o + 32),
    pgid: buf.readBigUInt64LE(o + 40),
    txid: buf.readBigUInt64LE(o + 48),
    checksum: buf.readBigUInt64LE(o + 56),
  };
}

export function metaChecksum(buf: Buffer, pageOffset: number): bigint {
  const o = pageOffset + PAGE_HEADER_SIZE;
  return fnv64a(buf.subarray(o, o + META_CHECKSUMMED_SIZE));
}

/** bbolt's meta.validate: magic, then version, then checksum; null when valid. */
export function metaProblem(buf: Buffer, pageOffset: number): string | null {
  const m = decodeMeta(buf, pageOffset);
  if (m.magic !== MAGIC) return `bad magic 0x${m.magic.toString(16)}`;
  if (m.version !== VERSION) return `version mismatch (file has ${m.version}, expected ${VERSION})`;
  if (m.checksum !== metaChecksum(buf, pageOffset)) return 'checksum error';
  return null;
}

export interface MetaFields {
  pageSize: number;
  rootPgid: bigint;
  freelistPgid: bigint;
  pgid: bigint;
  txid: bigint;
}

/** Writes a complete meta page (header, meta struct, checksum) for page `id` at `pageOffset`. */
export function writeMetaPage(buf: Buffer, pageOffset: number, id: 0 | 1, f: MetaFields): void {
  writePageHeader(buf, pageOffset, { id: BigInt(id), flags: PageFlag.meta, count: 0, overflow: 0 });
  const o = pageOffset + PAGE_HEADER_SIZE;
  buf.writeUInt32LE(MAGIC, o);
  buf.writeUInt32LE(VERSION, o + 4);
  buf.writeUInt32LE(f.pageSize, o + 8);
  buf.writeUInt32LE(0, o + 12);
  buf.writeBigUInt64LE(f.rootPgid, o + 16);
  buf.writeBigUInt64LE(0n, o + 24);
  buf.writeBigUInt64LE(f.freelistPgid, o + 32);
  buf.writeBigUInt64LE(f.pgid, o + 40);
  buf.writeBigUInt64LE(f.txid, o + 48);
  buf.writeBigUInt64LE(metaChecksum(buf, pageOffset), o + 56);
}

export function hasFreelist(m: BoltMeta): boolean {
  return m.freelistPgid !== PGID_NO_FREELIST;
}
