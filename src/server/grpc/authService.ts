// etcdserverpb.Auth. Authentication arrives with the security work (issue 8); until then auth is off,
// which AuthStatus reports truthfully, and every other call says it is not implemented.
import type * as grpc from '@grpc/grpc-js';
import type * as pb from '../proto/messages.js';
import type { MemberContext } from './context.js';
import { type RpcObserver, unary, unimplemented } from './unary.js';

const METHODS = [
  'AuthEnable', 'AuthDisable', 'Authenticate', 'UserAdd', 'UserGet', 'UserList', 'UserDelete',
  'UserChangePassword', 'UserGrantRole', 'UserRevokeRole', 'RoleAdd', 'RoleGet', 'RoleList',
  'RoleDelete', 'RoleGrantPermission', 'RoleRevokePermission',
] as const;

export function authService(ctx: MemberContext, observer: RpcObserver): grpc.UntypedServiceImplementation {
  const impl: grpc.UntypedServiceImplementation = {};
  for (const m of METHODS) impl[m] = unimplemented('Auth', m);
  impl['AuthStatus'] = unary<pb.AuthStatusRequest, pb.AuthStatusResponse>('etcdserverpb.Auth', 'AuthStatus', observer, async () => ({
    header: ctx.header(),
    enabled: false,
    authRevision: '0',
  }));
  return impl;
}
