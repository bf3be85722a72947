// Who a request was checked for, carried from the gRPC guard to the proposal without threading it
// through every handler: the guard runs the handler inside this context, and the proposal's header
// records the user and the auth revision the check saw. At apply, a request checked against an older
// auth revision is refused (etcd's ErrAuthOldRevision), so a permission revoked between a member's
// check and the entry's commit cannot be bypassed; the client retries and is checked again.
import { AsyncLocalStorage } from 'node:async_hooks';
import type * as pb from '../proto/messages.js';
import type { AuthStore } from './authStore.js';
import { authErrors } from './errors.js';

export interface RequestAuth {
  username: string;
  authRevision: number;
}

export const requestAuth = new AsyncLocalStorage<RequestAuth>();

/** The header fields for a proposal made now: the checked caller, or none for internal proposals. */
export function currentRequestAuth(): { username: string; auth_revision: string } {
  const a = requestAuth.getStore();
  return { username: a?.username ?? '', auth_revision: String(a?.authRevision ?? 0) };
}

/**
 * At apply: with auth on, an entry that a client's check admitted at an older auth revision is refused.
 * Internal proposals (no user, revision 0: lease expiry, alarms, compaction schedules) pass.
 */
export function checkAppliedRevision(auth: AuthStore, header: pb.RequestHeader | null): void {
  if (!auth.enabled || header === null) return;
  const revision = Number(header.auth_revision);
  if (header.username === '' && revision === 0) return;
  if (revision < auth.revision) throw authErrors.authOldRevision();
}
