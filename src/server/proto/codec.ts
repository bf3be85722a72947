// Byte codecs for messages that travel outside gRPC: InternalRaftRequest in the raft log, and the
// etcd values capstan stores or ships (KeyValue in bbolt snapshots, Lease, User, Role...). They use
// the schema load.ts loaded, with conversions equal to proto-loader's, so decode gives exactly the
// shapes gRPC handlers see (messages.ts).
import type protobuf from 'protobufjs';
import { encodeCanonical } from './canonical.js';
import { protoRoot } from './load.js';
import { encodePutEntry } from './directEncoders.js';
import { decodePutEntry } from './putEntryDecoder.js';
import type * as pb from './messages.js';

/** Type names a codec can be asked for, with the shape each decodes to. */
export interface CodecMessages {
  'capstan.InternalRaftRequest': pb.InternalRaftRequest;
  'mvccpb.KeyValue': pb.KeyValue;
  'mvccpb.Event': pb.Event;
  'authpb.User': pb.User;
  'authpb.Role': pb.Role;
  'etcdserverpb.ResponseHeader': pb.ResponseHeader;
  'etcdserverpb.RangeRequest': pb.RangeRequest;
  'etcdserverpb.RangeResponse': pb.RangeResponse;
  'etcdserverpb.PutRequest': pb.PutRequest;
  'etcdserverpb.PutResponse': pb.PutResponse;
  'etcdserverpb.DeleteRangeRequest': pb.DeleteRangeRequest;
  'etcdserverpb.DeleteRangeResponse': pb.DeleteRangeResponse;
  'etcdserverpb.TxnRequest': pb.TxnRequest;
  'etcdserverpb.TxnResponse': pb.TxnResponse;
  'etcdserverpb.Compare': pb.Compare;
  'etcdserverpb.CompactionRequest': pb.CompactionRequest;
  'etcdserverpb.WatchRequest': pb.WatchRequest;
  'etcdserverpb.WatchCreateRequest': pb.WatchCreateRequest;
  'etcdserverpb.WatchResponse': pb.WatchResponse;
  'etcdserverpb.LeaseGrantRequest': pb.LeaseGrantRequest;
  'etcdserverpb.LeaseCheckpointRequest': pb.LeaseCheckpointRequest;
  'etcdserverpb.Member': pb.Member;
  'etcdserverpb.AlarmMember': pb.AlarmMember;
  'etcdserverpb.StatusResponse': pb.StatusResponse;
  'etcdserverpb.HashKVResponse': pb.HashKVResponse;
  'etcdserverpb.SnapshotResponse': pb.SnapshotResponse;
}

export type CodecMessageName = keyof CodecMessages;

export interface MessageCodec<T> {
  /** Proto3 canonical bytes: fields in number order, zero values omitted (as gogoproto writes them). */
  encode(message: T): Buffer;
  /**
   * Copies `bytes` first, so decoded Buffers never pin a larger buffer the caller read them from
   * (a WAL segment, a snapshot page).
   */
  decode(bytes: Uint8Array): T;
}

/** protobufjs toObject options equal to load.ts's LOADER_OPTIONS. */
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: String,
  bytes: Buffer,
  defaults: true,
  oneofs: true,
};

export function codecFor<N extends CodecMessageName>(name: N): MessageCodec<CodecMessages[N]> {
  const type = protoRoot.lookupType(name);
  return {
    encode(message: CodecMessages[N]): Buffer {
      return encodeCanonical(type, message as object);
    },
    decode(bytes: Uint8Array): CodecMessages[N] {
      const own = Buffer.from(bytes);
      // The object comes from this very schema, so it has the declared shape by construction.
      return type.toObject(type.decode(own), TO_OBJECT) as CodecMessages[N];
    },
  };
}

const internalCodec = codecFor('capstan.InternalRaftRequest');

const INTERNAL_REQUEST_FIELDS: readonly string[] = protoRoot
  .lookupType('capstan.InternalRaftRequest')
  .oneofs['request']!.fieldsArray.map((f) => f.name);

/** Encodes one log entry's request; throws unless exactly the request its `request` tag names is set. */
export function encodeInternalRaftRequest(request: pb.InternalRaftRequest): Buffer {
  const present = INTERNAL_REQUEST_FIELDS.filter((name) => {
    const value: unknown = (request as Record<string, unknown>)[name];
    return value !== undefined && value !== null;
  });
  if (present.length !== 1 || present[0] !== request.request) {
    throw new Error(
      `capstan: InternalRaftRequest must carry exactly one request, named by its tag; tag=${String(request.request)} set=[${present.join(',')}]`,
    );
  }
  return (request.request === 'put' ? encodePutEntry(request) : null) ?? internalCodec.encode(request);
}

/** Decodes one log entry's request; throws if it carries no request (a corrupt or foreign entry). */
export function decodeInternalRaftRequest(bytes: Uint8Array): pb.InternalRaftRequest {
  const request = decodePutEntry(bytes) ?? internalCodec.decode(bytes);
  if (request.request === undefined) {
    throw new Error(`capstan: InternalRaftRequest of ${bytes.byteLength} bytes carries no request`);
  }
  return request;
}
