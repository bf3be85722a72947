import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger, formatZapTime, MemorySink } from '../../../src/server/logger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('zap-shaped JSON lines', () => {
  it('has level, ts, caller, msg, then fields, in that order', () => {
    const sink = new MemorySink();
    const lg = createLogger({ sinks: [sink], clock: () => Date.UTC(2026, 0, 2, 15, 4, 5, 123) + 0.456 });
    lg.info('starting an etcd server', { 'data-dir': '/var/lib/etcd', 'snapshot-count': 10000, 'pre-vote': true, id: 12345678901234567890n });
    expect(sink.lines).toHaveLength(1);
    const line = sink.lines[0]!;
    expect(line.endsWith('}\n')).toBe(true);
    expect(Object.keys(JSON.parse(line) as object)).toEqual(['level', 'ts', 'caller', 'msg', 'data-dir', 'snapshot-count', 'pre-vote', 'id']);
    expect(line).toContain('"id":12345678901234567890');
    const e = sink.entries()[0]!;
    expect(e['level']).toBe('info');
    expect(e['msg']).toBe('starting an etcd server');
    expect(e['caller']).toMatch(/^config\/logger\.test\.ts:\d+$/);
    if (new Date().getTimezoneOffset() === 0) expect(e['ts']).toBe('2026-01-02T15:04:05.123456Z');
  });

  it('formats time like Go "2006-01-02T15:04:05.999999Z0700"', () => {
    const t = formatZapTime(Date.UTC(2026, 10, 24, 1, 2, 3, 500));
    expect(t).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.5(Z|[+-]\d{4})$/);
    expect(formatZapTime(Date.UTC(2026, 10, 24, 1, 2, 3, 0))).toMatch(/:03(Z|[+-]\d{4})$/);
  });

  it('honours the level, and With/Named add context', () => {
    const sink = new MemorySink();
    const lg = createLogger({ sinks: [sink], level: 'warn', caller: false });
    lg.debug('d');
    lg.info('i');
    lg.warn('w', { err: new Error('disk full') });
    lg.with({ 'local-member-id': '8e9e05c52164694d' }).named('raft').warn('w2', { n: Number.NaN });
    const entries = sink.entries();
    expect(entries.map((x) => x['msg'])).toEqual(['w', 'w2']);
    expect(entries[0]!['err']).toBe('disk full');
    expect(entries[1]).toMatchObject({ logger: 'raft', 'local-member-id': '8e9e05c52164694d', n: 'NaN' });
    expect(lg.enabled('error')).toBe(true);
    expect(lg.enabled('info')).toBe(false);
  });

  it('error and above carry a stacktrace; panic throws; fatal calls onFatal', () => {
    const sink = new MemorySink();
    const lg = createLogger({
      sinks: [sink],
      onFatal: (msg) => {
        throw new Error(`exit: ${msg}`);
      },
    });
    lg.error('bad');
    expect(() => lg.panic('worse')).toThrow('worse');
    expect(() => lg.fatal('worst', { 'environment-variable': 'ETCD_NAME' })).toThrow('exit: worst');
    const entries = sink.entries();
    expect(entries.map((x) => x['level'])).toEqual(['error', 'panic', 'fatal']);
    expect(typeof entries[0]!['stacktrace']).toBe('string');
    expect(entries[2]!['environment-variable']).toBe('ETCD_NAME');
  });

  it('writes to a file output (--log-outputs=<path>), appending', () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-log-'));
    dirs.push(dir);
    const path = join(dir, 'member.log');
    for (const msg of ['one', 'two']) {
      const lg = createLogger({ outputs: [path] });
      lg.info(msg);
      lg.close();
    }
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['one', 'two']);
  });
});
