// The direct Range and Put decoders must give exactly what proto-loader's deserializers give, or decline.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packageDefinition } from '../../../src/server/proto/load.js';
import { decodePutRequest, decodeRangeRequest } from '../../../src/server/proto/requestDecoders.js';
import type * as pb from '../../../src/server/proto/messages.js';

interface MethodCodec {
  requestSerialize(v: object): Buffer;
  requestDeserialize(b: Buffer): object;
}
// proto-loader's own definition: its serializer writes every field (zeros included), its
// deserializer is the general one the direct decoders stand in for.
const kv = packageDefinition['etcdserverpb.KV'] as unknown as Record<string, MethodCodec>;
const range = kv['Range']!;
const put = kv['Put']!;

const int64 = fc.oneof(fc.integer({ min: -5, max: 1000 }).map(BigInt), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map(String);
const bytes = fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a));

const rangeRequest: fc.Arbitrary<pb.RangeRequest> = fc.record({
  key: bytes,
  range_end: bytes,
  limit: int64,
  revision: int64,
  sort_order: fc.constantFrom('NONE', 'ASCEND', 'DESCEND'),
  sort_target: fc.constantFrom('KEY', 'VERSION', 'CREATE', 'MOD', 'VALUE'),
  serializable: fc.boolean(),
  keys_only: fc.boolean(),
  count_only: fc.boolean(),
  min_mod_revision: int64,
  max_mod_revision: int64,
  min_create_revision: int64,
  max_create_revision: int64,
}) as fc.Arbitrary<pb.RangeRequest>;

const putRequest: fc.Arbitrary<pb.PutRequest> = fc.record({
  key: bytes,
  value: bytes,
  lease: int64,
  prev_kv: fc.boolean(),
  ignore_value: fc.boolean(),
  ignore_lease: fc.boolean(),
}) as fc.Arbitrary<pb.PutRequest>;

/** Encodings of `arb` with fields dropped, reordered bytes damaged or cut short. */
function variants<T extends object>(arb: fc.Arbitrary<T>, codec: MethodCodec): fc.Arbitrary<Buffer> {
  return fc.tuple(arb, fc.nat(200), fc.integer({ min: 0, max: 255 }), fc.nat(12), fc.boolean()).map(([v, at, value, cut, damage]) => {
    const b = Buffer.from(codec.requestSerialize(v));
    if (damage && b.length > 0) b[at % b.length] = value;
    return b.subarray(0, Math.max(0, b.length - (damage ? cut : 0)));
  });
}

for (const [name, codec, arb, direct] of [
  ['RangeRequest', range, rangeRequest, decodeRangeRequest],
  ['PutRequest', put, putRequest, decodePutRequest],
] as const) {
  describe(`direct ${name} decoder`, () => {
    it('agrees with proto-loader on every well-formed request', () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<object>, (v) => {
          const b = codec.requestSerialize(v);
          const fast = direct(b);
          expect(fast).not.toBeNull();
          expect(fast).toStrictEqual(codec.requestDeserialize(b));
        }),
        { numRuns: 1500 },
      );
    });

    it('declines or agrees on damaged and arbitrary bytes', () => {
      fc.assert(
        fc.property(fc.oneof(variants(arb as fc.Arbitrary<object>, codec), fc.uint8Array({ maxLength: 48 }).map((a) => Buffer.from(a))), (b) => {
          const fast = direct(b);
          if (fast === null) return;
          expect(fast).toStrictEqual(codec.requestDeserialize(b));
        }),
        { numRuns: 3000 },
      );
    });
  });
}

it('declines a sort order without a name, which proto-loader gives as a number', () => {
  expect(decodeRangeRequest(Buffer.from([0x28, 0x07]))).toBeNull();
  expect((range.requestDeserialize(Buffer.from([0x28, 0x07])) as { sort_order: unknown }).sort_order).toBe(7);
});
