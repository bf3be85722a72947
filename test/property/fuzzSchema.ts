// fast-check arbitraries for any protobuf message of the schema, biased toward hostile values: empty
// and oversized bytes, "\0" range ends, int64 extremes and negatives, enum numbers outside the enum,
// several members of one oneof at once, long repeated fields. Messages are encoded with protobufjs
// (not the server's code), so what reaches the server is exactly these bytes.
import fc from 'fast-check';
import protobuf from 'protobufjs';

const INT64_EDGES = ['0', '1', '-1', '2', '9223372036854775807', '-9223372036854775808', '9000000000', '-9000000000'];
const UINT64_EDGES = ['0', '1', '2', '18446744073709551615', '9223372036854775808', '9000000000'];

/** Up to this many bytes in an "oversized" field: above etcd's default --max-request-bytes (1.5 MiB). */
export const OVERSIZE_BYTES = 2 * 1024 * 1024;

function scalar(type: string): fc.Arbitrary<unknown> {
  switch (type) {
    case 'int64':
    case 'sint64':
    case 'sfixed64':
      return fc.oneof(fc.constantFrom(...INT64_EDGES), fc.bigInt(-(2n ** 63n), 2n ** 63n - 1n).map(String));
    case 'uint64':
    case 'fixed64':
      return fc.oneof(fc.constantFrom(...UINT64_EDGES), fc.bigInt(0n, 2n ** 64n - 1n).map(String));
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return fc.oneof(fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31)), fc.integer());
    case 'uint32':
    case 'fixed32':
      return fc.oneof(fc.constantFrom(0, 2 ** 32 - 1), fc.nat());
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.oneof(fc.constantFrom('', 'root', '\0', 'a'.repeat(300)), fc.string({ maxLength: 40, unit: 'binary' }));
    case 'bytes':
      return fc.oneof(
        { weight: 6, arbitrary: fc.uint8Array({ maxLength: 24 }).map((a) => Buffer.from(a)) },
        { weight: 3, arbitrary: fc.constantFrom(Buffer.alloc(0), Buffer.from([0]), Buffer.from('a'), Buffer.from([0xff, 0xff])) },
        { weight: 1, arbitrary: fc.integer({ min: 1, max: OVERSIZE_BYTES }).map((n) => Buffer.alloc(n, 0x61)) },
      );
    case 'double':
    case 'float':
      return fc.double();
    default:
      throw new Error(`fuzzSchema: no arbitrary for scalar ${type}`);
  }
}

function fieldValue(field: protobuf.Field, depth: number): fc.Arbitrary<unknown> {
  const rt = field.resolvedType;
  let one: fc.Arbitrary<unknown>;
  if (rt instanceof protobuf.Enum) {
    const values = Object.values(rt.values);
    one = fc.oneof(fc.constantFrom(...values), fc.integer({ min: -3, max: 40 }));
  } else if (rt instanceof protobuf.Type) {
    one = depth > 2 ? fc.constant({}) : messageObject(rt, depth + 1);
  } else {
    one = scalar(field.type);
  }
  if (field.repeated) {
    return fc.oneof(
      { weight: 8, arbitrary: fc.array(one, { maxLength: 4 }) },
      { weight: 1, arbitrary: fc.array(one, { minLength: 100, maxLength: 300 }) },
    );
  }
  return one;
}

/** A plain object for `type`: each field present or absent at random. */
export function messageObject(type: protobuf.Type, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const parts: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of type.fieldsArray) parts[field.name] = fieldValue(field, depth);
  return fc.record(parts, { requiredKeys: [] });
}

/** Encoded bytes of a hostile message of `type` (protobufjs writes every oneof member given). */
export function messageBytes(type: protobuf.Type): fc.Arbitrary<Buffer> {
  return messageObject(type).map((obj) => Buffer.from(type.encode(type.fromObject(obj)).finish()));
}
