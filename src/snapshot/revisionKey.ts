// etcd's key-bucket keys: BE64(main) '_' BE64(sub), plus 't' for a tombstone (mvcc/revision.go).
export const REVISION_KEY_SIZE = 17;
export const TOMBSTONE_KEY_SIZE = 18;

export interface RevisionKey {
  main: bigint;
  sub: bigint;
  tombstone: boolean;
}

export function encodeRevisionKey(rev: RevisionKey): Buffer {
  const b = Buffer.alloc(rev.tombstone ? TOMBSTONE_KEY_SIZE : REVISION_KEY_SIZE);
  b.writeBigInt64BE(rev.main, 0);
  b[8] = 0x5f; // '_'
  b.writeBigInt64BE(rev.sub, 9);
  if (rev.tombstone) b[17] = 0x74; // 't'
  return b;
}

/** Parses as etcd's bytesToRev does (k[0:8], k[9:17]); throws where etcd would panic on a short key. */
export function decodeRevisionKey(key: Buffer): RevisionKey {
  if (key.length < REVISION_KEY_SIZE) {
    throw new Error(`revision key 0x${key.toString('hex')} has ${key.length} bytes, expected at least ${REVISION_KEY_SIZE}`);
  }
  return {
    main: key.readBigInt64BE(0),
    sub: key.readBigInt64BE(9),
    tombstone: key.length === TOMBSTONE_KEY_SIZE && key[17] === 0x74,
  };
}
