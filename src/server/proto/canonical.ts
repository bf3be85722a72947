// Canonical proto3 encoding: the bytes Go's (gogo)protobuf writes for the same message. protobufjs's
// fromObject marks every field it was given as present and its encoder then writes zero values too;
// Go omits zero scalars outside oneofs. Stored bytes must equal etcd's (bbolt snapshots, hashes), and
// responses are smaller for it.
import type protobuf from 'protobufjs';

/** Encodes a proto-loader-shaped object (messages.ts) of `type` canonically. */
export function encodeCanonical(type: protobuf.Type, object: object): Buffer {
  const message = type.fromObject(object as Record<string, unknown>);
  dropZeroValues(type, message);
  const bytes = type.encode(message).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// A oneof member stays even when zero: in Go a set oneof member is present and written.
function dropZeroValues(type: protobuf.Type, message: protobuf.Message): void {
  const fields = message as object as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    const value = fields[field.name];
    if (value === undefined || value === null) {
      delete fields[field.name];
      continue;
    }
    const nested = field.resolvedType;
    const nestedMessage = nested !== null && 'fieldsArray' in nested ? nested : null;
    if (field.repeated) {
      if (nestedMessage !== null) for (const item of value as protobuf.Message[]) dropZeroValues(nestedMessage, item);
      continue;
    }
    if (nestedMessage !== null) {
      dropZeroValues(nestedMessage, value as protobuf.Message);
      continue;
    }
    if (field.partOf === null && isZeroScalar(value)) delete fields[field.name];
  }
}

function isZeroScalar(value: unknown): boolean {
  if (value === 0 || value === false || value === '') return true;
  if (value instanceof Uint8Array) return value.byteLength === 0;
  // int64 fields hold a Long after fromObject.
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) {
    return value.low === 0 && value.high === 0;
  }
  return false;
}
