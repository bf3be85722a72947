import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Config, ERR_CONFLICTING_ENV, ERR_UNSET_ADVERTISE_CLIENT_URLS } from '../../../src/server/config/config.js';

function config(argv: string[], env: NodeJS.ProcessEnv = {}): Config {
  const r = parseConfig(argv, env);
  if ('help' in r || 'version' in r) throw new Error('expected a Config');
  return r;
}

function failure(argv: string[], env: NodeJS.ProcessEnv = {}): ConfigError {
  try {
    parseConfig(argv, env);
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it("are etcd's", () => {
    const c = config([]);
    expect(c.name).toBe('default');
    expect(c.dataDir).toBe('default.capstan');
    expect(c.walDir).toBe('');
    expect(c.listenClientUrls.map((u) => u.text)).toEqual(['http://localhost:2379']);
    expect(c.advertiseClientUrls.map((u) => u.text)).toEqual(['http://localhost:2379']);
    expect(c.listenPeerUrls.map((u) => u.text)).toEqual(['http://localhost:2380']);
    expect(c.initialAdvertisePeerUrls.map((u) => u.text)).toEqual(['http://localhost:2380']);
    expect(c.initialCluster).toBe('default=http://localhost:2380');
    expect(c.initialClusterState).toBe('new');
    expect(c.initialClusterToken).toBe('etcd-cluster');
    expect(c.listenMetricsUrls).toEqual([]);
    expect(c.heartbeatIntervalMs).toBe(100);
    expect(c.electionTimeoutMs).toBe(1000);
    expect(c.snapshotCount).toBe(100000);
    expect(c.preVote).toBe(true);
    expect(c.strictReconfigCheck).toBe(true);
    expect(c.quotaBackendBytes).toBe(0);
    expect(c.effectiveQuotaBackendBytes).toBe(2 * 1024 * 1024 * 1024);
    expect(c.maxRequestBytes).toBe(1572864);
    expect(c.maxTxnOps).toBe(128);
    expect(c.autoCompactionMode).toBe('periodic');
    expect(c.autoCompactionRetention).toBe('0');
    expect(c.autoCompaction).toBeNull();
    expect(c.watchProgressNotifyIntervalMs).toBe(600_000);
    expect(c.logLevel).toBe('info');
    expect(c.logger).toBe('zap');
    expect(c.logOutputs).toEqual(['default']);
    expect(c.tlsMinVersion).toBe('TLS1.2');
    expect(c.clientTls.clientCertAuth).toBe(false);
    expect(c.explicitFlags.size).toBe(0);
    expect(c.warnings.some((w) => w.msg.startsWith("it isn't recommended to use default name"))).toBe(true);
  });

  it('--name alone names the data dir and the single initial member', () => {
    const c = config(['--name', 'm1']);
    expect(c.dataDir).toBe('m1.capstan');
    expect(c.initialCluster).toBe('m1=http://localhost:2380');
    expect([...c.initialClusterMembers.keys()]).toEqual(['m1']);
  });
});

describe('argv forms, as Go flag parses them', () => {
  it('accepts --flag=value, --flag value, -flag value, -flag=value', () => {
    expect(config(['--name=a']).name).toBe('a');
    expect(config(['--name', 'b']).name).toBe('b');
    expect(config(['-name', 'c']).name).toBe('c');
    expect(config(['-name=d']).name).toBe('d');
  });

  it('reads booleans as bare flags or with =true|false|1|0|t|f', () => {
    expect(config(['--client-cert-auth']).clientTls.clientCertAuth).toBe(true);
    expect(config(['--pre-vote=false']).preVote).toBe(false);
    expect(config(['-pre-vote=0']).preVote).toBe(false);
    expect(config(['--strict-reconfig-check=F']).strictReconfigCheck).toBe(false);
    // a bare bool flag never consumes the next argument
    expect(failure(['--pre-vote', 'false']).message).toBe('"false" is not a valid flag');
  });

  it('the last occurrence wins', () => {
    expect(config(['--name', 'a', '--name', 'b']).name).toBe('b');
  });

  it('parses durations, integers and URL lists', () => {
    const c = config([
      '--experimental-watch-progress-notify-interval=5s',
      '--heartbeat-interval', '0x64',
      '--election-timeout=2000',
      '--listen-client-urls', 'http://127.0.0.1:2379,http://[::1]:2379,unix://capstan.sock:0',
      '--advertise-client-urls', 'http://127.0.0.1:2379',
      '--quota-backend-bytes', '-1',
      '--backend-batch-interval=25ms',
      '--backend-batch-limit', '500',
    ]);
    expect(c.watchProgressNotifyIntervalMs).toBe(5000);
    expect([c.backendBatchIntervalMs, c.backendBatchLimit]).toEqual([25, 500]);
    expect([config([]).backendBatchIntervalMs, config([]).backendBatchLimit]).toEqual([0, 0]);
    // etcd commits once pending >= limit: a negative limit commits every write.
    expect(config(['--backend-batch-limit=-5']).backendBatchLimit).toBe(1);
    expect(c.heartbeatIntervalMs).toBe(100);
    expect(c.electionTimeoutMs).toBe(2000);
    expect(c.listenClientUrls.map((u) => [u.scheme, u.host, u.port])).toEqual([
      ['http', '127.0.0.1', 2379],
      ['http', '::1', 2379],
      ['unix', 'capstan.sock:0', 0],
    ]);
    expect(c.effectiveQuotaBackendBytes).toBeNull();
  });

  it('reads the auto-compaction retention like etcd', () => {
    expect(config(['--auto-compaction-retention=1']).autoCompaction).toEqual({ mode: 'periodic', retentionMs: 3_600_000 });
    expect(config(['--auto-compaction-retention=5m']).autoCompaction).toEqual({ mode: 'periodic', retentionMs: 300_000 });
    expect(config(['--auto-compaction-mode=revision', '--auto-compaction-retention=1000']).autoCompaction).toEqual({
      mode: 'revision',
      retentionRevisions: 1000,
    });
    expect(failure(['--auto-compaction-retention=soon']).message).toBe(
      'error parsing CompactionRetention: time: invalid duration "soon"',
    );
    expect(failure(['--auto-compaction-mode=hourly']).message).toBe('unknown auto-compaction-mode "hourly"');
  });

  it('accepts a kubeadm static Pod manifest command line', () => {
    const c = config([
      '--advertise-client-urls=https://10.0.0.5:2379',
      '--cert-file=/etc/kubernetes/pki/etcd/server.crt',
      '--client-cert-auth=true',
      '--data-dir=/var/lib/etcd',
      '--experimental-initial-corrupt-check=true',
      '--experimental-watch-progress-notify-interval=5s',
      '--initial-advertise-peer-urls=https://10.0.0.5:2380',
      '--initial-cluster=cp1=https://10.0.0.5:2380',
      '--key-file=/etc/kubernetes/pki/etcd/server.key',
      '--listen-client-urls=https://127.0.0.1:2379,https://10.0.0.5:2379',
      '--listen-metrics-urls=http://127.0.0.1:2381',
      '--listen-peer-urls=https://10.0.0.5:2380',
      '--name=cp1',
      '--peer-cert-file=/etc/kubernetes/pki/etcd/peer.crt',
      '--peer-client-cert-auth=true',
      '--peer-key-file=/etc/kubernetes/pki/etcd/peer.key',
      '--peer-trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
      '--snapshot-count=10000',
      '--trusted-ca-file=/etc/kubernetes/pki/etcd/ca.crt',
    ]);
    expect(c.dataDir).toBe('/var/lib/etcd');
    expect(c.initialCorruptCheck).toBe(true);
    expect(c.listenMetricsUrls.map((u) => u.text)).toEqual(['http://127.0.0.1:2381']);
    expect(c.clientTls).toMatchObject({ certFile: '/etc/kubernetes/pki/etcd/server.crt', clientCertAuth: true });
    expect(c.peerTls).toMatchObject({ trustedCaFile: '/etc/kubernetes/pki/etcd/ca.crt', clientCertAuth: true });
    expect(c.snapshotCount).toBe(10000);
    expect(c.warnings.filter((w) => w.level === 'warn')).toEqual([]);
  });
});

describe("errors in etcd's words", () => {
  it('an unknown flag exits 2 like Go flag', () => {
    const e = failure(['--foo']);
    expect(e.message).toBe('flag provided but not defined: -foo');
    expect(e.exitCode).toBe(2);
    expect(failure(['-foo=1']).message).toBe('flag provided but not defined: -foo');
  });

  it('a missing value, bad syntax and bad values', () => {
    expect(failure(['--name']).message).toBe('flag needs an argument: -name');
    expect(failure(['---name']).message).toBe('bad flag syntax: ---name');
    expect(failure(['--initial-cluster-state=old']).message).toBe('invalid value "old" for flag -initial-cluster-state: invalid value');
    expect(failure(['--pre-vote=maybe']).message).toBe('invalid boolean value "maybe" for -pre-vote: parse error');
    expect(failure(['--heartbeat-interval=-5']).message).toBe('invalid value "-5" for flag -heartbeat-interval: parse error');
    expect(failure(['--max-concurrent-streams=4294967296']).message).toBe(
      'invalid value "4294967296" for flag -max-concurrent-streams: value out of range',
    );
    expect(failure(['--max-txn-ops=18446744073709551616']).message).toBe(
      'invalid value "18446744073709551616" for flag -max-txn-ops: value out of range',
    );
    expect(failure(['--experimental-watch-progress-notify-interval=10']).message).toBe(
      'invalid value "10" for flag -experimental-watch-progress-notify-interval: parse error',
    );
    expect(failure(['--listen-peer-urls=ftp://1.2.3.4:1']).message).toBe(
      'invalid value "ftp://1.2.3.4:1" for flag -listen-peer-urls: URL scheme must be http, https, unix, or unixs: ftp://1.2.3.4:1',
    );
    expect(failure(['--listen-peer-urls=http://1.2.3.4']).message).toBe(
      'invalid value "http://1.2.3.4" for flag -listen-peer-urls: URL address does not have the form "host:port": http://1.2.3.4',
    );
    expect(failure(['--listen-peer-urls=http://1.2.3.4:2380/x']).message).toBe(
      'invalid value "http://1.2.3.4:2380/x" for flag -listen-peer-urls: URL must not contain a path: http://1.2.3.4:2380/x',
    );
    expect(failure(['--name', 'a', 'extra']).message).toBe('"extra" is not a valid flag');
  });

  it("Validate's checks", () => {
    expect(failure(['--listen-client-urls=http://127.0.0.1:2379']).message).toBe(ERR_UNSET_ADVERTISE_CLIENT_URLS);
    expect(failure(['--listen-peer-urls=http://example.com:2380']).message).toBe(
      'expected IP in URL for binding (http://example.com:2380)',
    );
    expect(failure(['--heartbeat-interval=0']).message).toBe('--heartbeat-interval must be >0 (set to 0ms)');
    expect(failure(['--heartbeat-interval=300']).message).toBe(
      '--election-timeout[1000ms] should be at least as 5 times as --heartbeat-interval[300ms]',
    );
    expect(failure(['--election-timeout=60000']).message).toBe(
      '--election-timeout[60000ms] is too long, and should be set less than 50000ms',
    );
    expect(failure(['--backend-batch-interval=-1s']).message).toBe('--backend-batch-interval must be >=0 (set to -1s)');
    expect(failure(['--log-level=loud']).message).toBe('unrecognized level: "loud"');
    expect(failure(['--logger=capnslog']).message).toBe('--logger=capnslog is removed in v3.5');
    expect(failure(['--log-outputs=default,stdout']).message).toBe('multi logoutput for "default" is not supported yet');
    expect(failure(['--tls-min-version=TLS1.1']).message).toBe('unexpected TLS version "TLS1.1" (must be one of: TLS1.2, TLS1.3)');
    expect(failure(['--tls-min-version=TLS1.3', '--tls-max-version=TLS1.2']).message).toBe(
      'min version (TLS1.3) is greater than max version (TLS1.2)',
    );
    expect(failure(['--tls-min-version=TLS1.3', '--cipher-suites=TLS_AES_128_GCM_SHA256']).message).toBe(
      'cipher suites cannot be configured when only TLS1.3 is enabled',
    );
    expect(failure(['--advertise-client-urls=http://:2379']).message).toBe(
      '--advertise-client-urls "http://:2379" must be in the format "host:port", "unix:/path/to/socket" or "unixs:/path/to/socket" (unexpected empty host (http://:2379))',
    );
  });
});

describe('environment variables', () => {
  it('ETCD_FOO_BAR sets --foo-bar', () => {
    const c = config([], { ETCD_NAME: 'envname', ETCD_PRE_VOTE: 'false', ETCD_INITIAL_CLUSTER_STATE: 'existing', PATH: '/bin' });
    expect(c.name).toBe('envname');
    expect(c.preVote).toBe(false);
    expect(c.initialClusterState).toBe('existing');
    expect(c.explicitFlags.has('name')).toBe(true);
    expect(c.warnings).toContainEqual({
      level: 'info',
      msg: 'recognized and used environment variable',
      fields: { 'variable-name': 'ETCD_NAME', 'variable-value': 'envname' },
    });
  });

  it('an env-set --listen-client-urls also needs --advertise-client-urls', () => {
    expect(failure([], { ETCD_LISTEN_CLIENT_URLS: 'http://127.0.0.1:2379' }).message).toBe(ERR_UNSET_ADVERTISE_CLIENT_URLS);
  });

  it('a flag given on the command line and in the environment is fatal, as in etcd', () => {
    const e = failure(['--name', 'cli'], { ETCD_NAME: 'env' });
    expect(e.message).toBe(ERR_CONFLICTING_ENV);
    expect(e.fields).toEqual({ 'environment-variable': 'ETCD_NAME' });
  });

  it('empty env values are ignored, unknown ETCD_ variables only warned about', () => {
    const c = config([], { ETCD_NAME: '', ETCD_NO_SUCH_FLAG: '1', ETCDCTL_API: '3' });
    expect(c.name).toBe('default');
    expect(c.warnings).toContainEqual({
      level: 'warn',
      msg: 'unrecognized environment variable',
      fields: { 'environment-variable': 'ETCD_NO_SUCH_FLAG=1' },
    });
    expect(c.warnings.some((w) => JSON.stringify(w).includes('ETCDCTL_API'))).toBe(false);
  });

  it('ETCD_VERSION is never used as --version', () => {
    const c = config([], { ETCD_VERSION: 'true' });
    expect(c.warnings).toContainEqual({
      level: 'warn',
      msg: 'cannot set special environment variable',
      fields: { key: 'ETCD_VERSION', value: 'true' },
    });
  });

  it("bad env values fail in etcd's words", () => {
    expect(failure([], { ETCD_PRE_VOTE: 'maybe' }).message).toBe('invalid value "maybe" for ETCD_PRE_VOTE: parse error');
    expect(failure([], { ETCD_INITIAL_CLUSTER_STATE: 'old' }).message).toBe(
      'invalid value "old" for ETCD_INITIAL_CLUSTER_STATE: invalid value',
    );
  });
});

describe('--help and --version', () => {
  it('--help, -h and -help return the usage text', () => {
    for (const arg of ['--help', '-h', '-help']) {
      const r = parseConfig(['--name', 'x', arg, '--bogus'], {});
      if (!('help' in r)) throw new Error('expected help');
      expect(r.help).toContain('Usage:');
      expect(r.help).toContain("--listen-client-urls 'http://localhost:2379'");
      expect(r.help).toContain("--initial-cluster 'default=http://localhost:2380'");
      expect(r.help).toContain("--experimental-watch-progress-notify-interval '10m0s'");
    }
  });

  it("--version prints etcd's shape of lines", () => {
    const r = parseConfig(['--version'], { ETCD_PRE_VOTE: 'maybe' });
    if (!('version' in r)) throw new Error('expected version');
    const lines = r.version.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^capstan Version: \d+\.\d+\.\d+/);
    expect(lines[1]).toMatch(/^etcd API Version: 3\.5\.(1[3-9]|[2-9]\d)$/);
    expect(lines[2]).toMatch(/^Git SHA: /);
    expect(lines[3]).toBe(`Node Version: ${process.version}`);
    expect(lines[4]).toBe(`Node OS/Arch: ${process.platform}/${process.arch}`);
  });
});
