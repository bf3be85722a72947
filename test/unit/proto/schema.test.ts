// The schema against etcd 3.5's: every service and method, and field numbers and types for the
// messages clients use. A wrong number here silently corrupts what a stock client reads.
import { describe, expect, it } from 'vitest';
import {
  AuthService,
  ClusterService,
  KVService,
  LeaseService,
  MaintenanceService,
  WatchService,
  protoRoot,
} from '../../../src/server/proto/load.js';

type MethodSpec = [name: string, request: string, response: string, stream?: 'client' | 'server' | 'both'];

const SERVICES: Record<string, MethodSpec[]> = {
  KV: [
    ['Range', 'RangeRequest', 'RangeResponse'],
    ['Put', 'PutRequest', 'PutResponse'],
    ['DeleteRange', 'DeleteRangeRequest', 'DeleteRangeResponse'],
    ['Txn', 'TxnRequest', 'TxnResponse'],
    ['Compact', 'CompactionRequest', 'CompactionResponse'],
  ],
  Watch: [['Watch', 'WatchRequest', 'WatchResponse', 'both']],
  Lease: [
    ['LeaseGrant', 'LeaseGrantRequest', 'LeaseGrantResponse'],
    ['LeaseRevoke', 'LeaseRevokeRequest', 'LeaseRevokeResponse'],
    ['LeaseKeepAlive', 'LeaseKeepAliveRequest', 'LeaseKeepAliveResponse', 'both'],
    ['LeaseTimeToLive', 'LeaseTimeToLiveRequest', 'LeaseTimeToLiveResponse'],
    ['LeaseLeases', 'LeaseLeasesRequest', 'LeaseLeasesResponse'],
  ],
  Cluster: [
    ['MemberAdd', 'MemberAddRequest', 'MemberAddResponse'],
    ['MemberRemove', 'MemberRemoveRequest', 'MemberRemoveResponse'],
    ['MemberUpdate', 'MemberUpdateRequest', 'MemberUpdateResponse'],
    ['MemberList', 'MemberListRequest', 'MemberListResponse'],
    ['MemberPromote', 'MemberPromoteRequest', 'MemberPromoteResponse'],
  ],
  Maintenance: [
    ['Alarm', 'AlarmRequest', 'AlarmResponse'],
    ['Status', 'StatusRequest', 'StatusResponse'],
    ['Defragment', 'DefragmentRequest', 'DefragmentResponse'],
    ['Hash', 'HashRequest', 'HashResponse'],
    ['HashKV', 'HashKVRequest', 'HashKVResponse'],
    ['Snapshot', 'SnapshotRequest', 'SnapshotResponse', 'server'],
    ['MoveLeader', 'MoveLeaderRequest', 'MoveLeaderResponse'],
    ['Downgrade', 'DowngradeRequest', 'DowngradeResponse'],
  ],
  Auth: [
    ['AuthEnable', 'AuthEnableRequest', 'AuthEnableResponse'],
    ['AuthDisable', 'AuthDisableRequest', 'AuthDisableResponse'],
    ['AuthStatus', 'AuthStatusRequest', 'AuthStatusResponse'],
    ['Authenticate', 'AuthenticateRequest', 'AuthenticateResponse'],
    ['UserAdd', 'AuthUserAddRequest', 'AuthUserAddResponse'],
    ['UserGet', 'AuthUserGetRequest', 'AuthUserGetResponse'],
    ['UserList', 'AuthUserListRequest', 'AuthUserListResponse'],
    ['UserDelete', 'AuthUserDeleteRequest', 'AuthUserDeleteResponse'],
    ['UserChangePassword', 'AuthUserChangePasswordRequest', 'AuthUserChangePasswordResponse'],
    ['UserGrantRole', 'AuthUserGrantRoleRequest', 'AuthUserGrantRoleResponse'],
    ['UserRevokeRole', 'AuthUserRevokeRoleRequest', 'AuthUserRevokeRoleResponse'],
    ['RoleAdd', 'AuthRoleAddRequest', 'AuthRoleAddResponse'],
    ['RoleGet', 'AuthRoleGetRequest', 'AuthRoleGetResponse'],
    ['RoleList', 'AuthRoleListRequest', 'AuthRoleListResponse'],
    ['RoleDelete', 'AuthRoleDeleteRequest', 'AuthRoleDeleteResponse'],
    ['RoleGrantPermission', 'AuthRoleGrantPermissionRequest', 'AuthRoleGrantPermissionResponse'],
    ['RoleRevokePermission', 'AuthRoleRevokePermissionRequest', 'AuthRoleRevokePermissionResponse'],
  ],
};

const GRPC_DEFINITIONS = {
  KV: KVService,
  Watch: WatchService,
  Lease: LeaseService,
  Cluster: ClusterService,
  Maintenance: MaintenanceService,
  Auth: AuthService,
};

describe('services', () => {
  for (const [service, methods] of Object.entries(SERVICES)) {
    it(`etcdserverpb.${service} has exactly etcd's methods, types and streaming`, () => {
      const reflected = protoRoot.lookupService(`etcdserverpb.${service}`);
      expect(Object.keys(reflected.methods).sort()).toEqual(methods.map((m) => m[0]).sort());
      const grpcDef = GRPC_DEFINITIONS[service as keyof typeof GRPC_DEFINITIONS];
      expect(Object.keys(grpcDef).sort()).toEqual(methods.map((m) => m[0]).sort());
      for (const [name, request, response, stream] of methods) {
        const m = reflected.methods[name]!;
        expect(m.requestType).toBe(request);
        expect(m.responseType).toBe(response);
        expect(Boolean(m.requestStream)).toBe(stream === 'client' || stream === 'both');
        expect(Boolean(m.responseStream)).toBe(stream === 'server' || stream === 'both');
        const def = grpcDef[name]!;
        expect(def.path).toBe(`/etcdserverpb.${service}/${name}`);
        expect(def.requestStream).toBe(stream === 'client' || stream === 'both');
        expect(def.responseStream).toBe(stream === 'server' || stream === 'both');
      }
    });
  }
});

// [field name, number, proto type, repeated?] per message, from etcd v3.5's api/*/*.proto.
type FieldSpec = [name: string, id: number, type: string, repeated?: 'repeated'];
const H: FieldSpec = ['header', 1, 'ResponseHeader'];

const FIELDS: Record<string, FieldSpec[]> = {
  'mvccpb.KeyValue': [
    ['key', 1, 'bytes'],
    ['create_revision', 2, 'int64'],
    ['mod_revision', 3, 'int64'],
    ['version', 4, 'int64'],
    ['value', 5, 'bytes'],
    ['lease', 6, 'int64'],
  ],
  'mvccpb.Event': [
    ['type', 1, 'EventType'],
    ['kv', 2, 'KeyValue'],
    ['prev_kv', 3, 'KeyValue'],
  ],
  'authpb.UserAddOptions': [['no_password', 1, 'bool']],
  'authpb.User': [
    ['name', 1, 'bytes'],
    ['password', 2, 'bytes'],
    ['roles', 3, 'string', 'repeated'],
    ['options', 4, 'UserAddOptions'],
  ],
  'authpb.Permission': [
    ['permType', 1, 'Type'],
    ['key', 2, 'bytes'],
    ['range_end', 3, 'bytes'],
  ],
  'authpb.Role': [
    ['name', 1, 'bytes'],
    ['keyPermission', 2, 'Permission', 'repeated'],
  ],
  'etcdserverpb.ResponseHeader': [
    ['cluster_id', 1, 'uint64'],
    ['member_id', 2, 'uint64'],
    ['revision', 3, 'int64'],
    ['raft_term', 4, 'uint64'],
  ],
  'etcdserverpb.RangeRequest': [
    ['key', 1, 'bytes'],
    ['range_end', 2, 'bytes'],
    ['limit', 3, 'int64'],
    ['revision', 4, 'int64'],
    ['sort_order', 5, 'SortOrder'],
    ['sort_target', 6, 'SortTarget'],
    ['serializable', 7, 'bool'],
    ['keys_only', 8, 'bool'],
    ['count_only', 9, 'bool'],
    ['min_mod_revision', 10, 'int64'],
    ['max_mod_revision', 11, 'int64'],
    ['min_create_revision', 12, 'int64'],
    ['max_create_revision', 13, 'int64'],
  ],
  'etcdserverpb.RangeResponse': [H, ['kvs', 2, 'mvccpb.KeyValue', 'repeated'], ['more', 3, 'bool'], ['count', 4, 'int64']],
  'etcdserverpb.PutRequest': [
    ['key', 1, 'bytes'],
    ['value', 2, 'bytes'],
    ['lease', 3, 'int64'],
    ['prev_kv', 4, 'bool'],
    ['ignore_value', 5, 'bool'],
    ['ignore_lease', 6, 'bool'],
  ],
  'etcdserverpb.PutResponse': [H, ['prev_kv', 2, 'mvccpb.KeyValue']],
  'etcdserverpb.DeleteRangeRequest': [
    ['key', 1, 'bytes'],
    ['range_end', 2, 'bytes'],
    ['prev_kv', 3, 'bool'],
  ],
  'etcdserverpb.DeleteRangeResponse': [H, ['deleted', 2, 'int64'], ['prev_kvs', 3, 'mvccpb.KeyValue', 'repeated']],
  'etcdserverpb.RequestOp': [
    ['request_range', 1, 'RangeRequest'],
    ['request_put', 2, 'PutRequest'],
    ['request_delete_range', 3, 'DeleteRangeRequest'],
    ['request_txn', 4, 'TxnRequest'],
  ],
  'etcdserverpb.ResponseOp': [
    ['response_range', 1, 'RangeResponse'],
    ['response_put', 2, 'PutResponse'],
    ['response_delete_range', 3, 'DeleteRangeResponse'],
    ['response_txn', 4, 'TxnResponse'],
  ],
  'etcdserverpb.Compare': [
    ['result', 1, 'CompareResult'],
    ['target', 2, 'CompareTarget'],
    ['key', 3, 'bytes'],
    ['version', 4, 'int64'],
    ['create_revision', 5, 'int64'],
    ['mod_revision', 6, 'int64'],
    ['value', 7, 'bytes'],
    ['lease', 8, 'int64'],
    ['range_end', 64, 'bytes'],
  ],
  'etcdserverpb.TxnRequest': [
    ['compare', 1, 'Compare', 'repeated'],
    ['success', 2, 'RequestOp', 'repeated'],
    ['failure', 3, 'RequestOp', 'repeated'],
  ],
  'etcdserverpb.TxnResponse': [H, ['succeeded', 2, 'bool'], ['responses', 3, 'ResponseOp', 'repeated']],
  'etcdserverpb.CompactionRequest': [
    ['revision', 1, 'int64'],
    ['physical', 2, 'bool'],
  ],
  'etcdserverpb.HashKVRequest': [['revision', 1, 'int64']],
  'etcdserverpb.HashKVResponse': [H, ['hash', 2, 'uint32'], ['compact_revision', 3, 'int64'], ['hash_revision', 4, 'int64']],
  'etcdserverpb.HashResponse': [H, ['hash', 2, 'uint32']],
  'etcdserverpb.SnapshotResponse': [H, ['remaining_bytes', 2, 'uint64'], ['blob', 3, 'bytes']],
  'etcdserverpb.WatchRequest': [
    ['create_request', 1, 'WatchCreateRequest'],
    ['cancel_request', 2, 'WatchCancelRequest'],
    ['progress_request', 3, 'WatchProgressRequest'],
  ],
  'etcdserverpb.WatchCreateRequest': [
    ['key', 1, 'bytes'],
    ['range_end', 2, 'bytes'],
    ['start_revision', 3, 'int64'],
    ['progress_notify', 4, 'bool'],
    ['filters', 5, 'FilterType', 'repeated'],
    ['prev_kv', 6, 'bool'],
    ['watch_id', 7, 'int64'],
    ['fragment', 8, 'bool'],
  ],
  'etcdserverpb.WatchCancelRequest': [['watch_id', 1, 'int64']],
  'etcdserverpb.WatchResponse': [
    H,
    ['watch_id', 2, 'int64'],
    ['created', 3, 'bool'],
    ['canceled', 4, 'bool'],
    ['compact_revision', 5, 'int64'],
    ['cancel_reason', 6, 'string'],
    ['fragment', 7, 'bool'],
    ['events', 11, 'mvccpb.Event', 'repeated'],
  ],
  'etcdserverpb.LeaseGrantRequest': [
    ['TTL', 1, 'int64'],
    ['ID', 2, 'int64'],
  ],
  'etcdserverpb.LeaseGrantResponse': [H, ['ID', 2, 'int64'], ['TTL', 3, 'int64'], ['error', 4, 'string']],
  'etcdserverpb.LeaseRevokeRequest': [['ID', 1, 'int64']],
  'etcdserverpb.LeaseCheckpoint': [
    ['ID', 1, 'int64'],
    ['remaining_TTL', 2, 'int64'],
  ],
  'etcdserverpb.LeaseCheckpointRequest': [['checkpoints', 1, 'LeaseCheckpoint', 'repeated']],
  'etcdserverpb.LeaseKeepAliveRequest': [['ID', 1, 'int64']],
  'etcdserverpb.LeaseKeepAliveResponse': [H, ['ID', 2, 'int64'], ['TTL', 3, 'int64']],
  'etcdserverpb.LeaseTimeToLiveRequest': [
    ['ID', 1, 'int64'],
    ['keys', 2, 'bool'],
  ],
  'etcdserverpb.LeaseTimeToLiveResponse': [
    H,
    ['ID', 2, 'int64'],
    ['TTL', 3, 'int64'],
    ['grantedTTL', 4, 'int64'],
    ['keys', 5, 'bytes', 'repeated'],
  ],
  'etcdserverpb.LeaseStatus': [['ID', 1, 'int64']],
  'etcdserverpb.LeaseLeasesResponse': [H, ['leases', 2, 'LeaseStatus', 'repeated']],
  'etcdserverpb.Member': [
    ['ID', 1, 'uint64'],
    ['name', 2, 'string'],
    ['peerURLs', 3, 'string', 'repeated'],
    ['clientURLs', 4, 'string', 'repeated'],
    ['isLearner', 5, 'bool'],
  ],
  'etcdserverpb.MemberAddRequest': [
    ['peerURLs', 1, 'string', 'repeated'],
    ['isLearner', 2, 'bool'],
  ],
  'etcdserverpb.MemberAddResponse': [H, ['member', 2, 'Member'], ['members', 3, 'Member', 'repeated']],
  'etcdserverpb.MemberRemoveRequest': [['ID', 1, 'uint64']],
  'etcdserverpb.MemberRemoveResponse': [H, ['members', 2, 'Member', 'repeated']],
  'etcdserverpb.MemberUpdateRequest': [
    ['ID', 1, 'uint64'],
    ['peerURLs', 2, 'string', 'repeated'],
  ],
  'etcdserverpb.MemberUpdateResponse': [H, ['members', 2, 'Member', 'repeated']],
  'etcdserverpb.MemberListRequest': [['linearizable', 1, 'bool']],
  'etcdserverpb.MemberListResponse': [H, ['members', 2, 'Member', 'repeated']],
  'etcdserverpb.MemberPromoteRequest': [['ID', 1, 'uint64']],
  'etcdserverpb.MemberPromoteResponse': [H, ['members', 2, 'Member', 'repeated']],
  'etcdserverpb.MoveLeaderRequest': [['targetID', 1, 'uint64']],
  'etcdserverpb.AlarmRequest': [
    ['action', 1, 'AlarmAction'],
    ['memberID', 2, 'uint64'],
    ['alarm', 3, 'AlarmType'],
  ],
  'etcdserverpb.AlarmMember': [
    ['memberID', 1, 'uint64'],
    ['alarm', 2, 'AlarmType'],
  ],
  'etcdserverpb.AlarmResponse': [H, ['alarms', 2, 'AlarmMember', 'repeated']],
  'etcdserverpb.DowngradeRequest': [
    ['action', 1, 'DowngradeAction'],
    ['version', 2, 'string'],
  ],
  'etcdserverpb.DowngradeResponse': [H, ['version', 2, 'string']],
  'etcdserverpb.StatusResponse': [
    H,
    ['version', 2, 'string'],
    ['dbSize', 3, 'int64'],
    ['leader', 4, 'uint64'],
    ['raftIndex', 5, 'uint64'],
    ['raftTerm', 6, 'uint64'],
    ['raftAppliedIndex', 7, 'uint64'],
    ['errors', 8, 'string', 'repeated'],
    ['dbSizeInUse', 9, 'int64'],
    ['isLearner', 10, 'bool'],
  ],
  'etcdserverpb.AuthenticateRequest': [
    ['name', 1, 'string'],
    ['password', 2, 'string'],
  ],
  'etcdserverpb.AuthenticateResponse': [H, ['token', 2, 'string']],
  'etcdserverpb.AuthStatusResponse': [H, ['enabled', 2, 'bool'], ['authRevision', 3, 'uint64']],
  'etcdserverpb.AuthUserAddRequest': [
    ['name', 1, 'string'],
    ['password', 2, 'string'],
    ['options', 3, 'authpb.UserAddOptions'],
    ['hashedPassword', 4, 'string'],
  ],
  'etcdserverpb.AuthUserGetRequest': [['name', 1, 'string']],
  'etcdserverpb.AuthUserGetResponse': [H, ['roles', 2, 'string', 'repeated']],
  'etcdserverpb.AuthUserDeleteRequest': [['name', 1, 'string']],
  'etcdserverpb.AuthUserChangePasswordRequest': [
    ['name', 1, 'string'],
    ['password', 2, 'string'],
    ['hashedPassword', 3, 'string'],
  ],
  'etcdserverpb.AuthUserGrantRoleRequest': [
    ['user', 1, 'string'],
    ['role', 2, 'string'],
  ],
  'etcdserverpb.AuthUserRevokeRoleRequest': [
    ['name', 1, 'string'],
    ['role', 2, 'string'],
  ],
  'etcdserverpb.AuthRoleAddRequest': [['name', 1, 'string']],
  'etcdserverpb.AuthRoleGetRequest': [['role', 1, 'string']],
  'etcdserverpb.AuthRoleGetResponse': [H, ['perm', 2, 'authpb.Permission', 'repeated']],
  'etcdserverpb.AuthRoleListResponse': [H, ['roles', 2, 'string', 'repeated']],
  'etcdserverpb.AuthUserListResponse': [H, ['users', 2, 'string', 'repeated']],
  'etcdserverpb.AuthRoleDeleteRequest': [['role', 1, 'string']],
  'etcdserverpb.AuthRoleGrantPermissionRequest': [
    ['name', 1, 'string'],
    ['perm', 2, 'authpb.Permission'],
  ],
  'etcdserverpb.AuthRoleRevokePermissionRequest': [
    ['role', 1, 'string'],
    ['key', 2, 'bytes'],
    ['range_end', 3, 'bytes'],
  ],
  'capstan.RequestHeader': [
    ['ID', 1, 'uint64'],
    ['username', 2, 'string'],
    ['auth_revision', 3, 'uint64'],
  ],
  'capstan.InternalRaftRequest': [
    ['header', 100, 'RequestHeader'],
    ['ID', 1, 'uint64'],
    ['range', 3, 'etcdserverpb.RangeRequest'],
    ['put', 4, 'etcdserverpb.PutRequest'],
    ['delete_range', 5, 'etcdserverpb.DeleteRangeRequest'],
    ['txn', 6, 'etcdserverpb.TxnRequest'],
    ['compaction', 7, 'etcdserverpb.CompactionRequest'],
    ['lease_grant', 8, 'etcdserverpb.LeaseGrantRequest'],
    ['lease_revoke', 9, 'etcdserverpb.LeaseRevokeRequest'],
    ['alarm', 10, 'etcdserverpb.AlarmRequest'],
    ['lease_checkpoint', 11, 'etcdserverpb.LeaseCheckpointRequest'],
    ['auth_enable', 1000, 'etcdserverpb.AuthEnableRequest'],
    ['auth_disable', 1011, 'etcdserverpb.AuthDisableRequest'],
    ['authenticate', 1012, 'InternalAuthenticateRequest'],
    ['auth_status', 1013, 'etcdserverpb.AuthStatusRequest'],
    ['auth_user_add', 1100, 'etcdserverpb.AuthUserAddRequest'],
    ['auth_user_delete', 1101, 'etcdserverpb.AuthUserDeleteRequest'],
    ['auth_user_get', 1102, 'etcdserverpb.AuthUserGetRequest'],
    ['auth_user_change_password', 1103, 'etcdserverpb.AuthUserChangePasswordRequest'],
    ['auth_user_grant_role', 1104, 'etcdserverpb.AuthUserGrantRoleRequest'],
    ['auth_user_revoke_role', 1105, 'etcdserverpb.AuthUserRevokeRoleRequest'],
    ['auth_user_list', 1106, 'etcdserverpb.AuthUserListRequest'],
    ['auth_role_list', 1107, 'etcdserverpb.AuthRoleListRequest'],
    ['auth_role_add', 1200, 'etcdserverpb.AuthRoleAddRequest'],
    ['auth_role_delete', 1201, 'etcdserverpb.AuthRoleDeleteRequest'],
    ['auth_role_get', 1202, 'etcdserverpb.AuthRoleGetRequest'],
    ['auth_role_grant_permission', 1203, 'etcdserverpb.AuthRoleGrantPermissionRequest'],
    ['auth_role_revoke_permission', 1204, 'etcdserverpb.AuthRoleRevokePermissionRequest'],
    ['cluster_version_set', 1300, 'ClusterVersionSetRequest'],
    ['cluster_member_attr_set', 1301, 'ClusterMemberAttrSetRequest'],
    ['downgrade_info_set', 1302, 'DowngradeInfoSetRequest'],
  ],
  'capstan.InternalAuthenticateRequest': [
    ['name', 1, 'string'],
    ['password', 2, 'string'],
    ['simple_token', 3, 'string'],
  ],
};

const EMPTY_MESSAGES = [
  'HashRequest',
  'SnapshotRequest',
  'WatchProgressRequest',
  'LeaseLeasesRequest',
  'DefragmentRequest',
  'StatusRequest',
  'AuthEnableRequest',
  'AuthDisableRequest',
  'AuthStatusRequest',
  'AuthUserListRequest',
  'AuthRoleListRequest',
];

const ENUMS: Record<string, Record<string, number>> = {
  'mvccpb.Event.EventType': { PUT: 0, DELETE: 1 },
  'authpb.Permission.Type': { READ: 0, WRITE: 1, READWRITE: 2 },
  'etcdserverpb.RangeRequest.SortOrder': { NONE: 0, ASCEND: 1, DESCEND: 2 },
  'etcdserverpb.RangeRequest.SortTarget': { KEY: 0, VERSION: 1, CREATE: 2, MOD: 3, VALUE: 4 },
  'etcdserverpb.Compare.CompareResult': { EQUAL: 0, GREATER: 1, LESS: 2, NOT_EQUAL: 3 },
  'etcdserverpb.Compare.CompareTarget': { VERSION: 0, CREATE: 1, MOD: 2, VALUE: 3, LEASE: 4 },
  'etcdserverpb.WatchCreateRequest.FilterType': { NOPUT: 0, NODELETE: 1 },
  'etcdserverpb.AlarmType': { NONE: 0, NOSPACE: 1, CORRUPT: 2 },
  'etcdserverpb.AlarmRequest.AlarmAction': { GET: 0, ACTIVATE: 1, DEACTIVATE: 2 },
  'etcdserverpb.DowngradeRequest.DowngradeAction': { VALIDATE: 0, ENABLE: 1, CANCEL: 2 },
};

describe('messages', () => {
  for (const [message, fields] of Object.entries(FIELDS)) {
    it(`${message} has etcd's fields and numbers`, () => {
      const type = protoRoot.lookupType(message);
      const actual = type.fieldsArray.map((f) => [f.name, f.id, f.type, f.repeated ? 'repeated' : undefined]);
      const expected = fields.map(([name, id, t, rep]) => [name, id, t, rep]);
      const byId = (a: unknown[], b: unknown[]) => (a[1] as number) - (b[1] as number);
      expect(actual.sort(byId)).toEqual(expected.sort(byId));
    });
  }

  it('empty request messages have no fields', () => {
    for (const name of EMPTY_MESSAGES) expect(protoRoot.lookupType(`etcdserverpb.${name}`).fieldsArray).toEqual([]);
  });

  it('oneofs group the members etcd groups', () => {
    const members = (type: string, oneof: string) => protoRoot.lookupType(type).oneofs[oneof]!.oneof;
    expect(members('etcdserverpb.Compare', 'target_union')).toEqual(['version', 'create_revision', 'mod_revision', 'value', 'lease']);
    expect(members('etcdserverpb.RequestOp', 'request')).toHaveLength(4);
    expect(members('etcdserverpb.ResponseOp', 'response')).toHaveLength(4);
    expect(members('etcdserverpb.WatchRequest', 'request_union')).toEqual(['create_request', 'cancel_request', 'progress_request']);
  });

  for (const [name, values] of Object.entries(ENUMS)) {
    it(`enum ${name} has etcd's values`, () => {
      expect(protoRoot.lookupEnum(name).values).toEqual(values);
    });
  }
});
