import { describe, expect, it } from 'vitest';
import { alarmKey, decodeAlarmKey, memberJson, memberKey } from '../../../src/snapshot/etcdRecords.js';
import { parseCommand } from '../../../src/server/cli/argv.js';
import { humanizeBytes, renderTable } from '../../../src/server/cli/goFormat.js';
import { formatStatus } from '../../../src/server/cli/snapshotCommand.js';

describe('etcd backend records', () => {
  it('members: the real etcd example (uint64 id past 2^53, omitempty fields)', () => {
    const m = { id: 13668033151171901709n, name: 'n1', peerUrls: ['http://127.0.0.1:23801'], clientUrls: ['http://127.0.0.1:23791'], isLearner: false };
    expect(memberKey(m.id).toString()).toBe('bdae9bbc11dd390d');
    expect(memberJson(m)).toBe(
      '{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:23801"],"name":"n1","clientURLs":["http://127.0.0.1:23791"]}',
    );
    expect(memberJson({ ...m, name: '', clientUrls: [], isLearner: true })).toBe(
      '{"id":13668033151171901709,"peerURLs":["http://127.0.0.1:23801"],"isLearner":true}',
    );
    // Go's encoding/json escapes <, > and & in strings.
    expect(memberJson({ ...m, name: 'a<b>&' })).toContain('"name":"a\\u003cb\\u003e\\u0026"');
  });

  it('alarm keys: marshalled AlarmMember, round trip', () => {
    const a = { memberId: 0xbdae9bbc11dd390dn, alarm: 'NOSPACE' as const };
    const key = alarmKey(a);
    expect(key[0]).toBe(0x08);
    expect(key.subarray(key.length - 2).toString('hex')).toBe('1001');
    expect(decodeAlarmKey(key)).toEqual(a);
    expect(decodeAlarmKey(alarmKey({ memberId: 0n, alarm: 'CORRUPT' }))).toEqual({ memberId: 0n, alarm: 'CORRUPT' });
    expect(decodeAlarmKey(Buffer.from('0801', 'hex'))).toBeNull();
    expect(() => decodeAlarmKey(Buffer.from('1009', 'hex'))).toThrow(/unknown alarm type 9/);
  });
});

describe("etcdutl's output formatting", () => {
  it('humanize.Bytes (SI, one decimal below 10, ties to even)', () => {
    expect([0, 9, 10, 999, 1000, 1049, 12288, 978944, 1_500_000, 999_500, 10_737_418_240].map(humanizeBytes)).toEqual([
      '0 B', '9 B', '10 B', '999 B', '1.0 kB', '1.0 kB', '12 kB', '979 kB', '1.5 MB', '1000 kB', '11 GB',
    ]);
  });

  it('status in every format', () => {
    const s = { hash: 3374655006, revision: 2325, totalKey: 2331, totalSize: 978944 };
    expect(formatStatus(s, 'simple')).toBe('c925261e, 2325, 2331, 979 kB\n');
    expect(formatStatus(s, 'json')).toBe('{"hash":3374655006,"revision":2325,"totalKey":2331,"totalSize":978944}\n');
    expect(formatStatus(s, 'table')).toBe(
      [
        '+----------+----------+------------+------------+',
        '|   HASH   | REVISION | TOTAL KEYS | TOTAL SIZE |',
        '+----------+----------+------------+------------+',
        '| c925261e |     2325 |       2331 |     979 kB |',
        '+----------+----------+------------+------------+',
        '',
      ].join('\n'),
    );
    expect(renderTable(['a'], [['xyz']])).toBe('+-----+\n|  A  |\n+-----+\n| xyz |\n+-----+\n');
    expect(() => formatStatus(s, 'protobuf')).toThrow('protobuf not supported as output format');
  });

  it('pflag-style command lines', () => {
    const specs = [
      { name: 'write-out', short: 'w', type: 'string' as const, default: 'simple' },
      { name: 'skip-hash-check', type: 'bool' as const, default: 'false' },
      { name: 'bump-revision', type: 'uint' as const, default: '0' },
    ];
    const p = parseCommand(specs, ['x.db', '-w', 'json', '--skip-hash-check', '--bump-revision=5', '--', '-odd']);
    expect(p.args).toEqual(['x.db', '-odd']);
    expect(Object.fromEntries(p.values)).toEqual({ 'write-out': 'json', 'skip-hash-check': 'true', 'bump-revision': '5' });
    expect([...p.given].sort()).toEqual(['bump-revision', 'skip-hash-check', 'write-out']);
    expect(() => parseCommand(specs, ['--nope'])).toThrow('unknown flag: --nope');
    expect(() => parseCommand(specs, ['-w'])).toThrow("flag needs an argument: 'w' in -w");
    expect(() => parseCommand(specs, ['--bump-revision=-1'])).toThrow(/invalid argument "-1" for "--bump-revision"/);
  });
});
