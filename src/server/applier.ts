// Applies committed log entries to the store, deterministically: the same entries applied to the same
// state give the same state on every member. Each entry's effect and its index go into the store in the
// same commit; an entry at or below the store's consistent index was applied before a restart and is
// skipped. The handler that proposed an entry is woken with the result through PendingRequests.
import { EtcdError } from '../mvcc/errors.js';
import type { MvccStore } from '../mvcc/store.js';
import type {
  CompactionResponse,
  DeleteRangeResponse,
  Lease,
  PutResponse,
  ResponseHeader,
  TxnResponse,
} from '../mvcc/types.js';
import type { CommittedEntry } from './log/consensusLog.js';
import type { Alarms, AlarmMemberEntry } from './alarms.js';
import { applyAuthRequest, type AuthApplyResults, isAuthRequest } from './auth/authApply.js';
import { authStoreOf } from './auth/registry.js';
import { checkAppliedRevision } from './auth/requestAuth.js';
import type { PendingRequests } from './pendingRequests.js';
import { failpoint, failpointsSet } from './failpoints.js';
import { decodeInternalRaftRequest } from './proto/codec.js';
import * as convert from './proto/convert.js';
import type * as pb from './proto/messages.js';

/** What each kind of entry gives the handler that proposed it. */
export interface ApplyResults extends AuthApplyResults {
  put: PutResponse;
  delete_range: DeleteRangeResponse;
  txn: TxnResponse;
  compaction: CompactionResponse;
  lease_grant: Lease;
  lease_revoke: ResponseHeader;
  lease_checkpoint: ResponseHeader;
  alarm: AlarmMemberEntry[];
  cluster_member_attr_set: undefined;
}
export type ApplyKind = keyof ApplyResults;

export interface ApplierHooks {
  /** A membership change entry: the member applies it to the cluster, raft and the transport. */
  applyConfChange(entry: CommittedEntry): void;
  /** A member published its name and client URLs. */
  memberAttributes(memberId: bigint, name: string, clientUrls: string[]): void;
  /** A lease was granted or revoked by an applied entry (the lease clock follows). */
  leaseGranted(lease: Lease): void;
  leaseRevoked(id: bigint): void;
  /** Called after every applied batch with the new applied index. */
  applied(index: number): void;
  /** A store commit failed after its apply returned: the member cannot go on. */
  fatal(error: Error): void;
}

export class Applier {
  constructor(
    private readonly store: MvccStore,
    private readonly alarms: Alarms,
    private readonly pending: PendingRequests<unknown>,
    private readonly hooks: ApplierHooks,
  ) {}

  async applyBatch(entries: readonly CommittedEntry[]): Promise<void> {
    const outcomes: Array<{ id: bigint; ok: true; value: unknown } | { id: bigint; ok: false; error: Error }> = [];
    let last = this.store.consistentIndex;
    for (const entry of entries) {
      if (entry.index <= this.store.consistentIndex) continue;
      if (entry.index !== last + 1 && last !== 0) {
        throw new Error(`invariant: applying index ${entry.index} after ${last}`);
      }
      last = entry.index;
      if (entry.confChange) {
        this.hooks.applyConfChange(entry);
        this.store.setConsistentIndex(entry.index, entry.term);
        continue;
      }
      if (entry.data.length === 0) {
        // An empty entry (a new leader's no-op) changes nothing but the applied index.
        this.store.setConsistentIndex(entry.index, entry.term);
        continue;
      }
      const request = decodeInternalRaftRequest(entry.data);
      const id = BigInt(request.header?.ID ?? request.ID);
      try {
        checkAppliedRevision(await authStoreOf(this.store), request.header);
        const value = await this.applyOne(request);
        outcomes.push({ id, ok: true, value });
      } catch (error) {
        // Only etcd's own request errors are outcomes; anything else is a bug and must stop the member.
        if (!(error instanceof EtcdError)) throw error;
        outcomes.push({ id, ok: false, error });
      }
      this.store.setConsistentIndex(entry.index, entry.term);
    }
    // The entries are durable in the WAL and visible in the store's memory: answer now, and let the
    // LevelDB batch (which carries the consistent index) follow. A crash before it lands replays them.
    this.hooks.applied(this.store.consistentIndex);
    for (const o of outcomes) {
      this.pending.trigger(o.id, o.ok ? { ok: true, value: o.value } : { ok: false, error: o.error });
    }
    if (failpointsSet) await failpoint('applyBeforeBackendCommit');
    // The next apply need not wait for this batch to reach LevelDB: reads see staged writes, and a
    // batched commit is written up to --backend-batch-interval later with everything staged by then,
    // instead of the apply chain waiting on a thread-pool write per Ready (etcd's timed commits).
    const commit = this.store.commit({ batched: true }).then(async () => {
      if (failpointsSet) await failpoint('applyAfterBackendCommit');
    });
    // At --backend-batch-limit staged writes the batch goes at once and the apply waits for it; below
    // it, applies go on while LevelDB writes the previous one.
    if (this.store.backend.stagedWrites >= this.store.backend.batchLimit) {
      await commit;
      return;
    }
    commit.catch((error: unknown) => this.hooks.fatal(error instanceof Error ? error : new Error(String(error))));
  }

  private async applyOne(request: pb.InternalRaftRequest): Promise<ApplyResults[ApplyKind] | undefined> {
    switch (request.request) {
      case 'put':
        this.alarms.assertWritable();
        return this.store.applyPut(convert.putRequestFromProto(request.put));
      case 'delete_range':
        return this.store.applyDeleteRange(convert.deleteRangeRequestFromProto(request.delete_range));
      case 'txn': {
        const txn = convert.txnRequestFromProto(request.txn);
        if (convert.txnHasPuts(txn)) this.alarms.assertWritable();
        return this.store.applyTxn(txn);
      }
      case 'compaction':
        return this.store.applyCompaction(convert.compactionRequestFromProto(request.compaction));
      case 'lease_grant': {
        this.alarms.assertWritable();
        const lease = this.store.applyLeaseGrant(BigInt(request.lease_grant.ID), Number(request.lease_grant.TTL));
        this.hooks.leaseGranted(lease);
        return lease;
      }
      case 'lease_revoke': {
        const id = BigInt(request.lease_revoke.ID);
        const header = await this.store.applyLeaseRevoke(id);
        this.hooks.leaseRevoked(id);
        return header;
      }
      case 'lease_checkpoint':
        for (const cp of request.lease_checkpoint.checkpoints) {
          this.store.applyLeaseCheckpoint(BigInt(cp.ID), Number(cp.remaining_TTL));
        }
        return { revision: this.store.currentRevision };
      case 'alarm':
        return this.alarms.apply(request.alarm);
      case 'cluster_member_attr_set': {
        const attrs = request.cluster_member_attr_set;
        this.hooks.memberAttributes(BigInt(attrs.member_ID), attrs.member_attributes?.name ?? '', attrs.member_attributes?.client_urls ?? []);
        return undefined;
      }
      default:
        if (isAuthRequest(request)) return applyAuthRequest(await authStoreOf(this.store), request, this.store.currentRevision);
        throw new Error(`invariant: log entry with unsupported request ${String(request.request)}`);
    }
  }
}
