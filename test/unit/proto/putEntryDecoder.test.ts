// The direct put-entry decoder must give exactly what the general protobufjs decode gives, or decline.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { codecFor, encodeInternalRaftRequest } from '../../../src/server/proto/codec.js';
import type * as pb from '../../../src/server/proto/messages.js';
import { decodePutEntry } from '../../../src/server/proto/putEntryDecoder.js';

const general = codecFor('capstan.InternalRaftRequest');

const uint64 = fc.oneof(fc.nat(1000), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n })).map(String);
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String);
const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a));
const asciiName = fc.string({ maxLength: 20 }).filter((s) => /^[\x00-\x7f]*$/.test(s));

const putRequest: fc.Arbitrary<pb.InternalRaftRequest> = fc.record({
  ID: uint64,
  header: fc.option(fc.record({ ID: uint64, username: asciiName, auth_revision: uint64 }), { nil: null }),
  put: fc.record({ key: bytes, value: bytes, lease: int64, prev_kv: fc.boolean(), ignore_value: fc.boolean(), ignore_lease: fc.boolean() }),
  request: fc.constant('put'),
}) as fc.Arbitrary<pb.InternalRaftRequest>;

describe('decodePutEntry', () => {
  it('decodes every put entry exactly as protobufjs does', () => {
    fc.assert(
      fc.property(putRequest, (request) => {
        const encoded = encodeInternalRaftRequest(request);
        const fast = decodePutEntry(encoded);
        expect(fast).not.toBeNull();
        expect(fast).toStrictEqual(general.decode(encoded));
      }),
      { numRuns: 2000 },
    );
  });

  it('declines other requests, non-ASCII user names and repeated fields', () => {
    const range = encodeInternalRaftRequest({ ID: '7', request: 'range', range: { key: Buffer.from('a') } } as pb.InternalRaftRequest);
    expect(decodePutEntry(range)).toBeNull();
    const put = { key: Buffer.from('k'), value: Buffer.alloc(0), lease: '0', prev_kv: false, ignore_value: false, ignore_lease: false };
    const named = encodeInternalRaftRequest({ ID: '1', header: { ID: '2', username: 'zoë', auth_revision: '3' }, put, request: 'put' } as pb.InternalRaftRequest);
    expect(decodePutEntry(named)).toBeNull();
    const once = encodeInternalRaftRequest({ ID: '1', put, request: 'put' } as pb.InternalRaftRequest);
    // The same put field twice: protobuf merges the two, this decoder leaves that to protobufjs.
    const twice = Buffer.concat([once, once.subarray(once.indexOf(0x22))]);
    expect(decodePutEntry(twice)).toBeNull();
  });

  it('on arbitrary bytes, declines or agrees with protobufjs', () => {
    const nearPut = fc
      .tuple(putRequest, fc.nat(400), fc.integer({ min: 0, max: 255 }), fc.nat(40))
      .map(([request, at, value, cut]) => {
        const b = Buffer.from(encodeInternalRaftRequest(request));
        if (b.length > 0) b[at % b.length] = value;
        return b.subarray(0, Math.max(0, b.length - cut));
      });
    fc.assert(
      fc.property(fc.oneof(nearPut, fc.uint8Array({ maxLength: 64 })), (input) => {
        const fast = decodePutEntry(input);
        if (fast === null) return;
        expect(fast).toStrictEqual(general.decode(input));
      }),
      { numRuns: 3000 },
    );
  });
});
