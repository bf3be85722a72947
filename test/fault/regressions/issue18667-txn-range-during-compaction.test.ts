import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import type { KvView } from '../linearizability/etcdTypes.js';
import { failpointEnv, Recorder, sleep, startFaultCluster, stopClustersAfterEach } from './support.js';

// etcd #18667: a range at an old revision inside a TXN gave an inconsistent result while that
// revision was being compacted (the txn read what the compaction had half deleted instead of
// failing with "compacted"). Here ranges and one-range txns at revisions around the compact revision
// run while a slowed-down compaction deletes history; every answer must be either exactly the state
// at that revision or "required revision has been compacted" (and only below the compact revision).
describeWithReference([], () => {
  stopClustersAfterEach();

  it('ranges and txn ranges at old revisions during a compaction are exact or "compacted"', async () => {
    // Each batch of the physical compaction waits, so reads run against a half-compacted history.
    const cluster = await startFaultCluster(1, { envFor: () => failpointEnv('compactBeforeCommitBatch=sleep(400)') });
    const m = cluster.members[0]!;
    const rec = new Recorder();
    const KEYS = 8;
    const values = 'v'.repeat(100);
    // A single writer: the state at every revision follows from the acknowledged puts.
    const states: Array<Map<string, string>> = [];
    let state = new Map<string, string>();
    let firstRevision = 0;
    for (let i = 0; i < 2_400; i++) {
      const key = `/t/${i % KEYS}`;
      const value = `${i}-${values}`;
      const r = await rec.run(m.client, { type: 'put', key, value });
      if (r.status !== 'ok') throw new Error(`put ${i}: ${JSON.stringify(r)}`);
      if (firstRevision === 0) firstRevision = r.revision;
      state = new Map(state).set(key, value);
      states[r.revision] = state;
    }
    const lastRevision = firstRevision + 2_399;
    const compactAt = firstRevision + 2_000;
    const expected = (rev: number): string => JSON.stringify([...states[rev]!].sort());
    const seen = (kvs: KvView[]): string => JSON.stringify(kvs.map((kv) => [kv.key, kv.value]).sort());

    const compaction = m.client.compact(compactAt);
    const problems: string[] = [];
    let reads = 0;
    let compactedAnswers = 0;
    // A fixed number of reads (not a time window): they span the compaction's apply and its slowed
    // physical pass on a fast machine, and at least its apply on a slow one.
    const deadline = Date.now() + 60_000;
    for (let n = 0; n < 400 && Date.now() < deadline; n++) {
      const rev = compactAt - 3 + (n % 8);
      const inTxn = n % 2 === 0;
      try {
        const kvs = await m.client.rangeAt('/t/', '/t0', rev, inTxn);
        reads++;
        if (seen(kvs) !== expected(rev)) problems.push(`${inTxn ? 'txn ' : ''}range at ${rev}: ${kvs.length} keys, not the state at ${rev}`);
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        if (!/required revision has been compacted/.test(message)) throw err;
        compactedAnswers++;
        if (rev >= compactAt) problems.push(`${inTxn ? 'txn ' : ''}range at ${rev} >= compact revision ${compactAt} answered "compacted"`);
      }
      if (n % 50 === 49) await sleep(10);
    }
    await compaction;
    expect(problems.slice(0, 10)).toEqual([]);
    expect(reads).toBeGreaterThan(50);
    expect(compactedAnswers).toBeGreaterThan(0);
    // Once settled: exact at and above the compact revision, "compacted" below, alone or in a txn.
    for (const inTxn of [false, true]) {
      for (const rev of [compactAt, compactAt + 1, lastRevision]) expect(seen(await m.client.rangeAt('/t/', '/t0', rev, inTxn))).toBe(expected(rev));
      await expect(m.client.rangeAt('/t/', '/t0', compactAt - 1, inTxn)).rejects.toThrow(/compacted/);
    }
  }, 180_000);
});
