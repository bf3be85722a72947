// Canonical proto3 encoding: the bytes Go's (gogo)protobuf writes for the same message: fields in
// number order, zero scalars omitted outside oneofs (a set oneof member is written even when zero),
// set nested messages written even when empty. Stored bytes must equal etcd's (bbolt snapshots,
// hashes), and responses are smaller for it.
//
// Each message type gets a field plan once; encoding walks the proto-loader-shaped object (messages.ts)
// straight into a protobufjs Writer. Going through protobufjs's fromObject instead built a second
// object per message and parsed every int64 decimal string into a Long, which profiles of the write
// path showed as one of the larger slices of the leader's CPU.
import protobuf from 'protobufjs';

type Writer = protobuf.Writer;
type Scalar = 'double' | 'float' | 'int32' | 'uint32' | 'sint32' | 'fixed32' | 'sfixed32' | 'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64' | 'bool' | 'string' | 'bytes';

interface FieldPlan {
  name: string;
  /** The field's key (number << 3 | wire type) as written before each value. */
  tag: number;
  /** For packed repeated scalars: the length-delimited key. */
  packedTag: number;
  repeated: boolean;
  packed: boolean;
  /** A oneof member is written whenever it is set, zero or not. */
  inOneof: boolean;
  kind: 'message' | 'enum' | 'scalar';
  scalar: Scalar;
  /** An int64-family scalar: its value may be a Long, zero when both words are. */
  long: boolean;
  message: protobuf.Type | null;
  enumValues: Readonly<Record<string, number>> | null;
}

const WIRE: Readonly<Record<Scalar, number>> = {
  double: 1, float: 5, int32: 0, uint32: 0, sint32: 0, fixed32: 5, sfixed32: 5,
  int64: 0, uint64: 0, sint64: 0, fixed64: 1, sfixed64: 1, bool: 0, string: 2, bytes: 2,
};

const LONG_SCALARS = new Set<Scalar>(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

const plans = new WeakMap<protobuf.Type, readonly FieldPlan[]>();

function planOf(type: protobuf.Type): readonly FieldPlan[] {
  const known = plans.get(type);
  if (known !== undefined) return known;
  const plan: FieldPlan[] = [];
  for (const field of [...type.fieldsArray].sort((a, b) => a.id - b.id)) {
    if (field.map) throw new Error(`canonical: map field ${type.fullName}.${field.name} is not supported`);
    const rt = field.resolvedType;
    const kind = rt instanceof protobuf.Type ? 'message' : rt instanceof protobuf.Enum ? 'enum' : 'scalar';
    const scalar = (kind === 'enum' ? 'int32' : kind === 'message' ? 'bytes' : field.type) as Scalar;
    if (kind === 'scalar' && !(scalar in WIRE)) throw new Error(`canonical: unknown scalar ${field.type} in ${type.fullName}`);
    const packed = field.repeated && field.packed && kind !== 'message' && scalar !== 'string' && scalar !== 'bytes';
    plan.push({
      name: field.name,
      tag: (field.id << 3) | (kind === 'message' ? 2 : WIRE[scalar]),
      packedTag: (field.id << 3) | 2,
      repeated: field.repeated,
      packed,
      inOneof: field.partOf !== null,
      kind,
      scalar,
      long: kind === 'scalar' && LONG_SCALARS.has(scalar),
      message: rt instanceof protobuf.Type ? rt : null,
      enumValues: rt instanceof protobuf.Enum ? rt.values : null,
    });
  }
  plans.set(type, plan);
  return plan;
}

/** True for "-?digits" of at most 15 characters: exact as a JavaScript number (|n| < 10^15 < 2^53). */
function isShortDecimal(s: string): boolean {
  const len = s.length;
  if (len === 0 || len > 15) return false;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (i === len) return false;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * An int64-family value as protobufjs's writer takes it, exactly: a number when exact, else the
 * 64-bit two's complement as {low, high} (what Long.fromString gives; IDs are 19-20 digits, and
 * BigInt parses them several times faster).
 */
function longValue(value: unknown, unsigned: boolean): number | protobuf.Long {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && isShortDecimal(value)) return Number(value);
  if (value === '') throw new TypeError('canonical: empty string for an int64');
  if (typeof value === 'string' || typeof value === 'bigint') {
    const bits = BigInt.asUintN(64, BigInt(value));
    return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned } as protobuf.Long;
  }
  if (typeof value === 'object' && value !== null && 'low' in value && 'high' in value) return value as protobuf.Long;
  throw new TypeError(`canonical: not an int64: ${String(value)}`);
}

function isZeroLong(v: number | protobuf.Long): boolean {
  return typeof v === 'number' ? v === 0 : v.low === 0 && v.high === 0;
}

/** Converts as protobufjs's fromObject would; undefined means "not set" (an unknown enum name). */
function scalarValue(f: FieldPlan, value: unknown): unknown {
  if (f.kind === 'enum') {
    if (typeof value === 'number') return value;
    return f.enumValues![String(value)];
  }
  switch (f.scalar) {
    case 'double':
    case 'float':
      return Number(value);
    case 'int32':
    case 'sint32':
    case 'sfixed32':
      return (value as number) | 0;
    case 'uint32':
    case 'fixed32':
      return (value as number) >>> 0;
    case 'bool':
      return Boolean(value);
    case 'string':
      return String(value);
    case 'bytes':
      return typeof value === 'string' ? Buffer.from(value, 'base64') : value;
    default:
      return longValue(value, f.scalar === 'uint64' || f.scalar === 'fixed64');
  }
}

function isZero(f: FieldPlan, v: unknown): boolean {
  if (f.long) return isZeroLong(v as number | protobuf.Long);
  if (v === 0 || v === false || v === '') return true;
  return v instanceof Uint8Array && v.byteLength === 0;
}

function writeScalar(w: Writer, scalar: Scalar, v: unknown): void {
  switch (scalar) {
    case 'string':
      w.string(v as string);
      return;
    case 'bytes':
      w.bytes(v as Uint8Array);
      return;
    case 'bool':
      w.bool(v as boolean);
      return;
    case 'double':
      w.double(v as number);
      return;
    case 'float':
      w.float(v as number);
      return;
    case 'int32':
      w.int32(v as number);
      return;
    case 'uint32':
      w.uint32(v as number);
      return;
    case 'sint32':
      w.sint32(v as number);
      return;
    case 'fixed32':
      w.fixed32(v as number);
      return;
    case 'sfixed32':
      w.sfixed32(v as number);
      return;
    case 'int64':
      w.int64(v as number);
      return;
    case 'uint64':
      w.uint64(v as number);
      return;
    case 'sint64':
      w.sint64(v as number);
      return;
    case 'fixed64':
      w.fixed64(v as number);
      return;
    case 'sfixed64':
      w.sfixed64(v as number);
      return;
  }
}

function writeMessage(w: Writer, type: protobuf.Type, object: unknown): void {
  if (typeof object !== 'object' || object === null) throw new TypeError(`${type.fullName}: object expected`);
  const fields = object as Record<string, unknown>;
  for (const f of planOf(type)) {
    const value = fields[f.name];
    if (value === undefined || value === null) continue;
    if (f.repeated) {
      if (!Array.isArray(value)) throw new TypeError(`${type.fullName}.${f.name}: array expected`);
      if (value.length === 0) continue;
      if (f.kind === 'message') {
        for (const item of value) {
          w.uint32(f.tag).fork();
          writeMessage(w, f.message!, item);
          w.ldelim();
        }
      } else if (f.packed) {
        w.uint32(f.packedTag).fork();
        for (const item of value) writeScalar(w, f.scalar, scalarValue(f, item) ?? 0);
        w.ldelim();
      } else {
        for (const item of value) {
          const v = scalarValue(f, item);
          if (v !== undefined) writeScalar(w.uint32(f.tag), f.scalar, v);
        }
      }
      continue;
    }
    if (f.kind === 'message') {
      w.uint32(f.tag).fork();
      writeMessage(w, f.message!, value);
      w.ldelim();
      continue;
    }
    const v = scalarValue(f, value);
    if (v === undefined || (!f.inOneof && isZero(f, v))) continue;
    writeScalar(w.uint32(f.tag), f.scalar, v);
  }
}

/** Encodes a proto-loader-shaped object (messages.ts) of `type` canonically. */
export function encodeCanonical(type: protobuf.Type, object: object): Buffer {
  const w = protobuf.Writer.create();
  writeMessage(w, type, object);
  const bytes = w.finish();
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
