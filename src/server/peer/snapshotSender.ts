// Sends one MsgSnap and its state on a connection of its own, so a multi-megabyte transfer never
// sits in front of heartbeats and appends on the peer's message stream. The peer answers once it
// has handed the whole snapshot to raft; only then is the transfer a success.

import type { Logger } from '../logger.js';
import { idToHex } from '../membership/ids.js';
import { encodeMessage, type Message } from '../../raft/index.js';
import type { ParsedUrl } from '../config/urls.js';
import type { PeerTls } from '../tls/peerTls.js';
import { dialPeer, type PeerDial } from './peerSocket.js';
import {
  ConnectionKind,
  decodeRejected,
  decodeSnapshotResult,
  encodeHello,
  encodeSnapshotHeader,
  FrameReader,
  frameParts,
  FrameType,
  PROTOCOL_VERSION,
  type Frame,
} from './frames.js';
import { logRejection } from './rejection.js';
import { writeParts } from './socketWrite.js';
import { SNAPSHOT_CHUNK_BYTES, type PeerTiming } from './timing.js';

export interface SnapshotSendOptions {
  localId: bigint;
  clusterId: bigint;
  url: ParsedUrl;
  localPeerUrls: readonly string[];
  /** For https:// and unixs:// peer URLs. */
  tls: PeerTls | null;
  message: Message;
  data: Uint8Array;
  logger: Logger;
  timing: PeerTiming;
  onRemoved(): void;
  onBytesSent(n: number): void;
  /** Called exactly once. */
  done(ok: boolean): void;
}

/** A snapshot transfer in flight; `cancel` fails it (done(false)) and closes its connection. */
export interface SnapshotTransfer {
  cancel(): void;
}

export function sendSnapshotOnce(opts: SnapshotSendOptions): SnapshotTransfer {
  const peer = idToHex(opts.message.to);
  const log = opts.logger;
  const index = opts.message.snapshot?.metadata.index ?? 0;
  let finished = false;
  let sent = 0;
  let stage: 'connecting' | 'handshaking' | 'streaming' | 'awaiting-result' = 'connecting';
  let lastError = '';
  let timer: NodeJS.Timeout | null = null;
  const reader = new FrameReader();
  const startedAt = Date.now();

  let dialled: PeerDial;
  try {
    dialled = dialPeer(opts.url, opts.tls);
  } catch (error) {
    // Same outcome as a refused dial, reported as asynchronously as one.
    log.warn('failed to send database snapshot', { 'remote-peer-id': peer, 'snapshot-index': index, error: (error as Error).message });
    setImmediate(() => opts.done(false));
    return { cancel: () => {} };
  }
  const { socket, readyEvent } = dialled;
  socket.setNoDelay(true);

  const finish = (ok: boolean, reason: string): void => {
    if (finished) return;
    finished = true;
    if (timer !== null) clearTimeout(timer);
    timer = null;
    socket.destroy();
    if (ok) {
      log.info('sent database snapshot', {
        'remote-peer-id': peer,
        'snapshot-index': index,
        bytes: opts.data.length,
        took: `${Date.now() - startedAt}ms`,
      });
    } else {
      log.warn('failed to send database snapshot', { 'remote-peer-id': peer, 'snapshot-index': index, error: reason });
    }
    opts.done(ok);
  };

  /** Restarts the no-progress clock; a transfer that stops moving for this long has failed. */
  const armTimer = (ms: number, what: string): void => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => finish(false, `${what} timed out after ${ms} ms`), ms);
  };

  const writeChunks = (): void => {
    while (sent < opts.data.length) {
      const end = Math.min(opts.data.length, sent + SNAPSHOT_CHUNK_BYTES);
      const parts = frameParts(FrameType.SnapshotChunk, opts.data.subarray(sent, end));
      sent = end;
      opts.onBytesSent(parts[0].length + parts[1].length);
      if (!writeParts(socket, parts)) {
        armTimer(opts.timing.writeStallTimeoutMs, 'snapshot write');
        return; // resumed on 'drain'
      }
    }
    stage = 'awaiting-result';
    // The receiver hands the snapshot to raft before answering; allow it the stall budget too.
    armTimer(opts.timing.writeStallTimeoutMs, 'waiting for the snapshot receipt');
  };

  const onFrame = (frame: Frame): void => {
    switch (frame.type) {
      case FrameType.HelloOk: {
        if (stage !== 'handshaking') return finish(false, 'unexpected handshake answer');
        stage = 'streaming';
        log.info('sending database snapshot', { 'remote-peer-id': peer, 'snapshot-index': index, bytes: opts.data.length });
        const header = encodeSnapshotHeader({ message: encodeMessage(opts.message), dataLength: opts.data.length });
        opts.onBytesSent(header.length);
        socket.write(header);
        writeChunks();
        return;
      }
      case FrameType.Removed:
        finish(false, 'this member was removed from the cluster');
        opts.onRemoved();
        return;
      case FrameType.Rejected: {
        const r = decodeRejected(frame.body);
        logRejection(log, r, opts.localId, opts.clusterId, opts.message.to);
        return finish(false, `peer refused the snapshot connection: ${r.reason}`);
      }
      case FrameType.SnapshotResult: {
        const r = decodeSnapshotResult(frame.body);
        if (stage !== 'awaiting-result') return finish(false, 'snapshot result before the snapshot was sent');
        return finish(r.ok, r.ok ? '' : `peer failed to take the snapshot: ${r.reason}`);
      }
      default:
        return finish(false, `unexpected frame type ${frame.type} on a snapshot connection`);
    }
  };

  armTimer(opts.timing.dialTimeoutMs, `dial ${opts.url.text}`);
  socket.on(readyEvent, () => {
    stage = 'handshaking';
    socket.setKeepAlive(true, 5000);
    const hello = encodeHello({
      version: PROTOCOL_VERSION,
      kind: ConnectionKind.Snapshot,
      clusterId: opts.clusterId,
      from: opts.localId,
      to: opts.message.to,
      peerUrls: opts.localPeerUrls,
    });
    opts.onBytesSent(hello.length);
    socket.write(hello);
    armTimer(opts.timing.handshakeTimeoutMs, 'snapshot handshake');
  });
  socket.on('data', (chunk: Buffer) => {
    if (finished) return;
    let frames: Frame[];
    try {
      frames = reader.push(chunk);
    } catch (err) {
      return finish(false, (err as Error).message);
    }
    for (const f of frames) {
      if (finished) return;
      onFrame(f);
    }
  });
  socket.on('drain', () => {
    if (finished || stage !== 'streaming') return;
    writeChunks();
  });
  socket.on('error', (err) => {
    lastError = err.message;
  });
  socket.on('close', () => finish(false, lastError || 'connection closed'));

  return { cancel: () => finish(false, 'transport stopped') };
}
