/**
 * What a WalCorruptError found: a record whose CRC does not match its bytes, a record that is damaged
 * otherwise, or segments that do not follow one another (one missing, misnamed or cut short).
 */
export type WalDamage = 'crc' | 'record' | 'sequence';

/** The WAL holds damage that is not a torn tail; serving from it could return wrong data. */
export class WalCorruptError extends Error {
  constructor(
    message: string,
    readonly file: string,
    readonly offset: number,
    readonly damage: WalDamage = 'record',
  ) {
    super(`wal: corrupt ${file} at offset ${offset}: ${message}`);
    this.name = 'WalCorruptError';
  }
}

/** An earlier write or fsync failed: the file's durable state is unknown, so the WAL refuses all
 * further appends rather than retry (a failed fsync may have dropped dirty pages; see "fsyncgate"). */
export class WalFailedError extends Error {
  constructor(override readonly cause: unknown) {
    super(`wal: unusable after an earlier I/O failure: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'WalFailedError';
  }
}

export class WalClosedError extends Error {
  constructor() {
    super('wal: closed');
    this.name = 'WalClosedError';
  }
}
