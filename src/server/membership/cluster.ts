// The cluster's membership as replicated state: members and removed member IDs live in the store's
// `members` and `members_removed` buckets, changed only by applied conf-change entries, in the same
// commit as the entry, so every member agrees on it and a restart or a snapshot restores it.
import type { Backend } from '../../mvcc/backend.js';

export interface MemberRecord {
  id: bigint;
  name: string;
  peerUrls: string[];
  clientUrls: string[];
  isLearner: boolean;
}

interface StoredMember {
  id: string;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

const idKey = (id: bigint): Buffer => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(id);
  return b;
};

export class ClusterMembership {
  private readonly members = new Map<bigint, MemberRecord>();
  private readonly removed = new Set<bigint>();

  private constructor(private readonly backend: Backend) {}

  static async load(backend: Backend): Promise<ClusterMembership> {
    const c = new ClusterMembership(backend);
    for (const [bucket, fn] of [
      ['members', (k: Buffer, v: Buffer) => c.members.set(k.readBigUInt64BE(0), fromStored(JSON.parse(v.toString()) as StoredMember))],
      ['members_removed', (k: Buffer) => c.removed.add(k.readBigUInt64BE(0))],
    ] as const) {
      const cursor = backend.scan(bucket, Buffer.alloc(0), null);
      try {
        for (let page = await cursor.next(256); page.length > 0; page = await cursor.next(256)) {
          for (const e of page) fn(e.key, e.value);
        }
      } finally {
        await cursor.close();
      }
    }
    return c;
  }

  list(): MemberRecord[] {
    return [...this.members.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  get(id: bigint): MemberRecord | undefined {
    return this.members.get(id);
  }

  isRemoved(id: bigint): boolean {
    return this.removed.has(id);
  }

  /** Adds or replaces a member (applied AddNode / AddLearnerNode / UpdateNode / promote). */
  put(m: MemberRecord): void {
    if (this.removed.has(m.id)) throw new Error(`invariant: member ${m.id.toString(16)} was removed and cannot come back`);
    this.members.set(m.id, m);
    this.backend.put('members', idKey(m.id), Buffer.from(JSON.stringify(toStored(m))));
  }

  remove(id: bigint): void {
    this.members.delete(id);
    this.removed.add(id);
    this.backend.delete('members', idKey(id));
    this.backend.put('members_removed', idKey(id), Buffer.from('removed'));
  }

  /** Updates what a member publishes about itself (name, client URLs) — etcd's member attributes. */
  setAttributes(id: bigint, name: string, clientUrls: string[]): void {
    const m = this.members.get(id);
    if (!m) return;
    this.put({ ...m, name, clientUrls });
  }
}

function toStored(m: MemberRecord): StoredMember {
  return { id: m.id.toString(), name: m.name, peerURLs: m.peerUrls, clientURLs: m.clientUrls, isLearner: m.isLearner };
}

function fromStored(s: StoredMember): MemberRecord {
  return { id: BigInt(s.id), name: s.name, peerUrls: s.peerURLs, clientUrls: s.clientURLs, isLearner: s.isLearner };
}

/** What a conf change entry carries in its context: the member it concerns and the request waiting on it. */
export interface ConfChangeContext {
  requestId: string;
  member: StoredMember | null;
  promote?: boolean;
}

export function encodeConfChangeContext(requestId: bigint, member: MemberRecord | null, promote = false): Uint8Array {
  const ctx: ConfChangeContext = { requestId: requestId.toString(), member: member ? toStored(member) : null, ...(promote ? { promote } : {}) };
  return Buffer.from(JSON.stringify(ctx));
}

export function decodeConfChangeContext(data: Uint8Array): { requestId: bigint; member: MemberRecord | null; promote: boolean } {
  if (data.length === 0) return { requestId: 0n, member: null, promote: false };
  const ctx = JSON.parse(Buffer.from(data).toString()) as ConfChangeContext;
  return { requestId: BigInt(ctx.requestId), member: ctx.member ? fromStored(ctx.member) : null, promote: ctx.promote === true };
}
