import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { memberIdHex, waitForLeader } from '../support/clusterStatus.js';
import { describeWithReference } from '../support/reference.js';
import {
  etcdctl,
  expectSuccess,
  freePorts,
  type MemberOptions,
  type MemberProcess,
  planCluster,
  startCapstan,
  startCluster,
  tempDir,
} from '../support/processes.js';
import { type CertFiles, type CertificateAuthority, makeCa } from './tlsPki.js';

// Peer TLS with etcd's flags: members listen on and dial https:// peer URLs, present their peer
// certificate as the client certificate, verify each other against --peer-trusted-ca-file and, with
// --peer-client-cert-auth, refuse whoever has no certificate from that CA. Discovery, snapshots and
// member add run over TLS; certificates rotate without a restart.

const TIMINGS = ['--heartbeat-interval=100', '--election-timeout=1000'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 200 ms until true or `ms` pass; returns the last result. */
async function eventually(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; i < Math.ceil(ms / 200) + 1; i++) {
    if (await check()) return true;
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  return check();
}

async function getValue(member: MemberProcess, key: string, consistency: 'l' | 's' = 'l'): Promise<string | null> {
  const r = await etcdctl(member, ['get', key, '--print-value-only', `--consistency=${consistency}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

const portOf = (url: string): number => Number(new URL(url).port);

/** Opens a TLS connection to a peer port; resolves with the listener's certificate once the handshake is done. */
function peerHandshake(port: number, options: tls.ConnectionOptions): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      const cert = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert);
    });
    socket.setTimeout(5_000, () => socket.destroy(new Error('timeout')));
    socket.on('error', reject);
  });
}

/** Sends bytes and reports whether the listener closed the connection without writing anything back. */
function closedWithoutAnswer(socket: net.Socket, payload: Buffer): Promise<boolean> {
  return new Promise((resolve) => {
    let answered = false;
    socket.on('data', () => {
      answered = true;
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(!answered));
    socket.setTimeout(10_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.write(payload);
  });
}

// capstan's peer hello (frames.ts): length, type 1, version 1, kind 1, cluster/from/to IDs all zero:
// a discovery request, which a listener that accepted the connection answers with the cluster.
function helloFrame(): Buffer {
  const body = Buffer.alloc(2 + 24);
  body.writeUInt8(1, 0);
  body.writeUInt8(1, 1);
  const frame = Buffer.alloc(5);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt8(1, 4);
  return Buffer.concat([frame, body]);
}

describeWithReference(['etcdctl'], () => {
  let dir: string;
  let ca: CertificateAuthority;
  let members: MemberProcess[];
  const certs = new Map<string, CertFiles>();
  /** The CA bundle every member trusts, rewritten in place by the rotation test. */
  let liveCa: string;

  /** Each member reads its own copy of its certificate, so a test can rotate it in place. */
  function liveCert(name: string, from: CertFiles): CertFiles {
    const live = { cert: path.join(dir, `live-${name}.pem`), key: path.join(dir, `live-${name}-key.pem`) };
    copyFileSync(from.cert, live.cert);
    copyFileSync(from.key, live.key);
    certs.set(name, live);
    return live;
  }

  const tlsFlags = (c: CertFiles): string[] => [
    `--peer-cert-file=${c.cert}`,
    `--peer-key-file=${c.key}`,
    `--peer-trusted-ca-file=${liveCa}`,
    '--peer-client-cert-auth',
  ];

  beforeAll(async () => {
    dir = tempDir('peertls');
    ca = makeCa(dir, 'peer-ca');
    liveCa = path.join(dir, 'live-ca-bundle.pem');
    copyFileSync(ca.cert, liveCa);
    const plan = await planCluster({
      baseDir: dir,
      size: 3,
      peerScheme: 'https',
      // Small snapshots, so a member added later is caught up by a snapshot sent over TLS.
      extraArgs: [...TIMINGS, '--snapshot-count=50', '--experimental-snapshot-catchup-entries=10'],
    });
    const withCerts: MemberOptions[] = plan.map((m) => ({
      ...m,
      extraArgs: [...(m.extraArgs ?? []), ...tlsFlags(liveCert(m.name, ca.issue(`peer-${m.name}`, { server: true })))],
    }));
    members = await startCluster('capstan', withCerts);
    await waitForLeader(members);
  }, 120_000);

  afterAll(async () => {
    await Promise.all((members ?? []).map((m) => m.stop()));
  });

  it('forms over https peer URLs with client certificates and replicates writes', async () => {
    expect(members[0]!.peerUrl).toMatch(/^https:/);
    const list = expectSuccess(await etcdctl(members[0]!, ['member', 'list']), 'member list');
    expect(list.split('\n').filter((l) => l.includes('https://127.0.0.1')).length).toBe(3);
    expectSuccess(await etcdctl(members[0]!, ['put', 'peer-tls/a', 'one']), 'put');
    expect(await eventually(async () => (await getValue(members[2]!, 'peer-tls/a', 's')) === 'one', 15_000)).toBe(true);
    expect(await getValue(members[1]!, 'peer-tls/a')).toBe('one');
    for (const m of members) expect(m.logs()).toContain('starting with peer TLS');
  }, 60_000);

  it('refuses plain TCP and certificate-less TLS on a peer port, and logs why', async () => {
    const port = portOf(members[0]!.peerUrl);
    const plain = net.connect({ host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => plain.once('connect', resolve).once('error', reject));
    expect(await closedWithoutAnswer(plain, helloFrame())).toBe(true);

    // The listener's certificate checks out; ours is missing, so the connection dies after the handshake.
    const noCert = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.cert) });
    await new Promise<void>((resolve, reject) => noCert.once('secureConnect', resolve).once('error', reject));
    expect(await closedWithoutAnswer(noCert, helloFrame())).toBe(true);

    expect(await eventually(() => members[0]!.logs().includes('tls: first record does not look like a TLS handshake'), 10_000)).toBe(true);
    expect(await eventually(() => members[0]!.logs().includes("tls: client didn't provide a certificate"), 10_000)).toBe(true);
    expect(members[0]!.logs()).toContain('rejected connection on peer endpoint');
  }, 60_000);

  it('a process with a certificate from another CA never joins; the cluster keeps working', async () => {
    const other = makeCa(dir, 'other-ca');
    const intruder = other.issue('intruder', { server: true });
    // It trusts the cluster's CA, so the refusal is the cluster's, not its own.
    const bundle = path.join(dir, 'both-cas.pem');
    writeFileSync(bundle, readFileSync(ca.cert, 'utf8') + readFileSync(other.cert, 'utf8'));
    const [clientPort, peerPort] = await freePorts(2);
    const before = members.map((m) => m.logs().split('certificate signed by unknown authority').length);
    const outsider = await startCapstan({
      name: 'intruder',
      dataDir: path.join(dir, 'intruder.data'),
      clientPort,
      peerPort,
      peerScheme: 'https',
      state: 'existing',
      initialCluster: `m1=${members[0]!.peerUrl},m2=${members[1]!.peerUrl},intruder=https://127.0.0.1:${peerPort}`,
      initialClusterToken: 'capstan-test',
      extraArgs: [...TIMINGS, `--peer-cert-file=${intruder.cert}`, `--peer-key-file=${intruder.key}`, `--peer-trusted-ca-file=${bundle}`, '--peer-client-cert-auth'],
      wait: false,
    });
    try {
      const refused = await eventually(
        () => members.some((m, i) => m.logs().split('certificate signed by unknown authority').length > before[i]!),
        20_000,
      );
      expect(refused).toBe(true);
      expect(outsider.logs()).not.toContain('ready to serve client requests');
    } finally {
      await outsider.kill('SIGKILL');
    }
    const list = expectSuccess(await etcdctl(members[0]!, ['member', 'list']), 'member list');
    expect(list).not.toContain('intruder');
    expect(list.trim().split('\n').length).toBe(3);
    expectSuccess(await etcdctl(members[1]!, ['put', 'peer-tls/b', 'two']), 'put');
    expect(await getValue(members[2]!, 'peer-tls/b')).toBe('two');
  }, 90_000);

  it('rotated peer certificates are picked up without a restart; new connections use them', async () => {
    const m1 = members[0]!;
    const live = certs.get('m1')!;
    const rotated = ca.issue('peer-m1-rotated', { server: true });
    const reloadsBefore = m1.logs().split('reloaded peer TLS certificate files').length;
    copyFileSync(rotated.cert, live.cert);
    copyFileSync(rotated.key, live.key);
    expect(await eventually(() => m1.logs().split('reloaded peer TLS certificate files').length > reloadsBefore, 15_000)).toBe(true);
    // A new connection to m1's listener is served with the new certificate.
    const m2cert = certs.get('m2')!;
    const served = await peerHandshake(portOf(m1.peerUrl), {
      ca: readFileSync(ca.cert),
      cert: readFileSync(m2cert.cert),
      key: readFileSync(m2cert.key),
    });
    expect(served.subject.CN).toBe('peer-m1-rotated');
    // m2 restarts: every connection between m1 and m2 is new, in both directions, under the new certificate.
    members[1] = await members[1]!.restart({ wait: false });
    await members[1]!.waitReady(60_000);
    await waitForLeader(members);
    expectSuccess(await etcdctl(members[1]!, ['put', 'peer-tls/c', 'three']), 'put after rotation');
    expect(await getValue(m1, 'peer-tls/c')).toBe('three');
  }, 120_000);

  it('a CA bundle rewritten in place is reloaded: a peer with a certificate from the new CA is accepted without restarts', async () => {
    const next = makeCa(dir, 'next-ca');
    const reloads = (m: MemberProcess) => m.logs().split('reloaded peer TLS certificate files').length;
    const before = members.map(reloads);
    writeFileSync(liveCa, readFileSync(ca.cert, 'utf8') + readFileSync(next.cert, 'utf8'));
    expect(await eventually(() => members.every((m, i) => reloads(m) > before[i]!), 15_000)).toBe(true);
    // m1 moves to the new CA and restarts; m2 and m3 keep running and must take its new connections.
    const live = certs.get('m1')!;
    const moved = next.issue('peer-m1-next-ca', { server: true });
    copyFileSync(moved.cert, live.cert);
    copyFileSync(moved.key, live.key);
    members[0] = await members[0]!.restart({ wait: false });
    await members[0]!.waitReady(60_000);
    await waitForLeader(members);
    expectSuccess(await etcdctl(members[0]!, ['put', 'peer-tls/e', 'five']), 'put from the member with the new CA');
    expect(await getValue(members[2]!, 'peer-tls/e')).toBe('five');
    const served = await peerHandshake(portOf(members[0]!.peerUrl), {
      ca: readFileSync(liveCa),
      cert: readFileSync(certs.get('m3')!.cert),
      key: readFileSync(certs.get('m3')!.key),
    });
    expect(served.issuer.CN).toBe('next-ca');
  }, 120_000);

  it('a member added with an https peer URL discovers the cluster and is caught up by a snapshot over TLS', async () => {
    for (let i = 0; i < 120; i++) expectSuccess(await etcdctl(members[0]!, ['put', `bulk/${i}`, String(i)]), 'put');
    const [clientPort, peerPort] = await freePorts(2);
    const peerUrl = `https://127.0.0.1:${peerPort}`;
    const added = expectSuccess(await etcdctl(members[0]!, ['member', 'add', 'm4', `--peer-urls=${peerUrl}`]), 'member add');
    const initialCluster = /ETCD_INITIAL_CLUSTER="([^"]+)"/.exec(added)![1]!;
    expect(initialCluster).toContain(`m4=${peerUrl}`);
    const m4 = await startCapstan({
      name: 'm4',
      dataDir: path.join(dir, 'm4.data'),
      clientPort,
      peerPort,
      peerScheme: 'https',
      initialCluster,
      state: 'existing',
      initialClusterToken: 'capstan-test',
      extraArgs: [...TIMINGS, ...tlsFlags(liveCert('m4', ca.issue('peer-m4', { server: true })))],
      readyTimeoutMs: 60_000,
    });
    members.push(m4);
    expect(await eventually(async () => (await getValue(m4, 'bulk/119', 's')) === '119', 30_000)).toBe(true);
    expect(m4.logs()).toContain('installing snapshot from leader');
    expect(await memberIdHex(m4)).toMatch(/^[0-9a-f]+$/);
  }, 150_000);

  it('survives a member restart', async () => {
    const leader = await waitForLeader(members);
    const victim = members.find((m) => m !== leader)!;
    const i = members.indexOf(victim);
    members[i] = await victim.restart({ wait: false });
    await members[i]!.waitReady(60_000);
    await waitForLeader(members);
    expectSuccess(await etcdctl(leader, ['put', 'peer-tls/d', 'four']), 'put');
    expect(await eventually(async () => (await getValue(members[i]!, 'peer-tls/d', 's')) === 'four', 20_000)).toBe(true);
  }, 120_000);
});

/** A TLS connection with `client`'s certificate that sends a discovery hello; true when the listener answers. */
async function acceptedWith(port: number, caFile: string, client: CertFiles): Promise<boolean> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(caFile), cert: readFileSync(client.cert), key: readFileSync(client.key) });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  return !(await closedWithoutAnswer(socket, helloFrame()));
}

describeWithReference(['etcdctl'], () => {
  it('--peer-cert-allowed-cn and --peer-crl-file refuse certificates of the right CA', async () => {
    const dir = tempDir('peertlscn');
    const ca = makeCa(dir, 'ca');
    const own = ca.issue('own', { server: true, cn: 'member' });
    const good = ca.issue('good', { server: true, cn: 'member' });
    const wrongCn = ca.issue('wrong-cn', { server: true, cn: 'someone-else' });
    const revoked = ca.issue('revoked', { server: true, cn: 'member' });
    const crl = path.join(dir, 'crl.pem');
    ca.writeCrl(crl, [revoked]);
    const [clientPort, peerPort] = await freePorts(2);
    const m = await startCapstan({
      name: 'solo',
      dataDir: path.join(dir, 'solo.data'),
      clientPort,
      peerPort,
      peerScheme: 'https',
      extraArgs: [`--peer-cert-file=${own.cert}`, `--peer-key-file=${own.key}`, `--peer-trusted-ca-file=${ca.cert}`,
        '--peer-client-cert-auth', '--peer-cert-allowed-cn=member', `--peer-crl-file=${crl}`],
    });
    try {
      expect(await acceptedWith(peerPort, ca.cert, good)).toBe(true);
      expect(await acceptedWith(peerPort, ca.cert, wrongCn)).toBe(false);
      expect(await acceptedWith(peerPort, ca.cert, revoked)).toBe(false);
      expect(await eventually(() => m.logs().includes('client certificate authentication failed'), 10_000)).toBe(true);
      expect(await eventually(() => /transport: certificate serial [0-9a-f]+ revoked/.test(m.logs()), 10_000)).toBe(true);
    } finally {
      await m.stop();
    }
  }, 60_000);

  it('--peer-auto-tls: three members with self-signed peer certificates form and replicate', async () => {
    const dir = tempDir('peerautotls');
    const plan = await planCluster({ baseDir: dir, size: 3, peerScheme: 'https', extraArgs: [...TIMINGS, '--peer-auto-tls'] });
    const members = await startCluster('capstan', plan);
    try {
      await waitForLeader(members);
      expectSuccess(await etcdctl(members[0]!, ['put', 'auto/a', 'x']), 'put');
      expect(await eventually(async () => (await getValue(members[2]!, 'auto/a', 's')) === 'x', 15_000)).toBe(true);
      for (const m of members) expect(existsSync(path.join(m.dataDir, 'fixtures', 'peer', 'cert.pem'))).toBe(true);
    } finally {
      await Promise.all(members.map((m) => m.stop()));
    }
  }, 120_000);

  it('an https peer URL without a certificate is refused at start with etcd\'s error', async () => {
    const dir = tempDir('peertlsnocert');
    const [clientPort, peerPort] = await freePorts(2);
    const m = await startCapstan({ name: 'solo', dataDir: path.join(dir, 'solo.data'), clientPort, peerPort, peerScheme: 'https', wait: false });
    const status = await m.exited;
    expect(status.code).not.toBe(0);
    expect(m.logs()).toContain(`cannot listen on TLS for 127.0.0.1:${peerPort}: KeyFile and CertFile are not presented`);
  }, 60_000);
});
