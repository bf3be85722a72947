import os from 'node:os';
import { mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import { describeWithReference } from '../../support/reference.js';
import { FaultCluster } from './faultCluster.js';

// The faults are real: an isolated leader is replaced by the other two, cannot serve a linearizable
// read on its own, and catches up once healed; a paused member answers nothing until resumed.
describeWithReference([], () => {
  it('isolating the leader through the proxies makes the others elect a new one; healing rejoins it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'capstan-fault-cluster-'));
    const cluster = await FaultCluster.start({ size: 3, baseDir: dir, requestTimeoutMs: 2_000 });
    try {
      const old = await cluster.waitForLeader();
      const others = cluster.members.filter((m) => m !== old);
      expect((await others[0]!.client.execute({ type: 'put', key: '/p/a', value: 'before' })).status).toBe('ok');

      cluster.isolate(old);
      let next = null;
      for (let i = 0; i < 60 && (next === null || next === old); i++) {
        await new Promise((r) => setTimeout(r, 250));
        next = await cluster.leader();
      }
      expect(next?.name).not.toBe(old.name);
      expect(next).not.toBeNull();
      const during = await others[1]!.client.execute({ type: 'put', key: '/p/a', value: 'during' });
      expect(during.status).toBe('ok');
      // Cut off, the old leader must not answer a linearizable read with what it had.
      const stale = await old.client.execute({ type: 'range', key: '/p/a' });
      expect(stale.status).not.toBe('ok');

      await cluster.recoverAll();
      let seen = null;
      for (let i = 0; i < 40; i++) {
        const r = await old.client.execute({ type: 'range', key: '/p/a' });
        if (r.status === 'ok' && r.result.type === 'range') {
          seen = r.result.kvs[0]?.value ?? null;
          if (seen === 'during') break;
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(seen).toBe('during');
      expect(old.proxy!.bytesDropped).toBeGreaterThan(0);
      expect(others.every((m) => m.proxy!.connectionsIdentified > 0)).toBe(true);
    } finally {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
