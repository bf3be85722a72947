// HPACK (src/server/grpc/h2): RFC 7541 Appendix C vectors, malformed input, and cross-checks against
// node's own HPACK (nghttp2) on loopback: our decoder reads what node's client encodes, node's server
// reads what our encoder writes.
import { once } from 'node:events';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeHeaderBlock, HpackDecoder, HpackError } from '../../../src/server/grpc/h2/hpack.js';
import { huffmanDecode, huffmanEncode, huffmanEncodedLength } from '../../../src/server/grpc/h2/huffman.js';

type Field = [string, string];

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeAll(decoder: HpackDecoder, block: Uint8Array): Field[] {
  const out: Field[] = [];
  decoder.decode(block, (name, value) => out.push([name, value]));
  return out;
}

/** The dynamic table, newest first, read through the public API: indexed fields 62, 63, ... until one is
 * beyond the table (indexed fields leave the table as it is). */
function dynamicTable(decoder: HpackDecoder): Field[] {
  const entries: Field[] = [];
  for (let index = 62; index < 127; index++) {
    try {
      entries.push(...decodeAll(decoder, Uint8Array.of(0x80 | index)));
    } catch (e) {
      if (!(e instanceof HpackError)) throw e;
      break;
    }
  }
  return entries;
}

const tableSize = (entries: Field[]): number => entries.reduce((n, [name, value]) => n + name.length + value.length + 32, 0);

interface Step {
  block: string;
  headers: Field[];
  table: Field[]; // newest first
  size: number;
}

/** Decodes the steps in order on one decoder: each block sees the table the ones before it left. */
function runSeries(maxTableSize: number, steps: Step[]): void {
  const decoder = new HpackDecoder(maxTableSize);
  for (const step of steps) {
    expect(decodeAll(decoder, hex(step.block))).toStrictEqual(step.headers);
    const table = dynamicTable(decoder);
    expect(table).toStrictEqual(step.table);
    expect(tableSize(table)).toBe(step.size);
  }
}

const REQ1: Field[] = [[':method', 'GET'], [':scheme', 'http'], [':path', '/'], [':authority', 'www.example.com']];
const REQ2: Field[] = [...REQ1, ['cache-control', 'no-cache']];
const REQ3: Field[] = [[':method', 'GET'], [':scheme', 'https'], [':path', '/index.html'], [':authority', 'www.example.com'], ['custom-key', 'custom-value']];
const REQ_TABLES: Field[][] = [
  [[':authority', 'www.example.com']],
  [['cache-control', 'no-cache'], [':authority', 'www.example.com']],
  [['custom-key', 'custom-value'], ['cache-control', 'no-cache'], [':authority', 'www.example.com']],
];

const DATE1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
const DATE2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
const COOKIE = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
const LOCATION = 'https://www.example.com';
const RESP1: Field[] = [[':status', '302'], ['cache-control', 'private'], ['date', DATE1], ['location', LOCATION]];
const RESP2: Field[] = [[':status', '307'], ['cache-control', 'private'], ['date', DATE1], ['location', LOCATION]];
const RESP3: Field[] = [[':status', '200'], ['cache-control', 'private'], ['date', DATE2], ['location', LOCATION], ['content-encoding', 'gzip'], ['set-cookie', COOKIE]];
const RESP_TABLES: Field[][] = [
  [['location', LOCATION], ['date', DATE1], ['cache-control', 'private'], [':status', '302']],
  [[':status', '307'], ['location', LOCATION], ['date', DATE1], ['cache-control', 'private']],
  [['set-cookie', COOKIE], ['content-encoding', 'gzip'], ['date', DATE2]],
];

describe('RFC 7541 Appendix C', () => {
  it('C.2.1 literal with indexing enters the table', () => {
    const d = new HpackDecoder();
    expect(decodeAll(d, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'))).toStrictEqual([['custom-key', 'custom-header']]);
    expect(dynamicTable(d)).toStrictEqual([['custom-key', 'custom-header']]);
    expect(tableSize(dynamicTable(d))).toBe(55);
  });

  it('C.2.2 literal without indexing, C.2.3 never indexed, C.2.4 indexed leave the table empty', () => {
    const cases: Array<[string, Field[]]> = [
      ['040c 2f73 616d 706c 652f 7061 7468', [[':path', '/sample/path']]],
      ['1008 7061 7373 776f 7264 0673 6563 7265 74', [['password', 'secret']]],
      ['82', [[':method', 'GET']]],
    ];
    for (const [block, headers] of cases) {
      const d = new HpackDecoder();
      expect(decodeAll(d, hex(block))).toStrictEqual(headers);
      expect(dynamicTable(d)).toStrictEqual([]);
    }
  });

  it('C.3 requests without Huffman, three blocks on one decoder', () => {
    runSeries(4096, [
      { block: '8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', headers: REQ1, table: REQ_TABLES[0]!, size: 57 },
      { block: '8286 84be 5808 6e6f 2d63 6163 6865', headers: REQ2, table: REQ_TABLES[1]!, size: 110 },
      { block: '8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65', headers: REQ3, table: REQ_TABLES[2]!, size: 164 },
    ]);
  });

  it('C.4 requests with Huffman', () => {
    runSeries(4096, [
      { block: '8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff', headers: REQ1, table: REQ_TABLES[0]!, size: 57 },
      { block: '8286 84be 5886 a8eb 1064 9cbf', headers: REQ2, table: REQ_TABLES[1]!, size: 110 },
      { block: '8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf', headers: REQ3, table: REQ_TABLES[2]!, size: 164 },
    ]);
  });

  it('C.5 responses without Huffman, table of 256 octets with evictions', () => {
    runSeries(256, [
      {
        block: `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
                2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
        headers: RESP1,
        table: RESP_TABLES[0]!,
        size: 222,
      },
      { block: '4803 3330 37c1 c0bf', headers: RESP2, table: RESP_TABLES[1]!, size: 222 },
      {
        block: `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
                54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
                5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31`,
        headers: RESP3,
        table: RESP_TABLES[2]!,
        size: 215,
      },
    ]);
  });

  it('C.6 responses with Huffman, table of 256 octets with evictions', () => {
    runSeries(256, [
      {
        block: `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
                2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
        headers: RESP1,
        table: RESP_TABLES[0]!,
        size: 222,
      },
      { block: '4883 640e ffc1 c0bf', headers: RESP2, table: RESP_TABLES[1]!, size: 222 },
      {
        block: `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
                77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
                9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
        headers: RESP3,
        table: RESP_TABLES[2]!,
        size: 215,
      },
    ]);
  });
});

// The Huffman-coded strings of C.4 and C.6.
const HUFFMAN_VECTORS: Array<[string, string]> = [
  ['www.example.com', 'f1e3 c2e5 f23a 6ba0 ab90 f4ff'],
  ['no-cache', 'a8eb 1064 9cbf'],
  ['custom-key', '25a8 49e9 5ba9 7d7f'],
  ['custom-value', '25a8 49e9 5bb8 e8b4 bf'],
  ['302', '6402'],
  ['307', '640e ff'],
  ['private', 'aec3 771a 4b'],
  [DATE1, 'd07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff'],
  [DATE2, 'd07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff'],
  [LOCATION, '9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3'],
  ['gzip', '9bd9 ab'],
  [COOKIE, '94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07'],
];

const latin1String = (maxLength: number) =>
  fc.array(fc.integer({ min: 0, max: 255 }), { maxLength }).map((codes) => String.fromCharCode(...codes));

function huffman(s: string): Buffer {
  const out = Buffer.alloc(huffmanEncodedLength(s));
  expect(huffmanEncode(s, out, 0)).toBe(out.length);
  return out;
}

describe('Huffman', () => {
  it('decodes and encodes the RFC strings', () => {
    for (const [text, coded] of HUFFMAN_VECTORS) {
      const bytes = hex(coded);
      expect(huffmanDecode(bytes, 0, bytes.length)).toBe(text);
      expect(huffman(text).toString('hex')).toBe(bytes.toString('hex'));
    }
  });

  it('decodes a range inside a larger buffer', () => {
    const bytes = Buffer.concat([Buffer.from([0xaa, 0xbb]), hex('9bd9 ab'), Buffer.from([0xcc])]);
    expect(huffmanDecode(bytes, 2, 5)).toBe('gzip');
    expect(huffmanDecode(bytes, 2, 2)).toBe('');
  });

  it('round-trips every octet string, with the length it predicts', () => {
    fc.assert(
      fc.property(latin1String(200), (s) => {
        const coded = huffman(s);
        expect(huffmanDecode(coded, 0, coded.length)).toBe(s);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses EOS in the data', () => {
    const eos = hex('ffff fffc'); // 30 ones (EOS), then 2 zero bits
    expect(() => huffmanDecode(eos, 0, eos.length)).toThrow(HpackError);
    const afterSymbol = hex('07 ffff ffff'); // '0' (00000), then 35 ones: EOS is complete within them
    expect(() => huffmanDecode(afterSymbol, 0, afterSymbol.length)).toThrow(HpackError);
    const goFuzz = Buffer.from('00\x91\xff\xff\xff\xff\xc8', 'latin1');
    expect(() => huffmanDecode(goFuzz, 0, goFuzz.length)).toThrow(HpackError);
  });

  it('refuses padding over 7 bits or not all ones', () => {
    const ok = hex('07'); // '0' = 00000, padding 111
    expect(huffmanDecode(ok, 0, 1)).toBe('0');
    for (const bad of ['07ff', 'ff', '00', '06', 'aec3771a4a', '9bd9abff']) {
      const b = hex(bad);
      expect(() => huffmanDecode(b, 0, b.length), bad).toThrow(HpackError);
    }
  });

  it('accepts exactly the inputs that are its own encoding: any input either re-encodes to itself or is refused', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        let text: string;
        try {
          text = huffmanDecode(bytes, 0, bytes.length);
        } catch (e) {
          expect(e).toBeInstanceOf(HpackError);
          return;
        }
        expect(huffman(text).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('HpackDecoder refuses malformed blocks', () => {
  const refuses = (block: string, maxTableSize = 4096) => {
    expect(() => decodeAll(new HpackDecoder(maxTableSize), hex(block)), block).toThrow(HpackError);
  };

  it('truncated integers, and integers over 2^31 or of too many octets', () => {
    refuses('ff'); // index: prefix full, no continuation
    refuses('ff 80'); // continuation bit set on the last octet
    refuses('3f'); // size update
    refuses('40 7f'); // name length
    refuses('ff ff ff ff ff 0f'); // 127 + 0x0fffffff * 128 ... > 2^31
    refuses('ff 80 80 80 80 80 01'); // six continuation octets
    expect(decodeAll(new HpackDecoder(), hex('3f 80 80 80 00'))).toStrictEqual([]); // redundant zero octets are fine...
    refuses('3f 80 80 80 80 80 80 00'); // ...but not past 5 continuation octets, whatever their value
    refuses('0f ff ff ff ff 7f 00'); // literal's name index
  });

  it('truncated strings and fields', () => {
    refuses('40 05 61 62'); // name of 5 octets, 2 present
    refuses('40'); // no name length at all
    refuses('40 01 61'); // name, no value
    refuses('01'); // indexed name, no value
    refuses('01 03 61 62'); // value of 3 octets, 2 present
    refuses('01 83 9b d9'); // Huffman value cut short
  });

  it('index 0 and indexes beyond the tables', () => {
    refuses('80');
    refuses('be'); // 62 with an empty dynamic table
    refuses('ff 00'); // 127
    refuses('7e 01 61'); // literal with the name of index 62
    refuses('0f 2f 01 61'); // literal without indexing, name index 62
    const d = new HpackDecoder();
    decodeAll(d, hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572'));
    expect(decodeAll(d, hex('be'))).toStrictEqual([['custom-key', 'custom-header']]);
    expect(() => decodeAll(d, hex('bf'))).toThrow(HpackError);
  });

  it('a table size update above our maximum', () => {
    expect(decodeAll(new HpackDecoder(4096), hex('3fe11f 82'))).toStrictEqual([[':method', 'GET']]); // 4096
    refuses('3fe21f 82'); // 4097
    expect(decodeAll(new HpackDecoder(256), hex('3fe101'))).toStrictEqual([]); // 31 + 97 + 128 = 256
    refuses('3fe201', 256); // 257
  });

  it('a table size update after the first field, but not several at the start', () => {
    refuses('82 20');
    refuses('40 01 61 01 62 3f 01'); // after a literal too
    expect(decodeAll(new HpackDecoder(), hex('20 3fe11f 82'))).toStrictEqual([[':method', 'GET']]);
  });

  it('Huffman EOS and bad padding inside a block', () => {
    refuses('40 84 ffff fffc 00');
    refuses('40 81 00 00');
    refuses('01 82 9bd9'); // 'g' 'z', then 001 as padding
  });

  it('random blocks never throw anything but HpackError', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 30 }), { maxLength: 4 }), (blocks) => {
        const d = new HpackDecoder(256);
        for (const block of blocks) {
          try {
            decodeAll(d, block);
          } catch (e) {
            expect(e).toBeInstanceOf(HpackError);
            return;
          }
        }
      }),
      { numRuns: 3000 },
    );
  });
});

describe('HpackDecoder dynamic table', () => {
  it('a size update evicts down to the new size, and later entries respect it', () => {
    const d = new HpackDecoder();
    for (const block of ['8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d', '8286 84be 5808 6e6f 2d63 6163 6865']) decodeAll(d, hex(block));
    expect(dynamicTable(d)).toStrictEqual(REQ_TABLES[1]);
    decodeAll(d, hex('3f 1f')); // size 62: room for no-cache's 53 only
    expect(dynamicTable(d)).toStrictEqual([['cache-control', 'no-cache']]);
    decodeAll(d, hex('20')); // size 0 empties it
    expect(dynamicTable(d)).toStrictEqual([]);
    expect(decodeAll(d, hex('40 01 61 01 62'))).toStrictEqual([['a', 'b']]); // too big for 0: not added
    expect(dynamicTable(d)).toStrictEqual([]);
    decodeAll(d, hex('3fe11f'));
    decodeAll(d, hex('40 01 61 01 62'));
    expect(dynamicTable(d)).toStrictEqual([['a', 'b']]);
  });

  it('an entry larger than the table empties it', () => {
    const d = new HpackDecoder(64);
    decodeAll(d, hex('40 01 61 01 62 40 01 63 01 64')); // 34 + 34 > 64: the first is evicted
    expect(dynamicTable(d)).toStrictEqual([['c', 'd']]);
    const big = Buffer.concat([hex('40 01 78 20'), Buffer.alloc(32, 0x79)]); // 1 + 32 + 32 > 64
    expect(decodeAll(d, big)).toStrictEqual([['x', 'y'.repeat(32)]]);
    expect(dynamicTable(d)).toStrictEqual([]);
  });

  it('wraps its ring many times over: matches a plain list model', () => {
    const field = fc.tuple(fc.stringMatching(/^[a-z]{1,6}$/), fc.stringMatching(/^[a-z]{0,40}$/));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.array(field, { maxLength: 60 }), (max, fields) => {
        const d = new HpackDecoder(300);
        const model: Field[] = [];
        decodeAll(d, Buffer.from(max < 31 ? [0x20 | max] : [0x3f, ...intTail(max - 31)]));
        for (const [name, value] of fields) {
          decodeAll(d, Buffer.concat([Buffer.from([0x40, name.length]), Buffer.from(name), Buffer.from([value.length]), Buffer.from(value)]));
          model.unshift([name, value]);
          while (tableSize(model) > max) model.pop();
          expect(dynamicTable(d)).toStrictEqual(model);
        }
      }),
      { numRuns: 200 },
    );
  });
});

/** Continuation octets of an HPACK integer's remainder after the prefix. */
function intTail(rest: number): number[] {
  const out: number[] = [];
  while (rest >= 128) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return out;
}

const STATIC_SAMPLE: Field[] = [
  [':status', '200'], [':status', '404'], [':method', 'POST'], [':path', '/'], ['accept-encoding', 'gzip, deflate'],
  ['content-type', 'application/grpc'], ['content-type', ''], ['www-authenticate', 'x'], [':authority', 'localhost:2379'],
];
const lowerName = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
const anyField: fc.Arbitrary<Field> = fc.oneof(
  fc.constantFrom(...STATIC_SAMPLE),
  fc.tuple(fc.constantFrom(...STATIC_SAMPLE.map(([n]) => n)), latin1String(300)),
  fc.tuple(lowerName, latin1String(300)),
);

describe('encodeHeaderBlock', () => {
  it('writes static pairs indexed, static names by index, other names literally, nothing indexed', () => {
    expect(encodeHeaderBlock([[':status', '200']])).toStrictEqual(Buffer.from([0x88]));
    expect(encodeHeaderBlock([[':status', '200'], [':status', '404'], ['age', '']])).toStrictEqual(Buffer.from([0x88, 0x8d, 0x95]));
    // content-type is index 31: 4-bit prefix 15, then 16
    expect(encodeHeaderBlock([['content-type', 'application/grpc']]).toString('hex')).toBe(`0f1010${Buffer.from('application/grpc').toString('hex')}`);
    expect(encodeHeaderBlock([['grpc-status', '0']]).toString('hex')).toBe(`000b${Buffer.from('grpc-status').toString('hex')}0130`);
    expect(encodeHeaderBlock([[':status', '302']]).toString('hex')).toBe('0803333032');
    expect(encodeHeaderBlock([])).toHaveLength(0);
  });

  it('refuses names that are not lowercase', () => {
    expect(() => encodeHeaderBlock([['Grpc-Status', '0']])).toThrow(/lowercase/);
  });

  it('decodes back to its input and leaves the decoder table empty', () => {
    const d = new HpackDecoder();
    fc.assert(
      fc.property(fc.array(anyField, { maxLength: 12 }), (fields) => {
        expect(decodeAll(d, encodeHeaderBlock(fields))).toStrictEqual(fields);
      }),
      { numRuns: 1000 },
    );
    expect(dynamicTable(d)).toStrictEqual([]);
  });
});

// ---- cross-checks against node's HPACK on loopback ----

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const TYPE_HEADERS = 1;
const TYPE_SETTINGS = 4;
const TYPE_CONTINUATION = 9;
const FLAG_END_STREAM = 0x1;
const FLAG_ACK = 0x1;
const FLAG_END_HEADERS = 0x4;
const FLAG_PADDED = 0x8;
const FLAG_PRIORITY = 0x20;

function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(streamId, 5);
  return Buffer.concat([head, payload]);
}

/** Reads a client's byte stream: the preface, then frames; calls onBlock with each complete header block
 * (HEADERS payload without padding and priority, plus its CONTINUATIONs) and onSettings for each
 * non-ACK SETTINGS frame. */
function frameReader(onBlock: (block: Buffer) => void, onSettings: () => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  let prefaceSeen = false;
  let fragments: Buffer[] = [];
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    if (!prefaceSeen) {
      if (pending.length < PREFACE.length) return;
      expect(pending.subarray(0, PREFACE.length).equals(PREFACE)).toBe(true);
      pending = pending.subarray(PREFACE.length);
      prefaceSeen = true;
    }
    while (pending.length >= 9) {
      const length = pending.readUIntBE(0, 3);
      if (pending.length < 9 + length) return;
      const [type, flags] = [pending[3]!, pending[4]!];
      let payload = pending.subarray(9, 9 + length);
      pending = pending.subarray(9 + length);
      if (type === TYPE_SETTINGS && !(flags & FLAG_ACK)) onSettings();
      if (type !== TYPE_HEADERS && type !== TYPE_CONTINUATION) continue;
      if (type === TYPE_HEADERS) {
        if (flags & FLAG_PADDED) payload = payload.subarray(1, payload.length - payload[0]!);
        if (flags & FLAG_PRIORITY) payload = payload.subarray(5);
        fragments = [];
      }
      fragments.push(payload);
      if (flags & FLAG_END_HEADERS) onBlock(Buffer.concat(fragments));
    }
  };
}

async function waitFor(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

const customName = fc.stringMatching(/^x-[a-z]{1,10}$/);
const printable = fc
  .array(fc.integer({ min: 0x20, max: 0x7e }), { maxLength: 40 })
  .map((codes) => String.fromCharCode(...codes).trim()); // node and nghttp2 may refuse edge whitespace

describe('cross-check with node:http2 (nghttp2)', () => {
  it("our decoder reads node's client header blocks, dynamic table and size updates included", async () => {
    // A pool of fields that requests draw from, so repeats come from node's dynamic table; and the table
    // size we advertise, so node's encoder sends size updates and evicts.
    const scenario = fc.record({
      pool: fc.uniqueArray(fc.tuple(customName, printable), { minLength: 1, maxLength: 12, selector: ([n]) => n }),
      requests: fc.array(fc.record({ path: fc.constantFrom('/a', '/etcdserverpb.KV/Range', '/x?y=1'), picks: fc.array(fc.nat(), { maxLength: 8 }), fresh: printable }), {
        minLength: 1,
        maxLength: 6,
      }),
      tableSize: fc.constantFrom(4096, 256, 100, 0),
    });
    let sizeUpdates = 0; // blocks opening with a table size update
    let indexedRuns = 0; // runs where node's encoder left entries in the table
    await fc.assert(
      fc.asyncProperty(scenario, async ({ pool, requests, tableSize }) => {
        const blocks: Buffer[] = [];
        const sockets: net.Socket[] = [];
        const server = net.createServer((socket) => {
          sockets.push(socket);
          const settings = Buffer.alloc(6);
          settings.writeUInt16BE(0x1, 0); // SETTINGS_HEADER_TABLE_SIZE
          settings.writeUInt32BE(tableSize, 2);
          socket.write(frame(TYPE_SETTINGS, 0, 0, settings));
          socket.on('data', frameReader((b) => blocks.push(b), () => socket.write(frame(TYPE_SETTINGS, FLAG_ACK, 0))));
          socket.on('error', () => {});
        });
        const port = await listen(server);
        const client = http2.connect(`http://127.0.0.1:${port}`);
        client.on('error', () => {});
        const expected: Field[][] = [];
        try {
          await once(client, 'remoteSettings');
          for (const [i, r] of requests.entries()) {
            const fields: Field[] = [];
            for (const p of r.picks) {
              const f = pool[p % pool.length]!;
              if (!fields.some(([n]) => n === f[0])) fields.push(f);
            }
            fields.push([`x-fresh${i}`, r.fresh]);
            const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': r.path };
            for (const [n, v] of fields) headers[n] = v;
            client.request(headers, { endStream: true }).on('error', () => {});
            expected.push([[':method', 'POST'], [':path', r.path], ...fields]);
          }
          await waitFor(() => blocks.length >= requests.length, 'header blocks');
        } finally {
          client.destroy();
          for (const s of sockets) s.destroy();
          server.close();
        }
        const decoder = new HpackDecoder(4096);
        const got = blocks.map((b) => decodeAll(decoder, b).filter(([n]) => n === ':method' || n === ':path' || n.startsWith('x-')));
        expect(got).toStrictEqual(expected);
        sizeUpdates += blocks.filter((b) => (b[0]! & 0xe0) === 0x20).length;
        if (dynamicTable(decoder).length > 0) indexedRuns++;
      }),
      { numRuns: 30, interruptAfterTimeLimit: 40_000 },
    );
    // The check is only worth something if node really used its dynamic table and resized it.
    expect(sizeUpdates).toBeGreaterThan(0);
    expect(indexedRuns).toBeGreaterThan(0);
  });

  it("node's server reads our encoder's header blocks", async () => {
    const requestFields = fc.uniqueArray(fc.oneof(fc.tuple(customName, printable), fc.constantFrom<Field>(['content-type', 'application/grpc'], ['te', 'trailers'], ['accept-encoding', 'gzip, deflate'], ['user-agent', 'grpc-go/1.60'])), {
      maxLength: 10,
      selector: ([n]) => n,
    });
    await fc.assert(
      fc.asyncProperty(fc.array(requestFields, { minLength: 1, maxLength: 5 }), async (requests) => {
        const got: Field[][] = [];
        const server = http2.createServer();
        server.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders?: string[]) => {
          if (rawHeaders === undefined) throw new Error('node gave no rawHeaders');
          const fields: Field[] = [];
          for (let i = 0; i < rawHeaders.length; i += 2) fields.push([rawHeaders[i]!, rawHeaders[i + 1]!]);
          got.push(fields);
          stream.respond({ ':status': 200 }, { endStream: true });
        });
        server.on('sessionError', () => {});
        const port = await listen(server);
        const socket = net.connect(port, '127.0.0.1');
        socket.on('error', () => {});
        const expected: Field[][] = [];
        try {
          await once(socket, 'connect');
          const frames = [PREFACE, frame(TYPE_SETTINGS, 0, 0)];
          for (const [i, fields] of requests.entries()) {
            const all: Field[] = [[':method', 'POST'], [':scheme', 'http'], [':path', `/r${i}`], [':authority', '127.0.0.1'], ...fields];
            frames.push(frame(TYPE_HEADERS, FLAG_END_HEADERS | FLAG_END_STREAM, 2 * i + 1, encodeHeaderBlock(all)));
            expected.push(all);
          }
          socket.write(Buffer.concat(frames));
          await waitFor(() => got.length >= requests.length, 'streams');
        } finally {
          socket.destroy();
          server.close();
        }
        expect(got).toStrictEqual(expected);
      }),
      { numRuns: 30, interruptAfterTimeLimit: 40_000 },
    );
  });
});
