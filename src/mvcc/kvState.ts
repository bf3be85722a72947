// The store's in-memory state and its read paths: the key index (with each live key's latest value),
// leases, the revision counters, and history lookups that fall through to the backend.

import { ByteArena } from '../raft/byteArena.js';
import type { Backend } from './backend.js';
import { EtcdError, mvccErrors } from './errors.js';
import { KeyIndex } from './keyIndex.js';
import { decodeKeyValue } from './keyValueCodec.js';
import { Lessor } from './lessor.js';
import { encodeRevision, revisionId, type Revision } from './revision.js';
import { TreeIndex } from './treeIndex.js';
import type { KeyValue } from './types.js';

/** A key range as etcd reads it: a single key, [from, end), or everything from `from` on (end null). */
export interface KeyRange {
  from: Buffer;
  end: Buffer | null;
  single: boolean;
}

export function keyRange(key: Buffer, rangeEnd: Buffer): KeyRange {
  if (rangeEnd.length === 0) return { from: key, end: null, single: true };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { from: key, end: null, single: false };
  return { from: key, end: rangeEnd, single: false };
}

export function inKeyRange(r: KeyRange, key: Buffer): boolean {
  if (r.single) return key.equals(r.from);
  return Buffer.compare(key, r.from) >= 0 && (r.end === null || Buffer.compare(key, r.end) < 0);
}

export interface IndexHit {
  ki: KeyIndex;
  rev: Revision;
}

export class KvState {
  readonly index = new TreeIndex<KeyIndex>();
  readonly lessor = new Lessor();
  /** Keys and latest values live as long as the key does: kept apart from short-lived buffers. */
  readonly bytes = new ByteArena();
  currentRev = 1;
  /** etcd's compactMainRev: -1 until the first compaction. */
  compactMainRev = -1;

  constructor(readonly backend: Backend) {}

  visit(r: KeyRange, fn: (ki: KeyIndex) => boolean): void {
    if (r.single) {
      const ki = this.index.get(r.from);
      if (ki) fn(ki);
      return;
    }
    this.index.ascend(r.from, r.end, (_k, ki) => fn(ki));
  }

  /** Revisions of the keys in range as of atRev: the first `limit` (0: all) and the total count. */
  revisions(r: KeyRange, atRev: number, limit: number): { hits: IndexHit[]; count: number } {
    const hits: IndexHit[] = [];
    let count = 0;
    this.visit(r, (ki) => {
      const g = ki.get(atRev);
      if (g) {
        if (limit <= 0 || hits.length < limit) hits.push({ ki, rev: g.modified });
        count++;
      }
      return true;
    });
    return { hits, count };
  }

  /** The live kvs in range right now (synchronous: they are all in memory). */
  latest(r: KeyRange, limit = 0): { kvs: KeyValue[]; count: number } {
    const kvs: KeyValue[] = [];
    let count = 0;
    this.visit(r, (ki) => {
      if (ki.latest) {
        if (limit <= 0 || kvs.length < limit) kvs.push(ki.latest);
        count++;
      }
      return true;
    });
    return { kvs, count };
  }

  /** The kv a hit points to: from memory when it is the key's live revision, else from the backend. */
  resolveSync(hit: IndexHit): KeyValue | null {
    const last = hit.ki.lastRevision();
    if (hit.ki.latest && last && last.main === hit.rev.main && last.sub === hit.rev.sub) return hit.ki.latest;
    return null;
  }

  async resolve(hits: IndexHit[]): Promise<KeyValue[]> {
    const out: Array<KeyValue | null> = hits.map((h) => this.resolveSync(h));
    const fetch = hits.filter((_h, i) => out[i] === null);
    if (fetch.length === 0) return out as KeyValue[];
    const values = await this.backend.getMany('key', fetch.map((h) => encodeRevision(h.rev)));
    let j = 0;
    return out.map((kv) => {
      if (kv) return kv;
      const h = fetch[j]!;
      const bytes = values[j++];
      if (bytes === undefined) {
        // Compaction removed it while we were reading: the read lost the race, as etcd's would.
        if (h.rev.main <= this.compactMainRev) throw mvccErrors.compacted();
        throw new Error(`mvcc: index points at revision ${revisionId(h.rev)} missing from the backend`);
      }
      return decodeKeyValue(bytes);
    });
  }

  /** The key's kv as of `rev`, or null (absent, or history compacted away). */
  async kvAt(key: Buffer, rev: number): Promise<KeyValue | null> {
    if (rev < this.compactMainRev) return null;
    const ki = this.index.get(key);
    const g = ki?.get(rev);
    if (!ki || !g) return null;
    try {
      const [kv] = await this.resolve([{ ki, rev: g.modified }]);
      return kv ?? null;
    } catch (e) {
      if (e instanceof EtcdError) return null;
      throw e;
    }
  }
}
