// mvccpb.KeyValue exactly as gogoproto marshals it: fields 1..6 in order, zero/empty fields omitted,
// int64 as varint (10 bytes when negative). Byte-exactness matters: snapshot status and HashKV hash
// these bytes. A small codec of our own so the snapshot layer does not wait on the server's protobuf.
import type { KeyValue } from '../mvcc/types.js';

const U64 = 0xffffffffffffffffn;

function varintBytes(v: bigint): number[] {
  let u = v & U64;
  const out: number[] = [];
  while (u >= 0x80n) {
    out.push(Number(u & 0x7fn) | 0x80);
    u >>= 7n;
  }
  out.push(Number(u));
  return out;
}

export function encodeKeyValue(kv: KeyValue): Buffer {
  const parts: Buffer[] = [];
  const bytesField = (tag: number, b: Buffer): void => {
    if (b.length === 0) return;
    parts.push(Buffer.from([tag, ...varintBytes(BigInt(b.length))]), b);
  };
  const intField = (tag: number, v: bigint): void => {
    if (v === 0n) return;
    parts.push(Buffer.from([tag, ...varintBytes(v)]));
  };
  bytesField(0x0a, kv.key);
  intField(0x10, BigInt(kv.createRevision));
  intField(0x18, BigInt(kv.modRevision));
  intField(0x20, BigInt(kv.version));
  bytesField(0x2a, kv.value);
  intField(0x30, kv.lease);
  return Buffer.concat(parts);
}

class ProtoCursor {
  pos = 0;
  constructor(private readonly buf: Buffer) {}

  done(): boolean {
    return this.pos >= this.buf.length;
  }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw new Error('KeyValue: truncated varint');
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result & U64;
    }
    throw new Error('KeyValue: varint longer than 10 bytes');
  }

  bytes(): Buffer {
    const len = this.varint();
    if (len > BigInt(this.buf.length - this.pos)) throw new Error('KeyValue: length-delimited field runs past the end');
    const start = this.pos;
    this.pos += Number(len);
    return this.buf.subarray(start, this.pos);
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 2) this.bytes();
    else if (wireType === 1 || wireType === 5) {
      this.pos += wireType === 1 ? 8 : 4;
      if (this.pos > this.buf.length) throw new Error('KeyValue: truncated fixed field');
    } else throw new Error(`KeyValue: unsupported wire type ${wireType}`);
  }
}

function toInt64(u: bigint): bigint {
  return BigInt.asIntN(64, u);
}

function toRevision(u: bigint, field: string): number {
  const v = toInt64(u);
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`KeyValue: ${field} ${v} does not fit a safe integer`);
  }
  return Number(v);
}

export function decodeKeyValue(buf: Buffer): KeyValue {
  const kv: KeyValue = { key: Buffer.alloc(0), createRevision: 0, modRevision: 0, version: 0, value: Buffer.alloc(0), lease: 0n };
  const c = new ProtoCursor(buf);
  while (!c.done()) {
    const tag = c.varint();
    const field = Number(tag >> 3n);
    const wire = Number(tag & 7n);
    if (field === 1 && wire === 2) kv.key = c.bytes();
    else if (field === 2 && wire === 0) kv.createRevision = toRevision(c.varint(), 'create_revision');
    else if (field === 3 && wire === 0) kv.modRevision = toRevision(c.varint(), 'mod_revision');
    else if (field === 4 && wire === 0) kv.version = toRevision(c.varint(), 'version');
    else if (field === 5 && wire === 2) kv.value = c.bytes();
    else if (field === 6 && wire === 0) kv.lease = toInt64(c.varint());
    else c.skip(wire);
  }
  return kv;
}
