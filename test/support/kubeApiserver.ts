import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { trackChild } from './childRegistry.js';
import { hermeticEnv } from './commands.js';
import { tailLines } from './members.js';
import { freePort } from './ports.js';
import { requireReferenceBinary } from './referencePaths.js';

/*
 * A stock kube-apiserver (from .reference/bin) in front of given etcd endpoints, with the minimal
 * flags of specs/kube-apiserver.md §4: a self-signed serving cert in a cert dir, service-account keys
 * made here with node:crypto, and a static token file holding one system:masters token. The test talks
 * to it over HTTPS on loopback (self-signed, so verification is off) and through the real kubectl.
 */

export interface KubeApiserverOptions {
  /** Client URLs of the etcd (or capstan) members: --etcd-servers. */
  etcdServers: readonly string[];
  /** Holds the cert dir, keys, token file and `kube-apiserver.log`. */
  baseDir: string;
  /** Added after the defaults; a later flag of the same name wins in kube-apiserver's flag parsing. */
  extraArgs?: readonly string[];
  readyTimeoutMs?: number;
}

export interface HttpResult {
  status: number;
  body: string;
}

export interface KubeApiserver {
  readonly pid: number;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  readonly token: string;
  readonly logFile: string;
  readonly exited: Promise<void>;
  isRunning(): boolean;
  logs(): string;
  /** A GET (or other method) as the admin token; never throws on an HTTP status, only on transport errors. */
  request(method: string, urlPath: string, body?: string, contentType?: string): Promise<HttpResult>;
  /** SIGKILL and wait (bounded) for the exit. */
  kill(): Promise<void>;
}

const ADMIN_TOKEN = 'capstan-admin-token';
const DEFAULT_READY_TIMEOUT_MS = 90_000;
const READY_POLL_MS = 500;
const REQUEST_TIMEOUT_MS = 10_000;
const EXIT_WAIT_MS = 10_000;
const LOG_TAIL_LINES = 80;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** Service-account signing key and its public half, as kube-apiserver wants them (PEM files). */
function writeServiceAccountKeys(dir: string): { privateKey: string; publicKey: string } {
  const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKey = path.join(dir, 'sa.key');
  const publicKey = path.join(dir, 'sa.pub');
  writeFileSync(privateKey, pair.privateKey.export({ type: 'pkcs1', format: 'pem' }), { mode: 0o600 });
  writeFileSync(publicKey, pair.publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey };
}

export function kubeApiserverFlags(
  options: KubeApiserverOptions,
  securePort: number,
  files: { certDir: string; privateKey: string; publicKey: string; tokenFile: string },
): string[] {
  if (options.etcdServers.length === 0) throw new Error('kube-apiserver: no etcd servers');
  return [
    `--etcd-servers=${options.etcdServers.join(',')}`,
    '--etcd-prefix=/registry',
    '--bind-address=127.0.0.1',
    // Without a default route kube-apiserver cannot pick an address itself; loopback only makes the
    // `kubernetes` Endpoints reconcile complain, serving is unaffected.
    '--advertise-address=127.0.0.1',
    `--secure-port=${securePort}`,
    `--cert-dir=${files.certDir}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${files.publicKey}`,
    `--service-account-signing-key-file=${files.privateKey}`,
    `--token-auth-file=${files.tokenFile}`,
    '--authorization-mode=RBAC',
    // No controller-manager runs, so nothing would create the default service accounts.
    '--disable-admission-plugins=ServiceAccount',
    '--allow-privileged=true',
    '--v=2',
    ...(options.extraArgs ?? []),
  ];
}

function httpsRequest(
  url: string,
  token: string,
  method: string,
  urlPath: string,
  body: string | undefined,
  contentType: string | undefined,
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
    if (body !== undefined) headers['Content-Type'] = contentType ?? 'application/json';
    const req = https.request(
      `${url}${urlPath}`,
      // kube-apiserver's serving cert is self-signed in its cert dir; the peer is our own loopback child.
      { method, headers, rejectUnauthorized: false, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: no answer in ${REQUEST_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts kube-apiserver and waits until `/readyz` answers 200. */
export async function startKubeApiserver(options: KubeApiserverOptions): Promise<KubeApiserver> {
  const binary = requireReferenceBinary('kube-apiserver');
  const certDir = path.join(options.baseDir, 'certs');
  mkdirSync(certDir, { recursive: true });
  const { privateKey, publicKey } = writeServiceAccountKeys(options.baseDir);
  const tokenFile = path.join(options.baseDir, 'tokens.csv');
  writeFileSync(tokenFile, `${ADMIN_TOKEN},admin,admin,"system:masters"\n`, { mode: 0o600 });
  const securePort = await freePort();
  const args = kubeApiserverFlags(options, securePort, { certDir, privateKey, publicKey, tokenFile });
  const logFile = path.join(options.baseDir, 'kube-apiserver.log');

  const out = openSync(logFile, 'a');
  let child;
  try {
    writeSync(out, `--- ${new Date().toISOString()} test/support starts ${binary} ${args.join(' ')}\n`);
    child = spawn(binary, args, { cwd: options.baseDir, env: hermeticEnv(undefined), stdio: ['ignore', out, out] });
  } finally {
    closeSync(out);
  }
  trackChild(child);
  const spawned = child;
  let running = true;
  const exited = new Promise<void>((resolve) => {
    spawned.once('exit', () => {
      running = false;
      resolve();
    });
    spawned.once('error', () => {
      running = false;
      resolve();
    });
  });
  const pid = spawned.pid;
  if (pid === undefined) {
    await exited;
    throw new Error(`cannot start kube-apiserver:\n${tailLines(readText(logFile), LOG_TAIL_LINES)}`);
  }

  const url = `https://127.0.0.1:${securePort}`;
  const api: KubeApiserver = {
    pid,
    url,
    token: ADMIN_TOKEN,
    logFile,
    exited,
    isRunning: () => running,
    logs: () => readText(logFile),
    request: (method, urlPath, body, contentType) => httpsRequest(url, ADMIN_TOKEN, method, urlPath, body, contentType),
    async kill() {
      if (!running) return;
      spawned.kill('SIGKILL');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), EXIT_WAIT_MS);
      });
      const outcome = await Promise.race([exited.then(() => 'exited' as const), timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout') throw new Error(`kube-apiserver ${pid} still alive ${EXIT_WAIT_MS} ms after SIGKILL`);
    },
  };

  const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + readyTimeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (!running) {
      throw new Error(`kube-apiserver exited before it was ready:\n${tailLines(api.logs(), LOG_TAIL_LINES)}`);
    }
    try {
      const res = await api.request('GET', '/readyz');
      if (res.status === 200) return api;
      last = `${res.status} ${res.body.slice(0, 2000)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await delay(READY_POLL_MS);
  }
  await api.kill();
  throw new Error(
    `kube-apiserver not ready in ${readyTimeoutMs} ms; last /readyz: ${last}\n${tailLines(api.logs(), LOG_TAIL_LINES)}`,
  );
}
