// Edits to valid images that keep the metas self-consistent, to make files that are broken only where
// a test wants them broken.
import { decodeMeta, writeMetaPage } from '../../../src/snapshot/bbolt/meta.js';

/** Rewrites both metas (keeping txids) with a changed field; the checksums stay valid. */
export function rewriteMetas(
  image: Buffer,
  pageSize: number,
  change: Partial<{ rootPgid: bigint; freelistPgid: bigint; pgid: bigint }>,
): Buffer {
  const out = Buffer.from(image);
  for (const id of [0, 1] as const) {
    const m = decodeMeta(out, id * pageSize);
    writeMetaPage(out, id * pageSize, id, {
      pageSize: m.pageSize,
      rootPgid: change.rootPgid ?? m.rootPgid,
      freelistPgid: change.freelistPgid ?? m.freelistPgid,
      pgid: change.pgid ?? m.pgid,
      txid: m.txid,
    });
  }
  return out;
}

/** Appends `n` zeroed, unreferenced pages and raises the high-water mark over them. */
export function withExtraPages(image: Buffer, pageSize: number, n: number): Buffer {
  const grown = Buffer.concat([image, Buffer.alloc(n * pageSize)]);
  for (let i = 0; i < n; i++) {
    const id = image.length / pageSize + i;
    grown.writeBigUInt64LE(BigInt(id), id * pageSize);
    grown.writeUInt16LE(0x02, id * pageSize + 8);
  }
  return rewriteMetas(grown, pageSize, { pgid: BigInt(image.length / pageSize + n) });
}
