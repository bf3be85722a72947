import type { Compare, DefiniteError, EtcdRequest, KvView, OpResult, TxnOp } from './etcdTypes.js';

/*
 * etcd's replicated state as the client can observe it: one global revision, per key its value,
 * create/mod revision, version and lease, and the set of live leases with their keys. Immutable:
 * every write returns a new state, so the checker can keep old ones on its stack.
 */

interface StoredKv {
  value: string;
  modRevision: number;
  createRevision: number;
  version: number;
  lease: number;
}

export class EtcdState {
  private cachedKey: string | null = null;

  constructor(
    readonly revision: number,
    readonly kvs: ReadonlyMap<string, StoredKv>,
    readonly leases: ReadonlySet<number>,
  ) {
    if (!Number.isInteger(revision) || revision < 1) throw new Error(`invariant: revision ${revision}`);
  }

  static initial(revision = 1): EtcdState {
    return new EtcdState(revision, new Map(), new Set());
  }

  /** Canonical text of the whole state: equal keys, equal states. */
  get key(): string {
    if (this.cachedKey === null) {
      const keys = [...this.kvs.keys()].sort();
      const kvs = keys.map((k) => {
        const kv = this.kvs.get(k)!;
        return `${k}=${kv.value}@${kv.modRevision}/${kv.createRevision}/${kv.version}/${kv.lease}`;
      });
      this.cachedKey = `${this.revision}|${kvs.join(',')}|${[...this.leases].sort((a, b) => a - b).join(',')}`;
    }
    return this.cachedKey;
  }

  view(key: string): KvView | null {
    const kv = this.kvs.get(key);
    return kv === undefined ? null : { key, ...kv };
  }
}

export type Applied = { ok: true; state: EtcdState; revision: number; result: OpResult } | { ok: false; error: DefiniteError };

/** A write transaction at one revision: all its writes get `revision + 1`, reads see its own writes. */
class WriteTxn {
  readonly kvs: Map<string, StoredKv>;
  readonly leases: Set<number>;
  changed = false;

  constructor(private readonly base: EtcdState) {
    this.kvs = new Map(base.kvs);
    this.leases = new Set(base.leases);
  }

  get writeRevision(): number {
    return this.base.revision + 1;
  }

  get currentRevision(): number {
    return this.changed ? this.writeRevision : this.base.revision;
  }

  put(key: string, value: string, lease: number): void {
    const old = this.kvs.get(key);
    const rev = this.writeRevision;
    this.kvs.set(key, {
      value,
      modRevision: rev,
      createRevision: old === undefined ? rev : old.createRevision,
      version: old === undefined ? 1 : old.version + 1,
      lease,
    });
    this.changed = true;
  }

  delete(key: string): number {
    if (!this.kvs.has(key)) return 0;
    this.kvs.delete(key);
    this.changed = true;
    return 1;
  }

  range(key: string, rangeEnd: string | undefined): KvView[] {
    if (rangeEnd === undefined) {
      const kv = this.kvs.get(key);
      return kv === undefined ? [] : [{ key, ...kv }];
    }
    return [...this.kvs.entries()]
      .filter(([k]) => k >= key && k < rangeEnd)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, kv]) => ({ key: k, ...kv }));
  }

  finish(): EtcdState {
    return this.changed ? new EtcdState(this.writeRevision, this.kvs, this.leases) : this.base;
  }
}

function compareHolds(txn: WriteTxn, c: Compare): boolean {
  const kv = txn.kvs.get(c.key);
  // As etcd: a value compare on a missing key always fails; other targets compare against zeroes.
  if (kv === undefined && c.target === 'value') return false;
  let actual: number | string;
  switch (c.target) {
    case 'value': actual = kv!.value; break;
    case 'mod': actual = kv?.modRevision ?? 0; break;
    case 'create': actual = kv?.createRevision ?? 0; break;
    case 'version': actual = kv?.version ?? 0; break;
    case 'lease': actual = kv?.lease ?? 0; break;
  }
  if (typeof actual !== typeof c.operand) throw new Error(`invariant: compare ${c.target} with a ${typeof c.operand}`);
  switch (c.result) {
    case '==': return actual === c.operand;
    case '!=': return actual !== c.operand;
    case '<': return actual < c.operand;
    case '>': return actual > c.operand;
  }
}

function applyOp(txn: WriteTxn, op: TxnOp): OpResult | DefiniteError {
  switch (op.type) {
    case 'put': {
      const lease = op.lease ?? 0;
      if (lease !== 0 && !txn.leases.has(lease)) return 'lease-not-found';
      txn.put(op.key, op.value, lease);
      return { type: 'put' };
    }
    case 'delete':
      return { type: 'delete', deleted: txn.delete(op.key) };
    case 'range':
      return { type: 'range', kvs: txn.range(op.key, op.rangeEnd) };
  }
}

/** etcd's deterministic effect of one request on a state. */
export function applyRequest(state: EtcdState, request: EtcdRequest): Applied {
  const txn = new WriteTxn(state);
  let result: OpResult;
  switch (request.type) {
    case 'put':
    case 'delete':
    case 'range': {
      const r = applyOp(txn, request);
      if (typeof r === 'string') return { ok: false, error: r };
      result = r;
      break;
    }
    case 'txn': {
      const succeeded = request.compare.every((c) => compareHolds(txn, c));
      const results: OpResult[] = [];
      for (const op of succeeded ? request.success : request.failure) {
        const r = applyOp(txn, op);
        // etcd checks leases before applying a txn, so a failing op means the whole txn changed nothing.
        if (typeof r === 'string') return { ok: false, error: r };
        results.push(r);
      }
      result = { type: 'txn', succeeded, results };
      break;
    }
    case 'leaseGrant':
      if (txn.leases.has(request.id)) return { ok: false, error: 'lease-exists' };
      txn.leases.add(request.id);
      // A grant changes no key, so no revision; the new lease is still new state.
      return { ok: true, state: new EtcdState(state.revision, state.kvs, txn.leases), revision: state.revision, result: { type: 'leaseGrant' } };
    case 'leaseRevoke': {
      if (!txn.leases.has(request.id)) return { ok: false, error: 'lease-not-found' };
      txn.leases.delete(request.id);
      for (const [key, kv] of state.kvs) if (kv.lease === request.id) txn.delete(key);
      const after = txn.changed ? txn.finish() : new EtcdState(state.revision, state.kvs, txn.leases);
      return { ok: true, state: after, revision: after.revision, result: { type: 'leaseRevoke' } };
    }
  }
  return { ok: true, state: txn.finish(), revision: txn.currentRevision, result };
}
