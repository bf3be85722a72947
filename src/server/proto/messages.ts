// etcd's messages as @grpc/proto-loader delivers them with the options in load.ts: field names as in
// the .proto (snake_case or etcd's camelCase), int64/uint64 as decimal strings (int64 may be negative),
// bytes as Buffer, enums as their names, unset message fields as null, and each oneof as a union
// tagged by a virtual property naming the member that is set (absent when none is).
// The same shapes are accepted for encoding, so the server builds responses in them too.

/** Decimal string of a signed 64-bit integer. */
export type Int64 = string;
/** Decimal string of an unsigned 64-bit integer. */
export type UInt64 = string;

/**
 * A proto oneof named `Tag` whose members are the properties of `Members`: exactly one member is
 * present and `Tag` names it, or nothing is set (the client sent none).
 */
export type Oneof<Tag extends string, Members> =
  | {
      [Name in keyof Members & string]: { [T in Tag]: Name } & { [N in Name]: Members[Name] };
    }[keyof Members & string]
  | { [T in Tag]?: undefined };

// ---- mvccpb ----

export interface KeyValue {
  key: Buffer;
  create_revision: Int64;
  mod_revision: Int64;
  version: Int64;
  value: Buffer;
  lease: Int64;
}

export type EventType = 'PUT' | 'DELETE';

export interface Event {
  type: EventType;
  kv: KeyValue | null;
  prev_kv: KeyValue | null;
}

// ---- authpb ----

export interface UserAddOptions {
  no_password: boolean;
}

export interface User {
  name: Buffer;
  password: Buffer;
  roles: string[];
  options: UserAddOptions | null;
}

export type PermissionType = 'READ' | 'WRITE' | 'READWRITE';

export interface Permission {
  permType: PermissionType;
  key: Buffer;
  range_end: Buffer;
}

export interface Role {
  name: Buffer;
  keyPermission: Permission[];
}

// ---- etcdserverpb: KV ----

export interface ResponseHeader {
  cluster_id: UInt64;
  member_id: UInt64;
  revision: Int64;
  raft_term: UInt64;
}

export type SortOrder = 'NONE' | 'ASCEND' | 'DESCEND';
export type SortTarget = 'KEY' | 'VERSION' | 'CREATE' | 'MOD' | 'VALUE';

export interface RangeRequest {
  key: Buffer;
  range_end: Buffer;
  limit: Int64;
  revision: Int64;
  sort_order: SortOrder;
  sort_target: SortTarget;
  serializable: boolean;
  keys_only: boolean;
  count_only: boolean;
  min_mod_revision: Int64;
  max_mod_revision: Int64;
  min_create_revision: Int64;
  max_create_revision: Int64;
}

export interface RangeResponse {
  header: ResponseHeader | null;
  kvs: KeyValue[];
  more: boolean;
  count: Int64;
}

export interface PutRequest {
  key: Buffer;
  value: Buffer;
  lease: Int64;
  prev_kv: boolean;
  ignore_value: boolean;
  ignore_lease: boolean;
}

export interface PutResponse {
  header: ResponseHeader | null;
  prev_kv: KeyValue | null;
}

export interface DeleteRangeRequest {
  key: Buffer;
  range_end: Buffer;
  prev_kv: boolean;
}

export interface DeleteRangeResponse {
  header: ResponseHeader | null;
  deleted: Int64;
  prev_kvs: KeyValue[];
}

export type RequestOp = Oneof<
  'request',
  {
    request_range: RangeRequest;
    request_put: PutRequest;
    request_delete_range: DeleteRangeRequest;
    request_txn: TxnRequest;
  }
>;

export type ResponseOp = Oneof<
  'response',
  {
    response_range: RangeResponse;
    response_put: PutResponse;
    response_delete_range: DeleteRangeResponse;
    response_txn: TxnResponse;
  }
>;

export type CompareResult = 'EQUAL' | 'GREATER' | 'LESS' | 'NOT_EQUAL';
export type CompareTarget = 'VERSION' | 'CREATE' | 'MOD' | 'VALUE' | 'LEASE';

export type Compare = {
  result: CompareResult;
  target: CompareTarget;
  key: Buffer;
  range_end: Buffer;
} & Oneof<
  'target_union',
  {
    version: Int64;
    create_revision: Int64;
    mod_revision: Int64;
    value: Buffer;
    lease: Int64;
  }
>;

export interface TxnRequest {
  compare: Compare[];
  success: RequestOp[];
  failure: RequestOp[];
}

export interface TxnResponse {
  header: ResponseHeader | null;
  succeeded: boolean;
  responses: ResponseOp[];
}

export interface CompactionRequest {
  revision: Int64;
  physical: boolean;
}

export interface CompactionResponse {
  header: ResponseHeader | null;
}

// ---- Watch ----

export type WatchRequest = Oneof<
  'request_union',
  {
    create_request: WatchCreateRequest;
    cancel_request: WatchCancelRequest;
    progress_request: WatchProgressRequest;
  }
>;

export type WatchFilterType = 'NOPUT' | 'NODELETE';

export interface WatchCreateRequest {
  key: Buffer;
  range_end: Buffer;
  start_revision: Int64;
  progress_notify: boolean;
  filters: WatchFilterType[];
  prev_kv: boolean;
  watch_id: Int64;
  fragment: boolean;
}

export interface WatchCancelRequest {
  watch_id: Int64;
}

export type WatchProgressRequest = Record<string, never>;

export interface WatchResponse {
  header: ResponseHeader | null;
  watch_id: Int64;
  created: boolean;
  canceled: boolean;
  compact_revision: Int64;
  cancel_reason: string;
  fragment: boolean;
  events: Event[];
}

// ---- Lease ----

export interface LeaseGrantRequest {
  TTL: Int64;
  ID: Int64;
}

export interface LeaseGrantResponse {
  header: ResponseHeader | null;
  ID: Int64;
  TTL: Int64;
  error: string;
}

export interface LeaseRevokeRequest {
  ID: Int64;
}

export interface LeaseRevokeResponse {
  header: ResponseHeader | null;
}

export interface LeaseCheckpoint {
  ID: Int64;
  remaining_TTL: Int64;
}

export interface LeaseCheckpointRequest {
  checkpoints: LeaseCheckpoint[];
}

export interface LeaseCheckpointResponse {
  header: ResponseHeader | null;
}

export interface LeaseKeepAliveRequest {
  ID: Int64;
}

export interface LeaseKeepAliveResponse {
  header: ResponseHeader | null;
  ID: Int64;
  TTL: Int64;
}

export interface LeaseTimeToLiveRequest {
  ID: Int64;
  keys: boolean;
}

export interface LeaseTimeToLiveResponse {
  header: ResponseHeader | null;
  ID: Int64;
  TTL: Int64;
  grantedTTL: Int64;
  keys: Buffer[];
}

export type LeaseLeasesRequest = Record<string, never>;

export interface LeaseStatus {
  ID: Int64;
}

export interface LeaseLeasesResponse {
  header: ResponseHeader | null;
  leases: LeaseStatus[];
}

// ---- Cluster ----

export interface Member {
  ID: UInt64;
  name: string;
  peerURLs: string[];
  clientURLs: string[];
  isLearner: boolean;
}

export interface MemberAddRequest {
  peerURLs: string[];
  isLearner: boolean;
}

export interface MemberAddResponse {
  header: ResponseHeader | null;
  member: Member | null;
  members: Member[];
}

export interface MemberRemoveRequest {
  ID: UInt64;
}

export interface MemberRemoveResponse {
  header: ResponseHeader | null;
  members: Member[];
}

export interface MemberUpdateRequest {
  ID: UInt64;
  peerURLs: string[];
}

export interface MemberUpdateResponse {
  header: ResponseHeader | null;
  members: Member[];
}

export interface MemberListRequest {
  linearizable: boolean;
}

export interface MemberListResponse {
  header: ResponseHeader | null;
  members: Member[];
}

export interface MemberPromoteRequest {
  ID: UInt64;
}

export interface MemberPromoteResponse {
  header: ResponseHeader | null;
  members: Member[];
}

// ---- Maintenance ----

export type AlarmType = 'NONE' | 'NOSPACE' | 'CORRUPT';
export type AlarmAction = 'GET' | 'ACTIVATE' | 'DEACTIVATE';

export interface AlarmRequest {
  action: AlarmAction;
  memberID: UInt64;
  alarm: AlarmType;
}

export interface AlarmMember {
  memberID: UInt64;
  alarm: AlarmType;
}

export interface AlarmResponse {
  header: ResponseHeader | null;
  alarms: AlarmMember[];
}

export type StatusRequest = Record<string, never>;

export interface StatusResponse {
  header: ResponseHeader | null;
  version: string;
  dbSize: Int64;
  leader: UInt64;
  raftIndex: UInt64;
  raftTerm: UInt64;
  raftAppliedIndex: UInt64;
  errors: string[];
  dbSizeInUse: Int64;
  isLearner: boolean;
}

export type DefragmentRequest = Record<string, never>;

export interface DefragmentResponse {
  header: ResponseHeader | null;
}

export type HashRequest = Record<string, never>;

export interface HashResponse {
  header: ResponseHeader | null;
  hash: number;
}

export interface HashKVRequest {
  revision: Int64;
}

export interface HashKVResponse {
  header: ResponseHeader | null;
  hash: number;
  compact_revision: Int64;
  hash_revision: Int64;
}

export type SnapshotRequest = Record<string, never>;

export interface SnapshotResponse {
  header: ResponseHeader | null;
  remaining_bytes: UInt64;
  blob: Buffer;
}

export interface MoveLeaderRequest {
  targetID: UInt64;
}

export interface MoveLeaderResponse {
  header: ResponseHeader | null;
}

export type DowngradeAction = 'VALIDATE' | 'ENABLE' | 'CANCEL';

export interface DowngradeRequest {
  action: DowngradeAction;
  version: string;
}

export interface DowngradeResponse {
  header: ResponseHeader | null;
  version: string;
}

// ---- Auth ----

export type AuthEnableRequest = Record<string, never>;
export type AuthDisableRequest = Record<string, never>;
export type AuthStatusRequest = Record<string, never>;
export type AuthUserListRequest = Record<string, never>;
export type AuthRoleListRequest = Record<string, never>;

export interface AuthenticateRequest {
  name: string;
  password: string;
}

export interface AuthUserAddRequest {
  name: string;
  password: string;
  options: UserAddOptions | null;
  hashedPassword: string;
}

export interface AuthUserGetRequest {
  name: string;
}

export interface AuthUserDeleteRequest {
  name: string;
}

export interface AuthUserChangePasswordRequest {
  name: string;
  password: string;
  hashedPassword: string;
}

export interface AuthUserGrantRoleRequest {
  user: string;
  role: string;
}

export interface AuthUserRevokeRoleRequest {
  name: string;
  role: string;
}

export interface AuthRoleAddRequest {
  name: string;
}

export interface AuthRoleGetRequest {
  role: string;
}

export interface AuthRoleDeleteRequest {
  role: string;
}

export interface AuthRoleGrantPermissionRequest {
  name: string;
  perm: Permission | null;
}

export interface AuthRoleRevokePermissionRequest {
  role: string;
  key: Buffer;
  range_end: Buffer;
}

/** The response of every Auth method that returns only a header. */
export interface HeaderOnlyResponse {
  header: ResponseHeader | null;
}

export type AuthEnableResponse = HeaderOnlyResponse;
export type AuthDisableResponse = HeaderOnlyResponse;
export type AuthUserAddResponse = HeaderOnlyResponse;
export type AuthUserDeleteResponse = HeaderOnlyResponse;
export type AuthUserChangePasswordResponse = HeaderOnlyResponse;
export type AuthUserGrantRoleResponse = HeaderOnlyResponse;
export type AuthUserRevokeRoleResponse = HeaderOnlyResponse;
export type AuthRoleAddResponse = HeaderOnlyResponse;
export type AuthRoleDeleteResponse = HeaderOnlyResponse;
export type AuthRoleGrantPermissionResponse = HeaderOnlyResponse;
export type AuthRoleRevokePermissionResponse = HeaderOnlyResponse;

export interface AuthStatusResponse {
  header: ResponseHeader | null;
  enabled: boolean;
  authRevision: UInt64;
}

export interface AuthenticateResponse {
  header: ResponseHeader | null;
  token: string;
}

export interface AuthUserGetResponse {
  header: ResponseHeader | null;
  roles: string[];
}

export interface AuthRoleGetResponse {
  header: ResponseHeader | null;
  perm: Permission[];
}

export interface AuthRoleListResponse {
  header: ResponseHeader | null;
  roles: string[];
}

export interface AuthUserListResponse {
  header: ResponseHeader | null;
  users: string[];
}

// ---- capstan internal (the raft log) ----

export interface RequestHeader {
  ID: UInt64;
  username: string;
  auth_revision: UInt64;
}

export interface InternalAuthenticateRequest {
  name: string;
  password: string;
  simple_token: string;
}

export interface MemberAttributes {
  name: string;
  client_urls: string[];
}

export interface ClusterVersionSetRequest {
  ver: string;
}

export interface ClusterMemberAttrSetRequest {
  member_ID: UInt64;
  member_attributes: MemberAttributes | null;
}

export interface DowngradeInfoSetRequest {
  enabled: boolean;
  ver: string;
}

/** The requests a log entry can carry, by their field name in InternalRaftRequest. */
export interface InternalRequestBodies {
  range: RangeRequest;
  put: PutRequest;
  delete_range: DeleteRangeRequest;
  txn: TxnRequest;
  compaction: CompactionRequest;
  lease_grant: LeaseGrantRequest;
  lease_revoke: LeaseRevokeRequest;
  alarm: AlarmRequest;
  lease_checkpoint: LeaseCheckpointRequest;
  auth_enable: AuthEnableRequest;
  auth_disable: AuthDisableRequest;
  auth_status: AuthStatusRequest;
  authenticate: InternalAuthenticateRequest;
  auth_user_add: AuthUserAddRequest;
  auth_user_delete: AuthUserDeleteRequest;
  auth_user_get: AuthUserGetRequest;
  auth_user_change_password: AuthUserChangePasswordRequest;
  auth_user_grant_role: AuthUserGrantRoleRequest;
  auth_user_revoke_role: AuthUserRevokeRoleRequest;
  auth_user_list: AuthUserListRequest;
  auth_role_list: AuthRoleListRequest;
  auth_role_add: AuthRoleAddRequest;
  auth_role_delete: AuthRoleDeleteRequest;
  auth_role_get: AuthRoleGetRequest;
  auth_role_grant_permission: AuthRoleGrantPermissionRequest;
  auth_role_revoke_permission: AuthRoleRevokePermissionRequest;
  cluster_version_set: ClusterVersionSetRequest;
  cluster_member_attr_set: ClusterMemberAttrSetRequest;
  downgrade_info_set: DowngradeInfoSetRequest;
}

export type InternalRequestKind = keyof InternalRequestBodies;

export type InternalRaftRequest = {
  header: RequestHeader | null;
  ID: UInt64;
} & Oneof<'request', InternalRequestBodies>;
