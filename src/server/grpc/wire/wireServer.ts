// capstan's client-facing gRPC server on node:http2 (h2c with prior knowledge, or TLS with ALPN h2),
// taking grpc-js service definitions and implementations unchanged. It keeps only what etcd's API
// needs: unary, server-streaming and bidi calls, deadlines, cancellation, receive limits, keepalive.
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { TLSSocket } from 'node:tls';
import { type MethodDefinition, type ServiceDefinition, type UntypedServiceImplementation, status } from '@grpc/grpc-js';
import type { ParsedUrl } from '../../config/urls.js';
import type { ReloadingServerCredentials } from '../../tls/reloadingCredentials.js';
import { parseGrpcTimeout, statusOf, WireStatusError } from './grpcStatus.js';
import { keepSessionAlive } from './keepalive.js';
import { MessageDecoder } from './messageFraming.js';
import { type TransportInfo, WireCall } from './serverCall.js';

export interface WireServerOptions {
  maxReceiveMessageBytes: number;
  maxConcurrentStreams: number;
  keepaliveIntervalMs: number;
  keepaliveTimeoutMs: number;
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

type Listener = http2.Http2Server | http2.Http2SecureServer;

export class WireServer {
  private readonly routes = new Map<string, Route>();
  private readonly listeners: Listener[] = [];
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly transports = new WeakMap<http2.ServerHttp2Session, TransportInfo>();

  constructor(private readonly options: WireServerOptions) {}

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
    const settings: http2.Settings = { maxConcurrentStreams: Math.min(this.options.maxConcurrentStreams, 2 ** 32 - 1) };
    // node's default session memory cap (10 MiB) would refuse streams under a burst of large puts, and
    // its header block cap would cut a long grpc-message: grpc-js lifts both the same way.
    const common = { settings, maxSessionMemory: Number.MAX_SAFE_INTEGER, maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER };
    let listener: Listener;
    if (credentials !== null) {
      const secure = http2.createSecureServer({
        ...common,
        ...credentials.current(),
        requestCert: credentials.requestCert,
        rejectUnauthorized: credentials.requestCert,
      });
      credentials.onReload((options) => secure.setSecureContext(options));
      listener = secure;
    } else {
      listener = http2.createServer(common);
    }
    listener.on('session', (session: http2.ServerHttp2Session) => this.onSession(session));
    listener.on('stream', (stream, headers) => this.onStream(stream, headers));
    return new Promise((resolve, reject) => {
      listener.once('error', reject);
      const ready = () => {
        listener.off('error', reject);
        // Errors after listening are per connection (handled per session); keep the process alive.
        listener.on('error', () => undefined);
        this.listeners.push(listener);
        const address = listener.address();
        resolve(typeof address === 'object' && address !== null ? (address as AddressInfo).port : 0);
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
    let pending = this.listeners.length + this.sessions.size;
    const done = () => {
      if (--pending === 0) callback();
    };
    if (pending === 0) {
      callback();
      return;
    }
    for (const l of this.listeners) l.close(() => done());
    for (const s of this.sessions) {
      if (s.closed || s.destroyed) done();
      else s.close(done);
    }
  }

  /** Stops listening and drops every connection now. */
  forceShutdown(): void {
    for (const l of this.listeners) l.close();
    for (const s of this.sessions) s.destroy();
    this.sessions.clear();
  }

  private onSession(session: http2.ServerHttp2Session): void {
    this.sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => this.sessions.delete(session));
    keepSessionAlive(session, { intervalMs: this.options.keepaliveIntervalMs, timeoutMs: this.options.keepaliveTimeoutMs });
  }

  private transportOf(session: http2.ServerHttp2Session): TransportInfo {
    let info = this.transports.get(session);
    if (info === undefined) {
      const socket = session.socket;
      const peer = socket.remoteAddress === undefined ? 'unix' : `${socket.remoteAddress}:${socket.remotePort ?? 0}`;
      info =
        socket instanceof TLSSocket
          ? { peer, authContext: { transportSecurityType: 'ssl', sslPeerCertificate: socket.getPeerCertificate() } }
          : { peer, authContext: {} };
      this.transports.set(session, info);
    }
    return info;
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', () => undefined);
    const contentType = headers['content-type'];
    if (headers[':method'] !== 'POST' || typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
      // Not gRPC: HTTP's answer, as grpc-go gives (415 for a wrong content type).
      stream.respond({ ':status': headers[':method'] === 'POST' ? 415 : 405 }, { endStream: true });
      return;
    }
    const path = headers[':path'] ?? '';
    const route = this.routes.get(path);
    if (route === undefined) {
      stream.respond(
        { ':status': 200, 'content-type': 'application/grpc', 'grpc-status': String(status.UNIMPLEMENTED), 'grpc-message': `unknown method ${path}` },
        { endStream: true },
      );
      return;
    }
    const call: AnyCall = new WireCall(stream, headers, route.method, this.transportOf(stream.session as http2.ServerHttp2Session));
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
      stream.on('data', (chunk: Buffer) => {
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
      });
      stream.on('end', () => {
        if (!failed) call.deliverEnd();
      });
      return;
    }

    // Unary and server-streaming calls: exactly one request message, then the client's end of stream.
    let request: Buffer | null = null;
    stream.on('data', (chunk: Buffer) => {
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
    });
    stream.on('end', () => {
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
    });
  }
}
