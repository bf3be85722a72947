import { Etcd3 } from 'etcd3';
import { expect, it } from 'vitest';
import { waitForLeader } from '../support/clusterStatus.js';
import { describeWithReference } from '../support/reference.js';
import { etcdctl, expectSuccess, planCluster, startCluster, tempDir } from '../support/processes.js';

// Regression: a follower that caught up by snapshot kept checking requests against the auth state of
// the store it had before, so a cluster whose auth was enabled meanwhile served that follower's
// clients without credentials.
describeWithReference(['etcdctl'], () => {
  it('a follower caught up by snapshot enforces the auth it received', async () => {
    const plan = await planCluster({
      baseDir: tempDir('auth-snap'),
      size: 3,
      extraArgs: ['--snapshot-count=20', '--experimental-snapshot-catchup-entries=5'],
    });
    const members = await startCluster('capstan', plan);
    const leader = await waitForLeader(members);
    const follower = members.find((m) => m !== leader)!;
    await follower.kill('SIGKILL');
    expectSuccess(await etcdctl(leader, ['user', 'add', 'root:rootpw']), 'user add');
    expectSuccess(await etcdctl(leader, ['user', 'grant-role', 'root', 'root']), 'grant-role');
    expectSuccess(await etcdctl(leader, ['auth', 'enable']), 'auth enable');
    const client = new Etcd3({ hosts: leader.endpoint, auth: { username: 'root', password: 'rootpw' }, dialTimeout: 5_000 });
    for (let i = 0; i < 60; i++) await client.put(`k${i}`).value('v');
    client.close();
    const back = await follower.restart();
    const deadline = Date.now() + 30_000;
    while (!back.logs().includes('installing snapshot from leader') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(back.logs()).toContain('installing snapshot from leader');
    // Once the install is done the follower serves the leader's data, to root...
    let asRoot = '';
    let lastError = '';
    while (asRoot !== 'v\n' && Date.now() < deadline) {
      const r = await etcdctl(back, ['--user=root:rootpw', 'get', 'k59', '--consistency=s', '--print-value-only']);
      asRoot = r.stdout;
      if (r.code !== 0) lastError = r.stderr;
      if (asRoot !== 'v\n') await new Promise((r) => setTimeout(r, 200));
    }
    expect(asRoot, lastError).toBe('v\n');
    // ...and to nobody else.
    const anonymous = await etcdctl(back, ['get', 'k59', '--consistency=s']);
    expect(anonymous.code).not.toBe(0);
    expect(anonymous.stderr).toContain('user name is empty');
  }, 120_000);
});
