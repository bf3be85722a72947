import type { EtcdRequest, EtcdResponse, KvView } from '../linearizability/etcdTypes.js';
import type { Operation } from '../linearizability/history.js';
import { describe, Truth } from './truth.js';
import { inRange, type WatchEvent, type WatchStream, type WatchViolation } from './types.js';

/*
 * etcd's watch guarantees (api_guarantees.md and the robustness tests' validators), checked over
 * recorded streams and the recorded operation history:
 *  ordered      event revisions never go down within a stream
 *  unique       a (revision, key) is delivered at most once per stream
 *  atomic       every event of one revision arrives in one response, all of them
 *  bookmarkable a progress notification at P never goes back, and is never followed by an event <= P
 *  resumable    a watch from revision r starts with the first matching event at or after r
 *  reliable     no matching event is missing between a stream's start and the last revision it vouched for
 *  consistent   every stream (and the history) agrees on what happened at a revision
 *  prevKv       prev_kv is the key's previous version; isCreate: version 1 iff created at this revision
 *  matchesHistory each event is a write some operation made (not before it was sent; at its revision)
 */

export interface WatchValidationOptions {
  /** Every write of the run falls in this range: a stream covering it must see an event at every revision. */
  allWritesWithin?: { key: string; rangeEnd?: string };
  /** The revision before the first write of the run. */
  initialRevision?: number;
  /** Violations to keep (the first ones). */
  limit?: number;
}

export interface WatchValidationResult {
  violations: WatchViolation[];
  streams: number;
  events: number;
  progressNotifications: number;
}

type Op = Operation<EtcdRequest, EtcdResponse>;

function covers(outer: { key: string; rangeEnd?: string }, inner: { key: string; rangeEnd?: string }): boolean {
  if (outer.rangeEnd === undefined) return inner.rangeEnd === undefined && inner.key === outer.key;
  if (!inRange(outer, inner.key)) return false;
  if (inner.rangeEnd === undefined) return true;
  if (outer.rangeEnd === '\0') return true;
  return inner.rangeEnd !== '\0' && inner.rangeEnd <= outer.rangeEnd;
}

interface WriteOrigin {
  op: Op;
  key: string;
}

function writesByValue(history: readonly Op[]): Map<string, WriteOrigin> {
  const out = new Map<string, WriteOrigin>();
  for (const op of history) {
    const ops = op.input.type === 'txn' ? [...op.input.success, ...op.input.failure] : [op.input];
    for (const o of ops) if (o.type === 'put') out.set(o.value, { op, key: o.key });
  }
  return out;
}

function sameKv(a: KvView, b: KvView): boolean {
  return a.key === b.key && a.value === b.value && a.modRevision === b.modRevision &&
    a.createRevision === b.createRevision && a.version === b.version && a.lease === b.lease;
}

export function validateWatches(streams: readonly WatchStream[], history: readonly Op[], options: WatchValidationOptions = {}): WatchValidationResult {
  const truth = new Truth(streams, history);
  const violations: WatchViolation[] = [...truth.violations];
  const limit = options.limit ?? 100;
  const writes = writesByValue(history);
  let events = 0;
  let progressNotifications = 0;

  for (const stream of streams) {
    const bad = (guarantee: WatchViolation['guarantee'], detail: string): void => {
      if (violations.length < limit) violations.push({ guarantee, stream: stream.id, detail });
    };
    const seen = new Set<string>();
    const revisionsDelivered = new Map<number, number>(); // revision -> index of the response carrying it
    let lastEventRevision = 0;
    let lastProgress = 0;
    let createdAt: number | null = null;
    let firstEvent: WatchEvent | null = null;

    stream.responses.forEach((response, index) => {
      if (response.created) createdAt ??= response.headerRevision;
      if (response.progressNotify) {
        progressNotifications++;
        if (response.headerRevision < lastProgress) bad('bookmarkable', `progress notification went back from ${lastProgress} to ${response.headerRevision}`);
        if (response.headerRevision < lastEventRevision) bad('bookmarkable', `progress notification at ${response.headerRevision} after an event at ${lastEventRevision}`);
        lastProgress = Math.max(lastProgress, response.headerRevision);
      }
      for (const event of response.events) {
        events++;
        firstEvent ??= event;
        const rev = event.kv.modRevision;
        if (!inRange(stream.request, event.kv.key)) bad('matchesHistory', `event on ${event.kv.key} outside the watched range`);
        if (rev > response.headerRevision) bad('header', `event at ${rev} in a response whose header says ${response.headerRevision}`);
        if (rev < lastEventRevision) bad('ordered', `event at ${rev} after one at ${lastEventRevision}`);
        if (rev <= lastProgress) bad('bookmarkable', `event at ${rev} after a progress notification at ${lastProgress}`);
        if (stream.request.startRevision > 0 && rev < stream.request.startRevision) {
          bad('resumable', `event at ${rev} on a watch from ${stream.request.startRevision}`);
        }
        const id = `${rev}/${event.kv.key}`;
        if (seen.has(id)) bad('unique', `event ${id} delivered twice`);
        seen.add(id);
        const carrier = revisionsDelivered.get(rev);
        if (carrier !== undefined && carrier !== index) bad('atomic', `revision ${rev} split across responses ${carrier} and ${index}`);
        revisionsDelivered.set(rev, index);
        lastEventRevision = Math.max(lastEventRevision, rev);
        checkEventShape(event, stream.request.prevKv, truth, bad);
        checkAgainstHistory(event, response.receivedAt, writes, history, bad);
      }
    });

    // What this stream vouched for: from its start up to its last event or progress notification.
    const from = stream.request.startRevision > 0 ? stream.request.startRevision : createdAt === null ? null : createdAt + 1;
    const to = Math.max(lastEventRevision, lastProgress);
    if (from === null) {
      if (stream.responses.some((r) => r.events.length > 0)) bad('resumable', 'events arrived on a watch from "now" that never said it was created');
      continue;
    }
    if (firstEvent !== null && stream.request.startRevision > 0) {
      const first: WatchEvent = firstEvent;
      for (let r = from; r < first.kv.modRevision; r++) {
        for (const e of truth.eventsAt(r).values()) {
          if (inRange(stream.request, e.key)) bad('resumable', `watch from ${from} began at ${first.kv.modRevision}, skipping ${describe(e)} at ${r}`);
        }
      }
    }
    const full = options.allWritesWithin !== undefined && covers(stream.request, options.allWritesWithin);
    for (let r = Math.max(from, (options.initialRevision ?? 0) + 1); r <= to; r++) {
      const expected = [...truth.eventsAt(r).values()].filter((e) => inRange(stream.request, e.key));
      if (full && expected.length === 0 && !revisionsDelivered.has(r)) {
        bad('reliable', `no event at revision ${r}, which some write made, on a watch of the whole keyspace`);
        continue;
      }
      for (const e of expected) {
        if (!seen.has(`${r}/${e.key}`)) bad(revisionsDelivered.has(r) ? 'atomic' : 'reliable', `missing ${describe(e)} at revision ${r} (stream covered ${from}..${to})`);
      }
    }
  }
  return { violations, streams: streams.length, events, progressNotifications };
}

function checkEventShape(
  event: WatchEvent,
  wantPrevKv: boolean,
  truth: Truth,
  bad: (g: WatchViolation['guarantee'], detail: string) => void,
): void {
  const kv = event.kv;
  const at = `${event.type} ${kv.key} at ${kv.modRevision}`;
  if (event.type === 'PUT' && (kv.version === 1) !== (kv.createRevision === kv.modRevision)) {
    bad('isCreate', `${at}: version ${kv.version} but created at ${kv.createRevision}`);
  }
  if (!wantPrevKv) {
    if (event.prevKv) bad('prevKv', `${at}: prev_kv sent to a watch that did not ask for it`);
    return;
  }
  const prev = event.prevKv ?? null;
  const previous = truth.lastBefore(kv.key, kv.modRevision);
  if (prev === null) {
    if (event.type === 'DELETE') bad('prevKv', `${at}: no prev_kv on a delete`);
    else if (kv.version > 1) bad('prevKv', `${at}: no prev_kv though the key is at version ${kv.version}`);
    else if (previous !== null && previous.event.type === 'PUT') bad('prevKv', `${at}: no prev_kv though ${describe(previous.event)} at ${previous.revision}`);
    return;
  }
  if (prev.key !== kv.key || prev.modRevision >= kv.modRevision) {
    bad('prevKv', `${at}: prev_kv ${prev.key}@${prev.modRevision} is not an earlier version of this key`);
    return;
  }
  if (event.type === 'PUT' && kv.version === 1) bad('prevKv', `${at}: a created key has prev_kv ${prev.value}@${prev.modRevision}`);
  if (event.type === 'PUT' && kv.version > 1 && (prev.version !== kv.version - 1 || prev.createRevision !== kv.createRevision)) {
    bad('prevKv', `${at}: prev_kv version ${prev.version}/created ${prev.createRevision} does not precede version ${kv.version}/created ${kv.createRevision}`);
  }
  if (previous !== null) {
    if (previous.revision > prev.modRevision) {
      bad('prevKv', `${at}: prev_kv is from ${prev.modRevision} but ${describe(previous.event)} happened at ${previous.revision}`);
    } else if (previous.revision === prev.modRevision && (previous.event.type !== 'PUT' || previous.event.value !== prev.value)) {
      bad('prevKv', `${at}: prev_kv ${prev.value}@${prev.modRevision} but ${describe(previous.event)} happened then`);
    }
  }
  const sameRevision = truth.eventsAt(prev.modRevision).get(prev.key);
  if (sameRevision?.fromWatch && sameRevision.type === 'PUT') {
    const expected: KvView = { key: prev.key, value: sameRevision.value, modRevision: prev.modRevision, createRevision: sameRevision.createRevision!, version: sameRevision.version!, lease: sameRevision.lease! };
    if (!sameKv(expected, prev)) bad('prevKv', `${at}: prev_kv ${JSON.stringify(prev)} differs from the event at ${prev.modRevision}`);
  }
}

function checkAgainstHistory(
  event: WatchEvent,
  receivedAt: number,
  writes: ReadonlyMap<string, WriteOrigin>,
  history: readonly Op[],
  bad: (g: WatchViolation['guarantee'], detail: string) => void,
): void {
  if (history.length === 0) return;
  const kv = event.kv;
  if (event.type === 'PUT') {
    const origin = writes.get(kv.value);
    if (origin === undefined || origin.key !== kv.key) {
      bad('matchesHistory', `PUT ${kv.key}=${kv.value} at ${kv.modRevision}: no operation wrote it`);
      return;
    }
    if (origin.op.call > receivedAt) bad('matchesHistory', `PUT ${kv.key}=${kv.value} seen at ${receivedAt}, before op #${origin.op.id} was sent at ${origin.op.call}`);
    const out = origin.op.output;
    if (out.status === 'ok' && out.revision !== kv.modRevision) {
      bad('matchesHistory', `PUT ${kv.key}=${kv.value} at ${kv.modRevision}, but op #${origin.op.id} was acknowledged at ${out.revision}`);
    }
    if (out.status === 'error') bad('matchesHistory', `PUT ${kv.key}=${kv.value} at ${kv.modRevision} from op #${origin.op.id}, which failed for certain`);
    return;
  }
  const couldDelete = history.some((op) => op.call <= receivedAt && (
    (op.input.type === 'delete' && op.input.key === kv.key) || op.input.type === 'leaseRevoke' ||
    (op.input.type === 'txn' && [...op.input.success, ...op.input.failure].some((o) => o.type === 'delete' && o.key === kv.key))));
  if (!couldDelete) bad('matchesHistory', `DELETE ${kv.key} at ${kv.modRevision}: no operation sent before it could delete it`);
}
