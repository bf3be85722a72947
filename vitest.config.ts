import { defineConfig } from 'vitest/config';

// Integration tests start real member processes; two workers keep a 2-core machine honest.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
