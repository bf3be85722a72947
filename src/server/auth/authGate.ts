// The one permission hook every gRPC handler calls first: who is calling (a token in the call's
// metadata, or the client certificate's CN under --client-cert-auth) and may they do this. With auth
// disabled every call passes, as in etcd.
import type * as grpc from '@grpc/grpc-js';
import type { TxnRequest } from '../../mvcc/types.js';
import { EtcdError, GrpcCode } from '../../mvcc/errors.js';
import {
  type CallWithAuthContext,
  clientCertificateAllowsHostname,
  clientCertificateCommonName,
} from '../tls/peerCertificate.js';
import type { AuthStore } from './authStore.js';
import { authErrors } from './errors.js';

export type Access = 'read' | 'write' | 'admin' | 'authenticated';

export interface CallerInfo extends CallWithAuthContext {
  readonly metadata: grpc.Metadata;
}

const EMPTY = Buffer.alloc(0);

export class AuthGate {
  constructor(
    /** Replaced when the member installs a snapshot from the leader (a new store, new auth state). */
    public store: AuthStore,
    private readonly clientCertAuth: boolean,
    private readonly allowedHostname = '',
  ) {}

  /** Refuses a call whose client certificate is not valid for --client-cert-allowed-hostname. */
  checkTransport(call: CallerInfo): void {
    if (this.allowedHostname === '' || clientCertificateAllowsHostname(call, this.allowedHostname)) return;
    throw new EtcdError(
      GrpcCode.UNAUTHENTICATED,
      `client certificate is not valid for the allowed hostname ${JSON.stringify(this.allowedHostname)}`,
    );
  }

  /** The calling user's name, or null when auth is off. Throws etcd's errors for a bad identity. */
  caller(call: CallerInfo): string | null {
    if (!this.store.enabled) return null;
    const token = call.metadata.get('token')[0] ?? call.metadata.get('authorization')[0];
    if (token !== undefined) {
      const user = this.store.tokens.lookup(String(token));
      if (user === undefined) throw authErrors.invalidAuthToken();
      return user;
    }
    const cn = this.clientCertAuth ? clientCertificateCommonName(call) : null;
    if (cn === null) throw authErrors.userEmpty();
    return cn;
  }

  /**
   * Throws unless the caller may read/write [key, rangeEnd), is root ('admin'), or is a known user
   * ('authenticated'). Returns the caller (null with auth off).
   */
  check(call: CallerInfo, access: Access, key: Buffer = EMPTY, rangeEnd: Buffer = EMPTY): string | null {
    const user = this.caller(call);
    if (user === null) return null;
    if (!this.allows(user, access, key, rangeEnd)) throw authErrors.permissionDenied();
    return user;
  }

  /** As check() for every key a transaction compares, reads and writes, nested txns included. */
  checkTxn(call: CallerInfo, txn: TxnRequest): string | null {
    const user = this.caller(call);
    if (user === null) return null;
    const deny = () => authErrors.permissionDenied();
    const walk = (t: TxnRequest): void => {
      for (const c of t.compare) if (!this.allows(user, 'read', c.key, c.rangeEnd)) throw deny();
      for (const op of [...t.success, ...t.failure]) {
        if ('range' in op) {
          if (!this.allows(user, 'read', op.range.key, op.range.rangeEnd)) throw deny();
        } else if ('put' in op) {
          if (!this.allows(user, 'write', op.put.key, EMPTY)) throw deny();
          if (op.put.prevKv && !this.allows(user, 'read', op.put.key, EMPTY)) throw deny();
        } else if ('deleteRange' in op) {
          const d = op.deleteRange;
          if (!this.allows(user, 'write', d.key, d.rangeEnd)) throw deny();
          if (d.prevKv && !this.allows(user, 'read', d.key, d.rangeEnd)) throw deny();
        } else {
          walk(op.txn);
        }
      }
    };
    walk(txn);
    return user;
  }

  private allows(user: string, access: Access, key: Buffer, rangeEnd: Buffer): boolean {
    if (this.store.user(user) === undefined) return false;
    switch (access) {
      case 'authenticated':
        return true;
      case 'admin':
        return this.store.isAdmin(user);
      default:
        return this.store.permits(user, access, key, rangeEnd);
    }
  }
}
