import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';
import { RawEtcd, type RpcOutcome, type ServiceName } from './authRpc.js';

const b = (s: string) => Buffer.from(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const USER_EMPTY = 'etcdserver: user name is empty';
const DENIED = 'etcdserver: permission denied';

type Who = 'alice' | 'root';
interface Case {
  service: ServiceName;
  method: string;
  shape?: 'unary' | 'server' | 'bidi';
  /** Without credentials the call passes (etcd leaves these open). */
  open?: boolean;
  /** Allowed: who and with what; the call must pass the auth check. */
  inside: { as: Who; request: object };
  /** Refused: alice with this request (absent when every authenticated user may call it). */
  outside?: object;
}

/** True when an outcome is an auth refusal (not some later, unrelated error). */
function refusedByAuth(o: RpcOutcome): boolean {
  return o.code === grpc.status.PERMISSION_DENIED || o.code === grpc.status.UNAUTHENTICATED || o.details === USER_EMPTY;
}

// Every etcd RPC with auth on: refused without credentials, refused outside the caller's permissions,
// allowed inside them. alice may read and write [app/, app0); root may do anything.
describeWithReference([], () => {
  let member: MemberProcess;
  let rpc: RawEtcd;
  const tokens: Record<Who, string> = { alice: '', root: '' };
  const leases = { revokeIn: '0', out: '0', ttlIn: '0' };

  const call = (c: Case, request: object, token?: string): Promise<RpcOutcome> => {
    switch (c.shape ?? 'unary') {
      case 'server':
        return rpc.serverStream(c.service, c.method, request, token);
      case 'bidi':
        return rpc.bidiFirst(c.service, c.method, request, token);
      default:
        return rpc.unary(c.service, c.method, request, token);
    }
  };
  const ok = async (o: Promise<RpcOutcome>): Promise<RpcOutcome> => {
    const r = await o;
    if (r.code !== 0) throw new Error(`expected OK, got ${r.code} ${r.details}`);
    return r;
  };

  beforeAll(async () => {
    const dir = tempDir('auth');
    const [clientPort, peerPort] = await freePorts(2);
    member = await startCapstan({ name: 'au1', dataDir: path.join(dir, 'data'), clientPort, peerPort });
    rpc = new RawEtcd(`127.0.0.1:${clientPort}`);
    await rpc.untilLeader();
    await ok(rpc.unary('Auth', 'UserAdd', { name: 'root', password: 'rootpw' }));
    await ok(rpc.unary('Auth', 'UserGrantRole', { user: 'root', role: 'root' }));
    await ok(rpc.unary('Auth', 'RoleAdd', { name: 'app' }));
    await ok(rpc.unary('Auth', 'RoleGrantPermission', { name: 'app', perm: { permType: 'READWRITE', key: b('app/'), range_end: b('app0') } }));
    await ok(rpc.unary('Auth', 'UserAdd', { name: 'alice', password: 'apw' }));
    await ok(rpc.unary('Auth', 'UserGrantRole', { user: 'alice', role: 'app' }));
    await ok(rpc.unary('KV', 'Put', { key: b('app/a'), value: b('1') }));
    await ok(rpc.unary('KV', 'Put', { key: b('other/b'), value: b('2') }));
    const grant = async (key: string) => {
      const r = await ok(rpc.unary('Lease', 'LeaseGrant', { TTL: 600 }));
      const id = (r.response as { ID: string }).ID;
      await ok(rpc.unary('KV', 'Put', { key: b(key), value: b('l'), lease: id }));
      return id;
    };
    leases.revokeIn = await grant('app/l1');
    leases.out = await grant('other/l2');
    leases.ttlIn = await grant('app/l3');
    await ok(rpc.unary('Auth', 'AuthEnable', {}));
    for (const [who, pw] of [['alice', 'apw'], ['root', 'rootpw']] as const) {
      const r = await ok(rpc.unary('Auth', 'Authenticate', { name: who, password: pw }));
      tokens[who] = (r.response as { token: string }).token;
    }
  });
  afterAll(async () => {
    rpc?.close();
    await member?.stop();
  });

  const cases = (): Case[] => [
    { service: 'KV', method: 'Range', inside: { as: 'alice', request: { key: b('app/a') } }, outside: { key: b('other/b') } },
    { service: 'KV', method: 'Range', inside: { as: 'alice', request: { key: b('app/'), range_end: b('app0') } }, outside: { key: b('app/'), range_end: b('\0') } },
    { service: 'KV', method: 'Put', inside: { as: 'alice', request: { key: b('app/p'), value: b('v') } }, outside: { key: b('other/p'), value: b('v') } },
    { service: 'KV', method: 'Put', inside: { as: 'alice', request: { key: b('app/leased'), value: b('v'), lease: leases.ttlIn } }, outside: { key: b('app/leased2'), value: b('v'), lease: leases.out } },
    { service: 'KV', method: 'DeleteRange', inside: { as: 'alice', request: { key: b('app/p') } }, outside: { key: b('other/b') } },
    {
      service: 'KV', method: 'Txn',
      inside: { as: 'alice', request: { compare: [{ key: b('app/a'), target: 'VERSION', result: 'GREATER', version: 0 }], success: [{ request_put: { key: b('app/t'), value: b('1') } }] } },
      outside: { compare: [], success: [{ request_range: { key: b('app/a') } }], failure: [{ request_put: { key: b('other/t'), value: b('1') } }] },
    },
    { service: 'KV', method: 'Compact', inside: { as: 'root', request: { revision: 1 } }, outside: { revision: 1 } },
    { service: 'Lease', method: 'LeaseGrant', inside: { as: 'alice', request: { TTL: 60 } } },
    { service: 'Lease', method: 'LeaseRevoke', inside: { as: 'alice', request: { ID: leases.revokeIn } }, outside: { ID: leases.out } },
    { service: 'Lease', method: 'LeaseTimeToLive', inside: { as: 'alice', request: { ID: leases.ttlIn, keys: true } }, outside: { ID: leases.out, keys: true } },
    { service: 'Lease', method: 'LeaseLeases', inside: { as: 'alice', request: {} } },
    { service: 'Lease', method: 'LeaseKeepAlive', shape: 'bidi', inside: { as: 'alice', request: { ID: leases.ttlIn } } },
    { service: 'Watch', method: 'Watch', shape: 'bidi', inside: { as: 'alice', request: { create_request: { key: b('app/'), range_end: b('app0') } } } },
    { service: 'Cluster', method: 'MemberList', open: true, inside: { as: 'alice', request: {} } },
    { service: 'Cluster', method: 'MemberAdd', inside: { as: 'root', request: { peerURLs: [] } }, outside: { peerURLs: [] } },
    { service: 'Cluster', method: 'MemberRemove', inside: { as: 'root', request: { ID: '12345' } }, outside: { ID: '12345' } },
    { service: 'Cluster', method: 'MemberUpdate', inside: { as: 'root', request: { ID: '12345', peerURLs: ['http://127.0.0.1:9'] } }, outside: { ID: '12345', peerURLs: ['http://127.0.0.1:9'] } },
    { service: 'Cluster', method: 'MemberPromote', inside: { as: 'root', request: { ID: '12345' } }, outside: { ID: '12345' } },
    { service: 'Maintenance', method: 'Status', open: true, inside: { as: 'alice', request: {} } },
    { service: 'Maintenance', method: 'Alarm', inside: { as: 'alice', request: { action: 'GET' } } },
    { service: 'Maintenance', method: 'Alarm', inside: { as: 'root', request: { action: 'DEACTIVATE', alarm: 'NOSPACE' } }, outside: { action: 'DEACTIVATE', alarm: 'NOSPACE' } },
    { service: 'Maintenance', method: 'Defragment', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Maintenance', method: 'Hash', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Maintenance', method: 'HashKV', inside: { as: 'root', request: { revision: 0 } }, outside: { revision: 0 } },
    { service: 'Maintenance', method: 'Snapshot', shape: 'server', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Maintenance', method: 'MoveLeader', inside: { as: 'root', request: { targetID: '12345' } }, outside: { targetID: '12345' } },
    { service: 'Maintenance', method: 'Downgrade', inside: { as: 'root', request: { action: 'VALIDATE', version: '3.4' } }, outside: { action: 'VALIDATE', version: '3.4' } },
    { service: 'Auth', method: 'AuthEnable', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Auth', method: 'AuthStatus', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Auth', method: 'UserAdd', inside: { as: 'root', request: { name: 'tmp', password: 'x' } }, outside: { name: 'tmp2', password: 'x' } },
    { service: 'Auth', method: 'UserGet', inside: { as: 'alice', request: { name: 'alice' } }, outside: { name: 'root' } },
    { service: 'Auth', method: 'UserList', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Auth', method: 'UserChangePassword', inside: { as: 'root', request: { name: 'tmp', password: 'y' } }, outside: { name: 'tmp', password: 'z' } },
    { service: 'Auth', method: 'RoleAdd', inside: { as: 'root', request: { name: 'tmprole' } }, outside: { name: 'tmprole2' } },
    { service: 'Auth', method: 'UserGrantRole', inside: { as: 'root', request: { user: 'tmp', role: 'tmprole' } }, outside: { user: 'alice', role: 'root' } },
    { service: 'Auth', method: 'UserRevokeRole', inside: { as: 'root', request: { name: 'tmp', role: 'tmprole' } }, outside: { name: 'root', role: 'root' } },
    { service: 'Auth', method: 'RoleGrantPermission', inside: { as: 'root', request: { name: 'tmprole', perm: { permType: 'READ', key: b('x'), range_end: b('') } } }, outside: { name: 'app', perm: { permType: 'READWRITE', key: b(''), range_end: b('\0') } } },
    { service: 'Auth', method: 'RoleGet', inside: { as: 'alice', request: { role: 'app' } }, outside: { role: 'tmprole' } },
    { service: 'Auth', method: 'RoleList', inside: { as: 'root', request: {} }, outside: {} },
    { service: 'Auth', method: 'RoleRevokePermission', inside: { as: 'root', request: { role: 'tmprole', key: b('x'), range_end: b('') } }, outside: { role: 'app', key: b('app/'), range_end: b('app0') } },
    { service: 'Auth', method: 'RoleDelete', inside: { as: 'root', request: { role: 'tmprole' } }, outside: { role: 'app' } },
    { service: 'Auth', method: 'UserDelete', inside: { as: 'root', request: { name: 'tmp' } }, outside: { name: 'alice' } },
  ];

  it('refuses every guarded RPC without credentials, and an invalid token everywhere but the open ones', async () => {
    for (const c of cases()) {
      const anon = await call(c, c.inside.request);
      if (c.open) expect(refusedByAuth(anon), `${c.service}.${c.method} is open`).toBe(false);
      else expect(anon.details, `${c.service}.${c.method} without credentials`).toBe(USER_EMPTY);
      const forged = await call(c, c.inside.request, 'forged.1');
      if (!c.open) expect(forged.details, `${c.service}.${c.method} with a forged token`).toBe('etcdserver: invalid auth token');
    }
  });

  it('refuses every RPC outside the caller\'s permissions with etcd\'s "permission denied"', async () => {
    let checked = 0;
    for (const c of cases()) {
      if (!c.outside) continue;
      const r = await call(c, c.outside, tokens.alice);
      expect({ rpc: `${c.service}.${c.method}`, code: r.code, details: r.details }).toEqual({
        rpc: `${c.service}.${c.method}`,
        code: grpc.status.PERMISSION_DENIED,
        details: DENIED,
      });
      checked++;
    }
    expect(checked).toBeGreaterThan(30);
  });

  it('allows every RPC inside the caller\'s permissions', async () => {
    for (const c of cases()) {
      const r = await call(c, c.inside.request, tokens[c.inside.as]);
      expect(refusedByAuth(r), `${c.service}.${c.method} as ${c.inside.as}: ${r.code} ${r.details}`).toBe(false);
    }
    // The allowed writes happened; the refused ones did not.
    const got = await ok(rpc.unary('KV', 'Range', { key: b('\0'), range_end: b('\0') }, tokens.root));
    const keys = (got.response as { kvs: Array<{ key: Buffer }> }).kvs.map((kv) => kv.key.toString());
    expect(keys).toContain('app/t');
    expect(keys).not.toContain('other/p');
    expect(keys).not.toContain('other/t');
    expect(keys).toContain('other/b');
  });

  it('cancels a watch outside the caller\'s read permission with etcd\'s reason', async () => {
    const r = await rpc.bidiFirst('Watch', 'Watch', { create_request: { key: b('other/') , range_end: b('other0') } }, tokens.alice);
    expect(r.response).toMatchObject({
      created: true,
      canceled: true,
      watch_id: '-1',
      cancel_reason: 'rpc error: code = PermissionDenied desc = etcdserver: permission denied',
    });
  });

  it('keeps etcd\'s root rules and errors', async () => {
    const root = tokens.root;
    expect((await rpc.unary('Auth', 'UserDelete', { name: 'root' }, root)).details).toBe('etcdserver: invalid auth management');
    expect((await rpc.unary('Auth', 'UserRevokeRole', { name: 'root', role: 'root' }, root)).details).toBe('etcdserver: invalid auth management');
    expect((await rpc.unary('Auth', 'RoleDelete', { role: 'root' }, root)).details).toBe('etcdserver: invalid auth management');
    expect((await rpc.unary('Auth', 'UserAdd', { name: 'alice', password: 'x' }, root)).details).toBe('etcdserver: user name already exists');
    expect((await rpc.unary('Auth', 'UserAdd', { name: '', password: 'x' }, root)).details).toBe('etcdserver: user name is empty');
    expect((await rpc.unary('Auth', 'RoleAdd', { name: '' }, root)).details).toBe('etcdserver: role name is empty');
    expect((await rpc.unary('Auth', 'UserGrantRole', { user: 'alice', role: 'nope' }, root)).details).toBe('etcdserver: role name not found');
    expect((await rpc.unary('Auth', 'UserRevokeRole', { name: 'alice', role: 'root' }, root)).details).toBe('etcdserver: role is not granted to the user');
    expect((await rpc.unary('Auth', 'RoleRevokePermission', { role: 'app', key: b('zz') }, root)).details).toBe('etcdserver: permission is not granted to the role');
    expect((await rpc.unary('Auth', 'Authenticate', { name: 'alice', password: 'wrong' })).details).toBe(
      'etcdserver: authentication failed, invalid user ID or password',
    );
    expect((await rpc.unary('Auth', 'Authenticate', { name: 'ghost', password: 'x' })).details).toBe(
      'etcdserver: authentication failed, invalid user ID or password',
    );
  });

  it('bumps the auth revision on every change and survives a restart', async () => {
    const before = await ok(rpc.unary('Auth', 'AuthStatus', {}, tokens.root));
    const rev = Number((before.response as { authRevision: string }).authRevision);
    await ok(rpc.unary('Auth', 'RoleAdd', { name: 'later' }, tokens.root));
    const after = await ok(rpc.unary('Auth', 'AuthStatus', {}, tokens.root));
    expect(after.response).toMatchObject({ enabled: true, authRevision: String(rev + 1) });
    rpc.close();
    member = await member.restart();
    rpc = new RawEtcd(member.endpoint.replace('http://', ''));
    await rpc.untilLeader();
    // Simple tokens die with the process, as etcd's.
    expect((await rpc.unary('KV', 'Range', { key: b('app/a') }, tokens.alice)).details).toBe('etcdserver: invalid auth token');
    const t = await ok(rpc.unary('Auth', 'Authenticate', { name: 'alice', password: 'apw' }));
    const token = (t.response as { token: string }).token;
    expect((await rpc.unary('KV', 'Range', { key: b('app/a') }, token)).code).toBe(0);
    expect((await rpc.unary('KV', 'Range', { key: b('other/b') }, token)).details).toBe(DENIED);
    const rt = await ok(rpc.unary('Auth', 'Authenticate', { name: 'root', password: 'rootpw' }));
    tokens.root = (rt.response as { token: string }).token;
    const status = await ok(rpc.unary('Auth', 'AuthStatus', {}, tokens.root));
    expect(status.response).toMatchObject({ enabled: true, authRevision: String(rev + 1) });
  });

  it('disables auth only for root, and then everything is open again', async () => {
    expect((await rpc.unary('Auth', 'AuthDisable', {})).details).toBe(USER_EMPTY);
    await ok(rpc.unary('Auth', 'AuthDisable', {}, tokens.root));
    expect((await rpc.unary('KV', 'Range', { key: b('other/b') })).code).toBe(0);
    expect((await rpc.unary('Auth', 'Authenticate', { name: 'alice', password: 'apw' })).details).toBe(
      'etcdserver: authentication is not enabled',
    );
  });
});

describe('auth enable preconditions', () => {
  let member: MemberProcess;
  let rpc: RawEtcd;
  beforeAll(async () => {
    const dir = tempDir('auth-pre');
    const [clientPort, peerPort] = await freePorts(2);
    member = await startCapstan({ name: 'ap1', dataDir: path.join(dir, 'data'), clientPort, peerPort });
    rpc = new RawEtcd(`127.0.0.1:${clientPort}`);
    await rpc.untilLeader();
  });
  afterAll(async () => {
    rpc?.close();
    await member?.stop();
  });

  it('needs a root user with the root role', async () => {
    expect((await rpc.unary('Auth', 'AuthEnable', {})).details).toBe('etcdserver: root user does not exist');
    expect((await rpc.unary('Auth', 'UserAdd', { name: 'root', password: 'r' })).code).toBe(0);
    expect((await rpc.unary('Auth', 'AuthEnable', {})).details).toBe('etcdserver: root user does not have root role');
    expect((await rpc.unary('Auth', 'Authenticate', { name: 'root', password: 'r' })).details).toBe(
      'etcdserver: authentication is not enabled',
    );
  });
});

// A permission revoked while writes are in flight: no write checked before the revoke may apply after
// it. Writes whose check is older than the auth state at apply are refused with etcd's
// "revision of auth store is old" (the client retries and is checked again).
describe('auth revision at apply', () => {
  let member: MemberProcess;
  let rpc: RawEtcd;
  beforeAll(async () => {
    const dir = tempDir('auth-race');
    const [clientPort, peerPort] = await freePorts(2);
    member = await startCapstan({ name: 'ar1', dataDir: path.join(dir, 'data'), clientPort, peerPort });
    rpc = new RawEtcd(`127.0.0.1:${clientPort}`);
    await rpc.untilLeader();
  });
  afterAll(async () => {
    rpc?.close();
    await member?.stop();
  });

  it('never applies a write checked before a revoke that applied first', async () => {
    const okCall = async (p: Promise<RpcOutcome>) => {
      const r = await p;
      if (r.code !== 0) throw new Error(`${r.code} ${r.details}`);
      return r;
    };
    await okCall(rpc.unary('Auth', 'UserAdd', { name: 'root', password: 'r' }));
    await okCall(rpc.unary('Auth', 'UserGrantRole', { user: 'root', role: 'root' }));
    await okCall(rpc.unary('Auth', 'RoleAdd', { name: 'app' }));
    await okCall(rpc.unary('Auth', 'UserAdd', { name: 'alice', password: 'a' }));
    await okCall(rpc.unary('Auth', 'UserGrantRole', { user: 'alice', role: 'app' }));
    await okCall(rpc.unary('Auth', 'AuthEnable', {}));
    const token = async (name: string, password: string) =>
      ((await okCall(rpc.unary('Auth', 'Authenticate', { name, password }))).response as { token: string }).token;
    const root = await token('root', 'r');
    const alice = await token('alice', 'a');
    const outcomes = new Map<string, number>();
    for (let round = 0; round < 5; round++) {
      await okCall(rpc.unary('Auth', 'RoleGrantPermission', { name: 'app', perm: { permType: 'READWRITE', key: b('app/'), range_end: b('app0') } }, root));
      // Puts spread over ~20 ms, the revoke in the middle: some are checked before it applies and
      // proposed after it.
      const puts = Array.from({ length: 40 }, (_, i) =>
        sleep(i % 20).then(() => rpc.unary('KV', 'Put', { key: b(`app/${round}/${i}`), value: b('v') }, alice)),
      );
      await sleep(5 + round);
      const revoke = await okCall(rpc.unary('Auth', 'RoleRevokePermission', { role: 'app', key: b('app/'), range_end: b('app0') }, root));
      const revokedAt = Number((revoke.response as { header: { revision: string } }).header.revision);
      for (const p of await Promise.all(puts)) {
        outcomes.set(p.details || 'ok', (outcomes.get(p.details || 'ok') ?? 0) + 1);
        if (p.code === 0) {
          const rev = Number((p.response as { header: { revision: string } }).header.revision);
          expect(rev, 'a write applied after the revoke that should have stopped it').toBeLessThanOrEqual(revokedAt);
        } else {
          expect(['etcdserver: permission denied', 'etcdserver: revision of auth store is old']).toContain(p.details);
        }
      }
    }
    console.log(`auth race outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  });
});
