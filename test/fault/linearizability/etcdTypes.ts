/*
 * The etcd operations a fault run records, as plain JSON (histories are written to disk and replayed).
 * Keys and values are strings; every put in a run writes a value no other put writes, so a value names
 * the write that produced it. Lease ids are chosen by the client.
 */

export type CompareTarget = 'mod' | 'create' | 'version' | 'value' | 'lease';
export type CompareResult = '==' | '!=' | '<' | '>';

export interface Compare {
  key: string;
  target: CompareTarget;
  result: CompareResult;
  /** A number for mod/create/version/lease, a string for value. */
  operand: number | string;
}

export type TxnOp =
  | { type: 'put'; key: string; value: string; lease?: number }
  | { type: 'range'; key: string; rangeEnd?: string }
  | { type: 'delete'; key: string };

export type EtcdRequest =
  | TxnOp
  | { type: 'txn'; compare: Compare[]; success: TxnOp[]; failure: TxnOp[] }
  | { type: 'leaseGrant'; id: number; ttl: number }
  | { type: 'leaseRevoke'; id: number };

export interface KvView {
  key: string;
  value: string;
  modRevision: number;
  createRevision: number;
  version: number;
  lease: number;
}

export type OpResult =
  | { type: 'put' }
  | { type: 'range'; kvs: KvView[] }
  | { type: 'delete'; deleted: number }
  | { type: 'txn'; succeeded: boolean; results: OpResult[] }
  | { type: 'leaseGrant' }
  | { type: 'leaseRevoke' };

/**
 * The errors a request can fail with that say for certain it changed nothing. 'not-sent': the client
 * had no connection, so the request never left it.
 */
export type DefiniteError = 'lease-not-found' | 'lease-exists' | 'not-sent';

export type EtcdResponse =
  | { status: 'ok'; revision: number; result: OpResult }
  | { status: 'error'; error: DefiniteError }
  /** Timed out or lost: it may have been applied, or not. */
  | { status: 'unknown' };
