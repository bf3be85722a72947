import { copyFileSync, readFileSync } from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';
import { type CertFiles, type CertificateAuthority, makeCa } from './tlsPki.js';

/** Maintenance.Status over TLS with the given client certificate; true when it answers. */
function tlsStatus(port: number, caFile: string, client: CertFiles | null): Promise<boolean> {
  const creds = grpc.credentials.createSsl(
    readFileSync(caFile),
    client ? readFileSync(client.key) : null,
    client ? readFileSync(client.cert) : null,
  );
  const c = new grpc.Client(`127.0.0.1:${port}`, creds);
  return new Promise<boolean>((resolve) => {
    c.makeUnaryRequest('/etcdserverpb.Maintenance/Status', (r: Buffer) => r, (r: Buffer) => r, Buffer.alloc(0),
      { deadline: Date.now() + 2000 }, (err) => resolve(err === null));
  }).finally(() => c.close());
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** GET over https with a client certificate; the status code, or the error's message. */
function httpsGet(url: string, caFile: string, client: CertFiles, alpn?: string[]): Promise<number | string> {
  return new Promise((resolve) => {
    const req = https.get(
      url,
      { ca: readFileSync(caFile), cert: readFileSync(client.cert), key: readFileSync(client.key), timeout: 3000, ...(alpn ? { ALPNProtocols: alpn, agent: false } : {}) },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', (e) => resolve(e.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
  });
}

// TLS on the client listener with etcd's flags: the guide's etcdctl --cacert/--cert/--key works;
// no certificate, another CA's, an expired one and plain TCP are refused; files reload without restart.
describeWithReference(['etcdctl'], () => {
  let dir: string;
  let member: MemberProcess;
  let url: string;
  let metricsUrl: string;
  let ca: CertificateAuthority;
  let server: CertFiles;
  let root: CertFiles;
  const live = { ca: '', cert: '', key: '' };

  const ctl = (client: CertFiles | null, caFile: string, args: string[], endpoint = url) =>
    etcdctl(endpoint, [`--cacert=${caFile}`, ...(client ? [`--cert=${client.cert}`, `--key=${client.key}`] : []), ...args], {
      commandTimeout: '3s',
    });

  beforeAll(async () => {
    dir = tempDir('tls');
    ca = makeCa(dir, 'ca');
    server = ca.issue('server', { server: true });
    root = ca.issue('root-client', { cn: 'root' });
    // The member reads copies, so the test can rotate them in place.
    live.ca = path.join(dir, 'live-ca.pem');
    live.cert = path.join(dir, 'live-server.pem');
    live.key = path.join(dir, 'live-server-key.pem');
    copyFileSync(ca.cert, live.ca);
    copyFileSync(server.cert, live.cert);
    copyFileSync(server.key, live.key);
    const [clientPort, peerPort, metricsPort] = await freePorts(3);
    url = `https://127.0.0.1:${clientPort}`;
    metricsUrl = `https://127.0.0.1:${metricsPort}`;
    member = await startCapstan({
      name: 't1',
      dataDir: path.join(dir, 'data'),
      clientPort,
      peerPort,
      extraArgs: [
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--cert-file=${live.cert}`,
        `--key-file=${live.key}`,
        `--trusted-ca-file=${live.ca}`,
        '--client-cert-auth',
        `--listen-metrics-urls=${metricsUrl}`,
      ],
      readyCheck: () => tlsStatus(clientPort, ca.cert, root),
    });
  });
  afterAll(async () => {
    await member?.stop();
  });

  it('serves etcdctl --cacert --cert --key put/get over TLS', async () => {
    const put = await ctl(root, ca.cert, ['put', 'secure/k', 'v1']);
    expect(put.stderr).toBe('');
    expect(put.stdout.trim()).toBe('OK');
    const get = await ctl(root, ca.cert, ['get', 'secure/k']);
    expect(get.stdout.trim().split('\n')).toEqual(['secure/k', 'v1']);
    const status = await ctl(root, ca.cert, ['endpoint', 'status', '-w', 'json']);
    expect(status.code).toBe(0);
  });

  it("runs the guide's etcdctl --cacert --cert --key snapshot save", async () => {
    const file = path.join(dir, 'guide.db');
    const r = await ctl(root, ca.cert, ['snapshot', 'save', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`Snapshot saved at ${file}`);
  });

  it('serves the metrics listener over https with the client TLS flags', async () => {
    expect(await httpsGet(`${metricsUrl}/health`, ca.cert, root)).toBe(200);
    expect(await httpsGet(`${metricsUrl}/metrics`, ca.cert, root)).toBe(200);
    const other = makeCa(dir, 'metrics-other-ca').issue('metrics-stranger');
    expect(await httpsGet(`${metricsUrl}/health`, ca.cert, other)).not.toBe(200);
  });

  it('serves the HTTP endpoints on the client URL too, over TLS, with or without ALPN http/1.1', async () => {
    expect(await httpsGet(`${url}/health`, ca.cert, root)).toBe(200);
    expect(await httpsGet(`${url}/metrics`, ca.cert, root, ['http/1.1'])).toBe(200);
    const other = makeCa(dir, 'client-url-other-ca').issue('client-url-stranger');
    expect(await httpsGet(`${url}/health`, ca.cert, other)).not.toBe(200);
    // gRPC on the same listener is unaffected.
    expect(await tlsStatus(Number(new URL(url).port), ca.cert, root)).toBe(true);
  });

  it('refuses a client without a certificate', async () => {
    const r = await ctl(null, ca.cert, ['get', 'secure/k']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('v1');
  });

  it('refuses a certificate from another CA', async () => {
    const other = makeCa(dir, 'other-ca');
    const stranger = other.issue('stranger', { cn: 'root' });
    const r = await ctl(stranger, ca.cert, ['get', 'secure/k']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('v1');
  });

  it('refuses an expired certificate', async () => {
    const expired = ca.issue('expired', { cn: 'root', days: -1 });
    const r = await ctl(expired, ca.cert, ['get', 'secure/k']);
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('v1');
  });

  it('refuses plain TCP on the TLS port', async () => {
    const r = await etcdctl(url.replace('https:', 'http:'), ['get', 'secure/k'], { commandTimeout: '3s' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).not.toContain('v1');
  });

  it('reloads the certificate, key and CA bundle without a restart', async () => {
    const ca2 = makeCa(dir, 'ca2');
    const server2 = ca2.issue('server2', { server: true });
    const root2 = ca2.issue('root2-client', { cn: 'root' });
    // Before the rotation the new CA's clients are strangers.
    expect((await ctl(root2, ca2.cert, ['get', 'secure/k'])).code).not.toBe(0);
    copyFileSync(ca2.cert, live.ca);
    copyFileSync(server2.key, live.key);
    copyFileSync(server2.cert, live.cert);
    let ok = false;
    for (let i = 0; i < 40 && !ok; i++) {
      await sleep(250);
      ok = await tlsStatus(Number(new URL(url).port), ca2.cert, root2);
    }
    expect(ok).toBe(true);
    const get = await ctl(root2, ca2.cert, ['get', 'secure/k']);
    expect(get.stdout.trim().split('\n')).toEqual(['secure/k', 'v1']);
    // The old CA's client and the old server identity are gone.
    expect((await ctl(root, ca.cert, ['get', 'secure/k'])).code).not.toBe(0);
    expect(member.isRunning()).toBe(true);
  });

  it('keeps serving when a rotation is half-written (cert and key disagree)', async () => {
    const ca2Cert = readFileSync(live.ca);
    const mismatched = ca.issue('mismatch', { server: true });
    copyFileSync(mismatched.cert, live.cert); // key not yet replaced
    await sleep(1200);
    const caFile = path.join(dir, 'ca2-copy.pem');
    copyFileSync(live.ca, caFile);
    expect(readFileSync(caFile).equals(ca2Cert)).toBe(true);
    expect(member.isRunning()).toBe(true);
    expect(member.logs()).toContain('ignoring changed client TLS files');
  });
});

describeWithReference(['etcdctl'], () => {
  it('--auto-tls makes a self-signed certificate and serves https with it', async () => {
    const dir = tempDir('autotls');
    const [clientPort, peerPort] = await freePorts(2);
    const url = `https://127.0.0.1:${clientPort}`;
    // etcdctl keeps TLS off for https endpoints unless told (its --insecure-transport defaults to true).
    const skipVerify = ['--insecure-transport=false', '--insecure-skip-tls-verify'];
    const member = await startCapstan({
      name: 'a1',
      dataDir: path.join(dir, 'data'),
      clientPort,
      peerPort,
      extraArgs: [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, '--auto-tls'],
      readyCheck: async () => {
        const r = await etcdctl(url, [...skipVerify, 'get', 'probe'], { commandTimeout: '2s' });
        return r.code === 0;
      },
    });
    try {
      const put = await etcdctl(url, [...skipVerify, 'put', 'a', 'b']);
      expect(put.stdout.trim()).toBe('OK');
      const plain = await etcdctl(url.replace('https:', 'http:'), ['get', 'a'], { commandTimeout: '2s' });
      expect(plain.code).not.toBe(0);
      const cert = path.join(dir, 'data', 'fixtures', 'client', 'cert.pem');
      expect(readFileSync(cert, 'utf8')).toContain('BEGIN CERTIFICATE');
    } finally {
      await member.stop();
    }
  });
});
