// The peer wire format. Every frame is
//   u32 body length (big-endian) | u8 frame type | body
// so a reader can skip to the next frame without understanding the body, and batches of frames
// are just concatenated bytes (one socket write carries many).

export enum FrameType {
  /** Dialer → listener, first frame on every connection. */
  Hello = 1,
  /** Listener → dialer: the hello was accepted. */
  HelloOk = 2,
  /** Listener → dialer: the dialer was removed from the cluster; the connection closes. */
  Removed = 3,
  /** Listener → dialer: refused (cluster ID mismatch...), with the listener's cluster ID; the connection closes. */
  Rejected = 4,
  /** One raft message (src/raft encodeMessage bytes). */
  RaftMessage = 5,
  Request = 6,
  Response = 7,
  /** Opens a snapshot transfer: the MsgSnap and the length of the state that follows. */
  SnapshotHeader = 8,
  SnapshotChunk = 9,
  /** Listener → dialer: the snapshot was received and handed to raft (or not). */
  SnapshotResult = 10,
  /** Listener → a joining member that sent an all-zero hello: the cluster's ID and members (JSON). */
  ClusterInfo = 11,
}

export const FRAME_HEADER_BYTES = 5;
/** Sanity bound: a corrupt or hostile length must not make us buffer gigabytes. */
export const MAX_FRAME_BODY_BYTES = 512 * 1024 * 1024;
export const PROTOCOL_VERSION = 1;

export enum ConnectionKind {
  /** The long-lived connection carrying raft messages and requests. */
  Stream = 1,
  /** A connection carrying one snapshot, then closed. */
  Snapshot = 2,
}

export class FrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrameError';
  }
}

export function encodeFrame(type: FrameType, body: Uint8Array): Buffer {
  if (body.length > MAX_FRAME_BODY_BYTES) throw new FrameError(`frame body of ${body.length} bytes exceeds ${MAX_FRAME_BODY_BYTES}`);
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  frame.writeUInt8(type, 4);
  frame.set(body, FRAME_HEADER_BYTES);
  return frame;
}

/** The frame as [header, body]: the body is not copied (big raft messages and snapshot chunks). */
export function frameParts(type: FrameType, body: Uint8Array): [Buffer, Uint8Array] {
  if (body.length > MAX_FRAME_BODY_BYTES) throw new FrameError(`frame body of ${body.length} bytes exceeds ${MAX_FRAME_BODY_BYTES}`);
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  header.writeUInt8(type, 4);
  return [header, body];
}

/** A frame ready to queue: small bodies are copied into one buffer, large ones are not copied at all. */
export function frameForQueue(type: FrameType, body: Uint8Array): Uint8Array[] {
  return body.length < COPY_BELOW_BYTES ? [encodeFrame(type, body)] : frameParts(type, body);
}
const COPY_BELOW_BYTES = 16 * 1024;

export interface Frame {
  type: FrameType;
  body: Buffer;
}

const KNOWN_TYPES: ReadonlySet<number> = new Set(
  Object.values(FrameType).filter((v): v is number => typeof v === 'number'),
);

/**
 * Splits a byte stream into frames. Bytes are kept as the chunks that arrived and joined only once a
 * whole frame is present, so a multi-megabyte frame arriving in 64 KiB reads is copied once.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  /** Adds bytes; returns the frames completed by them. Throws FrameError on a malformed stream. */
  push(chunk: Buffer): Frame[] {
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Frame[] = [];
    while (this.buffered >= FRAME_HEADER_BYTES) {
      const header = this.peek(FRAME_HEADER_BYTES);
      const bodyLength = header.readUInt32BE(0);
      const type = header.readUInt8(4);
      if (bodyLength > MAX_FRAME_BODY_BYTES) throw new FrameError(`frame body of ${bodyLength} bytes exceeds ${MAX_FRAME_BODY_BYTES}`);
      if (!KNOWN_TYPES.has(type)) throw new FrameError(`unknown frame type ${type}`);
      if (this.buffered < FRAME_HEADER_BYTES + bodyLength) break;
      const whole = this.take(FRAME_HEADER_BYTES + bodyLength);
      frames.push({ type: type as FrameType, body: whole.subarray(FRAME_HEADER_BYTES) });
    }
    return frames;
  }

  get pendingBytes(): number {
    return this.buffered;
  }

  private peek(n: number): Buffer {
    const first = this.chunks[0]!;
    if (first.length >= n) return first;
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }

  private take(n: number): Buffer {
    let first = this.chunks[0]!;
    if (first.length < n) {
      // Join only as many chunks as the frame needs.
      let joined = 0;
      let count = 0;
      while (joined < n) joined += this.chunks[count++]!.length;
      first = Buffer.concat(this.chunks.slice(0, count));
      this.chunks.splice(0, count, first);
    }
    const out = first.subarray(0, n);
    if (first.length === n) this.chunks.shift();
    else this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return out;
  }
}

// ---- bodies ----

export interface Hello {
  version: number;
  kind: ConnectionKind;
  clusterId: bigint;
  from: bigint;
  to: bigint;
  /**
   * The sender's advertised peer URLs (etcd's X-PeerURLs), so a receiver that does not know the
   * sender yet (it is behind on membership) can still answer it.
   */
  peerUrls: readonly string[];
}

const HELLO_FIXED_BYTES = 2 + 3 * 8;

export function encodeHello(h: Hello): Buffer {
  const urls = Buffer.from(h.peerUrls.join(','), 'utf8');
  const b = Buffer.allocUnsafe(HELLO_FIXED_BYTES + urls.length);
  b.writeUInt8(h.version, 0);
  b.writeUInt8(h.kind, 1);
  b.writeBigUInt64BE(h.clusterId, 2);
  b.writeBigUInt64BE(h.from, 10);
  b.writeBigUInt64BE(h.to, 18);
  b.set(urls, HELLO_FIXED_BYTES);
  return encodeFrame(FrameType.Hello, b);
}

export function decodeHello(body: Buffer): Hello {
  if (body.length < HELLO_FIXED_BYTES) throw new FrameError(`hello of ${body.length} bytes, want at least ${HELLO_FIXED_BYTES}`);
  const kind = body.readUInt8(1);
  if (kind !== ConnectionKind.Stream && kind !== ConnectionKind.Snapshot) throw new FrameError(`unknown connection kind ${kind}`);
  const urls = body.subarray(HELLO_FIXED_BYTES).toString('utf8');
  return {
    version: body.readUInt8(0),
    kind,
    clusterId: body.readBigUInt64BE(2),
    from: body.readBigUInt64BE(10),
    to: body.readBigUInt64BE(18),
    peerUrls: urls === '' ? [] : urls.split(','),
  };
}

/** The Removed body is a UTF-8 reason. */
export function encodeRemoved(text: string): Buffer {
  return encodeFrame(FrameType.Removed, Buffer.from(text, 'utf8'));
}

export const REJECT_CLUSTER_ID_MISMATCH = 'cluster ID mismatch';
export const REJECT_INCOMPATIBLE_VERSION = 'incompatible version';
export const REJECT_TO_MISMATCH = 'to field mismatch';

export interface Rejection {
  /** The refusing member's cluster ID (etcd answers X-Etcd-Cluster-ID), for the dialer's log. */
  clusterId: bigint;
  reason: string;
}

export function encodeRejected(r: Rejection): Buffer {
  const reason = Buffer.from(r.reason, 'utf8');
  const b = Buffer.allocUnsafe(8 + reason.length);
  b.writeBigUInt64BE(r.clusterId, 0);
  b.set(reason, 8);
  return encodeFrame(FrameType.Rejected, b);
}

export function decodeRejected(body: Buffer): Rejection {
  if (body.length < 8) throw new FrameError('short rejection frame');
  return { clusterId: body.readBigUInt64BE(0), reason: body.subarray(8).toString('utf8') };
}

export interface RequestFrame {
  id: number;
  kind: string;
  payload: Uint8Array;
}

export function encodeRequest(r: RequestFrame): Buffer {
  const kind = Buffer.from(r.kind, 'utf8');
  if (kind.length > 0xffff) throw new FrameError('request kind longer than 65535 bytes');
  const b = Buffer.allocUnsafe(4 + 2 + kind.length + r.payload.length);
  b.writeUInt32BE(r.id, 0);
  b.writeUInt16BE(kind.length, 4);
  b.set(kind, 6);
  b.set(r.payload, 6 + kind.length);
  return encodeFrame(FrameType.Request, b);
}

export function decodeRequest(body: Buffer): RequestFrame {
  if (body.length < 6) throw new FrameError('short request frame');
  const kindLength = body.readUInt16BE(4);
  if (body.length < 6 + kindLength) throw new FrameError('short request frame');
  return {
    id: body.readUInt32BE(0),
    kind: body.subarray(6, 6 + kindLength).toString('utf8'),
    payload: body.subarray(6 + kindLength),
  };
}

export interface ResponseFrame {
  id: number;
  /** When set, the request failed with this message and `payload` is empty. */
  error: string | null;
  payload: Uint8Array;
}

export function encodeResponse(r: ResponseFrame): Buffer {
  const rest = r.error === null ? r.payload : Buffer.from(r.error, 'utf8');
  const b = Buffer.allocUnsafe(5 + rest.length);
  b.writeUInt32BE(r.id, 0);
  b.writeUInt8(r.error === null ? 0 : 1, 4);
  b.set(rest, 5);
  return encodeFrame(FrameType.Response, b);
}

export function decodeResponse(body: Buffer): ResponseFrame {
  if (body.length < 5) throw new FrameError('short response frame');
  const failed = body.readUInt8(4) !== 0;
  const rest = body.subarray(5);
  return failed
    ? { id: body.readUInt32BE(0), error: rest.toString('utf8'), payload: new Uint8Array(0) }
    : { id: body.readUInt32BE(0), error: null, payload: rest };
}

export interface SnapshotHeader {
  /** encodeMessage bytes of the MsgSnap. */
  message: Uint8Array;
  dataLength: number;
}

export function encodeSnapshotHeader(h: SnapshotHeader): Buffer {
  const b = Buffer.allocUnsafe(8 + h.message.length);
  b.writeBigUInt64BE(BigInt(h.dataLength), 0);
  b.set(h.message, 8);
  return encodeFrame(FrameType.SnapshotHeader, b);
}

export function decodeSnapshotHeader(body: Buffer): SnapshotHeader {
  if (body.length < 8) throw new FrameError('short snapshot header');
  const dataLength = body.readBigUInt64BE(0);
  if (dataLength > BigInt(Number.MAX_SAFE_INTEGER)) throw new FrameError('snapshot length out of range');
  return { dataLength: Number(dataLength), message: body.subarray(8) };
}

export function encodeSnapshotResult(ok: boolean, reason: string): Buffer {
  return encodeFrame(FrameType.SnapshotResult, Buffer.concat([Buffer.of(ok ? 1 : 0), Buffer.from(reason, 'utf8')]));
}

export function decodeSnapshotResult(body: Buffer): { ok: boolean; reason: string } {
  if (body.length < 1) throw new FrameError('short snapshot result');
  return { ok: body.readUInt8(0) === 1, reason: body.subarray(1).toString('utf8') };
}
