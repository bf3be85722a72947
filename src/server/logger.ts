// Structured logs shaped like etcd's zap JSON output, so the log tooling operators already point at
// etcd (jq filters, journald/fluent-bit parsers keyed on "level", "ts", "caller", "msg") reads capstan's:
//   {"level":"info","ts":"2026-01-02T15:04:05.123456Z","caller":"config/config.ts:42","msg":"...","key":"value"}
// Lines are written synchronously, as zap does, so the last lines before a crash are not lost.

import { closeSync, openSync, writeSync } from 'node:fs';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'dpanic' | 'panic' | 'fatal';
export type LogFields = Readonly<Record<string, unknown>>;

const SEVERITY: Readonly<Record<LogLevel, number>> = {
  debug: -1,
  info: 0,
  warn: 1,
  error: 2,
  dpanic: 3,
  panic: 4,
  fatal: 5,
};

export function isLogLevel(text: string): text is LogLevel {
  return Object.prototype.hasOwnProperty.call(SEVERITY, text);
}

/** Where encoded lines go. */
export interface LogSink {
  write(line: string): void;
  close(): void;
}

export interface LoggerOptions {
  readonly level?: LogLevel;
  /** etcd's --log-outputs: 'default' | 'stderr' | 'stdout' | 'systemd/journal' | a file path. */
  readonly outputs?: readonly string[];
  /** Extra or replacement sinks (tests, in-process capture). When given, `outputs` is ignored. */
  readonly sinks?: readonly LogSink[];
  /** Wall clock in epoch milliseconds (fractions give microseconds). */
  readonly clock?: () => number;
  /** Report the calling file:line as zap's AddCaller does. Default true. */
  readonly caller?: boolean;
  /** What `fatal` does after logging; zap exits the process with status 1. */
  readonly onFatal?: (msg: string) => never;
}

export interface Logger {
  readonly level: LogLevel;
  enabled(level: LogLevel): boolean;
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** Logs, then throws (zap's Panic). */
  panic(msg: string, fields?: LogFields): never;
  /** Logs, then ends the process (zap's Fatal). */
  fatal(msg: string, fields?: LogFields): never;
  /** A logger adding `fields` to every entry (zap's With). */
  with(fields: LogFields): Logger;
  /** A logger whose entries carry `"logger":"<name>"` (zap's Named). */
  named(name: string): Logger;
  /** Closes file outputs. */
  close(): void;
}

class StreamSink implements LogSink {
  constructor(private readonly stream: NodeJS.WriteStream) {}
  write(line: string): void {
    this.stream.write(line);
  }
  close(): void {}
}

class FileSink implements LogSink {
  private fd: number | null;
  constructor(path: string) {
    // zap opens outputs O_WRONLY|O_APPEND|O_CREATE, mode 0666 (before umask).
    this.fd = openSync(path, 'a', 0o666);
  }
  write(line: string): void {
    if (this.fd === null) throw new Error('log file written after close');
    writeSync(this.fd, line);
  }
  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}

/** Opens the sinks for etcd's --log-outputs values; 'default' and 'systemd/journal' mean stderr. */
export function openLogSinks(outputs: readonly string[]): LogSink[] {
  const sinks: LogSink[] = [];
  const seen = new Set<string>();
  for (const output of outputs.length === 0 ? ['default'] : outputs) {
    const target = output === 'default' || output === 'systemd/journal' ? 'stderr' : output;
    if (seen.has(target)) continue; // etcd's MergeOutputPaths
    seen.add(target);
    if (target === 'stderr') sinks.push(new StreamSink(process.stderr));
    else if (target === 'stdout') sinks.push(new StreamSink(process.stdout));
    else if (target === '/dev/null') continue;
    else sinks.push(new FileSink(target));
  }
  return sinks;
}

/** Go's time.Format("2006-01-02T15:04:05.999999Z0700") in local time: trailing zeros of the fraction dropped. */
export function formatZapTime(epochMs: number): string {
  const wholeMs = Math.floor(epochMs);
  const micros = Math.floor((epochMs - wholeMs) * 1000);
  const d = new Date(wholeMs);
  const offsetMin = -d.getTimezoneOffset();
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const base =
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const fraction = `${pad(d.getMilliseconds(), 3)}${pad(micros, 3)}`.replace(/0+$/, '');
  const zone =
    offsetMin === 0
      ? 'Z'
      : `${offsetMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offsetMin) / 60))}${pad(Math.abs(offsetMin) % 60)}`;
  return `${base}${fraction === '' ? '' : `.${fraction}`}${zone}`;
}

const MAX_ENCODE_DEPTH = 8;

/** zap's JSON encoding of one field value. */
function encodeValue(value: unknown, depth: number): string {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      // zap writes non-finite floats as strings.
      if (Number.isNaN(value)) return '"NaN"';
      if (!Number.isFinite(value)) return value > 0 ? '"+Inf"' : '"-Inf"';
      return String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'function':
    case 'symbol':
      return JSON.stringify(String(value));
    case 'object':
      break;
  }
  if (depth >= MAX_ENCODE_DEPTH) return '"<too deep>"';
  if (value instanceof Error) return JSON.stringify(value.message); // zap.Error(err) logs err.Error()
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
  if (Array.isArray(value)) return `[${value.map((v: unknown) => encodeValue(v, depth + 1)).join(',')}]`;
  if (value instanceof Map) {
    const parts = [...value.entries()].map(([k, v]) => `${JSON.stringify(String(k))}:${encodeValue(v, depth + 1)}`);
    return `{${parts.join(',')}}`;
  }
  if (value instanceof Set) return `[${[...value].map((v: unknown) => encodeValue(v, depth + 1)).join(',')}]`;
  const parts = Object.entries(value as Record<string, unknown>).map(([k, v]) => `${JSON.stringify(k)}:${encodeValue(v, depth + 1)}`);
  return `{${parts.join(',')}}`;
}

function encodeFields(fields: LogFields): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) out += `,${JSON.stringify(k)}:${encodeValue(v, 0)}`;
  return out;
}

const THIS_FILE_MARKER = /[/\\]logger\.(ts|js)\b/;

function stackFrames(): string[] {
  const stack = new Error().stack ?? '';
  return stack
    .split('\n')
    .slice(1)
    .filter((l) => !THIS_FILE_MARKER.test(l));
}

/** zap's ShortCallerEncoder: the last directory, the file and the line ("config/config.ts:42"). */
function callerOf(frames: readonly string[]): string {
  const frame = frames[0];
  if (frame === undefined) return 'undefined';
  const m = /\(?(?:file:\/\/)?([^()\s]+):(\d+):\d+\)?\s*$/.exec(frame);
  if (m === null) return 'undefined';
  const parts = m[1]!.split(/[/\\]/);
  return `${parts.slice(-2).join('/')}:${m[2]}`;
}

interface LoggerCore {
  readonly minSeverity: number;
  readonly level: LogLevel;
  readonly sinks: readonly LogSink[];
  readonly clock: () => number;
  readonly caller: boolean;
  readonly onFatal: (msg: string) => never;
}

class ZapLikeLogger implements Logger {
  constructor(
    private readonly core: LoggerCore,
    private readonly context: string,
    private readonly name: string,
  ) {}

  get level(): LogLevel {
    return this.core.level;
  }

  enabled(level: LogLevel): boolean {
    return SEVERITY[level] >= this.core.minSeverity;
  }

  private log(level: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (!this.enabled(level)) return;
    const wantsStack = SEVERITY[level] >= SEVERITY.error;
    const frames = this.core.caller || wantsStack ? stackFrames() : [];
    let line = `{"level":"${level}","ts":"${formatZapTime(this.core.clock())}"`;
    if (this.name !== '') line += `,"logger":${JSON.stringify(this.name)}`;
    if (this.core.caller) line += `,"caller":${JSON.stringify(callerOf(frames))}`;
    line += `,"msg":${JSON.stringify(msg)}${this.context}`;
    if (fields !== undefined) line += encodeFields(fields);
    if (wantsStack) line += `,"stacktrace":${JSON.stringify(frames.map((f) => f.trim()).join('\n'))}`;
    line += '}\n';
    for (const sink of this.core.sinks) sink.write(line);
  }

  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
  panic(msg: string, fields?: LogFields): never {
    this.log('panic', msg, fields);
    throw new Error(msg);
  }
  fatal(msg: string, fields?: LogFields): never {
    this.log('fatal', msg, fields);
    return this.core.onFatal(msg);
  }
  with(fields: LogFields): Logger {
    return new ZapLikeLogger(this.core, this.context + encodeFields(fields), this.name);
  }
  named(name: string): Logger {
    return new ZapLikeLogger(this.core, this.context, this.name === '' ? name : `${this.name}.${name}`);
  }
  close(): void {
    for (const sink of this.core.sinks) sink.close();
  }
}

function exitProcess(): never {
  process.exit(1);
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? 'info';
  if (!isLogLevel(level)) throw new Error(`unrecognized level: ${JSON.stringify(level)}`);
  const core: LoggerCore = {
    level,
    minSeverity: SEVERITY[level],
    sinks: options.sinks ?? openLogSinks(options.outputs ?? ['default']),
    clock: options.clock ?? (() => performance.timeOrigin + performance.now()),
    caller: options.caller ?? true,
    onFatal: options.onFatal ?? exitProcess,
  };
  return new ZapLikeLogger(core, '', '');
}

/** A logger that drops everything (for code paths and tests that need one but not its output). */
export function createNopLogger(): Logger {
  return createLogger({ level: 'fatal', sinks: [], caller: false, onFatal: () => exitProcess() });
}

/** Captures lines in memory; for tests and for reading what a component logged. */
export class MemorySink implements LogSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  close(): void {}
  entries(): Record<string, unknown>[] {
    return this.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  }
}
