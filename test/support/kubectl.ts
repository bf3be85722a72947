import { spawn } from 'node:child_process';
import path from 'node:path';
import { trackChild } from './childRegistry.js';
import { type CommandOptions, type CommandResult, hermeticEnv, runCommand } from './commands.js';
import type { KubeApiserver } from './kubeApiserver.js';
import { requireReferenceBinary } from './referencePaths.js';

/*
 * The real kubectl against a test kube-apiserver: server, token and TLS choice come from flags, and
 * KUBECONFIG points at a file that does not exist, so no kubeconfig on the machine can change what runs.
 */

const WATCH_STOP_WAIT_MS = 5_000;

function kubectlEnv(api: KubeApiserver): Record<string, string> {
  return { KUBECONFIG: path.join(path.dirname(api.logFile), 'no-kubeconfig') };
}

function connectionFlags(api: KubeApiserver): string[] {
  return [
    `--server=${api.url}`,
    `--token=${api.token}`,
    // The serving cert is self-signed by kube-apiserver in its cert dir.
    '--insecure-skip-tls-verify=true',
    `--cache-dir=${path.join(path.dirname(api.logFile), 'kubectl-cache')}`,
    '--request-timeout=20s',
  ];
}

export function kubectl(api: KubeApiserver, args: readonly string[], options: CommandOptions = {}): Promise<CommandResult> {
  return runCommand(requireReferenceBinary('kubectl'), [...connectionFlags(api), ...args], {
    ...options,
    env: { ...kubectlEnv(api), ...options.env },
  });
}

/** kubectl, failing with its output unless it exits 0; returns stdout. */
export async function kubectlOk(api: KubeApiserver, args: readonly string[], options: CommandOptions = {}): Promise<string> {
  const result = await kubectl(api, args, options);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} exited ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
  return result.stdout;
}

/** A long-running kubectl (`get -w`, `get --raw ...watch=1`) whose stdout is collected line by line. */
export interface KubectlStream {
  lines(): readonly string[];
  stderr(): string;
  /** Resolves with the first line matching, or rejects after timeoutMs (with what was seen). */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Resolves when the process has exited (e.g. the server ended the watch). */
  readonly exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startKubectlStream(api: KubeApiserver, args: readonly string[]): KubectlStream {
  const child = spawn(requireReferenceBinary('kubectl'), [...connectionFlags(api), ...args], {
    env: hermeticEnv(kubectlEnv(api)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  const seen: string[] = [];
  let partial = '';
  let errText = '';
  const waiters = new Set<() => void>();
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const parts = (partial + chunk).split('\n');
    partial = parts.pop() ?? '';
    seen.push(...parts.filter((line) => line.length > 0));
    for (const wake of waiters) wake();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    errText += chunk;
  });
  let running = true;
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running = false;
      for (const wake of waiters) wake();
      resolve(code);
    });
  });

  return {
    lines: () => seen,
    stderr: () => errText,
    exited,
    waitForLine(match, timeoutMs) {
      return new Promise((resolve, reject) => {
        let timer: NodeJS.Timeout | undefined;
        const check = (): void => {
          const hit = seen.find(match);
          if (hit !== undefined) {
            finish();
            resolve(hit);
          } else if (!running) {
            finish();
            reject(new Error(`kubectl ${args.join(' ')} exited; lines:\n${seen.join('\n')}\nstderr:\n${errText}`));
          }
        };
        const finish = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        timer = setTimeout(() => {
          finish();
          reject(new Error(`no matching line in ${timeoutMs} ms from kubectl ${args.join(' ')}; lines:\n` +
            `${seen.join('\n')}\nstderr:\n${errText}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (!running) return;
      child.kill('SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => { timer = setTimeout(resolve, WATCH_STOP_WAIT_MS); })]);
      clearTimeout(timer);
    },
  };
}
