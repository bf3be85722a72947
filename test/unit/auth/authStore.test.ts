import { afterEach, describe, expect, it } from 'vitest';
import { AuthStore } from '../../../src/server/auth/authStore.js';
import { Backend } from '../../../src/mvcc/backend.js';
import { tempDir } from '../../support/processes.js';

const b = (s: string) => Buffer.from(s);
const opened: Backend[] = [];
async function backend(dir: string): Promise<Backend> {
  const be = await Backend.open(dir);
  opened.push(be);
  return be;
}

describe('AuthStore', () => {
  afterEach(async () => {
    for (const be of opened.splice(0)) await be.close();
  });

  it('persists users, roles, flag and revision in etcd\'s buckets and loads them back', async () => {
    const dir = tempDir('authstore');
    const be = await backend(dir);
    const s = await AuthStore.load(be);
    s.applyUserAdd('root', 'h', false);
    s.applyUserGrantRole('root', 'root');
    s.applyRoleAdd('r');
    s.applyRoleGrantPermission('r', { permType: 'READ', key: b('k'), rangeEnd: b('l') });
    s.applyUserAdd('u', 'h2', false);
    s.applyUserGrantRole('u', 'r');
    s.applyEnable();
    expect(s.revision).toBe(7);
    await be.commit();
    expect((await be.get('auth', b('authEnabled')))?.equals(Buffer.from([1]))).toBe(true);
    expect((await be.get('auth', b('authRevision')))?.readBigUInt64BE(0)).toBe(7n);
    await be.close();
    opened.pop();
    const again = await AuthStore.load(await backend(dir));
    expect(again.enabled).toBe(true);
    expect(again.revision).toBe(7);
    expect(again.dump()).toEqual(s.dump());
    expect(again.permits('u', 'read', b('k'), b(''))).toBe(true);
    expect(again.permits('u', 'write', b('k'), b(''))).toBe(false);
    expect(again.isAdmin('root')).toBe(true);
  });

  it('grant of an existing permission replaces its type; revoking an unknown one fails', async () => {
    const s = await AuthStore.load(await backend(tempDir('authstore')));
    s.applyRoleAdd('r');
    s.applyRoleGrantPermission('r', { permType: 'READ', key: b('k'), rangeEnd: b('') });
    s.applyRoleGrantPermission('r', { permType: 'READWRITE', key: b('k'), rangeEnd: b('') });
    expect(s.role('r')?.perms).toEqual([{ permType: 'READWRITE', key: b('k'), rangeEnd: b('') }]);
    expect(() => s.applyRoleRevokePermission('r', b('x'), b(''))).toThrow('etcdserver: permission is not granted to the role');
    expect(() => s.applyRoleGrantPermission('r', null)).toThrow('etcdserver: permission not given');
    expect(() => s.applyRoleGrantPermission('nope', null)).toThrow('etcdserver: role name not found');
  });

  it('deleting a role removes it from its users; tokens of a deleted user die', async () => {
    const s = await AuthStore.load(await backend(tempDir('authstore')));
    s.applyUserAdd('root', 'h', false);
    s.applyUserGrantRole('root', 'root');
    s.applyRoleAdd('r');
    s.applyUserAdd('u', 'h', false);
    s.applyUserGrantRole('u', 'r');
    s.applyEnable();
    s.applyAuthenticate('u', 'tok.1');
    expect(s.tokens.lookup('tok.1')).toBe('u');
    s.applyRoleDelete('r');
    expect(s.user('u')?.roles).toEqual([]);
    s.applyUserDelete('u');
    expect(s.tokens.lookup('tok.1')).toBeUndefined();
  });
});
