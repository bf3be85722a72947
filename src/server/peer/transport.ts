// The peer transport: raft messages, snapshots and forwarded requests between members over TCP (TLS
// for https:// and unixs://) on the peer URLs. Each member dials every peer once for its own traffic (OutgoingStream) and accepts
// the connections its peers dial to it (incomingConnection), so the two directions never wait on
// each other. Snapshots travel on connections of their own (snapshotSender).

import type net from 'node:net';
import type { PeerCertificate } from 'node:tls';
import type { ParsedUrl } from '../config/urls.js';
import type { Logger } from '../logger.js';
import { idToHex } from '../membership/ids.js';
import { encodeMessage, MessageType, type Message } from '../../raft/index.js';
import { ConnectionKind, frameForQueue, FrameType } from './frames.js';
import type { PeerTls } from '../tls/peerTls.js';
import { serveIncomingConnection } from './incomingConnection.js';
import { NO_PEER_METRICS, type PeerMetricsSink } from './metrics.js';
import { OutgoingStream } from './outgoingStream.js';
import { createPeerServer } from './peerSocket.js';
import { sendSnapshotOnce, type SnapshotTransfer } from './snapshotSender.js';
import { DEFAULT_QUEUE_LIMITS, DEFAULT_TIMING, type PeerQueueLimits, type PeerTiming } from './timing.js';

export interface PeerTransportOptions {
  localId: bigint;
  clusterId: bigint;
  /** --listen-peer-urls; port 0 allowed in tests. */
  listenUrls: readonly ParsedUrl[];
  /**
   * --initial-advertise-peer-urls: told to every peer we dial, so one that does not know us yet
   * (behind on membership) can still answer us. Optional; without it such a peer cannot.
   */
  advertisePeerUrls?: readonly string[];
  logger: Logger;
  /** A raft message arrived; for MsgSnap, `snapshotData` carries the state that goes with it. */
  onMessage(message: Message, snapshotData: Uint8Array | null): void;
  /** A peer could not be reached / its queue overflowed (raft's ReportUnreachable). */
  onUnreachable(peer: bigint): void;
  /** Is this sender removed from the cluster? Then its connection is refused with a "removed" frame. */
  isRemoved(peer: bigint): boolean;
  /** A peer told us we were removed: the member must stop. */
  onRemovedFromCluster(): void;
  /** Answers a peer's request (used to forward lease keep-alives / time-to-live to the leader). */
  onRequest(from: bigint, kind: string, payload: Uint8Array): Promise<Uint8Array>;
  /**
   * Outcome of a MsgSnap given to send() rather than sendSnapshot() (raft's ReportSnapshot).
   * Without it a failed transfer is reported through onUnreachable only.
   */
  onSnapshotStatus?(peer: bigint, ok: boolean): void;
  /** Answers joining members' discovery (see discovery.ts). */
  describeCluster?(): Uint8Array;
  timing?: Partial<PeerTiming>;
  queueLimits?: Partial<PeerQueueLimits>;
  /** etcd_network_* peer metrics; `peerMetricsFor(createMetrics().network)` feeds the member's registry. */
  metrics?: PeerMetricsSink;
  /**
   * Peer TLS (peerTlsFromConfig): needed to listen on or dial https:// and unixs:// URLs. The caller
   * owns it (stops its file polling).
   */
  tls?: PeerTls;
}

/** Counters per peer (for metrics: etcd_network_peer_sent_bytes_total and friends). */
export interface PeerStats {
  sentBytes: number;
  receivedBytes: number;
  droppedMessages: number;
  queuedFrames: number;
  queuedBytes: number;
}

interface PeerCounters {
  sentBytes: number;
  receivedBytes: number;
  droppedMessages: number;
  droppedSinceLog: number;
  lastDropLogAt: number;
}

interface PeerEntry extends PeerCounters {
  stream: OutgoingStream;
}

const DROP_LOG_INTERVAL_MS = 1000;

export class PeerTransport {
  readonly boundPorts: number[] = [];
  private readonly timing: PeerTiming;
  private readonly limits: PeerQueueLimits;
  private readonly log: Logger;
  private readonly metrics: PeerMetricsSink;
  private readonly localHex: string;
  private readonly servers: net.Server[] = [];
  private readonly peers = new Map<bigint, PeerEntry>();
  /**
   * Senders that dialed us before we knew them as members (etcd's "remotes"): we can answer them,
   * but they are not peers until addPeer.
   */
  private readonly remotes = new Map<bigint, PeerEntry>();
  /** Accepted message streams by sender; a newer one from the same sender replaces the older. */
  private readonly incomingStreams = new Map<bigint, net.Socket>();
  private readonly incomingSockets = new Set<net.Socket>();
  private readonly connections = new Set<net.Socket>();
  private readonly snapshots = new Set<SnapshotTransfer>();
  private state: 'new' | 'starting' | 'running' | 'stopped' = 'new';
  private removedReported = false;

  constructor(private readonly opts: PeerTransportOptions) {
    this.timing = { ...DEFAULT_TIMING, ...opts.timing };
    this.limits = { ...DEFAULT_QUEUE_LIMITS, ...opts.queueLimits };
    this.log = opts.logger;
    this.metrics = opts.metrics ?? NO_PEER_METRICS;
    this.localHex = idToHex(opts.localId);
    if (opts.localId === 0n) throw new Error('invariant: the local member ID must not be 0');
  }

  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error(`peer transport cannot start: it is ${this.state}`);
    this.state = 'starting';
    for (const url of this.opts.listenUrls) {
      let server: net.Server;
      try {
        server = createPeerServer(url, this.opts.tls ?? null, this.timing.handshakeTimeoutMs, {
          accept: (socket) => this.accept(socket),
          rejected: (remoteAddr, serverName, reason, cert) => this.rejected(remoteAddr, serverName, reason, cert),
        });
        // Every connection from its first byte (for TLS, before the handshake): stop() closes them
        // all rather than wait for handshakes in progress.
        server.on('connection', (raw: net.Socket) => {
          this.connections.add(raw);
          raw.once('close', () => this.connections.delete(raw));
        });
        await listen(server, url);
      } catch (err) {
        // Leave nothing listening behind a failed start (the member exits on this error).
        await this.stop();
        throw err;
      }
      if (this.isStopped()) {
        // stop() ran while we were binding: it could not close what was not yet listening.
        await new Promise<void>((resolve) => server.close(() => resolve()));
        return;
      }
      this.servers.push(server);
      const address = server.address();
      this.boundPorts.push(address !== null && typeof address === 'object' ? address.port : 0);
      this.log.info('listening for peers', { address: url.text, port: this.boundPorts[this.boundPorts.length - 1] });
    }
    this.state = 'running';
  }

  private isStopped(): boolean {
    return this.state === 'stopped';
  }

  addPeer(id: bigint, peerUrls: readonly string[]): void {
    if (id === this.opts.localId) throw new Error(`invariant: member ${idToHex(id)} cannot be its own peer`);
    if (this.state === 'stopped' || this.peers.has(id)) return;
    const remote = this.remotes.get(id);
    if (remote !== undefined) {
      // Keep its connection; the member's own URLs replace the ones it advertised.
      this.remotes.delete(id);
      remote.stream.updateUrls(peerUrls);
      this.peers.set(id, remote);
    } else {
      this.peers.set(id, this.createEntry(id, peerUrls));
    }
    this.log.info('added remote peer', { 'local-member-id': idToHex(this.opts.localId), 'remote-peer-id': idToHex(id), 'remote-peer-urls': peerUrls });
  }

  private addRemote(id: bigint, peerUrls: readonly string[]): void {
    if (id === this.opts.localId || this.state === 'stopped' || this.peers.has(id) || this.remotes.has(id)) return;
    let entry: PeerEntry;
    try {
      entry = this.createEntry(id, peerUrls);
    } catch (err) {
      this.log.warn('ignored advertised peer URLs of an unknown sender', { 'remote-peer-id': idToHex(id), 'remote-peer-urls': peerUrls, error: (err as Error).message });
      return;
    }
    this.remotes.set(id, entry);
    this.log.info('added new remote peer', { 'local-member-id': idToHex(this.opts.localId), 'remote-peer-id': idToHex(id), 'remote-peer-urls': peerUrls });
  }

  private createEntry(id: bigint, peerUrls: readonly string[]): PeerEntry {
    const counters: PeerCounters = { sentBytes: 0, receivedBytes: 0, droppedMessages: 0, droppedSinceLog: 0, lastDropLogAt: 0 };
    const hex = idToHex(id);
    const stream = new OutgoingStream({
      localId: this.opts.localId,
      clusterId: this.opts.clusterId,
      peerId: id,
      urls: peerUrls,
      localPeerUrls: this.opts.advertisePeerUrls ?? [],
      tls: this.opts.tls ?? null,
      logger: this.log,
      timing: this.timing,
      limits: this.limits,
      onDisconnected: () => this.opts.onUnreachable(id),
      onActiveChange: (active) => this.metrics.activeChanged(this.localHex, hex, active),
      onRemoved: () => this.reportRemoved(),
      onBytesSent: (n) => {
        counters.sentBytes += n;
        this.metrics.sentBytes(hex, n);
      },
      onBytesReceived: (n) => {
        counters.receivedBytes += n;
        this.metrics.receivedBytes(hex, n);
      },
    });
    stream.start();
    return Object.assign(counters, { stream });
  }

  updatePeer(id: bigint, peerUrls: readonly string[]): void {
    const entry = this.peers.get(id);
    if (entry === undefined) return this.addPeer(id, peerUrls);
    entry.stream.updateUrls(peerUrls);
    this.log.info('updated remote peer', { 'local-member-id': idToHex(this.opts.localId), 'remote-peer-id': idToHex(id), 'remote-peer-urls': peerUrls });
  }

  removePeer(id: bigint): void {
    this.remotes.get(id)?.stream.stop();
    this.remotes.delete(id);
    const entry = this.peers.get(id);
    if (entry !== undefined) {
      entry.stream.stop();
      this.peers.delete(id);
      this.log.info('removed remote peer', { 'local-member-id': idToHex(this.opts.localId), 'removed-remote-peer-id': idToHex(id) });
    }
    // Its next dial meets isRemoved (if the member was removed) and is told so.
    this.incomingStreams.get(id)?.destroy();
    this.incomingStreams.delete(id);
  }

  send(messages: readonly Message[]): void {
    const touched = new Set<PeerEntry>();
    for (const m of messages) {
      if (m.to === this.opts.localId) throw new Error(`invariant: raft message ${MessageType[m.type]} addressed to the local member`);
      // The receiver checks this against the connection's hello and would drop the connection.
      if (m.from !== this.opts.localId) throw new Error(`invariant: raft message ${MessageType[m.type]} from ${idToHex(m.from)} sent by member ${this.localHex}`);
      if (m.type === MessageType.MsgSnap) {
        // The state travels as the snapshot's data stream, not a second time inside the message.
        const snapshot = m.snapshot;
        if (snapshot === undefined) throw new Error('invariant: MsgSnap without a snapshot');
        const header: Message = { ...m, snapshot: { ...snapshot, data: new Uint8Array(0) } };
        this.sendSnapshot(header, snapshot.data, (ok) => {
          if (this.opts.onSnapshotStatus !== undefined) this.opts.onSnapshotStatus(m.to, ok);
        });
        continue;
      }
      const entry = this.peers.get(m.to) ?? this.remotes.get(m.to);
      if (entry === undefined) {
        this.log.debug('ignored message send request; unknown remote peer target', { type: MessageType[m.type], 'unknown-target-peer-id': idToHex(m.to) });
        continue;
      }
      if (entry.stream.finished) continue; // we were removed: the member is stopping
      if (!entry.stream.enqueue(frameForQueue(FrameType.RaftMessage, encodeMessage(m)))) this.dropped(m, entry);
      else touched.add(entry);
    }
    for (const entry of touched) entry.stream.flushNow();
  }

  sendSnapshot(message: Message, data: Uint8Array, done: (ok: boolean) => void): void {
    if (message.type !== MessageType.MsgSnap) throw new Error(`invariant: sendSnapshot given ${MessageType[message.type]}`);
    const entry = this.peers.get(message.to) ?? this.remotes.get(message.to);
    if (entry === undefined || this.state === 'stopped') {
      this.log.warn('failed to send database snapshot', { 'remote-peer-id': idToHex(message.to), error: entry === undefined ? 'unknown peer' : 'transport stopped' });
      setImmediate(() => done(false));
      return;
    }
    const transfer = sendSnapshotOnce({
      localId: this.opts.localId,
      clusterId: this.opts.clusterId,
      url: entry.stream.currentUrl,
      localPeerUrls: this.opts.advertisePeerUrls ?? [],
      tls: this.opts.tls ?? null,
      message,
      data,
      logger: this.log,
      timing: this.timing,
      onRemoved: () => this.reportRemoved(),
      onBytesSent: (n) => {
        entry.sentBytes += n;
        this.metrics.sentBytes(idToHex(message.to), n);
      },
      done: (ok) => {
        this.snapshots.delete(transfer);
        if (!ok) this.metrics.sendFailure(idToHex(message.to));
        if (!ok && this.state !== 'stopped') this.opts.onUnreachable(message.to);
        done(ok);
      },
    });
    this.snapshots.add(transfer);
  }

  request(to: bigint, kind: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const entry = this.peers.get(to) ?? this.remotes.get(to);
    if (entry === undefined) return Promise.reject(new Error(`unknown peer ${idToHex(to)}`));
    return entry.stream.request(kind, payload, timeoutMs);
  }

  /** The peers added and not removed (for metrics and status). */
  peerIds(): bigint[] {
    return [...this.peers.keys()];
  }

  isActive(peer: bigint): boolean {
    return (this.peers.get(peer) ?? this.remotes.get(peer))?.stream.active ?? false;
  }

  stats(peer: bigint): PeerStats | null {
    const e = this.peers.get(peer) ?? this.remotes.get(peer);
    if (e === undefined) return null;
    return {
      sentBytes: e.sentBytes,
      receivedBytes: e.receivedBytes,
      droppedMessages: e.droppedMessages,
      queuedFrames: e.stream.queuedFrames,
      queuedBytes: e.stream.queuedBytes,
    };
  }

  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    for (const e of [...this.peers.values(), ...this.remotes.values()]) e.stream.stop();
    this.peers.clear();
    this.remotes.clear();
    for (const t of [...this.snapshots]) t.cancel();
    this.snapshots.clear();
    const closed = this.servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    for (const s of this.incomingSockets) s.destroy();
    this.incomingSockets.clear();
    for (const s of this.connections) s.destroy();
    this.connections.clear();
    this.incomingStreams.clear();
    await Promise.all(closed);
  }

  private accept(socket: net.Socket): void {
    if (this.state === 'stopped') {
      socket.destroy();
      return;
    }
    this.incomingSockets.add(socket);
    socket.on('close', () => {
      this.incomingSockets.delete(socket);
      for (const [id, s] of this.incomingStreams) if (s === socket) this.incomingStreams.delete(id);
    });
    serveIncomingConnection(socket, {
      localId: this.opts.localId,
      clusterId: this.opts.clusterId,
      logger: this.log,
      timing: this.timing,
      isRemoved: (peer) => this.opts.isRemoved(peer),
      onMessage: (m, data) => this.opts.onMessage(m, data),
      onRequest: (from, kind, payload) => this.opts.onRequest(from, kind, payload),
      ...(this.opts.describeCluster ? { describeCluster: this.opts.describeCluster } : {}),
      onAccepted: (hello, s) => {
        if (hello.kind !== ConnectionKind.Stream) return;
        if (!this.peers.has(hello.from) && hello.peerUrls.length > 0) this.addRemote(hello.from, hello.peerUrls);
        // A peer redials when it thinks its old connection died; ours may not have noticed yet.
        const older = this.incomingStreams.get(hello.from);
        this.incomingStreams.set(hello.from, s);
        older?.destroy();
      },
      onBytesReceived: (from, n) => {
        if (from === null) return;
        this.metrics.receivedBytes(idToHex(from), n);
        const e = this.peers.get(from) ?? this.remotes.get(from);
        if (e !== undefined) e.receivedBytes += n;
      },
      onReceiveFailure: (from) => this.metrics.receiveFailure(from === null ? '' : idToHex(from)),
    });
  }

  /** A TLS connection refused before any frame: etcd's log line, with the certificate's names. */
  private rejected(remoteAddr: string, serverName: string, reason: string, cert: PeerCertificate | null): void {
    const names: Record<string, string[]> = {};
    if (cert !== null) {
      const sans = (cert.subjectaltname ?? '').split(', ');
      names['ip-addresses'] = sans.filter((n) => n.startsWith('IP Address:')).map((n) => n.slice('IP Address:'.length));
      names['dns-names'] = sans.filter((n) => n.startsWith('DNS:')).map((n) => n.slice('DNS:'.length));
    }
    this.log.warn('rejected connection on peer endpoint', { 'remote-addr': remoteAddr, 'server-name': serverName, ...names, error: reason });
  }

  private dropped(m: Message, entry: PeerEntry): void {
    entry.droppedMessages++;
    this.metrics.sendFailure(idToHex(m.to));
    entry.droppedSinceLog++;
    const now = Date.now();
    if (now - entry.lastDropLogAt >= DROP_LOG_INTERVAL_MS) {
      this.log.warn('dropped internal Raft message since sending buffer is full (overloaded network)', {
        'message-type': MessageType[m.type],
        'local-member-id': idToHex(this.opts.localId),
        from: idToHex(m.from),
        'remote-peer-id': idToHex(m.to),
        'remote-peer-active': entry.stream.active,
        'dropped-since-last-report': entry.droppedSinceLog,
      });
      entry.lastDropLogAt = now;
      entry.droppedSinceLog = 0;
    }
    this.opts.onUnreachable(m.to);
  }

  private reportRemoved(): void {
    if (this.removedReported || this.state === 'stopped') return;
    this.removedReported = true;
    this.opts.onRemovedFromCluster();
  }
}

function listen(server: net.Server, url: ParsedUrl): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    const done = (): void => {
      server.off('error', onError);
      resolve();
    };
    switch (url.scheme) {
      case 'http':
      case 'https':
        server.listen({ host: url.host, port: url.port }, done);
        return;
      case 'unix':
      case 'unixs':
        server.listen({ path: url.path }, done);
    }
  });
}
