import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { trackChild } from './childRegistry.js';
import { hermeticEnv } from './commands.js';
import { requireReferenceBinary } from './referencePaths.js';
import { REPO_ROOT } from './repoRoot.js';

export type MemberKind = 'etcd' | 'capstan';

export interface MemberOptions {
  name: string;
  dataDir: string;
  clientPort: number;
  peerPort: number;
  metricsPort?: number;
  /** Scheme of this member's peer URLs (listen and advertise); default 'http'. https needs the --peer-* TLS flags. */
  peerScheme?: 'http' | 'https';
  /** etcd's --initial-cluster; default `<name>=<peerScheme>://127.0.0.1:<peerPort>` (a one-member cluster). */
  initialCluster?: string;
  /** etcd's --initial-cluster-state; default 'new'. */
  state?: 'new' | 'existing';
  initialClusterToken?: string;
  extraArgs?: readonly string[];
  env?: Record<string, string>;
  /** Where stdout and stderr go (appended across restarts); default `<dirname(dataDir)>/<name>.log`. */
  logFile?: string;
  /** Wait until the member serves before resolving; default true. Members of a new multi-member
   * cluster only serve once a quorum is up, so start those with `wait: false` and waitReady() after. */
  wait?: boolean;
  readyTimeoutMs?: number;
  /** Readiness probe; default: a gRPC Maintenance.Status call on the client port succeeds. */
  readyCheck?: (member: MemberProcess) => Promise<boolean>;
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface MemberProcess {
  readonly kind: MemberKind;
  readonly name: string;
  readonly pid: number;
  /** Client URL, `http://127.0.0.1:<clientPort>`: for etcdctl --endpoints and the etcd3 client's hosts. */
  readonly endpoint: string;
  readonly peerUrl: string;
  readonly metricsUrl: string | null;
  readonly dataDir: string;
  readonly logFile: string;
  readonly options: MemberOptions;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitStatus>;
  isRunning(): boolean;
  /** The whole log file (every run of this member). */
  logs(): string;
  /** Sends a signal; for terminating signals, also waits (bounded) until the process is gone. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM (and SIGCONT, in case it was stopped), then SIGKILL if it lingers. */
  stop(): Promise<void>;
  waitReady(timeoutMs?: number): Promise<void>;
  /** Stops the member if running and starts it again on the same data dir and ports. */
  restart(overrides?: Partial<MemberOptions>): Promise<MemberProcess>;
}

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const EXIT_WAIT_MS = 10_000;
const PROBE_DEADLINE_MS = 1_000;
const PROBE_INTERVAL_MS = 100;
const LOG_TAIL_LINES = 60;
const TERMINATING = new Set<NodeJS.Signals>(['SIGKILL', 'SIGTERM', 'SIGINT', 'SIGQUIT']);

const started: MemberProcess[] = [];

/** Members started so far in this process, oldest first (for printing logs when a test fails). */
export function startedMembers(): readonly MemberProcess[] {
  return started;
}

export function capstanMainPath(): string {
  return process.env.CAPSTAN_MAIN ?? path.join(REPO_ROOT, 'dist', 'src', 'server', 'main.js');
}

const loopbackUrl = (port: number, scheme: 'http' | 'https' = 'http'): string => `${scheme}://127.0.0.1:${port}`;

/** etcd's flags for a loopback member; capstan accepts the same ones. */
export function memberFlags(options: MemberOptions): string[] {
  const clientUrl = loopbackUrl(options.clientPort);
  const peerUrl = loopbackUrl(options.peerPort, options.peerScheme);
  const flags = [
    `--name=${options.name}`,
    `--data-dir=${options.dataDir}`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=${options.initialCluster ?? `${options.name}=${peerUrl}`}`,
    `--initial-cluster-state=${options.state ?? 'new'}`,
  ];
  if (options.initialClusterToken !== undefined) flags.push(`--initial-cluster-token=${options.initialClusterToken}`);
  if (options.metricsPort !== undefined) flags.push(`--listen-metrics-urls=${loopbackUrl(options.metricsPort)}`);
  return [...flags, ...(options.extraArgs ?? [])];
}

function commandFor(kind: MemberKind): { file: string; leadingArgs: string[] } {
  if (kind === 'etcd') return { file: requireReferenceBinary('etcd'), leadingArgs: [] };
  const main = capstanMainPath();
  if (!existsSync(main)) throw new Error(`capstan is not built: ${main} is missing; run \`npm run build\``);
  return { file: process.execPath, leadingArgs: [main] };
}

export function tailLines(text: string, lines: number): string {
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
}

function readLog(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** One unary Maintenance.Status call with a short deadline; the empty request is valid protobuf. */
export function statusResponds(port: number, deadlineMs = PROBE_DEADLINE_MS): Promise<boolean> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<boolean>((resolve) => {
    client.makeUnaryRequest(
      '/etcdserverpb.Maintenance/Status',
      (request: Buffer) => request,
      (response: Buffer) => response,
      Buffer.alloc(0),
      { deadline: Date.now() + deadlineMs },
      (err) => resolve(err === null),
    );
  }).finally(() => client.close());
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Spawns etcd or capstan with loopback URLs; one implementation for both, parametrised by the command. */
export async function startMember(kind: MemberKind, options: MemberOptions): Promise<MemberProcess> {
  if (options.clientPort === options.peerPort) throw new Error('startMember: client and peer ports must differ');
  const { file, leadingArgs } = commandFor(kind);
  const args = [...leadingArgs, ...memberFlags(options)];
  const logFile = options.logFile ?? path.join(path.dirname(options.dataDir), `${options.name}.log`);

  const out = openSync(logFile, 'a');
  let child;
  try {
    writeSync(out, `--- ${new Date().toISOString()} test/support starts ${kind}: ${file} ${args.join(' ')}\n`);
    // The child writes straight into the file, so its logs survive even if this process dies first.
    child = spawn(file, args, {
      cwd: path.dirname(options.dataDir),
      env: hermeticEnv(options.env),
      stdio: ['ignore', out, out],
    });
  } finally {
    closeSync(out);
  }
  trackChild(child);
  const spawned = child;

  let exitStatus: ExitStatus | null = null;
  const exited = new Promise<ExitStatus>((resolve) => {
    spawned.once('exit', (code, signal) => {
      exitStatus = { code, signal };
      resolve(exitStatus);
    });
    spawned.once('error', (err) => {
      exitStatus = { code: null, signal: null };
      try {
        const fd = openSync(logFile, 'a');
        writeSync(fd, `--- test/support: cannot spawn ${file}: ${err.message}\n`);
        closeSync(fd);
      } catch {
        // The log is best effort; exitStatus already says it failed.
      }
      resolve(exitStatus);
    });
  });

  const pid = spawned.pid;
  if (pid === undefined) {
    await exited;
    throw new Error(`cannot start ${kind} ${options.name}:\n${tailLines(readLog(logFile), LOG_TAIL_LINES)}`);
  }

  const waitExit = async (ms: number): Promise<boolean> => (await withinMs(exited, ms)) !== 'timeout';

  const member: MemberProcess = {
    kind,
    name: options.name,
    pid,
    endpoint: loopbackUrl(options.clientPort),
    peerUrl: loopbackUrl(options.peerPort, options.peerScheme),
    metricsUrl: options.metricsPort === undefined ? null : loopbackUrl(options.metricsPort),
    dataDir: options.dataDir,
    logFile,
    options,
    exited,
    isRunning: () => exitStatus === null,
    logs: () => readLog(logFile),
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (exitStatus !== null) return;
      try {
        process.kill(pid, signal);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      if (TERMINATING.has(signal) && !(await waitExit(EXIT_WAIT_MS))) {
        throw new Error(`${kind} ${options.name} (pid ${pid}) still running ${EXIT_WAIT_MS} ms after ${signal}`);
      }
    },
    async stop() {
      if (exitStatus !== null) return;
      try {
        process.kill(pid, 'SIGTERM');
        process.kill(pid, 'SIGCONT');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
      if (await waitExit(EXIT_WAIT_MS)) return;
      await member.kill('SIGKILL');
    },
    async waitReady(timeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS) {
      const check = options.readyCheck ?? ((m: MemberProcess) => statusResponds(portOf(m.endpoint)));
      const deadline = Date.now() + timeoutMs;
      const maxProbes = Math.ceil(timeoutMs / PROBE_INTERVAL_MS) + 1;
      for (let probe = 0; probe < maxProbes && Date.now() < deadline; probe++) {
        if (exitStatus !== null) break;
        if (await check(member)) return;
        await delay(PROBE_INTERVAL_MS);
      }
      const why = exitStatus === null
        ? `did not serve within ${timeoutMs} ms`
        : `exited (code ${String((exitStatus as ExitStatus).code)}, signal ${String((exitStatus as ExitStatus).signal)})`;
      throw new Error(`${kind} ${options.name} (pid ${pid}) ${why}; log ${logFile}:\n` +
        tailLines(readLog(logFile), LOG_TAIL_LINES));
    },
    async restart(overrides: Partial<MemberOptions> = {}) {
      await member.stop();
      // Members of a new cluster start with wait: false; a restart waits unless told not to.
      return startMember(kind, { ...options, wait: true, ...overrides });
    },
  };
  started.push(member);
  if (options.wait ?? true) await member.waitReady();
  return member;
}

function portOf(url: string): number {
  const port = Number(new URL(url).port);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`no port in ${url}`);
  return port;
}

/** The real etcd, on loopback. */
export function startEtcd(options: MemberOptions): Promise<MemberProcess> {
  return startMember('etcd', options);
}

/** capstan (`node dist/src/server/main.js` with etcd's flags), on loopback. */
export function startCapstan(options: MemberOptions): Promise<MemberProcess> {
  return startMember('capstan', options);
}
