// Our persistent connection to one peer. It carries our raft messages and requests in order; the
// peer answers only the handshake and requests on it. It redials with backoff for as long as the
// peer is in the cluster, and never lets a slow peer grow memory: frames wait in a bounded queue
// and are written only when the socket has drained.

import type net from 'node:net';
import type { ParsedUrl } from '../config/urls.js';
import type { Logger } from '../logger.js';
import { idToHex } from '../membership/ids.js';
import { Backoff } from './backoff.js';
import type { PeerTls } from '../tls/peerTls.js';
import { UrlPicker } from './dialTarget.js';
import {
  ConnectionKind,
  decodeRejected,
  decodeResponse,
  encodeHello,
  encodeRequest,
  FrameReader,
  FrameType,
  PROTOCOL_VERSION,
  type Frame,
} from './frames.js';
import { dialPeer } from './peerSocket.js';
import { logRejection } from './rejection.js';
import { SendQueue, type QueuedFrame } from './sendQueue.js';
import { writeParts } from './socketWrite.js';
import { MAX_BATCH_BYTES, type PeerQueueLimits, type PeerTiming } from './timing.js';

export interface OutgoingStreamOptions {
  localId: bigint;
  clusterId: bigint;
  peerId: bigint;
  urls: readonly string[];
  /** Our own advertised peer URLs, told to the peer in the hello. */
  localPeerUrls: readonly string[];
  /** For https:// and unixs:// peer URLs. */
  tls: PeerTls | null;
  logger: Logger;
  timing: PeerTiming;
  limits: PeerQueueLimits;
  /** The connection was lost (raft should probe this peer again). */
  onDisconnected(): void;
  /** The stream became usable (hello accepted) or stopped being so. */
  onActiveChange(active: boolean): void;
  /** The peer refused us as a removed member. */
  onRemoved(): void;
  onBytesSent(n: number): void;
  onBytesReceived(n: number): void;
}

type State = 'idle' | 'connecting' | 'handshaking' | 'open' | 'waiting' | 'removed' | 'stopped';

interface PendingRequest {
  resolve(payload: Uint8Array): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

export class OutgoingStream {
  private state: State = 'idle';
  private socket: net.Socket | null = null;
  private readonly queue: SendQueue;
  private readonly picker: UrlPicker;
  private readonly backoff: Backoff;
  private readonly log: Logger;
  private waitingForDrain = false;
  private flushScheduled: NodeJS.Immediate | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stallTimer: NodeJS.Timeout | null = null;
  private lastError = '';
  private nextRequestId = 1;
  private readonly pending = new Map<number, PendingRequest>();

  constructor(private readonly opts: OutgoingStreamOptions) {
    this.queue = new SendQueue({ maxFrames: opts.limits.maxQueuedFrames, maxBytes: opts.limits.maxQueuedBytes });
    this.picker = new UrlPicker(opts.urls);
    this.backoff = new Backoff({ minMs: opts.timing.backoffMinMs, maxMs: opts.timing.backoffMaxMs });
    this.log = opts.logger;
  }

  get active(): boolean {
    return this.state === 'open';
  }

  /** Stopped, or the peer told us we were removed: nothing will be sent again. */
  get finished(): boolean {
    return this.state === 'stopped' || this.state === 'removed';
  }

  get queuedFrames(): number {
    return this.queue.length;
  }

  get queuedBytes(): number {
    return this.queue.byteLength;
  }

  /** The URL we dial now (snapshots use the same one). */
  get currentUrl(): ParsedUrl {
    return this.picker.current;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.dial();
  }

  /** Queues a frame; false when the queue is full (the frame is dropped) or the stream is over. */
  enqueue(frame: QueuedFrame): boolean {
    if (this.state === 'stopped' || this.state === 'removed') return false;
    if (!this.queue.offer(frame)) return false;
    this.scheduleFlush();
    return true;
  }

  /**
   * Writes what is queued now rather than on the next turn of the event loop: the raft loop hands over
   * a whole Ready's messages at once, and a follower should start its fsync as early as the leader.
   */
  flushNow(): void {
    if (this.flushScheduled === null) return;
    clearImmediate(this.flushScheduled);
    this.flushScheduled = null;
    this.flush();
  }

  request(kind: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const peer = idToHex(this.opts.peerId);
    if (this.state === 'stopped' || this.state === 'removed') {
      return Promise.reject(new Error(`peer ${peer} is not reachable (transport stopped or member removed)`));
    }
    const id = this.nextRequestId;
    this.nextRequestId = this.nextRequestId >= 0xffffffff ? 1 : this.nextRequestId + 1;
    if (this.pending.has(id)) throw new Error(`invariant: request id ${id} to peer ${peer} still pending after wrap-around`);
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`request ${kind} to peer ${peer} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      if (!this.enqueue([encodeRequest({ id, kind, payload })])) {
        this.pending.delete(id);
        clearTimeout(timer);
        reject(new Error(`request ${kind} to peer ${peer} dropped: send queue is full`));
      }
    });
  }

  updateUrls(urls: readonly string[]): void {
    const currentGone = this.picker.update(urls);
    if (currentGone && this.socket !== null) this.socket.destroy(new Error('peer URLs changed'));
  }

  stop(): void {
    if (this.state === 'stopped') return;
    const wasOpen = this.state === 'open';
    this.state = 'stopped';
    if (wasOpen) this.opts.onActiveChange(false);
    this.clearTimers();
    this.socket?.destroy();
    this.socket = null;
    this.queue.clear();
    this.rejectPending(`peer ${idToHex(this.opts.peerId)} was stopped`);
  }

  private dial(): void {
    this.state = 'connecting';
    const url = this.picker.current;
    let socket: net.Socket;
    let readyEvent: 'connect' | 'secureConnect';
    try {
      ({ socket, readyEvent } = dialPeer(url, this.opts.tls));
    } catch (err) {
      this.lastError = (err as Error).message;
      this.picker.failed();
      this.scheduleRedial();
      return;
    }
    this.socket = socket;
    socket.setNoDelay(true);
    const reader = new FrameReader();
    this.timer = setTimeout(() => socket.destroy(new Error(`dial ${url.text} timed out`)), this.opts.timing.dialTimeoutMs);

    // Over TLS the dial timeout covers the handshake too.
    socket.on(readyEvent, () => {
      if (this.socket !== socket) return;
      this.clearTimer();
      socket.setKeepAlive(true, 5000);
      this.state = 'handshaking';
      const hello = encodeHello({
        version: PROTOCOL_VERSION,
        kind: ConnectionKind.Stream,
        clusterId: this.opts.clusterId,
        from: this.opts.localId,
        to: this.opts.peerId,
        peerUrls: this.opts.localPeerUrls,
      });
      socket.write(hello);
      this.opts.onBytesSent(hello.length);
      this.timer = setTimeout(
        () => socket.destroy(new Error(`peer did not answer the handshake within ${this.opts.timing.handshakeTimeoutMs} ms`)),
        this.opts.timing.handshakeTimeoutMs,
      );
    });
    socket.on('data', (chunk: Buffer) => {
      if (this.socket !== socket) return;
      this.opts.onBytesReceived(chunk.length);
      let frames: Frame[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        socket.destroy(err as Error);
        return;
      }
      for (const frame of frames) {
        if (this.socket !== socket) return;
        this.onFrame(socket, frame);
      }
    });
    socket.on('drain', () => {
      if (this.socket !== socket) return;
      this.waitingForDrain = false;
      this.clearStallTimer();
      this.flush();
    });
    socket.on('error', (err) => {
      this.lastError = err.message;
    });
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.onClosed();
    });
  }

  private onFrame(socket: net.Socket, frame: Frame): void {
    const peer = idToHex(this.opts.peerId);
    switch (frame.type) {
      case FrameType.HelloOk:
        if (this.state !== 'handshaking') {
          socket.destroy(new Error('unexpected handshake answer'));
          return;
        }
        this.clearTimer();
        this.state = 'open';
        this.backoff.reset();
        this.log.info('peer became active', { 'peer-id': peer });
        this.opts.onActiveChange(true);
        this.log.info('established TCP streaming connection with remote peer', {
          'stream-writer-type': 'stream Message',
          'local-member-id': idToHex(this.opts.localId),
          'remote-peer-id': peer,
        });
        this.flush();
        return;
      case FrameType.Removed:
        // The peer's verdict is final: stop dialing and tell the member.
        this.log.error('the member has been permanently removed from the cluster', {
          'local-member-id': idToHex(this.opts.localId),
          'remote-peer-id': peer,
        });
        this.state = 'removed';
        this.clearTimers();
        this.socket = null;
        socket.destroy();
        this.queue.clear();
        this.rejectPending(`peer ${peer} says this member was removed`);
        this.opts.onRemoved();
        return;
      case FrameType.Rejected: {
        const r = decodeRejected(frame.body);
        this.lastError = `peer ${peer} refused the connection: ${r.reason}`;
        logRejection(this.log, r, this.opts.localId, this.opts.clusterId, this.opts.peerId);
        socket.destroy();
        return;
      }
      case FrameType.Response: {
        const r = decodeResponse(frame.body);
        const p = this.pending.get(r.id);
        if (p === undefined) return; // timed out already
        this.pending.delete(r.id);
        clearTimeout(p.timer);
        if (r.error === null) p.resolve(r.payload);
        else p.reject(new Error(r.error));
        return;
      }
      default:
        socket.destroy(new Error(`unexpected frame type ${frame.type} on an outgoing stream`));
    }
  }

  private onClosed(): void {
    const wasOpen = this.state === 'open';
    this.socket = null;
    this.waitingForDrain = false;
    this.clearTimers();
    if (this.state === 'stopped' || this.state === 'removed') return;
    const peer = idToHex(this.opts.peerId);
    if (wasOpen) {
      this.opts.onActiveChange(false);
      this.log.warn('peer became inactive (message send to peer failed)', {
        'peer-id': peer,
        error: `failed to write ${peer} on stream Message (${this.lastError || 'connection closed'})`,
      });
      this.rejectPending(`connection to peer ${peer} was lost`);
    } else {
      this.log.debug('failed to dial remote peer', { 'remote-peer-id': peer, url: this.picker.current.text, error: this.lastError });
      this.picker.failed();
    }
    this.lastError = '';
    this.opts.onDisconnected();
    this.scheduleRedial();
  }

  private scheduleRedial(): void {
    this.state = 'waiting';
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.state === 'waiting') this.dial();
    }, this.backoff.next());
  }

  private scheduleFlush(): void {
    if (this.flushScheduled !== null || this.state !== 'open') return;
    // Frames queued in the same turn of the event loop leave in one write.
    this.flushScheduled = setImmediate(() => {
      this.flushScheduled = null;
      this.flush();
    });
  }

  private flush(): void {
    const socket = this.socket;
    if (socket === null || this.state !== 'open') return;
    while (!this.waitingForDrain && this.queue.length > 0) {
      const batch = this.queue.takeBatch(MAX_BATCH_BYTES);
      const parts = batch.length === 1 ? batch[0]! : batch.flat();
      let bytes = 0;
      for (const part of parts) bytes += part.length;
      this.opts.onBytesSent(bytes);
      if (!writeParts(socket, parts)) {
        this.waitingForDrain = true;
        this.stallTimer = setTimeout(() => {
          this.stallTimer = null;
          socket.destroy(new Error(`write stalled for ${this.opts.timing.writeStallTimeoutMs} ms`));
        }, this.opts.timing.writeStallTimeoutMs);
      }
    }
  }

  private rejectPending(reason: string): void {
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
  }

  private clearTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private clearStallTimer(): void {
    if (this.stallTimer !== null) clearTimeout(this.stallTimer);
    this.stallTimer = null;
  }

  private clearTimers(): void {
    this.clearTimer();
    this.clearStallTimer();
    if (this.flushScheduled !== null) clearImmediate(this.flushScheduled);
    this.flushScheduled = null;
  }
}
