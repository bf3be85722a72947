// One connection a peer dialed to us. After the hello is checked (cluster ID, removed member,
// addressee) it only delivers: raft messages to onMessage, requests to onRequest (answered on this
// same connection, so a request works even before we can dial the requester back), or, on a
// snapshot connection, one snapshot assembled in full before raft sees it.

import { constants as bufferConstants } from 'node:buffer';
import type net from 'node:net';
import type { Logger } from '../logger.js';
import { idToHex } from '../membership/ids.js';
import { decodeMessage, MessageType, type Message } from '../../raft/index.js';
import {
  ConnectionKind,
  decodeHello,
  decodeRequest,
  decodeSnapshotHeader,
  encodeFrame,
  encodeResponse,
  encodeSnapshotResult,
  encodeRejected,
  encodeRemoved,
  FrameReader,
  FrameType,
  PROTOCOL_VERSION,
  REJECT_CLUSTER_ID_MISMATCH,
  REJECT_INCOMPATIBLE_VERSION,
  REJECT_TO_MISMATCH,
  type Frame,
  type Hello,
} from './frames.js';
import type { PeerTiming } from './timing.js';

export interface IncomingConnectionOptions {
  localId: bigint;
  clusterId: bigint;
  logger: Logger;
  timing: PeerTiming;
  isRemoved(peer: bigint): boolean;
  onMessage(message: Message, snapshotData: Uint8Array | null): void;
  onRequest(from: bigint, kind: string, payload: Uint8Array): Promise<Uint8Array>;
  /** The hello was accepted; the transport tracks the connection from here on. */
  onAccepted(hello: Hello, socket: net.Socket): void;
  onBytesReceived(from: bigint | null, n: number): void;
  /** The connection was closed for a protocol error (etcd_network_peer_received_failures_total). */
  onReceiveFailure(from: bigint | null): void;
  /** The cluster as a joining member asks for it (etcd's /members on the peer URL); absent: refuse. */
  describeCluster?(): Uint8Array;
}

interface SnapshotInProgress {
  message: Message;
  data: Buffer;
  received: number;
}

export function serveIncomingConnection(socket: net.Socket, opts: IncomingConnectionOptions): void {
  const log = opts.logger;
  const localHex = idToHex(opts.localId);
  const reader = new FrameReader();
  let hello: Hello | null = null;
  let snapshot: SnapshotInProgress | null = null;
  let snapshotDone = false;
  let refused = false;
  let lingerTimer: NodeJS.Timeout | null = null;

  socket.setNoDelay(true);
  socket.setKeepAlive(true, 5000);
  const handshakeTimer = setTimeout(() => socket.destroy(), opts.timing.handshakeTimeoutMs);

  const refuse = (answer: Buffer): void => {
    clearTimeout(handshakeTimer);
    refused = true;
    socket.end(answer);
    // end() waits for the peer to read; a peer that never reads must not keep the socket open.
    lingerTimer = setTimeout(() => socket.destroy(), opts.timing.handshakeTimeoutMs);
  };

  const onHello = (h: Hello): void => {
    if (h.clusterId === 0n && h.from === 0n && h.to === 0n && opts.describeCluster) {
      // A member starting with --initial-cluster-state existing does not know its ID or the
      // cluster's yet: it asks, then hangs up.
      clearTimeout(handshakeTimer);
      refused = true;
      socket.end(encodeFrame(FrameType.ClusterInfo, opts.describeCluster()));
      lingerTimer = setTimeout(() => socket.destroy(), opts.timing.handshakeTimeoutMs);
      return;
    }
    const from = idToHex(h.from);
    if (h.version !== PROTOCOL_VERSION) {
      log.warn('failed version compatibility check', { 'local-member-id': localHex, 'remote-peer-id': from, 'remote-protocol-version': h.version });
      return refuse(encodeRejected({ clusterId: opts.clusterId, reason: REJECT_INCOMPATIBLE_VERSION }));
    }
    if (h.clusterId !== opts.clusterId) {
      log.warn('request cluster ID mismatch', {
        'local-member-id': localHex,
        'local-member-cluster-id': idToHex(opts.clusterId),
        'remote-peer-id': from,
        'remote-peer-cluster-id': idToHex(h.clusterId),
      });
      return refuse(encodeRejected({ clusterId: opts.clusterId, reason: REJECT_CLUSTER_ID_MISMATCH }));
    }
    if (h.to !== opts.localId) {
      log.warn('ignored streaming request; ID mismatch', {
        'local-member-id': localHex,
        'remote-peer-id-header': idToHex(h.to),
        'remote-peer-id-from': from,
        'cluster-id': idToHex(opts.clusterId),
      });
      return refuse(encodeRejected({ clusterId: opts.clusterId, reason: REJECT_TO_MISMATCH }));
    }
    if (opts.isRemoved(h.from)) {
      log.warn('rejected stream from remote peer because it was removed', {
        'local-member-id': localHex,
        'remote-peer-id-from': from,
      });
      return refuse(encodeRemoved('removed member'));
    }
    clearTimeout(handshakeTimer);
    hello = h;
    socket.write(encodeFrame(FrameType.HelloOk, Buffer.alloc(0)));
    opts.onAccepted(h, socket);
  };

  const deliver = (message: Message, data: Uint8Array | null): void => {
    try {
      opts.onMessage(message, data);
    } catch (err) {
      log.error('failed to process Raft message', { 'local-member-id': localHex, error: (err as Error).message });
    }
  };

  const onRaftMessage = (h: Hello, body: Buffer): void => {
    const m = decodeMessage(body);
    if (m.from !== h.from || m.to !== opts.localId) {
      throw new Error(`message ${m.from.toString(16)}→${m.to.toString(16)} on the stream of ${idToHex(h.from)}→${localHex}`);
    }
    if (m.type === MessageType.MsgSnap) throw new Error('MsgSnap must come on a snapshot connection');
    deliver(m, null);
  };

  const onRequest = (h: Hello, body: Buffer): void => {
    const r = decodeRequest(body);
    let answer: Promise<Uint8Array>;
    try {
      answer = opts.onRequest(h.from, r.kind, r.payload);
    } catch (err) {
      answer = Promise.reject(err as Error);
    }
    answer.then(
      (payload) => {
        if (!socket.destroyed) socket.write(encodeResponse({ id: r.id, error: null, payload }));
      },
      (err: unknown) => {
        const text = err instanceof Error ? err.message : String(err);
        if (!socket.destroyed) socket.write(encodeResponse({ id: r.id, error: text, payload: new Uint8Array(0) }));
      },
    );
  };

  const onSnapshotHeader = (h: Hello, body: Buffer): void => {
    if (snapshot !== null || snapshotDone) throw new Error('a second snapshot on one connection');
    const header = decodeSnapshotHeader(body);
    const message = decodeMessage(header.message);
    if (message.type !== MessageType.MsgSnap) throw new Error(`unexpected Raft message type ${MessageType[message.type]} on a snapshot connection`);
    if (message.from !== h.from || message.to !== opts.localId) throw new Error('snapshot message addressed inconsistently with its connection');
    if (header.dataLength > bufferConstants.MAX_LENGTH) throw new Error(`snapshot of ${header.dataLength} bytes is larger than this process can hold`);
    log.info('receiving database snapshot', {
      'local-member-id': localHex,
      'remote-snapshot-sender-id': idToHex(h.from),
      'incoming-snapshot-index': message.snapshot?.metadata.index ?? 0,
      'incoming-snapshot-size-bytes': header.dataLength,
    });
    snapshot = { message, data: Buffer.allocUnsafe(header.dataLength), received: 0 };
    if (header.dataLength === 0) completeSnapshot(h);
  };

  const onSnapshotChunk = (h: Hello, body: Buffer): void => {
    if (snapshot === null) throw new Error('snapshot data before its header');
    if (snapshot.received + body.length > snapshot.data.length) throw new Error('snapshot data longer than announced');
    body.copy(snapshot.data, snapshot.received);
    snapshot.received += body.length;
    if (snapshot.received === snapshot.data.length) completeSnapshot(h);
  };

  const completeSnapshot = (h: Hello): void => {
    const s = snapshot;
    if (s === null) throw new Error('invariant: completing a snapshot that was not started');
    snapshot = null;
    snapshotDone = true;
    log.info('received and saved database snapshot', {
      'local-member-id': localHex,
      'remote-snapshot-sender-id': idToHex(h.from),
      'incoming-snapshot-index': s.message.snapshot?.metadata.index ?? 0,
      'incoming-snapshot-size-bytes': s.data.length,
    });
    let ok = true;
    let reason = '';
    try {
      opts.onMessage(s.message, s.data);
    } catch (err) {
      ok = false;
      reason = (err as Error).message;
      log.warn('failed to process Raft message', { 'local-member-id': localHex, 'remote-snapshot-sender-id': idToHex(h.from), error: reason });
    }
    socket.write(encodeSnapshotResult(ok, reason));
  };

  const onFrame = (frame: Frame): void => {
    if (hello === null) {
      if (frame.type !== FrameType.Hello) throw new Error(`expected hello, got frame type ${frame.type}`);
      return onHello(decodeHello(frame.body));
    }
    const h = hello;
    if (h.kind === ConnectionKind.Stream) {
      if (frame.type === FrameType.RaftMessage) return onRaftMessage(h, frame.body);
      if (frame.type === FrameType.Request) return onRequest(h, frame.body);
    } else {
      if (frame.type === FrameType.SnapshotHeader) return onSnapshotHeader(h, frame.body);
      if (frame.type === FrameType.SnapshotChunk) return onSnapshotChunk(h, frame.body);
    }
    throw new Error(`unexpected frame type ${frame.type}`);
  };

  socket.on('data', (chunk: Buffer) => {
    if (refused) return;
    opts.onBytesReceived(hello?.from ?? null, chunk.length);
    try {
      for (const frame of reader.push(chunk)) {
        if (socket.destroyed || refused) return;
        onFrame(frame);
      }
    } catch (err) {
      log.warn('closed peer connection after a protocol error', {
        'local-member-id': localHex,
        'remote-peer-id': hello === null ? '' : idToHex(hello.from),
        error: (err as Error).message,
      });
      opts.onReceiveFailure(hello?.from ?? null);
      socket.destroy();
    }
  });
  socket.on('error', () => {
    // 'close' follows; a peer going away is routine.
  });
  socket.on('close', () => {
    clearTimeout(handshakeTimer);
    if (lingerTimer !== null) clearTimeout(lingerTimer);
  });
}
