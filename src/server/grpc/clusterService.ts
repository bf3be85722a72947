// etcdserverpb.Cluster: membership as etcd serves it; changes go through raft as conf changes.
import type { ClusterHandlers } from '../proto/handlers.js';
import type * as pb from '../proto/messages.js';
import type { MemberContext, MemberInfo } from './context.js';
import { type RpcObserver, unary } from './unary.js';

const toProto = (m: MemberInfo): pb.Member => ({
  ID: m.id.toString(),
  name: m.name,
  peerURLs: m.peerUrls,
  clientURLs: m.clientUrls,
  isLearner: m.isLearner,
});

export function clusterService(ctx: MemberContext, observer: RpcObserver): ClusterHandlers {
  const rpc = <Req, Res>(method: string, fn: (req: Req) => Promise<Res>) =>
    unary<Req, Res>('etcdserverpb.Cluster', method, observer, (req) => fn(req));
  return {
    MemberList: rpc<pb.MemberListRequest, pb.MemberListResponse>('MemberList', async (req) => {
      if (req.linearizable) await ctx.linearizableBarrier();
      return { header: ctx.header(), members: ctx.members().map(toProto) };
    }),
    MemberAdd: rpc<pb.MemberAddRequest, pb.MemberAddResponse>('MemberAdd', async (req) => {
      const { member, members } = await ctx.addMember(req.peerURLs, req.isLearner);
      return { header: ctx.header(), member: toProto(member), members: members.map(toProto) };
    }),
    MemberRemove: rpc<pb.MemberRemoveRequest, pb.MemberRemoveResponse>('MemberRemove', async (req) => ({
      header: ctx.header(),
      members: (await ctx.removeMember(BigInt(req.ID))).map(toProto),
    })),
    MemberUpdate: rpc<pb.MemberUpdateRequest, pb.MemberUpdateResponse>('MemberUpdate', async (req) => ({
      header: ctx.header(),
      members: (await ctx.updateMember(BigInt(req.ID), req.peerURLs)).map(toProto),
    })),
    MemberPromote: rpc<pb.MemberPromoteRequest, pb.MemberPromoteResponse>('MemberPromote', async (req) => ({
      header: ctx.header(),
      members: (await ctx.promoteMember(BigInt(req.ID))).map(toProto),
    })),
  };
}
