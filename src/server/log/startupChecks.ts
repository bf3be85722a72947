// What a member proves about its data before it starts: the WAL reads without damage, and the store
// is not ahead of the log it was applied from. Each refusal is a CorruptDataError carrying the line
// etcd logs for the same damage, so operators find it by etcd's words; the member never serves it.
import { CorruptDataError } from '../../mvcc/errors.js';
import type { HardState } from '../../raft/index.js';
import { WalCorruptError } from '../wal/index.js';

/** Wal.open's refusals in etcd's words (etcd: wal.Open / WAL.ReadAll failing in readWAL). */
export function walOpenRefusal(error: unknown): unknown {
  if (!(error instanceof WalCorruptError)) return error;
  switch (error.damage) {
    case 'sequence':
      return new CorruptDataError('failed to open WAL', `wal: file not found (${error.message})`);
    case 'crc':
      return new CorruptDataError('failed to read WAL, cannot be repaired', `walpb: crc mismatch (${error.message})`);
    case 'record':
      return new CorruptDataError('failed to read WAL, cannot be repaired', error.message);
  }
}

export interface StoreState {
  /** The consistent index: the last log index whose effect the store holds. */
  applied: number;
  term: number;
  /** Whether the meta bucket holds a consistent index at all. */
  appliedRecorded: boolean;
  /** The store's current revision and member count: anything but a fresh store has some. */
  revision: number;
  members: number;
}

/**
 * A store with data but no consistent index would have the whole log applied to it a second time
 * (every put again, at new revisions): wrong data. A fresh store has neither.
 */
export function checkAppliedIndexRecorded(store: StoreState): void {
  if (store.appliedRecorded) return;
  if (store.revision <= 1 && store.members === 0) return;
  throw new CorruptDataError(
    'failed to recover v3 backend: the consistent index is missing',
    `backend.ConsistentIndex is missing from the meta bucket, but the backend holds ${store.members} members ` +
      `and revision ${store.revision}`,
  );
}

/**
 * The store applies only entries already durable in the WAL, so its consistent index can never pass
 * the log's last index, nor its term the log's term. It may pass the recorded commit index: a hard
 * state whose only change is the commit is written without a sync (etcd's MustSync), and a power
 * loss can take it back while the store kept what it applied. A store past the log's end holds
 * effects of entries this member never had (etcd's verify.validateConsistentIndex checks the same
 * against its commit index).
 */
export function checkStoreWithinLog(store: Pick<StoreState, 'applied' | 'term'>, lastIndex: number, hardState: HardState | null): void {
  const term = hardState?.term ?? 0;
  if (store.applied > lastIndex) {
    throw new CorruptDataError(
      'failed to verify the backend against the WAL',
      `backend.ConsistentIndex (${store.applied}) must be <= the WAL's last index (${lastIndex})`,
    );
  }
  if (store.term > term) {
    throw new CorruptDataError('failed to verify the backend against the WAL', `backend.Term (${store.term}) must be <= WAL.HardState.term, (${term})`);
  }
}
