// One write transaction (etcd's storeTxnWrite): puts and deletes at revision beginRev+1 with
// sub-revisions in order. Memory is updated as it goes, so later ops of the same txn see earlier
// ones, and every change is undoable until finish(), so a txn that fails midway leaves no trace.

import { KeyIndex, type KeyIndexMark } from './keyIndex.js';
import { encodeKeyValue } from './keyValueCodec.js';
import type { KeyRange, KvState } from './kvState.js';
import { encodeRevision, type Revision } from './revision.js';
import type { KeyValue, LeaseId, MvccEvent } from './types.js';

export interface Change {
  rev: Revision;
  tombstone: boolean;
  /** What is stored: the full kv for a put, KeyValue{key} for a delete. */
  stored: KeyValue;
  /** The key's live kv before this txn began (what etcd's watch reads at rev-1). */
  before: KeyValue | null;
}

const EMPTY = Buffer.alloc(0);

export class WriteTxn {
  readonly beginRev: number;
  readonly changes: Change[] = [];
  private readonly undo: Array<() => void> = [];
  /** Key (latin1) → the key's state before this txn first touched it (null: did not exist). */
  private readonly touched = new Map<string, KeyIndexMark | null>();
  private done = false;

  constructor(private readonly s: KvState) {
    this.beginRev = s.currentRev;
  }

  /** The revision reads inside the txn see (etcd: beginRev, or beginRev+1 once something changed). */
  readRev(): number {
    return this.changes.length > 0 ? this.beginRev + 1 : this.beginRev;
  }

  private nextRev(): Revision {
    return { main: this.beginRev + 1, sub: this.changes.length };
  }

  private touch(key: Buffer): KeyIndex {
    const id = key.toString('latin1');
    let ki = this.s.index.get(key);
    if (!this.touched.has(id)) {
      const existing = ki;
      const mark = existing ? existing.mark() : null;
      this.touched.set(id, mark);
      const keyCopy = Buffer.from(key);
      this.undo.push(() => {
        if (existing && mark) existing.rollbackTo(mark);
        else this.s.index.delete(keyCopy);
      });
    }
    if (!ki) {
      ki = new KeyIndex(this.s.bytes.copyBuffer(key));
      this.s.index.set(ki.key, ki);
    }
    return ki;
  }

  private beforeOf(key: Buffer): KeyValue | null {
    return this.touched.get(key.toString('latin1'))?.latest ?? null;
  }

  put(key: Buffer, value: Buffer, lease: LeaseId): number {
    this.assertOpen();
    const ki = this.touch(key);
    const rev = this.nextRev();
    const prev = ki.latest;
    // Frozen: the same object is handed to readers, watchers and prev_kv, so nobody may change it.
    const kv: KeyValue = Object.freeze({
      key: ki.key,
      createRevision: prev ? prev.createRevision : rev.main,
      modRevision: rev.main,
      version: prev ? prev.version + 1 : 1,
      value: this.s.bytes.copyBuffer(value),
      lease,
    });
    ki.put(rev);
    ki.latest = kv;
    const id = ki.key.toString('latin1');
    const prevLease = this.s.lessor.setKeyLease(id, lease);
    this.undo.push(() => this.s.lessor.setKeyLease(id, prevLease));
    this.changes.push({ rev, tombstone: false, stored: kv, before: this.beforeOf(ki.key) });
    return rev.main;
  }

  /** Deletes the live keys in range; returns how many. */
  deleteRange(r: KeyRange): number {
    this.assertOpen();
    const keys: Buffer[] = [];
    this.s.visit(r, (ki) => {
      if (ki.latest) keys.push(ki.key);
      return true;
    });
    for (const key of keys) this.deleteKey(key);
    return keys.length;
  }

  private deleteKey(key: Buffer): void {
    const ki = this.touch(key);
    const rev = this.nextRev();
    ki.tombstone(rev);
    ki.latest = null;
    const id = ki.key.toString('latin1');
    const prevLease = this.s.lessor.setKeyLease(id, 0n);
    this.undo.push(() => this.s.lessor.setKeyLease(id, prevLease));
    const stored: KeyValue = { key: ki.key, createRevision: 0, modRevision: 0, version: 0, value: EMPTY, lease: 0n };
    this.changes.push({ rev, tombstone: true, stored, before: this.beforeOf(ki.key) });
  }

  /** Undo every change, newest first. */
  rollback(): void {
    this.assertOpen();
    this.done = true;
    for (let i = this.undo.length - 1; i >= 0; i--) this.undo[i]!();
  }

  /**
   * Make the txn's changes part of the store: stage them for the backend and advance the revision.
   * Returns the events of the new revision (empty when nothing changed).
   */
  finish(): MvccEvent[] {
    this.assertOpen();
    this.done = true;
    if (this.changes.length === 0) return [];
    const rev = this.beginRev + 1;
    const events: MvccEvent[] = [];
    for (const c of this.changes) {
      this.s.backend.put('key', encodeRevision(c.rev, c.tombstone), encodeKeyValue(c.stored));
      events.push(
        c.tombstone
          ? { type: 'DELETE', kv: { ...c.stored, modRevision: rev }, prevKv: c.before }
          : {
              type: 'PUT',
              kv: c.stored,
              prevKv: c.stored.createRevision === c.stored.modRevision ? null : c.before,
            },
      );
    }
    if (this.s.currentRev !== this.beginRev) throw new Error('mvcc: revision moved during a write txn');
    this.s.currentRev = rev;
    return events;
  }

  private assertOpen(): void {
    if (this.done) throw new Error('mvcc: write txn used after it ended');
  }
}
