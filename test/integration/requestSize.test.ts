import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, startEtcd, tempDir } from '../support/processes.js';

const MAX = 4096;
const TOO_LARGE = 'Error: etcdserver: request is too large';

// --max-request-bytes against the real etcd: a put, a txn or a delete whose log entry is larger is
// refused with etcd's words, and nothing of it is written. Sizes stay clear of the exact boundary,
// which depends on each system's request ID and header encoding.
describeWithReference(['etcd', 'etcdctl'], () => {
  const members: Record<'etcd' | 'capstan', MemberProcess | null> = { etcd: null, capstan: null };

  beforeAll(async () => {
    const dir = tempDir('request-size');
    for (const kind of ['etcd', 'capstan'] as const) {
      const [clientPort, peerPort] = await freePorts(2);
      const opts = { name: `rs-${kind}`, dataDir: path.join(dir, kind), clientPort, peerPort, extraArgs: [`--max-request-bytes=${MAX}`] };
      members[kind] = kind === 'etcd' ? await startEtcd(opts) : await startCapstan(opts);
    }
  });
  afterAll(async () => {
    await members.etcd?.stop();
    await members.capstan?.stop();
  });

  it('refuses puts, txns and deletes over --max-request-bytes as etcd does', async () => {
    const outcomes: Record<string, string[]> = {};
    for (const kind of ['etcd', 'capstan'] as const) {
      const m = members[kind]!;
      const run = async (args: string[], stdin?: string) => {
        const r = await etcdctl(m, args, stdin === undefined ? {} : { input: stdin });
        return r.code === 0 ? r.stdout.trim() : r.stderr.split('\n').filter((l) => l.startsWith('Error:')).join('\n');
      };
      outcomes[kind] = [
        await run(['put', 'small', 'v'.repeat(MAX - 300)]),
        await run(['put', 'big', 'v'.repeat(MAX + 100)]),
        await run(['txn'], `\nput t1 ${'v'.repeat(MAX / 2)}\nput t2 ${'v'.repeat(MAX / 2)}\n\n\n`),
        await run(['del', 'k'.repeat(MAX + 100)]),
        await run(['get', '--prefix', '', '--keys-only']),
      ];
    }
    expect(outcomes.capstan).toEqual(outcomes.etcd);
    expect(outcomes.capstan).toEqual(['OK', TOO_LARGE, TOO_LARGE, TOO_LARGE, 'small']);
  });
});
