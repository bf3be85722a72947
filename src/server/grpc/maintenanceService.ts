// etcdserverpb.Maintenance: status, alarms, hashes and defragmentation of this member.
import * as grpc from '@grpc/grpc-js';
import { EtcdError, GrpcCode } from '../../mvcc/errors.js';
import type { MaintenanceHandlers } from '../proto/handlers.js';
import type * as pb from '../proto/messages.js';
import { captureSnapshotImage } from '../snapshotImage.js';
import { streamSnapshot } from '../snapshotStream.js';
import type { MemberContext } from './context.js';
import { type RpcObserver, toServiceError, unary, unimplemented } from './unary.js';

const badLeaderTransferee = () => new EtcdError(GrpcCode.FAILED_PRECONDITION, 'etcdserver: bad leader transferee');

export function maintenanceService(ctx: MemberContext, observer: RpcObserver): MaintenanceHandlers {
  const rpc = <Req, Res>(method: string, fn: (req: Req) => Promise<Res>) =>
    unary<Req, Res>('etcdserverpb.Maintenance', method, observer, (req) => fn(req));

  return {
    Status: rpc<pb.StatusRequest, pb.StatusResponse>('Status', async () => {
      const s = ctx.status();
      const errors = ctx.alarms.list().map((a) => `memberID:${a.memberId} alarm:${a.alarm} `);
      if (s.leader === 0n) errors.unshift('etcdserver: no leader');
      return {
        header: ctx.header(),
        version: ctx.etcdVersion,
        dbSize: String(ctx.dbSize()),
        leader: s.leader.toString(),
        raftIndex: String(s.raftIndex),
        raftTerm: String(s.raftTerm),
        raftAppliedIndex: String(s.appliedIndex),
        errors,
        dbSizeInUse: String(await ctx.store.dbSizeInUse()),
        isLearner: s.isLearner,
      };
    }),

    Alarm: rpc<pb.AlarmRequest, pb.AlarmResponse>('Alarm', async (req) => {
      const alarms = await ctx.propose('alarm', req);
      return {
        header: ctx.header(),
        alarms: alarms.map((a) => ({ memberID: a.memberId.toString(), alarm: a.alarm })),
      };
    }),

    Defragment: rpc<pb.DefragmentRequest, pb.DefragmentResponse>('Defragment', async () => {
      await ctx.store.defragment();
      return { header: ctx.header() };
    }),

    Hash: rpc<pb.HashRequest, pb.HashResponse>('Hash', async () => ({
      header: ctx.header(),
      hash: await ctx.store.hash(),
    })),

    HashKV: rpc<pb.HashKVRequest, pb.HashKVResponse>('HashKV', async (req) => {
      const h = await ctx.store.hashKV(Number(req.revision));
      return {
        header: ctx.header(h.header.revision),
        hash: h.hash,
        compact_revision: String(h.compactRevision),
        hash_revision: String(h.hashRevision),
      };
    }),

    MoveLeader: rpc<pb.MoveLeaderRequest, pb.MoveLeaderResponse>('MoveLeader', async (req) => {
      const target = BigInt(req.targetID);
      const member = ctx.members().find((m) => m.id === target);
      if (!member || member.isLearner) throw badLeaderTransferee();
      await ctx.transferLeadership(target);
      return { header: ctx.header() };
    }),

    // etcd sends no header on this stream (3.4-3.6); clients only concatenate the blobs.
    Snapshot: (call) => {
      const service = 'etcdserverpb.Maintenance';
      captureSnapshotImage(ctx)
        .then((image) => streamSnapshot(call, image))
        .then(
          () => observer.handled(service, 'Snapshot', grpc.status.OK),
          (error: unknown) => {
            if (call.cancelled) return observer.handled(service, 'Snapshot', grpc.status.CANCELLED);
            if (!(error instanceof EtcdError)) observer.unexpected(service, 'Snapshot', error);
            const status = toServiceError(error);
            observer.handled(service, 'Snapshot', status.code ?? grpc.status.UNKNOWN);
            call.destroy(Object.assign(new Error(status.details ?? 'snapshot failed'), status));
          },
        );
    },
    Downgrade: unimplemented('Maintenance', 'Downgrade'),
  };
}
