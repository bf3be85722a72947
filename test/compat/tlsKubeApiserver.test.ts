import { readFileSync } from 'node:fs';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type CertFiles, makeCa } from '../integration/tlsPki.js';
import { kubectlOk } from '../support/kubectl.js';
import { type KubeApiserver, startKubeApiserver } from '../support/kubeApiserver.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';
import { describeWithReference } from '../support/reference.js';

function tlsStatus(port: number, ca: string, client: CertFiles): Promise<boolean> {
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(readFileSync(ca), readFileSync(client.key), readFileSync(client.cert)));
  return new Promise<boolean>((resolve) => {
    c.makeUnaryRequest('/etcdserverpb.Maintenance/Status', (r: Buffer) => r, (r: Buffer) => r, Buffer.alloc(0),
      { deadline: Date.now() + 2000 }, (err) => resolve(err === null));
  }).finally(() => c.close());
}

// kube-apiserver reaching capstan as it reaches etcd in a kubeadm cluster: https with
// --etcd-cafile/--etcd-certfile/--etcd-keyfile against --client-cert-auth.
describeWithReference(['kube-apiserver', 'kubectl', 'etcdctl'], () => {
  let member: MemberProcess;
  let api: KubeApiserver;
  let ca: ReturnType<typeof makeCa>;
  let client: CertFiles;
  let url: string;

  beforeAll(async () => {
    const dir = tempDir('tls-kube');
    ca = makeCa(dir, 'etcd-ca');
    const server = ca.issue('etcd-server', { server: true });
    client = ca.issue('apiserver-etcd-client', { cn: 'kube-apiserver-etcd-client' });
    const [clientPort, peerPort] = await freePorts(2);
    url = `https://127.0.0.1:${clientPort}`;
    member = await startCapstan({
      name: 'k1', dataDir: path.join(dir, 'data'), clientPort, peerPort,
      extraArgs: [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--cert-file=${server.cert}`,
        `--key-file=${server.key}`, `--trusted-ca-file=${ca.cert}`, '--client-cert-auth'],
      readyCheck: () => tlsStatus(clientPort, ca.cert, client),
    });
    api = await startKubeApiserver({
      etcdServers: [url],
      baseDir: path.join(dir, 'kube'),
      extraArgs: [`--etcd-cafile=${ca.cert}`, `--etcd-certfile=${client.cert}`, `--etcd-keyfile=${client.key}`],
    });
  }, 180_000);
  afterAll(async () => {
    await api?.kill();
    await member?.stop();
  });

  it('stores and serves objects through the TLS client listener', async () => {
    await kubectlOk(api, ['create', 'configmap', 'tls-check', '--from-literal=k=v']);
    expect(await kubectlOk(api, ['get', 'configmap', 'tls-check', '-o', 'jsonpath={.data.k}'])).toBe('v');
    const r = await etcdctl(url, [`--cacert=${ca.cert}`, `--cert=${client.cert}`, `--key=${client.key}`, 'get',
      '/registry/configmaps/default/tls-check', '--keys-only']);
    expect(r.stdout.trim()).toBe('/registry/configmaps/default/tls-check');
  }, 120_000);
});
