import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { bcryptHash, bcryptVerify } from '../../src/server/auth/bcrypt.js';
import { codecFor } from '../../src/server/proto/codec.js';
import { openBolt } from '../../src/snapshot/index.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, expectSuccess, freePorts, type MemberProcess, startCapstan, startEtcd, tempDir } from '../support/processes.js';
import { RawEtcd } from './authRpc.js';

// capstan's bcrypt against Go's (golang.org/x/crypto/bcrypt, what etcd uses): the password hash etcd
// stores for a user, read out of an etcd snapshot, verifies here; and capstan accepts a hash it made
// given as AuthUserAdd.hashedPassword.
describeWithReference(['etcd', 'etcdctl'], () => {
  const members: MemberProcess[] = [];
  afterAll(async () => {
    for (const m of members) await m.stop();
  });

  it("verifies the bcrypt hash etcd stored for a user", async () => {
    const dir = tempDir('auth-bcrypt-etcd');
    const [clientPort, peerPort] = await freePorts(2);
    const etcd = await startEtcd({ name: 'be', dataDir: path.join(dir, 'etcd'), clientPort, peerPort });
    members.push(etcd);
    expectSuccess(await etcdctl(etcd, ['user', 'add', 'alice:pw-from-etcd']), 'user add');
    const file = path.join(dir, 'etcd.db');
    expectSuccess(await etcdctl(etcd, ['snapshot', 'save', file]), 'snapshot save');
    const users = openBolt(readFileSync(file)).root.bucket('authUsers');
    const raw = users?.get('alice');
    expect(raw).toBeDefined();
    const hash = codecFor('authpb.User').decode(raw!).password.toString();
    expect(hash).toMatch(/^\$2a\$10\$/);
    expect(await bcryptVerify('pw-from-etcd', hash)).toBe(true);
    expect(await bcryptVerify('pw-from-etcD', hash)).toBe(false);
  });

  it('capstan authenticates a user added with a hash made here', async () => {
    const dir = tempDir('auth-bcrypt');
    const [clientPort, peerPort] = await freePorts(2);
    const m = await startCapstan({ name: 'bc', dataDir: path.join(dir, 'data'), clientPort, peerPort });
    members.push(m);
    const rpc = new RawEtcd(`127.0.0.1:${clientPort}`);
    await rpc.untilLeader();
    try {
      const hash = await bcryptHash('s3cret', 10);
      expect((await rpc.unary('Auth', 'UserAdd', { name: 'root', hashedPassword: hash })).code).toBe(0);
      expect((await rpc.unary('Auth', 'UserGrantRole', { user: 'root', role: 'root' })).code).toBe(0);
      expect((await rpc.unary('Auth', 'AuthEnable', {})).code).toBe(0);
      expect((await rpc.unary('Auth', 'Authenticate', { name: 'root', password: 's3cret' })).code).toBe(0);
      expect((await rpc.unary('Auth', 'Authenticate', { name: 'root', password: 'wrong' })).details).toBe(
        'etcdserver: authentication failed, invalid user ID or password',
      );
    } finally {
      rpc.close();
    }
  });
});
