import { accessSync, constants, readFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './repoRoot.js';

/** Programs scripts/build-reference.sh builds into .reference/bin/. */
export type ReferenceProgram = 'etcd' | 'etcdctl' | 'etcdutl' | 'benchmark' | 'kube-apiserver' | 'kubectl';

export const REFERENCE_BIN_DIR: string = path.join(REPO_ROOT, '.reference', 'bin');

const BUILD_HINT = 'build it with `npm run reference` (scripts/build-reference.sh)';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the program is unusable, or null when it is there. */
export function referenceMissingReason(name: ReferenceProgram): string | null {
  const file = path.join(REFERENCE_BIN_DIR, name);
  if (!isExecutable(file)) return `reference program ${name} is missing at ${file}; ${BUILD_HINT}`;
  return null;
}

export function isCi(): boolean {
  return process.env.CI === 'true' || process.env.CI === '1';
}

/**
 * Absolute path of a reference program, or null when it has not been built (so the test can skip).
 * Under CI a missing program is an error: CI must never silently skip the tests that compare with etcd.
 */
export function referenceBinary(name: ReferenceProgram): string | null {
  const reason = referenceMissingReason(name);
  if (reason === null) return path.join(REFERENCE_BIN_DIR, name);
  if (isCi()) throw new Error(`${reason} (CI=true: refusing to skip)`);
  return null;
}

/** Like referenceBinary, for code that has already decided the program must exist. */
export function requireReferenceBinary(name: ReferenceProgram): string {
  const file = referenceBinary(name);
  if (file === null) throw new Error(referenceMissingReason(name) ?? `reference program ${name} is missing`);
  return file;
}

/** The pinned version recorded next to the binary when it was installed, e.g. "v3.5.21". */
export function referenceVersion(name: ReferenceProgram): string | null {
  try {
    return readFileSync(path.join(REFERENCE_BIN_DIR, `${name}.version`), 'utf8').trim();
  } catch {
    return null;
  }
}
