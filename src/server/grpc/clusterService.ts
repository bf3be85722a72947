// etcdserverpb.Cluster. Membership changes arrive with Raft (issue 4); the list is served now.
import type { ClusterHandlers } from '../proto/handlers.js';
import type * as pb from '../proto/messages.js';
import type { MemberContext } from './context.js';
import { type RpcObserver, unary, unimplemented } from './unary.js';

export function clusterService(ctx: MemberContext, observer: RpcObserver): ClusterHandlers {
  return {
    MemberList: unary<pb.MemberListRequest, pb.MemberListResponse>('etcdserverpb.Cluster', 'MemberList', observer, async (req) => {
      if (req.linearizable) await ctx.linearizableBarrier();
      return {
        header: ctx.header(),
        members: ctx.members().map((m) => ({
          ID: m.id.toString(),
          name: m.name,
          peerURLs: m.peerUrls,
          clientURLs: m.clientUrls,
          isLearner: m.isLearner,
        })),
      };
    }),
    MemberAdd: unimplemented('Cluster', 'MemberAdd'),
    MemberRemove: unimplemented('Cluster', 'MemberRemove'),
    MemberUpdate: unimplemented('Cluster', 'MemberUpdate'),
    MemberPromote: unimplemented('Cluster', 'MemberPromote'),
  };
}
