// A transport in a real child process: SIGSTOP it (a frozen member) and check that nobody else
// waits for it and its queue stays bounded; stop() it and check that the process exits by itself
// (nothing left open).

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { append, heartbeat, logMessages, startNode, waitFor, type TestNode } from './helpers.js';

const ROOT = path.resolve(import.meta.dirname, '../../..');
let buildDir = '';
let childJs = '';

beforeAll(async () => {
  // The child runs under plain node, so compile it (and what it imports) to JS first.
  buildDir = await fs.mkdtemp(path.join(os.tmpdir(), 'capstan-peer-child-'));
  execFileSync(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      '--outDir', buildDir, '--rootDir', ROOT,
      '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022',
      '--types', 'node', '--skipLibCheck', '--strict',
      path.join(ROOT, 'test/unit/peer/child-member.ts'),
    ],
    { cwd: ROOT, stdio: 'pipe', timeout: 90_000 },
  );
  await fs.writeFile(path.join(buildDir, 'package.json'), '{"type":"module"}\n');
  childJs = path.join(buildDir, 'test/unit/peer/child-member.js');
});

afterAll(async () => {
  if (buildDir) await fs.rm(buildDir, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcessWithoutNullStreams;
  url: string;
  got: { from: bigint; seq: number }[];
  lines: string[];
  exit: Promise<number | null>;
  command(line: string): void;
}

const children: Child[] = [];
const nodes: TestNode[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) {
      c.proc.kill('SIGCONT');
      c.proc.kill('SIGKILL');
      await c.exit;
    }
  }
  await Promise.all(nodes.splice(0).map((n) => n.transport.stop()));
});

async function node(id: bigint, overrides: Parameters<typeof startNode>[1] = {}): Promise<TestNode> {
  const n = await startNode(id, overrides);
  nodes.push(n);
  return n;
}

async function startChild(id: bigint): Promise<Child> {
  const proc = spawn(process.execPath, [childJs, id.toString()], { stdio: ['pipe', 'pipe', 'pipe'] });
  const child: Child = {
    proc,
    url: '',
    got: [],
    lines: [],
    exit: new Promise((resolve) => proc.on('exit', (code) => resolve(code))),
    command: (line) => proc.stdin.write(`${line}\n`),
  };
  children.push(child);
  let buffered = '';
  let stderr = '';
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (s: string) => (stderr += s));
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (s: string) => {
    buffered += s;
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      child.lines.push(line);
      const [word, a, b] = line.split(' ');
      if (word === 'ready') child.url = `http://127.0.0.1:${a}`;
      if (word === 'got') child.got.push({ from: BigInt(a!), seq: Number(b) });
    }
  });
  await waitFor(`child ${id} ready (stderr: ${stderr})`, () => child.url !== '' || proc.exitCode !== null, 30_000);
  if (child.url === '') throw new Error(`child exited: ${stderr}`);
  return child;
}

describe('transport in a child process', () => {
  it('stop() closes everything: the process exits on its own', async () => {
    const child = await startChild(1n);
    const b = await node(2n);
    child.command(`peer 2 ${b.url}`);
    b.transport.addPeer(1n, [child.url]);
    child.command('send 2 0 10');
    b.transport.send([...Array(10).keys()].map((i) => heartbeat(2n, 1n, i)));
    await waitFor('both ways', () => b.received.length === 10 && child.got.length === 10);
    child.command('stop');
    const code = await Promise.race([child.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 15_000))]);
    expect(code).toBe(0);
    expect(child.lines).toContain('stopped');
  });

  it('a SIGSTOPped member delays nobody, its queue stays bounded, and it is reached again after SIGCONT', async () => {
    const limits = { maxQueuedFrames: 256, maxQueuedBytes: 8 * 1024 * 1024 };
    const x = await node(1n, { queueLimits: limits, timing: { writeStallTimeoutMs: 1000, handshakeTimeoutMs: 1000, backoffMinMs: 20, backoffMaxMs: 200 } });
    const c = await node(3n);
    const frozen = await startChild(2n);
    x.transport.addPeer(2n, [frozen.url]);
    x.transport.addPeer(3n, [c.url]);
    await waitFor('both active', () => x.transport.isActive(2n) && x.transport.isActive(3n));

    frozen.proc.kill('SIGSTOP');
    let maxQueued = 0;
    const total = 1024;
    for (let i = 0; i < total; i += 32) {
      for (let j = i; j < i + 32; j++) x.transport.send([append(1n, 2n, j, 64 * 1024), append(1n, 3n, j, 64 * 1024)]);
      maxQueued = Math.max(maxQueued, x.transport.stats(2n)!.queuedFrames);
      await waitFor(`c gets batch ${i}`, () => c.received.length === i + 32, 20_000);
    }
    expect(c.received.map((m) => m.index)).toEqual([...Array(total).keys()]);
    expect(maxQueued).toBeLessThanOrEqual(limits.maxQueuedFrames);
    expect(x.transport.stats(2n)!.droppedMessages).toBeGreaterThan(0);
    expect(x.unreachable).toContain(2n);
    await waitFor('the frozen member is declared inactive', () => logMessages(x).includes('peer became inactive (message send to peer failed)'), 15_000);

    frozen.proc.kill('SIGCONT');
    await waitFor('x reaches it again', () => {
      x.transport.send([heartbeat(1n, 2n, 1_000_000)]);
      return frozen.got.some((g) => g.seq === 1_000_000);
    }, 20_000);
  });
});
