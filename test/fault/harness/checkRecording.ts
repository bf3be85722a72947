import { checkOperations, explainResult, type CheckVerdict } from '../linearizability/checker.js';
import { etcdModel } from '../linearizability/etcdModel.js';
import type { EtcdRequest, EtcdResponse } from '../linearizability/etcdTypes.js';
import type { Operation } from '../linearizability/history.js';
import { noteSighting, type PatchEvent, patchHistory, type PatchReport, sightingsFromHistory } from '../linearizability/patch.js';
import type { WatchStream, WatchViolation } from '../watch/types.js';
import { validateWatches } from '../watch/validate.js';

/*
 * A run's recording (everything needed to check it again, offline) and its check: patch the history
 * with what reads and watches saw, check linearizability against the etcd model, validate the watches.
 */

export interface Recording {
  version: 1;
  seed: number;
  members: number;
  initialRevision: number;
  finalRevision: number;
  /** The catch-up watch saw every revision up to finalRevision. */
  watchComplete: boolean;
  keyPrefix: string;
  prefixEnd: string;
  history: Operation<EtcdRequest, EtcdResponse>[];
  streams: WatchStream[];
  faults: unknown[];
  /** Keys outside keyPrefix found at the end: another process wrote into this cluster (a port
   * collision on a shared machine), so the history is not the cluster's whole story and the run is void. */
  foreignKeys: string[];
  /** Each member's HashKV at finalRevision after recovery (null: it could not answer). */
  memberHashes: Array<{ name: string; hash: number | null }>;
}

export interface RecordingCheck {
  linearizable: CheckVerdict;
  operations: number;
  checkedOperations: number;
  patch: PatchReport;
  watch: { violations: WatchViolation[]; streams: number; events: number; progressNotifications: number };
  /** Human-readable account of every problem; empty when the run is clean. */
  problems: string[];
  /** Another process wrote into the cluster: nothing can be concluded about capstan. */
  void: boolean;
  checkMs: number;
}

export function checkRecording(rec: Recording, timeoutMs = 120_000): RecordingCheck {
  const started = Date.now();
  if (rec.foreignKeys.length > 0) {
    return {
      linearizable: 'unknown', operations: rec.history.length, checkedOperations: 0,
      patch: { droppedReads: 0, droppedWrites: 0, resolvedWrites: 0, stillUnknown: 0 },
      watch: { violations: [], streams: rec.streams.length, events: 0, progressNotifications: 0 },
      problems: [`void run: another process wrote into this cluster (${rec.foreignKeys.length} foreign keys, e.g. ` +
        `${rec.foreignKeys.slice(0, 3).join(', ')}): a port collision on a shared machine, not a verdict on capstan`],
      void: true,
      checkMs: Date.now() - started,
    };
  }
  const sightings = sightingsFromHistory(rec.history);
  const events = new Map<string, PatchEvent>();
  for (const s of rec.streams) {
    for (const r of s.responses) {
      for (const e of r.events) {
        if (e.type === 'PUT') noteSighting(sightings, e.kv.value, e.kv.modRevision, r.receivedAt);
        const id = `${e.kv.modRevision}/${e.kv.key}`;
        const known = events.get(id);
        if (known === undefined || r.receivedAt < known.seenAt) {
          events.set(id, { type: e.type, key: e.kv.key, revision: e.kv.modRevision, lease: e.kv.lease, seenAt: r.receivedAt });
        }
      }
    }
  }
  const { ops, report } = patchHistory(rec.history, { sightings, watchComplete: rec.watchComplete, watchEvents: [...events.values()] });
  const model = etcdModel({ initialRevision: rec.initialRevision });
  const result = checkOperations(model, ops, { timeoutMs });
  const watch = validateWatches(rec.streams, rec.history, {
    allWritesWithin: { key: rec.keyPrefix, rangeEnd: rec.prefixEnd },
    initialRevision: rec.initialRevision,
  });
  const problems: string[] = [];
  if (result.verdict === 'illegal') problems.push(`not linearizable:\n${explainResult(model, ops, result)}`);
  for (const v of watch.violations) problems.push(`watch ${v.guarantee} (${v.stream}): ${v.detail}`);
  const hashes = new Set(rec.memberHashes.filter((m) => m.hash !== null).map((m) => m.hash));
  if (hashes.size > 1) {
    problems.push(`members diverge: HashKV at ${rec.finalRevision}: ${rec.memberHashes.map((m) => `${m.name}=${String(m.hash)}`).join(', ')}`);
  }
  return {
    linearizable: result.verdict,
    operations: rec.history.length,
    checkedOperations: ops.length,
    patch: report,
    watch,
    problems,
    void: false,
    checkMs: Date.now() - started,
  };
}
