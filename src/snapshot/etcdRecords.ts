// etcd's encodings of the small records in its backend that are not MVCC data (spec snapshot-format.md
// §3): members (JSON with uint64 ids past 2^53, so written and read without Number), alarm keys
// (a marshalled AlarmMember) and the meta bucket's BE u64 values.

/** A member as etcd's membership store keeps it in the `members` bucket. */
export interface EtcdMemberRecord {
  id: bigint;
  name: string;
  peerUrls: readonly string[];
  clientUrls: readonly string[];
  isLearner: boolean;
}

export type EtcdAlarmType = 'NOSPACE' | 'CORRUPT';

export interface EtcdAlarmRecord {
  memberId: bigint;
  alarm: EtcdAlarmType;
}

const ALARM_CODE: Record<EtcdAlarmType, number> = { NOSPACE: 1, CORRUPT: 2 };

/** Go's encoding/json string: JSON.stringify plus the HTML escapes Go applies by default. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function goJsonStrings(list: readonly string[]): string {
  return `[${list.map(goJsonString).join(',')}]`;
}

/** The bucket key: types.ID.String(), lower-case hex without leading zeros. */
export function memberKey(id: bigint): Buffer {
  return Buffer.from(BigInt.asUintN(64, id).toString(16));
}

/** json.Marshal(membership.Member): id, peerURLs, isLearner (omitempty), name (omitempty), clientURLs (omitempty). */
export function memberJson(m: EtcdMemberRecord): string {
  let out = `{"id":${BigInt.asUintN(64, m.id).toString()},"peerURLs":${m.peerUrls.length === 0 ? 'null' : goJsonStrings(m.peerUrls)}`;
  if (m.isLearner) out += ',"isLearner":true';
  if (m.name !== '') out += `,"name":${goJsonString(m.name)}`;
  if (m.clientUrls.length > 0) out += `,"clientURLs":${goJsonStrings(m.clientUrls)}`;
  return `${out}}`;
}

/** etcd's alarm bucket key: AlarmMember{memberID=1 uint64, alarm=2 enum} as gogoproto marshals it. */
export function alarmKey(a: EtcdAlarmRecord): Buffer {
  const bytes: number[] = [];
  const id = BigInt.asUintN(64, a.memberId);
  if (id !== 0n) {
    bytes.push(0x08);
    let u = id;
    while (u >= 0x80n) {
      bytes.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    bytes.push(Number(u));
  }
  bytes.push(0x10, ALARM_CODE[a.alarm]);
  return Buffer.from(bytes);
}

/** Reads an alarm key; null for AlarmType NONE (etcd never stores one, but it is valid protobuf). */
export function decodeAlarmKey(key: Buffer): EtcdAlarmRecord | null {
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (pos >= key.length) throw new Error(`alarm key 0x${key.toString('hex')}: truncated varint`);
      const b = key[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, result);
    }
    throw new Error(`alarm key 0x${key.toString('hex')}: varint longer than 10 bytes`);
  };
  let memberId = 0n;
  let code = 0n;
  while (pos < key.length) {
    const tag = varint();
    if (tag === 0x08n) memberId = varint();
    else if (tag === 0x10n) code = varint();
    else throw new Error(`alarm key 0x${key.toString('hex')}: unexpected field tag ${tag}`);
  }
  if (code === 0n) return null;
  if (code === 1n) return { memberId, alarm: 'NOSPACE' };
  if (code === 2n) return { memberId, alarm: 'CORRUPT' };
  throw new Error(`alarm key 0x${key.toString('hex')}: unknown alarm type ${code}`);
}

export function encodeU64(v: bigint | number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt.asUintN(64, BigInt(v)));
  return b;
}

export function decodeU64(b: Buffer, what: string): bigint {
  if (b.length !== 8) throw new Error(`${what} has ${b.length} bytes, expected 8`);
  return b.readBigUInt64BE(0);
}
