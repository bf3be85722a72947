import { readFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';
import { type CertFiles, makeCa } from './tlsPki.js';

/** A bare TLS handshake; resolves with the negotiated protocol and cipher, or the error. */
function handshake(port: number, caFile: string, client: CertFiles, opts: tls.ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const s = tls.connect({
      host: '127.0.0.1', port, ca: readFileSync(caFile), cert: readFileSync(client.cert), key: readFileSync(client.key),
      ALPNProtocols: ['h2'], ...opts,
    });
    s.setTimeout(3000, () => s.destroy(new Error('timeout')));
    s.once('secureConnect', () => {
      const out = `${s.getProtocol() ?? '?'} ${s.getCipher().name}`;
      s.end();
      resolve(out);
    });
    s.once('error', (e) => resolve(`error: ${e.message}`));
  });
}

// --tls-min-version, --tls-max-version and --cipher-suites shape what the client listener negotiates;
// an https listener without a certificate is refused at start with etcd's message.
describeWithReference([], () => {
  let dir: string;
  let ca: ReturnType<typeof makeCa>;
  let server: CertFiles;
  let client: CertFiles;
  const members: MemberProcess[] = [];

  const start = async (name: string, flags: string[]) => {
    const [clientPort, peerPort] = await freePorts(2);
    const url = `https://127.0.0.1:${clientPort}`;
    const m = await startCapstan({
      name, dataDir: path.join(dir, name), clientPort, peerPort,
      extraArgs: [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--cert-file=${server.cert}`,
        `--key-file=${server.key}`, `--trusted-ca-file=${ca.cert}`, '--client-cert-auth', ...flags],
      readyCheck: async () => !(await handshake(clientPort, ca.cert, client, {})).startsWith('error'),
    });
    members.push(m);
    return clientPort;
  };

  beforeAll(() => {
    dir = tempDir('tls-flags');
    ca = makeCa(dir, 'ca');
    server = ca.issue('server', { server: true });
    client = ca.issue('client', { cn: 'root' });
  });
  afterAll(async () => {
    for (const m of members) await m.stop();
  });

  it('--tls-min-version=TLS1.3 refuses a TLS 1.2 client', async () => {
    const port = await start('v13', ['--tls-min-version=TLS1.3']);
    expect(await handshake(port, ca.cert, client, { maxVersion: 'TLSv1.2' })).toMatch(/^error/);
    expect(await handshake(port, ca.cert, client, {})).toMatch(/^TLSv1\.3 /);
  });

  it('--tls-max-version=TLS1.2 with --cipher-suites negotiates only the listed suites', async () => {
    const port = await start('v12', ['--tls-max-version=TLS1.2', '--cipher-suites=TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384']);
    expect(await handshake(port, ca.cert, client, {})).toBe('TLSv1.2 ECDHE-ECDSA-AES256-GCM-SHA384');
    expect(await handshake(port, ca.cert, client, { ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256', maxVersion: 'TLSv1.2' })).toMatch(/^error/);
  });

  it('--client-crl-file refuses revoked client certificates, and reloads', async () => {
    const crl = path.join(dir, 'clients.crl');
    const bob = ca.issue('bob', { cn: 'bob' });
    ca.writeCrl(crl, []);
    const port = await start('crl', [`--client-crl-file=${crl}`]);
    expect(await handshake(port, ca.cert, bob, {})).not.toMatch(/^error/);
    ca.writeCrl(crl, [bob]);
    let refused = false;
    for (let i = 0; i < 20 && !refused; i++) {
      await new Promise((r) => setTimeout(r, 250));
      // The server refuses after the handshake's last flight; a refused client sees its socket reset.
      const r = await handshake(port, ca.cert, bob, { maxVersion: 'TLSv1.2' });
      refused = r.startsWith('error');
    }
    expect(refused).toBe(true);
    expect(await handshake(port, ca.cert, client, { maxVersion: 'TLSv1.2' })).not.toMatch(/^error/);
  });

  it('--client-cert-allowed-hostname admits only certificates valid for that name', async () => {
    const port = await start('host', ['--client-cert-allowed-hostname=client.example']);
    const good = ca.issue('host-good', { cn: 'anyone', san: 'DNS:client.example' });
    const bad = ca.issue('host-bad', { cn: 'anyone', san: 'DNS:other.example' });
    const status = (c: CertFiles) =>
      new Promise<string>((resolve) => {
        const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(readFileSync(ca.cert), readFileSync(c.key), readFileSync(c.cert)));
        client.makeUnaryRequest('/etcdserverpb.KV/Range', (r: Buffer) => r, (r: Buffer) => r, Buffer.from([10, 1, 97]), { deadline: Date.now() + 3000 },
          (err) => {
            client.close();
            resolve(err ? err.details : 'ok');
          });
      });
    expect(await status(good)).toBe('ok');
    expect(await status(bad)).toBe('client certificate is not valid for the allowed hostname "client.example"');
  });

  it('refuses to start an https listener without a certificate', async () => {
    const [clientPort, peerPort] = await freePorts(2);
    const url = `https://127.0.0.1:${clientPort}`;
    const m = await startCapstan({
      name: 'nocert', dataDir: path.join(dir, 'nocert'), clientPort, peerPort, wait: false,
      extraArgs: [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`],
    });
    members.push(m);
    const exit = await m.exited;
    expect(exit.code).not.toBe(0);
    expect(m.logs()).toContain(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${url} with HTTPS scheme`);
  });
});
