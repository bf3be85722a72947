// A unary answer that closes a connection's last open stream is written at once, not after the rest
// of the turn: in a member, the apply that answers a write goes on with its WAL write and bookkeeping
// in the same run of microtasks. Here the rest of the turn is a 400 ms busy loop; a client in another
// process must have the answer before the loop ends. Whatever other connections had waiting from
// earlier in the turn (a watcher's event from the same apply) goes out first, in the order written.
import { spawn } from 'node:child_process';
import type * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseUrl } from '../../../src/server/config/urls.js';
import { WireServer } from '../../../src/server/grpc/wire/wireServer.js';
import { EchoService, type Msg } from '../../support/echoService.js';

const BUSY_MS = 400;
let busyEnded = 0;
let watcher: grpc.ServerWritableStream<Msg, Msg> | null = null;

const implementation: grpc.UntypedServiceImplementation = {
  Unary: ((call: grpc.ServerUnaryCall<Msg, Msg>, cb: grpc.sendUnaryData<Msg>) => {
    // Answered from a promise continuation, as an apply answers a write.
    void Promise.resolve().then(() => {
      watcher?.write({ text: 'event' });
      cb(null, { text: `echo ${call.request.text}` });
      queueMicrotask(() => {
        const until = Date.now() + BUSY_MS;
        while (Date.now() < until) {
          // the rest of the turn
        }
        busyEnded = Date.now();
      });
    });
  }) as grpc.handleUnaryCall<Msg, Msg>,
  Endless: ((call: grpc.ServerWritableStream<Msg, Msg>) => {
    watcher = call;
    call.write({ text: 'created' });
  }) as grpc.handleServerStreamingCall<Msg, Msg>,
};

// A node:http2 client: prints the time the answer's trailers arrived.
const CLIENT = `
const http2 = require('node:http2');
const session = http2.connect('http://127.0.0.1:' + process.argv[1]);
const body = Buffer.from(JSON.stringify({ text: 'now' }));
const framed = Buffer.concat([Buffer.from([0, 0, 0, 0, body.length]), body]);
const req = session.request({ ':method': 'POST', ':path': '/test.Echo/Unary', 'content-type': 'application/grpc', te: 'trailers' });
req.on('trailers', (t) => { console.log(JSON.stringify({ at: Date.now(), status: t['grpc-status'] })); session.close(); });
req.resume();
req.end(framed);
`;

// Two connections: a watcher's stream on one; once it is created, a unary call on the other. Prints
// when the answer's trailers and the watcher's second message arrived.
const TWO_CONNECTIONS = `
const http2 = require('node:http2');
const url = 'http://127.0.0.1:' + process.argv[1];
const frame = (v) => { const b = Buffer.from(JSON.stringify(v)); return Buffer.concat([Buffer.from([0, 0, 0, 0, b.length]), b]); };
const headers = (path) => ({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
const watching = http2.connect(url);
const writing = http2.connect(url);
const times = {};
let messages = 0;
const watch = watching.request(headers('/test.Echo/Endless'));
watch.on('data', () => {
  messages++;
  if (messages === 1) {
    const req = writing.request(headers('/test.Echo/Unary'));
    req.on('trailers', () => { times.answer = Date.now(); done(); });
    req.resume();
    req.end(frame({ text: 'now' }));
  } else { times.event = Date.now(); done(); }
});
watch.end(frame({ text: 'watch' }));
function done() {
  if (times.answer === undefined || times.event === undefined) return;
  console.log(JSON.stringify(times));
  watching.destroy();
  writing.destroy();
}
`;

let server: WireServer;
let port = 0;

/** Runs a client script in another process against the server; what it printed, parsed. */
async function runClient(script: string): Promise<unknown> {
  const child = spawn(process.execPath, ['-e', script, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  await new Promise<void>((resolve) => child.once('close', () => resolve()));
  return JSON.parse(out);
}

beforeAll(async () => {
  server = new WireServer({ maxReceiveMessageBytes: 1024 * 1024, maxConcurrentStreams: 100, keepaliveIntervalMs: 0, keepaliveTimeoutMs: 0 });
  server.addService(EchoService, implementation);
  port = await server.bind(parseUrl('http://127.0.0.1:0'), null);
});

afterAll(() => server?.forceShutdown());

it("writes a unary answer when it closes the connection's last open stream", async () => {
  const answer = (await runClient(CLIENT)) as { at: number; status: string };
  expect(answer.status).toBe('0');
  expect(busyEnded).toBeGreaterThan(0);
  expect(answer.at).toBeLessThan(busyEnded - BUSY_MS / 4);
});

it('writes what other connections had waiting from earlier in the turn before such an answer', async () => {
  busyEnded = 0;
  const times = (await runClient(TWO_CONNECTIONS)) as { answer: number; event: number };
  expect(busyEnded).toBeGreaterThan(0);
  expect(times.answer).toBeLessThan(busyEnded - BUSY_MS / 4);
  expect(times.event).toBeLessThan(busyEnded - BUSY_MS / 4);
});
