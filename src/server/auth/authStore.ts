// The replicated auth state (etcd's authStore): enabled flag, auth revision, users and roles, kept in
// memory and staged into the store's auth/authUsers/authRoles buckets, laid out as etcd's backend so a
// snapshot carries them. Every apply* method runs on the apply path only, is deterministic, and raises
// etcd's errors; every mutation bumps the auth revision as etcd does.
import type { Backend } from '../../mvcc/backend.js';
import { codecFor } from '../proto/codec.js';
import type * as pb from '../proto/messages.js';
import { authErrors } from './errors.js';
import { KeyRanges } from './rangePermissions.js';
import { SimpleTokens } from './simpleTokens.js';
import type { TokenProvider } from './tokenProvider.js';

export const ROOT = 'root';

const KEY_ENABLED = Buffer.from('authEnabled');
const KEY_REVISION = Buffer.from('authRevision');
const userCodec = codecFor('authpb.User');
const roleCodec = codecFor('authpb.Role');

export interface UserRecord {
  name: string;
  /** The stored password hash ('' when the user has no password). */
  password: string;
  roles: string[];
  noPassword: boolean;
}

export interface PermissionRecord {
  permType: pb.PermissionType;
  key: Buffer;
  rangeEnd: Buffer;
}

export interface RoleRecord {
  name: string;
  perms: PermissionRecord[];
}

interface UserRanges {
  read: KeyRanges;
  write: KeyRanges;
}

async function scanAll(backend: Backend, bucket: 'authUsers' | 'authRoles'): Promise<Buffer[]> {
  const out: Buffer[] = [];
  const cursor = backend.scan(bucket, Buffer.alloc(0), null);
  try {
    for (let batch = await cursor.next(256); batch.length > 0; batch = await cursor.next(256)) {
      for (const { value } of batch) out.push(value);
    }
  } finally {
    await cursor.close();
  }
  return out;
}

const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class AuthStore {
  private enabledFlag = false;
  private revisionValue = 0;
  private readonly users = new Map<string, UserRecord>();
  private readonly roles = new Map<string, RoleRecord>();
  private readonly rangeCache = new Map<string, UserRanges>();
  /** etcd's --auth-token: simple tokens unless the member is configured for JWT. */
  tokens: TokenProvider;
  /** --bcrypt-cost for passwords hashed by this member's handlers (etcd's default: 10). */
  bcryptCost = 10;

  private constructor(
    private readonly backend: Backend,
    tokenTtlMs: number,
  ) {
    this.tokens = new SimpleTokens(tokenTtlMs);
  }

  static async load(backend: Backend, tokenTtlMs = 300_000): Promise<AuthStore> {
    const s = new AuthStore(backend, tokenTtlMs);
    const enabled = await backend.get('auth', KEY_ENABLED);
    s.enabledFlag = enabled !== undefined && enabled.length === 1 && enabled[0] === 1;
    const rev = await backend.get('auth', KEY_REVISION);
    if (rev !== undefined) {
      if (rev.length !== 8) throw new Error(`auth bucket: authRevision is ${rev.length} bytes, not 8`);
      s.revisionValue = Number(rev.readBigUInt64BE(0));
    }
    for (const raw of await scanAll(backend, 'authUsers')) {
      const u = userCodec.decode(raw);
      const name = u.name.toString();
      s.users.set(name, {
        name,
        password: u.password.toString(),
        roles: [...u.roles],
        noPassword: u.options?.no_password ?? false,
      });
    }
    for (const raw of await scanAll(backend, 'authRoles')) {
      const r = roleCodec.decode(raw);
      const name = r.name.toString();
      s.roles.set(name, {
        name,
        perms: r.keyPermission.map((p) => ({ permType: p.permType, key: p.key, rangeEnd: p.range_end })),
      });
    }
    return s;
  }

  get enabled(): boolean {
    return this.enabledFlag;
  }

  get revision(): number {
    return this.revisionValue;
  }

  user(name: string): UserRecord | undefined {
    return this.users.get(name);
  }

  role(name: string): RoleRecord | undefined {
    return this.roles.get(name);
  }

  userNames(): string[] {
    return [...this.users.keys()].sort();
  }

  roleNames(): string[] {
    return [...this.roles.keys()].sort();
  }

  isAdmin(user: string): boolean {
    return this.users.get(user)?.roles.includes(ROOT) ?? false;
  }

  /** etcd's isRangeOpPermitted: root may do anything; others need the range inside their union. */
  permits(user: string, kind: 'read' | 'write', key: Buffer, rangeEnd: Buffer): boolean {
    const u = this.users.get(user);
    if (!u) return false;
    if (u.roles.includes(ROOT)) return true;
    let ranges = this.rangeCache.get(user);
    if (!ranges) {
      const perms = u.roles.flatMap((r) => this.roles.get(r)?.perms ?? []);
      ranges = {
        read: new KeyRanges(perms.filter((p) => p.permType !== 'WRITE')),
        write: new KeyRanges(perms.filter((p) => p.permType !== 'READ')),
      };
      this.rangeCache.set(user, ranges);
    }
    return ranges[kind].covers(key, rangeEnd);
  }

  // ---- apply path ----

  applyEnable(): void {
    if (this.enabledFlag) return;
    const root = this.users.get(ROOT);
    if (!root) throw authErrors.rootUserNotExist();
    if (!root.roles.includes(ROOT)) throw authErrors.rootRoleNotExist();
    this.enabledFlag = true;
    this.backend.put('auth', KEY_ENABLED, Buffer.from([1]));
    this.tokens.clear();
    this.bump();
  }

  applyDisable(): void {
    if (!this.enabledFlag) return;
    this.enabledFlag = false;
    this.backend.put('auth', KEY_ENABLED, Buffer.from([0]));
    this.tokens.clear();
    this.bump();
  }

  /** Registers a token the proposer generated for a user whose password it checked. */
  applyAuthenticate(name: string, token: string): string {
    if (!this.enabledFlag) throw authErrors.authNotEnabled();
    if (!this.users.has(name)) throw authErrors.authFailed();
    if (token === '') throw new Error('invariant: authenticate entry without a token');
    this.tokens.assign(token, name);
    return token;
  }

  applyUserAdd(name: string, hashedPassword: string, noPassword: boolean): void {
    if (name === '') throw authErrors.userEmpty();
    if (this.users.has(name)) throw authErrors.userAlreadyExist();
    this.putUser({ name, password: noPassword ? '' : hashedPassword, roles: [], noPassword });
    this.bump();
  }

  applyUserDelete(name: string): void {
    if (this.enabledFlag && name === ROOT) throw authErrors.invalidAuthMgmt();
    if (!this.users.has(name)) throw authErrors.userNotFound();
    this.users.delete(name);
    this.rangeCache.delete(name);
    this.backend.delete('authUsers', Buffer.from(name));
    this.tokens.invalidateUser(name);
    this.bump();
  }

  applyUserChangePassword(name: string, hashedPassword: string): void {
    const u = this.users.get(name);
    if (!u) throw authErrors.userNotFound();
    this.putUser({ ...u, password: u.noPassword ? '' : hashedPassword });
    this.tokens.invalidateUser(name);
    this.bump();
  }

  applyUserGrantRole(name: string, role: string): void {
    const u = this.users.get(name);
    if (!u) throw authErrors.userNotFound();
    if (role !== ROOT && !this.roles.has(role)) throw authErrors.roleNotFound();
    if (u.roles.includes(role)) return;
    this.putUser({ ...u, roles: [...u.roles, role].sort() });
    this.bump();
  }

  applyUserRevokeRole(name: string, role: string): void {
    if (this.enabledFlag && name === ROOT && role === ROOT) throw authErrors.invalidAuthMgmt();
    const u = this.users.get(name);
    if (!u) throw authErrors.userNotFound();
    if (!u.roles.includes(role)) throw authErrors.roleNotGranted();
    this.putUser({ ...u, roles: u.roles.filter((r) => r !== role) });
    this.bump();
  }

  applyRoleAdd(name: string): void {
    if (name === '') throw authErrors.roleEmpty();
    if (this.roles.has(name)) throw authErrors.roleAlreadyExist();
    this.putRole({ name, perms: [] });
    this.bump();
  }

  applyRoleDelete(name: string): void {
    if (this.enabledFlag && name === ROOT) throw authErrors.invalidAuthMgmt();
    if (!this.roles.has(name)) throw authErrors.roleNotFound();
    this.roles.delete(name);
    this.backend.delete('authRoles', Buffer.from(name));
    for (const u of [...this.users.values()]) {
      if (u.roles.includes(name)) this.putUser({ ...u, roles: u.roles.filter((r) => r !== name) });
    }
    this.bump();
  }

  applyRoleGrantPermission(name: string, perm: PermissionRecord | null): void {
    const r = this.roles.get(name);
    if (!r) throw authErrors.roleNotFound();
    if (perm === null) throw authErrors.permissionNotGiven();
    const perms = r.perms.filter((p) => !(p.key.equals(perm.key) && p.rangeEnd.equals(perm.rangeEnd)));
    perms.push({ permType: perm.permType, key: Buffer.from(perm.key), rangeEnd: Buffer.from(perm.rangeEnd) });
    perms.sort((a, b) => Buffer.compare(a.key, b.key) || Buffer.compare(a.rangeEnd, b.rangeEnd));
    this.putRole({ name, perms });
    this.bump();
  }

  applyRoleRevokePermission(name: string, key: Buffer, rangeEnd: Buffer): void {
    const r = this.roles.get(name);
    if (!r) throw authErrors.roleNotFound();
    const perms = r.perms.filter((p) => !(p.key.equals(key) && p.rangeEnd.equals(rangeEnd)));
    if (perms.length === r.perms.length) throw authErrors.permissionNotGranted();
    this.putRole({ name, perms });
    this.bump();
  }

  // ---- internals ----

  private bump(): void {
    this.revisionValue += 1;
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(this.revisionValue));
    this.backend.put('auth', KEY_REVISION, b);
    // Roles or grants may have changed: permissions are recomputed on next use.
    this.rangeCache.clear();
  }

  private putUser(u: UserRecord): void {
    this.users.set(u.name, u);
    const msg: pb.User = {
      name: Buffer.from(u.name),
      password: Buffer.from(u.password),
      roles: u.roles,
      options: u.noPassword ? { no_password: true } : null,
    };
    this.backend.put('authUsers', Buffer.from(u.name), userCodec.encode(msg));
  }

  private putRole(r: RoleRecord): void {
    this.roles.set(r.name, r);
    const msg: pb.Role = {
      name: Buffer.from(r.name),
      keyPermission: r.perms.map((p) => ({ permType: p.permType, key: p.key, range_end: p.rangeEnd })),
    };
    this.backend.put('authRoles', Buffer.from(r.name), roleCodec.encode(msg));
  }

  /** For tests and docs: users and roles sorted by name. */
  dump(): { users: UserRecord[]; roles: RoleRecord[] } {
    return { users: [...this.users.values()].sort(byName), roles: [...this.roles.values()].sort(byName) };
  }
}
