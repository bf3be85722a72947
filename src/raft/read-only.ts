// Linearizable reads (Raft thesis §6.4): a read request is stamped with the commit index, then
// answered once a quorum acknowledges a heartbeat carrying its context. Acknowledging a later
// request's heartbeat also confirms every earlier request, so concurrent reads share rounds.
import { type Message, type NodeId, bytesKey, invariant } from './types.js';

interface ReadIndexStatus {
  req: Message;
  index: number;
  acks: Set<NodeId>;
}

export class ReadOnly {
  private pending = new Map<string, ReadIndexStatus>();
  private queue: string[] = [];

  /** Stamps a read request (identified by its context, entries[0].data) with the commit index. */
  addRequest(index: number, req: Message): void {
    const ctx = req.entries[0];
    invariant(ctx !== undefined, 'read index request without context entry');
    const key = bytesKey(ctx.data);
    if (this.pending.has(key)) return;
    this.pending.set(key, { req, index, acks: new Set() });
    this.queue.push(key);
  }

  /** Records an acknowledgement of the heartbeat carrying `context`; returns who acknowledged it. */
  recvAck(id: NodeId, context: Uint8Array): ReadonlySet<NodeId> | undefined {
    const rs = this.pending.get(bytesKey(context));
    if (!rs) return undefined;
    rs.acks.add(id);
    return rs.acks;
  }

  /** Releases the request with `context` and every request queued before it. */
  advance(context: Uint8Array): { req: Message; index: number }[] {
    const key = bytesKey(context);
    const at = this.queue.indexOf(key);
    if (at < 0) return [];
    const released: { req: Message; index: number }[] = [];
    for (let i = 0; i <= at; i++) {
      const k = this.queue[i] as string;
      const rs = this.pending.get(k);
      invariant(rs !== undefined, 'read index queue and pending map disagree');
      released.push({ req: rs.req, index: rs.index });
      this.pending.delete(k);
    }
    this.queue = this.queue.slice(at + 1);
    return released;
  }

  lastPendingRequestCtx(): string | undefined {
    return this.queue.length > 0 ? this.queue[this.queue.length - 1] : undefined;
  }

  pendingCount(): number {
    return this.queue.length;
  }
}

export function keyBytes(key: string): Uint8Array {
  const b = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) b[i] = key.charCodeAt(i);
  return b;
}
