// A RaftLog over a real WAL in a temp dir, for the tests that drive one member's log by hand:
// messages it sends are collected, fatal errors recorded, and everything is closed after each test.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { ConfChangeType, encodeConfChange, EntryType, makeMessage, MessageType, type Entry, type Message } from '../../../src/raft/index.js';
import type { CommittedEntry } from '../../../src/server/log/consensusLog.js';
import { RaftLog, type RaftLogOptions } from '../../../src/server/log/raftLog.js';
import { createNopLogger } from '../../../src/server/logger.js';
import { Wal, type WalRecord } from '../../../src/server/wal/index.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** The conf-change entries a cluster of `ids` is founded with. */
export function foundingEntries(ids: readonly bigint[]): Entry[] {
  return ids.map((nodeId, i) => ({
    term: 1,
    index: i + 1,
    type: EntryType.EntryConfChange,
    data: encodeConfChange({ type: ConfChangeType.AddNode, nodeId, context: new Uint8Array(0) }),
  }));
}

export interface TestRaftLog {
  log: RaftLog;
  wal: Wal;
  sent: Message[];
  fatal: Error[];
}

/**
 * Member 1's log. `before` (records written to the WAL first) and `overrides` shape the start;
 * the store is taken to have applied `overrides.storeApplied` (default 0).
 */
export async function openTestRaftLog(
  overrides: Partial<RaftLogOptions> = {},
  before: readonly WalRecord[] = [],
): Promise<TestRaftLog> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-raftlog-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  if (before.length > 0) {
    const first = await Wal.open(path.join(dir, 'wal'));
    await first.wal.append(before);
    await first.wal.close();
  }
  // A disk slowed by the rest of the suite must not send these logs' syncs to the thread pool: whether
  // the log asks for inline syncs is what the tests here check, and the gate has tests of its own
  // (test/unit/wal/inlineSync.test.ts). With the default budget, CI once saw a threaded sync here.
  const opened = await Wal.open(path.join(dir, 'wal'), { inlineSyncBudgetMs: 10_000 });
  cleanups.push(() => opened.wal.close());
  const sent: Message[] = [];
  const fatal: Error[] = [];
  const applied = overrides.storeApplied ?? 0;
  const log = new RaftLog({
    id: 1n,
    wal: opened.wal,
    walRecords: opened.records,
    walFirstRecordSeq: opened.firstRecordSeq,
    maxWals: 5,
    storeApplied: 0,
    storeTerm: 0,
    bootstrap: null,
    heartbeatMs: 100,
    electionTimeoutMs: 1000,
    preVote: true,
    snapshotCount: 10_000,
    snapshotCatchupEntries: 5_000,
    requestTimeoutMs: 5_000,
    sender: { send: (ms) => sent.push(...ms), sendSnapshot: (_m, _d, done) => done(false) },
    snapshots: {
      exportState: async () => ({ data: new Uint8Array(0), index: applied, term: 0 }),
      installState: async () => {},
      persist: async () => {},
      appliedIndex: () => applied,
    },
    logger: createNopLogger(),
    onFatal: (e) => fatal.push(e),
    ...overrides,
  });
  cleanups.push(() => log.stop());
  return { log, wal: opened.wal, sent, fatal };
}

/** Polls `what` every few milliseconds until it holds, or throws after `ms`. */
export async function until(what: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The MsgApps in `sent` (from position `from` on) addressed to `to`. */
export const appendsTo = (sent: readonly Message[], to: bigint, from = 0): Message[] =>
  sent.slice(from).filter((m) => m.type === MessageType.MsgApp && m.to === to);

/**
 * Member 1 of three, elected with member 2's votes, with both followers caught up. `applied` records
 * each apply with how many messages had gone out by then; `ack` answers a MsgApp as a follower.
 */
export async function leaderOfThree() {
  const applied: { index: number; sentBefore: number }[] = [];
  const opened = await openTestRaftLog({ bootstrap: foundingEntries([1n, 2n, 3n]), electionTimeoutMs: 300, heartbeatMs: 50 });
  const { log, sent } = opened;
  await log.start(async (entries: CommittedEntry[]) => {
    for (const e of entries) applied.push({ index: e.index, sentBefore: sent.length });
  });
  for (const [ask, answer] of [
    [MessageType.MsgPreVote, MessageType.MsgPreVoteResp],
    [MessageType.MsgVote, MessageType.MsgVoteResp],
  ] as const) {
    await until(() => sent.some((m) => m.type === ask && m.to === 2n), 5_000);
    const m = sent.find((x) => x.type === ask && x.to === 2n)!;
    log.step(makeMessage({ type: answer, from: 2n, to: 1n, term: m.term }), null);
  }
  await until(() => log.leaderId === 1n, 5_000);
  const ack = (index: number, from = 2n) => log.step(makeMessage({ type: MessageType.MsgAppResp, from, to: 1n, term: log.term, index }), null);
  // Both followers take the new leader's empty entry, so both are sent every later entry at once.
  for (const follower of [2n, 3n]) {
    await until(() => appendsTo(sent, follower).some((m) => m.entries.length > 0), 2_000);
    ack(appendsTo(sent, follower).find((m) => m.entries.length > 0)!.entries.at(-1)!.index, follower);
  }
  await until(() => applied.length > 0, 2_000);
  await new Promise((r) => setImmediate(r));
  return { ...opened, applied, ack };
}
