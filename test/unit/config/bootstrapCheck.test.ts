import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Config } from '../../../src/server/config/config.js';
import { verifyBootstrap, verifyJoinExisting } from '../../../src/server/config/bootstrapCheck.js';

function config(argv: string[]): Config {
  const r = parseConfig(argv, {});
  if ('help' in r || 'version' in r) throw new Error('expected a Config');
  return r;
}

function message(f: () => void): string {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e.message;
    throw e;
  }
  return 'no error';
}

const threeMembers = 'a=http://127.0.0.1:12380,b=http://127.0.0.1:22380,c=http://127.0.0.1:32380';

describe('verifyBootstrap', () => {
  it('accepts a member listed with its advertised peer URLs', () => {
    expect(message(() => verifyBootstrap(config(['--name', 'b', '--initial-cluster', threeMembers, '--initial-advertise-peer-urls', 'http://127.0.0.1:22380'])))).toBe('no error');
    expect(message(() => verifyBootstrap(config([])))).toBe('no error');
    // localhost and 127.0.0.1 are the same address, as etcd's resolver finds
    expect(message(() => verifyBootstrap(config(['--initial-cluster', 'default=http://127.0.0.1:2380'])))).toBe('no error');
  });

  it("rejects in etcd's words", () => {
    expect(message(() => verifyBootstrap(config(['--name', 'd', '--initial-cluster', threeMembers])))).toBe(
      `couldn't find local name "d" in the initial cluster configuration`,
    );
    expect(
      message(() => verifyBootstrap(config(['--name', 'a', '--initial-cluster', threeMembers, '--initial-advertise-peer-urls', 'http://127.0.0.1:9999']))),
    ).toBe(
      '--initial-cluster has a=http://127.0.0.1:12380 but missing from --initial-advertise-peer-urls=http://127.0.0.1:9999 ' +
        // etcd 3.5.21's netutil.urlsEqual text, as the reference etcd prints it.
        '(resolved urls: "http://127.0.0.1:9999" != "http://127.0.0.1:12380")',
    );
    expect(
      message(() =>
        verifyBootstrap(
          config(['--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:12380', '--initial-advertise-peer-urls', 'http://127.0.0.1:12380,http://127.0.0.1:9999']),
        ),
      ),
    ).toBe('--initial-advertise-peer-urls has http://127.0.0.1:9999 but missing from --initial-cluster=a=http://127.0.0.1:12380,a=http://127.0.0.1:9999');
    expect(
      message(() =>
        verifyBootstrap(config(['--name', 'a', '--initial-cluster', 'a=http://127.0.0.1:2380,b=http://127.0.0.1:2380', '--initial-advertise-peer-urls', 'http://127.0.0.1:2380'])),
      ),
    ).toBe('initial cluster a=http://127.0.0.1:2380,b=http://127.0.0.1:2380 has duplicate url');
  });
});

describe('verifyJoinExisting', () => {
  it('needs the local member but not matching advertise URLs', () => {
    expect(message(() => verifyJoinExisting(config(['--name', 'a', '--initial-cluster', threeMembers, '--initial-cluster-state', 'existing'])))).toBe('no error');
    expect(message(() => verifyJoinExisting(config(['--name', 'z', '--initial-cluster', threeMembers])))).toBe(
      `couldn't find local name "z" in the initial cluster configuration`,
    );
  });
});
