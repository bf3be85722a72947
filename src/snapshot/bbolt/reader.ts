// Opening a bbolt image: choose the meta page bbolt would use, then check the whole tree once.
import { BucketView, type BoltBucket } from './bucket.js';
import { checkBolt } from './check.js';
import { BoltFormatError, BoltIntegrityError } from './errors.js';
import { isValidPageSize, META_SIZE, PAGE_HEADER_SIZE } from './layout.js';
import { decodeMeta, hasFreelist, metaProblem, type BoltMeta } from './meta.js';
import { PageSource } from './pages.js';

export interface BoltDb {
  readonly pageSize: number;
  /** The txid of the meta in force. */
  readonly txid: bigint;
  /** meta.pgid, the high-water mark. */
  readonly pageCount: number;
  /** tx.Size(): pageCount * pageSize, what etcd reports as totalSize (bytes past it, e.g. a sha trailer, are ignored). */
  readonly size: number;
  /** Which meta page (0 or 1) is in force. */
  readonly metaPage: 0 | 1;
  readonly hasFreelist: boolean;
  readonly freePages: readonly number[];
  /** The root bucket: its entries are the top-level buckets. */
  readonly root: BoltBucket;
  /** Top-level bucket names in byte order. */
  buckets(): string[];
  bucket(name: Buffer | string): BoltBucket | undefined;
}

interface MetaCandidate {
  page: 0 | 1;
  meta: BoltMeta;
}

function readMetaAt(buf: Buffer, offset: number, page: 0 | 1): MetaCandidate | string {
  if (offset + PAGE_HEADER_SIZE + META_SIZE > buf.length) return 'beyond the end of the file';
  const problem = metaProblem(buf, offset);
  if (problem !== null) return problem;
  const meta = decodeMeta(buf, offset);
  if (!isValidPageSize(meta.pageSize)) return `unsupported page size ${meta.pageSize}`;
  if (page === 1 && offset !== meta.pageSize) return `found at offset ${offset} but says page size ${meta.pageSize}`;
  return { page, meta };
}

/**
 * Meta 0 is damaged, so the page size is unknown: probe where meta 1 would be (as bbolt 1.3.11+ does),
 * first at the size meta 0 claims; if nothing validates, report what was found there.
 */
function probeMeta1(buf: Buffer): MetaCandidate | string {
  const claimed = buf.readUInt32LE(PAGE_HEADER_SIZE + 8);
  const sizes = isValidPageSize(claimed) ? [claimed] : [];
  for (let size = 1024; size <= 1 << 20; size *= 2) if (size !== claimed) sizes.push(size);
  for (const size of sizes) {
    if (size >= buf.length) continue;
    const c = readMetaAt(buf, size, 1);
    if (typeof c !== 'string') return c;
  }
  return isValidPageSize(claimed) ? readMetaAt(buf, claimed, 1) : 'no valid meta page at any page size';
}

/** bbolt db.meta(): the valid meta with the higher txid (meta 0 on a tie). */
function chooseMeta(buf: Buffer): MetaCandidate {
  const m0 = readMetaAt(buf, 0, 0);
  const m1 = typeof m0 === 'string' ? probeMeta1(buf) : readMetaAt(buf, m0.meta.pageSize, 1);
  if (typeof m0 === 'string') {
    if (typeof m1 === 'string') throw new BoltFormatError(`invalid database: meta page 0: ${m0}; meta page 1: ${m1}`);
    return m1;
  }
  if (typeof m1 === 'string') return m0;
  if (m0.meta.pageSize !== m1.meta.pageSize) {
    throw new Error(`invariant: meta 1 was read at meta 0's page size ${m0.meta.pageSize} but says ${m1.meta.pageSize}`);
  }
  return m1.meta.txid > m0.meta.txid ? m1 : m0;
}

export function openBolt(buf: Buffer): BoltDb {
  if (buf.length < PAGE_HEADER_SIZE + META_SIZE) {
    throw new BoltFormatError(`file size too small: ${buf.length} bytes cannot hold a meta page`);
  }
  const { page: metaPage, meta } = chooseMeta(buf);
  const pageSize = meta.pageSize;
  const filePages = Math.floor(buf.length / pageSize);
  if (meta.pgid < 2n) throw new BoltFormatError(`meta page ${metaPage}: high-water mark ${meta.pgid} is below 2`);
  if (meta.pgid > BigInt(filePages)) {
    throw new BoltFormatError(
      `file is truncated: meta page ${metaPage} says ${meta.pgid} pages of ${pageSize} bytes, ` +
        `but the file has ${buf.length} bytes (${filePages} whole pages)`,
    );
  }
  const pageCount = Number(meta.pgid);
  if (meta.rootPgid < 2n || meta.rootPgid >= meta.pgid) {
    throw new BoltFormatError(`meta page ${metaPage}: root page ${meta.rootPgid} is outside [2, ${pageCount})`);
  }
  const freelist = hasFreelist(meta) ? meta.freelistPgid : null;
  if (freelist !== null && (freelist < 2n || freelist >= meta.pgid)) {
    throw new BoltFormatError(`meta page ${metaPage}: freelist page ${freelist} is outside [2, ${pageCount})`);
  }
  const src = new PageSource(buf, pageSize, pageCount);
  let freePages: number[];
  try {
    ({ freePages } = checkBolt({ src, rootPgid: meta.rootPgid, freelistPgid: freelist }));
  } catch (e) {
    if (e instanceof BoltFormatError) throw new BoltIntegrityError(e.message);
    throw e;
  }
  const root = new BucketView(src, { kind: 'paged', pgid: meta.rootPgid }, '<root>');
  return {
    pageSize,
    txid: meta.txid,
    pageCount,
    size: pageCount * pageSize,
    metaPage,
    hasFreelist: freelist !== null,
    freePages,
    root,
    buckets: () => root.buckets(),
    bucket: (name) => root.bucket(name),
  };
}
