// A raw gRPC client for every etcd RPC (the server's own service definitions), with an optional auth
// token, answering with the status instead of throwing: what auth tests need to probe each method.
import * as grpc from '@grpc/grpc-js';
import {
  AuthService,
  ClusterService,
  KVService,
  LeaseService,
  MaintenanceService,
  WatchService,
} from '../../src/server/proto/load.js';

export interface RpcOutcome {
  code: number;
  details: string;
  response: unknown;
}

const SERVICES = {
  KV: KVService,
  Watch: WatchService,
  Lease: LeaseService,
  Cluster: ClusterService,
  Maintenance: MaintenanceService,
  Auth: AuthService,
} as const;
export type ServiceName = keyof typeof SERVICES;

type GenericClient = grpc.Client & Record<string, (...args: unknown[]) => unknown>;

export class RawEtcd {
  private readonly clients = new Map<ServiceName, GenericClient>();

  constructor(private readonly address: string) {}

  private client(service: ServiceName): GenericClient {
    let c = this.clients.get(service);
    if (!c) {
      const Ctor = grpc.makeGenericClientConstructor(SERVICES[service], service);
      c = new Ctor(this.address, grpc.credentials.createInsecure()) as unknown as GenericClient;
      this.clients.set(service, c);
    }
    return c;
  }

  private metadata(token?: string): grpc.Metadata {
    const md = new grpc.Metadata();
    if (token !== undefined) md.set('token', token);
    return md;
  }

  unary(service: ServiceName, method: string, request: object, token?: string): Promise<RpcOutcome> {
    const c = this.client(service);
    const fn = c[method];
    if (typeof fn !== 'function') throw new Error(`no method ${service}.${method}`);
    return new Promise((resolve) => {
      fn.call(c, request, this.metadata(token), { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: unknown) =>
        resolve(err ? { code: err.code, details: err.details, response: null } : { code: 0, details: '', response: res }),
      );
    });
  }

  /** A server stream: collects messages until the end or the first error. */
  serverStream(service: ServiceName, method: string, request: object, token?: string): Promise<RpcOutcome> {
    const c = this.client(service);
    const stream = (c[method] as (...a: unknown[]) => grpc.ClientReadableStream<unknown>).call(c, request, this.metadata(token), {
      deadline: Date.now() + 10_000,
    });
    const got: unknown[] = [];
    return new Promise((resolve) => {
      stream.on('data', (m: unknown) => got.push(m));
      stream.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details, response: got }));
      stream.on('end', () => resolve({ code: 0, details: '', response: got }));
    });
  }

  /** A bidi stream: writes one request, returns the first reply (or the error that ended it). */
  bidiFirst(service: ServiceName, method: string, request: object, token?: string): Promise<RpcOutcome> {
    const c = this.client(service);
    const stream = (c[method] as (...a: unknown[]) => grpc.ClientDuplexStream<unknown, unknown>).call(c, this.metadata(token), {
      deadline: Date.now() + 10_000,
    });
    return new Promise<RpcOutcome>((resolve) => {
      stream.on('data', (m: unknown) => resolve({ code: 0, details: '', response: m }));
      stream.on('error', (e: grpc.ServiceError) => resolve({ code: e.code, details: e.details, response: null }));
      stream.on('end', () => resolve({ code: 0, details: 'ended', response: null }));
      stream.write(request);
    }).finally(() => stream.cancel());
  }

  /** Waits (bounded) until Status names a leader: a member may answer Status before its first election. */
  async untilLeader(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (let i = 0; i < 300 && Date.now() < deadline; i++) {
      const r = await this.unary('Maintenance', 'Status', {});
      if (r.code === 0 && (r.response as { leader: string }).leader !== '0') return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`no leader within ${timeoutMs} ms`);
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
  }
}
