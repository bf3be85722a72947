import { describe, expect, it } from 'vitest';
import { PendingRequests } from '../../../src/server/pendingRequests.js';

describe('PendingRequests', () => {
  it('wakes a waiter with its outcome, and only once', async () => {
    const p = new PendingRequests<string>();
    const waiting = p.register(1n, { ms: 10_000, error: () => new Error('timed out') });
    expect(p.trigger(1n, { ok: true, value: 'applied' })).toBe(true);
    expect(p.trigger(1n, { ok: true, value: 'again' })).toBe(false);
    await expect(waiting).resolves.toBe('applied');
    expect(p.size).toBe(0);
  });

  it('fails a waiter whose deadline passed, and leaves the others waiting', async () => {
    const p = new PendingRequests<string>();
    const started = performance.now();
    const short = p.register(1n, { ms: 100, error: () => new Error('etcdserver: request timed out') });
    const long = p.register(2n, { ms: 60_000, error: () => new Error('late') });
    const untimed = p.register(3n);
    await expect(short).rejects.toThrow('etcdserver: request timed out');
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(99);
    expect(took).toBeLessThan(2_000);
    expect(p.has(2n) && p.has(3n)).toBe(true);
    p.trigger(2n, { ok: true, value: 'two' });
    p.trigger(3n, { ok: true, value: 'three' });
    await expect(Promise.all([long, untimed])).resolves.toEqual(['two', 'three']);
  });

  it('refuses an ID registered twice, and fails everyone on failAll', async () => {
    const p = new PendingRequests<string>();
    const a = p.register(7n, { ms: 60_000, error: () => new Error('late') });
    expect(() => p.register(7n)).toThrow('registered twice');
    p.failAll(new Error('etcdserver: server stopped'));
    await expect(a).rejects.toThrow('server stopped');
    expect(p.size).toBe(0);
  });
});
