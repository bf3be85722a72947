// Hostile input on the peer port of a real member: raw random bytes, hellos with any fields, and
// after a well-formed hello (the right cluster ID, as anyone who can reach the port can learn) any
// sequence of frames with random types and bodies, on message-stream and snapshot connections.
// The member must neither crash nor change its data; whoever can reach an unauthenticated peer port
// can disturb raft (etcd's answer is peer TLS), but garbage must only ever close its connection.
import net from 'node:net';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConnectionKind, encodeFrame, encodeHello, PROTOCOL_VERSION } from '../../src/server/peer/frames.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';

const CASES = 300;

interface Status {
  clusterId: bigint;
  memberId: bigint;
  revision: number;
}

describeWithReference(['etcdctl'], () => {
  let member: MemberProcess;
  let peerPort: number;
  let exited = false;

  const status = async (): Promise<Status> => {
    const r = await etcdctl(member, ['endpoint', 'status', '-w', 'json']);
    if (r.code !== 0) throw new Error(`endpoint status failed: ${r.stderr}`);
    // etcdctl prints IDs as JSON numbers beyond 2^53: read them as text.
    const header = /"cluster_id":(\d+),"member_id":(\d+),"revision":(\d+)/.exec(r.stdout);
    if (!header) throw new Error(`unexpected status output: ${r.stdout}`);
    return { clusterId: BigInt(header[1]!), memberId: BigInt(header[2]!), revision: Number(header[3]) };
  };

  beforeAll(async () => {
    const dir = tempDir('fuzz-peer');
    const [clientPort, port] = await freePorts(2);
    peerPort = port!;
    member = await startCapstan({ name: 'fz', dataDir: path.join(dir, 'fz.data'), clientPort: clientPort!, peerPort });
    void member.exited.then(() => {
      exited = true;
    });
    expect((await etcdctl(member, ['put', 'anchor', 'v'])).code).toBe(0);
  }, 60_000);

  afterAll(async () => {
    await member?.stop();
  });

  /** Writes the bytes, then waits for the member to close the connection or 300 ms, whichever first. */
  const send = (chunks: readonly Buffer[]): Promise<void> =>
    new Promise((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port: peerPort });
      const timer = setTimeout(() => socket.destroy(), 300);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.on('data', () => undefined);
      socket.on('connect', () => {
        for (const c of chunks) socket.write(c);
      });
    });

  it(`survives ${CASES} hostile peer connections with its data unchanged`, async () => {
    const before = await status();
    const id64 = fc.bigInt(0n, 2n ** 64n - 1n);
    const frame = fc.record({
      type: fc.integer({ min: 0, max: 15 }),
      body: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 200, maxLength: 4096 })),
    }).map((f) => encodeFrame(f.type, f.body));
    const wellFormedHello = fc.record({
      kind: fc.constantFrom(ConnectionKind.Stream, ConnectionKind.Snapshot),
      from: fc.oneof(id64, fc.constant(before.memberId)),
      to: fc.oneof(fc.constant(before.memberId), id64),
    }).map((h) =>
      encodeHello({ version: PROTOCOL_VERSION, kind: h.kind, clusterId: before.clusterId, from: h.from, to: h.to, peerUrls: [] }),
    );
    const anyHello = fc.record({
      version: fc.integer({ min: 0, max: 255 }),
      kind: fc.integer({ min: 0, max: 255 }),
      clusterId: fc.oneof(id64, fc.constant(before.clusterId)),
      from: id64,
      to: id64,
      urls: fc.array(fc.string({ maxLength: 30 }), { maxLength: 3 }),
    }).map((h) => {
      const bytes = encodeHello({ version: 1, kind: ConnectionKind.Stream, clusterId: h.clusterId, from: h.from, to: h.to, peerUrls: h.urls });
      bytes[5] = h.version;
      bytes[6] = h.kind;
      return bytes;
    });
    const connection = fc.oneof(
      fc.uint8Array({ maxLength: 512 }).map((b) => [Buffer.from(b)]),
      anyHello.map((h) => [h]),
      fc.tuple(wellFormedHello, fc.array(frame, { minLength: 1, maxLength: 6 })).map(([h, fs]) => [h, ...fs]),
    );
    let cases = 0;
    await fc.assert(
      fc.asyncProperty(connection, async (chunks) => {
        await send(chunks);
        cases++;
        expect(exited).toBe(false);
      }),
      { numRuns: CASES },
    );
    expect(cases).toBe(CASES);
    expect(exited).toBe(false);
    // Garbage changed nothing: the same revision, the anchor key intact, and writes still work.
    const after = await status();
    expect(after.revision).toBe(before.revision);
    const get = await etcdctl(member, ['get', 'anchor', '--print-value-only']);
    expect(get.stdout.trim()).toBe('v');
    expect((await etcdctl(member, ['put', 'after', 'fuzz'])).code).toBe(0);
  }, 300_000);
});
