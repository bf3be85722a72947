// Damage done on purpose to a stopped member's data directory: WAL records and segments, LevelDB
// entries. Tests use it to prove that a member refuses to start on corrupt data instead of serving it.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Level } from 'level';
import { BUCKETS, type BucketName } from '../../src/mvcc/backend.js';
import { decodeRecordAt } from '../../src/server/wal/record.js';

export function walDirOf(dataDir: string): string {
  return path.join(dataDir, 'member', 'wal');
}

export function dbDirOf(dataDir: string): string {
  return path.join(dataDir, 'member', 'snap', 'db.capstan');
}

/** The WAL's segment files, oldest first. */
export function walSegments(dataDir: string): string[] {
  const dir = walDirOf(dataDir);
  return readdirSync(dir)
    .filter((n) => n.endsWith('.wal'))
    .sort()
    .map((n) => path.join(dir, n));
}

export interface RecordSpan {
  offset: number;
  end: number;
  type: number;
  dataLength: number;
}

/** Where each intact record of one segment file lies, up to the first thing that is not one. */
export function recordSpans(file: string): RecordSpan[] {
  const buf = readFileSync(file);
  const spans: RecordSpan[] = [];
  let off = 0;
  // Each round moves past one record; a segment holds far fewer than a million.
  for (let i = 0; i < 1_000_000 && off < buf.length; i++) {
    const r = decodeRecordAt(buf, off);
    if (r.kind !== 'record') break;
    spans.push({ offset: off, end: r.next, type: r.record.type, dataLength: r.record.data.length });
    off = r.next;
  }
  return spans;
}

/** The member's LevelDB, opened directly (the member must be stopped). Close it when done. */
export async function openBackendDb(dataDir: string): Promise<Level<Buffer, Buffer>> {
  const db = new Level<Buffer, Buffer>(dbDirOf(dataDir), { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  return db;
}

/** The LevelDB key of `key` in `bucket` (the backend prefixes each bucket's keys with its id byte). */
export function bucketKey(bucket: BucketName, key: Uint8Array): Buffer {
  return Buffer.concat([Buffer.from([BUCKETS.indexOf(bucket) + 1]), key]);
}

/** Every LevelDB entry of one bucket, in key order. */
export async function bucketEntries(db: Level<Buffer, Buffer>, bucket: BucketName): Promise<Array<[Buffer, Buffer]>> {
  const id = BUCKETS.indexOf(bucket) + 1;
  const out: Array<[Buffer, Buffer]> = [];
  for await (const [k, v] of db.iterator({ gte: Buffer.from([id]), lt: Buffer.from([id + 1]) })) out.push([k, v]);
  return out;
}

/** The lines logged by the member's latest run (the harness starts each run with a `--- ` line). */
export function latestRunLog(allLogs: string): string {
  const at = allLogs.lastIndexOf('\n--- ');
  return at < 0 ? allLogs : allLogs.slice(at + 1);
}
