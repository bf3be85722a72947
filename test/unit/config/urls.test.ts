import { describe, expect, it } from 'vitest';
import { formatUrlsMap, parseUrl, parseUrls, parseUrlsMap, UrlError } from '../../../src/server/config/urls.js';
import { formatGoDuration, parseGoDuration } from '../../../src/server/config/duration.js';

function urlError(text: string): string {
  try {
    parseUrl(text);
  } catch (e) {
    if (e instanceof UrlError) return e.message;
    throw e;
  }
  throw new Error('expected UrlError');
}

describe('parseUrls', () => {
  it('parses http, https, IPv6 and unix URLs', () => {
    expect(parseUrls('http://127.0.0.1:2379,https://[::1]:2379,unix:///run/capstan.sock').map((u) => ({ ...u }))).toEqual([
      { scheme: 'http', host: '127.0.0.1', port: 2379, path: '', text: 'http://127.0.0.1:2379' },
      { scheme: 'https', host: '::1', port: 2379, path: '', text: 'https://[::1]:2379' },
      { scheme: 'unix', host: '', port: 0, path: '/run/capstan.sock', text: 'unix:///run/capstan.sock' },
    ]);
  });

  it('trims spaces, drops duplicates and sorts', () => {
    expect(parseUrls(' http://b:2, http://a:1,http://b:2').map((u) => u.text)).toEqual(['http://a:1', 'http://b:2']);
  });

  it("rejects in etcd's words", () => {
    expect(urlError('mailto://127.0.0.1:2379')).toBe('URL scheme must be http, https, unix, or unixs: mailto://127.0.0.1:2379');
    expect(urlError('localhost:1234')).toBe('URL scheme must be http, https, unix, or unixs: localhost:1234');
    expect(urlError('127.0.0.1:1234')).toBe('parse "127.0.0.1:1234": first path segment in URL cannot contain colon');
    expect(urlError('://127.0.0.1:2379')).toBe('parse "://127.0.0.1:2379": missing protocol scheme');
    expect(urlError('http://127.0.0.1')).toBe('URL address does not have the form "host:port": http://127.0.0.1');
    expect(urlError('http://::1:2379')).toBe('URL address does not have the form "host:port": http://::1:2379');
    expect(urlError('http://127.0.0.1:2379/path')).toBe('URL must not contain a path: http://127.0.0.1:2379/path');
    expect(urlError('http://127.0.0.1:abc')).toBe('parse "http://127.0.0.1:abc": invalid port ":abc" after host');
    expect(urlError('')).toBe('URL scheme must be http, https, unix, or unixs: ');
  });
});

describe('parseUrlsMap', () => {
  it('reads --initial-cluster, a name may repeat', () => {
    const m = parseUrlsMap('a=http://10.0.0.1:2380,b=http://10.0.0.2:2380,a=http://10.0.0.9:2380');
    expect([...m.keys()]).toEqual(['a', 'b']);
    expect(m.get('a')!.map((u) => u.text)).toEqual(['http://10.0.0.1:2380', 'http://10.0.0.9:2380']);
    expect(formatUrlsMap(m)).toBe('a=http://10.0.0.1:2380,a=http://10.0.0.9:2380,b=http://10.0.0.2:2380');
  });
});

describe('Go durations', () => {
  it('parses what time.ParseDuration parses', () => {
    expect(parseGoDuration('10m')).toBe(600_000);
    expect(parseGoDuration('1h30m')).toBe(5_400_000);
    expect(parseGoDuration('1.5s')).toBe(1500);
    expect(parseGoDuration('100ms')).toBe(100);
    expect(parseGoDuration('250us')).toBe(0.25);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('-2s')).toBe(-2000);
    expect(parseGoDuration('10')).toBeNull();
    expect(parseGoDuration('1d')).toBeNull();
    expect(parseGoDuration('')).toBeNull();
    expect(parseGoDuration('.')).toBeNull();
  });

  it('formats defaults like Duration.String', () => {
    expect(formatGoDuration(600_000)).toBe('10m0s');
    expect(formatGoDuration(7_200_000)).toBe('2h0m0s');
    expect(formatGoDuration(5000)).toBe('5s');
    expect(formatGoDuration(10)).toBe('10ms');
    expect(formatGoDuration(0)).toBe('0s');
  });
});
