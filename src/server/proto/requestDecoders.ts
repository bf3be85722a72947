// Direct decoders for the two requests a loaded member decodes most: Range and Put. Each gives exactly
// what proto-loader's deserializer gives (longs as decimal strings, enums by name, defaults filled in,
// byte fields as views of the request buffer), or null when it is not certain (a repeated or unknown
// field, an enum value without a name, malformed bytes): the caller then uses proto-loader's. For a
// serializable range, protobufjs's decode plus toObject was a twentieth of the member's CPU.
import type * as pb from './messages.js';
import { decodePut } from './putEntryDecoder.js';
import { signed64, WireCursor } from './wireCursor.js';

const SORT_ORDERS = ['NONE', 'ASCEND', 'DESCEND'] as const;
const SORT_TARGETS = ['KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'] as const;

/** RangeRequest's int64 fields by field number. */
const INT64_FIELDS: Partial<Record<number, keyof pb.RangeRequest>> = {
  3: 'limit',
  4: 'revision',
  10: 'min_mod_revision',
  11: 'max_mod_revision',
  12: 'min_create_revision',
  13: 'max_create_revision',
};

export function decodeRangeRequest(buf: Buffer): pb.RangeRequest | null {
  const r: pb.RangeRequest = {
    key: EMPTY,
    range_end: EMPTY,
    limit: '0',
    revision: '0',
    sort_order: 'NONE',
    sort_target: 'KEY',
    serializable: false,
    keys_only: false,
    count_only: false,
    min_mod_revision: '0',
    max_mod_revision: '0',
    min_create_revision: '0',
    max_create_revision: '0',
  };
  const c = new WireCursor(buf, 0, buf.length);
  while (c.pos < buf.length) {
    if (!c.field(13)) return null;
    const field = c.fieldNumber;
    if (field <= 2) {
      const b = c.bytes();
      if (b === null) return null;
      if (field === 1) r.key = b;
      else r.range_end = b;
      continue;
    }
    if (!c.scalar()) return null;
    const int64 = INT64_FIELDS[field];
    if (int64 !== undefined) {
      (r as unknown as Record<string, string>)[int64] = signed64(c.lo, c.hi);
    } else if (!c.readsAs32()) {
      return null;
    } else if (field === 5 || field === 6) {
      // protobufjs reads an enum as an int32: the low 32 bits, signed.
      if (field === 5) {
        const name = SORT_ORDERS[c.lo | 0];
        if (name === undefined) return null;
        r.sort_order = name;
      } else {
        const name = SORT_TARGETS[c.lo | 0];
        if (name === undefined) return null;
        r.sort_target = name;
      }
    } else if (field === 7) r.serializable = c.lo !== 0;
    else if (field === 8) r.keys_only = c.lo !== 0;
    else r.count_only = c.lo !== 0;
  }
  // Absent byte fields decode to empty buffers of their own, as protobufjs gives them.
  if (r.key === EMPTY) r.key = Buffer.alloc(0);
  if (r.range_end === EMPTY) r.range_end = Buffer.alloc(0);
  return r;
}

const EMPTY = Buffer.alloc(0);

export function decodePutRequest(buf: Buffer): pb.PutRequest | null {
  return decodePut(buf, 0, buf.length);
}

/** Direct decoders by gRPC method path. */
export const DIRECT_REQUEST_DECODERS: ReadonlyMap<string, (buf: Buffer) => object | null> = new Map<string, (buf: Buffer) => object | null>([
  ['/etcdserverpb.KV/Range', decodeRangeRequest],
  ['/etcdserverpb.KV/Put', decodePutRequest],
]);
