// etcdserverpb.Lease. Grants and revokes are replicated (through the log); keep-alives and remaining
// TTLs are the leader's clock (LeaseClock), as in etcd's lessor.
import type * as grpc from '@grpc/grpc-js';
import { mvccErrors } from '../../mvcc/errors.js';
import type { LeaseHandlers } from '../proto/handlers.js';
import type * as pb from '../proto/messages.js';
import type { MemberContext } from './context.js';
import { type RpcObserver, unary } from './unary.js';

/** etcd's MaxLeaseTTL: 9,000,000,000 seconds. */
const MAX_LEASE_TTL = 9_000_000_000;
/** etcd's leaseOverhead for the quota check. */
const LEASE_QUOTA_COST = 64;

export function leaseService(ctx: MemberContext, observer: RpcObserver): LeaseHandlers {
  const rpc = <Req, Res>(method: string, fn: (req: Req) => Promise<Res>) =>
    unary<Req, Res>('etcdserverpb.Lease', method, observer, (req) => fn(req));

  return {
    LeaseGrant: rpc<pb.LeaseGrantRequest, pb.LeaseGrantResponse>('LeaseGrant', async (req) => {
      const ttl = Number(req.TTL);
      if (ttl > MAX_LEASE_TTL) throw mvccErrors.leaseTTLTooLarge();
      const id = BigInt(req.ID) === 0n ? ctx.ids.nextLeaseId() : BigInt(req.ID);
      ctx.alarms.assertWritable();
      const overQuota = ctx.checkQuota(LEASE_QUOTA_COST);
      if (overQuota !== null) await overQuota;
      const lease = await ctx.propose('lease_grant', { ID: id.toString(), TTL: String(ctx.leaseClock.effectiveTtl(ttl)) });
      return { header: ctx.header(), ID: lease.id.toString(), TTL: String(lease.ttl), error: '' };
    }),

    LeaseRevoke: rpc<pb.LeaseRevokeRequest, pb.LeaseRevokeResponse>('LeaseRevoke', async (req) => {
      const header = await ctx.propose('lease_revoke', { ID: req.ID });
      return { header: ctx.header(header.revision) };
    }),

    LeaseTimeToLive: rpc<pb.LeaseTimeToLiveRequest, pb.LeaseTimeToLiveResponse>('LeaseTimeToLive', async (req) => {
      const id = BigInt(req.ID);
      const lease = ctx.store.getLease(id);
      const remaining = lease ? await ctx.leaseRemaining(id) : undefined;
      // etcd answers an unknown lease with TTL -1 rather than an error (v3rpc/lease.go).
      if (!lease || remaining === undefined) {
        return { header: ctx.header(), ID: req.ID, TTL: '-1', grantedTTL: '0', keys: [] };
      }
      return {
        header: ctx.header(),
        ID: req.ID,
        TTL: String(remaining),
        grantedTTL: String(lease.ttl),
        keys: req.keys ? ctx.store.leaseKeys(id) : [],
      };
    }),

    LeaseLeases: rpc<pb.LeaseLeasesRequest, pb.LeaseLeasesResponse>('LeaseLeases', async () => ({
      header: ctx.header(),
      leases: ctx.store.leases().map((l) => ({ ID: l.id.toString() })),
    })),

    LeaseKeepAlive: (stream: grpc.ServerDuplexStream<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>) => {
      stream.on('data', (req: pb.LeaseKeepAliveRequest) => {
        // An unknown or expired lease gets TTL 0, not an error (etcd).
        ctx.renewLease(BigInt(req.ID)).then(
          (ttl) => stream.write({ header: ctx.header(), ID: req.ID, TTL: String(ttl ?? 0) }),
          (error: unknown) => stream.destroy(error instanceof Error ? error : new Error(String(error))),
        );
      });
      stream.on('end', () => stream.end());
      stream.on('error', () => undefined);
    },
  };
}
