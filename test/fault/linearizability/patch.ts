import { NEVER_RETURNED, type Operation } from './history.js';
import type { EtcdRequest, EtcdResponse, OpResult, TxnOp } from './etcdTypes.js';

/*
 * History patching, as etcd's robustness tests do, to keep unknown outcomes from exploding the search:
 * every put writes a unique value, so a value seen anywhere (a read, a watch event) proves which write
 * happened and at which revision. An unknown write that was seen becomes a known one that returned no
 * later than when it was first seen; one never seen, when watches saw every revision of the run, did
 * not happen and is dropped. Reads with unknown outcomes say nothing and are dropped too.
 */

export interface Sighting {
  /** The revision the value was written at (its mod_revision where seen). */
  revision: number;
  /** When it was first seen, on the history's clock. */
  seenAt: number;
}

export interface PatchOptions {
  /** Values seen, by value. */
  sightings: ReadonlyMap<string, Sighting>;
  /** Watches delivered every event of the run: an unseen write did not happen. */
  watchComplete: boolean;
  /** Every event of the run (when watchComplete), to attribute deletions to unknown deletes and revokes. */
  watchEvents?: readonly PatchEvent[];
}

export interface PatchEvent {
  type: 'PUT' | 'DELETE';
  key: string;
  revision: number;
  lease: number;
  seenAt: number;
}

export interface PatchReport {
  droppedReads: number;
  droppedWrites: number;
  resolvedWrites: number;
  stillUnknown: number;
}

type EtcdOp = Operation<EtcdRequest, EtcdResponse>;

const onlyPuts = (ops: readonly TxnOp[]): boolean => ops.length > 0 && ops.every((o) => o.type === 'put');
const noWrites = (ops: readonly TxnOp[]): boolean => ops.every((o) => o.type === 'range');

/** The values an operation writes when it takes effect, if every way it can take effect writes one. */
function writtenValues(request: EtcdRequest): string[] | null {
  if (request.type === 'put') return [request.value];
  if (request.type === 'txn' && onlyPuts(request.success) && noWrites(request.failure)) {
    return request.success.map((o) => (o.type === 'put' ? o.value : ''));
  }
  return null;
}

function isRead(request: EtcdRequest): boolean {
  return request.type === 'range' || (request.type === 'txn' && noWrites(request.success) && noWrites(request.failure));
}

/** Collects every value a recorded response shows, with its mod revision and the response's time. */
export function sightingsFromHistory(ops: readonly EtcdOp[], into = new Map<string, Sighting>()): Map<string, Sighting> {
  const visit = (result: OpResult, time: number): void => {
    if (result.type === 'range') for (const kv of result.kvs) noteSighting(into, kv.value, kv.modRevision, time);
    if (result.type === 'txn') for (const r of result.results) visit(r, time);
  };
  for (const op of ops) if (op.output.status === 'ok') visit(op.output.result, op.return);
  return into;
}

export function noteSighting(into: Map<string, Sighting>, value: string, revision: number, seenAt: number): void {
  const known = into.get(value);
  if (known !== undefined && known.revision !== revision) {
    // One value written at two revisions: a put applied twice. The checker will reject the history;
    // keep the earliest sighting so it sees the conflict rather than a patched-over one.
    if (seenAt >= known.seenAt) return;
  }
  if (known === undefined || seenAt < known.seenAt) into.set(value, { revision, seenAt });
}

export function assertUniqueWrites(ops: readonly EtcdOp[]): void {
  const seen = new Set<string>();
  for (const op of ops) {
    const values = op.input.type === 'txn'
      ? [...op.input.success, ...op.input.failure].filter((o) => o.type === 'put').map((o) => (o.type === 'put' ? o.value : ''))
      : op.input.type === 'put' ? [op.input.value] : [];
    for (const v of values) {
      if (seen.has(v)) throw new Error(`history: value ${JSON.stringify(v)} written by two operations; writes must be unique`);
      seen.add(v);
    }
  }
}

/*
 * Deletions nobody acknowledged: with every event known, a revision whose DELETE events no known
 * operation explains was made by an unknown delete or revoke. When exactly one unknown operation could
 * have made it, it did (at that revision); unknown deletes and revokes that explain no deletion changed
 * no key, and since nothing uses a revoked lease again, they are dropped. Ambiguous ones stay unknown.
 */
function attributeDeletions(ops: readonly EtcdOp[], events: readonly PatchEvent[]): { resolved: Map<number, EtcdOp>; ambiguous: Set<number> } {
  const deletions = new Map<number, { keys: Set<string>; seenAt: number }>();
  const putsByKey = new Map<string, PatchEvent[]>();
  for (const e of events) {
    if (e.type === 'PUT') {
      const list = putsByKey.get(e.key) ?? [];
      list.push(e);
      putsByKey.set(e.key, list);
      continue;
    }
    const d = deletions.get(e.revision) ?? { keys: new Set<string>(), seenAt: e.seenAt };
    d.keys.add(e.key);
    d.seenAt = Math.min(d.seenAt, e.seenAt);
    deletions.set(e.revision, d);
  }
  const leaseBefore = (key: string, revision: number): number => {
    let best: PatchEvent | null = null;
    for (const p of putsByKey.get(key) ?? []) if (p.revision < revision && (best === null || p.revision > best.revision)) best = p;
    return best?.lease ?? 0;
  };
  // Only acknowledged operations that made a revision explain it (a grant, a read, a delete of nothing
  // or a revoke of a lease without keys answer with a revision someone else made).
  for (const op of ops) {
    if (op.output.status !== 'ok') continue;
    const r = op.output.revision;
    const revokedLease = op.input.type === 'leaseRevoke' ? op.input.id : null;
    const d = deletions.get(r);
    if (d === undefined) continue;
    const explains =
      (op.input.type === 'delete' && op.output.result.type === 'delete' && op.output.result.deleted > 0) ||
      op.input.type === 'put' ||
      (op.input.type === 'txn' && op.output.result.type === 'txn' && (op.output.result.succeeded ? op.input.success : op.input.failure).some((o) => o.type !== 'range')) ||
      (revokedLease !== null && [...d.keys].every((k) => leaseBefore(k, r) === revokedLease));
    if (explains) deletions.delete(r);
  }
  const unknown = ops.filter((op) => op.output.status === 'unknown' && (op.input.type === 'delete' || op.input.type === 'leaseRevoke'));
  const resolved = new Map<number, EtcdOp>();
  const ambiguous = new Set<number>();
  for (const [revision, d] of [...deletions.entries()].sort((a, b) => a[0] - b[0])) {
    const candidates = unknown.filter((op) => {
      if (op.call > d.seenAt || resolved.has(op.id)) return false;
      if (op.input.type === 'delete') return d.keys.size === 1 && d.keys.has(op.input.key);
      if (op.input.type === 'leaseRevoke') {
        const id = op.input.id;
        return [...d.keys].every((k) => leaseBefore(k, revision) === id);
      }
      return false;
    });
    if (candidates.length === 1) {
      const op = candidates[0]!;
      const result: OpResult = op.input.type === 'delete' ? { type: 'delete', deleted: 1 } : { type: 'leaseRevoke' };
      resolved.set(op.id, { ...op, output: { status: 'ok', revision, result }, return: Math.max(op.call, d.seenAt) });
    } else {
      for (const c of candidates) ambiguous.add(c.id);
    }
  }
  return { resolved, ambiguous };
}

export function patchHistory(ops: readonly EtcdOp[], options: PatchOptions): { ops: EtcdOp[]; report: PatchReport } {
  assertUniqueWrites(ops);
  const report: PatchReport = { droppedReads: 0, droppedWrites: 0, resolvedWrites: 0, stillUnknown: 0 };
  const out: EtcdOp[] = [];
  const attributed = options.watchComplete && options.watchEvents !== undefined ? attributeDeletions(ops, options.watchEvents) : null;
  const leasesUsed = new Set<number>();
  for (const op of ops) {
    if (op.input.type === 'put' && op.input.lease) leasesUsed.add(op.input.lease);
    if (op.input.type === 'leaseRevoke') leasesUsed.add(op.input.id);
  }
  for (const op of ops) {
    if (op.output.status !== 'unknown') {
      out.push(op);
      continue;
    }
    if (attributed !== null && (op.input.type === 'delete' || op.input.type === 'leaseRevoke')) {
      const resolved = attributed.resolved.get(op.id);
      if (resolved !== undefined) {
        out.push(resolved);
        report.resolvedWrites++;
      } else if (attributed.ambiguous.has(op.id)) {
        out.push(op);
        report.stillUnknown++;
      } else {
        report.droppedWrites++;
      }
      continue;
    }
    if (op.input.type === 'leaseGrant' && !leasesUsed.has(op.input.id)) {
      // A lease nobody ever uses is invisible: granted or not, no later response can differ.
      report.droppedWrites++;
      continue;
    }
    if (op.return !== NEVER_RETURNED) throw new Error(`invariant: unknown operation ${op.id} has a return time`);
    if (isRead(op.input)) {
      report.droppedReads++;
      continue;
    }
    const values = writtenValues(op.input);
    if (values === null) {
      report.stillUnknown++;
      out.push(op);
      continue;
    }
    const seen = values.map((v) => options.sightings.get(v));
    const first = seen[0];
    if (first !== undefined && seen.every((s) => s !== undefined && s.revision === first.revision)) {
      const seenAt = Math.min(...seen.map((s) => s!.seenAt));
      const result: OpResult = op.input.type === 'txn'
        ? { type: 'txn', succeeded: true, results: op.input.success.map(() => ({ type: 'put' as const })) }
        : { type: 'put' };
      out.push({ ...op, output: { status: 'ok', revision: first.revision, result }, return: Math.max(op.call, seenAt) });
      report.resolvedWrites++;
    } else if (seen.every((s) => s === undefined) && options.watchComplete) {
      report.droppedWrites++;
    } else {
      report.stillUnknown++;
      out.push(op);
    }
  }
  return { ops: out, report };
}
