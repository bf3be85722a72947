// Loads capstan's .proto files once, for two consumers: grpc-js (service definitions, whose
// serializers come from @grpc/proto-loader) and the codecs (a protobufjs Root with the same field
// names and conversion options, so log entries and stored values have the shapes in messages.ts).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDefinition } from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';
import protobuf from 'protobufjs';
import { encodeCanonical } from './canonical.js';
import { DIRECT_RESPONSE_ENCODERS } from './directEncoders.js';
import { DIRECT_REQUEST_DECODERS } from './requestDecoders.js';

export const PROTO_FILES = [
  'mvccpb/kv.proto',
  'authpb/auth.proto',
  'etcdserverpb/rpc.proto',
  'capstan/internal.proto',
] as const;

/** proto-loader's options; codec.ts converts with the equivalent protobufjs options. */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

/** The `proto/` folder at the repository root, found by walking up from this module. */
export const PROTO_DIR: string = findProtoDir();

function findProtoDir(): string {
  // The module runs from src/server/proto (tests, tsx) or dist/src/server/proto (built): walk up
  // rather than hard-code the depth.
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 8; depth++) {
    const candidate = path.join(dir, 'proto');
    if (existsSync(path.join(candidate, 'etcdserverpb', 'rpc.proto'))) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`capstan: cannot find proto/etcdserverpb/rpc.proto above ${fileURLToPath(import.meta.url)}`);
}

export const packageDefinition: protoLoader.PackageDefinition = protoLoader.loadSync([...PROTO_FILES], {
  ...LOADER_OPTIONS,
  includeDirs: [PROTO_DIR],
});

/** The same schema as protobufjs reflection, for encoding outside gRPC (log entries, stored values). */
export const protoRoot: protobuf.Root = loadRoot();

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // Imports are written relative to proto/ ("mvccpb/kv.proto"), as proto-loader's includeDirs resolves them.
  root.resolvePath = (_origin: string, target: string): string =>
    path.isAbsolute(target) ? target : path.join(PROTO_DIR, target);
  root.loadSync([...PROTO_FILES], { keepCase: true });
  root.resolveAll();
  return root;
}

/**
 * grpc-js definitions whose serializers write canonical bytes (canonical.ts) in place of
 * proto-loader's, which write every zero field; deserializers stay proto-loader's, except for the
 * requests requestDecoders.ts reads directly.
 */
function serviceDefinition(fullName: string): ServiceDefinition {
  const def = packageDefinition[fullName];
  // A message or enum definition has a `format` field; a service definition is a map of methods.
  if (def === undefined || 'format' in def) {
    throw new Error(`capstan: ${fullName} is not a service in ${PROTO_DIR}`);
  }
  const reflected = protoRoot.lookupService(fullName);
  const service: Record<string, ServiceDefinition[string]> = {};
  for (const [name, method] of Object.entries(def)) {
    const types = reflected.methods[name];
    if (types === undefined) throw new Error(`invariant: ${fullName}.${name} missing from the protobufjs root`);
    const requestType = types.resolvedRequestType;
    const responseType = types.resolvedResponseType;
    if (requestType === null || responseType === null) throw new Error(`invariant: ${fullName}.${name} unresolved`);
    const direct = DIRECT_REQUEST_DECODERS.get(method.path);
    const general = method.requestDeserialize;
    const encodeResponse = DIRECT_RESPONSE_ENCODERS.get(method.path);
    service[name] = {
      ...method,
      requestSerialize: (value: object) => encodeCanonical(requestType, value),
      responseSerialize:
        encodeResponse === undefined
          ? (value: object) => encodeCanonical(responseType, value)
          : (value: object) => encodeResponse(value) ?? encodeCanonical(responseType, value),
      ...(direct === undefined ? {} : { requestDeserialize: (bytes: Buffer) => direct(bytes) ?? general(bytes) }),
    };
  }
  return service;
}

export const KVService: ServiceDefinition = serviceDefinition('etcdserverpb.KV');
export const WatchService: ServiceDefinition = serviceDefinition('etcdserverpb.Watch');
export const LeaseService: ServiceDefinition = serviceDefinition('etcdserverpb.Lease');
export const ClusterService: ServiceDefinition = serviceDefinition('etcdserverpb.Cluster');
export const MaintenanceService: ServiceDefinition = serviceDefinition('etcdserverpb.Maintenance');
export const AuthService: ServiceDefinition = serviceDefinition('etcdserverpb.Auth');

