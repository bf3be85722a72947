// capstan's gRPC server (src/server/grpc/wire on h2/) against grpc-js's client and a raw node:http2
// client on loopback: the wire rules a drop-in for grpc-js's Server must keep. A small
// JSON-coded test service stands in for etcd's, so each rule is exercised alone.
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseUrl } from '../../../src/server/config/urls.js';
import { encodeGrpcMessage, parseGrpcTimeout } from '../../../src/server/grpc/wire/grpcStatus.js';
import { frameMessage, MessageDecoder } from '../../../src/server/grpc/wire/messageFraming.js';
import { WireServer } from '../../../src/server/grpc/wire/wireServer.js';
import { EchoService, method, type Msg } from '../../support/echoService.js';

const MAX_RECEIVE = 64 * 1024;
const seen = { endlessCancelled: false, token: '' as string | undefined };
let slowCancelled: () => void = () => undefined;
const slowDone = new Promise<void>((resolve) => (slowCancelled = resolve));
let endlessCancelled: () => void = () => undefined;
const endlessDone = new Promise<void>((resolve) => (endlessCancelled = resolve));

type Call = grpc.ServerUnaryCall<Msg, Msg>;
type Stream = grpc.ServerWritableStream<Msg, Msg>;
type Duplex = grpc.ServerDuplexStream<Msg, Msg>;

const implementation: grpc.UntypedServiceImplementation = {
  Unary: ((call: Call, cb: grpc.sendUnaryData<Msg>) => {
    seen.token = call.metadata.get('token')[0]?.toString();
    cb(null, { text: `echo ${call.request.text}`, n: call.request.text.length });
  }) as grpc.handleUnaryCall<Msg, Msg>,
  Fail: ((_call: Call, cb: grpc.sendUnaryData<Msg>) => cb({ code: grpc.status.FAILED_PRECONDITION, details: 'nope: 100% ✗\nline' })) as grpc.handleUnaryCall<Msg, Msg>,
  Slow: ((call: Call, cb: grpc.sendUnaryData<Msg>) => {
    call.on('cancelled', () => slowCancelled());
    setTimeout(() => cb(null, { text: 'late' }), 1500);
  }) as grpc.handleUnaryCall<Msg, Msg>,
  Many: ((call: Stream) => {
    // 200 messages of 16 KiB: more than the stream's buffer, so write() must report backpressure.
    const total = call.request.n ?? 0;
    let i = 0;
    const pump = () => {
      while (i < total) {
        const more = call.write({ text: 'x'.repeat(16 * 1024), n: i++ });
        if (!more) {
          call.once('drain', pump);
          return;
        }
      }
      call.end();
    };
    pump();
  }) as grpc.handleServerStreamingCall<Msg, Msg>,
  Endless: ((call: Stream) => {
    call.on('cancelled', () => {
      seen.endlessCancelled = true;
      endlessCancelled();
    });
    call.write({ text: 'first' });
  }) as grpc.handleServerStreamingCall<Msg, Msg>,
  Chat: ((call: Duplex) => {
    call.on('data', (m: Msg) => call.write({ text: m.text.toUpperCase() }));
    call.on('end', () => call.end());
  }) as grpc.handleBidiStreamingCall<Msg, Msg>,
  Refuse: ((call: Duplex) => {
    call.emit('error', Object.assign(new Error('denied'), { code: grpc.status.PERMISSION_DENIED, details: 'etcdserver: permission denied' }));
  }) as grpc.handleBidiStreamingCall<Msg, Msg>,
};

let server: WireServer;
let port = 0;
let client: grpc.Client & Record<string, (...args: unknown[]) => unknown>;

beforeAll(async () => {
  server = new WireServer({ maxReceiveMessageBytes: MAX_RECEIVE, maxConcurrentStreams: 100, keepaliveIntervalMs: 200, keepaliveTimeoutMs: 1000 });
  server.addService(EchoService, implementation);
  port = await server.bind(parseUrl('http://127.0.0.1:0'), null);
  const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as typeof client;
});

afterAll(() => {
  client?.close();
  server?.forceShutdown();
});

function unary(name: string, request: Msg, options: grpc.CallOptions = {}, metadata = new grpc.Metadata()): Promise<Msg> {
  return new Promise((resolve, reject) => {
    const fn = client[name] as (r: Msg, m: grpc.Metadata, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, v?: Msg) => void) => void;
    fn.call(client, request, metadata, options, (error, value) => (error ? reject(error) : resolve(value as Msg)));
  });
}

function failure(p: Promise<unknown>): Promise<grpc.ServiceError> {
  return p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: grpc.ServiceError) => e,
  );
}

describe('message framing', () => {
  it('reassembles messages split at every byte boundary', () => {
    const messages = [Buffer.from('hello'), Buffer.alloc(0), Buffer.from('x'.repeat(300))];
    const stream = Buffer.concat(messages.map(frameMessage));
    for (let cut = 1; cut < 12; cut++) {
      const decoder = new MessageDecoder(1024);
      const out: Buffer[] = [];
      for (let i = 0; i < stream.length; i += cut) out.push(...decoder.push(stream.subarray(i, i + cut)));
      expect(out.map((b) => b.toString())).toEqual(messages.map((b) => b.toString()));
      expect(decoder.midMessage).toBe(false);
    }
  });

  it('refuses compressed and oversized messages from their prefix', () => {
    expect(() => new MessageDecoder(10).push(Buffer.from([1, 0, 0, 0, 1, 7]))).toThrow(/compressed/);
    expect(() => new MessageDecoder(10).push(Buffer.from([0, 0, 0, 0, 11]))).toThrow(/larger than max \(11 vs\. 10\)/);
  });

  it('percent-encodes grpc-message and reads grpc-timeout', () => {
    expect(encodeGrpcMessage('plain text')).toBe('plain text');
    expect(encodeGrpcMessage('100% ✗')).toBe('100%25 %E2%9C%97');
    expect(parseGrpcTimeout('5S')).toBe(5000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('bogus')).toBeNull();
  });
});

describe('WireServer with grpc-js clients', () => {
  it('answers a unary call and shows the handler the metadata', async () => {
    const md = new grpc.Metadata();
    md.set('token', 'abc.def');
    await expect(unary('Unary', { text: 'hi' }, {}, md)).resolves.toEqual({ text: 'echo hi', n: 2 });
    expect(seen.token).toBe('abc.def');
  });

  it('sends a handler error as a trailers-only status with the message intact', async () => {
    const e = await failure(unary('Fail', { text: '' }));
    expect(e.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(e.details).toBe('nope: 100% ✗\nline');
  });

  it('answers an unknown method with UNIMPLEMENTED', async () => {
    const Other = grpc.makeGenericClientConstructor({ Missing: { ...method('Missing', false, false), path: '/test.Echo/Missing' } }, 'Other');
    const other = new Other(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as typeof client;
    const e = await new Promise<grpc.ServiceError>((resolve) =>
      (other['Missing'] as (r: Msg, cb: (e: grpc.ServiceError) => void) => void).call(other, { text: '' }, resolve),
    );
    other.close();
    expect(e.code).toBe(grpc.status.UNIMPLEMENTED);
  });

  it('refuses a request above the receive limit with RESOURCE_EXHAUSTED', async () => {
    const e = await failure(unary('Unary', { text: 'x'.repeat(MAX_RECEIVE + 1) }));
    expect(e.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    // The connection stays usable.
    await expect(unary('Unary', { text: 'ok' })).resolves.toEqual({ text: 'echo ok', n: 2 });
  });

  it('streams with backpressure, every message in order', async () => {
    const got: number[] = [];
    await new Promise<void>((resolve, reject) => {
      const call = (client['Many'] as (r: Msg) => grpc.ClientReadableStream<Msg>).call(client, { text: '', n: 200 });
      call.on('data', (m: Msg) => got.push(m.n ?? -1));
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    expect(got).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });

  it("turns a client's cancel into the handler's 'cancelled'", async () => {
    const call = (client['Endless'] as (r: Msg) => grpc.ClientReadableStream<Msg>).call(client, { text: '' });
    call.on('error', () => undefined);
    await new Promise<void>((resolve) => call.once('data', () => resolve()));
    call.cancel();
    await Promise.race([endlessDone, new Promise((_, reject) => setTimeout(() => reject(new Error('no cancelled event')), 5000))]);
    expect(seen.endlessCancelled).toBe(true);
  });

  it('keeps serving a client that pings far more often than keepalive min time', async () => {
    const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
    const eager = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
      'grpc.keepalive_time_ms': 20,
      'grpc.keepalive_timeout_ms': 1000,
      'grpc.keepalive_permit_without_calls': 1,
    }) as typeof client;
    const call = () =>
      new Promise<Msg>((resolve, reject) =>
        (eager['Unary'] as (r: Msg, cb: (e: grpc.ServiceError | null, v?: Msg) => void) => void).call(eager, { text: 'p' }, (e, v) =>
          e ? reject(e) : resolve(v as Msg),
        ),
      );
    // 20 calls, each after the client's pings had time to pile up (bounded: 20 × 50 ms).
    for (let i = 0; i < 20; i++) {
      await expect(call()).resolves.toEqual({ text: 'echo p', n: 1 });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    eager.close();
  });

  it('carries a bidi conversation to its end', async () => {
    const call = (client['Chat'] as () => grpc.ClientDuplexStream<Msg, Msg>).call(client);
    const got: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      call.on('data', (m: Msg) => got.push(m.text));
      call.on('error', reject);
      call.on('end', () => resolve());
    });
    call.write({ text: 'a' });
    call.write({ text: 'b' });
    call.end();
    await done;
    expect(got).toEqual(['A', 'B']);
  });

  it("sends the status of an 'error' a handler emits", async () => {
    const call = (client['Refuse'] as () => grpc.ClientDuplexStream<Msg, Msg>).call(client);
    const e = await new Promise<grpc.ServiceError>((resolve) => call.on('error', resolve));
    expect(e.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(e.details).toBe('etcdserver: permission denied');
  });
});

describe('WireServer on the raw wire', () => {
  function rawCall(path: string, body: Buffer, extra: http2.OutgoingHttpHeaders = {}): Promise<{ headers: http2.IncomingHttpHeaders; trailers: http2.IncomingHttpHeaders; data: Buffer }> {
    return new Promise((resolve, reject) => {
      const session = http2.connect(`http://127.0.0.1:${port}`);
      session.on('error', reject);
      const req = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers', ...extra });
      let headers: http2.IncomingHttpHeaders = {};
      let trailers: http2.IncomingHttpHeaders = {};
      const chunks: Buffer[] = [];
      req.on('response', (h) => (headers = h));
      req.on('trailers', (t) => (trailers = t));
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        session.close();
        resolve({ headers, trailers, data: Buffer.concat(chunks) });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('answers with headers, one framed message and grpc-status 0 trailers', async () => {
    const r = await rawCall('/test.Echo/Unary', frameMessage(Buffer.from(JSON.stringify({ text: 'raw' }))));
    expect(r.headers[':status']).toBe(200);
    expect(r.headers['content-type']).toBe('application/grpc');
    expect(r.trailers['grpc-status']).toBe('0');
    expect(r.data.subarray(5).toString()).toBe(JSON.stringify({ text: 'echo raw', n: 3 }));
  });

  it('ends a call past its grpc-timeout with DEADLINE_EXCEEDED and tells the handler', async () => {
    const r = await rawCall('/test.Echo/Slow', frameMessage(Buffer.from('{"text":""}')), { 'grpc-timeout': '200m' });
    expect(r.headers['grpc-status']).toBe(String(grpc.status.DEADLINE_EXCEEDED));
    await Promise.race([slowDone, new Promise((_, reject) => setTimeout(() => reject(new Error('no cancelled event')), 5000))]);
  });

  it('refuses a compressed message with a trailers-only UNIMPLEMENTED', async () => {
    const framed = frameMessage(Buffer.from('{}'));
    framed[0] = 1;
    const r = await rawCall('/test.Echo/Unary', framed);
    expect(r.headers['grpc-status']).toBe(String(grpc.status.UNIMPLEMENTED));
    expect(r.data.length).toBe(0);
  });

  it('pings idle connections at the keepalive interval', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const pinged = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      session.once('ping', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    session.close();
    expect(pinged).toBe(true);
  });

  it('advertises --max-concurrent-streams in its SETTINGS', async () => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    session.close();
    expect(settings.maxConcurrentStreams).toBe(100);
  });

  it('closes a connection whose peer does not answer its keepalive ping in time', async () => {
    // A bare socket speaking just enough HTTP/2 (the preface and an empty SETTINGS) and never a PING ack.
    const socket = net.connect(port, '127.0.0.1');
    socket.on('data', () => undefined);
    const started = Date.now();
    const closed = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the server kept a silent connection open')), 10_000);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Date.now() - started);
      });
      socket.on('error', () => undefined);
    });
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]));
    // Interval 200 ms, timeout 1000 ms: closed after about 1.2 s.
    expect(await closed).toBeGreaterThanOrEqual(1000);
  });
});

describe('WireServer shutdown', () => {
  it('tryShutdown lets a call in flight finish, then calls back', async () => {
    const own = new WireServer({ maxReceiveMessageBytes: MAX_RECEIVE, maxConcurrentStreams: 10, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 0 });
    let arrived: () => void = () => undefined;
    const inFlight = new Promise<void>((resolve) => (arrived = resolve));
    own.addService(EchoService, {
      ...implementation,
      Slow: ((_call: Call, cb: grpc.sendUnaryData<Msg>) => {
        arrived();
        setTimeout(() => cb(null, { text: 'late' }), 300);
      }) as grpc.handleUnaryCall<Msg, Msg>,
    });
    const ownPort = await own.bind(parseUrl('http://127.0.0.1:0'), null);
    const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
    const c = new Client(`127.0.0.1:${ownPort}`, grpc.credentials.createInsecure()) as typeof client;
    const answer = new Promise<Msg>((resolve, reject) =>
      (c['Slow'] as (r: Msg, cb: (e: grpc.ServiceError | null, v?: Msg) => void) => void).call(c, { text: '' }, (e, v) =>
        e ? reject(e) : resolve(v as Msg),
      ),
    );
    // Shut down once the call is in its handler, not before.
    await inFlight;
    const stopped = new Promise<void>((resolve) => own.tryShutdown(resolve));
    await expect(answer).resolves.toEqual({ text: 'late' });
    c.close();
    await stopped;
  });
});

describe('WireServer with HTTP/1 beside gRPC', () => {
  it('answers HTTP/1.1 on the same port, and gRPC even when its preface arrives a byte at a time', async () => {
    const own = new WireServer({
      maxReceiveMessageBytes: MAX_RECEIVE,
      maxConcurrentStreams: 10,
      keepaliveIntervalMs: 0,
      keepaliveTimeoutMs: 0,
      http1: (req, res) => res.end(`hello ${req.method} ${req.url}`),
    });
    own.addService(EchoService, implementation);
    const ownPort = await own.bind(parseUrl('http://127.0.0.1:0'), null);
    try {
      const res = await fetch(`http://127.0.0.1:${ownPort}/health`);
      expect(await res.text()).toBe('hello GET /health');
      // "POST" shares its first byte with the HTTP/2 preface ("PRI ...").
      const posted = await fetch(`http://127.0.0.1:${ownPort}/x`, { method: 'POST', body: 'b' });
      expect(await posted.text()).toBe('hello POST /x');

      const socket = net.connect(ownPort, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      const settingsSeen = new Promise<Buffer>((resolve) => socket.once('data', resolve));
      for (const byte of Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n')) {
        socket.write(Buffer.from([byte]));
        await new Promise((r) => setTimeout(r, 2));
      }
      const first = await settingsSeen;
      expect(first[3]).toBe(4); // the server's SETTINGS: it took the connection as HTTP/2
      socket.destroy();

      const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
      const c = new Client(`127.0.0.1:${ownPort}`, grpc.credentials.createInsecure()) as typeof client;
      const answer = await new Promise<Msg>((resolve, reject) =>
        (c['Unary'] as (r: Msg, cb: (e: grpc.ServiceError | null, v?: Msg) => void) => void).call(c, { text: 'h2' }, (e, v) => (e ? reject(e) : resolve(v as Msg))),
      );
      c.close();
      expect(answer.text).toBe('echo h2');
    } finally {
      own.forceShutdown();
    }
  });
});
