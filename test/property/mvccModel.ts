// A plain reference model of etcd's MVCC semantics for the property tests: every revision's full
// state is kept as a map, so nothing here shares logic with the store under test.

import type {
  Compare,
  DeleteRangeRequest,
  KeyValue,
  MvccEvent,
  PutRequest,
  RangeRequest,
  RangeResponse,
  RequestOp,
  ResponseOp,
  TxnRequest,
  TxnResponse,
} from '../../src/mvcc/types.js';

type State = Map<string, KeyValue>; // hex key -> kv

export class ModelError extends Error {}

const hex = (b: Buffer) => b.toString('hex');
const fromHex = (h: string) => Buffer.from(h, 'hex');

function inRange(keyHex: string, key: Buffer, rangeEnd: Buffer): boolean {
  const k = fromHex(keyHex);
  if (rangeEnd.length === 0) return k.equals(key);
  if (Buffer.compare(k, key) < 0) return false;
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return true;
  return Buffer.compare(k, rangeEnd) < 0;
}

function keysIn(state: State, key: Buffer, rangeEnd: Buffer): KeyValue[] {
  return [...state.entries()]
    .filter(([h]) => inRange(h, key, rangeEnd))
    .map(([, kv]) => kv)
    .sort((a, b) => Buffer.compare(a.key, b.key));
}

export class Model {
  rev = 1;
  compactRev = -1;
  states = new Map<number, State>([[1, new Map()]]);
  leases = new Set<bigint>();
  events = new Map<number, MvccEvent[]>();

  current(): State {
    return this.states.get(this.rev)!;
  }

  private fail(msg: string): never {
    throw new ModelError(msg);
  }

  // ---- range
  private rangeOn(state: State, req: RangeRequest, headerRev: number): RangeResponse {
    const all = keysIn(state, req.key, req.rangeEnd);
    const count = all.length;
    if (req.countOnly) return { header: { revision: headerRev }, kvs: [], more: false, count };
    let kvs = all.filter(
      (kv) =>
        (req.minModRevision === 0 || kv.modRevision >= req.minModRevision) &&
        (req.maxModRevision === 0 || kv.modRevision <= req.maxModRevision) &&
        (req.minCreateRevision === 0 || kv.createRevision >= req.minCreateRevision) &&
        (req.maxCreateRevision === 0 || kv.createRevision <= req.maxCreateRevision),
    );
    const field = (kv: KeyValue): number | Buffer =>
      req.sortTarget === 'KEY' ? kv.key : req.sortTarget === 'VALUE' ? kv.value
      : req.sortTarget === 'VERSION' ? kv.version : req.sortTarget === 'CREATE' ? kv.createRevision : kv.modRevision;
    const c = (a: KeyValue, b: KeyValue) => {
      const x = field(a);
      const y = field(b);
      return typeof x === 'number' ? x - (y as number) : Buffer.compare(x, y as Buffer);
    };
    const order = req.sortOrder === 'NONE' && req.sortTarget !== 'KEY' ? 'ASCEND' : req.sortOrder;
    if (order === 'ASCEND') kvs = [...kvs].sort(c);
    if (order === 'DESCEND') kvs = [...kvs].sort((a, b) => c(b, a));
    let more = false;
    if (req.limit > 0 && kvs.length > req.limit) {
      kvs = kvs.slice(0, req.limit);
      more = true;
    }
    if (req.keysOnly) kvs = kvs.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
    return { header: { revision: headerRev }, kvs, more, count };
  }

  range(req: RangeRequest): RangeResponse {
    if (req.revision > this.rev) this.fail('etcdserver: mvcc: required revision is a future revision');
    const at = req.revision <= 0 ? this.rev : req.revision;
    if (at < this.compactRev) this.fail('etcdserver: mvcc: required revision has been compacted');
    return this.rangeOn(this.states.get(at)!, req, this.rev);
  }

  // ---- writes: a working copy of the state plus the changes of the revision being built
  private checkPut(state: State, p: PutRequest): void {
    if (p.ignoreValue && p.value.length) this.fail('etcdserver: value is provided');
    if (p.ignoreLease && p.lease !== 0n) this.fail('etcdserver: lease is provided');
    if ((p.ignoreValue || p.ignoreLease) && !state.has(hex(p.key))) this.fail('etcdserver: key not found');
    if (p.lease !== 0n && !this.leases.has(p.lease)) this.fail('etcdserver: requested lease not found');
  }

  private doPut(w: State, evs: MvccEvent[], before: State, p: PutRequest): { kv: KeyValue; prev: KeyValue | null } {
    const prev = w.get(hex(p.key)) ?? null;
    if ((p.ignoreValue || p.ignoreLease) && !prev) this.fail('etcdserver: key not found');
    const rev = this.rev + 1;
    const kv: KeyValue = {
      key: Buffer.from(p.key),
      createRevision: prev ? prev.createRevision : rev,
      modRevision: rev,
      version: prev ? prev.version + 1 : 1,
      value: p.ignoreValue ? prev!.value : Buffer.from(p.value),
      lease: p.ignoreLease ? prev!.lease : p.lease,
    };
    w.set(hex(p.key), kv);
    const pre = before.get(hex(p.key)) ?? null;
    evs.push({ type: 'PUT', kv, prevKv: kv.createRevision === kv.modRevision ? null : pre });
    return { kv, prev };
  }

  private doDelete(w: State, evs: MvccEvent[], before: State, key: Buffer, rangeEnd: Buffer): KeyValue[] {
    const gone = keysIn(w, key, rangeEnd);
    for (const kv of gone) {
      w.delete(hex(kv.key));
      evs.push({
        type: 'DELETE',
        kv: { key: kv.key, createRevision: 0, modRevision: this.rev + 1, version: 0, value: Buffer.alloc(0), lease: 0n },
        prevKv: before.get(hex(kv.key)) ?? null,
      });
    }
    return gone;
  }

  private publish(w: State, evs: MvccEvent[]): void {
    if (evs.length === 0) return;
    this.rev++;
    this.states.set(this.rev, w);
    this.events.set(this.rev, evs);
  }

  put(p: PutRequest) {
    // A plain Put looks the lease up before the key (etcd's Put), a txn checks the key first (checkPut).
    if (p.ignoreValue && p.value.length) this.fail('etcdserver: value is provided');
    if (p.ignoreLease && p.lease !== 0n) this.fail('etcdserver: lease is provided');
    if (p.lease !== 0n && !this.leases.has(p.lease)) this.fail('etcdserver: requested lease not found');
    this.checkPut(this.current(), p);
    const w = new Map(this.current());
    const evs: MvccEvent[] = [];
    const { prev } = this.doPut(w, evs, this.current(), p);
    this.publish(w, evs);
    return { header: { revision: this.rev }, prevKv: p.prevKv ? prev : null };
  }

  deleteRange(d: DeleteRangeRequest) {
    const w = new Map(this.current());
    const evs: MvccEvent[] = [];
    const gone = this.doDelete(w, evs, this.current(), d.key, d.rangeEnd);
    this.publish(w, evs);
    return { header: { revision: this.rev }, deleted: gone.length, prevKvs: d.prevKv ? gone : [] };
  }

  private compareOk(state: State, c: Compare): boolean {
    const kvs = keysIn(state, c.key, c.rangeEnd);
    const one = (kv: KeyValue | null): boolean => {
      let r: number;
      const sgn = (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0);
      if (c.target === 'VALUE') {
        if (!kv) return false;
        r = Buffer.compare(kv.value, c.value);
      } else if (c.target === 'VERSION') r = sgn(kv?.version ?? 0, c.version);
      else if (c.target === 'CREATE') r = sgn(kv?.createRevision ?? 0, c.createRevision);
      else if (c.target === 'MOD') r = sgn(kv?.modRevision ?? 0, c.modRevision);
      else r = sgn(kv?.lease ?? 0n, c.lease);
      return c.result === 'EQUAL' ? r === 0 : c.result === 'NOT_EQUAL' ? r !== 0 : c.result === 'GREATER' ? r > 0 : r < 0;
    };
    return kvs.length === 0 ? one(null) : kvs.every(one);
  }

  txn(t: TxnRequest): TxnResponse {
    const start = this.current();
    const ok = new Map<TxnRequest, boolean>();
    const decide = (x: TxnRequest) => {
      const s = x.compare.every((c) => this.compareOk(start, c));
      ok.set(x, s);
      for (const op of s ? x.success : x.failure) if ('txn' in op) decide(op.txn);
    };
    decide(t);
    const check = (x: TxnRequest) => {
      for (const op of ok.get(x) ? x.success : x.failure) {
        if ('range' in op && op.range.revision !== 0) {
          if (op.range.revision > this.rev) this.fail('etcdserver: mvcc: required revision is a future revision');
          if (op.range.revision < this.compactRev) this.fail('etcdserver: mvcc: required revision has been compacted');
        }
        if ('put' in op) this.checkPut(start, op.put);
        if ('txn' in op) check(op.txn);
      }
    };
    check(t);
    const w = new Map(start);
    const evs: MvccEvent[] = [];
    const exec = (x: TxnRequest): TxnResponse => {
      const responses: ResponseOp[] = [];
      const ops: RequestOp[] = ok.get(x) ? x.success : x.failure;
      for (const op of ops) {
        const curRev = evs.length > 0 ? this.rev + 1 : this.rev;
        if ('range' in op) {
          const r = op.range;
          const state = r.revision > 0 ? this.states.get(r.revision)! : w;
          responses.push({ range: this.rangeOn(state, r, curRev) });
        } else if ('put' in op) {
          const { prev } = this.doPut(w, evs, start, op.put);
          responses.push({ put: { header: { revision: this.rev + 1 }, prevKv: op.put.prevKv ? prev : null } });
        } else if ('deleteRange' in op) {
          const d = op.deleteRange;
          const gone = this.doDelete(w, evs, start, d.key, d.rangeEnd);
          const revision = evs.length > 0 ? this.rev + 1 : this.rev;
          responses.push({ deleteRange: { header: { revision }, deleted: gone.length, prevKvs: d.prevKv ? gone : [] } });
        } else {
          responses.push({ txn: exec(op.txn) });
        }
      }
      return { header: { revision: 0 }, succeeded: ok.get(x)!, responses };
    };
    const resp = exec(t);
    this.publish(w, evs);
    resp.header.revision = this.rev;
    return resp;
  }

  compact(rev: number) {
    if (rev <= this.compactRev) this.fail('etcdserver: mvcc: required revision has been compacted');
    if (rev > this.rev) this.fail('etcdserver: mvcc: required revision is a future revision');
    this.compactRev = rev;
    return { header: { revision: this.rev } };
  }

  leaseGrant(id: bigint, ttl: number) {
    if (this.leases.has(id)) this.fail('etcdserver: lease already exists');
    this.leases.add(id);
    return { id, ttl, remainingTtl: 0 };
  }

  leaseRevoke(id: bigint) {
    if (!this.leases.has(id)) this.fail('etcdserver: requested lease not found');
    const w = new Map(this.current());
    const evs: MvccEvent[] = [];
    for (const kv of keysIn(w, Buffer.alloc(1), Buffer.alloc(1))) {
      if (kv.lease === id) this.doDelete(w, evs, this.current(), kv.key, Buffer.alloc(0));
    }
    this.leases.delete(id);
    this.publish(w, evs);
    return { revision: this.rev };
  }

  /** The keys attached to a lease: live keys whose lease field names it. */
  leaseKeys(id: bigint): string[] {
    return keysIn(this.current(), Buffer.alloc(1), Buffer.alloc(1))
      .filter((kv) => kv.lease === id)
      .map((kv) => kv.key.toString('hex'));
  }
}
