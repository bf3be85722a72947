// etcdserverpb.Auth: changes go through the log (auth_* entries, applied by the AuthStore); reads are
// answered from the local AuthStore after a ReadIndex barrier. Passwords are hashed here, before the
// proposal, so the log never carries a plain password and every member stores the same hash.
import { type AuthGate, type CallerInfo } from '../auth/authGate.js';
import { authErrors } from '../auth/errors.js';
import { hashPassword, verifyPassword } from '../auth/password.js';
import type * as pb from '../proto/messages.js';
import type { MemberContext } from './context.js';
import { type RpcObserver, unary } from './unary.js';

type Handler<Req, Res> = (req: Req, call: CallerInfo) => Promise<Res>;

export function authService(ctx: MemberContext, observer: RpcObserver, gate: AuthGate) {
  const rpc = <Req, Res>(method: string, fn: Handler<Req, Res>) =>
    // Through a promise so a synchronous refusal (a gate check) becomes the RPC's error too.
    unary<Req, Res>('etcdserverpb.Auth', method, observer, (req, call) => Promise.resolve().then(() => fn(req, call)));
  const headerOnly = async (p: Promise<{ revision: number }>): Promise<pb.HeaderOnlyResponse> => ({
    header: ctx.header((await p).revision),
  });
  const newHash = async (password: string, hashed: string): Promise<string> =>
    hashed !== '' && password === '' ? hashed : hashPassword(password, gate.store.bcryptCost);

  return {
    AuthEnable: rpc<pb.AuthEnableRequest, pb.AuthEnableResponse>('AuthEnable', (_req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_enable', {}));
    }),
    AuthDisable: rpc<pb.AuthDisableRequest, pb.AuthDisableResponse>('AuthDisable', (_req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_disable', {}));
    }),
    AuthStatus: rpc<pb.AuthStatusRequest, pb.AuthStatusResponse>('AuthStatus', async (_req, call) => {
      gate.check(call, 'admin');
      await ctx.linearizableBarrier();
      return { header: ctx.header(), enabled: gate.store.enabled, authRevision: String(gate.store.revision) };
    }),
    Authenticate: rpc<pb.AuthenticateRequest, pb.AuthenticateResponse>('Authenticate', async (req) => {
      if (!gate.store.enabled) throw authErrors.authNotEnabled();
      const user = gate.store.user(req.name);
      // The same error for an unknown user and a wrong password, so names cannot be probed.
      if (!user || user.noPassword || !(await verifyPassword(req.password, user.password))) throw authErrors.authFailed();
      const token = await ctx.propose('authenticate', { name: req.name, password: '', simple_token: gate.store.tokens.generate(req.name, gate.store.revision) });
      return { header: ctx.header(), token };
    }),
    UserAdd: rpc<pb.AuthUserAddRequest, pb.AuthUserAddResponse>('UserAdd', async (req, call) => {
      gate.check(call, 'admin');
      if (req.name === '') throw authErrors.userEmpty();
      const noPassword = req.options?.no_password ?? false;
      const hashedPassword = noPassword ? '' : await newHash(req.password, req.hashedPassword);
      return headerOnly(ctx.propose('auth_user_add', { name: req.name, password: '', options: req.options, hashedPassword }));
    }),
    UserGet: rpc<pb.AuthUserGetRequest, pb.AuthUserGetResponse>('UserGet', async (req, call) => {
      const caller = gate.check(call, 'authenticated');
      if (caller !== null && caller !== req.name) gate.check(call, 'admin');
      await ctx.linearizableBarrier();
      const user = gate.store.user(req.name);
      if (!user) throw authErrors.userNotFound();
      return { header: ctx.header(), roles: [...user.roles] };
    }),
    UserList: rpc<pb.AuthUserListRequest, pb.AuthUserListResponse>('UserList', async (_req, call) => {
      gate.check(call, 'admin');
      await ctx.linearizableBarrier();
      return { header: ctx.header(), users: gate.store.userNames() };
    }),
    UserDelete: rpc<pb.AuthUserDeleteRequest, pb.AuthUserDeleteResponse>('UserDelete', (req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_user_delete', { name: req.name }));
    }),
    UserChangePassword: rpc<pb.AuthUserChangePasswordRequest, pb.AuthUserChangePasswordResponse>(
      'UserChangePassword',
      async (req, call) => {
        gate.check(call, 'admin');
        if (!gate.store.user(req.name)) throw authErrors.userNotFound();
        const hashedPassword = await newHash(req.password, req.hashedPassword);
        return headerOnly(ctx.propose('auth_user_change_password', { name: req.name, password: '', hashedPassword }));
      },
    ),
    UserGrantRole: rpc<pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse>('UserGrantRole', (req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_user_grant_role', { user: req.user, role: req.role }));
    }),
    UserRevokeRole: rpc<pb.AuthUserRevokeRoleRequest, pb.AuthUserRevokeRoleResponse>('UserRevokeRole', (req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_user_revoke_role', { name: req.name, role: req.role }));
    }),
    RoleAdd: rpc<pb.AuthRoleAddRequest, pb.AuthRoleAddResponse>('RoleAdd', (req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_role_add', { name: req.name }));
    }),
    RoleGet: rpc<pb.AuthRoleGetRequest, pb.AuthRoleGetResponse>('RoleGet', async (req, call) => {
      const caller = gate.check(call, 'authenticated');
      if (caller !== null && !(gate.store.user(caller)?.roles.includes(req.role) ?? false)) gate.check(call, 'admin');
      await ctx.linearizableBarrier();
      const role = gate.store.role(req.role);
      if (!role) throw authErrors.roleNotFound();
      return {
        header: ctx.header(),
        perm: role.perms.map((p) => ({ permType: p.permType, key: p.key, range_end: p.rangeEnd })),
      };
    }),
    RoleList: rpc<pb.AuthRoleListRequest, pb.AuthRoleListResponse>('RoleList', async (_req, call) => {
      gate.check(call, 'admin');
      await ctx.linearizableBarrier();
      return { header: ctx.header(), roles: gate.store.roleNames() };
    }),
    RoleDelete: rpc<pb.AuthRoleDeleteRequest, pb.AuthRoleDeleteResponse>('RoleDelete', (req, call) => {
      gate.check(call, 'admin');
      return headerOnly(ctx.propose('auth_role_delete', { role: req.role }));
    }),
    RoleGrantPermission: rpc<pb.AuthRoleGrantPermissionRequest, pb.AuthRoleGrantPermissionResponse>(
      'RoleGrantPermission',
      (req, call) => {
        gate.check(call, 'admin');
        return headerOnly(ctx.propose('auth_role_grant_permission', { name: req.name, perm: req.perm }));
      },
    ),
    RoleRevokePermission: rpc<pb.AuthRoleRevokePermissionRequest, pb.AuthRoleRevokePermissionResponse>(
      'RoleRevokePermission',
      (req, call) => {
        gate.check(call, 'admin');
        return headerOnly(
          ctx.propose('auth_role_revoke_permission', { role: req.role, key: req.key, range_end: req.range_end }),
        );
      },
    ),
  };
}
