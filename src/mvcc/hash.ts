// etcd's HashKV hasher (server/mvcc/hash.go, 3.5.16+/3.6 semantics): CRC-32C over "key" and then
// every key-bucket entry up to a revision, skipping what compaction drops.

import { Crc32c } from './crc32c.js';
import { decodeRevision, isTombstoneKey, revisionId } from './revision.js';

export class KvHasher {
  private readonly crc = new Crc32c().update(Buffer.from('key'));

  /**
   * @param compactRevision the compaction in force (-1: none)
   * @param revision hash entries with main <= revision
   * @param keep revisions (revisionId) that survive compaction at or below compactRevision
   */
  constructor(
    private readonly compactRevision: number,
    private readonly revision: number,
    private readonly keep: Set<string>,
  ) {}

  /** Entries must be fed in key (= revision) order. */
  write(key: Buffer, value: Buffer): void {
    const kr = decodeRevision(key);
    if (kr.main > this.revision) return;
    if (kr.main <= this.compactRevision && this.keep.size > 0 && !this.keep.has(revisionId(kr))) return;
    // Older etcd deleted a tombstone at exactly the compact revision; skipping it keeps hashes equal.
    if (kr.main === this.compactRevision && isTombstoneKey(key)) return;
    this.crc.update(key);
    this.crc.update(value);
  }

  digest(): number {
    return this.crc.digest();
  }
}
