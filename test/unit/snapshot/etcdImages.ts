// Deterministic etcd-schema images for tests: a small history of puts, deletes, big values and a lease.
import { writeBolt } from '../../../src/snapshot/bbolt/index.js';
import { etcdBackendBuckets, type RevisionRecord } from '../../../src/snapshot/etcdSchema.js';

export interface EtcdImageOptions {
  pageSize: number;
  keys: number;
  bigValueBytes: number;
  freelist: boolean;
  inlineBuckets: boolean;
}

export function etcdHistory(keys: number, bigValueBytes: number): RevisionRecord[] {
  const out: RevisionRecord[] = [];
  let rev = 1;
  for (let i = 0; i < keys; i++) {
    rev++;
    const key = Buffer.from(`/registry/things/item-${String(i).padStart(6, '0')}`);
    out.push({
      main: rev,
      sub: 0,
      tombstone: false,
      kv: { key, createRevision: rev, modRevision: rev, version: 1, value: Buffer.from(`{"i":${i},"pad":"${'x'.repeat(i % 97)}"}`), lease: 0n },
    });
    if (i % 10 === 9) {
      rev++;
      out.push({ main: rev, sub: 0, tombstone: true, kv: { key, createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n } });
    }
  }
  rev++;
  out.push({
    main: rev,
    sub: 0,
    tombstone: false,
    kv: { key: Buffer.from('/big'), createRevision: rev, modRevision: rev, version: 1, value: Buffer.alloc(bigValueBytes, 0x42), lease: 0n },
  });
  rev++;
  out.push({
    main: rev,
    sub: 0,
    tombstone: false,
    kv: { key: Buffer.from('/leased'), createRevision: rev, modRevision: rev, version: 1, value: Buffer.from('v'), lease: 0x694d7e9ec5f2a1b7n },
  });
  return out;
}

export function etcdImage(o: EtcdImageOptions): Buffer {
  const revisions = etcdHistory(o.keys, o.bigValueBytes);
  const buckets = etcdBackendBuckets({
    revisions,
    leases: [{ id: 0x694d7e9ec5f2a1b7n, ttl: 3600n }],
    consistentIndex: BigInt(revisions.length + 5),
    term: 2n,
    voters: [0xbdae9bbc11dd390dn],
    clusterVersion: '3.5.0',
  });
  return writeBolt({ pageSize: o.pageSize, buckets, freelist: o.freelist, inlineBuckets: o.inlineBuckets });
}
