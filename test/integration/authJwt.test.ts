import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { JwtTokens } from '../../src/server/auth/jwtTokens.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';
import { RawEtcd } from './authRpc.js';

const b = (s: string) => Buffer.from(s);

// --auth-token=jwt,...: Authenticate returns a signed {username, revision, exp} JWT that every call can
// present; a token signed with another key, or with "alg: none", is refused.
describeWithReference(['etcdctl'], () => {
  const members: MemberProcess[] = [];
  afterAll(async () => {
    for (const m of members) await m.stop();
  });

  for (const [method, keyType] of [['RS256', 'rsa'], ['ES256', 'ec']] as const) {
    it(`issues and checks ${method} tokens`, async () => {
      const dir = tempDir(`auth-jwt-${method}`);
      const keys = (name: string) => {
        const pair =
          keyType === 'rsa'
            ? generateKeyPairSync('rsa', { modulusLength: 2048 })
            : generateKeyPairSync('ec', { namedCurve: 'P-256' });
        const pub = path.join(dir, `${name}.pub`);
        const priv = path.join(dir, `${name}.key`);
        writeFileSync(pub, pair.publicKey.export({ type: 'spki', format: 'pem' }));
        writeFileSync(priv, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }));
        return { pub, priv, pair };
      };
      const good = keys('good');
      const evil = keys('evil');
      const [clientPort, peerPort] = await freePorts(2);
      const m = await startCapstan({
        name: `j-${method}`, dataDir: path.join(dir, 'data'), clientPort, peerPort,
        extraArgs: [`--auth-token=jwt,pub-key=${good.pub},priv-key=${good.priv},sign-method=${method},ttl=10m`],
      });
      members.push(m);
      const rpc = new RawEtcd(`127.0.0.1:${clientPort}`);
      await rpc.untilLeader();
      try {
        expect((await rpc.unary('Auth', 'UserAdd', { name: 'root', password: 'r' })).code).toBe(0);
        expect((await rpc.unary('Auth', 'UserGrantRole', { user: 'root', role: 'root' })).code).toBe(0);
        expect((await rpc.unary('Auth', 'AuthEnable', {})).code).toBe(0);
        const auth = await rpc.unary('Auth', 'Authenticate', { name: 'root', password: 'r' });
        const token = (auth.response as { token: string }).token;
        const [header, claims] = token.split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>);
        expect(header).toEqual({ alg: method, typ: 'JWT' });
        expect(claims).toMatchObject({ username: 'root' });
        expect(Number(claims!['exp'])).toBeGreaterThan(Date.now() / 1000 + 500);
        expect((await rpc.unary('KV', 'Put', { key: b('k'), value: b('v') }, token)).code).toBe(0);

        const forged = new JwtTokens({ signMethod: method, publicKey: evil.pair.publicKey, privateKey: evil.pair.privateKey, ttlMs: 600_000 });
        expect((await rpc.unary('KV', 'Range', { key: b('k') }, forged.generate('root', 1))).details).toBe('etcdserver: invalid auth token');
        const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${token.split('.')[1]}.`;
        expect((await rpc.unary('KV', 'Range', { key: b('k') }, none)).details).toBe('etcdserver: invalid auth token');

        // etcdctl's --user flow works with JWTs too.
        const get = await etcdctl(m, ['--user=root:r', 'get', 'k', '--print-value-only']);
        expect(get.stdout.trim()).toBe('v');
      } finally {
        rpc.close();
      }
    });
  }
});
