// A compact binary encoding of raft's records for the wire and the WAL. Each record starts with a
// tag byte naming its kind; numbers are unsigned LEB128 varints (up to 2^53), node IDs are 8-byte
// little-endian uint64, byte strings are a varint length then the bytes. Decoding rejects
// truncated input, trailing bytes, unknown tags and out-of-range enums.
import {
  type ConfChange,
  ConfChangeType,
  type ConfState,
  type Entry,
  EntryType,
  type HardState,
  type Message,
  MessageType,
  type NodeId,
  type Snapshot,
  type SnapshotMetadata,
} from './types.js';

export class CodecError extends Error {
  constructor(message: string) {
    super(`raft codec: ${message}`);
    this.name = 'CodecError';
  }
}

enum Tag {
  Message = 1,
  Entry = 2,
  HardState = 3,
  ConfState = 4,
  SnapshotMetadata = 5,
  ConfChange = 6,
  Snapshot = 7,
}

/**
 * A copy of buf[start, end). Past a few dozen bytes, Uint8Array.slice (a zero-filled new ArrayBuffer)
 * costs several times Buffer.allocUnsafe, which carves small buffers out of a shared pool; encoding and
 * decoding raft messages and WAL entries was a visible share of a leader's CPU under write load.
 */
function copyOut(buf: Uint8Array, start: number, end: number): Uint8Array {
  const n = end - start;
  if (n < 64) return buf.slice(start, end);
  // A plain Uint8Array over the pooled bytes: decoded records keep the type they always had.
  const pooled = Buffer.allocUnsafe(n);
  const out = new Uint8Array(pooled.buffer, pooled.byteOffset, n);
  out.set(buf.subarray(start, end));
  return out;
}

const idWords = new Map<bigint, readonly [number, number]>();
const recentIds: Array<{ lo: number; hi: number; id: bigint }> = [];

class Writer {
  private buf = new Uint8Array(256);
  private view = new DataView(this.buf.buffer);
  private pos = 0;

  reset(): void {
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  byte(b: number): void {
    this.ensure(1);
    this.buf[this.pos++] = b;
  }

  uvarint(n: number): void {
    if (!Number.isSafeInteger(n) || n < 0) throw new CodecError(`cannot encode ${n} as an unsigned varint`);
    this.ensure(8);
    while (n >= 0x80) {
      this.buf[this.pos++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.pos++] = n;
  }

  u64(v: bigint): void {
    let words = idWords.get(v);
    if (words === undefined) {
      if (v < 0n || v > 0xffffffffffffffffn) throw new CodecError(`node id ${v} is not a uint64`);
      words = [Number(v & 0xffffffffn), Number(v >> 32n)];
      // Node IDs are a handful of members: remembered, their words cost no BigInt work (setBigUint64
      // was a leading allocation site of a leader encoding two IDs into every message).
      if (idWords.size >= 64) idWords.clear();
      idWords.set(v, words);
    }
    this.ensure(8);
    this.view.setUint32(this.pos, words[0], true);
    this.view.setUint32(this.pos + 4, words[1], true);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.uvarint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  finish(): Uint8Array {
    return copyOut(this.buf, 0, this.pos);
  }
}

class Reader {
  private pos = 0;

  constructor(private readonly buf: Uint8Array) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new CodecError('truncated input');
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  bool(): boolean {
    const b = this.byte();
    if (b > 1) throw new CodecError(`bad boolean ${b}`);
    return b === 1;
  }

  uvarint(): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (!Number.isSafeInteger(result)) throw new CodecError('varint exceeds 2^53');
        return result;
      }
      scale *= 0x80;
    }
    throw new CodecError('varint too long');
  }

  u64(): bigint {
    this.need(8);
    const b = this.buf;
    const p = this.pos;
    this.pos += 8;
    const lo = ((b[p] as number) | ((b[p + 1] as number) << 8) | ((b[p + 2] as number) << 16) | ((b[p + 3] as number) << 24)) >>> 0;
    const hi = ((b[p + 4] as number) | ((b[p + 5] as number) << 8) | ((b[p + 6] as number) << 16) | ((b[p + 7] as number) << 24)) >>> 0;
    // The same few member IDs arrive in every message: reuse their BigInts.
    for (const known of recentIds) if (known.lo === lo && known.hi === hi) return known.id;
    const id = hi === 0 ? BigInt(lo) : (BigInt(hi) << 32n) | BigInt(lo);
    if (recentIds.length >= 16) recentIds.shift();
    recentIds.push({ lo, hi, id });
    return id;
  }

  bytes(): Uint8Array {
    const n = this.uvarint();
    this.need(n);
    const b = copyOut(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  tag(expected: Tag): void {
    const t = this.byte();
    if (t !== expected) throw new CodecError(`expected record tag ${expected}, got ${t}`);
  }

  end(): void {
    if (this.pos !== this.buf.length) throw new CodecError(`${this.buf.length - this.pos} trailing bytes`);
  }
}

function enumValue<T extends number>(names: Record<number, string>, v: number, what: string): T {
  if (names[v] === undefined) throw new CodecError(`unknown ${what} ${v}`);
  return v as T;
}

function writeEntry(w: Writer, e: Entry): void {
  w.uvarint(e.term);
  w.uvarint(e.index);
  w.uvarint(e.type);
  w.bytes(e.data);
}

function readEntry(r: Reader): Entry {
  const term = r.uvarint();
  const index = r.uvarint();
  const type = enumValue<EntryType>(EntryType, r.uvarint(), 'entry type');
  return { term, index, type, data: r.bytes() };
}

function writeIds(w: Writer, ids: NodeId[]): void {
  w.uvarint(ids.length);
  for (const id of ids) w.u64(id);
}

function readIds(r: Reader): NodeId[] {
  const n = r.uvarint();
  const ids: NodeId[] = [];
  for (let i = 0; i < n; i++) ids.push(r.u64());
  return ids;
}

function writeConfState(w: Writer, cs: ConfState): void {
  writeIds(w, cs.voters);
  writeIds(w, cs.learners);
}

function readConfState(r: Reader): ConfState {
  const voters = readIds(r);
  return { voters, learners: readIds(r) };
}

function writeSnapshotMetadata(w: Writer, m: SnapshotMetadata): void {
  writeConfState(w, m.confState);
  w.uvarint(m.index);
  w.uvarint(m.term);
}

function readSnapshotMetadata(r: Reader): SnapshotMetadata {
  const confState = readConfState(r);
  const index = r.uvarint();
  return { confState, index, term: r.uvarint() };
}

function writeSnapshot(w: Writer, s: Snapshot): void {
  writeSnapshotMetadata(w, s.metadata);
  w.bytes(s.data);
}

function readSnapshot(r: Reader): Snapshot {
  const metadata = readSnapshotMetadata(r);
  return { metadata, data: r.bytes() };
}

// One scratch writer: encoding is synchronous and finish() copies the bytes out.
const scratch = new Writer();

function encodeWith(tag: Tag, write: (w: Writer) => void): Uint8Array {
  const w = scratch;
  w.reset();
  w.byte(tag);
  write(w);
  return w.finish();
}

function decodeWith<T>(tag: Tag, buf: Uint8Array, read: (r: Reader) => T): T {
  const r = new Reader(buf);
  r.tag(tag);
  const v = read(r);
  r.end();
  return v;
}

export function encodeMessage(m: Message): Uint8Array {
  return encodeWith(Tag.Message, (w) => {
    w.uvarint(m.type);
    w.u64(m.to);
    w.u64(m.from);
    w.uvarint(m.term);
    w.uvarint(m.logTerm);
    w.uvarint(m.index);
    w.uvarint(m.commit);
    w.byte(m.reject ? 1 : 0);
    w.uvarint(m.rejectHint);
    w.bytes(m.context);
    w.uvarint(m.entries.length);
    for (const e of m.entries) writeEntry(w, e);
    if (m.snapshot) {
      w.byte(1);
      writeSnapshot(w, m.snapshot);
    } else {
      w.byte(0);
    }
  });
}

export function decodeMessage(buf: Uint8Array): Message {
  return decodeWith(Tag.Message, buf, (r) => {
    const type = enumValue<MessageType>(MessageType, r.uvarint(), 'message type');
    const to = r.u64();
    const from = r.u64();
    const term = r.uvarint();
    const logTerm = r.uvarint();
    const index = r.uvarint();
    const commit = r.uvarint();
    const reject = r.bool();
    const rejectHint = r.uvarint();
    const context = r.bytes();
    const n = r.uvarint();
    const entries: Entry[] = [];
    for (let i = 0; i < n; i++) entries.push(readEntry(r));
    // The same keys in the same order as makeMessage's, so a decoded message has the hidden class of one
    // the core made: code that sees both (the leader steps its own proposals and forwarded ones) stays
    // monomorphic, and a follower's first forwarded proposal does not deoptimise the leader's stepLeader.
    const m: Message = { to, from, term, logTerm, index, entries, commit, reject, rejectHint, context, type };
    if (r.bool()) m.snapshot = readSnapshot(r);
    return m;
  });
}

export function encodeEntry(e: Entry): Uint8Array {
  return encodeWith(Tag.Entry, (w) => writeEntry(w, e));
}

export function decodeEntry(buf: Uint8Array): Entry {
  return decodeWith(Tag.Entry, buf, readEntry);
}

export function encodeHardState(hs: HardState): Uint8Array {
  return encodeWith(Tag.HardState, (w) => {
    w.uvarint(hs.term);
    w.u64(hs.vote);
    w.uvarint(hs.commit);
  });
}

export function decodeHardState(buf: Uint8Array): HardState {
  return decodeWith(Tag.HardState, buf, (r) => {
    const term = r.uvarint();
    const vote = r.u64();
    return { term, vote, commit: r.uvarint() };
  });
}

export function encodeConfState(cs: ConfState): Uint8Array {
  return encodeWith(Tag.ConfState, (w) => writeConfState(w, cs));
}

export function decodeConfState(buf: Uint8Array): ConfState {
  return decodeWith(Tag.ConfState, buf, readConfState);
}

export function encodeSnapshotMetadata(m: SnapshotMetadata): Uint8Array {
  return encodeWith(Tag.SnapshotMetadata, (w) => writeSnapshotMetadata(w, m));
}

export function decodeSnapshotMetadata(buf: Uint8Array): SnapshotMetadata {
  return decodeWith(Tag.SnapshotMetadata, buf, readSnapshotMetadata);
}

export function encodeSnapshot(s: Snapshot): Uint8Array {
  return encodeWith(Tag.Snapshot, (w) => writeSnapshot(w, s));
}

export function decodeSnapshot(buf: Uint8Array): Snapshot {
  return decodeWith(Tag.Snapshot, buf, readSnapshot);
}

export function encodeConfChange(cc: ConfChange): Uint8Array {
  return encodeWith(Tag.ConfChange, (w) => {
    w.uvarint(cc.type);
    w.u64(cc.nodeId);
    w.bytes(cc.context);
  });
}

export function decodeConfChange(buf: Uint8Array): ConfChange {
  return decodeWith(Tag.ConfChange, buf, (r) => {
    const type = enumValue<ConfChangeType>(ConfChangeType, r.uvarint(), 'conf change type');
    const nodeId = r.u64();
    return { type, nodeId, context: r.bytes() };
  });
}
