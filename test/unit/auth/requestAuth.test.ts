import { afterEach, describe, expect, it } from 'vitest';
import { Backend } from '../../../src/mvcc/backend.js';
import { AuthStore } from '../../../src/server/auth/authStore.js';
import { checkAppliedRevision, requestAuth } from '../../../src/server/auth/requestAuth.js';
import { internalRequest } from '../../../src/server/internalRequest.js';
import { tempDir } from '../../support/processes.js';

const opened: Backend[] = [];

describe('request auth context and the apply-time revision check', () => {
  afterEach(async () => {
    for (const be of opened.splice(0)) await be.close();
  });

  it('a proposal made inside a checked call carries the caller and the revision', () => {
    const outside = internalRequest('put', { key: Buffer.from('k'), value: Buffer.alloc(0), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false }, 7n);
    expect(outside.header).toEqual({ ID: '7', username: '', auth_revision: '0' });
    const inside = requestAuth.run({ username: 'alice', authRevision: 12 }, () =>
      internalRequest('auth_role_add', { name: 'r' }, 8n),
    );
    expect(inside.header).toEqual({ ID: '8', username: 'alice', auth_revision: '12' });
  });

  it('refuses a client entry checked at an older auth revision, only while auth is on', async () => {
    const be = await Backend.open(tempDir('reqauth'));
    opened.push(be);
    const auth = await AuthStore.load(be);
    const header = (username: string, rev: number) => ({ ID: '1', username, auth_revision: String(rev) });
    checkAppliedRevision(auth, header('alice', 0)); // auth off: nothing to check
    auth.applyUserAdd('root', 'h', false);
    auth.applyUserGrantRole('root', 'root');
    auth.applyEnable();
    const now = auth.revision;
    checkAppliedRevision(auth, header('alice', now));
    checkAppliedRevision(auth, header('', 0)); // internal proposal
    expect(() => checkAppliedRevision(auth, header('alice', now - 1))).toThrow('etcdserver: revision of auth store is old');
    expect(() => checkAppliedRevision(auth, header('', now - 1))).toThrow('etcdserver: revision of auth store is old');
  });
});
