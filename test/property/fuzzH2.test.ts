// Hostile HTTP/2 on the client port: after the preface, any sequence of frames with random types,
// flags, stream IDs and payloads (random bytes, or well-formed request header blocks and gRPC
// messages mixed with garbage). The server must never throw, must answer or close each connection,
// and must keep serving a well-behaved client afterwards.
import * as net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseUrl } from '../../src/server/config/urls.js';
import { FrameType, PREFACE, writeFrameHeader } from '../../src/server/grpc/h2/frames.js';
import { encodeHeaderBlock } from '../../src/server/grpc/h2/hpack.js';
import { frameMessage } from '../../src/server/grpc/wire/messageFraming.js';
import { WireServer } from '../../src/server/grpc/wire/wireServer.js';
import { EchoService, type Msg } from '../support/echoService.js';

const CASES = 400;

const implementation: grpc.UntypedServiceImplementation = {
  Unary: ((call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => cb(null, { text: `echo ${call.request.text}` })) as grpc.handleUnaryCall<Msg, Msg>,
  Many: ((call: grpc.ServerWritableStream<Msg, Msg>) => {
    for (let i = 0; i < Math.min(call.request.n ?? 0, 8); i++) call.write({ text: 'x'.repeat(20_000) });
    call.end();
  }) as grpc.handleServerStreamingCall<Msg, Msg>,
  Chat: ((call: grpc.ServerDuplexStream<Msg, Msg>) => {
    call.on('data', (m: Msg) => call.write({ text: m.text }));
    call.on('end', () => call.end());
  }) as grpc.handleBidiStreamingCall<Msg, Msg>,
};

let server: WireServer;
let port = 0;

beforeAll(async () => {
  server = new WireServer({ maxReceiveMessageBytes: 64 * 1024, maxConcurrentStreams: 8, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 0 });
  server.addService(EchoService, implementation);
  port = await server.bind(parseUrl('http://127.0.0.1:0'), null);
});

afterAll(() => server?.forceShutdown());

function frame(type: number, flags: number, streamId: number, payload: Uint8Array): Buffer {
  const header = Buffer.alloc(9);
  writeFrameHeader(header, 0, payload.length, type, flags, streamId);
  return Buffer.concat([header, payload]);
}

const paths = ['/test.Echo/Unary', '/test.Echo/Many', '/test.Echo/Chat', '/test.Echo/Nope', '/'];
const requestBlock = fc
  .record({ path: fc.constantFrom(...paths), method: fc.constantFrom('POST', 'GET'), timeout: fc.option(fc.constantFrom('1m', '100u', 'bad', '5S')) })
  .map(({ path, method, timeout }) =>
    encodeHeaderBlock([
      [':method', method],
      [':scheme', 'http'],
      [':path', path],
      ['content-type', 'application/grpc'],
      ...(timeout === null ? [] : [['grpc-timeout', timeout] as [string, string]]),
    ]),
  );
const grpcMessage = fc.record({ text: fc.string({ maxLength: 20 }), n: fc.integer({ min: 0, max: 10 }) }).map((m) => frameMessage(Buffer.from(JSON.stringify(m))));
const payload = fc.oneof(
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 2, arbitrary: requestBlock },
  { weight: 2, arbitrary: grpcMessage },
  { weight: 1, arbitrary: fc.constantFrom(new Uint8Array(4), new Uint8Array(8), Uint8Array.from([0, 0, 0, 1]), Uint8Array.from([0x7f, 0xff, 0xff, 0xff])) },
);
const anyFrame = fc
  .record({
    type: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 255 })),
    flags: fc.oneof(fc.constantFrom(0, 1, 4, 5, 8, 0x20, 0x25), fc.integer({ min: 0, max: 255 })),
    streamId: fc.oneof(fc.constantFrom(0, 1, 3, 5, 7), fc.integer({ min: 0, max: 2 ** 31 - 1 })),
    payload,
  })
  .map(({ type, flags, streamId, payload: p }) => frame(type, flags, streamId, p));

/** Writes the bytes, then waits for the server to close the connection or 100 ms of quiet. */
function send(bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let timer = setTimeout(() => socket.destroy(), 100);
    socket.on('data', () => {
      clearTimeout(timer);
      timer = setTimeout(() => socket.destroy(), 100);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(bytes);
  });
}

async function echo(text: string): Promise<Msg> {
  const Client = grpc.makeGenericClientConstructor(EchoService, 'Echo');
  const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  try {
    return await new Promise<Msg>((resolve, reject) =>
      (client as unknown as Record<string, (r: Msg, cb: (e: Error | null, v?: Msg) => void) => void>)['Unary']!.call(client, { text }, (e, v) =>
        e ? reject(e) : resolve(v as Msg),
      ),
    );
  } finally {
    client.close();
  }
}

it('survives any sequence of frames and keeps serving', { timeout: 120_000 }, async () => {
  const settings = frame(FrameType.SETTINGS, 0, 0, new Uint8Array(0));
  await fc.assert(
    fc.asyncProperty(fc.array(anyFrame, { minLength: 1, maxLength: 12 }), fc.boolean(), async (frames, withSettings) => {
      await send(Buffer.concat([PREFACE, ...(withSettings ? [settings] : []), ...frames]));
    }),
    { numRuns: CASES },
  );
  expect(await echo('still here')).toEqual({ text: 'echo still here' });
});
