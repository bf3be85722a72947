/** Any reason a byte image is not a bbolt file we can trust: corrupt, truncated or tampered. */
export class BoltFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoltFormatError';
  }
}

/** The caller asked the writer for something bbolt cannot represent (unsorted keys, oversized key...). */
export class BoltWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BoltWriteError';
  }
}

/** The metas are fine but the tree fails bbolt's tx.Check rules (what `snapshot status` reports). */
export class BoltIntegrityError extends BoltFormatError {
  constructor(message: string) {
    super(message);
    this.name = 'BoltIntegrityError';
  }
}
