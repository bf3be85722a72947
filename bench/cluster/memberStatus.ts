import grpc from '@grpc/grpc-js';
import { protoRoot } from '../../src/server/proto/load.js';

/*
 * Who a member thinks it is and who it thinks leads, from Maintenance.Status, and the member list
 * from Cluster.MemberList: the harness's proof that N processes really form one N-member cluster.
 */

const StatusResponse = protoRoot.lookupType('etcdserverpb.StatusResponse');
const MemberListResponse = protoRoot.lookupType('etcdserverpb.MemberListResponse');

export interface MemberView {
  memberId: string;
  leader: string;
  memberCount: number;
}

const identity = (b: Buffer): Buffer => b;

function unaryEmpty(client: grpc.Client, method: string, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(method, identity, identity, Buffer.alloc(0), { deadline: Date.now() + deadlineMs },
      (err, response) => (err || response === undefined ? reject(err ?? new Error(`${method}: empty`)) : resolve(response)));
  });
}

export async function memberView(endpoint: string, deadlineMs = 2_000): Promise<MemberView> {
  const client = new grpc.Client(endpoint, grpc.credentials.createInsecure());
  try {
    const status = StatusResponse.toObject(StatusResponse.decode(await unaryEmpty(client, '/etcdserverpb.Maintenance/Status', deadlineMs)),
      { longs: String, defaults: true }) as { header?: { member_id?: string }; leader?: string };
    const list = MemberListResponse.toObject(MemberListResponse.decode(await unaryEmpty(client, '/etcdserverpb.Cluster/MemberList', deadlineMs)),
      { longs: String, defaults: true }) as { members?: unknown[] };
    return { memberId: status.header?.member_id ?? '0', leader: status.leader ?? '0', memberCount: list.members?.length ?? 0 };
  } finally {
    client.close();
  }
}
