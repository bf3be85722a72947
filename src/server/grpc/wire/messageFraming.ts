// gRPC's length-prefixed messages (a 1-byte compressed flag, a 4-byte big-endian length, the bytes):
// the decoder reassembles them from however HTTP/2 split the DATA frames, refusing what capstan does
// not accept (compressed messages, messages above the receive limit) before buffering their bodies.
import { status } from '@grpc/grpc-js';
import { WireStatusError } from './grpcStatus.js';

const PREFIX_BYTES = 5;

export function frameMessage(message: Buffer): Buffer {
  const framed = Buffer.allocUnsafe(PREFIX_BYTES + message.length);
  framed[0] = 0;
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, PREFIX_BYTES);
  return framed;
}

export class MessageDecoder {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes the held tail needs before another message can complete (its prefix, then its body). */
  private needed = PREFIX_BYTES;

  constructor(private readonly maxMessageBytes: number) {}

  /** Whether bytes of an unfinished message are held (a stream ending now was cut mid-message). */
  get midMessage(): boolean {
    return this.pendingBytes > 0;
  }

  /** Adds a DATA chunk; returns the messages it completes, in order. Throws WireStatusError. */
  push(chunk: Buffer): Buffer[] {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    // A large message arrives in many chunks: gather them without copying until it is whole.
    if (this.pendingBytes < this.needed) return [];
    const data = this.pending.length === 1 ? chunk : Buffer.concat(this.pending, this.pendingBytes);
    const out: Buffer[] = [];
    let offset = 0;
    while (data.length - offset >= PREFIX_BYTES) {
      if (data[offset] !== 0) {
        throw new WireStatusError(status.UNIMPLEMENTED, 'capstan: compressed gRPC messages are not supported');
      }
      const length = data.readUInt32BE(offset + 1);
      if (length > this.maxMessageBytes) {
        throw new WireStatusError(
          status.RESOURCE_EXHAUSTED,
          `grpc: received message larger than max (${length} vs. ${this.maxMessageBytes})`,
        );
      }
      if (data.length - offset - PREFIX_BYTES < length) break;
      out.push(data.subarray(offset + PREFIX_BYTES, offset + PREFIX_BYTES + length));
      offset += PREFIX_BYTES + length;
    }
    const left = data.length - offset;
    this.pending = left === 0 ? [] : [data.subarray(offset)];
    this.pendingBytes = left;
    this.needed = left >= PREFIX_BYTES ? PREFIX_BYTES + data.readUInt32BE(offset + 1) : PREFIX_BYTES;
    return out;
  }
}
