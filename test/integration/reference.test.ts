import path from 'node:path';
import { Etcd3 } from 'etcd3';
import { afterEach, expect, it } from 'vitest';
import { describeWithReference } from '../support/reference.js';
import {
  etcdctl,
  etcdutl,
  expectSuccess,
  freePorts,
  liveChildCount,
  type MemberProcess,
  planCluster,
  startCluster,
  startEtcd,
  tempDir,
} from '../support/processes.js';

// Proves the process harness against the real etcd, so it is trusted before capstan exists.
describeWithReference(['etcd', 'etcdctl', 'etcdutl'], () => {
  const clients: Etcd3[] = [];
  const client = (member: MemberProcess): Etcd3 => {
    const c = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
    clients.push(c);
    return c;
  };
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  it('a single etcd serves etcdctl and the etcd3 client, and keeps its data across kill -9', async () => {
    const dir = tempDir('reference');
    const [clientPort, peerPort, metricsPort] = await freePorts(3);
    const options = { name: 'ref1', dataDir: path.join(dir, 'ref1.data'), clientPort, peerPort, metricsPort };
    const etcd = await startEtcd(options);
    expect(etcd.isRunning()).toBe(true);

    expectSuccess(await etcdctl(etcd, ['put', 'greeting', 'hello']), 'etcdctl put');
    const got = expectSuccess(await etcdctl(etcd, ['get', 'greeting']), 'etcdctl get');
    expect(got).toBe('greeting\nhello\n');

    const npm = client(etcd);
    await npm.put('from-npm').value('v1');
    expect(await npm.get('from-npm').string()).toBe('v1');
    expect(await npm.get('greeting').string()).toBe('hello');
    npm.close();

    const metrics = await fetch(`${etcd.metricsUrl}/metrics`);
    expect(await metrics.text()).toContain('etcd_server_has_leader 1');

    await etcd.kill('SIGKILL');
    expect(etcd.isRunning()).toBe(false);
    expect((await etcd.exited).signal).toBe('SIGKILL');

    const again = await etcd.restart();
    expect(again.pid).not.toBe(etcd.pid);
    expect(expectSuccess(await etcdctl(again, ['get', 'greeting', '--print-value-only']), 'get after restart'))
      .toBe('hello\n');
    expect(await client(again).get('from-npm').string()).toBe('v1');
    expect(again.logs()).toContain('test/support starts etcd');

    const save = path.join(dir, 'snap.db');
    expectSuccess(await etcdctl(again, ['snapshot', 'save', save]), 'etcdctl snapshot save');
    const status = JSON.parse(expectSuccess(await etcdutl(['snapshot', 'status', save, '-w', 'json']), 'etcdutl'));
    expect(status.totalKey).toBeGreaterThanOrEqual(2);

    await again.stop();
    expect(again.isRunning()).toBe(false);
  });

  it('reports a failing etcdctl command with its exit code and stderr', async () => {
    const [unusedPort] = await freePorts(1);
    const result = await etcdctl(`http://127.0.0.1:${unusedPort}`, ['get', 'x'], { commandTimeout: '1s' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/deadline|connection refused|context/i);
  });

  it('starts a three-member cluster that elects one leader', async () => {
    const plan = await planCluster({ baseDir: tempDir('reference-cluster'), size: 3 });
    const members = await startCluster('etcd', plan);
    const out = expectSuccess(
      await etcdctl(members, ['endpoint', 'status', '-w', 'json']),
      'etcdctl endpoint status',
    );
    const statuses = JSON.parse(out) as { Status: { leader: string; header: { member_id: string } } }[];
    expect(statuses).toHaveLength(3);
    const leaders = new Set(statuses.map((s) => String(s.Status.leader)));
    expect(leaders.size).toBe(1);
    expectSuccess(await etcdctl(members[0], ['put', 'k', 'v']), 'put on member 1');
    expect(expectSuccess(await etcdctl(members[2], ['get', 'k', '--print-value-only']), 'get on member 3'))
      .toBe('v\n');
    expect(liveChildCount()).toBeGreaterThanOrEqual(3);
  });
});
