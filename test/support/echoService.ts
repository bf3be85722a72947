// A small JSON-coded gRPC service for the wire server's tests: each rule can be exercised alone,
// without etcd's services around it.
import type * as grpc from '@grpc/grpc-js';

export interface Msg {
  text: string;
  n?: number;
}

const json = {
  serialize: (v: Msg) => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer) => JSON.parse(b.toString()) as Msg,
};

export function method(name: string, requestStream: boolean, responseStream: boolean): grpc.MethodDefinition<Msg, Msg> {
  return {
    path: `/test.Echo/${name}`,
    requestStream,
    responseStream,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  };
}

export const EchoService: grpc.ServiceDefinition = {
  Unary: method('Unary', false, false),
  Fail: method('Fail', false, false),
  Slow: method('Slow', false, false),
  Many: method('Many', false, true),
  Endless: method('Endless', false, true),
  Chat: method('Chat', true, true),
  Refuse: method('Refuse', true, true),
};

