import { describe, expect, it } from 'vitest';
import { openBolt } from '../../../src/snapshot/bbolt/index.js';
import { decodeKeyValue, encodeKeyValue } from '../../../src/mvcc/keyValueCodec.js';
import { decodeRevisionKey } from '../../../src/snapshot/revisionKey.js';
import { snapshotStatus } from '../../../src/snapshot/status.js';
import { verifySnapshotFile } from '../../../src/snapshot/stream.js';
import { FIXTURE_STATUS, readFixtureLiveKeys, readFixtureSnapshot } from './fixture.js';

const ETCD_BUCKETS = ['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta'];

describe('reading a real etcd 3.4.23 snapshot', () => {
  const file = readFixtureSnapshot();

  it('has a valid sha256 trailer and a bbolt image with the ten etcd buckets', () => {
    const { db, hasHash, hashOk } = verifySnapshotFile(file);
    expect(hasHash).toBe(true);
    expect(hashOk).toBe(true);
    const bolt = openBolt(db);
    expect(bolt.pageSize).toBe(4096);
    expect(bolt.hasFreelist).toBe(false);
    expect(bolt.size).toBe(db.length);
    expect(bolt.buckets()).toEqual(ETCD_BUCKETS);
    expect(bolt.bucket('nope')).toBeUndefined();
  });

  it('gives the snapshot status etcd reported', () => {
    expect(snapshotStatus(file)).toEqual(FIXTURE_STATUS);
    expect(snapshotStatus(verifySnapshotFile(file).db)).toEqual(FIXTURE_STATUS);
  });

  it('holds every live key of all.json at its latest revision', () => {
    const bolt = openBolt(file);
    const keyBucket = bolt.bucket('key')!;
    // Replay the key bucket in revision order: the last revision of a key wins, a tombstone removes it.
    const live = new Map<string, ReturnType<typeof decodeKeyValue>>();
    let entries = 0;
    for (const [k, v] of keyBucket.entries()) {
      entries++;
      const rev = decodeRevisionKey(k);
      const kv = decodeKeyValue(v);
      // gogoproto-exact: re-encoding gives the stored bytes back.
      expect(encodeKeyValue(kv).equals(v)).toBe(true);
      if (rev.tombstone) live.delete(kv.key.toString('hex'));
      else live.set(kv.key.toString('hex'), kv);
    }
    expect(entries).toBe(keyBucket.count);
    const expected = readFixtureLiveKeys();
    expect(expected.length).toBe(1818);
    expect(live.size).toBe(expected.length);
    for (const want of expected) {
      const got = live.get(want.key.toString('hex'));
      expect(got, want.key.toString()).toBeDefined();
      expect(got!.value.equals(want.value)).toBe(true);
      expect(got!.createRevision).toBe(want.createRevision);
      expect(got!.modRevision).toBe(want.modRevision);
      expect(got!.version).toBe(want.version);
      expect(got!.lease).toBe(want.lease);
    }
  });

  it('finds keys by lookup, including a value spanning overflow pages', () => {
    const bolt = openBolt(file);
    const keyBucket = bolt.bucket('key')!;
    let huge: Buffer | undefined;
    let n = 0;
    for (const [k, v] of keyBucket.entries()) {
      expect(keyBucket.get(k)?.equals(v)).toBe(true);
      const kv = decodeKeyValue(v);
      if (kv.key.toString() === '/big/huge') huge = kv.value;
      n++;
    }
    expect(n).toBeGreaterThan(2000);
    expect(huge?.length).toBe(300_000);
    expect(huge?.every((b) => b === 0x48)).toBe(true);
    const meta = bolt.bucket('meta')!;
    expect(meta.get('consistent_index')?.length).toBe(8);
    expect(meta.get('finishedCompactRev')?.readBigInt64BE(0)).toBe(1500n);
    expect(keyBucket.get(Buffer.from('zzz'))).toBeUndefined();
  });
});
