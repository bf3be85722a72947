import grpc from '@grpc/grpc-js';
import { ClusterService, KVService, LeaseService, MaintenanceService, WatchService } from '../../../src/server/proto/load.js';
import type {
  KeyValue,
  RequestOp,
  ResponseOp,
  StatusResponse,
  WatchRequest,
  WatchResponse,
} from '../../../src/server/proto/messages.js';
import type { Compare, DefiniteError, EtcdRequest, EtcdResponse, KvView, OpResult, TxnOp } from '../linearizability/etcdTypes.js';

/*
 * A raw grpc-js client for one member: no retries (a retry would hide what happened from the
 * history), one deadline per request. Every request maps to the checker's EtcdRequest/EtcdResponse:
 * errors that prove nothing changed are definite, everything else is an unknown outcome.
 */

type MethodDef = grpc.MethodDefinition<object, object>;

function method(service: grpc.ServiceDefinition, name: string): MethodDef {
  const def = service[name];
  if (def === undefined) throw new Error(`invariant: no method ${name}`);
  return def as MethodDef;
}

const DEFINITE_ERRORS: ReadonlyArray<[RegExp, DefiniteError]> = [
  [/requested lease not found/, 'lease-not-found'],
  [/lease already exists/, 'lease-exists'],
  // grpc-js fails a call this way only when no connection was ready to carry it.
  [/No connection established/, 'not-sent'],
];

export function toKvView(kv: KeyValue): KvView {
  return {
    key: kv.key.toString(),
    value: kv.value.toString(),
    modRevision: Number(kv.mod_revision),
    createRevision: Number(kv.create_revision),
    version: Number(kv.version),
    lease: Number(kv.lease),
  };
}

const COMPARE_RESULT = { '==': 'EQUAL', '!=': 'NOT_EQUAL', '<': 'LESS', '>': 'GREATER' } as const;
const COMPARE_TARGET = { mod: 'MOD', create: 'CREATE', version: 'VERSION', value: 'VALUE', lease: 'LEASE' } as const;
const COMPARE_FIELD = { mod: 'mod_revision', create: 'create_revision', version: 'version', value: 'value', lease: 'lease' } as const;

function encodeCompare(c: Compare): object {
  const field = COMPARE_FIELD[c.target];
  return {
    result: COMPARE_RESULT[c.result],
    target: COMPARE_TARGET[c.target],
    key: Buffer.from(c.key),
    [field]: c.target === 'value' ? Buffer.from(String(c.operand)) : String(c.operand),
    target_union: field,
  };
}

function rangeRequest(key: string, rangeEnd: string | undefined): object {
  return { key: Buffer.from(key), ...(rangeEnd === undefined ? {} : { range_end: Buffer.from(rangeEnd) }) };
}

function encodeOp(op: TxnOp): object {
  switch (op.type) {
    case 'put': return { request_put: { key: Buffer.from(op.key), value: Buffer.from(op.value), lease: String(op.lease ?? 0) }, request: 'request_put' };
    case 'delete': return { request_delete_range: { key: Buffer.from(op.key) }, request: 'request_delete_range' };
    case 'range': return { request_range: rangeRequest(op.key, op.rangeEnd), request: 'request_range' };
  }
}

function decodeOp(op: TxnOp, response: ResponseOp): OpResult {
  switch (op.type) {
    case 'put':
      if (response.response !== 'response_put') throw new Error(`invariant: txn put answered with ${String(response.response)}`);
      return { type: 'put' };
    case 'delete':
      if (response.response !== 'response_delete_range') throw new Error(`invariant: txn delete answered with ${String(response.response)}`);
      return { type: 'delete', deleted: Number(response.response_delete_range.deleted) };
    case 'range':
      if (response.response !== 'response_range') throw new Error(`invariant: txn range answered with ${String(response.response)}`);
      return { type: 'range', kvs: response.response_range.kvs.map(toKvView) };
  }
}

function revisionOf(response: { header: { revision: string } | null }): number {
  if (response.header === null) throw new Error('invariant: response without a header');
  return Number(response.header.revision);
}

export class MemberClient {
  private readonly client: grpc.Client;

  constructor(readonly endpoint: string, private readonly timeoutMs: number) {
    const address = endpoint.replace(/^http:\/\//, '');
    if (!address.startsWith('127.0.0.1:')) throw new Error(`fault harness: loopback only, not ${endpoint}`);
    this.client = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 300,
    });
  }

  close(): void {
    this.client.close();
  }

  private unary<T>(def: MethodDef, request: object, timeoutMs = this.timeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.client.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, request,
        { deadline: Date.now() + timeoutMs }, (err, value) => (err !== null || value === undefined ? reject(err ?? new Error('empty response')) : resolve(value as T)));
    });
  }

  /** Runs one request; never throws for server or network errors, which become the response. */
  async execute(request: EtcdRequest): Promise<EtcdResponse> {
    try {
      return await this.executeOrThrow(request);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      for (const [pattern, error] of DEFINITE_ERRORS) if (pattern.test(message)) return { status: 'error', error };
      return { status: 'unknown' };
    }
  }

  private async executeOrThrow(request: EtcdRequest): Promise<EtcdResponse> {
    switch (request.type) {
      case 'put': {
        const r = await this.unary<{ header: { revision: string } | null }>(method(KVService, 'Put'),
          { key: Buffer.from(request.key), value: Buffer.from(request.value), lease: String(request.lease ?? 0) });
        return { status: 'ok', revision: revisionOf(r), result: { type: 'put' } };
      }
      case 'range': {
        const r = await this.unary<{ header: { revision: string } | null; kvs: KeyValue[] }>(method(KVService, 'Range'), rangeRequest(request.key, request.rangeEnd));
        return { status: 'ok', revision: revisionOf(r), result: { type: 'range', kvs: r.kvs.map(toKvView) } };
      }
      case 'delete': {
        const r = await this.unary<{ header: { revision: string } | null; deleted: string }>(method(KVService, 'DeleteRange'), { key: Buffer.from(request.key) });
        return { status: 'ok', revision: revisionOf(r), result: { type: 'delete', deleted: Number(r.deleted) } };
      }
      case 'txn': {
        const r = await this.unary<{ header: { revision: string } | null; succeeded: boolean; responses: ResponseOp[] }>(method(KVService, 'Txn'), {
          compare: request.compare.map(encodeCompare),
          success: request.success.map(encodeOp) as RequestOp[],
          failure: request.failure.map(encodeOp) as RequestOp[],
        });
        const ops = r.succeeded ? request.success : request.failure;
        if (ops.length !== r.responses.length) throw new Error(`invariant: txn of ${ops.length} ops answered with ${r.responses.length}`);
        return { status: 'ok', revision: revisionOf(r), result: { type: 'txn', succeeded: r.succeeded, results: ops.map((op, i) => decodeOp(op, r.responses[i]!)) } };
      }
      case 'leaseGrant': {
        const r = await this.unary<{ header: { revision: string } | null; ID: string; error: string }>(method(LeaseService, 'LeaseGrant'), { ID: String(request.id), TTL: String(request.ttl) });
        if (r.error !== '') throw new Error(r.error);
        if (Number(r.ID) !== request.id) throw new Error(`invariant: asked for lease ${request.id}, granted ${r.ID}`);
        return { status: 'ok', revision: revisionOf(r), result: { type: 'leaseGrant' } };
      }
      case 'leaseRevoke': {
        const r = await this.unary<{ header: { revision: string } | null }>(method(LeaseService, 'LeaseRevoke'), { ID: String(request.id) });
        return { status: 'ok', revision: revisionOf(r), result: { type: 'leaseRevoke' } };
      }
    }
  }

  status(timeoutMs = 1_000): Promise<StatusResponse> {
    return this.unary<StatusResponse>(method(MaintenanceService, 'Status'), {}, timeoutMs);
  }

  /** etcd's HashKV at `revision`: the hash of every key-value revision up to it. */
  async hashKv(revision: number, timeoutMs = 2_000): Promise<number> {
    const r = await this.unary<{ hash: number; hash_revision: string }>(method(MaintenanceService, 'HashKV'), { revision: String(revision) }, timeoutMs);
    if (Number(r.hash_revision) !== revision) throw new Error(`HashKV at ${revision} answered for ${r.hash_revision}`);
    return r.hash;
  }

  /**
   * A range at an old revision, alone or as the only op of a txn (etcd #18667 is about the two
   * disagreeing). Throws the server's error (e.g. "required revision has been compacted").
   */
  async rangeAt(key: string, rangeEnd: string, revision: number, inTxn: boolean): Promise<KvView[]> {
    const request = { ...rangeRequest(key, rangeEnd), revision: String(revision) };
    if (!inTxn) {
      const r = await this.unary<{ kvs: KeyValue[] }>(method(KVService, 'Range'), request);
      return r.kvs.map(toKvView);
    }
    const r = await this.unary<{ succeeded: boolean; responses: ResponseOp[] }>(method(KVService, 'Txn'), {
      compare: [], success: [{ request_range: request, request: 'request_range' }], failure: [],
    });
    const only = r.responses[0];
    if (r.responses.length !== 1 || only?.response !== 'response_range') throw new Error('invariant: a one-range txn answered without its range');
    return only.response_range.kvs.map(toKvView);
  }

  /** One LeaseKeepAlive round on a fresh stream: the TTL the lease has again (0: it is gone). */
  keepAliveOnce(id: number, timeoutMs = this.timeoutMs): Promise<number> {
    const def = method(LeaseService, 'LeaseKeepAlive');
    const call = this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, new grpc.Metadata(), { deadline: Date.now() + timeoutMs });
    return new Promise<number>((resolve, reject) => {
      call.on('data', (r: { TTL: string }) => {
        resolve(Number(r.TTL));
        call.cancel();
      });
      call.on('error', (err) => reject(err));
      call.on('end', () => reject(new Error('keep-alive stream ended without an answer')));
      call.write({ ID: String(id) });
    });
  }

  /** LeaseTimeToLive: the remaining TTL, -1 when the lease does not exist. */
  async leaseTtl(id: number, timeoutMs = this.timeoutMs): Promise<number> {
    const r = await this.unary<{ TTL: string }>(method(LeaseService, 'LeaseTimeToLive'), { ID: String(id), keys: false }, timeoutMs);
    return Number(r.TTL);
  }

  /** Cluster.MemberAdd: the new member's ID (decimal). */
  async memberAdd(peerUrls: string[], timeoutMs = 10_000): Promise<string> {
    const r = await this.unary<{ member: { ID: string } | null }>(method(ClusterService, 'MemberAdd'), { peerURLs: peerUrls, isLearner: false }, timeoutMs);
    if (r.member === null) throw new Error('invariant: MemberAdd answered without the member');
    return r.member.ID;
  }

  /** Cluster.MemberList as this member knows it (not linearizable): the member IDs, decimal. */
  async memberIds(timeoutMs = 2_000): Promise<string[]> {
    const r = await this.unary<{ members: Array<{ ID: string }> }>(method(ClusterService, 'MemberList'), { linearizable: false }, timeoutMs);
    return r.members.map((m) => m.ID);
  }

  memberRemove(id: string, timeoutMs = 10_000): Promise<unknown> {
    return this.unary(method(ClusterService, 'MemberRemove'), { ID: id }, timeoutMs);
  }

  /** Maintenance.MoveLeader, sent to the current leader. */
  moveLeader(targetId: string, timeoutMs = 10_000): Promise<unknown> {
    return this.unary(method(MaintenanceService, 'MoveLeader'), { targetID: targetId }, timeoutMs);
  }

  defragment(timeoutMs = 30_000): Promise<unknown> {
    return this.unary(method(MaintenanceService, 'Defragment'), {}, timeoutMs);
  }

  compact(revision: number): Promise<unknown> {
    return this.unary(method(KVService, 'Compact'), { revision: String(revision) });
  }

  watchStream(): grpc.ClientDuplexStream<WatchRequest, WatchResponse> {
    const def = method(WatchService, 'Watch');
    return this.client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize, new grpc.Metadata(), {}) as
      grpc.ClientDuplexStream<WatchRequest, WatchResponse>;
  }
}
