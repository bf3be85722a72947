import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_LEVELS = 8;

/**
 * The capstan checkout this file belongs to, found by walking up to capstan's package.json, so the
 * helpers work the same from test/support/*.ts (vitest) and from a compiled copy under dist/.
 */
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < MAX_LEVELS; level++) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest)) {
      const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'capstan') {
        return dir;
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`test/support: no capstan package.json above ${fileURLToPath(import.meta.url)}`);
}

export const REPO_ROOT: string = findRepoRoot();
