// Builds the entry a handler proposes: one request of one kind, tagged with the ID its handler waits on.
import { encodeInternalRaftRequest } from './proto/codec.js';
import type { InternalRaftRequest, InternalRequestBodies } from './proto/messages.js';

export function internalRequest<K extends keyof InternalRequestBodies>(
  kind: K,
  body: InternalRequestBodies[K],
  id: bigint,
): InternalRaftRequest {
  const ID = id.toString();
  // The oneof is tagged by `request`; TypeScript cannot relate a computed key to the union member.
  return { header: { ID, username: '', auth_revision: '0' }, ID, request: kind, [kind]: body } as unknown as InternalRaftRequest;
}

export function encodedSize<K extends keyof InternalRequestBodies>(kind: K, body: InternalRequestBodies[K]): number {
  return encodeInternalRaftRequest(internalRequest(kind, body, 0n)).length;
}
