import { spawn } from 'node:child_process';
import { trackChild } from './childRegistry.js';
import { requireReferenceBinary } from './referencePaths.js';

export interface CommandResult {
  /** Exit code; -1 when the command was killed (by the time limit or a signal). */
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface CommandOptions {
  /** Added to (and overriding) the inherited environment. */
  env?: Record<string, string>;
  /** Written to stdin, which is then closed. */
  input?: string | Buffer;
  /** Hard wall-clock limit for the whole process; it is SIGKILLed after. Default 30 s. */
  timeoutMs?: number;
  cwd?: string;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Inherited ETCD_* / ETCDCTL_* variables would silently change what a reference program does. */
export function hermeticEnv(extra: Record<string, string> | undefined): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('ETCD_') || key.startsWith('ETCDCTL_') || key.startsWith('ETCDUTL_')) continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** Runs a program to completion with bounded time and output. */
export function runCommand(file: string, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], {
      env: hermeticEnv(options.env),
      cwd: options.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    trackChild(child);
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let outputBytes = 0;
    let timedOut = false;
    const collect = (sink: Buffer[]) => (chunk: Buffer) => {
      outputBytes += chunk.length;
      if (outputBytes > MAX_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        return;
      }
      sink.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${file}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      let errText = Buffer.concat(stderr).toString('utf8');
      if (timedOut) errText += `\n[test/support: killed after ${timeoutMs} ms]`;
      if (outputBytes > MAX_OUTPUT_BYTES) errText += `\n[test/support: killed after ${MAX_OUTPUT_BYTES} output bytes]`;
      resolve({
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: errText,
        timedOut,
      });
    });
    // A program that never reads stdin must not crash the helper with EPIPE.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

export interface EtcdctlOptions extends CommandOptions {
  /** etcdctl's --command-timeout; default 5s. Not added when args already hold one. */
  commandTimeout?: string;
}

/** Something with a client endpoint: a URL string or a started member. */
export type EndpointLike = string | { endpoint: string };

function endpointList(endpoints: EndpointLike | readonly EndpointLike[]): string {
  const list = (Array.isArray(endpoints) ? endpoints : [endpoints]) as readonly EndpointLike[];
  if (list.length === 0) throw new Error('etcdctl: no endpoints');
  return list.map((e) => (typeof e === 'string' ? e : e.endpoint)).join(',');
}

/** The real etcdctl (API v3) against the given endpoints. */
export function etcdctl(
  endpoints: EndpointLike | readonly EndpointLike[],
  args: readonly string[],
  options: EtcdctlOptions = {},
): Promise<CommandResult> {
  const flags = [`--endpoints=${endpointList(endpoints)}`];
  if (!args.some((a) => a.startsWith('--command-timeout'))) {
    flags.push(`--command-timeout=${options.commandTimeout ?? '5s'}`);
  }
  return runCommand(requireReferenceBinary('etcdctl'), [...flags, ...args], {
    ...options,
    env: { ETCDCTL_API: '3', ...options.env },
  });
}

/** The real etcdutl (offline snapshot and data-dir tool). */
export function etcdutl(args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return runCommand(requireReferenceBinary('etcdutl'), args, options);
}

/** Throws with the command's output unless it exited 0; returns stdout. */
export function expectSuccess(result: CommandResult, what: string): string {
  if (result.code !== 0) {
    throw new Error(`${what} exited ${result.code}${result.signal ? ` (${result.signal})` : ''}\n` +
      `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result.stdout;
}
