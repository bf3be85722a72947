// Typed handler maps for the six etcd services: an object of one of these types can be passed to
// grpc-js `server.addService(KVService, handlers)` and the compiler checks every method's message types
// and streaming kind against etcd's (see load.ts for the definitions).
import type {
  handleBidiStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
} from '@grpc/grpc-js';
import type * as pb from './messages.js';

export type KVHandlers = {
  Range: handleUnaryCall<pb.RangeRequest, pb.RangeResponse>;
  Put: handleUnaryCall<pb.PutRequest, pb.PutResponse>;
  DeleteRange: handleUnaryCall<pb.DeleteRangeRequest, pb.DeleteRangeResponse>;
  Txn: handleUnaryCall<pb.TxnRequest, pb.TxnResponse>;
  Compact: handleUnaryCall<pb.CompactionRequest, pb.CompactionResponse>;
};

export type WatchHandlers = {
  Watch: handleBidiStreamingCall<pb.WatchRequest, pb.WatchResponse>;
};

export type LeaseHandlers = {
  LeaseGrant: handleUnaryCall<pb.LeaseGrantRequest, pb.LeaseGrantResponse>;
  LeaseRevoke: handleUnaryCall<pb.LeaseRevokeRequest, pb.LeaseRevokeResponse>;
  LeaseKeepAlive: handleBidiStreamingCall<pb.LeaseKeepAliveRequest, pb.LeaseKeepAliveResponse>;
  LeaseTimeToLive: handleUnaryCall<pb.LeaseTimeToLiveRequest, pb.LeaseTimeToLiveResponse>;
  LeaseLeases: handleUnaryCall<pb.LeaseLeasesRequest, pb.LeaseLeasesResponse>;
};

export type ClusterHandlers = {
  MemberAdd: handleUnaryCall<pb.MemberAddRequest, pb.MemberAddResponse>;
  MemberRemove: handleUnaryCall<pb.MemberRemoveRequest, pb.MemberRemoveResponse>;
  MemberUpdate: handleUnaryCall<pb.MemberUpdateRequest, pb.MemberUpdateResponse>;
  MemberList: handleUnaryCall<pb.MemberListRequest, pb.MemberListResponse>;
  MemberPromote: handleUnaryCall<pb.MemberPromoteRequest, pb.MemberPromoteResponse>;
};

export type MaintenanceHandlers = {
  Alarm: handleUnaryCall<pb.AlarmRequest, pb.AlarmResponse>;
  Status: handleUnaryCall<pb.StatusRequest, pb.StatusResponse>;
  Defragment: handleUnaryCall<pb.DefragmentRequest, pb.DefragmentResponse>;
  Hash: handleUnaryCall<pb.HashRequest, pb.HashResponse>;
  HashKV: handleUnaryCall<pb.HashKVRequest, pb.HashKVResponse>;
  Snapshot: handleServerStreamingCall<pb.SnapshotRequest, pb.SnapshotResponse>;
  MoveLeader: handleUnaryCall<pb.MoveLeaderRequest, pb.MoveLeaderResponse>;
  Downgrade: handleUnaryCall<pb.DowngradeRequest, pb.DowngradeResponse>;
};

export type AuthHandlers = {
  AuthEnable: handleUnaryCall<pb.AuthEnableRequest, pb.AuthEnableResponse>;
  AuthDisable: handleUnaryCall<pb.AuthDisableRequest, pb.AuthDisableResponse>;
  AuthStatus: handleUnaryCall<pb.AuthStatusRequest, pb.AuthStatusResponse>;
  Authenticate: handleUnaryCall<pb.AuthenticateRequest, pb.AuthenticateResponse>;
  UserAdd: handleUnaryCall<pb.AuthUserAddRequest, pb.AuthUserAddResponse>;
  UserGet: handleUnaryCall<pb.AuthUserGetRequest, pb.AuthUserGetResponse>;
  UserList: handleUnaryCall<pb.AuthUserListRequest, pb.AuthUserListResponse>;
  UserDelete: handleUnaryCall<pb.AuthUserDeleteRequest, pb.AuthUserDeleteResponse>;
  UserChangePassword: handleUnaryCall<pb.AuthUserChangePasswordRequest, pb.AuthUserChangePasswordResponse>;
  UserGrantRole: handleUnaryCall<pb.AuthUserGrantRoleRequest, pb.AuthUserGrantRoleResponse>;
  UserRevokeRole: handleUnaryCall<pb.AuthUserRevokeRoleRequest, pb.AuthUserRevokeRoleResponse>;
  RoleAdd: handleUnaryCall<pb.AuthRoleAddRequest, pb.AuthRoleAddResponse>;
  RoleGet: handleUnaryCall<pb.AuthRoleGetRequest, pb.AuthRoleGetResponse>;
  RoleList: handleUnaryCall<pb.AuthRoleListRequest, pb.AuthRoleListResponse>;
  RoleDelete: handleUnaryCall<pb.AuthRoleDeleteRequest, pb.AuthRoleDeleteResponse>;
  RoleGrantPermission: handleUnaryCall<pb.AuthRoleGrantPermissionRequest, pb.AuthRoleGrantPermissionResponse>;
  RoleRevokePermission: handleUnaryCall<pb.AuthRoleRevokePermissionRequest, pb.AuthRoleRevokePermissionResponse>;
};
