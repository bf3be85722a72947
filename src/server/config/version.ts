// The versions a member reports. Clients see the etcd API version (kube-apiserver 1.31+ parses
// Status.version and needs >= 3.5.13); capstan's own version travels beside it where there is room.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The etcd server version capstan answers as (Status.version, /version "etcdserver"). */
export const ETCD_API_VERSION = '3.5.17';
/** The cluster version etcd 3.5 reports: major.minor.0. */
export const ETCD_CLUSTER_VERSION = '3.5.0';

const MAX_PARENT_HOPS = 8;

function findPackageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < MAX_PARENT_HOPS; i++) {
    const candidate = join(dir, 'package.json');
    if (existsSync(candidate)) {
      const parsed: unknown = JSON.parse(readFileSync(candidate, 'utf8'));
      if (typeof parsed === 'object' && parsed !== null && (parsed as { name?: unknown }).name === 'capstan') return dir;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

function readCapstanVersion(root: string | null): string {
  if (root === null) return '0.0.0';
  const parsed = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}

/** etcd prints this when built without its build script; capstan likewise when not run from a git checkout. */
const GIT_SHA_UNKNOWN = 'Not provided (use a git checkout or set CAPSTAN_GIT_SHA)';

function readGitSha(root: string | null): string {
  const fromEnv = process.env['CAPSTAN_GIT_SHA'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (root === null) return GIT_SHA_UNKNOWN;
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 7);
    const ref = head.slice(5);
    const refFile = join(root, '.git', ref);
    if (existsSync(refFile)) return readFileSync(refFile, 'utf8').trim().slice(0, 7);
    const packed = readFileSync(join(root, '.git', 'packed-refs'), 'utf8');
    const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
    return line === undefined ? GIT_SHA_UNKNOWN : line.slice(0, 7);
  } catch {
    return GIT_SHA_UNKNOWN;
  }
}

const root = findPackageRoot();

export const CAPSTAN_VERSION: string = readCapstanVersion(root);
export const GIT_SHA: string = readGitSha(root);

/** The text `capstan --version` prints, shaped like `etcd --version`. */
export function versionText(): string {
  return [
    `capstan Version: ${CAPSTAN_VERSION}`,
    `etcd API Version: ${ETCD_API_VERSION}`,
    `Git SHA: ${GIT_SHA}`,
    `Node Version: ${process.version}`,
    `Node OS/Arch: ${process.platform}/${process.arch}`,
    '',
  ].join('\n');
}
