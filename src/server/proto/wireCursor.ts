// Reading protobuf wire format by hand, for the few messages whose protobufjs decode plus toObject
// showed in profiles. Every reader here declines (returns null) rather than guess.

export const VARINT = 0;
export const LENGTH_DELIMITED = 2;

/** A cursor over protobuf wire bytes; every read returns false instead of running past the end. */
export class WireCursor {
  pos: number;
  /** The last varint read, as its low and high 32 bits, and how many bytes it took. */
  lo = 0;
  hi = 0;
  length = 0;

  constructor(
    readonly buf: Buffer,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }

  varint(): boolean {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) return false;
      const b = this.buf[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        // A tenth byte may only carry the 64th bit.
        if (i === 9 && b > 1) return false;
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        this.length = i + 1;
        return true;
      }
    }
    return false;
  }

  /**
   * A varint protobufjs reads as 32 bits (tags, lengths, bools, enums). protobufjs takes five bytes and
   * then skips five more without looking, so only encodings of up to five bytes, or of exactly ten,
   * mean the same to it as to a careful reader; anything between is declined.
   */
  varint32(): boolean {
    return this.varint() && this.readsAs32();
  }

  /** Whether protobufjs reads the last varint as a 32-bit one the same way (see varint32). */
  readsAs32(): boolean {
    return this.length <= 5 || this.length === 10;
  }

  /** The last tag read by field(). */
  fieldNumber = 0;
  wireType = 0;
  private seenFields = 0;

  /**
   * Reads a field's tag; false unless its number is 1..maxField (at most 31) and was not seen
   * before in this message (a repeated scalar or message field is left to protobufjs, which merges).
   */
  field(maxField: number): boolean {
    if (!this.varint32() || this.hi !== 0) return false;
    const n = this.lo >>> 3;
    if (n < 1 || n > maxField || this.seenFields & (1 << n)) return false;
    this.seenFields |= 1 << n;
    this.fieldNumber = n;
    this.wireType = this.lo & 7;
    return true;
  }

  /** The current field's bytes as a view of the buffer, or null unless it is length-delimited and whole. */
  bytes(): Buffer | null {
    if (this.wireType !== LENGTH_DELIMITED) return null;
    const bounds = this.delimited();
    return bounds === null ? null : this.buf.subarray(bounds[0], bounds[1]);
  }

  /** Reads the current field's varint; false unless it is one. */
  scalar(): boolean {
    return this.wireType === VARINT && this.varint();
  }

  /** The bounds of a length-delimited field's bytes, or null when they run past the end. */
  delimited(): [number, number] | null {
    if (!this.varint32() || this.hi !== 0 || this.lo > this.end - this.pos) return null;
    const start = this.pos;
    this.pos += this.lo;
    return [start, this.pos];
  }
}

export function unsigned64(lo: number, hi: number): string {
  return hi === 0 ? String(lo) : ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}

export function signed64(lo: number, hi: number): string {
  return hi === 0 ? String(lo) : BigInt.asIntN(64, (BigInt(hi) << 32n) | BigInt(lo)).toString();
}
