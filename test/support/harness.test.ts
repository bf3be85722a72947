import net from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { useProcessHarness } from './harness.js';
import {
  ephemeralPort,
  freePorts,
  liveChildCount,
  type MemberProcess,
  memberFlags,
  runCommand,
  startCapstan,
  tempDir,
} from './processes.js';

// A stand-in for the capstan binary (which is being written elsewhere): it accepts etcd's flags,
// listens on the client URL and logs, so the harness's own lifecycle can be tested with real processes.
const FAKE_MEMBER = `
import net from 'node:net';
const flag = (name) => process.argv.find((a) => a.startsWith('--' + name + '='))?.split('=').slice(1).join('=');
if (process.argv.includes('--crash-at-start')) { console.error('fake member: crashing as asked'); process.exit(3); }
const url = new URL(flag('listen-client-urls'));
const server = net.createServer((socket) => socket.end());
// Logged before listen(): the port accepts connections as soon as listen() returns, and the test may
// stop and kill the process the moment it connects, before a listen callback could run.
console.log('fake member ' + flag('name') + ' serving ' + url.href);
server.listen(Number(url.port), url.hostname);
process.on('SIGTERM', () => { console.log('fake member: SIGTERM'); server.close(); process.exit(0); });
`;

function tcpConnects(endpoint: string): Promise<boolean> {
  const url = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect({ host: url.hostname, port: Number(url.port) });
    socket.setTimeout(1_000, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('test/support harness', () => {
  useProcessHarness();

  it('hands out distinct, bindable loopback ports', async () => {
    const ports = await freePorts(20);
    expect(new Set(ports).size).toBe(20);
    const ephemeral = await ephemeralPort();
    expect(ports).not.toContain(ephemeral);
    for (const port of ports.slice(0, 3)) {
      const server = net.createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('builds etcd flags with loopback URLs and a one-member initial cluster by default', () => {
    const flags = memberFlags({ name: 'a', dataDir: '/d', clientPort: 1, peerPort: 2, metricsPort: 3, extraArgs: ['--x'] });
    expect(flags).toEqual([
      '--name=a',
      '--data-dir=/d',
      '--listen-client-urls=http://127.0.0.1:1',
      '--advertise-client-urls=http://127.0.0.1:1',
      '--listen-peer-urls=http://127.0.0.1:2',
      '--initial-advertise-peer-urls=http://127.0.0.1:2',
      '--initial-cluster=a=http://127.0.0.1:2',
      '--initial-cluster-state=new',
      '--listen-metrics-urls=http://127.0.0.1:3',
      '--x',
    ]);
  });

  it('runCommand captures output and exit code, feeds stdin, and kills at the time limit', async () => {
    const ok = await runCommand(process.execPath, ['-e', 'process.stdin.pipe(process.stdout); console.error("e")'], {
      input: 'in',
    });
    expect(ok).toMatchObject({ code: 0, stdout: 'in', timedOut: false });
    expect(ok.stderr).toBe('e\n');
    const failing = await runCommand(process.execPath, ['-e', 'process.exit(7)']);
    expect(failing.code).toBe(7);
    const slow = await runCommand(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { timeoutMs: 300 });
    expect(slow).toMatchObject({ code: -1, signal: 'SIGKILL', timedOut: true });
  });

  it('drops inherited ETCD_* variables but passes explicit ones', async () => {
    process.env.ETCD_LEAKED = 'yes';
    try {
      const result = await runCommand(
        process.execPath,
        ['-e', 'console.log(process.env.ETCD_LEAKED ?? "-", process.env.ETCD_GIVEN ?? "-")'],
        { env: { ETCD_GIVEN: 'given' } },
      );
      expect(result.stdout).toBe('- given\n');
    } finally {
      delete process.env.ETCD_LEAKED;
    }
  });

  it('starts, signals, restarts and stops a member process, logging every run to one file', async () => {
    const dir = tempDir('harness');
    const fake = path.join(dir, 'fake-member.mjs');
    writeFileSync(fake, FAKE_MEMBER);
    process.env.CAPSTAN_MAIN = fake;
    try {
      const [clientPort, peerPort] = await freePorts(2);
      const readyCheck = (m: MemberProcess): Promise<boolean> => tcpConnects(m.endpoint);
      const options = { name: 'f1', dataDir: path.join(dir, 'f1.data'), clientPort, peerPort, readyCheck };
      const first = await startCapstan(options);
      expect(first.endpoint).toBe(`http://127.0.0.1:${clientPort}`);
      expect(liveChildCount()).toBeGreaterThanOrEqual(1);

      await first.kill('SIGSTOP');
      expect(first.isRunning()).toBe(true);
      await first.kill('SIGCONT');
      await first.kill('SIGKILL');
      expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });

      const second = await first.restart();
      expect(second.pid).not.toBe(first.pid);
      await second.kill('SIGSTOP');
      await second.stop(); // SIGTERM reaches a stopped process only with the SIGCONT stop() sends
      expect(await second.exited).toEqual({ code: 0, signal: null });

      const logs = second.logs();
      expect(logs.match(/test\/support starts capstan/g)).toHaveLength(2);
      expect(logs.match(/fake member f1 serving/g)).toHaveLength(2);
      expect(logs).toContain('fake member: SIGTERM');
      expect(existsSync(second.logFile)).toBe(true);

      await expect(second.restart({ extraArgs: ['--crash-at-start'] })).rejects.toThrow(
        /exited \(code 3[\s\S]*fake member: crashing as asked/,
      );
    } finally {
      delete process.env.CAPSTAN_MAIN;
    }
  });
});
