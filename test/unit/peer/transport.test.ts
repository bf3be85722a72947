// The peer transport over real loopback sockets: ordering, reconnects, refusals, requests, stop.

import { afterEach, describe, expect, it } from 'vitest';
import { MessageType } from '../../../src/raft/index.js';
import { parseUrl } from '../../../src/server/config/urls.js';
import { createNopLogger } from '../../../src/server/logger.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { PeerTransport, peerMetricsFor, type PeerTransportOptions } from '../../../src/server/peer/index.js';
import { freePort, heartbeat, append, logMessages, mesh, startNode, waitFor, type TestNode } from './helpers.js';

const started: TestNode[] = [];
async function node(id: bigint, overrides: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, overrides);
  started.push(n);
  return n;
}

afterEach(async () => {
  await Promise.all(started.splice(0).map((n) => n.transport.stop()));
});

describe('PeerTransport', () => {
  it('two members exchange messages in order, both ways', async () => {
    const [a, b] = [await node(1n), await node(2n)];
    mesh([a, b]);
    await waitFor('both streams active', () => a.transport.isActive(2n) && b.transport.isActive(1n));
    for (let i = 0; i < 2000; i++) {
      a.transport.send([heartbeat(1n, 2n, i)]);
      b.transport.send([append(2n, 1n, i, i % 7 === 0 ? 10_000 : 10)]);
    }
    await waitFor('all messages', () => a.received.length === 2000 && b.received.length === 2000);
    expect(b.received.map((m) => m.commit)).toEqual([...Array(2000).keys()]);
    expect(a.received.map((m) => m.index)).toEqual([...Array(2000).keys()]);
    expect(a.received[7]!.entries[0]!.data.length).toBe(10_000);
    expect(a.received.every((m) => m.type === MessageType.MsgApp && m.from === 2n && m.to === 1n)).toBe(true);
    expect(logMessages(a)).toContain('peer became active');
    const stats = a.transport.stats(2n)!;
    expect(stats.sentBytes).toBeGreaterThan(0);
    expect(stats.receivedBytes).toBeGreaterThan(0);
    expect(stats.droppedMessages).toBe(0);
  });

  it('three members: every pair in order, messages sent in one call are batched but all arrive', async () => {
    const nodes = [await node(1n), await node(2n), await node(3n)];
    mesh(nodes);
    await waitFor('all active', () => nodes.every((n) => nodes.every((p) => p === n || n.transport.isActive(p.id))));
    for (let i = 0; i < 500; i++) {
      for (const from of nodes) {
        from.transport.send(nodes.filter((to) => to !== from).map((to) => heartbeat(from.id, to.id, i)));
      }
    }
    await waitFor('1000 messages each', () => nodes.every((n) => n.received.length === 1000));
    for (const to of nodes) {
      for (const from of nodes) {
        if (from === to) continue;
        expect(to.received.filter((m) => m.from === from.id).map((m) => m.commit)).toEqual([...Array(500).keys()]);
      }
    }
  });

  it('a peer that is down, then comes up, gets the messages sent after it is up', async () => {
    const port = await freePort();
    const a = await node(1n);
    a.transport.addPeer(2n, [`http://127.0.0.1:${port}`]);
    for (let i = 0; i < 10; i++) a.transport.send([heartbeat(1n, 2n, i)]);
    await waitFor('a dial failure reported', () => a.unreachable.includes(2n));
    expect(a.transport.isActive(2n)).toBe(false);

    const b = await node(2n, { port });
    b.transport.addPeer(1n, [a.url]);
    await waitFor('a reconnects to b', () => a.transport.isActive(2n), 15_000);
    for (let i = 100; i < 110; i++) a.transport.send([heartbeat(1n, 2n, i)]);
    await waitFor('new messages arrive', () => b.received.filter((m) => m.commit >= 100).length === 10);
    const seqs = b.received.map((m) => m.commit);
    expect(seqs.slice(-10)).toEqual([...Array(10).keys()].map((i) => 100 + i));
    // Whatever was queued while b was down arrives (if at all) before the newer ones, in order.
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
  });

  it('a peer that restarts is redialed and gets new messages', async () => {
    const port = await freePort();
    const a = await node(1n);
    let b = await node(2n, { port });
    mesh([a, b]);
    await waitFor('active', () => a.transport.isActive(2n));
    await b.transport.stop();
    await waitFor('a sees b go', () => !a.transport.isActive(2n));
    expect(logMessages(a)).toContain('peer became inactive (message send to peer failed)');
    b = await node(2n, { port });
    await waitFor('a redials b', () => a.transport.isActive(2n), 15_000);
    a.transport.send([heartbeat(1n, 2n, 42)]);
    await waitFor('delivered', () => b.received.some((m) => m.commit === 42));
  });

  it('refuses a peer with another cluster ID, logging etcd\'s warning', async () => {
    const a = await node(1n, { clusterId: 0xdeadn });
    const b = await node(2n);
    a.transport.addPeer(2n, [b.url]);
    a.transport.send([heartbeat(1n, 2n, 1)]);
    await waitFor('b logs the mismatch', () => logMessages(b).includes('request cluster ID mismatch'));
    const entry = b.logs.entries().find((e) => e['msg'] === 'request cluster ID mismatch')!;
    expect(entry['remote-peer-cluster-id']).toBe('dead');
    expect(entry['local-member-cluster-id']).toBe('1c2d3e4f5a6b7c8d');
    const dialerSays = 'request sent was ignored by remote peer due to cluster ID mismatch';
    await waitFor('a hears the refusal', () => logMessages(a).includes(dialerSays));
    expect(a.logs.entries().find((e) => e['msg'] === dialerSays)).toMatchObject({
      'remote-peer-id': '2',
      'remote-peer-cluster-id': '1c2d3e4f5a6b7c8d',
      'local-member-id': '1',
      'local-member-cluster-id': 'dead',
      error: 'cluster ID mismatch',
    });
    expect(a.transport.isActive(2n)).toBe(false);
    expect(b.received).toEqual([]);
    expect(a.removedFromCluster).toBe(0);
  });

  it('a removed member is told so: onRemovedFromCluster fires once and it stops dialing', async () => {
    const a = await node(1n);
    const b = await node(2n);
    b.removedPeers.add(1n);
    a.transport.addPeer(2n, [b.url]);
    a.transport.send([heartbeat(1n, 2n, 1)]);
    await waitFor('a learns it was removed', () => a.removedFromCluster === 1);
    expect(logMessages(b)).toContain('rejected stream from remote peer because it was removed');
    expect(logMessages(a)).toContain('the member has been permanently removed from the cluster');
    expect(a.transport.isActive(2n)).toBe(false);
    expect(b.received).toEqual([]);
    await expect(a.transport.request(2n, 'x', new Uint8Array(0), 1000)).rejects.toThrow(/removed/);
    a.transport.send([heartbeat(1n, 2n, 2)]);
    expect(logMessages(a)).not.toContain('dropped internal Raft message since sending buffer is full (overloaded network)');
  });

  it('removePeer closes the removed member\'s incoming stream; its redial is refused', async () => {
    const a = await node(1n);
    const b = await node(2n);
    mesh([a, b]);
    await waitFor('active', () => a.transport.isActive(2n) && b.transport.isActive(1n));
    b.removedPeers.add(1n);
    b.transport.removePeer(1n);
    await waitFor('a is told', () => a.removedFromCluster === 1);
    expect(b.transport.isActive(1n)).toBe(false);
  });

  it('request/response round trip, remote error, and timeout', async () => {
    const a = await node(1n);
    let hang = false;
    const b = await node(2n, {
      onRequest: async (from, kind, payload) => {
        if (kind === 'fail') throw new Error('etcdserver: requested lease not found');
        if (hang) return new Promise<Uint8Array>(() => {});
        return Buffer.concat([Buffer.from(`${kind}@${from.toString(16)}:`), payload]);
      },
    });
    a.transport.addPeer(2n, [b.url]); // b never dials a: the answer comes back on a's connection
    const answer = await a.transport.request(2n, 'lease-keepalive', Buffer.from('abc'), 5000);
    expect(Buffer.from(answer).toString()).toBe('lease-keepalive@1:abc');
    const many = await Promise.all([...Array(50).keys()].map((i) => a.transport.request(2n, 'n', Buffer.from(String(i)), 5000)));
    expect(many.map((r) => Buffer.from(r).toString())).toEqual([...Array(50).keys()].map((i) => `n@1:${i}`));
    await expect(a.transport.request(2n, 'fail', new Uint8Array(0), 5000)).rejects.toThrow('etcdserver: requested lease not found');
    hang = true;
    await expect(a.transport.request(2n, 'slow', new Uint8Array(0), 200)).rejects.toThrow(/timed out after 200 ms/);
    await expect(a.transport.request(9n, 'x', new Uint8Array(0), 200)).rejects.toThrow(/unknown peer 9/);
  });

  it('a pending request is rejected when the connection drops', async () => {
    const a = await node(1n);
    const b = await node(2n, { onRequest: () => new Promise<Uint8Array>(() => {}) });
    a.transport.addPeer(2n, [b.url]);
    await waitFor('active', () => a.transport.isActive(2n));
    const pending = a.transport.request(2n, 'slow', new Uint8Array(0), 30_000);
    await new Promise((r) => setTimeout(r, 50));
    await b.transport.stop();
    await expect(pending).rejects.toThrow(/connection to peer 2 was lost/);
  });

  it('messages to unknown peers are ignored; messages to self are a bug', async () => {
    const a = await node(1n);
    expect(() => a.transport.send([heartbeat(1n, 7n, 1)])).not.toThrow();
    expect(() => a.transport.send([heartbeat(1n, 1n, 1)])).toThrow(/local member/);
    expect(() => a.transport.addPeer(1n, ['http://127.0.0.1:1'])).toThrow(/own peer/);
  });

  it('feeds etcd\'s etcd_network_* peer metrics', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const a = await node(1n, { metrics: peerMetricsFor(metrics.network) });
    const b = await node(2n);
    mesh([a, b]);
    await waitFor('active', () => a.transport.isActive(2n) && b.transport.isActive(1n));
    a.transport.send([heartbeat(1n, 2n, 1)]);
    b.transport.send([heartbeat(2n, 1n, 1)]);
    await waitFor('delivered', () => a.received.length === 1 && b.received.length === 1);
    const value = async (name: string, labels: Record<string, string>): Promise<number> => {
      const m = await metrics.registry.getSingleMetric(name)!.get();
      return m.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value ?? 0;
    };
    expect(await value('etcd_network_peer_sent_bytes_total', { To: '2' })).toBeGreaterThan(0);
    expect(await value('etcd_network_peer_received_bytes_total', { From: '2' })).toBeGreaterThan(0);
    expect(await value('etcd_network_active_peers', { Local: '1', Remote: '2' })).toBe(1);
    await b.transport.stop();
    await waitFor('a sees b go', () => !a.transport.isActive(2n));
    expect(await value('etcd_network_active_peers', { Local: '1', Remote: '2' })).toBe(0);
    expect(await value('etcd_network_disconnected_peers_total', { Local: '1', Remote: '2' })).toBe(1);
  });

  it('start() on a taken port rejects and leaves nothing listening', async () => {
    const a = await node(1n);
    const free = await freePort();
    const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const clash = new PeerTransport({
      ...baseOptions(2n),
      listenUrls: [parseUrl(`http://127.0.0.1:${free}`), parseUrl(a.url)],
    });
    await expect(clash.start()).rejects.toThrow(/EADDRINUSE/);
    const again = await startNode(4n, { port: free }); // the first URL was released
    await again.transport.stop();
    await waitFor('no listener left', () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length <= before);
    await clash.stop();
  });

  it('stop() during start() leaves nothing listening', async () => {
    const before = process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
    const t = new PeerTransport(baseOptions(3n));
    const starting = t.start();
    await t.stop();
    await starting;
    await waitFor('no listener left', () => process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length <= before);
  });

  it('stop() closes every socket, server and timer', async () => {
    const before = countResources();
    const nodes = [await startNode(11n), await startNode(12n), await startNode(13n)];
    nodes[0]!.transport.addPeer(99n, ['http://127.0.0.1:1']); // a peer that never answers: a redial timer
    mesh(nodes);
    await waitFor('all active', () => nodes.every((n) => nodes.every((p) => p === n || n.transport.isActive(p.id))));
    for (const n of nodes) n.transport.send(nodes.filter((p) => p !== n).map((p) => heartbeat(n.id, p.id, 1)));
    const pending = nodes[0]!.transport.request(12n, 'x', new Uint8Array(0), 60_000).catch((e: Error) => e);
    await Promise.all(nodes.map((n) => n.transport.stop()));
    await pending;
    await waitFor('handles released', () => {
      const after = countResources();
      return after.TCPSocketWrap <= before.TCPSocketWrap && after.TCPServerWrap <= before.TCPServerWrap && after.Timeout <= before.Timeout;
    }, 5000);
    await nodes[0]!.transport.stop(); // idempotent
  });
});

function baseOptions(id: bigint): PeerTransportOptions {
  return {
    localId: id,
    clusterId: 1n,
    listenUrls: [parseUrl('http://127.0.0.1:0')],
    logger: createNopLogger(),
    onMessage: () => {},
    onUnreachable: () => {},
    isRemoved: () => false,
    onRemovedFromCluster: () => {},
    onRequest: async () => new Uint8Array(0),
  };
}

function countResources(): Record<'TCPSocketWrap' | 'TCPServerWrap' | 'Timeout', number> {
  const all = process.getActiveResourcesInfo();
  const count = (t: string): number => all.filter((r) => r === t).length;
  return { TCPSocketWrap: count('TCPSocketWrap'), TCPServerWrap: count('TCPServerWrap'), Timeout: count('Timeout') };
}
