// A follower's ReadIndex request travels to the leader and its answer back over the peer transport,
// which drops messages when a peer's queue is full or its connection breaks. A lost one must not hold
// linearizable reads until the request timeout: like etcd (readIndexRetryTime), the round asks again
// every 500 ms under a fresh context, and an answer to any of its contexts serves it.

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfChangeType, encodeConfChange, EntryType, makeMessage, MessageType, type Entry, type Message } from '../../../src/raft/index.js';
import { RaftLog } from '../../../src/server/log/raftLog.js';
import { createNopLogger } from '../../../src/server/logger.js';
import { Wal } from '../../../src/server/wal/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const founding = (ids: readonly bigint[]): Entry[] =>
  ids.map((nodeId, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.EntryConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context: new Uint8Array(0) }),
  }));

const until = async (what: () => boolean, ms: number): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('RaftLog ReadIndex rounds', () => {
  it('ask the leader again when a request or its answer is lost', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-read-retry-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const opened = await Wal.open(path.join(dir, 'wal'));
    cleanups.push(() => opened.wal.close());
    const sent: Message[] = [];
    const log = new RaftLog({
      id: 1n,
      wal: opened.wal,
      walRecords: opened.records,
      walFirstRecordSeq: opened.firstRecordSeq,
      maxWals: 5,
      storeApplied: 0,
      storeTerm: 0,
      bootstrap: founding([1n, 2n, 3n]),
      heartbeatMs: 100,
      // Long enough that this follower never campaigns during the test.
      electionTimeoutMs: 60_000,
      preVote: true,
      snapshotCount: 10_000,
      snapshotCatchupEntries: 5_000,
      requestTimeoutMs: 30_000,
      sender: { send: (ms) => sent.push(...ms), sendSnapshot: (_m, _d, done) => done(false) },
      snapshots: {
        exportState: async () => ({ data: new Uint8Array(0), index: 0, term: 0 }),
        installState: async () => {},
        appliedIndex: () => 3,
        persist: async () => {},
      },
      logger: createNopLogger(),
      onFatal: (e) => {
        throw e;
      },
    });
    cleanups.push(() => log.stop());
    await log.start(async () => {});
    log.step(makeMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 2, commit: 3 }), null);
    await until(() => log.leaderId === 2n, 2_000);

    const started = Date.now();
    const read = log.readIndex();
    const asks = () => sent.filter((m) => m.type === MessageType.MsgReadIndex);
    // The first request is "lost"; the round asks again under another context.
    await until(() => asks().length >= 2, 3_000);
    const [first, second] = asks();
    const ctx = (m: Message) => Buffer.from(m.entries[0]!.data).toString();
    expect(ctx(first!)).not.toBe(ctx(second!));
    log.step(makeMessage({ type: MessageType.MsgReadIndexResp, from: 2n, to: 1n, term: 2, index: 3, entries: second!.entries }), null);
    expect(await read).toBe(3);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
