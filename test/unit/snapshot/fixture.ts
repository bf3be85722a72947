// The real etcd 3.4.23 snapshot in /work/shared/fixtures and what etcd said about it.
import { readFileSync } from 'node:fs';

export const FIXTURE_DIR = '/work/shared/fixtures/etcd-3.4.23';

export function readFixtureSnapshot(): Buffer {
  return readFileSync(`${FIXTURE_DIR}/snapshot.db`);
}

export interface LiveKey {
  key: Buffer;
  createRevision: number;
  modRevision: number;
  version: number;
  value: Buffer;
  lease: bigint;
}

/** all.json (`etcdctl get "" --from-key -w json`); lease IDs exceed 2^53, so they are quoted before parsing. */
export function readFixtureLiveKeys(): LiveKey[] {
  const text = readFileSync(`${FIXTURE_DIR}/all.json`, 'utf8').replace(/"(lease|cluster_id|member_id)":(\d+)/g, '"$1":"$2"');
  const parsed = JSON.parse(text) as {
    kvs: { key: string; create_revision: number; mod_revision: number; version: number; value?: string; lease?: string }[];
  };
  return parsed.kvs.map((kv) => ({
    key: Buffer.from(kv.key, 'base64'),
    createRevision: kv.create_revision,
    modRevision: kv.mod_revision,
    version: kv.version,
    value: Buffer.from(kv.value ?? '', 'base64'),
    lease: BigInt(kv.lease ?? '0'),
  }));
}

export const FIXTURE_STATUS = { hash: 3374655006, revision: 2325, totalKey: 2331, totalSize: 978944 };
