import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import { etcdutl, expectSuccess, tempDir } from '../support/processes.js';
import { capstanSnapshot, FIXTURE_DB, leftovers } from '../compat/snapshotSupport.js';

// A corrupt, truncated or tampered snapshot, or a data dir that is already in use, fails restore with
// a clear message, exit code 1, and nothing written: no data dir, no half-built temp dir.

const fixture = (): Buffer => readFileSync(FIXTURE_DB);
const withSha = (db: Buffer): Buffer => Buffer.concat([db, createHash('sha256').update(db).digest()]);
const SINGLE = ['--name=r1', '--initial-cluster=r1=http://127.0.0.1:2380', '--initial-advertise-peer-urls=http://127.0.0.1:2380'];

async function restoreFails(bytes: Buffer, extra: string[] = []): Promise<string> {
  const dir = tempDir('snapshot-restore-bad');
  const file = path.join(dir, 'bad.snap');
  writeFileSync(file, bytes);
  const dataDir = path.join(dir, 'r1.data');
  const result = await capstanSnapshot(['restore', file, `--data-dir=${dataDir}`, ...SINGLE, ...extra]);
  expect(result.code).toBe(1);
  expect(existsSync(dataDir)).toBe(false);
  expect(leftovers(dir)).toEqual([]);
  const errorLine = result.stderr.split('\n').find((l) => l.startsWith('Error: '));
  expect(errorLine, result.stderr).toBeDefined();
  return errorLine!;
}

describe('capstan snapshot restore refuses bad input and writes nothing', () => {
  it('a truncated file', async () => {
    const file = fixture();
    expect(await restoreFails(file.subarray(0, 500_000))).toBe('Error: snapshot missing hash but --skip-hash-check=false');
    // Cut so the size rule still sees a trailer: the sha no longer matches.
    expect(await restoreFails(file.subarray(0, 512 * 900 + 32))).toMatch(/^Error: expected sha256 \[[\d ]+\], got \[[\d ]+\]$/);
    // Skipping the hash check does not make a truncated bbolt file readable.
    expect(await restoreFails(file.subarray(0, 512 * 900 + 32), ['--skip-hash-check'])).toMatch(/^Error: snapshot is not a valid bbolt database: /);
  });

  it('a tampered file: a changed byte breaks the sha; a broken page with a fresh sha fails the integrity check', async () => {
    const file = Buffer.from(fixture());
    file[300_000]! ^= 0x40;
    expect(await restoreFails(file)).toMatch(/^Error: expected sha256 /);

    const db = Buffer.from(fixture().subarray(0, 978_944));
    // Page 3's flags become "meta", a page type no bucket may reference.
    const pageSize = db.readUInt32LE(16 + 8);
    db.writeUInt16LE(0x04, 3 * pageSize + 8);
    expect(await restoreFails(withSha(db))).toMatch(/^Error: snapshot is not a valid bbolt database: /);
  });

  it('a file that is not a bbolt database at all, and a missing file', async () => {
    expect(await restoreFails(withSha(Buffer.alloc(8192, 7)))).toMatch(/^Error: snapshot is not a valid bbolt database: /);
    const dir = tempDir('snapshot-restore-missing');
    const result = await capstanSnapshot(['restore', path.join(dir, 'none.snap'), `--data-dir=${path.join(dir, 'd')}`, ...SINGLE]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Error: open ${path.join(dir, 'none.snap')}: no such file or directory`);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a data dir that is not empty is refused and left alone; an empty one is used', async () => {
    const dir = tempDir('snapshot-restore-existing');
    const dataDir = path.join(dir, 'used.data');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'keep-me'), 'x');
    const result = await capstanSnapshot(['restore', FIXTURE_DB, `--data-dir=${dataDir}`, ...SINGLE]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`Error: data-dir "${dataDir}" not empty or could not be read`);
    expect(readdirSync(dataDir)).toEqual(['keep-me']);

    const empty = path.join(dir, 'empty.data');
    mkdirSync(empty);
    expectSuccess(await capstanSnapshot(['restore', FIXTURE_DB, `--data-dir=${empty}`, ...SINGLE]), 'restore into an empty dir');
    expect(readdirSync(empty).sort()).toEqual(['capstan-format', 'member']);
    expect(readdirSync(path.join(empty, 'member')).sort()).toEqual(['identity.json', 'snap', 'wal']);
    const identity = JSON.parse(readFileSync(path.join(empty, 'member', 'identity.json'), 'utf8')) as { memberId: string; clusterId: string };
    // etcd's IDs for --initial-cluster r1=http://127.0.0.1:2380 with the default token "etcd-cluster".
    expect(BigInt(identity.memberId)).toBeGreaterThan(0n);
    expect(leftovers(dir)).toEqual([]);
  });
});

describeWithReference(['etcdutl'], () => {
  it('flag and bootstrap errors are etcdutl\'s, word for word, with its exit codes', async () => {
    const dir = tempDir('snapshot-restore-flags');
    const cases: string[][] = [
      ['restore'],
      ['restore', FIXTURE_DB, `--data-dir=${path.join(dir, 'a')}`, '--bump-revision=10'],
      ['restore', FIXTURE_DB, `--data-dir=${path.join(dir, 'b')}`, '--mark-compacted'],
      ['restore', FIXTURE_DB, `--data-dir=${path.join(dir, 'c')}`, '--name=nobody'],
      ['restore', FIXTURE_DB, `--data-dir=${path.join(dir, 'd')}`, '--name=x', '--initial-cluster=x=http://127.0.0.1:2380', '--initial-advertise-peer-urls=http://127.0.0.1:2381'],
      ['status'],
    ];
    for (const args of cases) {
      const ours = await capstanSnapshot(args);
      const theirs = await etcdutl(['snapshot', ...args]);
      const lastError = (s: string) => s.split('\n').filter((l) => l.startsWith('Error: ')).pop();
      expect({ args, code: ours.code, error: lastError(ours.stderr) }).toEqual({ args, code: theirs.code, error: lastError(theirs.stderr) });
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('the IDs capstan founds a restored cluster with are the ones etcd derives', async () => {
    const dir = tempDir('snapshot-restore-ids');
    const args = ['--name=n2', '--initial-cluster=n1=http://127.0.0.1:12380,n2=http://127.0.0.1:22380', '--initial-advertise-peer-urls=http://127.0.0.1:22380', '--initial-cluster-token=tok'];
    expectSuccess(await capstanSnapshot(['restore', FIXTURE_DB, `--data-dir=${path.join(dir, 'c')}`, ...args]), 'capstan restore');
    const logs = (await etcdutl(['snapshot', 'restore', FIXTURE_DB, `--data-dir=${path.join(dir, 'e')}`, ...args])).stderr;
    const identity = JSON.parse(readFileSync(path.join(dir, 'c', 'member', 'identity.json'), 'utf8')) as { memberId: string; clusterId: string };
    // etcdutl logs "added member" with the cluster and member IDs it derived.
    expect(logs).toContain(BigInt(identity.clusterId).toString(16));
    expect(logs).toContain(BigInt(identity.memberId).toString(16));
  });
});
