// Outgoing frames gathered between flushes: small frames are packed into one buffer (one write for a
// whole turn's answers on a connection), large payloads are passed along without a copy.
import { FRAME_HEADER_BYTES, writeFrameHeader } from './frames.js';

const CHUNK_BYTES = 64 * 1024;
/** Payloads at least this long are handed to the socket as they are rather than copied. */
const COPY_BELOW_BYTES = 8 * 1024;

export class FrameWriter {
  private chunk: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Unflushed bytes of `chunk` are [start, used); bytes below `start` belong to earlier flushes. */
  private start = 0;
  private used = 0;
  private parts: Buffer[] = [];
  /** Bytes gathered and not yet taken. */
  pendingBytes = 0;

  /** One frame; the payload is `payload[from, to)`. */
  frame(type: number, flags: number, streamId: number, payload: Uint8Array | null = null, from = 0, to = payload === null ? 0 : payload.length): void {
    const length = to - from;
    const copy = payload !== null && length < COPY_BELOW_BYTES;
    this.reserve(FRAME_HEADER_BYTES + (copy ? length : 0));
    writeFrameHeader(this.chunk, this.used, length, type, flags, streamId);
    this.used += FRAME_HEADER_BYTES;
    if (copy) {
      this.chunk.set(payload.subarray(from, to), this.used);
      this.used += length;
    } else if (payload !== null && length > 0) {
      this.seal();
      this.parts.push(Buffer.from(payload.buffer, payload.byteOffset + from, length));
    }
    this.pendingBytes += FRAME_HEADER_BYTES + length;
  }

  /** A frame whose payload the caller writes into the returned buffer at the returned offset. */
  frameWithRoom(type: number, flags: number, streamId: number, length: number): { buffer: Buffer; at: number } {
    this.reserve(FRAME_HEADER_BYTES + length);
    writeFrameHeader(this.chunk, this.used, length, type, flags, streamId);
    const at = this.used + FRAME_HEADER_BYTES;
    this.used = at + length;
    this.pendingBytes += FRAME_HEADER_BYTES + length;
    return { buffer: this.chunk, at };
  }

  /** Everything gathered since the last take, in order. */
  take(): Buffer[] {
    this.seal();
    const parts = this.parts;
    this.parts = [];
    this.pendingBytes = 0;
    return parts;
  }

  private reserve(n: number): void {
    if (this.chunk.length - this.used >= n) return;
    this.seal();
    this.chunk = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, n));
    this.start = 0;
    this.used = 0;
  }

  private seal(): void {
    if (this.used === this.start) return;
    this.parts.push(this.chunk.subarray(this.start, this.used));
    this.start = this.used;
  }
}
