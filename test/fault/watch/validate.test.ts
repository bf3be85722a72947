import { describe, expect, it } from 'vitest';
import type { EtcdRequest, EtcdResponse, KvView } from '../linearizability/etcdTypes.js';
import type { Operation } from '../linearizability/history.js';
import type { WatchEvent, WatchResponseRecord, WatchStream } from './types.js';
import { validateWatches } from './validate.js';

type Op = Operation<EtcdRequest, EtcdResponse>;

// The run every test below starts from: five revisions of writes on a and b, then a txn writing both.
const history: Op[] = [
  { id: 0, clientId: 0, call: 1, return: 2, input: { type: 'put', key: 'a', value: 'a1' }, output: { status: 'ok', revision: 2, result: { type: 'put' } } },
  { id: 1, clientId: 1, call: 3, return: 4, input: { type: 'put', key: 'b', value: 'b1' }, output: { status: 'ok', revision: 3, result: { type: 'put' } } },
  { id: 2, clientId: 0, call: 5, return: 6, input: { type: 'put', key: 'a', value: 'a2' }, output: { status: 'ok', revision: 4, result: { type: 'put' } } },
  { id: 3, clientId: 1, call: 7, return: 8, input: { type: 'delete', key: 'a' }, output: { status: 'ok', revision: 5, result: { type: 'delete', deleted: 1 } } },
  {
    id: 4, clientId: 0, call: 9, return: 10,
    input: { type: 'txn', compare: [], success: [{ type: 'put', key: 'a', value: 'a3' }, { type: 'put', key: 'b', value: 'b2' }], failure: [] },
    output: { status: 'ok', revision: 6, result: { type: 'txn', succeeded: true, results: [{ type: 'put' }, { type: 'put' }] } },
  },
];

const kv = (key: string, value: string, mod: number, create: number, version: number): KvView =>
  ({ key, value, modRevision: mod, createRevision: create, version, lease: 0 });
const put = (k: KvView, prev: KvView | null): WatchEvent => ({ type: 'PUT', kv: k, prevKv: prev });
const del = (key: string, rev: number, prev: KvView): WatchEvent => ({ type: 'DELETE', kv: kv(key, '', rev, 0, 0), prevKv: prev });

const a1 = kv('a', 'a1', 2, 2, 1);
const b1 = kv('b', 'b1', 3, 3, 1);
const a2 = kv('a', 'a2', 4, 2, 2);
const a3 = kv('a', 'a3', 6, 6, 1);
const b2 = kv('b', 'b2', 6, 3, 2);
const eventsByRevision: Record<number, WatchEvent[]> = {
  2: [put(a1, null)],
  3: [put(b1, null)],
  4: [put(a2, a1)],
  5: [del('a', 5, a2)],
  6: [put(a3, null), put(b2, b1)],
};

const response = (revision: number, events: WatchEvent[], extra: Partial<WatchResponseRecord> = {}): WatchResponseRecord =>
  ({ receivedAt: 20 + revision, headerRevision: revision, events, ...extra });

/** A stream over [key, rangeEnd) from `start`, one response per revision, ending with a progress notification. */
function goodStream(id: string, start = 1, prevKv = true, key = 'a', end: string | null = 'c'): WatchStream {
  const rangeEnd = end ?? undefined;
  const responses: WatchResponseRecord[] = [response(1, [], { created: true })];
  for (let r = Math.max(2, start); r <= 6; r++) {
    const events = eventsByRevision[r]!
      .filter((e) => (rangeEnd === undefined ? e.kv.key === key : e.kv.key >= key && e.kv.key < rangeEnd))
      .map((e) => (prevKv ? e : { type: e.type, kv: e.kv }));
    if (events.length > 0) responses.push(response(r, events));
  }
  responses.push(response(6, [], { progressNotify: true }));
  return { id, request: { key, ...(rangeEnd === undefined ? {} : { rangeEnd }), startRevision: start, prevKv }, responses };
}

const guarantees = (streams: WatchStream[]) =>
  validateWatches(streams, history, { allWritesWithin: { key: 'a', rangeEnd: 'c' }, initialRevision: 1 }).violations.map((v) => v.guarantee);

describe('watch validators', () => {
  it('accept good streams: whole range, one key, resumed from a revision, without prev_kv', () => {
    const result = validateWatches([goodStream('all'), goodStream('a-only', 1, true, 'a', null), goodStream('from4', 4), goodStream('plain', 1, false)], history,
      { allWritesWithin: { key: 'a', rangeEnd: 'c' }, initialRevision: 1 });
    expect(result.violations).toEqual([]);
    expect(result.events).toBe(6 + 4 + 4 + 6);
    expect(result.progressNotifications).toBe(4);
  });

  it('ordered: events going back', () => {
    const s = goodStream('s');
    [s.responses[2], s.responses[3]] = [s.responses[3]!, s.responses[2]!];
    expect(guarantees([s])).toContain('ordered');
  });

  it('unique: an event delivered twice', () => {
    const s = goodStream('s');
    s.responses.splice(3, 0, s.responses[3]!);
    expect(guarantees([s])).toContain('unique');
  });

  it('atomic: one revision split across two responses, or delivered in part', () => {
    const split = goodStream('split');
    const last = split.responses.findIndex((r) => r.events.length === 2);
    const [first, second] = split.responses[last]!.events;
    split.responses.splice(last, 1, response(6, [first!]), response(6, [second!]));
    expect(guarantees([split])).toContain('atomic');
    const partial = goodStream('partial');
    partial.responses[last] = response(6, [first!]);
    expect(guarantees([partial, goodStream('other')])).toEqual(['atomic']);
  });

  it('reliable: a gap, found against another stream, the history, or the whole-keyspace rule', () => {
    const s = goodStream('s');
    s.responses.splice(3, 1); // revision 4
    expect(guarantees([s])).toContain('reliable');
    expect(validateWatches([s], [], { allWritesWithin: { key: 'a', rangeEnd: 'c' } }).violations.map((v) => v.guarantee)).toContain('reliable');
    expect(validateWatches([s, goodStream('t')], [], {}).violations.map((v) => v.guarantee)).toContain('reliable');
  });

  it('resumable: a watch from revision 4 that starts later, or earlier', () => {
    const late = goodStream('late', 4);
    late.responses.splice(1, 1);
    expect(guarantees([late])).toContain('resumable');
    const early = goodStream('early', 4);
    early.responses.splice(1, 0, response(3, [put(b1, null)]));
    expect(guarantees([early])).toContain('resumable');
  });

  it('bookmarkable: an event at or below a progress notification, and notifications going back', () => {
    const after = goodStream('after');
    after.responses.splice(3, 0, response(4, [], { progressNotify: true }));
    expect(guarantees([after])).toContain('bookmarkable');
    const back = goodStream('back');
    back.responses.push(response(5, [], { progressNotify: true }));
    expect(guarantees([back])).toContain('bookmarkable');
  });

  it('prev_kv and isCreate: wrong previous versions, missing prev_kv, a bad created flag', () => {
    const wrongPrev = goodStream('wrong');
    wrongPrev.responses[3] = response(4, [put(a2, { ...a1, value: 'zz' })]);
    expect(guarantees([wrongPrev])).toContain('prevKv');
    const missing = goodStream('missing');
    missing.responses[4] = response(5, [{ type: 'DELETE', kv: kv('a', '', 5, 0, 0), prevKv: null }]);
    expect(guarantees([missing])).toContain('prevKv');
    const tooOld = goodStream('old');
    tooOld.responses[3] = response(4, [put(a2, kv('a', 'a0', 1, 1, 1))]);
    expect(guarantees([tooOld])).toContain('prevKv');
    const created = goodStream('created');
    created.responses[3] = response(4, [put(kv('a', 'a2', 4, 2, 1), a1)]);
    expect(guarantees([created])).toContain('isCreate');
  });

  it('consistent and matchesHistory: streams disagreeing, events no one wrote or at the wrong revision', () => {
    const other = goodStream('other');
    other.responses[3] = response(4, [put(kv('a', 'b1', 4, 2, 2), a1)]);
    expect(guarantees([goodStream('s'), other])).toContain('consistent');
    const phantom = goodStream('phantom');
    phantom.responses[2] = response(3, [put(kv('b', 'ghost', 3, 3, 1), null)]);
    expect(guarantees([phantom])).toContain('matchesHistory');
    const early = goodStream('early');
    early.responses[1] = { ...early.responses[1]!, receivedAt: 0 };
    expect(guarantees([early])).toContain('matchesHistory');
  });

  it('header: an event newer than its response header', () => {
    const s = goodStream('s');
    s.responses[1] = { ...s.responses[1]!, headerRevision: 1 };
    expect(guarantees([s])).toContain('header');
  });
});
