// The server side of one HTTP/2 connection (RFC 9113), as much of it as gRPC uses: the preface and
// SETTINGS, HEADERS/CONTINUATION through HPACK, DATA under both levels of flow control, PING,
// RST_STREAM and GOAWAY. Answers are gathered per turn of the event loop and leave in one write, and a
// unary answer's headers, message and trailers leave together (node:http2 held the trailers back
// until the client's next frame arrived).
import type { Socket } from 'node:net';
import { writeParts } from '../../peer/socketWrite.js';
import { FrameWriter } from './frameWriter.js';
import {
  ConnectionError,
  DEFAULT_MAX_FRAME_SIZE,
  DEFAULT_WINDOW,
  ErrorCode,
  Flag,
  FRAME_HEADER_BYTES,
  FrameType,
  MAX_FRAME_SIZE_LIMIT,
  MAX_WINDOW,
  PREFACE,
  readUint31,
  readUint32,
  Setting,
  StreamError,
} from './frames.js';
import { H2Stream, type StreamHost } from './h2Stream.js';
import { HpackDecoder, HpackError } from './hpack.js';
import { requestHeaders } from './requestHeaders.js';

export interface H2ConnectionOptions {
  maxConcurrentStreams: number;
  /** The window each request stream gets (SETTINGS_INITIAL_WINDOW_SIZE). */
  streamWindow: number;
  /** The connection-level receive window. */
  connectionWindow: number;
  /** Largest header block accepted, HEADERS and CONTINUATIONs together. */
  maxHeaderBlockBytes: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  onStream(stream: H2Stream): void;
}

interface PartialHeaders {
  streamId: number;
  endStream: boolean;
  parts: Buffer[];
  bytes: number;
}

const KEEPALIVE_PING_PAYLOAD = Buffer.alloc(8);
const SOCKET_END_GRACE_MS = 1000;

/** Connections with a flush scheduled, in the order they scheduled it. */
const awaitingFlush = new Set<H2Connection>();

export class H2Connection implements StreamHost {
  connectionWindow = DEFAULT_WINDOW;
  peerMaxFrameSize = DEFAULT_MAX_FRAME_SIZE;
  private peerInitialWindow = DEFAULT_WINDOW;
  private readonly writer = new FrameWriter();
  private readonly streams = new Map<number, H2Stream>();
  private readonly decoder = new HpackDecoder(4096);
  private readonly waitingForWindow = new Set<H2Stream>();
  private readonly waitingForDrain = new Set<H2Stream>();
  private state: 'preface' | 'settings' | 'open' | 'closed' = 'preface';
  private pending: Buffer | null = null;
  private partial: PartialHeaders | null = null;
  private lastStreamId = 0;
  private receiveWindow: number;
  private receivedUnacknowledged = 0;
  private flushScheduled = false;
  private goingAway = false;
  private onIdle: (() => void) | null = null;
  private pinger: NodeJS.Timeout | null = null;
  private pingTimeout: NodeJS.Timeout | null = null;
  private readonly closeCallbacks: (() => void)[] = [];

  constructor(
    readonly socket: Socket,
    private readonly options: H2ConnectionOptions,
  ) {
    this.receiveWindow = options.connectionWindow;
    socket.on('data', (chunk: Buffer) => this.onBytes(chunk));
    socket.on('drain', () => this.notifyDrained());
    socket.on('error', () => undefined);
    socket.once('close', () => this.onSocketClose());
    this.sendPreface();
    this.startKeepalive();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  /** Calls back once the connection is closed. */
  onClosed(callback: () => void): void {
    if (this.state === 'closed') callback();
    else this.closeCallbacks.push(callback);
  }

  /** Graceful close: GOAWAY, no new streams, then the socket ends when the last stream does. */
  close(): void {
    if (this.state === 'closed' || this.goingAway) return;
    this.goingAway = true;
    this.sendGoaway(ErrorCode.NO_ERROR);
    this.endWhenIdle();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private isClosed(): boolean {
    return this.state === 'closed';
  }

  // ---- StreamHost ----

  sendData(stream: H2Stream, data: Uint8Array, from: number, to: number): void {
    this.writer.frame(FrameType.DATA, 0, stream.id, data, from, to);
    this.scheduleFlush();
  }

  sendHeaders(stream: H2Stream, block: Uint8Array, endStream: boolean): void {
    const max = this.peerMaxFrameSize;
    const endFlag = endStream ? Flag.END_STREAM : 0;
    if (block.length <= max) {
      this.writer.frame(FrameType.HEADERS, Flag.END_HEADERS | endFlag, stream.id, block);
    } else {
      this.writer.frame(FrameType.HEADERS, endFlag, stream.id, block, 0, max);
      for (let at = max; at < block.length; at += max) {
        const to = Math.min(block.length, at + max);
        this.writer.frame(FrameType.CONTINUATION, to === block.length ? Flag.END_HEADERS : 0, stream.id, block, at, to);
      }
    }
    this.scheduleFlush();
  }

  sendReset(stream: H2Stream, code: number): void {
    this.writeReset(stream.id, code);
  }

  waitForWindow(stream: H2Stream): void {
    this.waitingForWindow.add(stream);
  }

  waitForDrain(stream: H2Stream): void {
    this.waitingForDrain.add(stream);
    this.scheduleFlush();
  }

  outputBacklog(): number {
    return this.writer.pendingBytes + this.socket.writableLength;
  }

  consumed(stream: H2Stream, bytes: number): void {
    if (stream.remoteEnded || stream.closed) return;
    stream.unacknowledged += bytes;
    if (stream.unacknowledged >= this.options.streamWindow / 2) {
      this.writeWindowUpdate(stream.id, stream.unacknowledged);
      stream.receiveWindow += stream.unacknowledged;
      stream.unacknowledged = 0;
    }
  }

  closed(stream: H2Stream): void {
    this.streams.delete(stream.id);
    this.waitingForWindow.delete(stream);
    this.waitingForDrain.delete(stream);
    // The connection's last open stream is done: nothing else could join its answer's write, so it
    // goes now rather than after whatever the rest of this turn runs first (the apply that answered
    // it goes on with its WAL write and bookkeeping: ~100 µs of a one-client write's latency). Output
    // other connections had waiting goes first, as it would have: the apply's watch events were
    // written before its answer, and a watcher should not learn of a write after its writer does.
    if (this.streams.size === 0 && this.flushScheduled) {
      for (const connection of awaitingFlush) {
        connection.flush();
        if (connection === this) break;
      }
    }
    if (this.streams.size === 0 && this.onIdle !== null) this.onIdle();
  }

  // ---- reading ----

  private onBytes(chunk: Buffer): void {
    if (this.state === 'closed') return;
    const data = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    this.pending = null;
    let at = 0;
    try {
      if (this.state === 'preface') {
        if (data.length < PREFACE.length) {
          if (!PREFACE.subarray(0, data.length).equals(data)) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
          this.pending = data;
          return;
        }
        if (!PREFACE.equals(data.subarray(0, PREFACE.length))) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'bad connection preface');
        at = PREFACE.length;
        this.state = 'settings';
      }
      while (data.length - at >= FRAME_HEADER_BYTES && !this.isClosed()) {
        const length = (data[at]! << 16) | (data[at + 1]! << 8) | data[at + 2]!;
        if (length > DEFAULT_MAX_FRAME_SIZE) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `frame of ${length} bytes`);
        const end = at + FRAME_HEADER_BYTES + length;
        if (end > data.length) break;
        const type = data[at + 3]!;
        const flags = data[at + 4]!;
        const streamId = readUint31(data, at + 5);
        try {
          this.onFrame(type, flags, streamId, data, at + FRAME_HEADER_BYTES, end);
        } catch (error) {
          if (!(error instanceof StreamError)) throw error;
          this.writeReset(error.streamId, error.code);
          this.streams.get(error.streamId)?.abort();
        }
        at = end;
      }
    } catch (error) {
      const code = error instanceof ConnectionError ? error.code : error instanceof HpackError ? ErrorCode.COMPRESSION_ERROR : ErrorCode.INTERNAL_ERROR;
      this.fail(code);
      if (!(error instanceof ConnectionError || error instanceof HpackError)) throw error;
      return;
    }
    if (at < data.length && !this.isClosed()) this.pending = data.subarray(at);
  }

  private onFrame(type: number, flags: number, streamId: number, b: Buffer, from: number, to: number): void {
    if (this.state === 'settings' && type !== FrameType.SETTINGS) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'the connection must start with SETTINGS');
    }
    if (this.partial !== null && (type !== FrameType.CONTINUATION || streamId !== this.partial.streamId)) {
      throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a header block was interrupted');
    }
    switch (type) {
      case FrameType.DATA:
        return this.onDataFrame(flags, streamId, b, from, to);
      case FrameType.HEADERS:
        return this.onHeadersFrame(flags, streamId, b, from, to);
      case FrameType.CONTINUATION:
        return this.onContinuation(flags, streamId, b, from, to);
      case FrameType.PRIORITY:
        if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (to - from !== 5) throw new StreamError(streamId, ErrorCode.FRAME_SIZE_ERROR, 'PRIORITY must be 5 bytes');
        return;
      case FrameType.RST_STREAM:
        if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
        if (to - from !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'RST_STREAM must be 4 bytes');
        if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
        this.streams.get(streamId)?.abort();
        return;
      case FrameType.SETTINGS:
        return this.onSettings(flags, streamId, b, from, to);
      case FrameType.PUSH_PROMISE:
        throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'a client may not push');
      case FrameType.PING:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'PING on a stream');
        if (to - from !== 8) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'PING must be 8 bytes');
        if ((flags & Flag.ACK) !== 0) this.onPingAck();
        else {
          this.writer.frame(FrameType.PING, Flag.ACK, 0, b, from, to);
          this.scheduleFlush();
        }
        return;
      case FrameType.GOAWAY:
        if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'GOAWAY on a stream');
        this.goingAway = true;
        this.endWhenIdle();
        return;
      case FrameType.WINDOW_UPDATE:
        return this.onWindowUpdate(streamId, b, from, to);
      default:
        return; // unknown frame types are ignored (RFC 9113 4.1)
    }
  }

  private onDataFrame(flags: number, streamId: number, b: Buffer, from: number, to: number): void {
    if (streamId === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on stream 0');
    const flowBytes = to - from;
    this.receiveWindow -= flowBytes;
    if (this.receiveWindow < 0) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'the connection window was exceeded');
    // The connection window is given back at once: each stream's own window bounds what it holds.
    this.receivedUnacknowledged += flowBytes;
    if (this.receivedUnacknowledged >= this.options.connectionWindow / 2) {
      this.writeWindowUpdate(0, this.receivedUnacknowledged);
      this.receiveWindow += this.receivedUnacknowledged;
      this.receivedUnacknowledged = 0;
    }
    const [start, end] = unpad(flags, streamId, b, from, to);
    const stream = this.streams.get(streamId);
    if (stream === undefined) {
      if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'DATA on an idle stream');
      return; // a stream that ended here while the client was still sending
    }
    if (stream.remoteEnded) throw new StreamError(streamId, ErrorCode.STREAM_CLOSED, 'DATA after END_STREAM');
    stream.receiveWindow -= flowBytes;
    if (stream.receiveWindow < 0) throw new StreamError(streamId, ErrorCode.FLOW_CONTROL_ERROR, 'the stream window was exceeded');
    if (end > start) stream.receiveData(b.subarray(start, end));
    // Padding is taken as soon as it arrives.
    if (flowBytes > end - start) this.consumed(stream, flowBytes - (end - start));
    if ((flags & Flag.END_STREAM) !== 0) stream.receiveEnd();
  }

  private onHeadersFrame(flags: number, streamId: number, b: Buffer, from: number, to: number): void {
    if (streamId === 0 || streamId % 2 === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `HEADERS on stream ${streamId}`);
    let [start, end] = unpad(flags, streamId, b, from, to);
    if ((flags & Flag.PRIORITY) !== 0) {
      start += 5;
      if (start > end) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'HEADERS too short for its priority');
    }
    const fragment = b.subarray(start, end);
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if ((flags & Flag.END_HEADERS) !== 0) {
      this.onHeaderBlock(streamId, fragment, endStream);
      return;
    }
    this.partial = { streamId, endStream, parts: [Buffer.from(fragment)], bytes: fragment.length };
    this.checkHeaderBlockSize(this.partial.bytes);
  }

  private onContinuation(flags: number, streamId: number, b: Buffer, from: number, to: number): void {
    const partial = this.partial;
    if (partial === null) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'CONTINUATION without HEADERS');
    partial.parts.push(Buffer.from(b.subarray(from, to)));
    partial.bytes += to - from;
    this.checkHeaderBlockSize(partial.bytes);
    if ((flags & Flag.END_HEADERS) === 0) return;
    this.partial = null;
    this.onHeaderBlock(streamId, Buffer.concat(partial.parts, partial.bytes), partial.endStream);
  }

  private checkHeaderBlockSize(bytes: number): void {
    if (bytes > this.options.maxHeaderBlockBytes) {
      throw new ConnectionError(ErrorCode.ENHANCE_YOUR_CALM, `a header block above ${this.options.maxHeaderBlockBytes} bytes`);
    }
  }

  private onHeaderBlock(streamId: number, block: Buffer, endStream: boolean): void {
    // Every block is decoded, even one about to be refused: the HPACK table is the connection's.
    const decoded = requestHeaders(this.decoder, block);
    const existing = this.streams.get(streamId);
    if (existing !== undefined) {
      // Trailers: gRPC clients send none, and they carry nothing a server uses.
      if (!endStream) throw new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, 'a second HEADERS without END_STREAM');
      existing.receiveEnd();
      return;
    }
    // Headers for a stream that already ended here (it was answered or reset) change nothing.
    if (streamId <= this.lastStreamId) return;
    this.lastStreamId = streamId;
    if (this.goingAway || this.streams.size >= this.options.maxConcurrentStreams) {
      this.writeReset(streamId, ErrorCode.REFUSED_STREAM);
      return;
    }
    if (decoded.malformed !== null) throw new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, decoded.malformed);
    const stream = new H2Stream(streamId, decoded.headers, this, this.peerInitialWindow, this.options.streamWindow);
    this.streams.set(streamId, stream);
    this.options.onStream(stream);
    if (endStream) stream.receiveEnd();
  }

  private onSettings(flags: number, streamId: number, b: Buffer, from: number, to: number): void {
    if (streamId !== 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if ((flags & Flag.ACK) !== 0) {
      if (to !== from) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS ack with a payload');
      return;
    }
    if ((to - from) % 6 !== 0) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS not a multiple of 6 bytes');
    if (this.state === 'settings') this.state = 'open';
    let windowsGrew = false;
    for (let at = from; at < to; at += 6) {
      const id = (b[at]! << 8) | b[at + 1]!;
      const value = readUint32(b, at + 2);
      switch (id) {
        case Setting.ENABLE_PUSH:
          if (value > 1) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'ENABLE_PUSH must be 0 or 1');
          break;
        case Setting.INITIAL_WINDOW_SIZE: {
          if (value > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'INITIAL_WINDOW_SIZE above 2^31-1');
          const delta = value - this.peerInitialWindow;
          this.peerInitialWindow = value;
          if (delta > 0) windowsGrew = true;
          for (const stream of this.streams.values()) {
            stream.sendWindow += delta;
            if (stream.sendWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'a stream window above 2^31-1');
          }
          break;
        }
        case Setting.MAX_FRAME_SIZE:
          if (value < DEFAULT_MAX_FRAME_SIZE || value > MAX_FRAME_SIZE_LIMIT) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'MAX_FRAME_SIZE out of range');
          this.peerMaxFrameSize = value;
          break;
        default:
          // HEADER_TABLE_SIZE bounds a dynamic table our encoder never uses; the rest are advisory.
          break;
      }
    }
    this.writer.frame(FrameType.SETTINGS, Flag.ACK, 0);
    this.scheduleFlush();
    // Only a larger initial window can release DATA held back (pump stops at a closed window only).
    if (windowsGrew) for (const stream of [...this.streams.values()]) stream.pump();
  }

  private onWindowUpdate(streamId: number, b: Buffer, from: number, to: number): void {
    if (to - from !== 4) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, 'WINDOW_UPDATE must be 4 bytes');
    const increment = readUint31(b, from);
    if (streamId === 0) {
      if (increment === 0) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.connectionWindow += increment;
      if (this.connectionWindow > MAX_WINDOW) throw new ConnectionError(ErrorCode.FLOW_CONTROL_ERROR, 'the connection window above 2^31-1');
      const waiting = [...this.waitingForWindow];
      this.waitingForWindow.clear();
      for (const stream of waiting) stream.pump();
      return;
    }
    if (streamId > this.lastStreamId) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
    const stream = this.streams.get(streamId);
    if (stream === undefined) return;
    if (increment === 0) throw new StreamError(streamId, ErrorCode.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
    stream.sendWindow += increment;
    if (stream.sendWindow > MAX_WINDOW) throw new StreamError(streamId, ErrorCode.FLOW_CONTROL_ERROR, 'a stream window above 2^31-1');
    stream.pump();
  }

  // ---- writing ----

  private sendPreface(): void {
    const settings: [number, number][] = [
      [Setting.MAX_CONCURRENT_STREAMS, Math.min(this.options.maxConcurrentStreams, 2 ** 32 - 1)],
      [Setting.INITIAL_WINDOW_SIZE, this.options.streamWindow],
    ];
    const { buffer, at } = this.writer.frameWithRoom(FrameType.SETTINGS, 0, 0, settings.length * 6);
    settings.forEach(([id, value], i) => {
      buffer.writeUInt16BE(id, at + i * 6);
      buffer.writeUInt32BE(value, at + i * 6 + 2);
    });
    if (this.options.connectionWindow > DEFAULT_WINDOW) this.writeWindowUpdate(0, this.options.connectionWindow - DEFAULT_WINDOW);
    this.scheduleFlush();
  }

  private writeWindowUpdate(streamId: number, increment: number): void {
    const { buffer, at } = this.writer.frameWithRoom(FrameType.WINDOW_UPDATE, 0, streamId, 4);
    buffer.writeUInt32BE(increment, at);
    this.scheduleFlush();
  }

  private writeReset(streamId: number, code: number): void {
    const { buffer, at } = this.writer.frameWithRoom(FrameType.RST_STREAM, 0, streamId, 4);
    buffer.writeUInt32BE(code, at);
    this.scheduleFlush();
  }

  private sendGoaway(code: number): void {
    const { buffer, at } = this.writer.frameWithRoom(FrameType.GOAWAY, 0, 0, 8);
    buffer.writeUInt32BE(this.lastStreamId, at);
    buffer.writeUInt32BE(code, at + 4);
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    awaitingFlush.add(this);
    process.nextTick(() => this.flush());
  }

  private flush(): void {
    this.flushScheduled = false;
    awaitingFlush.delete(this);
    if (this.state === 'closed' || this.socket.destroyed) return;
    const parts = this.writer.take();
    if (parts.length > 0) writeParts(this.socket, parts);
    if (!this.socket.writableNeedDrain) this.notifyDrained();
  }

  private notifyDrained(): void {
    if (this.waitingForDrain.size === 0) return;
    const waiting = [...this.waitingForDrain];
    this.waitingForDrain.clear();
    for (const stream of waiting) stream.drained();
  }

  // ---- lifecycle ----

  /** A connection error: GOAWAY with the code, then the connection ends. */
  private fail(code: number): void {
    if (this.state === 'closed') return;
    this.sendGoaway(code);
    this.flush();
    this.state = 'closed';
    this.endSocket();
  }

  private endWhenIdle(): void {
    const end = () => {
      this.flush();
      this.endSocket();
    };
    if (this.streams.size === 0) end();
    else this.onIdle = end;
  }

  private endSocket(): void {
    this.socket.end();
    // A peer that never closes its side must not hold the socket open.
    setTimeout(() => this.socket.destroy(), SOCKET_END_GRACE_MS).unref();
  }

  private startKeepalive(): void {
    const { keepaliveIntervalMs: interval, keepaliveTimeoutMs: timeout } = this.options;
    if (!(interval > 0)) return;
    this.pinger = setInterval(() => {
      if (this.pingTimeout !== null || this.state === 'closed') return;
      this.pingTimeout = setTimeout(() => this.socket.destroy(), Math.max(1, timeout));
      this.pingTimeout.unref();
      this.writer.frame(FrameType.PING, 0, 0, KEEPALIVE_PING_PAYLOAD);
      this.scheduleFlush();
    }, interval);
    this.pinger.unref();
  }

  private onPingAck(): void {
    if (this.pingTimeout !== null) clearTimeout(this.pingTimeout);
    this.pingTimeout = null;
  }

  private onSocketClose(): void {
    this.state = 'closed';
    if (this.pinger !== null) clearInterval(this.pinger);
    if (this.pingTimeout !== null) clearTimeout(this.pingTimeout);
    for (const stream of [...this.streams.values()]) stream.abort();
    this.streams.clear();
    for (const callback of this.closeCallbacks.splice(0)) callback();
  }
}

/** The payload of a DATA or HEADERS frame without its padding. */
function unpad(flags: number, streamId: number, b: Buffer, from: number, to: number): [number, number] {
  if ((flags & Flag.PADDED) === 0) return [from, to];
  if (to === from) throw new ConnectionError(ErrorCode.FRAME_SIZE_ERROR, `padded frame on stream ${streamId} without a pad length`);
  const padding = b[from]!;
  if (padding >= to - from) throw new ConnectionError(ErrorCode.PROTOCOL_ERROR, `padding longer than the frame on stream ${streamId}`);
  return [from + 1, to - padding];
}
