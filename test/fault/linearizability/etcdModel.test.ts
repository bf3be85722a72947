import { describe, expect, it } from 'vitest';
import { checkOperations, explainResult } from './checker.js';
import { etcdModel } from './etcdModel.js';
import { applyRequest, EtcdState } from './etcdState.js';
import type { EtcdRequest, EtcdResponse, KvView, OpResult } from './etcdTypes.js';
import { NEVER_RETURNED, type Operation } from './history.js';
import { patchHistory, sightingsFromHistory } from './patch.js';
import { simulateHistory } from './simulatedHistory.js';

type Op = Operation<EtcdRequest, EtcdResponse>;

class Recorder {
  readonly ops: Op[] = [];
  private add(clientId: number, call: number, ret: number, input: EtcdRequest, output: EtcdResponse): this {
    this.ops.push({ id: this.ops.length, clientId, input, output, call, return: ret });
    return this;
  }
  ok(c: number, call: number, ret: number, input: EtcdRequest, revision: number, result: OpResult): this {
    return this.add(c, call, ret, input, { status: 'ok', revision, result });
  }
  put(c: number, call: number, ret: number, key: string, value: string, revision: number, lease?: number): this {
    return this.ok(c, call, ret, lease === undefined ? { type: 'put', key, value } : { type: 'put', key, value, lease }, revision, { type: 'put' });
  }
  get(c: number, call: number, ret: number, key: string, revision: number, kv: KvView | null): this {
    return this.ok(c, call, ret, { type: 'range', key }, revision, { type: 'range', kvs: kv === null ? [] : [kv] });
  }
  lost(c: number, call: number, input: EtcdRequest): this {
    return this.add(c, call, NEVER_RETURNED, input, { status: 'unknown' });
  }
  error(c: number, call: number, ret: number, input: EtcdRequest, error: 'lease-not-found'): this {
    return this.add(c, call, ret, input, { status: 'error', error });
  }
}

const kv = (key: string, value: string, modRevision: number, createRevision = modRevision, version = 1, lease = 0): KvView =>
  ({ key, value, modRevision, createRevision, version, lease });
const cas = (key: string, mod: number, value: string): EtcdRequest =>
  ({ type: 'txn', compare: [{ key, target: 'mod', result: '==', operand: mod }], success: [{ type: 'put', key, value }], failure: [{ type: 'range', key }] });

const check = (ops: Op[], initialRevision = 1) => checkOperations(etcdModel({ initialRevision }), ops, { timeoutMs: 10_000 });

describe('etcd state', () => {
  it('counts revisions, versions and create revisions as etcd does', () => {
    let s = EtcdState.initial();
    const apply = (r: EtcdRequest) => {
      const a = applyRequest(s, r);
      if (!a.ok) throw new Error(a.error);
      s = a.state;
      return a;
    };
    apply({ type: 'put', key: 'a', value: '1' });
    apply({ type: 'put', key: 'a', value: '2' });
    expect(s.view('a')).toEqual(kv('a', '2', 3, 2, 2));
    expect(apply({ type: 'delete', key: 'missing' }).revision).toBe(3);
    expect(apply({ type: 'delete', key: 'a' }).revision).toBe(4);
    apply({ type: 'put', key: 'a', value: '3' });
    expect(s.view('a')).toEqual(kv('a', '3', 5, 5, 1));
    // One txn, one revision, and its read sees its own write.
    const t = apply({ type: 'txn', compare: [], success: [{ type: 'put', key: 'b', value: 'x' }, { type: 'put', key: 'c', value: 'y' }, { type: 'range', key: 'b' }], failure: [] });
    expect(t.revision).toBe(6);
    expect(t.result).toEqual({ type: 'txn', succeeded: true, results: [{ type: 'put' }, { type: 'put' }, { type: 'range', kvs: [kv('b', 'x', 6)] }] });
    // A value compare on a missing key fails; a mod compare against 0 holds.
    expect(apply({ type: 'txn', compare: [{ key: 'zz', target: 'value', result: '!=', operand: 'q' }], success: [], failure: [] }).result).toMatchObject({ succeeded: false });
    expect(apply({ type: 'txn', compare: [{ key: 'zz', target: 'mod', result: '==', operand: 0 }], success: [], failure: [] }).result).toMatchObject({ succeeded: true });
    // Leases: a revoke deletes every attached key in one revision.
    apply({ type: 'leaseGrant', id: 7, ttl: 60 });
    apply({ type: 'put', key: 'l1', value: 'a', lease: 7 });
    apply({ type: 'put', key: 'l2', value: 'b', lease: 7 });
    expect(apply({ type: 'leaseRevoke', id: 7 }).revision).toBe(9);
    expect(s.view('l1')).toBeNull();
    expect(applyRequest(s, { type: 'put', key: 'l3', value: 'c', lease: 7 })).toEqual({ ok: false, error: 'lease-not-found' });
  });
});

describe('etcd model', () => {
  it('accepts a sequential history, and one with concurrent reads seeing either side of a write', () => {
    const h = new Recorder()
      .put(0, 0, 10, 'a', '1', 2)
      .put(1, 20, 40, 'a', '2', 3)
      .get(2, 21, 25, 'a', 2, kv('a', '1', 2))
      .get(3, 22, 30, 'a', 3, kv('a', '2', 3, 2, 2))
      .get(2, 26, 35, 'a', 3, kv('a', '2', 3, 2, 2));
    expect(check(h.ops).verdict).toBe('ok');
  });

  it('rejects a stale read: an acknowledged write is not visible to a later read', () => {
    const h = new Recorder().put(0, 0, 10, 'a', '1', 2).get(1, 11, 20, 'a', 1, null);
    const result = check(h.ops);
    expect(result.verdict).toBe('illegal');
    expect(explainResult(etcdModel(), h.ops, result)).toMatch(/get\(a\) -> rev 1 \[\]/);
  });

  it('rejects a stale read that carries the current revision but an old value', () => {
    const h = new Recorder().put(0, 0, 10, 'a', '1', 2).put(0, 11, 20, 'a', '2', 3).get(1, 21, 30, 'a', 3, kv('a', '1', 2));
    expect(check(h.ops).verdict).toBe('illegal');
  });

  it('rejects a lost write: acknowledged, then gone after later writes', () => {
    const h = new Recorder()
      .put(0, 0, 10, 'a', '1', 2)
      .put(1, 11, 20, 'b', 'x', 3)
      .get(2, 21, 30, 'a', 3, null);
    expect(check(h.ops).verdict).toBe('illegal');
  });

  it('rejects a revision going backwards', () => {
    const h = new Recorder().put(0, 0, 10, 'a', '1', 2).put(0, 11, 20, 'a', '2', 3).get(1, 21, 30, 'b', 2, null);
    expect(check(h.ops).verdict).toBe('illegal');
    const twoPutsOneRevision = new Recorder().put(0, 0, 10, 'a', '1', 2).put(1, 11, 20, 'b', '2', 2);
    expect(check(twoPutsOneRevision.ops).verdict).toBe('illegal');
  });

  it('accepts a timed-out put applied once, and rejects one applied twice', () => {
    const once = new Recorder()
      .lost(0, 0, { type: 'put', key: 'a', value: 'x' })
      .get(1, 5, 10, 'a', 2, kv('a', 'x', 2))
      .put(1, 11, 20, 'a', 'y', 3);
    expect(check(once.ops).verdict).toBe('ok');
    const twice = new Recorder()
      .lost(0, 0, { type: 'put', key: 'a', value: 'x' })
      .get(1, 5, 10, 'a', 2, kv('a', 'x', 2))
      .put(1, 11, 20, 'a', 'y', 3)
      .get(1, 21, 30, 'a', 4, kv('a', 'x', 4, 2, 3));
    expect(check(twice.ops).verdict).toBe('illegal');
  });

  it('lets a timed-out write take effect, or not, but only after it was sent', () => {
    const notApplied = new Recorder().lost(0, 0, { type: 'delete', key: 'a' }).put(1, 0, 5, 'a', '1', 2).get(1, 50, 60, 'a', 2, kv('a', '1', 2));
    expect(check(notApplied.ops).verdict).toBe('ok');
    const appliedLate = new Recorder().put(1, 0, 5, 'a', '1', 2).lost(0, 6, { type: 'delete', key: 'a' }).get(1, 50, 60, 'a', 3, null);
    expect(check(appliedLate.ops).verdict).toBe('ok');
    const beforeSent = new Recorder().put(1, 0, 5, 'a', '1', 2).get(1, 6, 8, 'a', 3, null).lost(0, 9, { type: 'delete', key: 'a' });
    expect(check(beforeSent.ops).verdict).toBe('illegal');
  });

  it('rejects two compare-and-swaps that both won on the same mod revision', () => {
    const h = new Recorder()
      .put(0, 0, 10, 'a', '1', 2)
      .ok(1, 11, 30, cas('a', 2, 'p'), 3, { type: 'txn', succeeded: true, results: [{ type: 'put' }] })
      .ok(2, 12, 31, cas('a', 2, 'q'), 4, { type: 'txn', succeeded: true, results: [{ type: 'put' }] });
    expect(check(h.ops).verdict).toBe('illegal');
    const fair = new Recorder()
      .put(0, 0, 10, 'a', '1', 2)
      .ok(1, 11, 30, cas('a', 2, 'p'), 3, { type: 'txn', succeeded: true, results: [{ type: 'put' }] })
      .ok(2, 12, 31, cas('a', 2, 'q'), 3, { type: 'txn', succeeded: false, results: [{ type: 'range', kvs: [kv('a', 'p', 3, 2, 2)] }] });
    expect(check(fair.ops).verdict).toBe('ok');
  });

  it('checks leases: a revoked lease takes its keys, a put on it fails for certain', () => {
    const good = new Recorder()
      .ok(0, 0, 5, { type: 'leaseGrant', id: 5, ttl: 60 }, 1, { type: 'leaseGrant' })
      .put(0, 6, 10, 'a', '1', 2, 5)
      .ok(0, 11, 20, { type: 'leaseRevoke', id: 5 }, 3, { type: 'leaseRevoke' })
      .get(1, 21, 30, 'a', 3, null)
      .error(1, 31, 40, { type: 'put', key: 'b', value: 'z', lease: 5 }, 'lease-not-found');
    expect(check(good.ops).verdict).toBe('ok');
    const keptKey = new Recorder()
      .ok(0, 0, 5, { type: 'leaseGrant', id: 5, ttl: 60 }, 1, { type: 'leaseGrant' })
      .put(0, 6, 10, 'a', '1', 2, 5)
      .ok(0, 11, 20, { type: 'leaseRevoke', id: 5 }, 3, { type: 'leaseRevoke' })
      .get(1, 21, 30, 'a', 3, kv('a', '1', 2, 2, 1, 5));
    expect(check(keptKey.ops).verdict).toBe('illegal');
  });

  it('accepts simulated linearizable histories, with and without lost outcomes', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const ops = simulateHistory({ seed, clients: 5, operations: 150, keys: 4, unknownRate: seed % 2 === 0 ? 0.05 : 0 });
      const result = check(ops);
      if (result.verdict !== 'ok') throw new Error(`seed ${seed}: ${explainResult(etcdModel(), ops, result)}`);
    }
  });

  it('finds a single corrupted read in a simulated history', () => {
    let found = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const ops = simulateHistory({ seed, clients: 5, operations: 150, keys: 4 });
      // Make the last read that saw a key with version > 1 report the key's previous value instead.
      const victim = [...ops].reverse().find((o) => o.output.status === 'ok' && o.output.result.type === 'range' &&
        o.output.result.kvs.length === 1 && o.output.result.kvs[0]!.version > 1);
      if (victim === undefined || victim.output.status !== 'ok' || victim.output.result.type !== 'range') continue;
      const seen = victim.output.result.kvs[0]!;
      const older = ops.find((o) => o.input.type === 'put' && o.input.key === seen.key && o.output.status === 'ok' &&
        o.output.revision < seen.modRevision && o.output.revision >= seen.createRevision);
      if (older === undefined || older.input.type !== 'put' || older.output.status !== 'ok') continue;
      victim.output = { ...victim.output, result: { type: 'range', kvs: [{ ...seen, value: older.input.value, modRevision: older.output.revision, version: seen.version - 1 }] } };
      expect(check(ops).verdict, `seed ${seed}`).toBe('illegal');
      found++;
    }
    expect(found).toBeGreaterThan(5);
  });

  it('checks a 2,000-operation history of 10 clients in seconds', () => {
    const ops = simulateHistory({ seed: 42, clients: 10, operations: 2_000, keys: 10, unknownRate: 0.01 });
    const started = Date.now();
    const result = check(ops);
    expect(result.verdict).toBe('ok');
    // Not a performance assertion: the check's own 10 s budget is what bounds it; this reports.
    process.stdout.write(`2,000 ops / 10 clients: ${Date.now() - started} ms, ${result.partitions[0]!.statesExplored} states\n`);
  });
});

describe('history patching', () => {
  it('resolves seen writes, drops unseen ones when watches saw everything, and drops lost reads', () => {
    const h = new Recorder()
      .lost(0, 0, { type: 'put', key: 'a', value: 'seen' })
      .lost(1, 0, { type: 'put', key: 'a', value: 'unseen' })
      .lost(2, 0, { type: 'range', key: 'a' })
      .lost(3, 0, cas('a', 2, 'cas-seen'))
      .lost(4, 0, { type: 'delete', key: 'b' })
      .get(5, 10, 20, 'a', 3, kv('a', 'cas-seen', 3, 2, 2));
    const sightings = sightingsFromHistory(h.ops);
    sightings.set('seen', { revision: 2, seenAt: 8 });
    const { ops, report } = patchHistory(h.ops, { sightings, watchComplete: true });
    expect(report).toEqual({ droppedReads: 1, droppedWrites: 1, resolvedWrites: 2, stillUnknown: 1 });
    expect(ops.find((o) => o.input.type === 'put')).toMatchObject({ output: { status: 'ok', revision: 2 }, return: 8 });
    expect(check(ops).verdict).toBe('ok');
    const partial = patchHistory(h.ops, { sightings, watchComplete: false });
    expect(partial.report.droppedWrites).toBe(0);
  });

  it('attributes unexplained deletions to the one unknown delete or revoke that could have made them', () => {
    const h = new Recorder()
      .put(0, 0, 5, 'a', '1', 2)
      .ok(1, 0, 5, { type: 'leaseGrant', id: 9, ttl: 60 }, 2, { type: 'leaseGrant' })
      .put(1, 6, 8, 'b', '2', 3, 9)
      .lost(0, 10, { type: 'delete', key: 'a' })
      .lost(1, 10, { type: 'leaseRevoke', id: 9 })
      .lost(2, 10, { type: 'delete', key: 'c' })
      .lost(3, 10, { type: 'leaseGrant', id: 77, ttl: 60 })
      .get(2, 40, 50, 'a', 5, null)
      .get(2, 51, 52, 'b', 5, null);
    const watchEvents = [
      { type: 'PUT' as const, key: 'a', revision: 2, lease: 0, seenAt: 6 },
      { type: 'PUT' as const, key: 'b', revision: 3, lease: 9, seenAt: 9 },
      { type: 'DELETE' as const, key: 'b', revision: 4, lease: 0, seenAt: 20 },
      { type: 'DELETE' as const, key: 'a', revision: 5, lease: 0, seenAt: 30 },
    ];
    const { ops, report } = patchHistory(h.ops, { sightings: sightingsFromHistory(h.ops), watchComplete: true, watchEvents });
    expect(report).toEqual({ droppedReads: 0, droppedWrites: 2, resolvedWrites: 2, stillUnknown: 0 });
    expect(ops.find((o) => o.input.type === 'leaseRevoke')).toMatchObject({ output: { status: 'ok', revision: 4 }, return: 20 });
    expect(ops.find((o) => o.input.type === 'delete')).toMatchObject({ output: { status: 'ok', revision: 5 }, return: 30 });
    expect(check(ops).verdict).toBe('ok');
  });

  it('treats a request that never left the client as certainly not applied', () => {
    const h = new Recorder().put(0, 0, 5, 'a', '1', 2);
    h.ops.push({ id: 9, clientId: 1, call: 6, return: 7, input: { type: 'delete', key: 'a' }, output: { status: 'error', error: 'not-sent' } });
    h.get(0, 10, 20, 'a', 2, kv('a', '1', 2));
    expect(check(h.ops).verdict).toBe('ok');
  });

  it('refuses histories that write one value twice', () => {
    const h = new Recorder().put(0, 0, 1, 'a', 'v', 2).put(0, 2, 3, 'b', 'v', 3);
    expect(() => patchHistory(h.ops, { sightings: new Map(), watchComplete: false })).toThrow(/written by two operations/);
  });
});
