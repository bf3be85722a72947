import { describe } from 'vitest';
import { useProcessHarness } from './harness.js';
import { referenceMissingReason, type ReferenceProgram, referenceBinary } from './referencePaths.js';

export {
  REFERENCE_BIN_DIR,
  type ReferenceProgram,
  referenceBinary,
  referenceMissingReason,
  referenceVersion,
  requireReferenceBinary,
} from './referencePaths.js';

/**
 * A describe block that needs reference programs: skipped (with the build hint in its title) when one
 * is missing, an error under CI=true. It also installs the process harness (logs on failure, teardown).
 */
export function describeWithReference(names: readonly ReferenceProgram[], fn: () => void): void {
  const title = `with reference ${names.join(', ')}`;
  const missing: string[] = [];
  for (const name of names) {
    if (referenceBinary(name) === null) missing.push(referenceMissingReason(name) ?? name);
  }
  if (missing.length > 0) {
    describe.skip(`${title} — skipped: ${missing.join('; ')}`, fn);
    return;
  }
  describe(title, () => {
    useProcessHarness();
    fn();
  });
}
