// The log of a member that is its own quorum: an entry is committed as soon as it is durable in the
// WAL. Proposals that arrive together share one WAL write and one fsync; batches are applied strictly
// in index order, and each batch only after its fsync returned.
import type { Wal } from '../wal/wal.js';
import type { CommittedEntry, ConsensusLog } from './consensusLog.js';
import { RecordType, decodeEntry, decodeHardState, encodeEntry, encodeHardState } from './entryRecord.js';

interface Proposal {
  entry: CommittedEntry;
  done: (error?: Error) => void;
}

export class SingleMemberLog implements ConsensusLog {
  private lastIndex: number;
  private readonly recovered: CommittedEntry[];
  private queued: Proposal[] = [];
  private flushScheduled = false;
  private applyChain: Promise<void> = Promise.resolve();
  private apply: ((entries: CommittedEntry[]) => Promise<void>) | null = null;
  private stopped = false;
  readonly isLeader = true;

  private constructor(
    private readonly wal: Wal,
    readonly leaderId: bigint,
    readonly term: number,
    recovered: CommittedEntry[],
    private readonly onFatal: (error: Error) => void,
  ) {
    this.recovered = recovered;
    this.lastIndex = recovered.length > 0 ? recovered[recovered.length - 1]!.index : 0;
  }

  /**
   * Reads the entries the WAL holds and starts a new term, as a single etcd member campaigns again at
   * every start. `records` are what Wal.open returned.
   */
  static async open(
    wal: Wal,
    records: ReadonlyArray<{ type: number; data: Uint8Array }>,
    memberId: bigint,
    onFatal: (error: Error) => void,
  ): Promise<SingleMemberLog> {
    const entries: CommittedEntry[] = [];
    let term = 1;
    for (const record of records) {
      if (record.type === RecordType.hardState) {
        term = Math.max(term, decodeHardState(record.data));
      } else if (record.type === RecordType.entry) {
        const entry = decodeEntry(record.data);
        const previous = entries[entries.length - 1];
        if (previous && entry.index !== previous.index + 1) {
          throw new Error(`wal: entry index ${entry.index} follows ${previous.index}; the log has a gap`);
        }
        entries.push(entry);
      } else {
        throw new Error(`wal: unknown record type ${record.type}`);
      }
    }
    const newTerm = term + 1;
    await wal.append([{ type: RecordType.hardState, data: encodeHardState(newTerm) }]);
    return new SingleMemberLog(wal, memberId, newTerm, entries, onFatal);
  }

  get committedIndex(): number {
    return this.lastIndex;
  }

  async start(appliedIndex: number, apply: (entries: CommittedEntry[]) => Promise<void>): Promise<void> {
    const first = this.recovered[0];
    if (first && first.index > appliedIndex + 1) {
      throw new Error(`wal: starts at index ${first.index} but the store has applied only ${appliedIndex}`);
    }
    if (appliedIndex > this.lastIndex) {
      throw new Error(`wal: ends at index ${this.lastIndex} but the store has applied ${appliedIndex}`);
    }
    const replay = this.recovered.filter((e) => e.index > appliedIndex);
    this.recovered.length = 0;
    const batch = 1000;
    for (let i = 0; i < replay.length; i += batch) await apply(replay.slice(i, i + batch));
    this.apply = apply;
  }

  propose(data: Uint8Array): Promise<void> {
    if (this.stopped) return Promise.reject(new Error('etcdserver: server stopped'));
    return new Promise<void>((resolve, reject) => {
      const entry = { index: ++this.lastIndex, term: this.term, data };
      this.queued.push({ entry, done: (error) => (error ? reject(error) : resolve()) });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  async readIndex(): Promise<number> {
    // Every acknowledged write was applied before it was acknowledged, so the applied state already
    // holds everything a read must see; the committed index is a safe (slightly eager) bound.
    return this.lastIndex;
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queued;
    this.queued = [];
    if (batch.length === 0) return;
    const records = batch.map((p) => ({
      type: RecordType.entry,
      data: encodeEntry(p.entry.index, p.entry.term, p.entry.data),
    }));
    const durable = this.wal.append(records);
    this.applyChain = this.applyChain.then(async () => {
      try {
        await durable;
      } catch (error) {
        // A WAL that cannot be written is not a state to limp on in: etcd panics here too.
        this.onFatal(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      for (const p of batch) p.done();
      if (!this.apply) throw new Error('invariant: entries committed before the log was started');
      await this.apply(batch.map((p) => p.entry));
    });
    this.applyChain.catch((error: unknown) => this.onFatal(error instanceof Error ? error : new Error(String(error))));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.applyChain.catch(() => undefined);
  }
}
