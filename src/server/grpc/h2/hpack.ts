// HPACK (RFC 7541) for capstan's HTTP/2 server: a decoder with a dynamic table for request header blocks,
// and a stateless encoder for responses (we never index what we send, so the peer's decoder table stays
// empty and we need no encoder state).
import { HpackError, huffmanDecode, latin1 } from './huffman.js';

export { HpackError };

// RFC 7541 Appendix A, index 1..61 (slot 0 unused so an HPACK index is the array index).
// prettier-ignore
const STATIC: ReadonlyArray<readonly [string, string]> = [
  ['', ''],
  [':authority', ''], [':method', 'GET'], [':method', 'POST'], [':path', '/'], [':path', '/index.html'],
  [':scheme', 'http'], [':scheme', 'https'], [':status', '200'], [':status', '204'], [':status', '206'],
  [':status', '304'], [':status', '400'], [':status', '404'], [':status', '500'], ['accept-charset', ''],
  ['accept-encoding', 'gzip, deflate'], ['accept-language', ''], ['accept-ranges', ''], ['accept', ''],
  ['access-control-allow-origin', ''], ['age', ''], ['allow', ''], ['authorization', ''], ['cache-control', ''],
  ['content-disposition', ''], ['content-encoding', ''], ['content-language', ''], ['content-length', ''],
  ['content-location', ''], ['content-range', ''], ['content-type', ''], ['cookie', ''], ['date', ''],
  ['etag', ''], ['expect', ''], ['expires', ''], ['from', ''], ['host', ''], ['if-match', ''],
  ['if-modified-since', ''], ['if-none-match', ''], ['if-range', ''], ['if-unmodified-since', ''],
  ['last-modified', ''], ['link', ''], ['location', ''], ['max-forwards', ''], ['proxy-authenticate', ''],
  ['proxy-authorization', ''], ['range', ''], ['referer', ''], ['refresh', ''], ['retry-after', ''],
  ['server', ''], ['set-cookie', ''], ['strict-transport-security', ''], ['transfer-encoding', ''],
  ['user-agent', ''], ['vary', ''], ['via', ''], ['www-authenticate', ''],
];
const STATIC_COUNT = 61;
const STATIC_NAMES = STATIC.map((e) => e[0]);
const STATIC_VALUES = STATIC.map((e) => e[1]);
const ENTRY_OVERHEAD = 32; // RFC 7541 4.1
const MAX_INT = 0x7fffffff;
const EMPTY = Buffer.alloc(0);

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

export class HpackDecoder {
  // Dynamic table as a ring: slot `head` holds the newest entry (HPACK index 62), older ones precede it.
  // Every entry costs at least 32 octets, so maxTableSize / 32 slots always suffice.
  private readonly names: string[];
  private readonly values: string[];
  private readonly capacity: number;
  private head = 0;
  private count = 0;
  private size = 0;
  private maxSize: number; // as last set by a size update; starts at, and never exceeds, `limit`
  private readonly limit: number;
  // Cursor of the block being decoded; fields rather than return tuples so reads allocate nothing.
  private buf: Buffer = EMPTY;
  private pos = 0;
  private end = 0;

  /** maxTableSize: our SETTINGS_HEADER_TABLE_SIZE, the most the peer may size the table to. */
  constructor(maxTableSize = 4096) {
    this.limit = maxTableSize;
    this.maxSize = maxTableSize;
    this.capacity = Math.max(1, Math.floor(maxTableSize / ENTRY_OVERHEAD));
    this.names = new Array<string>(this.capacity).fill('');
    this.values = new Array<string>(this.capacity).fill('');
  }

  /** Decodes one complete header block (HEADERS plus its CONTINUATIONs, joined), calling onHeader for
   * each field in order. Throws HpackError on any malformed input; the table is then unusable, as the
   * connection must end. */
  decode(block: Uint8Array, onHeader: (name: string, value: string) => void): void {
    const buf = asBuffer(block);
    this.buf = buf;
    this.pos = 0;
    this.end = buf.length;
    let fieldSeen = false;
    while (this.pos < this.end) {
      const b = buf[this.pos]!;
      if (b & 0x80) {
        // 6.1 indexed header field
        const index = this.readInt(7);
        if (index <= STATIC_COUNT) {
          if (index === 0) throw new HpackError('HPACK: index 0');
          onHeader(STATIC_NAMES[index]!, STATIC_VALUES[index]!);
        } else {
          const slot = this.slot(index);
          onHeader(this.names[slot]!, this.values[slot]!);
        }
        fieldSeen = true;
      } else if ((b & 0xe0) === 0x20) {
        // 6.3 dynamic table size update: only before the block's first field (4.2)
        if (fieldSeen) throw new HpackError('HPACK: table size update after a header field');
        const size = this.readInt(5);
        if (size > this.limit) throw new HpackError(`HPACK: table size update ${size} above ${this.limit}`);
        this.maxSize = size;
        this.evictTo(size);
      } else {
        // 6.2.1 with incremental indexing (01, 6-bit index); 6.2.2 without (0000) and 6.2.3 never
        // indexed (0001), 4-bit index. Index 0: a literal name follows.
        const indexing = (b & 0x40) !== 0;
        const index = this.readInt(indexing ? 6 : 4);
        let name: string;
        if (index === 0) name = this.readString();
        else if (index <= STATIC_COUNT) name = STATIC_NAMES[index]!;
        else name = this.names[this.slot(index)]!;
        const value = this.readString();
        if (indexing) this.add(name, value);
        onHeader(name, value);
        fieldSeen = true;
      }
    }
    this.buf = EMPTY; // keep no hold on the caller's bytes between blocks
  }

  /** Ring slot of dynamic-table HPACK index (> 61); HpackError beyond the table. */
  private slot(index: number): number {
    const age = index - STATIC_COUNT - 1; // 0: newest
    if (age >= this.count) throw new HpackError(`HPACK: index ${index} beyond the table`);
    const s = this.head - age;
    return s < 0 ? s + this.capacity : s;
  }

  private add(name: string, value: string): void {
    const entrySize = name.length + value.length + ENTRY_OVERHEAD;
    if (entrySize > this.maxSize) {
      // 4.4: an entry larger than the table empties it and is not added
      this.evictTo(0);
      return;
    }
    this.evictTo(this.maxSize - entrySize);
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    this.names[this.head] = name;
    this.values[this.head] = value;
    this.count++;
    this.size += entrySize;
  }

  /** Evicts oldest entries until the table holds at most `target` octets. */
  private evictTo(target: number): void {
    while (this.size > target) {
      let oldest = this.head - this.count + 1;
      if (oldest < 0) oldest += this.capacity;
      this.size -= this.names[oldest]!.length + this.values[oldest]!.length + ENTRY_OVERHEAD;
      this.names[oldest] = ''; // let the strings be collected
      this.values[oldest] = '';
      this.count--;
    }
  }

  /** 5.1 integer with an n-bit prefix, starting at the current octet. Refuses values above 2^31 - 1 and
   * more than 5 continuation octets (even redundant zero ones): no integer we accept needs more. */
  private readInt(prefixBits: number): number {
    const buf = this.buf;
    const max = (1 << prefixBits) - 1;
    let value = buf[this.pos++]! & max;
    if (value < max) return value;
    let scale = 1;
    for (;;) {
      if (this.pos >= this.end) throw new HpackError('HPACK: truncated integer');
      const b = buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (value > MAX_INT) throw new HpackError('HPACK: integer overflow');
      if ((b & 0x80) === 0) return value;
      scale *= 128;
      if (scale > MAX_INT) throw new HpackError('HPACK: integer overflow'); // 5 octets at most
    }
  }

  /** 5.2 string literal: H bit, 7-bit-prefix length, octets (Huffman-coded if H). */
  private readString(): string {
    if (this.pos >= this.end) throw new HpackError('HPACK: truncated header field');
    const huffman = (this.buf[this.pos]! & 0x80) !== 0;
    const length = this.readInt(7);
    const start = this.pos;
    const stop = start + length;
    if (stop > this.end) throw new HpackError('HPACK: truncated string literal');
    this.pos = stop;
    if (length === 0) return '';
    return huffman ? huffmanDecode(this.buf, start, stop) : latin1(this.buf, start, stop);
  }
}

// Encoder lookup: name -> its first static index, and the static index of each (name, value) pair the
// table has. Two map lookups per field, and no key string to build.
interface StaticName {
  index: number;
  pairs: Map<string, number> | undefined;
}
const STATIC_BY_NAME = new Map<string, StaticName>();
for (let i = 1; i <= STATIC_COUNT; i++) {
  const name = STATIC_NAMES[i]!;
  let entry = STATIC_BY_NAME.get(name);
  if (entry === undefined) STATIC_BY_NAME.set(name, (entry = { index: i, pairs: undefined }));
  (entry.pairs ??= new Map()).set(STATIC_VALUES[i]!, i); // empty values too: ("age", "") is index 21
}

function assertLowercase(name: string): void {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) throw new Error(`HPACK encode: header name ${JSON.stringify(name)} is not lowercase`);
  }
}

/** Octets an integer takes with an n-bit prefix (RFC 7541 5.1). */
function intLength(prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) return 1;
  let n = 2;
  for (value -= max; value >= 128; value = Math.floor(value / 128)) n++;
  return n;
}

/** Writes integer `value` with an n-bit prefix at out[pos], the prefix octet's high bits set to `flags`;
 * returns the offset after it (RFC 7541 5.1). */
function writeInt(out: Buffer, pos: number, flags: number, prefixBits: number, value: number): number {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out[pos++] = flags | value;
    return pos;
  }
  out[pos++] = flags | max;
  for (value -= max; value >= 128; value = Math.floor(value / 128)) out[pos++] = (value & 0x7f) | 0x80;
  out[pos++] = value;
  return pos;
}

/** Raw (H = 0) string literal. Values go raw, not Huffman-coded: our response headers are few and short,
 * so the octets Huffman would save are not worth coding each value. Short strings are copied in JS, which
 * beats Buffer.write's call into C++ (~30 against ~120 ns for 12 chars on Node 20). */
function writeString(out: Buffer, pos: number, s: string): number {
  const length = s.length;
  pos = writeInt(out, pos, 0, 7, length);
  if (length > 64) return pos + out.write(s, pos, 'latin1');
  for (let i = 0; i < length; i++) out[pos + i] = s.charCodeAt(i); // a Buffer store keeps the low 8 bits
  return pos + length;
}

const stringLength = (s: string): number => intLength(7, s.length) + s.length;

// Per-field plan from the sizing pass, reused across calls: a static pair index (1..61), NAME_INDEXED plus
// a static name index, or 0 for a literal name.
const NAME_INDEXED = 64;
let plan = new Int32Array(32);

/**
 * Encodes a header list statelessly: an exact static-table pair as an indexed field (":status: 200" is
 * 0x88), else a literal without indexing, naming a static entry's name by index when there is one. Nothing
 * enters the peer's dynamic table. Names must be lowercase; names and values latin1 (one char per octet).
 */
export function encodeHeaderBlock(headers: ReadonlyArray<readonly [string, string]>): Buffer {
  // Sizing pass, so the block is allocated at its exact length.
  if (plan.length < headers.length) plan = new Int32Array(headers.length * 2);
  let size = 0;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    const known = STATIC_BY_NAME.get(name);
    const pair = known?.pairs?.get(value);
    if (pair !== undefined) {
      plan[i] = pair;
      size += 1; // every static index < 127 fits the 7-bit prefix
    } else if (known !== undefined) {
      plan[i] = NAME_INDEXED + known.index;
      size += intLength(4, known.index) + stringLength(value);
    } else {
      assertLowercase(name);
      plan[i] = 0;
      size += 1 + stringLength(name) + stringLength(value);
    }
  }
  const out = Buffer.allocUnsafe(size);
  let pos = 0;
  for (let i = 0; i < headers.length; i++) {
    const [name, value] = headers[i]!;
    const p = plan[i]!;
    if (p > 0 && p < NAME_INDEXED) {
      out[pos++] = 0x80 | p;
      continue;
    }
    if (p > 0) {
      pos = writeInt(out, pos, 0x00, 4, p - NAME_INDEXED);
    } else {
      out[pos++] = 0x00;
      pos = writeString(out, pos, name);
    }
    pos = writeString(out, pos, value);
  }
  return out;
}
