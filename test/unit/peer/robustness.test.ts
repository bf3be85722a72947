// What the network and other members can do to a transport: garbage, silence, cut connections,
// several URLs, changed URLs, unix sockets, senders we do not know yet.

import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUrl } from '../../../src/server/config/urls.js';
import { ConnectionKind, encodeFrame, encodeHello, FrameType, PROTOCOL_VERSION } from '../../../src/server/peer/frames.js';
import { encodeMessage } from '../../../src/raft/index.js';
import { CLUSTER_ID, freePort, heartbeat, logMessages, startNode, waitFor, type TestNode } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function node(id: bigint, overrides: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, overrides);
  cleanups.push(() => n.transport.stop());
  return n;
}

/** Opens a raw connection to `url`, writes `bytes`, and resolves once the other side closes it. */
function rawExchange(url: string, bytes: Buffer): Promise<Buffer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: u.hostname, port: Number(u.port) });
    const got: Buffer[] = [];
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (c: Buffer) => got.push(c));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(got)));
    setTimeout(() => {
      socket.destroy();
      reject(new Error('the transport did not close the connection'));
    }, 10_000);
  });
}

/** A relay that forwards to `target` and can cut every connection through it. */
async function startCuttingRelay(target: string) {
  const u = new URL(target);
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: u.hostname, port: Number(u.port) });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    cutAll: () => {
      for (const s of sockets) s.destroy();
    },
  };
}

describe('PeerTransport robustness', () => {
  it('closes a connection that sends garbage, and keeps serving others', async () => {
    const b = await node(2n);
    await rawExchange(b.url, Buffer.from('GET /raft/stream/message/1 HTTP/1.1\r\nHost: x\r\n\r\n'));
    await rawExchange(b.url, encodeFrame(FrameType.RaftMessage, Buffer.from('not a hello')));
    expect(logMessages(b)).toContain('closed peer connection after a protocol error');
    const a = await node(1n);
    a.transport.addPeer(2n, [b.url]);
    a.transport.send([heartbeat(1n, 2n, 5)]);
    await waitFor('delivered after the garbage', () => b.received.length === 1);
  });

  it('closes a connection that never says hello', async () => {
    const b = await node(2n, { timing: { handshakeTimeoutMs: 200 } });
    const answer = await rawExchange(b.url, Buffer.alloc(0));
    expect(answer.length).toBe(0);
  });

  it('a message not from the connection\'s sender closes that connection', async () => {
    const b = await node(2n);
    const hello = encodeHello({ version: PROTOCOL_VERSION, kind: ConnectionKind.Stream, clusterId: CLUSTER_ID, from: 1n, to: 2n, peerUrls: [] });
    const forged = encodeFrame(FrameType.RaftMessage, encodeMessage(heartbeat(3n, 2n, 1)));
    const answer = await rawExchange(b.url, Buffer.concat([hello, forged]));
    expect(answer.subarray(0, 5)).toEqual(encodeFrame(FrameType.HelloOk, Buffer.alloc(0)));
    expect(logMessages(b)).toContain('closed peer connection after a protocol error');
    expect(b.received).toEqual([]);
    const a = await node(1n);
    expect(() => a.transport.send([heartbeat(3n, 2n, 1)])).toThrow(/invariant: raft message MsgHeartbeat from 3 sent by member 1/);
  });

  it('connections cut again and again never reorder or duplicate messages', async () => {
    const a = await node(1n, { timing: { backoffMinMs: 5, backoffMaxMs: 20 } });
    const b = await node(2n);
    const relay = await startCuttingRelay(b.url);
    a.transport.addPeer(2n, [relay.url]);
    let seq = 0;
    for (let round = 0; round < 20; round++) {
      await waitFor('active', () => a.transport.isActive(2n));
      for (let i = 0; i < 50; i++) a.transport.send([heartbeat(1n, 2n, seq++)]);
      await new Promise((r) => setTimeout(r, round % 3));
      relay.cutAll();
    }
    const last = seq;
    await waitFor('messages flow again after the last cut', () => {
      a.transport.send([heartbeat(1n, 2n, seq++)]); // the first may go down the cut connection
      return b.received.some((m) => m.commit >= last);
    });
    const got = b.received.map((m) => m.commit);
    for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!);
  });

  it('falls over to a peer\'s second URL when the first does not answer', async () => {
    const dead = await freePort();
    const b = await node(2n);
    const a = await node(1n);
    a.transport.addPeer(2n, [`http://127.0.0.1:${dead}`, b.url]);
    a.transport.send([heartbeat(1n, 2n, 1)]);
    await waitFor('delivered via the second URL', () => b.received.length === 1);
  });

  it('updatePeer moves the connection to the new URL', async () => {
    const a = await node(1n);
    const b1 = await node(2n);
    a.transport.addPeer(2n, [b1.url]);
    await waitFor('active', () => a.transport.isActive(2n));
    const b2 = await node(2n);
    a.transport.updatePeer(2n, [b2.url]);
    await waitFor('reconnected to the new URL', () => {
      a.transport.send([heartbeat(1n, 2n, 9)]);
      return b2.received.length > 0;
    });
    const before = b1.received.length;
    a.transport.send([heartbeat(1n, 2n, 10)]);
    await waitFor('new messages go to the new URL', () => b2.received.some((m) => m.commit === 10));
    expect(b1.received.length).toBe(before);
  });

  it('works over unix sockets', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'capstan-peer-'));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));
    const sock = (n: string) => `unix://${path.join(dir, n)}`;
    const a = await node(1n, { listenUrls: [parseUrl(sock('a'))] });
    const b = await node(2n, { listenUrls: [parseUrl(sock('b'))] });
    a.transport.addPeer(2n, [sock('b')]);
    b.transport.addPeer(1n, [sock('a')]);
    a.transport.send([heartbeat(1n, 2n, 1)]);
    b.transport.send([heartbeat(2n, 1n, 2)]);
    await waitFor('both ways', () => a.received.length === 1 && b.received.length === 1);
  });

  it('answers a sender it does not know yet through the URLs that sender advertised', async () => {
    const b = await node(2n);
    const silent = await node(5n); // advertises nothing: b cannot answer it
    silent.transport.addPeer(2n, [b.url]);
    silent.transport.send([heartbeat(5n, 2n, 1)]);
    await waitFor('delivered', () => b.received.length === 1);
    b.transport.send([heartbeat(2n, 5n, 1)]);
    expect(logMessages(b)).toContain('ignored message send request; unknown remote peer target');

    const port = await freePort();
    const a = await node(1n, { port, advertisePeerUrls: [`http://127.0.0.1:${port}`] });
    a.transport.addPeer(2n, [b.url]);
    a.transport.send([heartbeat(1n, 2n, 1)]);
    await waitFor('b learns a as a remote', () => logMessages(b).includes('added new remote peer'));
    b.transport.send([heartbeat(2n, 1n, 7)]);
    await waitFor('b answers a', () => a.received.some((m) => m.commit === 7));
    const answer = await b.transport.request(1n, 'ping', new Uint8Array(0), 5000);
    expect(Buffer.from(answer).toString()).toBe('ping:2:');

    b.transport.addPeer(1n, [a.url]); // now a member: the remote's connection becomes the peer's
    expect(b.transport.peerIds()).toEqual([1n]);
    b.transport.send([heartbeat(2n, 1n, 8)]);
    await waitFor('still answered', () => a.received.some((m) => m.commit === 8));
    b.transport.removePeer(1n);
    expect(b.transport.peerIds()).toEqual([]);
    expect(b.transport.isActive(1n)).toBe(false);
  });
});
