// The direct encoders must write exactly the bytes the general canonical encoder writes, or decline.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeCanonical } from '../../../src/server/proto/canonical.js';
import { encodeInternalRaftRequest } from '../../../src/server/proto/codec.js';
import { encodePutEntry, encodePutResponse, encodeRangeResponse } from '../../../src/server/proto/directEncoders.js';
import { protoRoot } from '../../../src/server/proto/load.js';

const type = (name: string) => protoRoot.lookupType(name);
const general = (name: string, v: object) => encodeCanonical(type(name), v);
/** Byte equality; vitest's deep equality walks a 20 kB buffer element by element. */
function expectSameBytes(actual: Buffer | null, expected: Buffer): void {
  expect(actual).not.toBeNull();
  if (!actual!.equals(expected)) expect(actual!.toString('hex')).toBe(expected.toString('hex'));
}

// int64s as the converters give them (decimal strings), and as numbers, zero included.
const int64 = fc.oneof(
  fc.constant('0'),
  fc.integer({ min: -1000, max: 100_000 }).map(String),
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n }).map(String),
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
);
const bytes = fc.oneof(fc.constant(Buffer.alloc(0)), fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)));
const header = fc.record({ cluster_id: int64, member_id: int64, revision: int64, raft_term: int64 });
const keyValue = fc.record({ key: bytes, create_revision: int64, mod_revision: int64, version: int64, value: bytes, lease: int64 });

describe('direct canonical encoders', () => {
  it('RangeResponse: the same bytes as the general encoder', () => {
    const range = fc.record({ header: fc.option(header, { nil: null }), kvs: fc.array(keyValue, { maxLength: 5 }), more: fc.boolean(), count: int64 });
    fc.assert(
      fc.property(range, (r) => {
        expectSameBytes(encodeRangeResponse(r as never), general('etcdserverpb.RangeResponse', r));
      }),
      { numRuns: 1500 },
    );
  });

  it('PutResponse: the same bytes as the general encoder', () => {
    const put = fc.record({ header: fc.option(header, { nil: null }), prev_kv: fc.option(keyValue, { nil: null }) });
    fc.assert(
      fc.property(put, (r) => {
        expectSameBytes(encodePutResponse(r as never), general('etcdserverpb.PutResponse', r));
      }),
      { numRuns: 1500 },
    );
  });

  it('put entries: the same bytes as the general encoder, and long values move their length prefix', () => {
    const entry = fc.record({
      ID: int64,
      header: fc.option(fc.record({ ID: int64, username: fc.string({ maxLength: 12 }), auth_revision: int64 }), { nil: null }),
      request: fc.constant('put'),
      put: fc.record({ key: bytes, value: fc.oneof(bytes, fc.constant(Buffer.alloc(20_000, 7))), lease: int64, prev_kv: fc.boolean(), ignore_value: fc.boolean(), ignore_lease: fc.boolean() }),
    });
    fc.assert(
      fc.property(entry, (e) => {
        const direct = encodePutEntry(e as never);
        const expected = general('capstan.InternalRaftRequest', e);
        // Non-ASCII user names are left to the general encoder.
        if (direct === null) expect(/^[\x00-\x7f]*$/.test(e.header?.username ?? '')).toBe(false);
        else expectSameBytes(direct, expected);
        expectSameBytes(encodeInternalRaftRequest(e as never), expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('declines values it does not expect', () => {
    expect(encodeRangeResponse({ header: null, kvs: [], more: false, count: 1.5 } as never)).toBeNull();
    expect(encodeRangeResponse({ header: null, kvs: [], more: 'yes', count: '0' } as never)).toBeNull();
    expect(encodePutResponse({ header: 'h' } as never)).toBeNull();
    expect(encodeRangeResponse({ header: null, kvs: [{ key: 'a2V5' }], more: false, count: '1' } as never)).toBeNull();
  });
});
