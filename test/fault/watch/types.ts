import type { KvView } from '../linearizability/etcdTypes.js';

/*
 * Recorded watch streams, as plain JSON. One stream is one watch as created on the server: when a
 * stream breaks (a member is killed) the client opens a new one from the next revision it needs, and
 * that is a new stream record.
 */

export interface WatchEvent {
  type: 'PUT' | 'DELETE';
  /** For a DELETE, etcd sends the key with mod_revision = the delete's revision and no value. */
  kv: KvView;
  /** Present only when the watch asked for prev_kv; null when the server sent none. */
  prevKv?: KvView | null;
}

export interface WatchResponseRecord {
  receivedAt: number;
  headerRevision: number;
  events: WatchEvent[];
  created?: boolean;
  canceled?: boolean;
  compactRevision?: number;
  /** A response with no events that is neither created nor canceled: a progress notification. */
  progressNotify?: boolean;
}

export interface WatchRequestRecord {
  key: string;
  /** Absent: the single key. */
  rangeEnd?: string;
  /** 0: from the revision after the one current at creation. */
  startRevision: number;
  prevKv: boolean;
}

export interface WatchStream {
  id: string;
  request: WatchRequestRecord;
  responses: WatchResponseRecord[];
}

export function inRange(request: { key: string; rangeEnd?: string }, key: string): boolean {
  if (request.rangeEnd === undefined) return key === request.key;
  // etcd's "\0" range end means every key from `key` on.
  if (request.rangeEnd === '\0') return key >= request.key;
  return key >= request.key && key < request.rangeEnd;
}

export type WatchGuarantee =
  | 'ordered'
  | 'unique'
  | 'atomic'
  | 'bookmarkable'
  | 'resumable'
  | 'reliable'
  | 'consistent'
  | 'prevKv'
  | 'isCreate'
  | 'matchesHistory'
  | 'header';

export interface WatchViolation {
  guarantee: WatchGuarantee;
  stream: string;
  detail: string;
}
