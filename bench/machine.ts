import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { capstanMainPath } from '../test/support/members.js';
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
    loadAverageStart: os.loadavg()[0] ?? 0,
    loadAverageEnd: 0,
  };
}

/** The commit of the capstan actually measured (CAPSTAN_MAIN may point at another checkout's build). */
function capstanCommit(): string {
  const cwd = path.dirname(capstanMainPath());
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8', timeout: 5_000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', timeout: 5_000 }).trim();
    const where = process.env.CAPSTAN_MAIN ? ` at ${capstanMainPath()}` : '';
    return `${head}${dirty === '' ? '' : ' (working tree modified)'}${where}`;
  } catch {
    return 'unknown';
  }
}

export function versions(): Versions {
  const manifest = JSON.parse(readFileSync(path.join(path.dirname(capstanMainPath()), '..', '..', '..', 'package.json'), 'utf8')) as { version?: string };
  return {
    capstan: manifest.version ?? 'unknown',
    capstanCommit: capstanCommit(),
    etcd: referenceVersion('etcd') ?? 'missing',
    benchmark: referenceVersion('benchmark') ?? 'missing',
    etcdctl: referenceVersion('etcdctl') ?? 'missing',
  };
}
