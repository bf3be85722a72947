import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../../support/processes.js';
import { PeerProxy, type SourceIdentifier } from './proxy.js';
import { socketOwner } from './socketOwner.js';

// The proxy against a real echo server on loopback: pass, blackhole (silence, connection kept), delay, reset.
describe('fault proxy', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  async function setup(identify: SourceIdentifier | null = null): Promise<{ proxy: PeerProxy; connect: () => Promise<net.Socket> }> {
    const [echoPort, proxyPort] = await freePorts(2);
    const echo = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(echoPort!, '127.0.0.1', r));
    closers.push(() => new Promise((r) => echo.close(() => r())));
    const proxy = new PeerProxy(proxyPort!, echoPort!, identify);
    await proxy.start();
    closers.push(() => proxy.close());
    const connect = () => new Promise<net.Socket>((resolve, reject) => {
      const s = net.connect(proxyPort!, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
      closers.push(async () => void s.destroy());
    });
    return { proxy, connect };
  }

  const reply = (socket: net.Socket, message: string, withinMs: number) => new Promise<string | null>((resolve) => {
    let got = '';
    const timer = setTimeout(() => resolve(got === '' ? null : got), withinMs);
    socket.on('data', (d: Buffer) => {
      got += d.toString();
      if (got.length >= message.length) {
        clearTimeout(timer);
        resolve(got);
      }
    });
    socket.write(message);
  });

  it('passes bytes, drops them in a blackhole without closing, delays them in order', async () => {
    const { proxy, connect } = await setup();
    const socket = await connect();
    expect(await reply(socket, 'hello', 2_000)).toBe('hello');
    proxy.setMode({ kind: 'blackhole' });
    socket.removeAllListeners('data');
    expect(await reply(socket, 'lost', 300)).toBeNull();
    expect(socket.destroyed).toBe(false);
    expect(proxy.bytesDropped).toBeGreaterThanOrEqual(4);
    proxy.setMode({ kind: 'delay', delayMs: 150 });
    socket.removeAllListeners('data');
    const started = Date.now();
    expect(await reply(socket, 'abc', 3_000)).toBe('abc');
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    proxy.setMode({ kind: 'pass' });
  });

  it('knows who dialed (from /proc) and silences connections from a blocked source', async () => {
    const { proxy, connect } = await setup((remotePort, proxyPort) => socketOwner(remotePort, proxyPort, [{ name: 'this-test', pid: process.pid }]));
    const socket = await connect();
    expect(await reply(socket, 'known', 2_000)).toBe('known');
    expect(proxy.connectionsIdentified).toBe(1);
    proxy.setBlockedSources(['someone-else']);
    socket.removeAllListeners('data');
    expect(await reply(socket, 'still', 2_000)).toBe('still');
    proxy.setBlockedSources(['this-test']);
    socket.removeAllListeners('data');
    expect(await reply(socket, 'cut', 300)).toBeNull();
    expect(socket.destroyed).toBe(false);
  });

  it('resets live connections on demand', async () => {
    const { proxy, connect } = await setup();
    const socket = await connect();
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    proxy.resetConnections();
    await closed;
    expect(socket.destroyed).toBe(true);
  });
});
