import { afterEach } from 'vitest';
import { tempDir } from '../../support/processes.js';
import type { EtcdRequest, EtcdResponse } from '../linearizability/etcdTypes.js';
import { NEVER_RETURNED, type Operation } from '../linearizability/history.js';
import { RunClock } from '../harness/clock.js';
import type { MemberClient } from '../harness/etcdClient.js';
import { FaultCluster, type FaultClusterOptions, type FaultMember } from '../harness/faultCluster.js';

/*
 * What the etcd-bug regression tests share: a fault cluster that is stopped after each test, a
 * recorded history (the same shape the campaign checks), and bounded waits.
 */

export type Op = Operation<EtcdRequest, EtcdResponse>;

const running: FaultCluster[] = [];

/** Stops every cluster a test started, pass or fail. */
export function stopClustersAfterEach(): void {
  afterEach(async () => {
    for (const c of running.splice(0)) await c.stop();
  });
}

export async function startFaultCluster(size: number, o: Partial<FaultClusterOptions> = {}): Promise<FaultCluster> {
  // Removed at teardown by the process harness (kept on failure with KEEP_TEST_DIRS=1).
  const baseDir = tempDir(`regression-m${size}`);
  const cluster = await FaultCluster.start({ size, baseDir, requestTimeoutMs: 3_000, ...o });
  running.push(cluster);
  return cluster;
}

export class Recorder {
  readonly clock = new RunClock();
  readonly history: Op[] = [];
  private nextId = 0;

  async run(client: MemberClient, request: EtcdRequest, clientId = 0): Promise<EtcdResponse> {
    const call = this.clock.now();
    const output = await client.execute(request);
    const returned = output.status === 'unknown' ? NEVER_RETURNED : this.clock.now();
    this.history.push({ id: this.nextId++, clientId, input: request, call, output, return: returned });
    return output;
  }

  /** The puts acknowledged so far: key, value and the revision they got. */
  ackedPuts(): Array<{ key: string; value: string; revision: number }> {
    const out: Array<{ key: string; value: string; revision: number }> = [];
    for (const op of this.history) {
      if (op.input.type === 'put' && op.output.status === 'ok') out.push({ key: op.input.key, value: op.input.value, revision: op.output.revision });
    }
    return out;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `probe` every `everyMs` until it returns true or `timeoutMs` passes; returns the last answer. */
export async function eventually(probe: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let n = 0; n < Math.ceil(timeoutMs / everyMs) + 1; n++) {
    if (await probe()) return true;
    if (Date.now() >= deadline) break;
    await sleep(everyMs);
  }
  return false;
}

/** A read through `client` (linearizable), retried while the member is not serving yet. */
export async function readAll(client: MemberClient, key: string, rangeEnd: string, attempts = 40): Promise<{ revision: number; kvs: Map<string, string> }> {
  for (let n = 0; n < attempts; n++) {
    const r = await client.execute({ type: 'range', key, rangeEnd });
    if (r.status === 'ok' && r.result.type === 'range') {
      return { revision: r.revision, kvs: new Map(r.result.kvs.map((kv) => [kv.key, kv.value])) };
    }
    await sleep(250);
  }
  throw new Error(`no successful read of ${key}..${rangeEnd} through ${client.endpoint}`);
}

/** Waits for a member process to exit after a failpoint panic, and checks it was that failpoint. */
export async function expectFailpointExit(m: FaultMember, name: string, timeoutMs = 30_000): Promise<void> {
  const status = await Promise.race([m.process.exited, sleep(timeoutMs).then(() => null)]);
  if (status === null) throw new Error(`${m.name} did not hit failpoint ${name} within ${timeoutMs} ms`);
  if (status.code !== 2 || !m.process.logs().includes(`failpoint ${name} panic`)) {
    throw new Error(`${m.name} exited (code ${String(status.code)}, signal ${String(status.signal)}) but not at failpoint ${name}`);
  }
}

/** Each member's HashKV at `revision`, once it has applied that far (bounded). */
export async function hashesAt(members: readonly FaultMember[], revision: number): Promise<Array<number | null>> {
  return Promise.all(members.map(async (m) => {
    for (let n = 0; n < 60; n++) {
      try {
        return await m.client.hashKv(revision);
      } catch {
        await sleep(250);
      }
    }
    return null;
  }));
}

export function failpointEnv(spec: string): Record<string, string> {
  return { CAPSTAN_FAILPOINTS: spec };
}
