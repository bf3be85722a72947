// Cluster alarms (etcd's v3alarm): NOSPACE caps writes until disarmed, CORRUPT stops every request.
// Alarms are replicated state: they change only by applied Alarm entries, so every member agrees.
import { EtcdError, GrpcCode, mvccErrors } from '../mvcc/errors.js';
import type { Backend } from '../mvcc/backend.js';
import type * as pb from './proto/messages.js';

export interface AlarmMemberEntry {
  memberId: bigint;
  alarm: 'NOSPACE' | 'CORRUPT';
}

export const corruptError = () => new EtcdError(GrpcCode.DATA_LOSS, 'etcdserver: corrupt cluster');

const ALARM_CODES = { NOSPACE: 1, CORRUPT: 2 } as const;

/** The store's `alarm` bucket holds one key per active alarm: member ID (u64 BE) then the alarm code. */
function alarmKey(a: AlarmMemberEntry): Buffer {
  const key = Buffer.alloc(9);
  key.writeBigUInt64BE(a.memberId, 0);
  key[8] = ALARM_CODES[a.alarm];
  return key;
}

function alarmFromKey(key: Buffer): AlarmMemberEntry {
  const code = key[8];
  const alarm = code === ALARM_CODES.NOSPACE ? 'NOSPACE' : code === ALARM_CODES.CORRUPT ? 'CORRUPT' : null;
  if (key.length !== 9 || alarm === null) throw new Error(`alarm bucket holds a key capstan did not write: ${key.toString('hex')}`);
  return { memberId: key.readBigUInt64BE(0), alarm };
}

export class Alarms {
  private readonly active = new Map<string, AlarmMemberEntry>();

  private constructor(private readonly backend: Backend) {}

  /** Loads the alarms the store holds; later changes are staged into the store's next commit. */
  static async load(backend: Backend): Promise<Alarms> {
    const alarms = new Alarms(backend);
    const cursor = backend.scan('alarm', Buffer.alloc(0), null);
    try {
      for (let batch = await cursor.next(100); batch.length > 0; batch = await cursor.next(100)) {
        for (const { key } of batch) {
          const a = alarmFromKey(key);
          alarms.active.set(keyOf(a), a);
        }
      }
    } finally {
      await cursor.close();
    }
    return alarms;
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
      this.backend.put('alarm', alarmKey(entry), Buffer.alloc(0));
    } else {
      if (!this.active.delete(key)) return [];
      this.backend.delete('alarm', alarmKey(entry));
    }
    return [entry];
  }
}

const keyOf = (a: AlarmMemberEntry) => `${a.memberId}/${a.alarm}`;
