// The client API on unix:// and unixs:// listeners (etcd's unix socket URLs), beside an https:// one,
// with client-certificate TLS on the secure socket: real etcdctl, real member, real files.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';
import { type CertFiles, makeCa } from './tlsPki.js';

function tlsStatus(port: number, caFile: string, client: CertFiles): Promise<boolean> {
  const creds = grpc.credentials.createSsl(readFileSync(caFile), readFileSync(client.key), readFileSync(client.cert));
  const c = new grpc.Client(`127.0.0.1:${port}`, creds);
  return new Promise<boolean>((resolve) => {
    c.makeUnaryRequest('/etcdserverpb.Maintenance/Status', (r: Buffer) => r, (r: Buffer) => r, Buffer.alloc(0),
      { deadline: Date.now() + 2000 }, (err) => resolve(err === null));
  }).finally(() => c.close());
}

describeWithReference(['etcdctl'], () => {
  let dir: string;
  let member: MemberProcess;
  let caFile: string;
  let root: CertFiles;
  let plainSocket: string;
  let tlsSocket: string;

  beforeAll(async () => {
    dir = tempDir('unixgrpc');
    const ca = makeCa(dir, 'ca');
    // Go's client checks a unixs:// server certificate against the socket's file name.
    caFile = ca.cert;
    const server = ca.issue('server', { server: true, san: 'IP:127.0.0.1,DNS:localhost,DNS:tls.sock' });
    root = ca.issue('root-client', { cn: 'root' });
    const [clientPort, peerPort] = await freePorts(2);
    plainSocket = path.join(dir, 'plain.sock');
    tlsSocket = path.join(dir, 'tls.sock');
    const https = `https://127.0.0.1:${clientPort}`;
    member = await startCapstan({
      name: 'u1',
      dataDir: path.join(dir, 'data'),
      clientPort,
      peerPort,
      extraArgs: [
        `--listen-client-urls=${https},unix://${plainSocket},unixs://${tlsSocket}`,
        `--advertise-client-urls=${https}`,
        `--cert-file=${server.cert}`,
        `--key-file=${server.key}`,
        `--trusted-ca-file=${caFile}`,
        '--client-cert-auth',
      ],
      readyCheck: () => tlsStatus(clientPort, caFile, root),
    });
  });
  afterAll(async () => {
    await member?.stop();
  });

  it('serves put over unixs:// with a client certificate and get over unix://', async () => {
    const put = await etcdctl(`unixs://${tlsSocket}`, [`--cacert=${caFile}`, `--cert=${root.cert}`, `--key=${root.key}`, 'put', 'sock/k', 'v1'], {
      commandTimeout: '5s',
    });
    expect(put.code, put.stderr.slice(0, 600)).toBe(0);
    expect(put.stdout.trim()).toBe('OK');
    const get = await etcdctl(`unix://${plainSocket}`, ['get', 'sock/k'], { commandTimeout: '5s' });
    expect(get.stdout.trim().split('\n')).toEqual(['sock/k', 'v1']);
  });

  it('refuses a unixs:// client without a certificate', async () => {
    const r = await etcdctl(`unixs://${tlsSocket}`, [`--cacert=${caFile}`, 'get', 'sock/k'], { commandTimeout: '3s' });
    expect(r.code).not.toBe(0);
  });
});
