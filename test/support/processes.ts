/*
 * The one place integration, compat, fault and bench tests get real processes from: etcd and capstan
 * members on loopback, etcdctl/etcdutl runs, temp dirs and teardown. Each part lives in its own module;
 * this file only gathers them.
 */
export { killAllChildren, liveChildCount } from './childRegistry.js';
export { planCluster, startCluster, type ClusterPlanOptions } from './cluster.js';
export {
  type CommandOptions,
  type CommandResult,
  type EndpointLike,
  type EtcdctlOptions,
  etcdctl,
  etcdutl,
  expectSuccess,
  runCommand,
} from './commands.js';
export {
  capstanMainPath,
  type ExitStatus,
  type MemberKind,
  type MemberOptions,
  type MemberProcess,
  memberFlags,
  startCapstan,
  startEtcd,
  startMember,
  startedMembers,
  statusResponds,
} from './members.js';
export { freePort, freePorts, ephemeralPort } from './ports.js';
export { keepDirsOnFailure, removeTempDirs, tempDir } from './tempDirs.js';
