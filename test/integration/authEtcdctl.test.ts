import { readFileSync } from 'node:fs';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, startEtcd, tempDir } from '../support/processes.js';
import { makeCa } from './tlsPki.js';

/** What etcdctl printed that a user sees: stdout, and the "Error:" lines of stderr (not its debug logs). */
async function run(endpoint: string, args: string[]): Promise<string> {
  const r = await etcdctl(endpoint, args);
  const errors = r.stderr.split('\n').filter((l) => l.startsWith('Error:'));
  return [`exit ${r.code}`, r.stdout.trim(), ...errors].join('\n');
}

// The operations guide's auth flow through the real etcdctl, on capstan and on etcd: same output.
const FLOW: string[][] = [
  ['user', 'add', 'root:rootpw'],
  ['role', 'add', 'app'],
  ['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'],
  ['role', 'grant-permission', 'app', 'read', 'cfg/', '--from-key'],
  ['user', 'add', 'alice:apw'],
  ['user', 'grant-role', 'alice', 'app'],
  ['auth', 'enable'],
  ['put', 'app/x', 'nope'],
  ['--user=alice:apw', 'put', 'app/x', '1'],
  ['--user=alice:apw', 'get', 'app/x'],
  ['--user=alice:apw', 'put', 'other', '1'],
  ['--user=alice:apw', 'get', 'zzz'],
  ['--user=alice:apw', 'put', 'cfg/a', '1'],
  ['--user=alice:wrong', 'get', 'app/x'],
  ['--user=root:rootpw', 'role', 'get', 'app'],
  ['--user=root:rootpw', 'user', 'get', 'alice'],
  ['--user=root:rootpw', 'user', 'list'],
  ['--user=root:rootpw', 'role', 'list'],
  ['--user=alice:apw', 'user', 'list'],
  ['--user=root:rootpw', 'role', 'revoke-permission', 'app', 'app/', '--prefix'],
  ['--user=alice:apw', 'get', 'app/x'],
  ['--user=root:rootpw', 'user', 'delete', 'root'],
  ['--user=root:rootpw', 'auth', 'disable'],
  ['get', 'app/x'],
];

describeWithReference(['etcd', 'etcdctl'], () => {
  const members: MemberProcess[] = [];
  afterAll(async () => {
    for (const m of members) await m.stop();
  });

  it('prints what etcd prints for the guide\'s user/role/auth flow', async () => {
    const dir = tempDir('auth-flow');
    const outputs: Record<'etcd' | 'capstan', string[]> = { etcd: [], capstan: [] };
    for (const kind of ['etcd', 'capstan'] as const) {
      const [clientPort, peerPort] = await freePorts(2);
      const opts = { name: `f-${kind}`, dataDir: path.join(dir, kind), clientPort, peerPort };
      const m = kind === 'etcd' ? await startEtcd(opts) : await startCapstan(opts);
      members.push(m);
      for (const step of FLOW) outputs[kind].push(`$ etcdctl ${step.join(' ')}\n${await run(m.endpoint, step)}`);
    }
    expect(outputs.capstan.join('\n')).toBe(outputs.etcd.join('\n'));
  });
});

/** Maintenance.Status over TLS (the readiness probe of a client-cert member). */
function tlsStatus(port: number, ca: string, cert: string, key: string): Promise<boolean> {
  const c = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createSsl(readFileSync(ca), readFileSync(key), readFileSync(cert)));
  return new Promise<boolean>((resolve) => {
    c.makeUnaryRequest('/etcdserverpb.Maintenance/Status', (r: Buffer) => r, (r: Buffer) => r, Buffer.alloc(0),
      { deadline: Date.now() + 2000 }, (err) => resolve(err === null));
  }).finally(() => c.close());
}

// With --client-cert-auth, a call without a token is the user its certificate's CN names (etcd).
describeWithReference(['etcdctl'], () => {
  let member: MemberProcess;
  let url: string;
  let ctl: (cn: 'root' | 'alice', args: string[]) => Promise<string>;

  beforeAll(async () => {
    const dir = tempDir('auth-cn');
    const ca = makeCa(dir, 'ca');
    const server = ca.issue('server', { server: true });
    const certs = { root: ca.issue('root-cn', { cn: 'root' }), alice: ca.issue('alice-cn', { cn: 'alice' }) };
    const [clientPort, peerPort] = await freePorts(2);
    url = `https://127.0.0.1:${clientPort}`;
    member = await startCapstan({
      name: 'cn1', dataDir: path.join(dir, 'data'), clientPort, peerPort,
      extraArgs: [`--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--cert-file=${server.cert}`,
        `--key-file=${server.key}`, `--trusted-ca-file=${ca.cert}`, '--client-cert-auth'],
      readyCheck: () => tlsStatus(clientPort, ca.cert, certs.root.cert, certs.root.key),
    });
    ctl = (cn, args) => run(url, [`--cacert=${ca.cert}`, `--cert=${certs[cn].cert}`, `--key=${certs[cn].key}`, ...args]);
  });
  afterAll(async () => {
    await member?.stop();
  });

  it('takes the certificate CN as the user', async () => {
    for (const step of [
      ['user', 'add', 'root:rootpw'], ['user', 'grant-role', 'root', 'root'], ['role', 'add', 'app'],
      ['role', 'grant-permission', 'app', 'readwrite', 'app/', '--prefix'], ['user', 'add', 'alice:apw'],
      ['user', 'grant-role', 'alice', 'app'], ['auth', 'enable'],
    ]) expect(await ctl('root', step)).toMatch(/^exit 0/);
    expect(await ctl('alice', ['put', 'app/k', 'v'])).toBe('exit 0\nOK');
    expect(await ctl('alice', ['get', 'app/k'])).toBe('exit 0\napp/k\nv');
    expect(await ctl('alice', ['put', 'other', 'v'])).toBe('exit 1\n\nError: etcdserver: permission denied');
    expect(await ctl('root', ['put', 'other', 'v'])).toBe('exit 0\nOK');
    const denied = await ctl('alice', ['snapshot', 'save', path.join(path.dirname(member.dataDir), 'alice.db')]);
    expect(denied).not.toMatch(/^exit 0/);
    expect(denied).toContain('Error: etcdserver: permission denied');
    const snap = await ctl('root', ['snapshot', 'save', path.join(path.dirname(member.dataDir), 'root.db')]);
    expect(snap).toMatch(/^exit 0/);
  });
});
