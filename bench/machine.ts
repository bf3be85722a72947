import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../test/support/repoRoot.js';
import { referenceVersion } from '../test/support/referencePaths.js';
import type { MachineInfo, Versions } from './model.js';

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  return {
    cores: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / (1024 * 1024)),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

function capstanCommit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 5_000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 5_000 }).trim();
    return dirty === '' ? head : `${head} (working tree modified)`;
  } catch {
    return 'unknown';
  }
}

export function versions(): Versions {
  const manifest = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return {
    capstan: manifest.version ?? 'unknown',
    capstanCommit: capstanCommit(),
    etcd: referenceVersion('etcd') ?? 'missing',
    benchmark: referenceVersion('benchmark') ?? 'missing',
    etcdctl: referenceVersion('etcdctl') ?? 'missing',
  };
}
