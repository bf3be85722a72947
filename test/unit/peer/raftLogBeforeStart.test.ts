// The transport listens (and so delivers peers' messages) before the member has started its raft
// log: member.ts starts the transport, then replays and starts the log. A message stepped in
// that window must not make raft hand out committed entries with nobody to apply them.

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

function foundingEntries(ids: readonly bigint[]): Entry[] {
  return ids.map((nodeId, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.EntryConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context: new Uint8Array(0) }),
  }));
}

describe('RaftLog and early peer messages', () => {
  it('a heartbeat stepped before start() is not fatal', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-early-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const opened = await Wal.open(path.join(dir, 'wal'));
    cleanups.push(() => opened.wal.close());
    const fatal: Error[] = [];
    const sent: Message[] = [];
    const log = new RaftLog({
      id: 1n,
      wal: opened.wal,
      walRecords: opened.records,
      walFirstRecordSeq: opened.firstRecordSeq,
      maxWals: 5,
      storeApplied: 0,
      storeTerm: 0,
      bootstrap: foundingEntries([1n, 2n, 3n]),
      heartbeatMs: 100,
      electionTimeoutMs: 1000,
      preVote: true,
      snapshotCount: 10_000,
      snapshotCatchupEntries: 5_000,
      requestTimeoutMs: 5_000,
      sender: { send: (ms) => sent.push(...ms), sendSnapshot: (_m, _d, done) => done(false) },
      snapshots: {
        exportState: async () => ({ data: new Uint8Array(0), index: 0, term: 0 }),
        installState: async () => {},
        persist: async () => {},
        appliedIndex: () => 0,
      },
      logger: createNopLogger(),
      onFatal: (e) => fatal.push(e),
    });
    cleanups.push(() => log.stop());
    log.step(makeMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 2, commit: 3 }), null);
    // The loop runs on later turns; give it a few.
    await new Promise((r) => setTimeout(r, 300));
    expect(fatal.map((e) => e.message)).toEqual([]);
  });
});
