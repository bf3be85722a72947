// Applies the auth_* entries of the log to the AuthStore (the applier's share of auth). What each
// entry gives back to the handler that proposed it is below; errors are etcd's and become outcomes.
import type { ResponseHeader } from '../../mvcc/types.js';
import type * as pb from '../proto/messages.js';
import type { AuthStore } from './authStore.js';

export interface AuthApplyResults {
  auth_enable: ResponseHeader;
  auth_disable: ResponseHeader;
  authenticate: string;
  auth_user_add: ResponseHeader;
  auth_user_delete: ResponseHeader;
  auth_user_change_password: ResponseHeader;
  auth_user_grant_role: ResponseHeader;
  auth_user_revoke_role: ResponseHeader;
  auth_role_add: ResponseHeader;
  auth_role_delete: ResponseHeader;
  auth_role_grant_permission: ResponseHeader;
  auth_role_revoke_permission: ResponseHeader;
}

export type AuthApplyKind = keyof AuthApplyResults;

const AUTH_KINDS: ReadonlySet<string> = new Set<AuthApplyKind>([
  'auth_enable', 'auth_disable', 'authenticate', 'auth_user_add', 'auth_user_delete', 'auth_user_change_password',
  'auth_user_grant_role', 'auth_user_revoke_role', 'auth_role_add', 'auth_role_delete',
  'auth_role_grant_permission', 'auth_role_revoke_permission',
]);

type AuthRequest = Extract<pb.InternalRaftRequest, { request: AuthApplyKind }>;

export function isAuthRequest(request: pb.InternalRaftRequest): request is AuthRequest {
  return request.request !== undefined && AUTH_KINDS.has(request.request);
}

export function applyAuthRequest(
  auth: AuthStore,
  request: AuthRequest,
  revision: number,
): AuthApplyResults[AuthApplyKind] {
  const header: ResponseHeader = { revision };
  switch (request.request) {
    case 'auth_enable':
      auth.applyEnable();
      return header;
    case 'auth_disable':
      auth.applyDisable();
      return header;
    case 'authenticate':
      return auth.applyAuthenticate(request.authenticate.name, request.authenticate.simple_token);
    case 'auth_user_add': {
      const r = request.auth_user_add;
      auth.applyUserAdd(r.name, r.hashedPassword, r.options?.no_password ?? false);
      return header;
    }
    case 'auth_user_delete':
      auth.applyUserDelete(request.auth_user_delete.name);
      return header;
    case 'auth_user_change_password':
      auth.applyUserChangePassword(request.auth_user_change_password.name, request.auth_user_change_password.hashedPassword);
      return header;
    case 'auth_user_grant_role':
      auth.applyUserGrantRole(request.auth_user_grant_role.user, request.auth_user_grant_role.role);
      return header;
    case 'auth_user_revoke_role':
      auth.applyUserRevokeRole(request.auth_user_revoke_role.name, request.auth_user_revoke_role.role);
      return header;
    case 'auth_role_add':
      auth.applyRoleAdd(request.auth_role_add.name);
      return header;
    case 'auth_role_delete':
      auth.applyRoleDelete(request.auth_role_delete.role);
      return header;
    case 'auth_role_grant_permission': {
      const p = request.auth_role_grant_permission.perm;
      auth.applyRoleGrantPermission(
        request.auth_role_grant_permission.name,
        p === null ? null : { permType: p.permType, key: p.key, rangeEnd: p.range_end },
      );
      return header;
    }
    case 'auth_role_revoke_permission': {
      const r = request.auth_role_revoke_permission;
      auth.applyRoleRevokePermission(r.role, r.key, r.range_end);
      return header;
    }
  }
}
