// Cluster alarms (etcd's v3alarm): NOSPACE caps writes until disarmed, CORRUPT stops every request.
// Alarms are replicated state: they change only by applied Alarm entries, so every member agrees.
import { EtcdError, GrpcCode, mvccErrors } from '../mvcc/errors.js';
import type * as pb from './proto/messages.js';

export interface AlarmMemberEntry {
  memberId: bigint;
  alarm: 'NOSPACE' | 'CORRUPT';
}

export const corruptError = () => new EtcdError(GrpcCode.DATA_LOSS, 'etcdserver: corrupt cluster');

export class Alarms {
  private readonly active = new Map<string, AlarmMemberEntry>();

  constructor(
    initial: readonly AlarmMemberEntry[],
    /** Writes the whole alarm set to the store, in the same commit as the entry that changed it. */
    private readonly persist: (alarms: readonly AlarmMemberEntry[]) => void,
  ) {
    for (const a of initial) this.active.set(keyOf(a), a);
  }

  list(type: pb.AlarmType = 'NONE'): AlarmMemberEntry[] {
    return [...this.active.values()].filter((a) => type === 'NONE' || a.alarm === type);
  }

  has(type: 'NOSPACE' | 'CORRUPT'): boolean {
    return this.list(type).length > 0;
  }

  /** Throws etcd's error when writes are not allowed (applied entries and proposals both check). */
  assertWritable(): void {
    if (this.has('CORRUPT')) throw corruptError();
    if (this.has('NOSPACE')) throw mvccErrors.noSpace();
  }

  /** Applies an Alarm entry; returns what etcd returns: the alarms the request touched or matched. */
  apply(req: pb.AlarmRequest): AlarmMemberEntry[] {
    if (req.action === 'GET') return this.list(req.alarm);
    if (req.alarm === 'NONE') return [];
    const entry: AlarmMemberEntry = { memberId: BigInt(req.memberID), alarm: req.alarm };
    const key = keyOf(entry);
    if (req.action === 'ACTIVATE') {
      if (this.active.has(key)) return [];
      this.active.set(key, entry);
    } else {
      if (!this.active.delete(key)) return [];
    }
    this.persist(this.list());
    return [entry];
  }
}

const keyOf = (a: AlarmMemberEntry) => `${a.memberId}/${a.alarm}`;
