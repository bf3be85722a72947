// A peer that stops reading (as a SIGSTOPped process does) must not delay the others, and what we
// queue for it must stay bounded. Snapshots travel beside heartbeats, not in front of them.

import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader, FrameType } from '../../../src/server/peer/frames.js';
import { makeMessage, MessageType } from '../../../src/raft/index.js';
import { append, heartbeat, logMessages, startNode, waitFor, type TestNode } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function node(id: bigint, overrides: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, overrides);
  cleanups.push(() => n.transport.stop());
  return n;
}

/** Accepts connections, answers the hello, then never reads again. */
async function startNonReadingPeer(): Promise<{ url: string; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const reader = new FrameReader();
    socket.on('data', (chunk: Buffer) => {
      if (reader.push(chunk).some((f) => f.type === FrameType.Hello)) {
        socket.write(encodeFrame(FrameType.HelloOk, Buffer.alloc(0)));
        socket.pause();
      }
    });
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const address = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${address.port}`, connections: () => connections };
}

/**
 * A loopback relay that forwards everything, but while `holding` stops reading from any connection
 * once it has relayed more than `holdAfterBytes` (a snapshot connection; message streams stay small).
 */
async function startHoldingRelay(target: string, holdAfterBytes: number) {
  const targetUrl = new URL(target);
  const held = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  let holding = true;
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: targetUrl.hostname, port: Number(targetUrl.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    let relayed = 0;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      relayed += chunk.length;
      if (holding && relayed > holdAfterBytes) {
        client.pause();
        held.add(client);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    heldConnections: () => held.size,
    release: () => {
      holding = false;
      for (const s of held) s.resume();
      held.clear();
    },
    cutAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

function snapshotMessage(from: bigint, to: bigint, index: number) {
  return makeMessage({
    type: MessageType.MsgSnap,
    from,
    to,
    term: 3,
    snapshot: { data: new Uint8Array(0), metadata: { index, term: 3, confState: { voters: [1n, 2n, 3n], learners: [] } } },
  });
}

describe('slow and stopped peers', () => {
  it('a peer that never reads does not delay another, and its queue stays bounded', async () => {
    const limits = { maxQueuedFrames: 64, maxQueuedBytes: 4 * 1024 * 1024 };
    const a = await node(1n, { queueLimits: limits, timing: { writeStallTimeoutMs: 60_000 } });
    const c = await node(3n);
    const stuck = await startNonReadingPeer();
    a.transport.addPeer(2n, [stuck.url]);
    a.transport.addPeer(3n, [c.url]);
    await waitFor('both active', () => a.transport.isActive(2n) && a.transport.isActive(3n));

    const total = 1600;
    let maxQueued = 0;
    let maxQueuedBytes = 0;
    for (let i = 0; i < total; i += 32) {
      for (let j = i; j < i + 32; j++) {
        a.transport.send([append(1n, 2n, j, 64 * 1024), append(1n, 3n, j, 64 * 1024)]);
      }
      const s = a.transport.stats(2n)!;
      maxQueued = Math.max(maxQueued, s.queuedFrames);
      maxQueuedBytes = Math.max(maxQueuedBytes, s.queuedBytes);
      await waitFor(`c receives batch ${i}`, () => c.received.length === i + 32, 20_000);
    }
    expect(c.received.map((m) => m.index)).toEqual([...Array(total).keys()]);
    const stuckStats = a.transport.stats(2n)!;
    expect(maxQueued).toBeLessThanOrEqual(limits.maxQueuedFrames);
    expect(maxQueuedBytes).toBeLessThanOrEqual(limits.maxQueuedBytes + 70 * 1024);
    expect(stuckStats.droppedMessages).toBeGreaterThan(0);
    expect(a.unreachable).toContain(2n);
    expect(a.unreachable).not.toContain(3n);
    expect(a.transport.stats(3n)!.droppedMessages).toBe(0);
    expect(logMessages(a)).toContain('dropped internal Raft message since sending buffer is full (overloaded network)');
  });

  it('a connection whose writes stall is dropped and redialed', async () => {
    const a = await node(1n, { timing: { writeStallTimeoutMs: 300, backoffMinMs: 20, backoffMaxMs: 100 } });
    const stuck = await startNonReadingPeer();
    a.transport.addPeer(2n, [stuck.url]);
    await waitFor('active', () => a.transport.isActive(2n));
    for (let i = 0; i < 200; i++) a.transport.send([append(1n, 2n, i, 64 * 1024)]);
    await waitFor('the stalled stream is declared dead', () => logMessages(a).includes('peer became inactive (message send to peer failed)'));
    expect(a.unreachable).toContain(2n);
    await waitFor('redialed', () => stuck.connections() >= 2);
  });

  it('a 50 MiB snapshot is delivered whole while heartbeats keep flowing', async () => {
    const a = await node(1n);
    const b = await node(2n);
    const relay = await startHoldingRelay(b.url, 2 * 1024 * 1024);
    a.transport.addPeer(2n, [relay.url]);
    await waitFor('active', () => a.transport.isActive(2n));

    const data = randomBytes(50 * 1024 * 1024);
    const outcome: boolean[] = [];
    a.transport.sendSnapshot(snapshotMessage(1n, 2n, 1234), data, (ok) => outcome.push(ok));
    await waitFor('the snapshot connection is mid-transfer', () => relay.heldConnections() === 1, 20_000);

    for (let i = 0; i < 200; i++) a.transport.send([heartbeat(1n, 2n, i)]);
    await waitFor('heartbeats pass the stalled snapshot', () => b.received.length === 200);
    expect(b.received.map((m) => m.commit)).toEqual([...Array(200).keys()]);
    expect(outcome).toEqual([]);
    expect(b.snapshots).toEqual([]);

    relay.release();
    await waitFor('snapshot done', () => outcome.length === 1, 30_000);
    expect(outcome).toEqual([true]);
    expect(b.snapshots.length).toBe(1);
    const got = b.snapshots[0]!;
    expect(got.message.type).toBe(MessageType.MsgSnap);
    expect(got.message.from).toBe(1n);
    expect(got.message.snapshot?.metadata).toEqual({ index: 1234, term: 3, confState: { voters: [1n, 2n, 3n], learners: [] } });
    expect(Buffer.compare(Buffer.from(got.data), data)).toBe(0);
    expect(logMessages(b)).toContain('received and saved database snapshot');
  });

  it('a snapshot whose connection is cut reports failure and the peer unreachable', async () => {
    const a = await node(1n);
    const b = await node(2n);
    const relay = await startHoldingRelay(b.url, 1024 * 1024);
    a.transport.addPeer(2n, [relay.url]);
    const outcome: boolean[] = [];
    a.transport.sendSnapshot(snapshotMessage(1n, 2n, 7), randomBytes(8 * 1024 * 1024), (ok) => outcome.push(ok));
    await waitFor('mid-transfer', () => relay.heldConnections() === 1, 20_000);
    relay.cutAll();
    await waitFor('failure reported', () => outcome.length === 1);
    expect(outcome).toEqual([false]);
    expect(a.unreachable).toContain(2n);
    expect(b.snapshots).toEqual([]);
  });

  it('a MsgSnap given to send() goes on a snapshot connection and reports through onSnapshotStatus', async () => {
    const statuses: [bigint, boolean][] = [];
    const a = await node(1n, { onSnapshotStatus: (peer, ok) => statuses.push([peer, ok]) });
    const b = await node(2n);
    a.transport.addPeer(2n, [b.url]);
    const m = snapshotMessage(1n, 2n, 99);
    m.snapshot!.data = Buffer.from('state bytes');
    a.transport.send([m, heartbeat(1n, 2n, 1)]);
    await waitFor('snapshot status', () => statuses.length === 1);
    expect(statuses).toEqual([[2n, true]]);
    expect(Buffer.from(b.snapshots[0]!.data).toString()).toBe('state bytes');
    expect(b.snapshots[0]!.message.snapshot!.data.length).toBe(0); // sent once, as the data stream
    await waitFor('heartbeat', () => b.received.length === 1);
  });

  it('a snapshot to an unknown peer, or after stop, fails without throwing', async () => {
    const a = await node(1n);
    const outcome: boolean[] = [];
    a.transport.sendSnapshot(snapshotMessage(1n, 5n, 1), new Uint8Array(10), (ok) => outcome.push(ok));
    await waitFor('failed', () => outcome.length === 1);
    expect(outcome).toEqual([false]);
    expect(() => a.transport.sendSnapshot(heartbeat(1n, 2n, 1), new Uint8Array(0), () => {})).toThrow(/sendSnapshot given MsgHeartbeat/);
  });

  it('stop() fails a snapshot in flight', async () => {
    const a = await startNode(1n);
    const b = await node(2n);
    const relay = await startHoldingRelay(b.url, 1024 * 1024);
    a.transport.addPeer(2n, [relay.url]);
    const outcome: boolean[] = [];
    a.transport.sendSnapshot(snapshotMessage(1n, 2n, 7), randomBytes(4 * 1024 * 1024), (ok) => outcome.push(ok));
    await waitFor('mid-transfer', () => relay.heldConnections() === 1, 20_000);
    await a.transport.stop();
    expect(outcome).toEqual([false]);
  });
});
