import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseUrl } from '../../../src/server/config/urls.js';
import { createLogger, MemorySink } from '../../../src/server/logger.js';
import { createMetrics } from '../../../src/server/metrics.js';
import { DEADLINE_EXCEEDED, type HealthSource } from '../../../src/server/http/health.js';
import { startHttpEndpoints, type RunningHttpServer } from '../../../src/server/http/httpServer.js';

/** A member whose health the test sets directly: the state a real server would report. */
class MemberState implements HealthSource {
  alarmList: string[] = [];
  leader = true;
  linearizableError: string | null = null;
  serializableError: string | null = null;
  hang = false;
  probes: boolean[] = [];
  alarms(): readonly string[] {
    return this.alarmList;
  }
  hasLeader(): boolean {
    return this.leader;
  }
  probeRange(serializable: boolean, signal: AbortSignal): Promise<void> {
    this.probes.push(serializable);
    if (this.hang) {
      return new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    const err = serializable ? this.serializableError : this.linearizableError;
    return err === null ? Promise.resolve() : Promise.reject(new Error(err));
  }
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(server: RunningHttpServer, path: string, method = 'GET'): Promise<Reply> {
  if (!('port' in server.address)) throw new Error('expected a TCP listener');
  const { host, port } = server.address;
  return new Promise((resolve, reject) => {
    const req = request({ host, port, path, method, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

const running: RunningHttpServer[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function start(member: MemberState, requestTimeoutMs = 2000) {
  const metrics = createMetrics({ defaultMetrics: false });
  const sink = new MemorySink();
  const [server] = await startHttpEndpoints([parseUrl('http://127.0.0.1:0')], {
    health: member,
    versions: { serverVersion: () => '3.5.17', clusterVersion: () => '3.5.0' },
    registry: metrics.registry,
    metrics: metrics.server,
    logger: createLogger({ sinks: [sink], level: 'debug' }),
    requestTimeoutMs,
  });
  running.push(server!);
  return { server: server!, metrics, sink };
}

describe('/health', () => {
  it("answers etcd's JSON when healthy, probing a linearizable read", async () => {
    const member = new MemberState();
    const { server, metrics } = await start(member);
    const r = await get(server, '/health');
    expect(r.status).toBe(200);
    expect(r.body).toBe('{"health":"true","reason":""}');
    expect(member.probes).toEqual([false]);
    expect((await metrics.server.healthSuccess.get()).values[0]!.value).toBe(1);
  });

  it('reports alarms, unless excluded', async () => {
    const member = new MemberState();
    member.alarmList = ['NOSPACE'];
    const { server } = await start(member);
    const r = await get(server, '/health');
    expect(r.status).toBe(503);
    expect(r.body).toBe('{"health":"false","reason":"ALARM NOSPACE"}\n');
    expect((await get(server, '/health?exclude=NOSPACE')).body).toBe('{"health":"true","reason":""}');
    member.alarmList = ['CORRUPT'];
    expect((await get(server, '/health?exclude=NOSPACE')).body).toBe('{"health":"false","reason":"ALARM CORRUPT"}\n');
  });

  it('reports no leader unless serializable=true, which probes a serializable read', async () => {
    const member = new MemberState();
    member.leader = false;
    const { server } = await start(member);
    const r = await get(server, '/health');
    expect(r.status).toBe(503);
    expect(r.body).toBe('{"health":"false","reason":"RAFT NO LEADER"}\n');
    expect(member.probes).toEqual([]);
    const s = await get(server, '/health?serializable=true');
    expect(s.status).toBe(200);
    expect(member.probes).toEqual([true]);
  });

  it('reports a failing range, and a range that outlives the request timeout', async () => {
    const member = new MemberState();
    member.linearizableError = 'etcdserver: request timed out';
    const { server } = await start(member, 200);
    expect((await get(server, '/health')).body).toBe('{"health":"false","reason":"RANGE ERROR:etcdserver: request timed out"}\n');
    member.hang = true;
    expect((await get(server, '/health')).body).toBe(`{"health":"false","reason":"RANGE ERROR:${DEADLINE_EXCEEDED}"}\n`);
  });

  it('allows only GET', async () => {
    const { server } = await start(new MemberState());
    const r = await get(server, '/health', 'POST');
    expect(r.status).toBe(405);
    expect(r.headers['allow']).toBe('GET');
    expect(r.body).toBe('Method Not Allowed\n');
  });
});

describe('/livez and /readyz', () => {
  it('say ok, and list the checks with ?verbose', async () => {
    const { server, metrics } = await start(new MemberState());
    const l = await get(server, '/livez');
    expect(l.status).toBe(200);
    expect(l.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(l.body).toBe('ok\n');
    expect((await get(server, '/livez?verbose')).body).toBe('[+]serializable_read ok\nok\n');
    expect((await get(server, '/readyz?verbose')).body).toBe(
      '[+]data_corruption ok\n[+]serializable_read ok\n[+]linearizable_read ok\nok\n',
    );
    expect((await get(server, '/readyz/linearizable_read?verbose')).body).toBe('[+]linearizable_read ok\nok\n');
    const gauge = await metrics.server.healthcheck.get();
    expect(gauge.values).toContainEqual({ labels: { type: 'readyz', name: 'data_corruption' }, value: 1 });
  });

  it('fail with 503 and always list the checks', async () => {
    const member = new MemberState();
    member.alarmList = ['CORRUPT'];
    member.linearizableError = 'etcdserver: no leader';
    const { server } = await start(member);
    const r = await get(server, '/readyz');
    expect(r.status).toBe(503);
    expect(r.body).toBe(
      '[-]data_corruption failed: alarm activated: CORRUPT\n[+]serializable_read ok\n[-]linearizable_read failed: etcdserver: no leader\n\n',
    );
    // a NOSPACE alarm alone keeps the member live and ready
    member.alarmList = ['NOSPACE'];
    member.linearizableError = null;
    expect((await get(server, '/readyz')).status).toBe(200);
    expect((await get(server, '/livez')).status).toBe(200);
  });

  it('skip excluded checks, ignoring unknown names', async () => {
    const member = new MemberState();
    member.linearizableError = 'etcdserver: no leader';
    const { server, sink } = await start(member);
    const r = await get(server, '/readyz?exclude=linearizable_read&exclude=nonexistent&verbose');
    expect(r.status).toBe(200);
    expect(r.body).toBe('[+]data_corruption ok\n[+]serializable_read ok\nok\n');
    expect(sink.entries().some((e) => e['msg'] === 'some health checks cannot be excluded')).toBe(true);
  });
});

describe('/version, /metrics and unknown paths', () => {
  it("/version has etcd's field names", async () => {
    const { server } = await start(new MemberState());
    const r = await get(server, '/version');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    const body = JSON.parse(r.body) as Record<string, string>;
    expect(body).toMatchObject({ etcdserver: '3.5.17', etcdcluster: '3.5.0' });
    expect(typeof body['capstan']).toBe('string');
  });

  it('/metrics serves the registry in Prometheus text format', async () => {
    const { server, metrics } = await start(new MemberState());
    metrics.server.hasLeader.set(1);
    metrics.mvcc.putTotal.inc(3);
    const r = await get(server, '/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.body).toContain('# TYPE etcd_server_has_leader gauge\netcd_server_has_leader 1\n');
    expect(r.body).toContain('etcd_mvcc_put_total 3\n');
    expect(r.body).toContain('etcd_server_version{server_version="3.5.17"} 1');
  });

  it('answers 404 like Go for anything else', async () => {
    const { server } = await start(new MemberState());
    const r = await get(server, '/v2/keys');
    expect(r.status).toBe(404);
    expect(r.body).toBe('404 page not found\n');
    expect((await get(server, '/livez/nonexistent')).status).toBe(404);
  });
});

describe('listeners', () => {
  it('serves on a unix socket URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'capstan-http-'));
    try {
      const metrics = createMetrics({ defaultMetrics: false });
      const [server] = await startHttpEndpoints([parseUrl(`unix://${join(dir, 'metrics.sock')}`)], {
        health: new MemberState(),
        versions: { serverVersion: () => '3.5.17', clusterVersion: () => null },
        registry: metrics.registry,
        requestTimeoutMs: 1000,
      });
      running.push(server!);
      expect(server!.address).toEqual({ path: join(dir, 'metrics.sock') });
      const body = await new Promise<string>((resolve, reject) => {
        const req = request({ socketPath: join(dir, 'metrics.sock'), path: '/version', agent: false, timeout: 5000 }, (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve(text));
        });
        req.on('timeout', () => req.destroy(new Error('request timed out')));
        req.on('error', reject);
        req.end();
      });
      expect(JSON.parse(body)).toMatchObject({ etcdserver: '3.5.17', etcdcluster: 'not_decided' });
    } finally {
      await Promise.all(running.splice(0).map((s) => s.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses https until TLS is wired, and frees what it started', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    await expect(
      startHttpEndpoints([parseUrl('http://127.0.0.1:0'), parseUrl('https://127.0.0.1:0')], {
        health: new MemberState(),
        versions: { serverVersion: () => '3.5.17', clusterVersion: () => null },
        registry: metrics.registry,
        requestTimeoutMs: 1000,
      }),
    ).rejects.toThrow('capstan does not serve https on the metrics listener yet: https://127.0.0.1:0');
  });
});
