import { readFileSync } from 'node:fs';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, etcdutl, expectSuccess, freePorts, startCapstan, tempDir } from '../support/processes.js';
import { capstanSnapshot } from '../compat/snapshotSupport.js';
import { makeCa } from './tlsPki.js';

// `capstan snapshot save` with etcdctl's TLS flags against a member that demands client certificates.
describeWithReference(['etcdctl', 'etcdutl'], () => {
  it('saves over TLS with --cacert --cert --key, and is refused without a client certificate', async () => {
    const dir = tempDir('snapshot-tls');
    const ca = makeCa(dir, 'ca');
    const server = ca.issue('server', { server: true });
    const client = ca.issue('root-client', { cn: 'root' });
    const [clientPort, peerPort] = await freePorts(2);
    const url = `https://127.0.0.1:${clientPort}`;
    const ready = () =>
      new Promise<boolean>((resolve) => {
        const creds = grpc.credentials.createSsl(readFileSync(ca.cert), readFileSync(client.key), readFileSync(client.cert));
        const c = new grpc.Client(`127.0.0.1:${clientPort}`, creds);
        c.makeUnaryRequest('/etcdserverpb.Maintenance/Status', (r: Buffer) => r, (r: Buffer) => r, Buffer.alloc(0), { deadline: Date.now() + 2000 }, (err) => {
          c.close();
          resolve(err === null);
        });
      });
    const member = await startCapstan({
      name: 'tls',
      dataDir: path.join(dir, 'data'),
      clientPort: clientPort!,
      peerPort: peerPort!,
      extraArgs: [
        `--listen-client-urls=${url}`,
        `--advertise-client-urls=${url}`,
        `--cert-file=${server.cert}`,
        `--key-file=${server.key}`,
        `--trusted-ca-file=${ca.cert}`,
        '--client-cert-auth',
      ],
      readyCheck: ready,
    });
    const tls = [`--cacert=${ca.cert}`, `--cert=${client.cert}`, `--key=${client.key}`];
    expectSuccess(await etcdctl(url, [...tls, 'put', 'secure/k', 'v']), 'put over TLS');

    const file = path.join(dir, 'tls.snap');
    const saved = await capstanSnapshot(['save', file, `--endpoints=${url}`, ...tls]);
    expect(saved.stdout, saved.stderr).toBe(`Snapshot saved at ${file}\n`);
    const status = JSON.parse(expectSuccess(await etcdutl(['snapshot', 'status', file, '-w', 'json']), 'status')) as { revision: number };
    expect(status.revision).toBe(2);

    const refused = await capstanSnapshot(['save', path.join(dir, 'no.snap'), `--endpoints=${url}`, `--cacert=${ca.cert}`, '--dial-timeout=2s']);
    expect(refused.code).toBe(5);
    await member.stop();
  });
});
