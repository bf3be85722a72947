// One gRPC call on one HTTP/2 stream, shaped like grpc-js's server call objects as far as capstan's
// services use them: `request`, `metadata`, `getPeer()`, `getAuthContext()`, `cancelled`, `destroyed`,
// `write()` with backpressure ('drain'), `end()`, `destroy(error)`, events 'data', 'end', 'cancelled',
// 'error', 'close', and the unary callback. Unlike grpc-js, a unary answer goes out as headers, the
// message and the trailers in one turn of the event loop.
import { EventEmitter } from 'node:events';
import type { PeerCertificate } from 'node:tls';
import { type Metadata, type MethodDefinition, status } from '@grpc/grpc-js';
import type { H2Stream } from '../h2/h2Stream.js';
import { encodeHeaderBlock } from '../h2/hpack.js';
import type { RequestHeaders } from '../h2/requestHeaders.js';
import { metadataFromHeaders } from './callMetadata.js';
import { encodeGrpcMessage, statusOf, type WireStatus } from './grpcStatus.js';
import { frameMessage } from './messageFraming.js';

/** What the connection tells every call on it about its transport. */
export interface TransportInfo {
  readonly peer: string;
  readonly authContext: { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate };
}

type Field = readonly [string, string];

const RESPONSE_FIELDS: readonly Field[] = [
  [':status', '200'],
  ['content-type', 'application/grpc'],
];
/** The blocks of every successful call, encoded once (the encoder keeps no state). */
const RESPONSE_HEADERS = encodeHeaderBlock(RESPONSE_FIELDS);
const OK_TRAILERS = encodeHeaderBlock([['grpc-status', '0']]);
const TRAILERS_ONLY_OK = encodeHeaderBlock([...RESPONSE_FIELDS, ['grpc-status', '0']]);

function statusFields(s: WireStatus): Field[] {
  const fields: Field[] = [['grpc-status', String(s.code)]];
  if (s.details !== '') fields.push(['grpc-message', encodeGrpcMessage(s.details)]);
  return fields;
}

export class WireCall<Req, Res> extends EventEmitter {
  request: Req | undefined = undefined;
  cancelled = false;
  private headersSent = false;
  /** Set once the call's status is decided (sent, or the stream is gone): nothing more goes out. */
  private finished = false;
  private deadlineTimer: NodeJS.Timeout | null = null;
  private cachedMetadata: Metadata | null = null;

  constructor(
    private readonly stream: H2Stream,
    private readonly headers: RequestHeaders,
    private readonly method: MethodDefinition<Req, Res>,
    private readonly transport: TransportInfo,
  ) {
    super();
    // grpc-js's convention: a handler emitting 'error' ({code, details}) ends the call with that status.
    this.on('error', (error: unknown) => this.sendStatus(statusOf(error)));
    // A reset by the client, or the connection going, closes the stream.
    stream.onClose = () => this.onStreamClose();
  }

  get metadata(): Metadata {
    this.cachedMetadata ??= metadataFromHeaders(this.headers);
    return this.cachedMetadata;
  }

  get destroyed(): boolean {
    return this.finished;
  }

  getPeer(): string {
    return this.transport.peer;
  }

  getAuthContext(): TransportInfo['authContext'] {
    return this.transport.authContext;
  }

  getPath(): string {
    return this.method.path;
  }

  /** Ends the call with DEADLINE_EXCEEDED after `ms` unless it finished first (grpc-timeout). */
  setDeadline(ms: number): void {
    this.deadlineTimer = setTimeout(() => {
      this.deadlineTimer = null;
      if (this.finished) return;
      this.sendStatus({ code: status.DEADLINE_EXCEEDED, details: 'Deadline exceeded' });
      this.cancelled = true;
      this.emit('cancelled', 'deadline');
    }, ms);
  }

  /** Delivers one client message of a bidi call to the handler. */
  deliver(message: Req): void {
    if (!this.finished) this.emit('data', message);
  }

  /** The client half-closed a bidi call. */
  deliverEnd(): void {
    if (!this.finished) this.emit('end');
  }

  /** The unary handler's callback (grpc-js's sendUnaryData). */
  readonly sendUnary = (error: unknown, value?: Res | null): void => {
    if (this.finished) return;
    if (error !== null && error !== undefined) {
      this.sendStatus(statusOf(error));
      return;
    }
    let framed: Buffer;
    try {
      framed = frameMessage(this.method.responseSerialize(value as Res));
    } catch (e) {
      this.sendStatus({ code: status.INTERNAL, details: `capstan: cannot serialize the response: ${statusOf(e).details}` });
      return;
    }
    if (!this.streamOpen()) return;
    this.finished = true;
    this.clearDeadline();
    this.headersSent = true;
    this.stream.respond(RESPONSE_HEADERS, false);
    this.stream.write(framed);
    this.stream.end(OK_TRAILERS);
  };

  /** Writes one response message; false asks the caller to wait for 'drain'. */
  write(message: Res, callback?: (error?: Error | null) => void): boolean {
    if (this.finished || !this.streamOpen()) return false;
    const framed = frameMessage(this.method.responseSerialize(message));
    this.sendHeaders();
    const more = this.stream.write(framed);
    // The bytes are the connection's now: it writes them in order or the stream ends.
    if (callback) process.nextTick(callback);
    return more;
  }

  /**
   * Stops reading the client's messages (grpc-js's pause()): HTTP/2 flow control then holds the client
   * back, as etcd's blocked receive loop does when a watch stream's send buffer is full.
   */
  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  /** Ends a streaming call with OK after what was written. */
  end(): void {
    this.sendStatus({ code: status.OK, details: '' });
  }

  /** Ends the call with the error's status (grpc-js: destroy(error)), CANCELLED without one. */
  destroy(error?: unknown): void {
    this.sendStatus(error === undefined ? { code: status.CANCELLED, details: 'Cancelled on the server side' } : statusOf(error));
  }

  /** Ends the call with `s`: a trailers-only response when nothing was sent yet. */
  sendStatus(s: WireStatus): void {
    if (this.finished) return;
    this.finished = true;
    this.clearDeadline();
    if (!this.streamOpen()) return;
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond(s.code === status.OK && s.details === '' ? TRAILERS_ONLY_OK : encodeHeaderBlock([...RESPONSE_FIELDS, ...statusFields(s)]), true);
      return;
    }
    this.stream.end(s.code === status.OK && s.details === '' ? OK_TRAILERS : encodeHeaderBlock(statusFields(s)));
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    this.stream.onDrain = () => this.emit('drain');
    this.stream.respond(RESPONSE_HEADERS, false);
  }

  private streamOpen(): boolean {
    return !this.stream.closed;
  }

  private clearDeadline(): void {
    if (this.deadlineTimer !== null) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = null;
  }

  private onStreamClose(): void {
    this.clearDeadline();
    if (!this.finished) {
      // The client reset the stream (or the connection went) before the call had a status.
      this.finished = true;
      this.cancelled = true;
      this.emit('cancelled', 'cancelled');
    }
    this.emit('close');
  }
}
