import path from 'node:path';
import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberKind, type MemberProcess, startCapstan, startEtcd, tempDir } from '../support/processes.js';

// The same etcdctl session against the real etcd and against capstan must print the same thing, once
// the values that are meant to differ (cluster and member IDs, raft term, lease IDs) are normalized.

type Step = { args: string[]; input?: string };

const TXN_INPUT = ['mod("a") > "0"', '', 'put a txn-then', 'get b', '', 'put z else', ''].join('\n');

const SCRIPT: Step[] = [
  { args: ['put', 'a', '1'] },
  { args: ['put', 'b', '2', '--prev-kv', '-w', 'json'] },
  { args: ['put', 'b', '3', '--prev-kv', '-w', 'json'] },
  { args: ['put', 'c/1', 'x'] },
  { args: ['put', 'c/2', 'y'] },
  { args: ['get', 'a', '-w', 'json'] },
  { args: ['get', '', '--from-key', '-w', 'json'] },
  { args: ['get', 'c/', '--prefix', '--limit', '1', '-w', 'json'] },
  { args: ['get', 'c/', '--prefix', '--count-only', '-w', 'json'] },
  { args: ['get', 'c/', '--prefix', '--keys-only'] },
  { args: ['get', '', '--from-key', '--sort-by=MODIFY', '--order=DESCEND'] },
  { args: ['get', '', '--from-key', '--sort-by=VALUE', '--order=ASCEND', '--limit=2'] },
  { args: ['get', 'a', 'c', '-w', 'json'] },
  { args: ['get', 'b', '--rev=2', '-w', 'json'] },
  { args: ['get', '', '--from-key', '--min-mod-revision=3', '--max-mod-revision=4'] },
  { args: ['get', '', '--from-key', '--min-create-revision=4'] },
  { args: ['get', 'b', '--rev=1000'] },
  { args: ['txn', '-w', 'json'], input: TXN_INPUT },
  { args: ['txn'], input: ['value("a") = "nope"', '', 'put q 1', '', 'del c/ --prefix', ''].join('\n') },
  { args: ['del', 'c/', '--prefix', '--prev-kv', '-w', 'json'] },
  { args: ['del', 'nothing-here'] },
  { args: ['put', 'a', 'again', '--ignore-value'] },
  { args: ['put', 'nokey', '--ignore-value'] },
  { args: ['put', 'a', 'v', '--lease=1234'] },
  { args: ['compaction', '4'] },
  { args: ['get', 'b', '--rev=3'] },
  { args: ['get', 'b', '--rev=4', '-w', 'json'] },
  { args: ['watch', 'b', '--rev=2'] },
  { args: ['compaction', '3'] },
  { args: ['compaction', '100000'] },
  { args: ['lease', 'grant', '1000'] },
  { args: ['lease', 'list'] },
  { args: ['lease', 'timetolive', '7fffffff'] },
  { args: ['lease', 'revoke', '7fffffff'] },
  { args: ['endpoint', 'health'] },
  { args: ['alarm', 'list'] },
  { args: ['alarm', 'disarm'] },
  { args: ['defrag'] },
  { args: ['get', '', '--from-key', '--keys-only'] },
];

function normalize(text: string, endpoint: string): string {
  return text
    .replaceAll(endpoint, '<endpoint>')
    .replace(/"cluster_id":\d+/g, '"cluster_id":0')
    .replace(/"member_id":\d+/g, '"member_id":0')
    .replace(/"raft_term":\d+/g, '"raft_term":0')
    .replace(/lease [0-9a-f]+ granted/g, 'lease <id> granted')
    .replace(/^[0-9a-f]{8,16}$/gm, '<lease-id>')
    .replace(/"ts":"[^"]*"/g, '"ts":"<ts>"')
    .replace(/"target":"[^"]*"/g, '"target":"<target>"')
    .replace(/took = [^\n]+/g, 'took = <t>')
    .replace(/is healthy: successfully committed proposal: took = .*/g, 'is healthy');
}

async function runScript(kind: MemberKind): Promise<string[]> {
  const dir = tempDir(`diff-${kind}`);
  const [clientPort, peerPort] = await freePorts(2);
  const options = { name: 'd1', dataDir: path.join(dir, 'data'), clientPort, peerPort };
  const member: MemberProcess = kind === 'etcd' ? await startEtcd(options) : await startCapstan(options);
  const out: string[] = [];
  for (const step of SCRIPT) {
    const r = await etcdctl(member, step.args, step.input !== undefined ? { input: step.input } : {});
    out.push(`$ etcdctl ${step.args.join(' ')}\n[exit ${r.code}]\n${normalize(r.stdout + r.stderr, member.endpoint)}`);
  }
  out.push(...(await httpSession(member.endpoint)));
  await member.stop();
  return out;
}

/**
 * etcd answers HTTP/1.1 on its client URL beside gRPC (/health, /version, /metrics, 404 elsewhere, 405
 * for other methods): the same requests, with what may differ (versions, metric values) reduced.
 */
async function httpSession(endpoint: string): Promise<string[]> {
  const out: string[] = [];
  const ask = async (method: string, route: string, reduce: (body: string) => string = (b) => b) => {
    const res = await fetch(`${endpoint}${route}`, { method });
    out.push(`${method} ${route}\n[${res.status}] ${res.headers.get('content-type')}\n${reduce(await res.text())}`);
  };
  await ask('GET', '/health');
  await ask('GET', '/version', (b) => Object.keys(JSON.parse(b) as object).filter((k) => k.startsWith('etcd')).join(','));
  await ask('GET', '/metrics', (b) => {
    const present = ['etcd_server_has_leader 1', 'etcd_mvcc_db_total_size_in_bytes'].map((m) => `${m}: ${b.includes(m)}`);
    // The session's writes were fsynced to the WAL and committed to the backend: both histograms count them.
    const counted = ['etcd_disk_wal_fsync_duration_seconds_count', 'etcd_disk_backend_commit_duration_seconds_count'].map(
      (m) => `${m} > 0: ${Number(new RegExp(`^${m} (\\S+)`, 'm').exec(b)?.[1] ?? 0) > 0}`,
    );
    return [...present, ...counted].join('\n');
  });
  await ask('GET', '/no-such-path');
  await ask('POST', '/health');
  return out;
}

describeWithReference(['etcd', 'etcdctl'], () => {
  it('an etcdctl session prints the same against etcd and capstan', async () => {
    const etcd = await runScript('etcd');
    const capstan = await runScript('capstan');
    expect(capstan.length).toBe(etcd.length);
    for (let i = 0; i < etcd.length; i++) expect(capstan[i]).toBe(etcd[i]);
  }, 120_000);
});
