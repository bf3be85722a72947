// A direct decoder for the log entry every write workload is made of: an InternalRaftRequest carrying
// a PutRequest. Every member decodes every entry it applies, and protobufjs's decode plus toObject was
// a tenth of a follower's CPU under write load. It gives exactly the object codec.ts's decode gives,
// or null for anything it does not handle with certainty (another request, a repeated or unknown
// field, a non-ASCII user name, malformed bytes), which the caller then decodes the general way.
import type * as pb from './messages.js';
import { LENGTH_DELIMITED, signed64, unsigned64, VARINT, WireCursor } from './wireCursor.js';

function decodeHeader(buf: Buffer, start: number, end: number): pb.RequestHeader | null {
  const c = new WireCursor(buf, start, end);
  const header = { ID: '0', username: '', auth_revision: '0' };
  while (c.pos < end) {
    if (!c.field(3)) return null;
    const field = c.fieldNumber;
    if (field === 2) {
      const name = c.bytes();
      if (name === null) return null;
      for (const byte of name) if (byte >= 0x80) return null;
      header.username = name.toString('latin1');
      continue;
    }
    if (!c.scalar()) return null;
    if (field === 1) header.ID = unsigned64(c.lo, c.hi);
    else header.auth_revision = unsigned64(c.lo, c.hi);
  }
  return header;
}

/** A PutRequest in buf[start, end); its key and value are views of buf. */
export function decodePut(buf: Buffer, start: number, end: number): pb.PutRequest | null {
  const c = new WireCursor(buf, start, end);
  const put: { key: Buffer; value: Buffer; lease: string; prev_kv: boolean; ignore_value: boolean; ignore_lease: boolean } = { key: EMPTY, value: EMPTY, lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false };
  while (c.pos < end) {
    if (!c.field(6)) return null;
    const field = c.fieldNumber;
    if (field <= 2) {
      const b = c.bytes();
      if (b === null) return null;
      if (field === 1) put.key = b;
      else put.value = b;
      continue;
    }
    if (!c.scalar()) return null;
    // protobufjs reads a bool as a uint32: only the low 32 bits count.
    if (field !== 3 && !c.readsAs32()) return null;
    if (field === 3) put.lease = signed64(c.lo, c.hi);
    else if (field === 4) put.prev_kv = c.lo !== 0;
    else if (field === 5) put.ignore_value = c.lo !== 0;
    else put.ignore_lease = c.lo !== 0;
  }
  // Absent byte fields decode to empty buffers of their own, as protobufjs gives them.
  if (put.key === EMPTY) put.key = Buffer.alloc(0);
  if (put.value === EMPTY) put.value = Buffer.alloc(0);
  return put;
}

const EMPTY = Buffer.alloc(0);

const ID_FIELD = 1;
const PUT_FIELD = 4;
const HEADER_FIELD = 100;

/** The request if `bytes` is a put entry this decoder is certain of, else null. */
export function decodePutEntry(bytes: Uint8Array): pb.InternalRaftRequest | null {
  // One copy, so the decoded key and value never pin the buffer the entry arrived in.
  const buf = Buffer.from(bytes);
  const c = new WireCursor(buf, 0, buf.length);
  let id = '0';
  let header: pb.RequestHeader | null = null;
  let put: pb.PutRequest | null = null;
  let seenId = false;
  let seenHeader = false;
  while (c.pos < buf.length) {
    if (!c.varint32() || c.hi !== 0) return null;
    const field = c.lo >>> 3;
    const wire = c.lo & 7;
    if (field === ID_FIELD && wire === VARINT && !seenId) {
      if (!c.varint()) return null;
      id = unsigned64(c.lo, c.hi);
      seenId = true;
    } else if (field === PUT_FIELD && wire === LENGTH_DELIMITED && put === null) {
      const bounds = c.delimited();
      if (bounds === null) return null;
      put = decodePut(buf, bounds[0], bounds[1]);
      if (put === null) return null;
    } else if (field === HEADER_FIELD && wire === LENGTH_DELIMITED && !seenHeader) {
      const bounds = c.delimited();
      if (bounds === null) return null;
      header = decodeHeader(buf, bounds[0], bounds[1]);
      if (header === null) return null;
      seenHeader = true;
    } else {
      return null;
    }
  }
  if (put === null) return null;
  return { ID: id, header, put, request: 'put' } as pb.InternalRaftRequest;
}
