import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MvccStore } from '../../../src/mvcc/store.js';
import { Alarms } from '../../../src/server/alarms.js';
import { captureSnapshotImage } from '../../../src/server/snapshotImage.js';
import { openBolt } from '../../../src/snapshot/bbolt/index.js';
import { decodeAlarmKey } from '../../../src/snapshot/etcdRecords.js';
import { snapshotStatus } from '../../../src/snapshot/status.js';
import { appendSha256 } from '../../../src/snapshot/stream.js';
import { etcdutl, expectSuccess, tempDir } from '../../support/processes.js';
import { referenceBinary } from '../../support/reference.js';

const put = (key: string, value: string) => ({
  key: Buffer.from(key),
  value: Buffer.from(value),
  lease: 0n,
  prevKv: false,
  ignoreValue: false,
  ignoreLease: false,
});

describe('the Maintenance.Snapshot image', () => {
  it("is etcd's ten buckets with capstan's records translated to etcd's encodings", async () => {
    const dir = tempDir('snapshot-image');
    const store = await MvccStore.open(path.join(dir, 'db'));
    try {
      await store.applyPut(put('a', '1'));
      await store.applyPut(put('b', '2'));
      store.setConsistentIndex(7, 3);
      const alarms = await Alarms.load(store.backend);
      alarms.apply({ action: 'ACTIVATE', memberID: '18446744073709551615', alarm: 'NOSPACE' });
      const removed = Buffer.alloc(8);
      removed.writeBigUInt64BE(0xabcdef0123456789n);
      store.backend.put('members_removed', removed, Buffer.from('removed'));
      await store.commit();
      const members = [
        { id: 0xbdae9bbc11dd390dn, name: 'n1', peerUrls: ['http://127.0.0.1:2380'], clientUrls: ['http://127.0.0.1:2379'], isLearner: false },
        { id: 0x10n, name: 'l', peerUrls: ['http://127.0.0.1:2381'], clientUrls: [], isLearner: true },
      ];
      const image = await captureSnapshotImage({ store, alarms, members: () => members });

      // A write after the capture is not in it.
      await store.applyPut(put('c', '3'));
      await store.commit();

      const db = openBolt(image);
      expect(db.buckets()).toEqual(['alarm', 'auth', 'authRoles', 'authUsers', 'cluster', 'key', 'lease', 'members', 'members_removed', 'meta']);
      expect([...db.bucket('key')!.entries()].length).toBe(2);
      const meta = db.bucket('meta')!;
      expect(meta.get('consistent_index')!.readBigUInt64BE(0)).toBe(7n);
      expect(meta.get('term')!.readBigUInt64BE(0)).toBe(3n);
      expect(meta.get('confState')!.toString()).toBe('{"voters":[13668033151171901709],"learners":[16],"auto_leave":false}');
      expect([...db.bucket('members')!.entries()].map(([k, v]) => [k.toString(), v.toString()])).toEqual([
        ['10', '{"id":16,"peerURLs":["http://127.0.0.1:2381"],"isLearner":true,"name":"l"}'],
        ['bdae9bbc11dd390d', '{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:2380"],"name":"n1","clientURLs":["http://127.0.0.1:2379"]}'],
      ]);
      expect([...db.bucket('members_removed')!.entries()].map(([k, v]) => [k.toString(), v.toString()])).toEqual([['abcdef0123456789', 'removed']]);
      expect([...db.bucket('alarm')!.entries()].map(([k]) => decodeAlarmKey(k))).toEqual([{ memberId: 0xffffffffffffffffn, alarm: 'NOSPACE' }]);
      expect(db.bucket('cluster')!.get('clusterVersion')!.toString()).toBe('3.5.0');
      expect(db.bucket('auth')!.get('authRevision')!.readBigUInt64BE(0)).toBe(1n);
      expect(snapshotStatus(image).revision).toBe(3);

      // etcdutl takes it as its own: status agrees, and restore trims the (hex-keyed) membership.
      if (referenceBinary('etcdutl') !== null) {
        const file = path.join(dir, 'image.snap');
        writeFileSync(file, appendSha256(image));
        const status = JSON.parse(expectSuccess(await etcdutl(['snapshot', 'status', file, '-w', 'json']), 'status')) as object;
        expect(status).toEqual(snapshotStatus(image));
        expectSuccess(await etcdutl(['snapshot', 'restore', file, `--data-dir=${path.join(dir, 'restored')}`]), 'etcdutl restore');
      }
    } finally {
      await store.close();
    }
  });
});
