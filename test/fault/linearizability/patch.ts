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

export function patchHistory(ops: readonly EtcdOp[], options: PatchOptions): { ops: EtcdOp[]; report: PatchReport } {
  assertUniqueWrites(ops);
  const report: PatchReport = { droppedReads: 0, droppedWrites: 0, resolvedWrites: 0, stillUnknown: 0 };
  const out: EtcdOp[] = [];
  for (const op of ops) {
    if (op.output.status !== 'unknown') {
      out.push(op);
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
