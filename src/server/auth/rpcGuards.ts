// Which permission each etcd RPC needs, in one table, and the wrapper that enforces it before a
// handler runs (etcd's authKVServer/authLeaseServer/authMaintenanceServer and its apply-time checks,
// gathered in front of the services). Watch creates are checked per request by the watch session.
import * as grpc from '@grpc/grpc-js';
import type { MvccStore } from '../../mvcc/store.js';
import * as convert from '../proto/convert.js';
import type * as pb from '../proto/messages.js';
import { toServiceError } from '../grpc/unary.js';
import type { AuthGate, CallerInfo } from './authGate.js';
import { authErrors } from './errors.js';
import { requestAuth } from './requestAuth.js';

type Guard = (gate: AuthGate, call: CallerInfo, request: unknown, store: MvccStore) => void;

const none: Guard = () => undefined;
const authenticated: Guard = (gate, call) => void gate.check(call, 'authenticated');
const admin: Guard = (gate, call) => void gate.check(call, 'admin');

/** The caller may write every key attached to the lease (etcd's checkLeasePuts), or is root. */
const leaseKeys = (kind: 'read' | 'write'): Guard => (gate, call, request, store) => {
  const user = gate.check(call, 'authenticated');
  if (user === null || gate.store.isAdmin(user)) return;
  const id = BigInt((request as pb.LeaseRevokeRequest).ID);
  for (const key of store.leaseKeys(id)) gate.check(call, kind, key);
};

export const RPC_GUARDS: Readonly<Record<string, Readonly<Record<string, Guard>>>> = {
  'etcdserverpb.KV': {
    Range: (gate, call, r) => void gate.check(call, 'read', (r as pb.RangeRequest).key, (r as pb.RangeRequest).range_end),
    Put: (gate, call, r, store) => {
      const put = r as pb.PutRequest;
      gate.check(call, 'write', put.key);
      if (put.prev_kv) gate.check(call, 'read', put.key);
      // Attaching a key to a lease lets its holder's revoke delete it: etcd asks for write on every
      // key the lease already holds (checkLeasePuts).
      if (put.lease !== '0' && put.lease !== '') leaseKeys('write')(gate, call, { ID: put.lease }, store);
    },
    DeleteRange: (gate, call, r) => {
      const del = r as pb.DeleteRangeRequest;
      gate.check(call, 'write', del.key, del.range_end);
      if (del.prev_kv) gate.check(call, 'read', del.key, del.range_end);
    },
    Txn: (gate, call, r) => {
      if (gate.store.enabled) gate.checkTxn(call, convert.txnRequestFromProto(r as pb.TxnRequest));
    },
    Compact: admin,
  },
  'etcdserverpb.Lease': {
    LeaseGrant: authenticated,
    LeaseRevoke: leaseKeys('write'),
    LeaseTimeToLive: (gate, call, r, store) => {
      if ((r as pb.LeaseTimeToLiveRequest).keys) leaseKeys('read')(gate, call, r, store);
      else authenticated(gate, call, r, store);
    },
    LeaseLeases: authenticated,
    LeaseKeepAlive: authenticated,
  },
  'etcdserverpb.Watch': { Watch: authenticated },
  'etcdserverpb.Cluster': {
    MemberList: none,
    MemberAdd: admin,
    MemberRemove: admin,
    MemberUpdate: admin,
    MemberPromote: admin,
  },
  'etcdserverpb.Maintenance': {
    // Status stays open, as in etcd: health probes and `endpoint status` use it without credentials.
    Status: none,
    Alarm: (gate, call, r) => void gate.check(call, (r as pb.AlarmRequest).action === 'GET' ? 'authenticated' : 'admin'),
    Defragment: admin,
    Hash: admin,
    HashKV: admin,
    Snapshot: admin,
    MoveLeader: admin,
    Downgrade: admin,
  },
};

type AnyHandler = (...args: never[]) => unknown;

/**
 * Wraps each method of a service implementation with its guard. A method missing from the table is
 * a programming error (a new RPC nobody decided about), refused loudly at startup.
 */
export function guardService(
  service: string,
  impl: grpc.UntypedServiceImplementation,
  gate: AuthGate,
  /** The member's store as it is now: a follower swaps in a new one when it installs a snapshot. */
  currentStore: () => MvccStore,
): grpc.UntypedServiceImplementation {
  const table = RPC_GUARDS[service];
  if (!table) throw new Error(`invariant: no auth guards for service ${service}`);
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(impl)) {
    const guard = table[method];
    if (!guard) throw new Error(`invariant: no auth guard for ${service}.${method}`);
    const original = handler as unknown as AnyHandler;
    const wrapped = (call: CallerInfo & { request?: unknown }, callback?: grpc.sendUnaryData<unknown>) => {
      try {
        gate.checkTransport(call);
        guard(gate, call, call.request, currentStore());
      } catch (error) {
        const status = toServiceError(error);
        if (callback) callback(status);
        else refuseStream(call, status);
        return;
      }
      if (!gate.store.enabled) {
        // As etcd's AuthInfoFromCtx: with auth off a proposal carries no caller. Skipping the context
        // also keeps Node's async hooks off, which would otherwise tax every promise in the process.
        (original as unknown as (c: unknown, cb?: unknown) => void)(call, callback);
        return;
      }
      let username = '';
      try {
        username = gate.caller(call) ?? '';
      } catch {
        // Open methods admit callers without a valid identity; they propose nothing on anyone's behalf.
      }
      requestAuth.run({ username, authRevision: gate.store.revision }, () =>
        (original as unknown as (c: unknown, cb?: unknown) => void)(call, callback),
      );
    };
    out[method] = wrapped as unknown as grpc.UntypedHandleCall;
  }
  return out;
}

function refuseStream(call: unknown, status: Partial<grpc.StatusObject>): void {
  const stream = call as { emit(event: 'error', e: Error): void; end?: () => void };
  const error = Object.assign(new Error(status.details ?? authErrors.permissionDenied().message), {
    code: status.code ?? grpc.status.PERMISSION_DENIED,
    details: status.details,
  });
  stream.emit('error', error);
}

/**
 * For the Auth service, which checks inside each method: runs every call in its caller's request-auth
 * context, so the proposals it makes carry the auth revision they were checked at.
 */
export function withRequestAuth(impl: grpc.UntypedServiceImplementation, gate: AuthGate): grpc.UntypedServiceImplementation {
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, handler] of Object.entries(impl)) {
    const original = handler as unknown as (c: unknown, cb?: unknown) => void;
    const wrapped = (call: CallerInfo, callback?: grpc.sendUnaryData<unknown>) => {
      try {
        gate.checkTransport(call);
      } catch (error) {
        callback?.(toServiceError(error));
        return;
      }
      if (!gate.store.enabled) {
        original(call, callback);
        return;
      }
      let username = '';
      try {
        username = gate.caller(call) ?? '';
      } catch {
        // The method itself refuses a bad identity; the context only records a good one.
      }
      requestAuth.run({ username, authRevision: gate.store.revision }, () => original(call, callback));
    };
    out[method] = wrapped as unknown as grpc.UntypedHandleCall;
  }
  return out;
}
