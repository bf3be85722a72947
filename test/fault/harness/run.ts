import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { EtcdRequest, EtcdResponse } from '../linearizability/etcdTypes.js';
import type { Operation } from '../linearizability/history.js';
import { checkRecording, type Recording, type RecordingCheck } from './checkRecording.js';
import { RunClock } from './clock.js';
import type { MemberClient } from './etcdClient.js';
import { FaultCluster } from './faultCluster.js';
import { CLUSTER_FAULTS, type FaultKind, type FaultRecord, runFaults, SINGLE_MEMBER_FAULTS, SNAPSHOT_MEMBER_ARGS } from './faults.js';
import { KEY_PREFIX, PREFIX_END, runClient } from './workload.js';
import { WatchRecorder } from './watchRecorder.js';

/*
 * One fault run: start a cluster, record a mixed workload and watches while faults come and go,
 * recover, let a catch-up watch read every revision from the start, then check. On a violation the run
 * directory (recording.json, members' data dirs and logs) is kept and the replay commands printed.
 */

export interface RunOptions {
  seed: number;
  members: number;
  durationMs: number;
  clients: number;
  requestTimeoutMs: number;
  faults?: readonly FaultKind[];
  /** Where run directories go; default os.tmpdir(). */
  baseDir?: string;
  keepOnSuccess?: boolean;
  log?: (line: string) => void;
  /** Extra member flags, e.g. a low --snapshot-count so lagging members catch up by snapshot. */
  memberArgs?: readonly string[];
}

export interface RunReport {
  seed: number;
  members: number;
  dir: string;
  kept: boolean;
  faults: FaultRecord[];
  initialRevision: number;
  finalRevision: number;
  outcomes: { ok: number; error: number; unknown: number };
  watchComplete: boolean;
  check: RecordingCheck;
  replay: string[];
  recording: Recording;
}

const FINAL_READ_ATTEMPTS = 60;
const CATCH_UP_TIMEOUT_MS = 20_000;

async function sleep(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

const HASH_ATTEMPTS = 40;

/** A member's HashKV at `revision` once it has applied that far (bounded retries), or null. */
async function hashWhenCaughtUp(client: MemberClient, revision: number): Promise<number | null> {
  for (let attempt = 0; attempt < HASH_ATTEMPTS; attempt++) {
    try {
      return await client.hashKv(revision);
    } catch {
      await sleep(250);
    }
  }
  return null;
}

export function replayCommands(o: Pick<RunOptions, 'seed' | 'members' | 'durationMs'>, recordingPath: string): string[] {
  return [
    `npm run faults -- --check ${recordingPath}`,
    `npm run faults -- --runs 1 --seed ${o.seed} --members ${o.members} --duration ${o.durationMs}`,
  ];
}

export async function runOnce(o: RunOptions): Promise<RunReport> {
  const log = o.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  // Absolute: members run with their data dir's parent as cwd.
  const parent = path.resolve(o.baseDir ?? os.tmpdir());
  mkdirSync(parent, { recursive: true });
  const dir = mkdtempSync(path.join(parent, `capstan-fault-s${o.seed}-m${o.members}-`));
  const clock = new RunClock();
  const kinds = o.faults ?? (o.members === 1 ? SINGLE_MEMBER_FAULTS : CLUSTER_FAULTS);
  // snapshot-follower needs a leader that compacts its log within seconds, unless told otherwise.
  const snapshotArgs = kinds.includes('snapshot-follower') && !(o.memberArgs ?? []).some((a) => a.startsWith('--snapshot-count')) ? SNAPSHOT_MEMBER_ARGS : [];
  const cluster = await FaultCluster.start({ size: o.members, baseDir: dir, requestTimeoutMs: o.requestTimeoutMs, extraArgs: [...snapshotArgs, ...(o.memberArgs ?? [])] });
  const recorders: WatchRecorder[] = [];
  let recording: Recording | null = null;
  let faults: FaultRecord[] = [];
  try {
    const first = cluster.members[0]!.client;
    // A just-elected leader may not serve its first linearizable read within one deadline.
    let initial = await first.execute({ type: 'range', key: KEY_PREFIX, rangeEnd: PREFIX_END });
    for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS && initial.status !== 'ok'; attempt++) {
      await sleep(250);
      initial = await first.execute({ type: 'range', key: KEY_PREFIX, rangeEnd: PREFIX_END });
    }
    if (initial.status !== 'ok' || initial.result.type !== 'range' || initial.result.kvs.length !== 0) {
      throw new Error(`fault run: a fresh cluster should answer an empty range, got ${JSON.stringify(initial)}`);
    }
    const initialRevision = initial.revision;
    const endAt = clock.now() + o.durationMs;
    const history: Operation<EtcdRequest, EtcdResponse>[] = [];
    let nextId = 0;
    const memberFor = (i: number) => () => cluster.members[i % cluster.members.length]!.client;

    for (const [i, prevKv] of [true, false].entries()) {
      const recorder = new WatchRecorder({
        id: `live${i}`, key: KEY_PREFIX, rangeEnd: PREFIX_END, prevKv, startRevision: initialRevision + 1,
        client: memberFor(i + 1), clock, progressEveryMs: 400,
      });
      recorder.start();
      recorders.push(recorder);
    }
    const clients = Array.from({ length: o.clients }, (_, c) => runClient({
      seed: o.seed, clientId: c, client: memberFor(c), clock, endAt, history, nextId: () => nextId++,
      thinkMs: 40, backoffMs: 100, maxOperations: 100_000,
    }));
    faults = await runFaults(cluster, { seed: o.seed, kinds, clock, endAt, restMs: [500, 2_000], holdMs: [300, 2_500], log });
    await Promise.all(clients);
    await cluster.recoverAll();

    // The final revision, read through the cluster once it serves again.
    let finalRevision = 0;
    for (let attempt = 0; attempt < FINAL_READ_ATTEMPTS && finalRevision === 0; attempt++) {
      const r = await first.execute({ type: 'range', key: KEY_PREFIX, rangeEnd: PREFIX_END });
      if (r.status === 'ok') finalRevision = r.revision;
      else await sleep(500);
    }
    if (finalRevision === 0) throw new Error('fault run: the cluster did not serve a read after recovering');

    const catchUp = new WatchRecorder({
      id: 'catch-up', key: KEY_PREFIX, rangeEnd: PREFIX_END, prevKv: true, startRevision: initialRevision + 1,
      client: memberFor(0), clock, progressEveryMs: 300,
    });
    catchUp.start();
    recorders.push(catchUp);
    const watchComplete = await catchUp.waitFor(finalRevision, CATCH_UP_TIMEOUT_MS);
    await Promise.all(recorders.slice(0, 2).map((r) => r.waitFor(finalRevision, 5_000)));
    for (const r of recorders) await r.stop();
    const everything = await first.execute({ type: 'range', key: '\0', rangeEnd: '\0' });
    if (everything.status !== 'ok' || everything.result.type !== 'range') throw new Error('fault run: cannot list the keyspace at the end');
    const foreignKeys = everything.result.kvs.map((kv) => kv.key).filter((k) => !k.startsWith(KEY_PREFIX));
    const memberHashes = await Promise.all(cluster.members.map(async (m) => ({ name: m.name, hash: await hashWhenCaughtUp(m.client, finalRevision) })));

    recording = {
      version: 1, seed: o.seed, members: o.members, initialRevision, finalRevision, watchComplete,
      keyPrefix: KEY_PREFIX, prefixEnd: PREFIX_END, history, streams: recorders.flatMap((r) => r.streams), faults, memberHashes, foreignKeys,
    };
  } finally {
    for (const r of recorders) await r.stop();
    await cluster.stop();
  }

  const check = checkRecording(recording);
  const recordingPath = path.join(dir, 'recording.json');
  const replay = replayCommands(o, recordingPath);
  const violated = check.problems.length > 0;
  const kept = violated || (o.keepOnSuccess ?? false);
  if (kept) writeFileSync(recordingPath, JSON.stringify(recording, (_k, v: unknown) => (v === Infinity ? 'Infinity' : v)));
  else rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  const outcomes = { ok: 0, error: 0, unknown: 0 };
  for (const op of recording.history) outcomes[op.output.status]++;
  const report: RunReport = {
    seed: o.seed, members: o.members, dir, kept, faults, initialRevision: recording.initialRevision, finalRevision: recording.finalRevision,
    outcomes, watchComplete: recording.watchComplete, check, replay, recording,
  };
  if (check.void) {
    log(`VOID run seed ${o.seed}: ${check.problems[0]}; kept ${dir}`);
  } else if (violated) {
    log(`VIOLATION in seed ${o.seed} (${o.members} members): ${check.problems.length} problems; kept ${dir}`);
    for (const p of check.problems.slice(0, 10)) log(p);
    log(`replay: ${replay.join('   or   ')}`);
  }
  return report;
}

export function summarize(r: RunReport): string {
  const faults = r.faults.map((f) => `${f.kind}${f.targets.length ? `(${f.targets.join(',')}${f.kind === 'failpoint-crash' && f.note ? ` ${f.note.split(':')[0]!}` : ''})` : ''}`).join(' ');
  return `seed ${r.seed}, ${r.members} member(s): ${r.check.operations} ops (ok ${r.outcomes.ok}, failed ${r.outcomes.error}, unknown ${r.outcomes.unknown}), ` +
    `revisions ${r.initialRevision}..${r.finalRevision}, checked ${r.check.checkedOperations} after patching ` +
    `(resolved ${r.check.patch.resolvedWrites}, dropped ${r.check.patch.droppedWrites} writes/${r.check.patch.droppedReads} reads, ${r.check.patch.stillUnknown} unknown), ` +
    `linearizable: ${r.check.linearizable} in ${r.check.checkMs} ms; watch: ${r.check.watch.streams} streams, ${r.check.watch.events} events, ` +
    `${r.check.watch.progressNotifications} progress, ${r.check.watch.violations.length} violations, complete=${r.watchComplete}; ` +
    `HashKV@${r.finalRevision}: ${new Set(r.recording.memberHashes.map((m) => m.hash)).size === 1 ? 'all equal' : r.recording.memberHashes.map((m) => String(m.hash)).join('/')}; ` +
    `faults: ${faults || 'none'}`;
}
