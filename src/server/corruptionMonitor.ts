// Cross-member data checks (etcd's server/etcdserver/corrupt.go): members applying the same log must
// hold byte-identical key-value state, so their HashKV at one revision must agree.
//  - initialCheck (--experimental-initial-corrupt-check): before serving clients, a member compares its
//    hash at its own revision with every peer's; a mismatch at the same compact revision is a refusal
//    to start.
//  - periodicCheck (--experimental-corrupt-check-time): the leader compares its hash with the
//    followers' and raises the CORRUPT alarm on the member that disagrees.
import { CorruptDataError } from '../mvcc/errors.js';
import type { Logger } from './logger.js';

export interface PeerHash {
  /** The peer's current revision (HashKVResponse.header.revision). */
  revision: number;
  hash: number;
  compactRevision: number;
}

/** A member's HashKV at one revision, and the revision it was taken at. */
export interface LocalHash {
  hash: number;
  compactRevision: number;
  revision: number;
}

export interface HashSource {
  readonly memberId: bigint;
  readonly requestTimeoutMs: number;
  /** HashKV at `revision` (0: the current one). */
  localHash(revision: number): Promise<LocalHash>;
  peers(): Array<{ id: bigint; urls: readonly string[] }>;
  /** A peer's HashKV at `revision`; rejects with the peer's error text (compacted, future revision...). */
  peerHash(id: bigint, revision: number, timeoutMs: number): Promise<PeerHash>;
  linearizableBarrier(): Promise<void>;
  raiseCorruptAlarm(memberId: bigint): void;
}

/** The hashKV peer request's answer, as JSON (etcd's /members/hashkv answers JSON too). */
export function encodePeerHash(h: PeerHash): string {
  return JSON.stringify(h);
}

export function decodePeerHash(bytes: Uint8Array): PeerHash {
  const v: unknown = JSON.parse(Buffer.from(bytes).toString());
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const { revision, hash, compactRevision } = o;
  if (typeof revision !== 'number' || typeof hash !== 'number' || typeof compactRevision !== 'number') {
    throw new Error(`malformed hashKV answer from a peer: ${Buffer.from(bytes).toString().slice(0, 200)}`);
  }
  return { revision, hash, compactRevision };
}

type PeerAnswer = { id: bigint; urls: readonly string[] } & ({ resp: PeerHash } | { error: Error });

/** etcd's texts for the two errors a peer's HashKV may answer that the checks tell apart. */
const COMPACTED = 'required revision has been compacted';
const FUTURE_REV = 'required revision is a future revision';

const hex = (id: bigint): string => id.toString(16);

export class CorruptionMonitor {
  constructor(
    private readonly source: HashSource,
    private readonly logger: Logger,
  ) {}

  /** Throws a CorruptDataError when a peer's hash differs at this member's revision and compaction. */
  async initialCheck(): Promise<void> {
    const s = this.source;
    this.logger.info('starting initial corruption check', {
      'local-member-id': hex(s.memberId),
      timeout: `${s.requestTimeoutMs / 1000}s`,
    });
    const local = await s.localHash(0);
    let mismatch = 0;
    for (const p of await this.peerHashes(local.revision)) {
      const base = {
        'local-member-id': hex(s.memberId),
        'local-member-revision': local.revision,
        'local-member-compact-revision': local.compactRevision,
        'local-member-hash': local.hash,
        'remote-peer-id': hex(p.id),
        'remote-peer-endpoints': p.urls,
      };
      if ('resp' in p) {
        if (p.resp.hash === local.hash) continue;
        const fields = {
          ...base,
          'remote-peer-revision': p.resp.revision,
          'remote-peer-compact-revision': p.resp.compactRevision,
          'remote-peer-hash': p.resp.hash,
        };
        if (p.resp.compactRevision === local.compactRevision) {
          this.logger.warn('found different hash values from remote peer', fields);
          mismatch++;
        } else {
          this.logger.warn('found different compact revision values from remote peer', fields);
        }
      } else if (p.error.message.includes(FUTURE_REV)) {
        this.logger.warn('cannot fetch hash from slow remote peer', { ...base, error: p.error.message });
      } else if (p.error.message.includes(COMPACTED)) {
        this.logger.warn('cannot fetch hash from remote peer; local member is behind', { ...base, error: p.error.message });
      }
    }
    if (mismatch > 0) {
      throw new CorruptDataError('checkInitialHashKV failed', `${hex(s.memberId)} found data inconsistency with peers`);
    }
    this.logger.info('initial corruption checking passed; no corruption', { 'local-member-id': hex(s.memberId) });
  }

  /** The leader's periodic pass: raises the CORRUPT alarm on a member whose state disagrees. */
  async periodicCheck(): Promise<void> {
    const s = this.source;
    const h = await s.localHash(0);
    const peers = await this.peerHashes(h.revision);
    await s.linearizableBarrier();
    const h2 = await s.localHash(0);
    let alarmed = false;
    const mismatch = (id: bigint) => {
      if (alarmed) return;
      alarmed = true;
      s.raiseCorruptAlarm(id);
    };
    if (h2.hash !== h.hash && h2.revision === h.revision && h2.compactRevision === h.compactRevision) {
      this.logger.warn('found hash mismatch', {
        'revision-1': h.revision,
        'compact-revision-1': h.compactRevision,
        'hash-1': h.hash,
        'revision-2': h2.revision,
        'compact-revision-2': h2.compactRevision,
        'hash-2': h2.hash,
      });
      mismatch(s.memberId);
    }
    let checked = 0;
    for (const p of peers) {
      if (!('resp' in p)) continue;
      checked++;
      if (p.resp.revision > h2.revision) {
        this.logger.warn("revision from follower must be less than or equal to leader's", {
          'leader-revision': h2.revision,
          'follower-revision': p.resp.revision,
          'follower-peer-id': hex(p.id),
        });
        mismatch(p.id);
      }
      if (p.resp.compactRevision > h2.compactRevision) {
        this.logger.warn("compact revision from follower must be less than or equal to leader's", {
          'leader-compact-revision': h2.compactRevision,
          'follower-compact-revision': p.resp.compactRevision,
          'follower-peer-id': hex(p.id),
        });
        mismatch(p.id);
      }
      if (p.resp.compactRevision === h.compactRevision && p.resp.hash !== h.hash) {
        this.logger.warn('same compact revision then hashes must match', {
          'leader-compact-revision': h2.compactRevision,
          'leader-hash': h.hash,
          'follower-compact-revision': p.resp.compactRevision,
          'follower-hash': p.resp.hash,
          'follower-peer-id': hex(p.id),
        });
        mismatch(p.id);
      }
    }
    this.logger.info('finished peer corruption check', { 'number-of-peers-checked': checked });
  }

  /** Every peer's hash at `revision`, asked one after another as etcd does (the cluster is small). */
  private async peerHashes(revision: number): Promise<PeerAnswer[]> {
    const s = this.source;
    const answers: PeerAnswer[] = [];
    for (const p of s.peers()) {
      try {
        answers.push({ ...p, resp: await s.peerHash(p.id, revision, s.requestTimeoutMs) });
      } catch (error) {
        const e = error instanceof Error ? error : new Error(String(error));
        this.logger.warn('failed hash kv request', {
          'local-member-id': hex(s.memberId),
          'requested-revision': revision,
          'remote-peer-endpoint': p.urls.join(','),
          error: e.message,
        });
        answers.push({ ...p, error: e });
      }
    }
    return answers;
  }
}
