import { it } from 'vitest';
import { runSchedule } from './harness/schedule.js';
it('run', () => {
  const from = Number(process.env['FROM'] ?? '0');
  const n = Number(process.env['N'] ?? '200');
  const t0 = process.hrtime.bigint();
  let fails = 0;
  const stats = { committed: 0, leaders: 0, vt: 0 };
  for (let s = from; s < from + n; s++) {
    try {
      const r = runSchedule(s);
      stats.committed += r.committed; stats.leaders += r.leadersElected; stats.vt += r.virtualTime;
    } catch (e) {
      fails++;
      if (fails <= 5) console.log(String(e).slice(0, 1500));
    }
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  console.log(`seeds ${n} fails ${fails} ms ${ms.toFixed(0)} per ${(ms / n).toFixed(1)}`, stats);
}, 600_000);
