// Hand-written canonical encoders for the messages every write and read produces: the put log entry,
// PutResponse and RangeResponse. They write exactly the bytes canonical.ts writes (fields in number
// order, zero scalars omitted, set messages written even when empty), checked by property tests, and
// return null for a value they do not expect (an int64 that is neither a decimal string nor a number),
// which the caller then encodes the general way. The general encoder walks a field plan per message;
// these were a twentieth of a leader's CPU under write load and of a member's under reads.
import type * as pb from './messages.js';

/** "digits" of at most 15 characters (no sign). */
function isShortDigits(s: string): boolean {
  const len = s.length;
  if (len === 0 || len > 15) return false;
  for (let i = 0; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** The unsigned 64-bit words of a long or negative decimal string or a negative safe integer; else null. */
function longWords(v: unknown): [number, number] | null {
  if (typeof v === 'string') {
    const known = recentWords.get(v);
    if (known !== undefined) return known;
    if (!/^-?\d{1,20}$/.test(v)) return null;
  } else if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    return null;
  }
  const bits = BigInt.asUintN(64, BigInt(v));
  const words: [number, number] = [Number(bits & 0xffffffffn), Number(bits >> 32n)];
  // Cluster and member IDs come in every response header: remember a few long strings.
  if (typeof v === 'string') {
    if (recentWords.size >= 8) recentWords.clear();
    recentWords.set(v, words);
  }
  return words;
}
const recentWords = new Map<string, [number, number]>();

class CanonicalWriter {
  buf = Buffer.allocUnsafe(512);
  pos = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** A non-negative integer below 2^53. */
  varint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** A 64-bit value as its unsigned low and high words. */
  varint64(lo: number, hi: number): void {
    if (hi === 0) {
      this.varint(lo);
      return;
    }
    this.ensure(10);
    for (let i = 0; i < 4; i++) {
      this.buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    // Bits 28..34: the last four of lo and the first three of hi.
    let b = lo | ((hi & 0x07) << 4);
    hi >>>= 3;
    while (hi !== 0) {
      this.buf[this.pos++] = b | 0x80;
      b = hi & 0x7f;
      hi >>>= 7;
    }
    this.buf[this.pos++] = b;
  }

  /** A bytes field; false when the value is not bytes (the general encoder decides what it means). */
  bytes(tag: number, b: unknown): boolean {
    if (b === undefined || b === null) return true;
    if (!(b instanceof Uint8Array)) return false;
    if (b.length === 0) return true;
    this.varint(tag);
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    return true;
  }

  /** An ASCII string field; false for anything else. */
  ascii(tag: number, s: unknown): boolean {
    if (s === undefined || s === null) return true;
    if (typeof s !== 'string' || !/^[\x00-\x7f]*$/.test(s)) return false;
    if (s.length === 0) return true;
    this.varint(tag);
    this.varint(s.length);
    this.ensure(s.length);
    this.buf.write(s, this.pos, 'latin1');
    this.pos += s.length;
    return true;
  }

  /** A bool field; false when the value is not a boolean. */
  bool(tag: number, v: unknown): boolean {
    if (v === undefined || v === null || v === false) return true;
    if (v !== true) return false;
    this.varint(tag);
    this.varint(1);
    return true;
  }

  /** An int64-family field given as a decimal string or a number; false when it is neither. */
  int64(tag: number, v: unknown): boolean {
    if (v === undefined || v === null || v === '0' || v === 0) return true;
    let lo: number;
    let hi: number;
    if (typeof v === 'string' && isShortDigits(v)) {
      // Up to 15 digits: exact as a number, no BigInt.
      const n = Number(v);
      if (n === 0) return true;
      lo = n % 0x100000000;
      hi = Math.floor(n / 0x100000000);
    } else if (typeof v === 'number' && Number.isSafeInteger(v) && v > 0) {
      lo = v % 0x100000000;
      hi = Math.floor(v / 0x100000000);
    } else {
      const words = longWords(v);
      if (words === null) return false;
      if (words[0] === 0 && words[1] === 0) return true;
      [lo, hi] = words;
    }
    this.varint(tag);
    this.varint64(lo, hi);
    return true;
  }

  /** A nested message: the body is written in place, then moved if its length needs more than one byte. */
  message(tag: number, body: () => boolean): boolean {
    this.varint(tag);
    this.ensure(1);
    const lengthAt = this.pos++;
    if (!body()) return false;
    const length = this.pos - lengthAt - 1;
    if (length < 0x80) {
      this.buf[lengthAt] = length;
      return true;
    }
    let extra = 0;
    for (let n = length; n >= 0x80; n = Math.floor(n / 0x80)) extra++;
    this.ensure(extra);
    this.buf.copy(this.buf, lengthAt + 1 + extra, lengthAt + 1, this.pos);
    const end = this.pos + extra;
    this.pos = lengthAt;
    this.varint(length);
    this.pos = end;
    return true;
  }

  finish(): Buffer {
    const out = Buffer.allocUnsafe(this.pos);
    this.buf.copy(out, 0, 0, this.pos);
    this.pos = 0;
    return out;
  }
}

// Encoding is synchronous: one scratch writer serves every call.
const w = new CanonicalWriter();

function header(h: pb.ResponseHeader): boolean {
  return w.int64(1 << 3, h.cluster_id) && w.int64(2 << 3, h.member_id) && w.int64(3 << 3, h.revision) && w.int64(4 << 3, h.raft_term);
}

function keyValue(kv: pb.KeyValue): boolean {
  return (
    w.bytes((1 << 3) | 2, kv.key) &&
    w.int64(2 << 3, kv.create_revision) &&
    w.int64(3 << 3, kv.mod_revision) &&
    w.int64(4 << 3, kv.version) &&
    w.bytes((5 << 3) | 2, kv.value) &&
    w.int64(6 << 3, kv.lease)
  );
}

function done(ok: boolean): Buffer | null {
  if (!ok) {
    w.pos = 0;
    return null;
  }
  return w.finish();
}

const isObject = (v: unknown): boolean => typeof v === 'object' && v !== null;

export function encodeRangeResponse(r: pb.RangeResponse): Buffer | null {
  if (r.header !== null && r.header !== undefined && !isObject(r.header)) return null;
  w.pos = 0;
  if (r.header !== null && r.header !== undefined && !w.message((1 << 3) | 2, () => header(r.header!))) return done(false);
  const kvs: unknown = r.kvs ?? [];
  if (!Array.isArray(kvs)) return done(false);
  for (const kv of kvs as pb.KeyValue[]) {
    if (typeof kv !== 'object' || kv === null || !w.message((2 << 3) | 2, () => keyValue(kv))) return done(false);
  }
  return done(w.bool(3 << 3, r.more) && w.int64(4 << 3, r.count));
}

export function encodePutResponse(r: pb.PutResponse): Buffer | null {
  for (const m of [r.header, r.prev_kv]) if (m !== null && m !== undefined && !isObject(m)) return null;
  w.pos = 0;
  if (r.header !== null && r.header !== undefined && !w.message((1 << 3) | 2, () => header(r.header!))) return done(false);
  if (r.prev_kv !== null && r.prev_kv !== undefined && !w.message((2 << 3) | 2, () => keyValue(r.prev_kv!))) return done(false);
  return done(true);
}

/** An InternalRaftRequest carrying a put (its `request` tag already checked by the caller). */
export function encodePutEntry(request: pb.InternalRaftRequest): Buffer | null {
  const put = (request as { put?: pb.PutRequest | null }).put;
  if (!isObject(put) || (request.header !== null && request.header !== undefined && !isObject(request.header))) return null;
  w.pos = 0;
  if (!w.int64(1 << 3, request.ID)) return done(false);
  const p = put as pb.PutRequest;
  const body = (): boolean =>
    w.bytes((1 << 3) | 2, p.key) &&
    w.bytes((2 << 3) | 2, p.value) &&
    w.int64(3 << 3, p.lease) &&
    w.bool(4 << 3, p.prev_kv) &&
    w.bool(5 << 3, p.ignore_value) &&
    w.bool(6 << 3, p.ignore_lease);
  if (!w.message((4 << 3) | 2, body)) return done(false);
  const h = request.header;
  if (h !== null && h !== undefined) {
    const ok = w.message((100 << 3) | 2, () => w.int64(1 << 3, h.ID) && w.ascii((2 << 3) | 2, h.username) && w.int64(3 << 3, h.auth_revision));
    if (!ok) return done(false);
  }
  return done(true);
}

/** Direct response encoders by gRPC method path. */
export const DIRECT_RESPONSE_ENCODERS: ReadonlyMap<string, (value: object) => Buffer | null> = new Map<string, (value: object) => Buffer | null>([
  ['/etcdserverpb.KV/Range', (v) => encodeRangeResponse(v as pb.RangeResponse)],
  ['/etcdserverpb.KV/Put', (v) => encodePutResponse(v as pb.PutResponse)],
]);
