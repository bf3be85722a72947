import type { EtcdRequest, EtcdResponse } from '../linearizability/etcdTypes.js';
import type { Operation } from '../linearizability/history.js';
import type { WatchStream, WatchViolation } from './types.js';

/*
 * What happened at each revision, as far as anyone saw: the union of every stream's events (which must
 * agree wherever two streams saw the same key at the same revision) and the writes the history
 * acknowledged with their revision.
 */

export interface TruthEvent {
  type: 'PUT' | 'DELETE';
  key: string;
  /** '' for a DELETE. */
  value: string;
  /** Full key-value when a watch delivered it (a history-only fact has just key, type, value). */
  fromWatch: boolean;
  createRevision?: number;
  version?: number;
  lease?: number;
}

export class Truth {
  /** revision -> key -> event */
  readonly byRevision = new Map<number, Map<string, TruthEvent>>();
  readonly violations: WatchViolation[] = [];

  constructor(streams: readonly WatchStream[], history: readonly Operation<EtcdRequest, EtcdResponse>[]) {
    for (const stream of streams) {
      for (const response of stream.responses) {
        for (const e of response.events) {
          this.add(e.kv.modRevision, {
            type: e.type, key: e.kv.key, value: e.type === 'PUT' ? e.kv.value : '', fromWatch: true,
            ...(e.type === 'PUT' ? { createRevision: e.kv.createRevision, version: e.kv.version, lease: e.kv.lease } : {}),
          }, stream.id);
        }
      }
    }
    for (const op of history) {
      if (op.output.status !== 'ok') continue;
      const revision = op.output.revision;
      const writes = op.input.type === 'put' ? [op.input]
        : op.input.type === 'txn' && op.output.result.type === 'txn'
          ? (op.output.result.succeeded ? op.input.success : op.input.failure) : [];
      for (const w of writes) {
        if (w.type === 'put') this.add(revision, { type: 'PUT', key: w.key, value: w.value, fromWatch: false }, `history op #${op.id}`);
      }
      if (op.input.type === 'delete' && op.output.result.type === 'delete' && op.output.result.deleted === 1) {
        this.add(revision, { type: 'DELETE', key: op.input.key, value: '', fromWatch: false }, `history op #${op.id}`);
      }
    }
  }

  private add(revision: number, event: TruthEvent, source: string): void {
    let atRevision = this.byRevision.get(revision);
    if (atRevision === undefined) {
      atRevision = new Map();
      this.byRevision.set(revision, atRevision);
    }
    const known = atRevision.get(event.key);
    if (known === undefined) {
      atRevision.set(event.key, event);
      return;
    }
    const agree = known.type === event.type && known.value === event.value &&
      (!known.fromWatch || !event.fromWatch ||
        (known.createRevision === event.createRevision && known.version === event.version && known.lease === event.lease));
    if (!agree) {
      this.violations.push({
        guarantee: 'consistent',
        stream: source,
        detail: `revision ${revision} key ${event.key}: ${describe(event)} vs ${describe(known)} seen elsewhere`,
      });
    } else if (event.fromWatch && !known.fromWatch) {
      atRevision.set(event.key, event);
    }
  }

  eventsAt(revision: number): ReadonlyMap<string, TruthEvent> {
    return this.byRevision.get(revision) ?? new Map();
  }

  /** The latest known event on `key` strictly before `revision`, with its revision. */
  lastBefore(key: string, revision: number): { revision: number; event: TruthEvent } | null {
    let best: { revision: number; event: TruthEvent } | null = null;
    for (const [r, events] of this.byRevision) {
      if (r >= revision) continue;
      const e = events.get(key);
      if (e !== undefined && (best === null || r > best.revision)) best = { revision: r, event: e };
    }
    return best;
  }
}

export function describe(e: TruthEvent): string {
  return e.type === 'PUT' ? `PUT ${e.key}=${e.value}` : `DELETE ${e.key}`;
}
