// etcd's auth errors (api/v3rpc/rpctypes), to the letter: clients map them by message.
import { EtcdError, GrpcCode } from '../../mvcc/errors.js';

const e = (code: (typeof GrpcCode)[keyof typeof GrpcCode], message: string) => () => new EtcdError(code, message);

export const authErrors = {
  rootUserNotExist: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: root user does not exist'),
  rootRoleNotExist: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: root user does not have root role'),
  userAlreadyExist: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: user name already exists'),
  userEmpty: e(GrpcCode.INVALID_ARGUMENT, 'etcdserver: user name is empty'),
  userNotFound: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: user name not found'),
  roleAlreadyExist: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: role name already exists'),
  roleNotFound: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: role name not found'),
  roleEmpty: e(GrpcCode.INVALID_ARGUMENT, 'etcdserver: role name is empty'),
  authFailed: e(GrpcCode.INVALID_ARGUMENT, 'etcdserver: authentication failed, invalid user ID or password'),
  permissionNotGiven: e(GrpcCode.INVALID_ARGUMENT, 'etcdserver: permission not given'),
  permissionDenied: e(GrpcCode.PERMISSION_DENIED, 'etcdserver: permission denied'),
  roleNotGranted: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: role is not granted to the user'),
  permissionNotGranted: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: permission is not granted to the role'),
  authNotEnabled: e(GrpcCode.FAILED_PRECONDITION, 'etcdserver: authentication is not enabled'),
  invalidAuthToken: e(GrpcCode.UNAUTHENTICATED, 'etcdserver: invalid auth token'),
  invalidAuthMgmt: e(GrpcCode.INVALID_ARGUMENT, 'etcdserver: invalid auth management'),
  authOldRevision: e(GrpcCode.INVALID_ARGUMENT, 'etcdserver: revision of auth store is old'),
};
