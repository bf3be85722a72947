// gogoproto-exact encoding of mvccpb.KeyValue and leasepb.Lease. The bytes are hashed by HashKV and
// by the backend hash, so field order (1..n) and omission of zero/empty fields must match etcd exactly.

import type { KeyValue, Lease, LeaseId } from './types.js';

const TWO_64 = 1n << 64n;
const TWO_63 = 1n << 63n;

/** Growable byte sink for hand-written protobuf encoding. */
class Writer {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint: number) {
    this.buf = Buffer.allocUnsafe(Math.max(16, sizeHint));
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  /** Varint of a non-negative safe integer. */
  uvarint(n: number): void {
    this.ensure(10);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  /** Varint of an int64 given as a number: negatives take 10 bytes, as Go's uint64 cast does. */
  int64(n: number): void {
    if (n >= 0) this.uvarint(n);
    else this.bigUvarint(BigInt(n) + TWO_64);
  }

  bigInt64(n: bigint): void {
    if (n < -TWO_63 || n >= TWO_63) throw new Error(`protobuf: ${n} does not fit int64`);
    this.bigUvarint(n < 0n ? n + TWO_64 : n);
  }

  private bigUvarint(n: bigint): void {
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return this.uvarint(Number(n));
    this.ensure(10);
    while (n >= 0x80n) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Makes decoded bytes a Buffer (by default a copy of their own, so the input can be let go). */
export type ByteCopier = (bytes: Uint8Array) => Buffer;

const copyToBuffer: ByteCopier = (bytes) => Buffer.from(bytes);

/** Cursor over protobuf bytes. */
class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    private readonly copy: ByteCopier = copyToBuffer,
  ) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** Raw uint64 varint as bigint (only used past 49 bits). */
  private slowUvarint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byteAt();
      result |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return result & (TWO_64 - 1n);
      shift += 7n;
    }
    throw new Error('protobuf: varint overflow');
  }

  private byteAt(): number {
    if (this.pos >= this.buf.length) throw new Error('protobuf: unexpected end of buffer');
    return this.buf[this.pos++]!;
  }

  uint64Big(): bigint {
    const start = this.pos;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byteAt();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return BigInt(n);
      mul *= 0x80;
    }
    this.pos = start;
    return this.slowUvarint();
  }

  int64Big(): bigint {
    const u = this.uint64Big();
    return u >= TWO_63 ? u - TWO_64 : u;
  }

  /** An int64 that must fit a JS number (revisions, versions, TTLs). */
  int64Number(): number {
    const start = this.pos;
    let n = 0;
    let mul = 1;
    for (let i = 0; i < 7; i++) {
      const b = this.byteAt();
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
    this.pos = start;
    const v = this.int64Big();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`protobuf: int64 ${v} exceeds the safe integer range`);
    }
    return Number(v);
  }

  bytes(): Buffer {
    const len = this.int64Number();
    if (len < 0 || this.pos + len > this.buf.length) throw new Error('protobuf: bad length');
    const out = this.copy(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return out;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case 0:
        this.uint64Big();
        return;
      case 1:
        this.pos += 8;
        return;
      case 2: {
        // Read the length first: `this.pos += f()` would add to the position from before f() ran.
        const len = this.int64Number();
        this.pos += len;
        return;
      }
      case 5:
        this.pos += 4;
        return;
      default:
        throw new Error(`protobuf: unsupported wire type ${wireType}`);
    }
  }

  tag(): { field: number; wireType: number } {
    const t = this.int64Number();
    return { field: Math.floor(t / 8), wireType: t & 7 };
  }
}

export function encodeKeyValue(kv: KeyValue): Buffer {
  const w = new Writer(kv.key.length + kv.value.length + 40);
  if (kv.key.length > 0) {
    w.byte(0x0a);
    w.bytes(kv.key);
  }
  if (kv.createRevision !== 0) {
    w.byte(0x10);
    w.int64(kv.createRevision);
  }
  if (kv.modRevision !== 0) {
    w.byte(0x18);
    w.int64(kv.modRevision);
  }
  if (kv.version !== 0) {
    w.byte(0x20);
    w.int64(kv.version);
  }
  if (kv.value.length > 0) {
    w.byte(0x2a);
    w.bytes(kv.value);
  }
  if (kv.lease !== 0n) {
    w.byte(0x30);
    w.bigInt64(kv.lease);
  }
  return w.finish();
}

const EMPTY = Buffer.alloc(0);

export function decodeKeyValue(buf: Uint8Array, copy?: ByteCopier): KeyValue {
  const r = new Reader(buf, copy);
  const kv: KeyValue = { key: EMPTY, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0n };
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field === 1 && wireType === 2) kv.key = r.bytes();
    else if (field === 2 && wireType === 0) kv.createRevision = r.int64Number();
    else if (field === 3 && wireType === 0) kv.modRevision = r.int64Number();
    else if (field === 4 && wireType === 0) kv.version = r.int64Number();
    else if (field === 5 && wireType === 2) kv.value = r.bytes();
    else if (field === 6 && wireType === 0) kv.lease = r.int64Big();
    else r.skip(wireType);
  }
  return kv;
}

export function encodeLease(lease: Lease): Buffer {
  const w = new Writer(32);
  if (lease.id !== 0n) {
    w.byte(0x08);
    w.bigInt64(lease.id);
  }
  if (lease.ttl !== 0) {
    w.byte(0x10);
    w.int64(lease.ttl);
  }
  if (lease.remainingTtl !== 0) {
    w.byte(0x18);
    w.int64(lease.remainingTtl);
  }
  return w.finish();
}

export function decodeLease(buf: Uint8Array): Lease {
  const r = new Reader(buf);
  const lease: Lease = { id: 0n, ttl: 0, remainingTtl: 0 };
  while (!r.done()) {
    const { field, wireType } = r.tag();
    if (field === 1 && wireType === 0) lease.id = r.int64Big();
    else if (field === 2 && wireType === 0) lease.ttl = r.int64Number();
    else if (field === 3 && wireType === 0) lease.remainingTtl = r.int64Number();
    else r.skip(wireType);
  }
  return lease;
}

/** The lease bucket key: BE64 of the int64 id (etcd's int64ToBytes). */
export function encodeLeaseKey(id: LeaseId): Buffer {
  const b = Buffer.allocUnsafe(8);
  b.writeBigInt64BE(id, 0);
  return b;
}

export function decodeLeaseKey(b: Uint8Array): LeaseId {
  if (b.length !== 8) throw new Error(`mvcc: lease key has ${b.length} bytes, want 8`);
  return Buffer.from(b.buffer, b.byteOffset, 8).readBigInt64BE(0);
}
