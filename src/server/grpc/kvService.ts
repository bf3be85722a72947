// etcdserverpb.KV: requests are checked as etcd checks them, writes go through the log, reads are
// served locally (after a ReadIndex barrier unless serializable).
import { isReadOnlyTxn } from '../../mvcc/store.js';
import type { TxnRequest } from '../../mvcc/types.js';
import * as convert from '../proto/convert.js';
import type { KVHandlers } from '../proto/handlers.js';
import type * as pb from '../proto/messages.js';
import { checkDeleteRange, checkPut, checkRange, checkTxn } from '../validation.js';
import type { MemberContext } from './context.js';
import { type RpcObserver, unary } from './unary.js';

/** etcd's isTxnSerializable: every range in either branch asks for a serializable read. */
const isSerializableTxn = (txn: TxnRequest): boolean =>
  [...txn.success, ...txn.failure].every((op) => 'range' in op && op.range.serializable);

/** etcd's quota cost of a put (kvOverhead 256 plus key and value bytes). */
const putCost = (key: Buffer, value: Buffer): number => 256 + key.length + value.length;

/** etcd's costTxn: the dearer branch, each branch summing its puts (nested txns included). */
function txnCost(txn: TxnRequest): number {
  const branch = (ops: TxnRequest['success']): number =>
    ops.reduce((sum, op) => sum + ('put' in op ? putCost(op.put.key, op.put.value) : 'txn' in op ? txnCost(op.txn) : 0), 0);
  return Math.max(branch(txn.success), branch(txn.failure));
}

export function kvService(ctx: MemberContext, observer: RpcObserver): KVHandlers {
  const rpc = <Req, Res>(method: string, fn: (req: Req) => Promise<Res>) =>
    unary<Req, Res>('etcdserverpb.KV', method, observer, (req) => fn(req));

  // etcd refuses a request whose log entry exceeds --max-request-bytes, after its quota check: the
  // entry is encoded once, by propose, and measured there.
  const sized = { maxBytes: ctx.limits.maxRequestBytes };

  return {
    // Range and Put are plain functions returning promises, not async ones: on the two hottest
    // paths every async frame and await is an allocation and a microtask turn per request.
    Range: rpc<pb.RangeRequest, pb.RangeResponse>('Range', (req) => {
      const r = convert.rangeRequestFromProto(req);
      checkRange(r);
      const read = () => ctx.store.range(r).then((res) => convert.rangeResponseToProto(res, ctx.identity()));
      return r.serializable ? read() : ctx.linearizableBarrier().then(read);
    }),

    Put: rpc<pb.PutRequest, pb.PutResponse>('Put', (req) => {
      checkPut(convert.putRequestFromProto(req));
      ctx.alarms.assertWritable();
      const propose = () => ctx.propose('put', req, sized).then((res) => convert.putResponseToProto(res, ctx.identity()));
      const overQuota = ctx.checkQuota(putCost(req.key, req.value));
      return overQuota === null ? propose() : overQuota.then(propose);
    }),

    DeleteRange: rpc<pb.DeleteRangeRequest, pb.DeleteRangeResponse>('DeleteRange', async (req) => {
      checkDeleteRange(convert.deleteRangeRequestFromProto(req));
      return convert.deleteRangeResponseToProto(await ctx.propose('delete_range', req, sized), ctx.identity());
    }),

    Txn: rpc<pb.TxnRequest, pb.TxnResponse>('Txn', async (req) => {
      const txn: TxnRequest = convert.txnRequestFromProto(req);
      checkTxn(txn, ctx.limits.maxTxnOps);
      if (isReadOnlyTxn(txn)) {
        // As etcd: a txn that only reads is served locally, after a ReadIndex barrier unless every
        // range in it is serializable.
        if (!isSerializableTxn(txn)) await ctx.linearizableBarrier();
        const local = await ctx.store.readTxn(txn);
        if (local) return convert.txnResponseToProto(local, ctx.identity());
      }
      if (convert.txnHasPuts(txn)) {
        ctx.alarms.assertWritable();
        const overQuota = ctx.checkQuota(txnCost(txn));
        if (overQuota !== null) await overQuota;
      }
      return convert.txnResponseToProto(await ctx.propose('txn', req, sized), ctx.identity());
    }),

    Compact: rpc<pb.CompactionRequest, pb.CompactionResponse>('Compact', async (req) => {
      const res = await ctx.propose('compaction', req);
      return { header: ctx.header(res.header.revision) };
    }),
  };
}
