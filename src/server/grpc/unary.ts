// Runs an async handler for a unary RPC and turns its outcome into a gRPC status: etcd's errors keep
// their code and message (clients match on the message); anything else is a bug, logged, and reported
// as Unknown with its message, as a Go server's unexpected error would be.
import * as grpc from '@grpc/grpc-js';
import { EtcdError } from '../../mvcc/errors.js';

export type UnaryHandler<Req, Res> = (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>;

export interface RpcObserver {
  handled(service: string, method: string, code: number): void;
  unexpected(service: string, method: string, error: unknown): void;
}

export function toServiceError(error: unknown): Partial<grpc.StatusObject> {
  if (error instanceof EtcdError) return { code: error.code, details: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: grpc.status.UNKNOWN, details: message };
}

export function unary<Req, Res>(
  service: string,
  method: string,
  observer: RpcObserver,
  handler: UnaryHandler<Req, Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    // A handler may throw before its first await (a plain function returning a promise does): that
    // is the same outcome as a rejection.
    let outcome: Promise<Res>;
    try {
      outcome = handler(call.request, call);
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      (response) => {
        observer.handled(service, method, grpc.status.OK);
        callback(null, response);
      },
      (error: unknown) => {
        if (!(error instanceof EtcdError)) observer.unexpected(service, method, error);
        const status = toServiceError(error);
        observer.handled(service, method, status.code ?? grpc.status.UNKNOWN);
        callback(status);
      },
    );
  };
}

const notYet = (service: string, method: string) => ({
  code: grpc.status.UNIMPLEMENTED,
  details: `capstan: ${service}.${method} is not implemented yet`,
});

export function unimplemented<Req, Res>(service: string, method: string): grpc.handleUnaryCall<Req, Res> {
  return (_call, callback) => callback(notYet(service, method));
}

export function unimplementedStream<Req, Res>(service: string, method: string): grpc.handleServerStreamingCall<Req, Res> {
  return (call) => call.destroy(Object.assign(new Error(notYet(service, method).details), notYet(service, method)));
}
