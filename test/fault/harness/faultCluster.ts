import { rmSync } from 'node:fs';
import path from 'node:path';
import { ephemeralPort, type MemberOptions, type MemberProcess, startMember } from '../../support/processes.js';
import { MemberClient } from './etcdClient.js';
import { PeerProxy } from './proxy.js';
import { socketOwner } from './socketOwner.js';

/*
 * capstan members on loopback that faults can be done to. Each member of a multi-member cluster
 * listens on its real peer port but advertises a proxy's port, so every peer connection into it
 * passes through a PeerProxy that can blackhole or delay it (etcd's functional tester did the same:
 * BLACKHOLE_PEER_PORT_TX_RX, DELAY_PEER_PORT_TX_RX). A one-member cluster has no proxy.
 */

export interface FaultMember {
  readonly name: string;
  /** How the member starts; a restart with a new environment keeps it for later restarts too. */
  options: MemberOptions;
  process: MemberProcess;
  readonly proxy: PeerProxy | null;
  readonly client: MemberClient;
  paused: boolean;
}

export interface FaultClusterOptions {
  size: number;
  baseDir: string;
  requestTimeoutMs: number;
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
  /** Environment of one member's process by name (e.g. CAPSTAN_FAILPOINTS for one member only). */
  envFor?: (name: string) => Record<string, string> | undefined;
}

const START_ATTEMPTS = 3;

class PortTakenError extends Error {}
class ForeignServerError extends Error {}

export class FaultCluster {
  /** Each member's ID as it answered right after start: a different ID on its port later means another
   * process answers there, and the run must stop rather than record someone else's server. */
  private readonly identities = new Map<string, string>();

  private constructor(readonly members: FaultMember[], private readonly readyTimeoutMs: number) {}

  /**
   * Starts a cluster; if a member could not bind its ports (another process on this machine took one
   * between the check and the bind), kills what started and tries again on fresh ports.
   */
  static async start(options: FaultClusterOptions): Promise<FaultCluster> {
    let lastError: unknown = null;
    for (let attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      let cluster: FaultCluster | null = null;
      try {
        cluster = await FaultCluster.startOnce(options);
        return cluster;
      } catch (err) {
        lastError = err;
        if (!(err instanceof PortTakenError)) throw err;
        process.stderr.write(`fault cluster: ${err.message}; trying again on other ports\n`);
      }
    }
    throw lastError;
  }

  private static async startOnce(options: FaultClusterOptions): Promise<FaultCluster> {
    if (!Number.isInteger(options.size) || options.size < 1 || options.size > 7) throw new Error(`fault cluster: size ${options.size}`);
    const planned: Array<{ options: MemberOptions; proxyPort: number | null }> = [];
    for (let i = 0; i < options.size; i++) {
      const name = `f${i + 1}`;
      // Kernel-chosen ports, not the shared 20000-32000 band: other test runs on this machine walk
      // that band too, and a member of theirs answering on our port would void a run.
      const proxyPort = options.size > 1 ? await ephemeralPort() : null;
      planned.push({
        proxyPort,
        options: {
          name,
          dataDir: path.join(options.baseDir, `${name}.data`),
          clientPort: await ephemeralPort(),
          peerPort: await ephemeralPort(),
          initialClusterToken: 'capstan-fault',
          extraArgs: [...(options.extraArgs ?? [])],
          ...(options.envFor?.(name) ? { env: options.envFor(name) } : {}),
        },
      });
    }
    const advertised = (p: (typeof planned)[number]): string => `http://127.0.0.1:${p.proxyPort ?? p.options.peerPort}`;
    const initialCluster = planned.map((p) => `${p.options.name}=${advertised(p)}`).join(',');
    for (const p of planned) {
      p.options.initialCluster = initialCluster;
      // Flags repeat in etcd's manner: the last one wins, so this replaces the advertised peer URL.
      if (p.proxyPort !== null) p.options.extraArgs = [...(p.options.extraArgs ?? []), `--initial-advertise-peer-urls=${advertised(p)}`];
    }
    const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
    const members: FaultMember[] = [];
    // Which member dialed a peer connection: the running member processes are the candidates.
    const identify = (remotePort: number, proxyPort: number): Promise<string | null> =>
      socketOwner(remotePort, proxyPort, members.filter((m) => m.process.isRunning()).map((m) => ({ name: m.name, pid: m.process.pid })));
    for (const p of planned) {
      const proxy = p.proxyPort === null ? null : new PeerProxy(p.proxyPort, p.options.peerPort, identify);
      await proxy?.start();
      const process = await startMember('capstan', { ...p.options, wait: false, readyTimeoutMs });
      members.push({ name: p.options.name, options: p.options, process, proxy, client: new MemberClient(process.endpoint, options.requestTimeoutMs), paused: false });
    }
    const stopAll = async (): Promise<void> => {
      for (const m of members) m.client.close();
      await Promise.all(members.map((m) => m.process.stop()));
      await Promise.all(members.map((m) => m.proxy?.close()));
    };
    try {
      await Promise.all(members.map((m) => m.process.waitReady()));
    } catch (err) {
      await stopAll();
      const message = err instanceof Error ? err.message : String(err);
      if (/EADDRINUSE/.test(message)) throw new PortTakenError(message.split('\n')[0]!);
      throw err;
    }
    const cluster = new FaultCluster(members, readyTimeoutMs);
    try {
      await cluster.waitForLeader();
      await cluster.learnIdentities();
    } catch (err) {
      await stopAll();
      throw err;
    }
    return cluster;
  }

  private async learnIdentities(): Promise<void> {
    for (const m of this.members) {
      if (!m.process.isRunning()) throw new PortTakenError(`${m.name} exited after it seemed ready (another process answers on its port?)`);
      const status = await m.client.status(5_000);
      if (status.header === null) throw new Error('invariant: Status without a header');
      this.identities.set(m.name, status.header.member_id);
    }
  }

  /** Waits (bounded) until the members agree on a leader; throws if they do not. */
  async waitForLeader(timeoutMs = this.readyTimeoutMs): Promise<FaultMember> {
    const deadline = Date.now() + timeoutMs;
    for (let attempt = 0; attempt < 1_000 && Date.now() < deadline; attempt++) {
      const leader = await this.leader();
      if (leader !== null) return leader;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`fault cluster: no leader within ${timeoutMs} ms; last answers: ${this.lastAnswers.join('; ')}`);
  }

  member(name: string): FaultMember {
    const m = this.members.find((x) => x.name === name);
    if (m === undefined) throw new Error(`fault cluster: no member ${name}`);
    return m;
  }

  /** What each member said the last time leader() asked (for errors). */
  private lastAnswers: string[] = [];

  /** The leader as the running, unpaused members report it (the most common answer), or null. */
  async leader(): Promise<FaultMember | null> {
    const votes = new Map<string, number>();
    const ids = new Map<string, FaultMember>();
    const answers: string[] = [];
    await Promise.all(this.members.filter((m) => m.process.isRunning() && !m.paused).map(async (m) => {
      try {
        const status = await m.client.status(1_000);
        const known = this.identities.get(m.name);
        if (status.header !== null && known !== undefined && status.header.member_id !== known) {
          throw new ForeignServerError(`${m.name}'s client port ${m.process.endpoint} is answered by member ${status.header.member_id}, not ${known}`);
        }
        if (status.header !== null) ids.set(status.header.member_id, m);
        if (status.leader !== '0') votes.set(status.leader, (votes.get(status.leader) ?? 0) + 1);
        answers.push(`${m.name}: id ${status.header?.member_id ?? '?'} leader ${status.leader}`);
      } catch (err) {
        if (err instanceof ForeignServerError) throw err;
        answers.push(`${m.name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }));
    this.lastAnswers = answers;
    const best = [...votes.entries()].sort((a, b) => b[1] - a[1])[0];
    return best === undefined ? null : ids.get(best[0]) ?? null;
  }

  async kill(m: FaultMember): Promise<void> {
    if (m.paused) this.resume(m);
    await m.process.kill('SIGKILL');
  }

  /**
   * Starts a killed member again on its data dir and ports; does not wait until it serves. `env`
   * replaces the environment it started with, from now on (a failpoint crash restarts without it).
   */
  async restart(m: FaultMember, env?: Record<string, string>): Promise<void> {
    if (m.process.isRunning()) throw new Error(`invariant: restarting ${m.name}, which is running`);
    if (env !== undefined) m.options = { ...m.options, env };
    m.process = await startMember('capstan', { ...m.options, wait: false, readyTimeoutMs: this.readyTimeoutMs });
  }

  /**
   * Cuts `m` off from every other member: its proxy silences every connection into it, and every other
   * proxy silences the connections `m` dialed. Connections stay open; bytes vanish.
   */
  isolate(m: FaultMember): void {
    m.proxy?.setMode({ kind: 'blackhole' });
    for (const other of this.members) if (other !== m) other.proxy?.setBlockedSources([m.name]);
  }

  pause(m: FaultMember): void {
    if (!m.process.isRunning() || m.paused) return;
    process.kill(m.process.pid, 'SIGSTOP');
    m.paused = true;
  }

  resume(m: FaultMember): void {
    if (!m.paused) return;
    m.paused = false;
    if (m.process.isRunning()) process.kill(m.process.pid, 'SIGCONT');
  }

  /** Undoes every fault: resumes, restarts, heals the network, and waits until every member serves. */
  async recoverAll(): Promise<void> {
    for (const m of this.members) {
      this.resume(m);
      m.proxy?.setMode({ kind: 'pass' });
      m.proxy?.setBlockedSources([]);
    }
    for (const m of this.members) if (!m.process.isRunning()) await this.restart(m);
    await Promise.all(this.members.map((m) => m.process.waitReady()));
    const gone = this.members.filter((m) => !m.process.isRunning());
    if (gone.length > 0) throw new Error(`fault cluster: ${gone.map((m) => m.name).join(', ')} exited right after restarting; see their logs`);
    await this.learnNewIdentities();
    await this.waitForLeader();
  }

  /**
   * Restarts `m` armed with a failpoint (CAPSTAN_FAILPOINTS=spec) after a kill -9, and waits up to
   * `waitMs` for it to crash there (etcd's robustness failpoints). Resolves whether it did; either way
   * the member is down afterwards and its later restarts run without the failpoint.
   */
  async crashAt(m: FaultMember, spec: string, waitMs: number): Promise<boolean> {
    await this.kill(m);
    const plain = m.options.env ?? {};
    await this.restart(m, { ...plain, CAPSTAN_FAILPOINTS: spec });
    m.options = { ...m.options, env: plain };
    const exited = await Promise.race([m.process.exited.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), waitMs))]);
    if (!exited) await this.kill(m);
    return exited && m.process.logs().includes(`failpoint ${spec.split('=')[0]!} panic`);
  }

  /**
   * Removes follower `m` from the cluster through `leader` and adds it back as a new member on the
   * same URLs with an empty data dir (etcd's member replace): it rejoins, with a new member ID, and
   * catches up from the leader's log or a snapshot. Does not wait until it serves.
   */
  async replace(m: FaultMember, leader: FaultMember): Promise<void> {
    if (m === leader) throw new Error('invariant: replacing the leader');
    const status = await m.client.status(2_000);
    const oldId = status.header?.member_id;
    if (oldId === undefined) throw new Error('invariant: Status without a header');
    const advertised = m.options.initialCluster?.split(',').find((e) => e.startsWith(`${m.name}=`))?.slice(m.name.length + 1);
    if (advertised === undefined) throw new Error(`invariant: ${m.name} is not in its own --initial-cluster`);
    await leader.client.memberRemove(oldId);
    // A removed member stops by itself once it learns of it; a member that has not learned yet is stopped.
    await Promise.race([m.process.exited, new Promise((r) => setTimeout(r, 5_000))]);
    await this.kill(m);
    this.identities.delete(m.name);
    rmSync(m.options.dataDir, { recursive: true, force: true, maxRetries: 3 });
    const newId = await leader.client.memberAdd([advertised]);
    // The joining member finds itself by its peer URL in the membership a peer tells it: a peer that
    // has not applied the removal yet would name the removed member, and the new one would stop.
    await this.waitForMembership((ids) => ids.includes(newId) && !ids.includes(oldId), m);
    m.options = { ...m.options, state: 'existing' };
    await this.restart(m);
  }

  /** Waits (bounded) until every running member but `except` lists a membership `ok` accepts. */
  private async waitForMembership(ok: (ids: string[]) => boolean, except: FaultMember): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (let n = 0; n < 150 && Date.now() < deadline; n++) {
      const views = await Promise.all(this.members.filter((x) => x !== except && x.process.isRunning() && !x.paused)
        .map((x) => x.client.memberIds().catch(() => [] as string[])));
      if (views.every(ok)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('fault cluster: the members did not agree on the membership within 15 s');
  }

  /** Learns the member IDs not known yet (a replaced member's new one), once they serve. */
  async learnNewIdentities(): Promise<void> {
    for (const m of this.members) {
      for (let attempt = 0; attempt < 20 && !this.identities.has(m.name); attempt++) {
        try {
          const status = await m.client.status(2_000);
          if (status.header === null) throw new Error('invariant: Status without a header');
          this.identities.set(m.name, status.header.member_id);
        } catch (err) {
          if (attempt === 19) throw err;
          await new Promise((r) => setTimeout(r, 250));
        }
      }
    }
  }

  async stop(): Promise<void> {
    for (const m of this.members) {
      this.resume(m);
      m.client.close();
    }
    await Promise.all(this.members.map((m) => m.process.stop()));
    await Promise.all(this.members.map((m) => m.proxy?.close()));
  }
}
