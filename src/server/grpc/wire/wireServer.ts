// capstan's client-facing gRPC server on its own HTTP/2 (h2/: h2c with prior knowledge, or TLS with
// ALPN h2), taking grpc-js service definitions and implementations unchanged. It keeps only what etcd's
// API needs: unary, server-streaming and bidi calls, deadlines, cancellation, receive limits, keepalive.
import * as http from 'node:http';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation, status } from '@grpc/grpc-js';
import type { ParsedUrl } from '../../config/urls.js';
import type { ReloadingServerCredentials } from '../../tls/reloadingCredentials.js';
import { PREFACE } from '../h2/frames.js';
import { H2Connection } from '../h2/h2Connection.js';
import type { H2Stream } from '../h2/h2Stream.js';
import { encodeHeaderBlock } from '../h2/hpack.js';
import { encodeGrpcMessage, parseGrpcTimeout, statusOf, WireStatusError } from './grpcStatus.js';
import { MessageDecoder } from './messageFraming.js';
import { type TransportInfo, WireCall } from './serverCall.js';

export interface WireServerOptions {
  maxReceiveMessageBytes: number;
  maxConcurrentStreams: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
  /**
   * Serves HTTP/1.x on the same listeners (etcd answers /health, /metrics, /version... on its client
   * URLs): a connection that does not open with the HTTP/2 preface, or negotiates ALPN http/1.1.
   */
  http1?: http.RequestListener;
}

/** grpc-js's words for bytes that are not the request message (clients and tests match on them). */
const UNDECODABLE = 'Error deserializing request';

type AnyCall = WireCall<unknown, unknown>;
/** A grpc-js handler seen from here: unary handlers take the callback, streaming ones ignore it. */
type Handler = (call: AnyCall, callback: AnyCall['sendUnary']) => void;

interface Route {
  readonly method: MethodDefinition<unknown, unknown>;
  readonly handler: Handler;
}

type Listener = net.Server | tls.Server;

/** Request windows: large enough that a big put is not paced by window updates. */
const STREAM_WINDOW_BYTES = 1024 * 1024;
const CONNECTION_WINDOW_BYTES = 16 * 1024 * 1024;
/** Largest request header block (grpc-go's default header list limit is 16 MiB; nghttp2's 64 KiB). */
const MAX_HEADER_BLOCK_BYTES = 1024 * 1024;

const NOT_POST = encodeHeaderBlock([[':status', '405']]);
const NOT_GRPC = encodeHeaderBlock([[':status', '415']]);

export class WireServer {
  private readonly routes = new Map<string, Route>();
  private readonly listeners: Listener[] = [];
  private readonly connections = new Set<H2Connection>();
  private readonly http1Sockets = new Set<net.Socket>();
  private readonly http1: http.Server | null;

  constructor(private readonly options: WireServerOptions) {
    this.http1 = options.http1 === undefined ? null : http.createServer(options.http1);
    // Probes and scrapes are short: an idle keep-alive connection is closed after 5 s.
    if (this.http1 !== null) this.http1.keepAliveTimeout = 5000;
  }

  addService(service: ServiceDefinition, implementation: UntypedServiceImplementation): void {
    for (const [name, method] of Object.entries(service)) {
      const impl = implementation[name] ?? implementation[method.originalName ?? ''];
      if (impl === undefined) continue; // grpc-js answers UNIMPLEMENTED for a method left out; so do we
      if (this.routes.has(method.path)) throw new Error(`invariant: ${method.path} added twice`);
      // The one cast between grpc-js's handler types and the calls built here: WireCall offers the
      // members of grpc-js's server calls that capstan's services use (see serverCall.ts).
      this.routes.set(method.path, { method: method as MethodDefinition<unknown, unknown>, handler: impl as unknown as Handler });
    }
  }

  /** Listens on an etcd client URL; resolves with the TCP port (0 for a unix socket). */
  bind(url: ParsedUrl, credentials: ReloadingServerCredentials | null): Promise<number> {
    let listener: Listener;
    if (credentials !== null) {
      const secure = tls.createServer({
        ...credentials.current(),
        ALPNProtocols: this.http1 === null ? ['h2'] : ['h2', 'http/1.1'],
        requestCert: credentials.requestCert,
        rejectUnauthorized: credentials.requestCert,
      });
      credentials.onReload((options) => secure.setSecureContext(options));
      secure.on('secureConnection', (socket: tls.TLSSocket) => {
        if (socket.alpnProtocol === 'h2') this.serveH2(socket, tlsTransport(socket));
        else if (socket.alpnProtocol === 'http/1.1') this.serveHttp1(socket, null);
        else this.onSocket(socket, tlsTransport(socket));
      });
      secure.on('tlsClientError', () => undefined);
      listener = secure;
    } else {
      listener = net.createServer((socket) => this.onSocket(socket, plainTransport(socket)));
    }
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      const ready = () => {
        listener.off('error', reject);
        // Errors after listening are per connection (handled there); keep the process alive.
        listener.on('error', () => undefined);
        this.listeners.push(listener);
        const address = listener.address();
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      };
      if (url.scheme === 'unix' || url.scheme === 'unixs') {
        listener.listen({ path: url.path }, ready);
      } else {
        const host = url.host === 'localhost' ? '127.0.0.1' : url.host;
        listener.listen({ host, port: url.port }, ready);
      }
    });
  }

  /** Stops listening and lets calls in flight finish (GOAWAY), then calls back. */
  tryShutdown(callback: () => void): void {
    let pending = this.listeners.length + this.connections.size;
    const done = () => {
      if (--pending === 0) callback();
    };
    if (pending === 0) {
      callback();
      return;
    }
    for (const l of this.listeners) l.close(() => done());
    for (const c of this.connections) {
      c.onClosed(done);
      c.close();
    }
    for (const socket of this.http1Sockets) socket.destroy();
  }

  /** Stops listening and drops every connection now. */
  forceShutdown(): void {
    for (const l of this.listeners) l.close();
    for (const c of this.connections) c.destroy();
    this.connections.clear();
    for (const socket of this.http1Sockets) socket.destroy();
  }

  /** A connection without ALPN: the HTTP/2 preface, or else HTTP/1.x when that is served. */
  private onSocket(socket: net.Socket, transport: TransportInfo): void {
    if (this.http1 === null) {
      this.serveH2(socket, transport);
      return;
    }
    let seen = Buffer.alloc(0);
    const sniff = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk]);
      const n = Math.min(seen.length, PREFACE.length);
      const h2 = seen.subarray(0, n).equals(PREFACE.subarray(0, n));
      if (h2 && n < PREFACE.length) return; // a prefix of the preface so far: wait for more
      socket.off('data', sniff);
      socket.pause();
      if (h2) this.serveH2(socket, transport, seen);
      else this.serveHttp1(socket, seen);
    };
    socket.on('data', sniff);
    socket.on('error', () => undefined);
  }

  private serveH2(socket: net.Socket, transport: TransportInfo, firstBytes: Buffer | null = null): void {
    socket.setNoDelay(true);
    const connection = new H2Connection(socket, {
      maxConcurrentStreams: this.options.maxConcurrentStreams,
      streamWindow: STREAM_WINDOW_BYTES,
      connectionWindow: CONNECTION_WINDOW_BYTES,
      maxHeaderBlockBytes: MAX_HEADER_BLOCK_BYTES,
      keepaliveIntervalMs: this.options.keepaliveIntervalMs,
      keepaliveTimeoutMs: this.options.keepaliveTimeoutMs,
      onStream: (stream) => this.onStream(stream, transport),
    });
    this.connections.add(connection);
    connection.onClosed(() => this.connections.delete(connection));
    if (firstBytes !== null) socket.unshift(firstBytes);
    socket.resume();
  }

  private serveHttp1(socket: net.Socket, firstBytes: Buffer | null): void {
    const server = this.http1;
    if (server === null) {
      socket.destroy();
      return;
    }
    this.http1Sockets.add(socket);
    socket.once('close', () => this.http1Sockets.delete(socket));
    if (firstBytes !== null) socket.unshift(firstBytes);
    server.emit('connection', socket);
    socket.resume();
  }

  private onStream(stream: H2Stream, transport: TransportInfo): void {
    const headers = stream.headers;
    const contentType = headers['content-type'];
    if (headers[':method'] !== 'POST' || typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      // Not gRPC: HTTP's answer, as grpc-go gives (415 for a wrong content type).
      stream.respond(headers[':method'] === 'POST' ? NOT_GRPC : NOT_POST, true);
      return;
    }
    const path = (headers[':path'] as string | undefined) ?? '';
    const route = this.routes.get(path);
    if (route === undefined) {
      stream.respond(
        encodeHeaderBlock([
          [':status', '200'],
          ['content-type', 'application/grpc'],
          ['grpc-status', String(status.UNIMPLEMENTED)],
          ['grpc-message', encodeGrpcMessage(`unknown method ${path}`)],
        ]),
        true,
      );
      return;
    }
    const call: AnyCall = new WireCall(stream, headers, route.method, transport);
    const timeout = parseGrpcTimeout(headers['grpc-timeout'] as string | undefined);
    if (timeout !== null) call.setDeadline(timeout);
    const decoder = new MessageDecoder(this.options.maxReceiveMessageBytes);
    const { method, handler } = route;
    let failed = false;
    const fail = (s: { code: number; details: string }, started: boolean) => {
      failed = true;
      call.sendStatus(s);
      if (started && !call.cancelled) {
        // The handler is running and did not choose this end: tell it as grpc-js would.
        call.cancelled = true;
        call.emit('cancelled', 'error');
      }
    };
    const invoke = () => {
      try {
        handler(call, call.sendUnary);
      } catch (error) {
        fail({ code: status.UNKNOWN, details: statusOf(error).details }, true);
      }
    };

    if (method.requestStream) {
      invoke();
      stream.onData = (chunk: Buffer) => {
        if (failed) return;
        let messages: Buffer[];
        try {
          messages = decoder.push(chunk);
        } catch (error) {
          fail(error instanceof WireStatusError ? error : statusOf(error), true);
          return;
        }
        for (const bytes of messages) {
          let message: unknown;
          try {
            message = method.requestDeserialize(bytes);
          } catch {
            fail({ code: status.INTERNAL, details: UNDECODABLE }, true);
            return;
          }
          call.deliver(message);
        }
      };
      stream.onEnd = () => {
        if (!failed) call.deliverEnd();
      };
      return;
    }

    // Unary and server-streaming calls: exactly one request message, then the client's end of stream.
    let request: Buffer | null = null;
    stream.onData = (chunk: Buffer) => {
      if (failed) return;
      try {
        const messages = decoder.push(chunk);
        if (messages.length > 1 || (messages.length === 1 && request !== null)) {
          throw new WireStatusError(status.UNIMPLEMENTED, `received a second request message for ${method.path}`);
        }
        if (messages.length === 1) request = messages[0]!;
      } catch (error) {
        fail(error instanceof WireStatusError ? error : statusOf(error), false);
      }
    };
    stream.onEnd = () => {
      if (failed || call.destroyed) return;
      if (request === null) {
        fail({ code: status.UNIMPLEMENTED, details: `received no request message for ${method.path}` }, false);
        return;
      }
      try {
        call.request = method.requestDeserialize(request);
      } catch {
        fail({ code: status.INTERNAL, details: UNDECODABLE }, false);
        return;
      }
      invoke();
    };
  }
}

function plainTransport(socket: net.Socket): TransportInfo {
  return { peer: peerOf(socket), authContext: {} };
}

function tlsTransport(socket: tls.TLSSocket): TransportInfo {
  return { peer: peerOf(socket), authContext: { transportSecurityType: 'ssl', sslPeerCertificate: socket.getPeerCertificate() } };
}

function peerOf(socket: net.Socket): string {
  return socket.remoteAddress === undefined ? 'unix' : `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
}
