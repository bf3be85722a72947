import { describe, expect, it } from 'vitest';
import { resolveCommandLine, type CliIo } from '../../../src/server/config/cli.js';

function capture(): CliIo & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    writeStdout: (t: string) => void (io.out += t),
    writeStderr: (t: string) => void (io.err += t),
  };
  return io;
}

describe('resolveCommandLine', () => {
  it('--help: usage on stderr, flags on stdout, exit 0', () => {
    const io = capture();
    expect(resolveCommandLine(['--help'], {}, io)).toEqual({ kind: 'exit', code: 0 });
    expect(io.err).toContain('Usage:');
    expect(io.out).toContain('Clustering:');
    expect(io.out).not.toContain('Usage:');
  });

  it('--version: stdout, exit 0', () => {
    const io = capture();
    expect(resolveCommandLine(['--version'], {}, io)).toEqual({ kind: 'exit', code: 0 });
    expect(io.out).toMatch(/^capstan Version: /);
    expect(io.err).toBe('');
  });

  it('an unknown flag: Go flag error and usage on stderr, exit 2', () => {
    const io = capture();
    expect(resolveCommandLine(['--foo'], {}, io)).toEqual({ kind: 'exit', code: 2 });
    expect(io.err.startsWith('flag provided but not defined: -foo\nUsage:')).toBe(true);
    expect(io.out).toBe('');
  });

  it('a refused configuration: "failed to verify flags" logged, exit 1', () => {
    const io = capture();
    expect(resolveCommandLine(['--listen-client-urls=http://127.0.0.1:2379'], {}, io)).toEqual({ kind: 'exit', code: 1 });
    const lines = io.err.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      level: 'warn',
      msg: 'failed to verify flags',
      error: '--advertise-client-urls is required when --listen-client-urls is set explicitly',
    });
    expect(lines[1]).toMatchObject({ level: 'warn', msg: 'advertise client URLs are not set' });
  });

  it('a flag also set in the environment: a fatal line naming the variable, exit 1', () => {
    const io = capture();
    expect(resolveCommandLine(['--name', 'a'], { ETCD_NAME: 'b' }, io)).toEqual({ kind: 'exit', code: 1 });
    const line = JSON.parse(io.err.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'fatal', 'environment-variable': 'ETCD_NAME' });
    expect(line['msg']).toMatch(/^conflicting environment variable is shadowed by corresponding command-line flag/);
  });

  it('a good command line runs', () => {
    const io = capture();
    const r = resolveCommandLine(['--name', 'm1'], {}, io);
    expect(r.kind).toBe('run');
    if (r.kind === 'run') expect(r.config.name).toBe('m1');
    expect(io.out + io.err).toBe('');
  });
});
