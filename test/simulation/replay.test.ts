// Replays one simulation schedule with an event trace: SIM_SEED=<seed> npx vitest run test/simulation/replay.test.ts
import { expect, it } from 'vitest';
import { runSchedule } from './harness/schedule.js';

const seed = Number(process.env['SIM_SEED'] ?? '1');

it(`replays simulation seed ${seed}`, () => {
  const result = runSchedule(seed, { trace: true });
  expect(result.seed).toBe(seed);
});
