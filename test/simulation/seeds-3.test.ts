// Simulation shard 3: seeds [3 * PER_SHARD, 3 + 1) * PER_SHARD) (see harness/seeds.ts).
import { describe, expect, it } from 'vitest';
import { PER_CASE, PER_SHARD, runSeeds } from './harness/seeds.js';

const SHARD = 3;

describe(`raft simulation shard ${SHARD}`, () => {
  for (let from = SHARD * PER_SHARD; from < (SHARD + 1) * PER_SHARD; from += PER_CASE) {
    it(`seeds ${from}..${from + PER_CASE - 1} keep every safety property and recover after healing`, () => {
      expect(runSeeds(from, PER_CASE).ran).toBe(PER_CASE);
    });
  }
});
