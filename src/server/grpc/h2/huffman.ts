// HPACK Huffman code (RFC 7541 Appendix B): a static canonical code over the 256 octets plus EOS.
// The table below is the spec's code and bit length for each symbol, indexed by symbol.

/** A COMPRESSION_ERROR (RFC 7540 4.3): the connection answers it with GOAWAY. Re-exported by hpack.ts;
 * it lives here, in the lower module, so huffman.ts need not import hpack.ts back. */
export class HpackError extends Error {
  override readonly name = 'HpackError';
}

const EOS = 256;

// prettier-ignore
const CODES = new Uint32Array([
  0x1ff8, 0x7fffd8, 0xfffffe2, 0xfffffe3, 0xfffffe4, 0xfffffe5, 0xfffffe6, 0xfffffe7,
  0xfffffe8, 0xffffea, 0x3ffffffc, 0xfffffe9, 0xfffffea, 0x3ffffffd, 0xfffffeb, 0xfffffec,
  0xfffffed, 0xfffffee, 0xfffffef, 0xffffff0, 0xffffff1, 0xffffff2, 0x3ffffffe, 0xffffff3,
  0xffffff4, 0xffffff5, 0xffffff6, 0xffffff7, 0xffffff8, 0xffffff9, 0xffffffa, 0xffffffb,
  0x14, 0x3f8, 0x3f9, 0xffa, 0x1ff9, 0x15, 0xf8, 0x7fa,
  0x3fa, 0x3fb, 0xf9, 0x7fb, 0xfa, 0x16, 0x17, 0x18,
  0x0, 0x1, 0x2, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
  0x1e, 0x1f, 0x5c, 0xfb, 0x7ffc, 0x20, 0xffb, 0x3fc,
  0x1ffa, 0x21, 0x5d, 0x5e, 0x5f, 0x60, 0x61, 0x62,
  0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a,
  0x6b, 0x6c, 0x6d, 0x6e, 0x6f, 0x70, 0x71, 0x72,
  0xfc, 0x73, 0xfd, 0x1ffb, 0x7fff0, 0x1ffc, 0x3ffc, 0x22,
  0x7ffd, 0x3, 0x23, 0x4, 0x24, 0x5, 0x25, 0x26,
  0x27, 0x6, 0x74, 0x75, 0x28, 0x29, 0x2a, 0x7,
  0x2b, 0x76, 0x2c, 0x8, 0x9, 0x2d, 0x77, 0x78,
  0x79, 0x7a, 0x7b, 0x7ffe, 0x7fc, 0x3ffd, 0x1ffd, 0xffffffc,
  0xfffe6, 0x3fffd2, 0xfffe7, 0xfffe8, 0x3fffd3, 0x3fffd4, 0x3fffd5, 0x7fffd9,
  0x3fffd6, 0x7fffda, 0x7fffdb, 0x7fffdc, 0x7fffdd, 0x7fffde, 0xffffeb, 0x7fffdf,
  0xffffec, 0xffffed, 0x3fffd7, 0x7fffe0, 0xffffee, 0x7fffe1, 0x7fffe2, 0x7fffe3,
  0x7fffe4, 0x1fffdc, 0x3fffd8, 0x7fffe5, 0x3fffd9, 0x7fffe6, 0x7fffe7, 0xffffef,
  0x3fffda, 0x1fffdd, 0xfffe9, 0x3fffdb, 0x3fffdc, 0x7fffe8, 0x7fffe9, 0x1fffde,
  0x7fffea, 0x3fffdd, 0x3fffde, 0xfffff0, 0x1fffdf, 0x3fffdf, 0x7fffeb, 0x7fffec,
  0x1fffe0, 0x1fffe1, 0x3fffe0, 0x1fffe2, 0x7fffed, 0x3fffe1, 0x7fffee, 0x7fffef,
  0xfffea, 0x3fffe2, 0x3fffe3, 0x3fffe4, 0x7ffff0, 0x3fffe5, 0x3fffe6, 0x7ffff1,
  0x3ffffe0, 0x3ffffe1, 0xfffeb, 0x7fff1, 0x3fffe7, 0x7ffff2, 0x3fffe8, 0x1ffffec,
  0x3ffffe2, 0x3ffffe3, 0x3ffffe4, 0x7ffffde, 0x7ffffdf, 0x3ffffe5, 0xfffff1, 0x1ffffed,
  0x7fff2, 0x1fffe3, 0x3ffffe6, 0x7ffffe0, 0x7ffffe1, 0x3ffffe7, 0x7ffffe2, 0xfffff2,
  0x1fffe4, 0x1fffe5, 0x3ffffe8, 0x3ffffe9, 0xffffffd, 0x7ffffe3, 0x7ffffe4, 0x7ffffe5,
  0xfffec, 0xfffff3, 0xfffed, 0x1fffe6, 0x3fffe9, 0x1fffe7, 0x1fffe8, 0x7ffff3,
  0x3fffea, 0x3fffeb, 0x1ffffee, 0x1ffffef, 0xfffff4, 0xfffff5, 0x3ffffea, 0x7ffff4,
  0x3ffffeb, 0x7ffffe6, 0x3ffffec, 0x3ffffed, 0x7ffffe7, 0x7ffffe8, 0x7ffffe9, 0x7ffffea,
  0x7ffffeb, 0xffffffe, 0x7ffffec, 0x7ffffed, 0x7ffffee, 0x7ffffef, 0x7fffff0, 0x3ffffee,
  0x3fffffff,
]);
// prettier-ignore
const LENGTHS = new Uint8Array([
  13, 23, 28, 28, 28, 28, 28, 28, 28, 24, 30, 28, 28, 30, 28, 28,
  28, 28, 28, 28, 28, 28, 30, 28, 28, 28, 28, 28, 28, 28, 28, 28,
  6, 10, 10, 12, 13, 6, 8, 11, 10, 10, 8, 11, 8, 6, 6, 6,
  5, 5, 5, 6, 6, 6, 6, 6, 6, 6, 7, 8, 15, 6, 12, 10,
  13, 6, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7,
  7, 7, 7, 7, 7, 7, 7, 7, 8, 7, 8, 13, 19, 13, 14, 6,
  15, 5, 6, 5, 6, 5, 6, 6, 6, 5, 7, 7, 6, 6, 6, 5,
  6, 7, 6, 5, 5, 6, 7, 7, 7, 7, 7, 15, 11, 14, 13, 28,
  20, 22, 20, 20, 22, 22, 22, 23, 22, 23, 23, 23, 23, 23, 24, 23,
  24, 24, 22, 23, 24, 23, 23, 23, 23, 21, 22, 23, 22, 23, 23, 24,
  22, 21, 20, 22, 22, 23, 23, 21, 23, 22, 22, 24, 21, 22, 23, 23,
  21, 21, 22, 21, 23, 22, 23, 23, 20, 22, 22, 22, 23, 22, 22, 23,
  26, 26, 20, 19, 22, 23, 22, 25, 26, 26, 26, 27, 27, 26, 24, 25,
  19, 21, 26, 27, 27, 26, 27, 24, 21, 21, 26, 26, 28, 27, 27, 27,
  20, 24, 20, 21, 22, 21, 21, 23, 22, 22, 25, 25, 24, 24, 26, 23,
  26, 27, 26, 26, 27, 27, 27, 27, 27, 28, 27, 27, 27, 27, 27, 26,
  30,
]);

// Decoding walks the code tree 4 bits at a time. States are the 256 internal nodes of the tree (the code
// is complete, so every internal node has two children). STEP[state << 4 | nibble] holds the state after
// those 4 bits, the symbol completed on the way if any (at most one: the shortest code is 5 bits), and
// whether EOS was hit. ACCEPT[state] says whether a string may end in that state: RFC 7541 5.2 allows
// only a strict prefix of EOS (all ones) of at most 7 bits as padding.
const STEP_EMIT = 1 << 16;
const STEP_FAIL = 1 << 17;
const STEP = new Uint32Array(256 * 16);
const ACCEPT = new Uint8Array(256);

function buildDecoder(): void {
  // tree[2n + bit]: > 0 an internal node, < 0 a leaf ~symbol, 0 unset (the root, 0, is no one's child).
  const tree = new Int32Array(512);
  const onesDepth = new Int8Array(256); // depth when the path from the root is all ones, else -1
  let nodes = 1;
  for (let sym = 0; sym <= EOS; sym++) {
    const code = CODES[sym]!;
    const len = LENGTHS[sym]!;
    let n = 0;
    for (let i = len - 1; i > 0; i--) {
      const bit = (code >>> i) & 1;
      let child = tree[2 * n + bit]!;
      if (child === 0) {
        child = nodes++;
        tree[2 * n + bit] = child;
        onesDepth[child] = bit === 1 && onesDepth[n]! >= 0 ? onesDepth[n]! + 1 : -1;
      }
      n = child;
    }
    tree[2 * n + (code & 1)] = ~sym;
  }
  for (let s = 0; s < 256; s++) {
    ACCEPT[s] = onesDepth[s]! >= 0 && onesDepth[s]! <= 7 ? 1 : 0;
    for (let nibble = 0; nibble < 16; nibble++) {
      let n = s;
      let entry = 0;
      for (let i = 3; i >= 0; i--) {
        const child = tree[2 * n + ((nibble >>> i) & 1)]!;
        if (child >= 0) {
          n = child;
          continue;
        }
        if (~child === EOS) {
          entry = STEP_FAIL;
          break;
        }
        entry = STEP_EMIT | (~child << 8);
        n = 0;
      }
      STEP[(s << 4) | nibble] = entry | n;
    }
  }
}
buildDecoder();

// Buffer's own latin1 slicer (what toString('latin1', a, b) ends in, without its argument checks). It is
// not in @types/node, hence the cast; fall back to toString if a Node version lacks it.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string })
  .latin1Slice;

/** buf[start, end) as a latin1 string. Up to 8 octets a JS loop beats the call into C++ (measured on
 * Node 20: ~35 against ~60 ns for 6 octets); past that the slicer wins. */
export function latin1(buf: Buffer, start: number, end: number): string {
  if (end - start <= 8) {
    let s = '';
    for (let i = start; i < end; i++) s += String.fromCharCode(buf[i]!);
    return s;
  }
  return latin1Slice !== undefined ? latin1Slice.call(buf, start, end) : buf.toString('latin1', start, end);
}

// Decoded octets go to a reused scratch buffer, then become one latin1 string.
let scratch = Buffer.allocUnsafe(256);

/** Decodes src[start, end) to a latin1 string (one char per octet). Throws HpackError on EOS in the data
 * or on padding that is not a prefix of EOS of at most 7 bits (RFC 7541 5.2). */
export function huffmanDecode(src: Uint8Array, start: number, end: number): string {
  const max = (((end - start) * 8) / 5) | 0; // shortest code is 5 bits
  if (scratch.length < max) scratch = Buffer.allocUnsafe(Math.max(max, scratch.length * 2));
  const out = scratch;
  let o = 0;
  let state = 0;
  for (let p = start; p < end; p++) {
    const b = src[p]!;
    let e = STEP[(state << 4) | (b >>> 4)]!;
    if (e & STEP_FAIL) throw new HpackError('Huffman: EOS in string literal');
    if (e & STEP_EMIT) out[o++] = e >>> 8; // a Buffer store keeps the low 8 bits: the symbol
    e = STEP[((e & 0xff) << 4) | (b & 15)]!;
    if (e & STEP_FAIL) throw new HpackError('Huffman: EOS in string literal');
    if (e & STEP_EMIT) out[o++] = e >>> 8;
    state = e & 0xff;
  }
  if (ACCEPT[state] === 0) throw new HpackError('Huffman: bad padding');
  return latin1(out, 0, o);
}

/** Octets s takes Huffman-coded, padding included. s must be latin1 (char codes <= 0xff). */
export function huffmanEncodedLength(s: string): number {
  let bits = 0;
  for (let i = 0; i < s.length; i++) bits += LENGTHS[s.charCodeAt(i) & 0xff]!;
  return (bits + 7) >>> 3;
}

/** Writes s Huffman-coded at out[offset] (room for huffmanEncodedLength(s) octets) and returns the offset
 * after it. The last octet is padded with the high bits of EOS (ones). */
export function huffmanEncode(s: string, out: Uint8Array, offset: number): number {
  let o = offset;
  let acc = 0; // pending bits, the low `n` of them; n stays < 8 between symbols
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const sym = s.charCodeAt(i) & 0xff;
    let code = CODES[sym]!;
    let len = LENGTHS[sym]!;
    if (len > 24) {
      // acc would need up to 7 + 30 bits; push the top of the code first to stay within 32.
      const high = len - 16;
      acc = (acc << high) | (code >>> 16);
      n += high;
      while (n >= 8) out[o++] = acc >>> (n -= 8);
      code &= 0xffff;
      len = 16;
    }
    acc = (acc << len) | code;
    n += len;
    while (n >= 8) out[o++] = acc >>> (n -= 8);
  }
  if (n > 0) out[o++] = (acc << (8 - n)) | (0xff >>> n);
  return o;
}
