import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type MemberProcess, startMember, statusResponds } from '../test/support/processes.js';
import { startBenchCluster } from './cluster/benchCluster.js';
import { processMemory } from './cluster/memory.js';
import type { RecoveryResult, SystemName } from './model.js';
import { bulkLoad } from './load/bulkLoad.js';

/*
 * Startup (recovery) time and memory with many keys: load `keys` distinct keys into one member, stop it
 * cleanly (bulk loaded in transactions), start it again on the same data directory and time spawn → first successful Status call.
 */

const READY_POLL_MS = 10;
const READY_TIMEOUT_MS = 600_000;
const VALUE_SIZE = 256;

function directoryBytes(dir: string, depth = 0): number {
  if (depth > 16) throw new Error(`directoryBytes: ${dir} nests deeper than 16 levels`);
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += directoryBytes(full, depth + 1);
    else if (entry.isFile()) total += statSync(full).size;
  }
  return total;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function timeToReady(member: MemberProcess, spawnedAt: number): Promise<number> {
  const port = Number(new URL(member.endpoint).port);
  const maxPolls = READY_TIMEOUT_MS / READY_POLL_MS;
  for (let poll = 0; poll < maxPolls && performance.now() - spawnedAt < READY_TIMEOUT_MS; poll++) {
    if (!member.isRunning()) throw new Error(`${member.kind} exited while recovering; log ${member.logFile}`);
    if (await statusResponds(port, 500)) return (performance.now() - spawnedAt) / 1000;
    await delay(READY_POLL_MS);
  }
  throw new Error(`${member.kind} did not serve within ${READY_TIMEOUT_MS} ms of restarting`);
}

export async function measureRecovery(system: SystemName, keys: number, maxLoadSeconds: number): Promise<RecoveryResult> {
  const baseDir = mkdtempSync(path.join(os.tmpdir(), `capstan-bench-recovery-${system}-`));
  const cluster = await startBenchCluster(system, 1, baseDir);
  let restarted: MemberProcess | null = null;
  try {
    const member = cluster.members[0];
    if (member === undefined) throw new Error('invariant: a 1-member cluster has a member');
    const loadStarted = performance.now();
    const loaded = await bulkLoad(cluster.leader, keys, VALUE_SIZE, maxLoadSeconds);
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const rssAfterLoadKiB = processMemory(member.pid).rssKiB;
    await member.stop();
    const dataDirBytes = directoryBytes(member.dataDir);
    const spawnedAt = performance.now();
    restarted = await startMember(system, { ...member.options, wait: false });
    const startupSeconds = await timeToReady(restarted, spawnedAt);
    const rssAfterRestartKiB = processMemory(restarted.pid).rssKiB;
    const result: RecoveryResult = { system, keys, loadSeconds, startupSeconds, rssAfterLoadKiB, rssAfterRestartKiB, dataDirBytes };
    if (loaded.errors > 0) result.note = `${loaded.errors} failed load transactions`;
    return result;
  } finally {
    if (restarted !== null) await restarted.stop();
    await cluster.stop();
    rmSync(baseDir, { recursive: true, force: true, maxRetries: 3 });
  }
}
