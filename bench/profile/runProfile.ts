import type { BenchOptions } from '../options.js';

export async function runProfile(_options: BenchOptions): Promise<void> {
  throw new Error('bench --profile: not written yet');
}
