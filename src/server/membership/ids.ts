import { createHash } from 'node:crypto';

// Member and cluster IDs are derived exactly as etcd derives them (membership/member.go
// computeMemberID, cluster.go genID), so a cluster bootstrapped with the same --initial-cluster and
// --initial-cluster-token gets the same IDs under capstan as under etcd.

function first8BytesOfSha1(data: Buffer): bigint {
  return createHash('sha1').update(data).digest().readBigUInt64BE(0);
}

/** `nowUnixSeconds` is set only for members added at runtime (MemberAdd), never at bootstrap. */
export function computeMemberId(peerUrls: readonly string[], clusterToken: string, nowUnixSeconds?: number): bigint {
  // Go's sort.Strings orders by bytes; JS default sort orders by UTF-16 code units, which agrees for URLs.
  const joined = [...peerUrls].sort().join('');
  let data = joined + clusterToken;
  if (nowUnixSeconds !== undefined) data += String(Math.floor(nowUnixSeconds));
  return first8BytesOfSha1(Buffer.from(data, 'utf8'));
}

export function computeClusterId(memberIds: readonly bigint[]): bigint {
  const sorted = [...memberIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const buf = Buffer.alloc(8 * sorted.length);
  sorted.forEach((id, i) => buf.writeBigUInt64BE(id, 8 * i));
  return first8BytesOfSha1(buf);
}

/** etcd prints IDs as lower-case hex without padding (types.ID.String). */
export function idToHex(id: bigint): string {
  return id.toString(16);
}
