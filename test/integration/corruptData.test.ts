import { openSync, closeSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { encodeRecords } from '../../src/server/wal/record.js';
import {
  bucketEntries,
  bucketKey,
  latestRunLog,
  openBackendDb,
  recordSpans,
  walSegments,
} from '../support/dataDirSurgery.js';
import { useProcessHarness } from '../support/harness.js';
import { type ExitStatus, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';

// Corrupt data found at start is a refusal to start, never wrong data served (issue 8). Each case
// writes through a real member, stops it, damages one thing in its data directory, and starts it again.
// A torn final WAL record is the one damage etcd repairs: the member starts without the torn write.

const KEYS = 20;
const START_TIMEOUT_MS = 60_000;

async function memberWithData(name: string, env: Record<string, string> = {}, valueBytes = 16): Promise<MemberProcess> {
  const dir = tempDir(`corrupt-${name}`);
  const [clientPort, peerPort] = await freePorts(2);
  const member = await startCapstan({ name, dataDir: path.join(dir, 'data'), clientPort, peerPort, env });
  const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  try {
    for (let i = 0; i < KEYS; i++) await client.put(`k${i}`).value(`v${i}-`.padEnd(valueBytes, 'x')).exec();
  } finally {
    client.close();
  }
  await member.stop();
  return member;
}

/** Starts the member again and expects it to exit non-zero without ever serving; returns its log. */
async function expectRefusal(member: MemberProcess): Promise<string> {
  const again = await member.restart({ wait: false });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    again.exited,
    new Promise<'still running'>((resolve) => (timer = setTimeout(() => resolve('still running'), START_TIMEOUT_MS))),
  ]);
  clearTimeout(timer);
  const log = latestRunLog(again.logs());
  expect(outcome, log).not.toBe('still running');
  expect((outcome as ExitStatus).code, log).not.toBe(0);
  expect(log).not.toContain('ready to serve client requests');
  expect(log).toMatch(/"level":"fatal"/);
  return log;
}

async function allKeys(member: MemberProcess): Promise<Record<string, string>> {
  const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  try {
    return await client.getAll().prefix('k').strings();
  } finally {
    client.close();
  }
}

describe('a member with corrupt data at start', () => {
  useProcessHarness();

  it('(a) refuses a CRC mismatch in a WAL record that is not the torn tail', async () => {
    const member = await memberWithData('crc');
    const [segment] = walSegments(member.dataDir);
    const spans = recordSpans(segment!);
    expect(spans.length).toBeGreaterThan(KEYS);
    const victim = spans[Math.floor(spans.length / 2)]!;
    const fd = openSync(segment!, 'r+');
    try {
      const at = victim.offset + 9 + Math.floor(victim.dataLength / 2);
      const byte = readFileSync(segment!).subarray(at, at + 1);
      writeSync(fd, Buffer.from([byte[0]! ^ 0x5a]), 0, 1, at);
    } finally {
      closeSync(fd);
    }
    const log = await expectRefusal(member);
    expect(log).toContain('failed to read WAL, cannot be repaired');
    expect(log).toContain('walpb: crc mismatch');
  }, 120_000);

  it('(b) repairs a torn final WAL record and starts with every acknowledged write', async () => {
    const member = await memberWithData('torn');
    const segments = walSegments(member.dataDir);
    const last = segments[segments.length - 1]!;
    const spans = recordSpans(last);
    const end = spans[spans.length - 1]!.end;
    // The first half of a record that was being written when the process died: the rest never
    // reached the disk, so the preallocated zeros follow it.
    const torn = encodeRecords([{ type: 1, data: Buffer.alloc(2000, 0x61) }]);
    const fd = openSync(last, 'r+');
    try {
      writeSync(fd, torn, 0, 1000, end);
    } finally {
      closeSync(fd);
    }
    const again = await member.restart();
    const kvs = await allKeys(again);
    expect(Object.keys(kvs)).toHaveLength(KEYS);
    for (let i = 0; i < KEYS; i++) expect(kvs[`k${i}`]).toBe(`v${i}-`.padEnd(16, 'x'));
    expect(latestRunLog(again.logs())).toContain('repaired WAL');
    // The cut is durable: a second restart reads a clean WAL.
    const third = await again.restart();
    expect(Object.keys(await allKeys(third))).toHaveLength(KEYS);
    await third.stop();
  }, 120_000);

  it('(c) refuses a key-bucket value that does not decode as mvccpb.KeyValue', async () => {
    const member = await memberWithData('badkv');
    const db = await openBackendDb(member.dataDir);
    try {
      const entries = await bucketEntries(db, 'key');
      const [k] = entries[Math.floor(entries.length / 2)]!;
      // Field 1 (key, bytes) claiming far more bytes than follow.
      await db.put(k, Buffer.from([0x0a, 0xff, 0xff, 0x03, 0x6b]));
    } finally {
      await db.close();
    }
    const log = await expectRefusal(member);
    expect(log).toContain('failed to unmarshal mvccpb.KeyValue');
  }, 120_000);

  it('(c2) refuses a key-bucket value that decodes but belongs to another revision', async () => {
    const member = await memberWithData('wrongrev');
    const db = await openBackendDb(member.dataDir);
    try {
      const entries = await bucketEntries(db, 'key');
      // Another revision's bytes under this revision's key: well-formed, and wrong.
      const [k] = entries[entries.length - 2]!;
      const [, v] = entries[entries.length - 4]!;
      await db.put(k, v);
    } finally {
      await db.close();
    }
    const log = await expectRefusal(member);
    expect(log).toContain('does not match its revision');
  }, 120_000);

  it('(d) refuses a consistent index ahead of the WAL', async () => {
    const member = await memberWithData('ciahead');
    const db = await openBackendDb(member.dataDir);
    try {
      const ci = Buffer.alloc(8);
      ci.writeBigUInt64BE(1_000_000n);
      await db.put(bucketKey('meta', Buffer.from('consistent_index')), ci);
    } finally {
      await db.close();
    }
    const log = await expectRefusal(member);
    expect(log).toMatch(/backend\.ConsistentIndex \(1000000\) must be <= the WAL's last index \(\d+\)/);
  }, 120_000);

  it('(d2) refuses a backend that holds data but no consistent index', async () => {
    const member = await memberWithData('cimissing');
    const db = await openBackendDb(member.dataDir);
    try {
      await db.del(bucketKey('meta', Buffer.from('consistent_index')));
    } finally {
      await db.close();
    }
    const log = await expectRefusal(member);
    expect(log).toContain('consistent index');
  }, 120_000);

  it('(e) refuses a WAL with a segment missing in the middle', async () => {
    // Small segments so that a few writes make several of them.
    const member = await memberWithData('gap', { CAPSTAN_WAL_SEGMENT_BYTES: String(16 * 1024) }, 4096);
    const segments = walSegments(member.dataDir);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    unlinkSync(segments[1]!);
    const log = await expectRefusal(member);
    expect(log).toContain('failed to open WAL');
    expect(log).toContain('wal: file not found');
  }, 120_000);
});
