// Helpers for the snapshot interop tests: the capstan snapshot CLI, etcdctl dumps compared field by
// field, and a seeded random workload run the same way against etcd or capstan.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import {
  capstanMainPath,
  type CommandResult,
  etcdctl,
  expectSuccess,
  type MemberProcess,
  runCommand,
} from '../support/processes.js';
import { REPO_ROOT } from '../support/repoRoot.js';

/** The real etcd 3.4.23 snapshot: in shared/ beside the checkout (CI's clone), else the workplace's. */
export const FIXTURE_DIR = [path.join(REPO_ROOT, '..', 'shared', 'fixtures', 'etcd-3.4.23'), '/work/shared/fixtures/etcd-3.4.23'].find(
  (d) => existsSync(path.join(d, 'snapshot.db')),
) ?? '/work/shared/fixtures/etcd-3.4.23';
export const FIXTURE_DB = path.join(FIXTURE_DIR, 'snapshot.db');

/** `capstan snapshot <args>` as an operator runs it. */
export function capstanSnapshot(args: readonly string[], cwd?: string): Promise<CommandResult> {
  return runCommand(process.execPath, [capstanMainPath(), 'snapshot', ...args], { timeoutMs: 60_000, ...(cwd ? { cwd } : {}) });
}

/** etcdctl's JSON has int64/uint64 numbers past 2^53 (lease and member IDs): keep them as text. */
export function parseBigJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,}\]])/g, '$1"$2"'));
}

export interface DumpedKv {
  key: string;
  value: string;
  create_revision: string;
  mod_revision: string;
  version: string;
  lease: string;
}

interface RangeJson {
  header: { revision: number | string };
  kvs?: Array<Record<string, unknown>>;
}

/** Every live key (at `rev`, or now) with revisions, version, lease and value, as etcdctl prints them. */
export async function dumpKeys(member: MemberProcess, rev?: number): Promise<{ revision: number; kvs: DumpedKv[] }> {
  const args = ['get', '', '--from-key', '-w', 'json'];
  if (rev !== undefined) args.push(`--rev=${rev}`);
  const out = parseBigJson(expectSuccess(await etcdctl(member, args, { timeoutMs: 60_000, commandTimeout: '30s' }), 'get all')) as RangeJson;
  const kvs = (out.kvs ?? []).map((kv) => ({
    key: String(kv['key'] ?? ''),
    value: String(kv['value'] ?? ''),
    create_revision: String(kv['create_revision'] ?? '0'),
    mod_revision: String(kv['mod_revision'] ?? '0'),
    version: String(kv['version'] ?? '0'),
    lease: String(kv['lease'] ?? '0'),
  }));
  return { revision: Number(out.header.revision), kvs };
}

export async function leaseIds(member: MemberProcess): Promise<string[]> {
  const out = expectSuccess(await etcdctl(member, ['lease', 'list']), 'lease list');
  return out
    .split('\n')
    .slice(1)
    .filter((l) => l.trim() !== '')
    .sort();
}

export async function hashKv(member: MemberProcess, rev = 0): Promise<{ hash: string; compactRevision: string; revision: string }> {
  const out = parseBigJson(
    expectSuccess(await etcdctl(member, ['endpoint', 'hashkv', `--rev=${rev}`, '-w', 'json'], { commandTimeout: '30s' }), 'hashkv'),
  ) as Array<{ HashKV: { header: { revision: unknown }; hash: unknown; compact_revision?: unknown } }>;
  const h = out[0]!.HashKV;
  return { hash: String(h.hash), compactRevision: String(h.compact_revision ?? '0'), revision: String(h.header.revision) };
}

/** mulberry32: a small seeded PRNG so a failing workload can be replayed from its seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface WorkloadSummary {
  ops: number;
  compactedAt: number;
  leases: string[];
}

/**
 * Puts (new keys, overwrites, big values, binary keys), deletes, leases with keys, a revoked lease,
 * a txn, and one compaction part-way through. Bounded: `ops` steps.
 */
export async function randomWorkload(member: MemberProcess, seed: number, ops = 300): Promise<WorkloadSummary> {
  const rnd = seededRandom(seed);
  const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  const pick = (n: number) => Math.floor(rnd() * n);
  const leases: string[] = [];
  let compactedAt = 0;
  try {
    const leaseHandles = [];
    for (let i = 0; i < 3; i++) {
      const lease = client.lease(3600, { autoKeepAlive: false });
      leases.push(await lease.grant());
      leaseHandles.push(lease);
    }
    for (let i = 0; i < ops; i++) {
      const key = `k/${pick(60).toString().padStart(3, '0')}`;
      const r = rnd();
      if (r < 0.55) {
        const size = rnd() < 0.05 ? 5000 + pick(20_000) : 1 + pick(80);
        await client.put(key).value(Buffer.alloc(size, 97 + pick(26)));
      } else if (r < 0.7) {
        await client.delete().key(key);
      } else if (r < 0.8) {
        await leaseHandles[pick(2)]!.put(`leased/${pick(10)}`).value(`v${i}`);
      } else if (r < 0.85) {
        await client.put(Buffer.from([0x62, 0, pick(256), 0xff])).value(Buffer.from([0, 1, pick(256)]));
      } else if (r < 0.95) {
        await client
          .if(key, 'Version', '>', 0)
          .then(client.put(key).value(`txn-${i}`), client.put(`${key}/other`).value('x'))
          .else(client.put(`${key}/created`).value(`${i}`))
          .commit();
      } else {
        await client.delete().prefix(`k/${pick(6)}`);
      }
      if (i === Math.floor(ops * 0.6)) {
        const rev = Number((await client.get('nothing').exec()).header.revision);
        compactedAt = rev - 5;
        await client.kv.compact({ revision: String(compactedAt), physical: true });
      }
    }
    // The third lease, with a key, is revoked: its key must be gone on both sides.
    await leaseHandles[2]!.put('leased/revoked').value('gone');
    await leaseHandles[2]!.revoke();
    leases.pop();
  } finally {
    client.close();
  }
  return { ops, compactedAt, leases };
}

/** Directories in `dir` a failed restore might have left behind (its temp dirs start with '.'). */
export function leftovers(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.startsWith('.') && n.includes('restoring'));
}

export function peerUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

export function joinPath(...parts: string[]): string {
  return path.join(...parts);
}
