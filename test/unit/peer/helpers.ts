// Real transports on 127.0.0.1 (port 0) with their callbacks recorded, plus a bounded waitFor.

import net from 'node:net';
import { parseUrl } from '../../../src/server/config/urls.js';
import { createLogger, MemorySink } from '../../../src/server/logger.js';
import { PeerTransport, type PeerTransportOptions } from '../../../src/server/peer/index.js';
import { makeMessage, MessageType, type Message } from '../../../src/raft/index.js';

export const CLUSTER_ID = 0x1c2d3e4f5a6b7c8dn;

export interface TestNode {
  id: bigint;
  transport: PeerTransport;
  url: string;
  received: Message[];
  snapshots: { message: Message; data: Uint8Array }[];
  unreachable: bigint[];
  removedFromCluster: number;
  removedPeers: Set<bigint>;
  logs: MemorySink;
}

export type NodeOverrides = Partial<Omit<PeerTransportOptions, 'localId' | 'logger'>> & { port?: number };

export async function startNode(id: bigint, overrides: NodeOverrides = {}): Promise<TestNode> {
  const logs = new MemorySink();
  const node: TestNode = {
    id,
    transport: null as unknown as PeerTransport,
    url: '',
    received: [],
    snapshots: [],
    unreachable: [],
    removedFromCluster: 0,
    removedPeers: new Set(),
    logs,
  };
  const { port, ...rest } = overrides;
  node.transport = new PeerTransport({
    localId: id,
    clusterId: CLUSTER_ID,
    listenUrls: [parseUrl(`http://127.0.0.1:${port ?? 0}`)],
    logger: createLogger({ level: 'debug', sinks: [logs], caller: false }),
    onMessage: (m, data) => {
      if (data === null) node.received.push(m);
      else node.snapshots.push({ message: m, data });
    },
    onUnreachable: (peer) => node.unreachable.push(peer),
    isRemoved: (peer) => node.removedPeers.has(peer),
    onRemovedFromCluster: () => {
      node.removedFromCluster++;
    },
    onRequest: async (from, kind, payload) => Buffer.concat([Buffer.from(`${kind}:${from.toString(16)}:`), payload]),
    timing: { backoffMinMs: 20, backoffMaxMs: 200 },
    ...rest,
  });
  await node.transport.start();
  node.url = `http://127.0.0.1:${node.transport.boundPorts[0]}`;
  return node;
}

/** Connects every pair both ways. */
export function mesh(nodes: readonly TestNode[]): void {
  for (const a of nodes) for (const b of nodes) if (a !== b) a.transport.addPeer(b.id, [b.url]);
}

export function heartbeat(from: bigint, to: bigint, seq: number): Message {
  return makeMessage({ type: MessageType.MsgHeartbeat, from, to, term: 1, commit: seq });
}

export function append(from: bigint, to: bigint, seq: number, bytes: number): Message {
  return makeMessage({
    type: MessageType.MsgApp,
    from,
    to,
    term: 1,
    index: seq,
    entries: [{ term: 1, index: seq + 1, type: 0, data: new Uint8Array(bytes).fill(seq & 0xff) }],
  });
}

export async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 100_000; i++) {
    if (cond()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function logMessages(node: TestNode): string[] {
  return node.logs.entries().map((e) => String(e['msg']));
}

/** A free loopback port (listen on 0, close). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen({ host: '127.0.0.1', port: 0 }, r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (address === null || typeof address !== 'object') throw new Error('no port');
  return address.port;
}
