// One HTTP/2 stream of a server connection: the request side delivers DATA in order (held while
// paused, which holds the client back through flow control), the response side queues DATA until the
// peer's windows allow it and sends the trailers after the last byte.
import { ErrorCode } from './frames.js';

/** What a stream needs of its connection. */
export interface StreamHost {
  /** The peer's connection-level send window, shared by every stream. */
  connectionWindow: number;
  readonly peerMaxFrameSize: number;
  sendData(stream: H2Stream, data: Uint8Array, from: number, to: number): void;
  sendHeaders(stream: H2Stream, block: Uint8Array, endStream: boolean): void;
  sendReset(stream: H2Stream, code: number): void;
  /** The stream waits for the connection window to open. */
  waitForWindow(stream: H2Stream): void;
  /** The stream wants 'drain' once the connection's output has gone. */
  waitForDrain(stream: H2Stream): void;
  /** Bytes written and not yet taken by the kernel. */
  outputBacklog(): number;
  /** Request bytes the application has taken (their window may be given back). */
  consumed(stream: H2Stream, bytes: number): void;
  closed(stream: H2Stream): void;
}

/** Response bytes a stream may hold before write() asks the caller to wait for 'drain'. */
export const STREAM_HIGH_WATER_BYTES = 64 * 1024;

type Headers = Record<string, string | string[] | undefined>;

export class H2Stream {
  onData: ((chunk: Buffer) => void) | null = null;
  onEnd: (() => void) | null = null;
  onClose: (() => void) | null = null;
  onDrain: (() => void) | null = null;
  /** The peer's window for this stream. */
  sendWindow: number;
  /** What the peer may still send on this stream before we give window back. */
  receiveWindow: number;
  /** Bytes taken by the application that the peer has not been given back yet. */
  unacknowledged = 0;
  remoteEnded = false;
  /** Our END_STREAM has been queued (nothing more may be written). */
  localEnded = false;
  closed = false;
  private queue: Buffer[] = [];
  private queuedBytes = 0;
  private trailers: Uint8Array | null = null;
  private paused = false;
  private held: Buffer[] = [];
  private heldEnd = false;
  private wantsDrain = false;

  constructor(
    readonly id: number,
    readonly headers: Headers,
    private readonly host: StreamHost,
    sendWindow: number,
    receiveWindow: number,
  ) {
    this.sendWindow = sendWindow;
    this.receiveWindow = receiveWindow;
  }

  /** Sends the response headers (a pre-encoded block); with endStream, a trailers-only response. */
  respond(block: Uint8Array, endStream: boolean): void {
    if (this.localEnded || this.closed) return;
    this.host.sendHeaders(this, block, endStream);
    if (endStream) {
      this.localEnded = true;
      this.finishLocal();
    }
  }

  /** Queues response bytes; false when the caller should wait for onDrain. */
  write(data: Buffer): boolean {
    if (this.localEnded || this.closed) return false;
    if (data.length > 0) {
      this.queue.push(data);
      this.queuedBytes += data.length;
      this.pump();
    }
    if (this.queuedBytes < STREAM_HIGH_WATER_BYTES && this.host.outputBacklog() < STREAM_HIGH_WATER_BYTES) return true;
    this.wantsDrain = true;
    if (this.queuedBytes < STREAM_HIGH_WATER_BYTES) this.host.waitForDrain(this);
    return false;
  }

  /** Ends the response with trailers (a pre-encoded block) after everything written. */
  end(trailers: Uint8Array): void {
    if (this.localEnded || this.closed) return;
    this.localEnded = true;
    this.trailers = trailers;
    this.pump();
  }

  /** Abandons the stream with RST_STREAM. */
  reset(code: number = ErrorCode.CANCEL): void {
    if (this.closed) return;
    this.host.sendReset(this, code);
    this.close();
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const chunk of held) {
      if (this.closed || this.paused) {
        this.held.push(chunk);
        continue;
      }
      this.deliver(chunk);
    }
    if (this.heldEnd && this.held.length === 0 && !this.paused) {
      this.heldEnd = false;
      this.deliverEnd();
    }
  }

  /** A DATA payload arrived (flow control already charged). */
  receiveData(chunk: Buffer): void {
    if (this.closed) return;
    if (this.paused || this.held.length > 0) this.held.push(chunk);
    else this.deliver(chunk);
  }

  /** The peer's END_STREAM arrived. */
  receiveEnd(): void {
    if (this.closed || this.remoteEnded) return;
    this.remoteEnded = true;
    if (this.paused || this.held.length > 0) this.heldEnd = true;
    else this.deliverEnd();
  }

  /** The peer reset the stream, or the connection is gone. */
  abort(): void {
    this.close();
  }

  /** Sends what the windows allow; called again when a window opens. */
  pump(): void {
    while (this.queue.length > 0 && !this.closed) {
      const head = this.queue[0]!;
      const n = Math.min(head.length, this.sendWindow, this.host.connectionWindow, this.host.peerMaxFrameSize);
      if (n <= 0) {
        if (this.host.connectionWindow <= 0) this.host.waitForWindow(this);
        return;
      }
      this.host.sendData(this, head, 0, n);
      this.sendWindow -= n;
      this.host.connectionWindow -= n;
      this.queuedBytes -= n;
      if (n === head.length) this.queue.shift();
      else this.queue[0] = head.subarray(n);
    }
    if (this.closed) return;
    if (this.trailers !== null) {
      const trailers = this.trailers;
      this.trailers = null;
      this.host.sendHeaders(this, trailers, true);
      this.finishLocal();
      return;
    }
    if (this.wantsDrain && this.queuedBytes < STREAM_HIGH_WATER_BYTES) this.host.waitForDrain(this);
  }

  /** The connection's output has drained: tell a waiting writer. */
  drained(): void {
    if (!this.wantsDrain || this.closed || this.queuedBytes >= STREAM_HIGH_WATER_BYTES) return;
    this.wantsDrain = false;
    this.onDrain?.();
  }

  private deliver(chunk: Buffer): void {
    this.onData?.(chunk);
    this.host.consumed(this, chunk.length);
  }

  private deliverEnd(): void {
    this.onEnd?.();
  }

  /** Our END_STREAM went out: the stream is over, at once if the peer had ended its side. */
  private finishLocal(): void {
    // A response that ends before the request did stops the client with RST_STREAM(NO_ERROR), as
    // RFC 9113 8.1 allows and grpc-go does; a unary request's end has normally come first.
    if (!this.remoteEnded) this.host.sendReset(this, ErrorCode.NO_ERROR);
    this.close();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.queue = [];
    this.queuedBytes = 0;
    this.held = [];
    this.host.closed(this);
    this.onClose?.();
  }
}
