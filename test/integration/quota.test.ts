import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';

const NOSPACE = 'Error: etcdserver: mvcc: database space exceeded';
const QUOTA = 1024 * 1024;
const VALUE = 'x'.repeat(100_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// The NOSPACE cycle end to end with etcdctl: writes past --quota-backend-bytes raise the alarm and are
// refused; reads, deletes, compaction and defragmentation still work; after space is freed, `alarm
// disarm` lets writes in again.
describeWithReference(['etcdctl'], () => {
  let member: MemberProcess;
  const ctl = async (...args: string[]) => {
    // Generous: 100 kB writes with fsync on a busy test machine.
    const r = await etcdctl(member, args, { commandTimeout: '20s' });
    return { code: r.code, out: r.stdout.trim(), err: r.stderr.split('\n').filter((l) => l.startsWith('Error:')).join('\n') };
  };
  const dbSize = async (): Promise<number> => {
    const r = await etcdctl(member, ['endpoint', 'status', '-w', 'json']);
    return Number((JSON.parse(r.stdout) as Array<{ Status: { dbSize: number } }>)[0]!.Status.dbSize);
  };

  beforeAll(async () => {
    const dir = tempDir('quota');
    const [clientPort, peerPort] = await freePorts(2);
    member = await startCapstan({
      name: 'q1', dataDir: path.join(dir, 'data'), clientPort, peerPort, extraArgs: [`--quota-backend-bytes=${QUOTA}`],
    });
  });
  afterAll(async () => {
    await member?.stop();
  });

  it('refuses writes past the quota, keeps reads/deletes/compaction/defrag, and recovers after disarm', async () => {
    // Fill until refused (bounded: 40 puts of 100 kB are 4x the quota).
    let written = 0;
    let refused: { code: number; err: string } | null = null;
    for (let i = 0; i < 40 && refused === null; i++) {
      const r = await ctl('put', `big/${String(i).padStart(2, '0')}`, VALUE);
      if (r.code === 0) written++;
      else refused = r;
      // The member measures its size once a second; let it see the growth.
      await sleep(150);
    }
    expect(refused).toMatchObject({ err: NOSPACE });
    expect(written).toBeGreaterThan(3);
    expect((await ctl('alarm', 'list')).out).toMatch(/^memberID:\d+ alarm:NOSPACE$/);

    // Every write is refused while the alarm stands, even a small one, and in a txn.
    expect((await ctl('put', 'small', 'v')).err).toBe(NOSPACE);
    const status = await etcdctl(member, ['endpoint', 'status', '-w', 'json']);
    expect(status.stdout).toContain('alarm:NOSPACE');

    // Reads, deletes, compaction and defragmentation are allowed.
    expect((await ctl('get', 'big/00', '--print-value-only')).out).toBe(VALUE);
    expect((await ctl('del', '--prefix', 'big/')).out).toBe(String(written));
    const rev = Number(JSON.parse((await etcdctl(member, ['endpoint', 'status', '-w', 'json'])).stdout)[0].Status.header.revision);
    expect((await ctl('compact', String(rev))).out).toBe(`compacted revision ${rev}`);
    expect((await ctl('defrag')).code).toBe(0);
    // Space is freed; the alarm still stands until an operator disarms it.
    let size = await dbSize();
    for (let i = 0; i < 20 && size >= QUOTA / 2; i++) {
      await sleep(250);
      size = await dbSize();
    }
    expect(size).toBeLessThan(QUOTA / 2);
    expect((await ctl('put', 'small', 'v')).err).toBe(NOSPACE);

    const disarm = await ctl('alarm', 'disarm');
    expect(disarm.out).toMatch(/^memberID:\d+ alarm:NOSPACE$/);
    expect((await ctl('alarm', 'list')).out).toBe('');
    // Wait for the member's size measurement to catch up with the defrag before writing again.
    await sleep(1200);
    expect(await ctl('put', 'small', 'v')).toMatchObject({ code: 0, out: 'OK' });
    expect((await ctl('get', 'small', '--print-value-only')).out).toBe('v');
  });
});
