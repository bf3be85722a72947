// Builds the entry a handler proposes: one request of one kind, tagged with the ID its handler waits on.
import { currentRequestAuth } from './auth/requestAuth.js';
import type { InternalRaftRequest, InternalRequestBodies } from './proto/messages.js';

export function internalRequest<K extends keyof InternalRequestBodies>(
  kind: K,
  body: InternalRequestBodies[K],
  id: bigint,
): InternalRaftRequest {
  const ID = id.toString();
  // The oneof is tagged by `request`; TypeScript cannot relate a computed key to the union member.
  // The header names the caller the auth check admitted, so the applier can refuse a stale check.
  const header = { ID, ...currentRequestAuth() };
  return { header, ID, request: kind, [kind]: body } as unknown as InternalRaftRequest;
}
