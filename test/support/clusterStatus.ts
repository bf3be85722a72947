import { etcdctl, expectSuccess } from './commands.js';
import type { MemberProcess } from './members.js';

export interface EndpointStatus {
  endpoint: string;
  memberId: bigint;
  leader: bigint;
  raftTerm: number;
  raftIndex: number;
  raftAppliedIndex: number;
  isLearner: boolean;
  revision: number;
}

/** `etcdctl endpoint status -w json` for each running member (members that do not answer are left out). */
export async function endpointStatuses(members: readonly MemberProcess[]): Promise<EndpointStatus[]> {
  const running = members.filter((m) => m.isRunning());
  const out: EndpointStatus[] = [];
  for (const m of running) {
    const r = await etcdctl(m, ['endpoint', 'status', '-w', 'json'], { commandTimeout: '2s' });
    if (r.code !== 0) continue;
    // etcdctl prints uint64 IDs as JSON numbers; read them as text to keep every bit.
    const text = r.stdout.replace(/("(?:leader|member_id|cluster_id)":)(\d+)/g, '$1"$2"');
    const [entry] = JSON.parse(text) as Array<{
      Endpoint: string;
      Status: { header: { member_id: string; revision: number; raft_term: number }; leader?: string; raftIndex?: number; raftAppliedIndex?: number; isLearner?: boolean };
    }>;
    if (!entry) continue;
    out.push({
      endpoint: entry.Endpoint,
      memberId: BigInt(entry.Status.header.member_id),
      // etcdctl leaves zero fields out: no leader yet.
      leader: BigInt(entry.Status.leader ?? 0),
      raftTerm: entry.Status.header.raft_term,
      raftIndex: entry.Status.raftIndex ?? 0,
      raftAppliedIndex: entry.Status.raftAppliedIndex ?? 0,
      isLearner: entry.Status.isLearner ?? false,
      revision: entry.Status.header.revision,
    });
  }
  return out;
}

/** Waits until every running member names the same leader; returns the leader's process. */
export async function waitForLeader(members: readonly MemberProcess[], timeoutMs = 20_000): Promise<MemberProcess> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const statuses = await endpointStatuses(members);
    const leaders = new Set(statuses.map((s) => s.leader));
    if (statuses.length > 0 && leaders.size === 1 && !leaders.has(0n)) {
      const leaderId = statuses[0]!.leader;
      const leader = statuses.find((s) => s.memberId === leaderId);
      const proc = leader && members.find((m) => leader.endpoint.endsWith(m.endpoint.replace('http://', '')) || m.endpoint === leader.endpoint);
      if (proc) return proc;
    }
    last = JSON.stringify(statuses.map((s) => [s.endpoint, s.leader.toString(16)]));
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`no agreed leader within ${timeoutMs} ms; last statuses ${last}`);
}

/** The member ID of a running member, as hex (what etcdctl's member commands take). */
export async function memberIdHex(member: MemberProcess): Promise<string> {
  const [s] = await endpointStatuses([member]);
  if (!s) throw new Error(`${member.name} does not answer endpoint status`);
  return s.memberId.toString(16);
}

/** `etcdctl endpoint hashkv` of each member at one revision (compared across members). */
export async function hashKvs(members: readonly MemberProcess[], revision: number): Promise<string[]> {
  const out: string[] = [];
  for (const m of members) {
    const text = expectSuccess(await etcdctl(m, ['endpoint', 'hashkv', `--rev=${revision}`, '-w', 'json']), `hashkv ${m.name}`);
    const [entry] = JSON.parse(text) as Array<{ HashKV: { hash: number; compact_revision: number } }>;
    out.push(`${entry!.HashKV.hash}/${entry!.HashKV.compact_revision}`);
  }
  return out;
}
