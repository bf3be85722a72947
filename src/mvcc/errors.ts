// etcd's errors travel as (gRPC status code, message); Go clients map them back by the message text,
// so both must be etcd's to the letter (etcd api/v3rpc/rpctypes/error.go). The code is a plain number
// here because the store knows nothing of gRPC; the server passes it through unchanged.

export const GrpcCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type GrpcCodeValue = (typeof GrpcCode)[keyof typeof GrpcCode];

export class EtcdError extends Error {
  constructor(
    readonly code: GrpcCodeValue,
    message: string,
  ) {
    super(message);
    this.name = 'EtcdError';
  }
}

/**
 * Stored data that cannot be what was written (a record or entry that does not decode, or disagrees
 * with its neighbours). The process refuses to start rather than serve it; `logMessage` is the line
 * etcd logs for the same damage, `message` says what exactly was found.
 */
export class CorruptDataError extends Error {
  constructor(
    readonly logMessage: string,
    message: string,
  ) {
    super(message);
    this.name = 'CorruptDataError';
  }
}

const err = (code: GrpcCodeValue, message: string) => () => new EtcdError(code, message);

/** Errors the store itself raises. Each is a factory so every throw gets its own stack. */
export const mvccErrors = {
  emptyKey: err(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key is not provided'),
  valueProvided: err(GrpcCode.INVALID_ARGUMENT, 'etcdserver: value is provided'),
  leaseProvided: err(GrpcCode.INVALID_ARGUMENT, 'etcdserver: lease is provided'),
  keyNotFound: err(GrpcCode.INVALID_ARGUMENT, 'etcdserver: key not found'),
  compacted: err(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision has been compacted'),
  futureRev: err(GrpcCode.OUT_OF_RANGE, 'etcdserver: mvcc: required revision is a future revision'),
  noSpace: err(GrpcCode.RESOURCE_EXHAUSTED, 'etcdserver: mvcc: database space exceeded'),
  leaseNotFound: err(GrpcCode.NOT_FOUND, 'etcdserver: requested lease not found'),
  leaseExist: err(GrpcCode.FAILED_PRECONDITION, 'etcdserver: lease already exists'),
  leaseTTLTooLarge: err(GrpcCode.OUT_OF_RANGE, 'etcdserver: too large lease TTL'),
  closed: err(GrpcCode.UNAVAILABLE, 'etcdserver: server stopped'),
} as const;
