// capstan's own HTTP/2 server layer (src/server/grpc/h2) frame by frame: a raw socket on loopback
// speaks the protocol byte for byte, so each rule of RFC 9113 that gRPC relies on is checked where a
// real client would hide it (flow control, CONTINUATION, padding, refusals, connection errors).
import * as http2 from 'node:http2';
import * as net from 'node:net';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUrl } from '../../../src/server/config/urls.js';
import { ErrorCode, Flag, FrameType, PREFACE, writeFrameHeader } from '../../../src/server/grpc/h2/frames.js';
import { encodeHeaderBlock, HpackDecoder } from '../../../src/server/grpc/h2/hpack.js';
import { frameMessage } from '../../../src/server/grpc/wire/messageFraming.js';
import { WireServer } from '../../../src/server/grpc/wire/wireServer.js';
import { EchoService, type Msg } from '../../support/echoService.js';

interface Frame {
  type: number;
  flags: number;
  streamId: number;
  payload: Buffer;
  /** Which socket read completed the frame. */
  read: number;
}

/** A client that writes frames as given and records every frame the server sends. */
class RawClient {
  readonly frames: Frame[] = [];
  readonly closed: Promise<void>;
  private buffered = Buffer.alloc(0);
  private reads = 0;
  private wake: () => void = () => undefined;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.reads++;
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 9) {
        const length = this.buffered.readUIntBE(0, 3);
        if (this.buffered.length < 9 + length) break;
        this.frames.push({
          type: this.buffered[3]!,
          flags: this.buffered[4]!,
          streamId: this.buffered.readUInt32BE(5) & 0x7fffffff,
          payload: Buffer.from(this.buffered.subarray(9, 9 + length)),
          read: this.reads,
        });
        this.buffered = this.buffered.subarray(9 + length);
      }
      this.wake();
    });
    socket.on('error', () => undefined);
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async open(port: number, settings: [number, number][] = []): Promise<RawClient> {
    const socket = net.connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new RawClient(socket);
    const payload = Buffer.alloc(settings.length * 6);
    settings.forEach(([id, value], i) => {
      payload.writeUInt16BE(id, i * 6);
      payload.writeUInt32BE(value, i * 6 + 2);
    });
    client.socket.write(Buffer.concat([PREFACE, frame(FrameType.SETTINGS, 0, 0, payload)]));
    return client;
  }

  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** The first frame after `from` that matches, waiting up to `ms`. */
  async waitFor(match: (f: Frame) => boolean, ms = 3000): Promise<Frame> {
    const deadline = Date.now() + ms;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching frame in ${ms} ms; got ${JSON.stringify(this.frames.map((f) => [f.type, f.flags, f.streamId]))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(9);
  writeFrameHeader(header, 0, payload.length, type, flags, streamId);
  return Buffer.concat([header, payload]);
}

function requestBlock(path: string, extra: [string, string][] = []): Buffer {
  return encodeHeaderBlock([
    [':method', 'POST'],
    [':scheme', 'http'],
    [':path', path],
    [':authority', 'localhost'],
    ['content-type', 'application/grpc'],
    ['te', 'trailers'],
    ...extra,
  ]);
}

function message(m: Msg): Buffer {
  return frameMessage(Buffer.from(JSON.stringify(m)));
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

const isGoaway = (f: Frame) => f.type === FrameType.GOAWAY;
const goawayCode = (f: Frame) => f.payload.readUInt32BE(4);
const endOf = (id: number) => (f: Frame) => f.streamId === id && (f.flags & Flag.END_STREAM) !== 0 && f.type === FrameType.HEADERS;

const implementation: grpc.UntypedServiceImplementation = {
  Unary: ((call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    const big = call.metadata.get('x-big')[0];
    cb(null, { text: `echo ${call.request.text}`, n: typeof big === 'string' ? big.length : 0 });
  }) as grpc.handleUnaryCall<Msg, Msg>,
  Slow: ((_call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    setTimeout(() => cb(null, { text: 'late' }), 800);
  }) as grpc.handleUnaryCall<Msg, Msg>,
  Many: ((call: grpc.ServerWritableStream<Msg, Msg>) => {
    for (let i = 0; i < (call.request.n ?? 0); i++) call.write({ text: 'x'.repeat(16 * 1024), n: i });
    call.end();
  }) as grpc.handleServerStreamingCall<Msg, Msg>,
};

let server: WireServer;
let port = 0;

beforeAll(async () => {
  server = new WireServer({ maxReceiveMessageBytes: 1024 * 1024, maxConcurrentStreams: 2, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 0 });
  server.addService(EchoService, implementation);
  port = await server.bind(parseUrl('http://127.0.0.1:0'), null);
});

afterAll(() => server?.forceShutdown());

describe('h2 server: answers', () => {
  it("sends a unary answer's headers, message and trailers in one write", async () => {
    const c = await RawClient.open(port);
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 1, requestBlock('/test.Echo/Unary')), frame(FrameType.DATA, Flag.END_STREAM, 1, message({ text: 'hi' })));
    const trailers = await c.waitFor(endOf(1));
    const decoder = new HpackDecoder();
    const fields: [string, string][] = [];
    for (const f of c.frames.filter((f) => f.streamId === 1 && f.type === FrameType.HEADERS)) decoder.decode(f.payload, (n, v) => fields.push([n, v]));
    expect(fields).toEqual([
      [':status', '200'],
      ['content-type', 'application/grpc'],
      ['grpc-status', '0'],
    ]);
    const data = Buffer.concat(c.frames.filter((f) => f.streamId === 1 && f.type === FrameType.DATA).map((f) => f.payload));
    expect(JSON.parse(data.subarray(5).toString())).toEqual({ text: 'echo hi', n: 0 });
    // node:http2 sent the trailers in a write of their own, after the client's next frame.
    expect(new Set(c.frames.filter((f) => f.streamId === 1).map((f) => f.read)).size).toBe(1);
    expect(trailers.type).toBe(FrameType.HEADERS);
    c.close();
  });

  it('reads headers split over CONTINUATION frames and padded HEADERS and DATA', async () => {
    const c = await RawClient.open(port);
    const block = requestBlock('/test.Echo/Unary', [['x-big', 'b'.repeat(40_000)]]);
    const padded = (payload: Buffer, pad: number) => Buffer.concat([Buffer.from([pad]), payload, Buffer.alloc(pad)]);
    c.send(
      frame(FrameType.HEADERS, Flag.PADDED, 1, padded(block.subarray(0, 10_000), 7)),
      frame(FrameType.CONTINUATION, 0, 1, block.subarray(10_000, 25_000)),
      frame(FrameType.CONTINUATION, Flag.END_HEADERS, 1, block.subarray(25_000)),
      frame(FrameType.DATA, Flag.PADDED | Flag.END_STREAM, 1, padded(message({ text: 'pad' }), 200)),
    );
    await c.waitFor(endOf(1));
    const data = Buffer.concat(c.frames.filter((f) => f.streamId === 1 && f.type === FrameType.DATA).map((f) => f.payload));
    expect(JSON.parse(data.subarray(5).toString())).toEqual({ text: 'echo pad', n: 40_000 });
    c.close();
  });

  it("holds response DATA to the client's stream window and sends the rest after WINDOW_UPDATE", async () => {
    const c = await RawClient.open(port, [[4 /* INITIAL_WINDOW_SIZE */, 100]]);
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 1, requestBlock('/test.Echo/Many')), frame(FrameType.DATA, Flag.END_STREAM, 1, message({ text: '', n: 2 })));
    await c.waitFor((f) => f.type === FrameType.DATA && f.streamId === 1);
    await new Promise((r) => setTimeout(r, 200));
    const sent = () => c.frames.filter((f) => f.type === FrameType.DATA && f.streamId === 1).reduce((n, f) => n + f.payload.length, 0);
    expect(sent()).toBe(100);
    expect(c.frames.some(endOf(1))).toBe(false);
    c.send(frame(FrameType.WINDOW_UPDATE, 0, 1, u32(1_000_000)));
    await c.waitFor(endOf(1));
    // Two framed messages of a bit over 16 KiB each: the connection window (65,535) held them too.
    expect(sent()).toBeGreaterThan(2 * 16 * 1024);
    expect(sent()).toBeLessThanOrEqual(65_535);
    c.close();
  });

  it('answers PING with an ACK carrying the same bytes', async () => {
    const c = await RawClient.open(port);
    c.send(frame(FrameType.PING, 0, 0, Buffer.from('12345678')));
    const ack = await c.waitFor((f) => f.type === FrameType.PING && (f.flags & Flag.ACK) !== 0);
    expect(ack.payload.toString()).toBe('12345678');
    c.close();
  });
});

describe('h2 server: refusals', () => {
  it('refuses a stream beyond SETTINGS_MAX_CONCURRENT_STREAMS with REFUSED_STREAM and serves the others', async () => {
    const c = await RawClient.open(port);
    for (const id of [1, 3, 5]) {
      c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, id, requestBlock('/test.Echo/Slow')), frame(FrameType.DATA, Flag.END_STREAM, id, message({ text: '' })));
    }
    const reset = await c.waitFor((f) => f.type === FrameType.RST_STREAM);
    expect([reset.streamId, reset.payload.readUInt32BE(0)]).toEqual([5, ErrorCode.REFUSED_STREAM]);
    await c.waitFor(endOf(1));
    await c.waitFor(endOf(3));
    c.close();
  });

  it('resets a malformed request (an upper-case header name) and keeps the connection', async () => {
    const c = await RawClient.open(port);
    // Our encoder refuses upper-case names, so the field is written by hand (literal, new name).
    const upper = Buffer.concat([Buffer.from([0x00, 7]), Buffer.from('X-Upper'), Buffer.from([1]), Buffer.from('1')]);
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, 1, Buffer.concat([requestBlock('/test.Echo/Unary'), upper])));
    const reset = await c.waitFor((f) => f.type === FrameType.RST_STREAM);
    expect([reset.streamId, reset.payload.readUInt32BE(0)]).toEqual([1, ErrorCode.PROTOCOL_ERROR]);
    c.send(frame(FrameType.HEADERS, Flag.END_HEADERS, 3, requestBlock('/test.Echo/Unary')), frame(FrameType.DATA, Flag.END_STREAM, 3, message({ text: 'ok' })));
    await c.waitFor(endOf(3));
    c.close();
  });

  const connectionErrors: [string, () => Buffer, number][] = [
    ['a frame inside a header block', () => Buffer.concat([frame(FrameType.HEADERS, 0, 1, requestBlock('/x').subarray(0, 3)), frame(FrameType.PING, 0, 0, Buffer.alloc(8))]), ErrorCode.PROTOCOL_ERROR],
    ['an even stream id', () => frame(FrameType.HEADERS, Flag.END_HEADERS, 2, requestBlock('/test.Echo/Unary')), ErrorCode.PROTOCOL_ERROR],
    ['a header block HPACK cannot decode', () => frame(FrameType.HEADERS, Flag.END_HEADERS, 1, Buffer.from([0x80])), ErrorCode.COMPRESSION_ERROR],
    ['a WINDOW_UPDATE of 0 on the connection', () => frame(FrameType.WINDOW_UPDATE, 0, 0, u32(0)), ErrorCode.PROTOCOL_ERROR],
    ['a frame above 16 KiB', () => frame(FrameType.DATA, 0, 1, Buffer.alloc(16_385)), ErrorCode.FRAME_SIZE_ERROR],
    ['PUSH_PROMISE from a client', () => frame(FrameType.PUSH_PROMISE, Flag.END_HEADERS, 1, Buffer.alloc(4)), ErrorCode.PROTOCOL_ERROR],
  ];
  for (const [name, bytes, code] of connectionErrors) {
    it(`ends the connection with GOAWAY on ${name}`, async () => {
      const c = await RawClient.open(port);
      c.send(bytes());
      const goaway = await c.waitFor(isGoaway, 5000);
      expect(goawayCode(goaway)).toBe(code);
      await c.closed;
    });
  }

  it('closes a connection that does not start with the HTTP/2 preface', async () => {
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => undefined);
    socket.on('data', () => undefined);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await new Promise<void>((resolve) => socket.once('close', () => resolve()));
  });
});

describe('h2 server with node:http2 as the client', () => {
  it('serves a client padding every frame to the maximum, with a 40 KB header', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`, { paddingStrategy: http2.constants.PADDING_STRATEGY_MAX });
    const req = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers', 'x-big': 'q'.repeat(40_000) });
    const chunks: Buffer[] = [];
    let trailers: http2.IncomingHttpHeaders = {};
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('trailers', (t) => (trailers = t));
    req.end(message({ text: 'padded' }));
    await new Promise<void>((resolve, reject) => req.on('end', resolve).on('error', reject));
    session.close();
    expect(trailers['grpc-status']).toBe('0');
    expect(JSON.parse(Buffer.concat(chunks).subarray(5).toString())).toEqual({ text: 'echo padded', n: 40_000 });
  });
});
