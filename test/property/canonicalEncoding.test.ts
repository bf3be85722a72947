// encodeCanonical walks proto-loader-shaped objects straight into a writer. Its bytes must equal the
// definition of canonical encoding it replaced: protobufjs's fromObject, then every zero scalar outside
// a oneof dropped, then protobufjs's encode — for every message type of the schema and any object the
// fuzzing arbitraries make (int64 extremes as strings, enum numbers out of range, several oneof
// members at once, long repeated fields), with enums given by name or number.
import fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../src/server/proto/canonical.js';
import { protoRoot } from '../../src/server/proto/load.js';
import { messageObject } from './fuzzSchema.js';

function referenceEncode(type: protobuf.Type, object: object): Buffer {
  const message = type.fromObject(object as Record<string, unknown>);
  dropZeroValues(type, message);
  return Buffer.from(type.encode(message).finish());
}

function dropZeroValues(type: protobuf.Type, message: protobuf.Message): void {
  const fields = message as object as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    const value = fields[field.name];
    if (value === undefined || value === null) {
      delete fields[field.name];
      continue;
    }
    const nested = field.resolvedType instanceof protobuf.Type ? field.resolvedType : null;
    if (field.repeated) {
      if (nested !== null) for (const item of value as protobuf.Message[]) dropZeroValues(nested, item);
      continue;
    }
    if (nested !== null) {
      dropZeroValues(nested, value as protobuf.Message);
      continue;
    }
    const zero = value === 0 || value === false || value === '' || (value instanceof Uint8Array && value.byteLength === 0) ||
      (typeof value === 'object' && 'low' in value && 'high' in value && value.low === 0 && value.high === 0);
    if (field.partOf === null && zero) delete fields[field.name];
  }
}

/** Replaces enum numbers by their names where the enum has one (proto-loader's enums: String). */
function enumsByName(type: protobuf.Type, object: Record<string, unknown>, flip: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = { ...object };
  for (const field of type.fieldsArray) {
    const value = out[field.name];
    if (value === undefined || value === null) continue;
    const rt = field.resolvedType;
    const one = (v: unknown): unknown => {
      if (rt instanceof protobuf.Enum) return flip && typeof v === 'number' && rt.valuesById[v] !== undefined ? rt.valuesById[v] : v;
      if (rt instanceof protobuf.Type && typeof v === 'object' && v !== null) return enumsByName(rt, v as Record<string, unknown>, flip);
      return v;
    };
    out[field.name] = field.repeated && Array.isArray(value) ? value.map(one) : one(value);
  }
  return out;
}

function allTypes(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const out: protobuf.Type[] = [];
  for (const nested of ns.nestedArray) {
    if (nested instanceof protobuf.Type) out.push(nested);
    if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) out.push(...allTypes(nested));
  }
  return out;
}

const types = allTypes(protoRoot);

describe('encodeCanonical', () => {
  it('knows every message type of the schema', () => {
    expect(types.length).toBeGreaterThan(80);
  });

  it.each(types.map((t) => [t.fullName, t] as const))('%s: the same bytes as fromObject + drop zeros + encode', (_name, type) => {
    fc.assert(
      fc.property(messageObject(type), fc.boolean(), (object, flip) => {
        const input = enumsByName(type, object, flip);
        expect(encodeCanonical(type, input).equals(referenceEncode(type, input))).toBe(true);
      }),
      { numRuns: 20 },
    );
  }, 120_000);
});
