// `capstan snapshot save|status|restore`: etcdctl's save and etcdutl's status and restore, with their
// flags, output formats, error texts and exit codes (etcdutl/etcdutl/snapshot_command.go,
// etcdctl/ctlv3/command/snapshot_command.go @v3.5.21, pkg/cobrautl exit codes).
import { promises as fs } from 'node:fs';
import { snapshotStatus, type SnapshotStatus } from '../../snapshot/status.js';
import { parseGoDuration } from '../config/duration.js';
import { restoreSnapshot } from '../snapshotRestore.js';
import { flagBool, flagString, parseCommand, type FlagSpec } from './argv.js';
import { humanizeBytes, renderTable } from './goFormat.js';
import { saveSnapshot } from './snapshotSave.js';

/** pkg/cobrautl exit codes. */
export const Exit = { success: 0, error: 1, badFeature: 4, interrupted: 5, badArgs: 128 } as const;

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

class CommandError extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const WRITE_OUT: FlagSpec = { name: 'write-out', short: 'w', type: 'string', default: 'simple' };

const SAVE_FLAGS: readonly FlagSpec[] = [
  WRITE_OUT,
  { name: 'endpoints', type: 'string', default: '127.0.0.1:2379' },
  { name: 'dial-timeout', type: 'string', default: '2s' },
  { name: 'command-timeout', type: 'string', default: '' },
  { name: 'cacert', type: 'string', default: '' },
  { name: 'cert', type: 'string', default: '' },
  { name: 'key', type: 'string', default: '' },
  { name: 'insecure-skip-tls-verify', type: 'bool', default: 'false' },
  { name: 'insecure-transport', type: 'bool', default: 'true' },
  { name: 'user', type: 'string', default: '' },
  { name: 'password', type: 'string', default: '' },
];

/** etcdctl's --user: "name:password", or "name" with --password. */
function authFlags(user: string, password: string): { name: string; password: string } | null {
  if (user === '') return null;
  if (password !== '') return { name: user, password };
  const colon = user.indexOf(':');
  if (colon < 0) throw new CommandError('password is missing; use --user=name:password or --password', Exit.badArgs);
  return { name: user.slice(0, colon), password: user.slice(colon + 1) };
}

const RESTORE_FLAGS: readonly FlagSpec[] = [
  WRITE_OUT,
  { name: 'data-dir', type: 'string', default: '' },
  { name: 'wal-dir', type: 'string', default: '' },
  { name: 'initial-cluster', type: 'string', default: 'default=http://localhost:2380' },
  { name: 'initial-cluster-token', type: 'string', default: 'etcd-cluster' },
  { name: 'initial-advertise-peer-urls', type: 'string', default: 'http://localhost:2380' },
  { name: 'name', type: 'string', default: 'default' },
  { name: 'skip-hash-check', type: 'bool', default: 'false' },
  { name: 'initial-memory-map-size', type: 'uint', default: '10737418240' },
  { name: 'bump-revision', type: 'uint', default: '0' },
  { name: 'mark-compacted', type: 'bool', default: 'false' },
];

const USAGE = `Usage:
  capstan snapshot <subcommand> [flags]

Available Commands:
  restore     Restores an etcd member snapshot to a capstan directory
  save        Stores an etcd node backend snapshot to a given file
  status      Gets backend snapshot status of a given file
`;

function logLine(io: CliIo, msg: string, fields: Record<string, string | number>): void {
  io.err(`${JSON.stringify({ level: 'info', ts: new Date().toISOString(), msg, ...fields })}\n`);
}

export function formatStatus(s: SnapshotStatus, format: string): string {
  const row = [s.hash.toString(16), String(s.revision), String(s.totalKey), humanizeBytes(s.totalSize)];
  switch (format) {
    case 'simple':
      return `${row.join(', ')}\n`;
    case 'table':
      return renderTable(['hash', 'revision', 'total keys', 'total size'], [row]);
    case 'json':
      return `${JSON.stringify({ hash: s.hash, revision: s.revision, totalKey: s.totalKey, totalSize: s.totalSize })}\n`;
    case 'fields':
      return `"Hash" : ${s.hash}\n"Revision" : ${s.revision}\n"Keys" : ${s.totalKey}\n"Size" : ${s.totalSize}\n`;
    case 'protobuf':
      throw new CommandError('protobuf not supported as output format', Exit.badFeature);
    default:
      throw new CommandError('unsupported output format', Exit.badFeature);
  }
}

async function statusCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const p = parseCommand([WRITE_OUT], argv);
  if (p.args.length !== 1) throw new CommandError('snapshot status requires exactly one argument', Exit.badArgs);
  const format = flagString(p, 'write-out');
  formatStatus({ hash: 0, revision: 0, totalKey: 0, totalSize: 0 }, format); // reject a bad format before reading
  const file = p.args[0]!;
  let image: Buffer;
  try {
    await fs.stat(file);
    image = await fs.readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CommandError(`stat ${file}: no such file or directory`, Exit.error);
    throw new CommandError((error as Error).message, Exit.error);
  }
  let status: SnapshotStatus;
  try {
    status = snapshotStatus(image);
  } catch (error) {
    throw new CommandError((error as Error).message, Exit.error);
  }
  io.out(formatStatus(status, format));
}

function durationMs(text: string, flag: string): number {
  const ms = parseGoDuration(text);
  if (ms === null) throw new CommandError(`invalid argument "${text}" for "--${flag}" flag: time: invalid duration "${text}"`, Exit.error);
  return ms;
}

async function saveCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const p = parseCommand(SAVE_FLAGS, argv);
  if (p.args.length !== 1) throw new CommandError('snapshot save expects one argument', Exit.badArgs);
  const commandTimeout = flagString(p, 'command-timeout');
  const tlsGiven = ['cacert', 'cert', 'key'].some((f) => flagString(p, f) !== '') || flagBool(p, 'insecure-skip-tls-verify');
  try {
    await saveSnapshot(
      {
        endpoints: flagString(p, 'endpoints').split(',').filter((e) => e !== ''),
        dbPath: p.args[0]!,
        dialTimeoutMs: durationMs(flagString(p, 'dial-timeout'), 'dial-timeout'),
        commandTimeoutMs: commandTimeout === '' ? 0 : durationMs(commandTimeout, 'command-timeout'),
        tls: tlsGiven
          ? {
              cacert: flagString(p, 'cacert'),
              cert: flagString(p, 'cert'),
              key: flagString(p, 'key'),
              insecureSkipVerify: flagBool(p, 'insecure-skip-tls-verify'),
            }
          : null,
        auth: authFlags(flagString(p, 'user'), flagString(p, 'password')),
      },
      (msg, fields) => logLine(io, msg, fields),
    );
  } catch (error) {
    if (error instanceof CommandError) throw error;
    throw new CommandError((error as Error).message, Exit.interrupted);
  }
  io.out(`Snapshot saved at ${p.args[0]!}\n`);
}

async function restoreCommand(argv: readonly string[], io: CliIo): Promise<void> {
  const p = parseCommand(RESTORE_FLAGS, argv);
  // etcdutl 3.5 marks --data-dir required; cobra checks that before the command runs.
  if (!p.given.has('data-dir')) throw new CommandError('required flag(s) "data-dir" not set', Exit.error);
  if (p.args.length !== 1) throw new CommandError('snapshot restore requires exactly one argument', Exit.badArgs);
  const bumpRevision = BigInt(flagString(p, 'bump-revision'));
  const markCompacted = flagBool(p, 'mark-compacted');
  if ((bumpRevision === 0n && markCompacted) || (bumpRevision > 0n && !markCompacted)) {
    throw new CommandError('--mark-compacted required if --revision-bump > 0', Exit.badArgs);
  }
  try {
    await restoreSnapshot(
      {
        snapshotPath: p.args[0]!,
        name: flagString(p, 'name'),
        dataDir: flagString(p, 'data-dir'),
        walDir: flagString(p, 'wal-dir'),
        initialCluster: flagString(p, 'initial-cluster'),
        initialClusterToken: flagString(p, 'initial-cluster-token'),
        initialAdvertisePeerUrls: flagString(p, 'initial-advertise-peer-urls'),
        skipHashCheck: flagBool(p, 'skip-hash-check'),
        bumpRevision,
        markCompacted,
      },
      (msg, fields) => logLine(io, msg, fields),
    );
  } catch (error) {
    throw new CommandError((error as Error).message, Exit.error);
  }
}

/** Runs `capstan snapshot <argv...>` and returns the exit code; output goes through `io`. */
export async function runSnapshotCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  const commands: Record<string, (a: readonly string[], io: CliIo) => Promise<void>> = {
    save: saveCommand,
    status: statusCommand,
    restore: restoreCommand,
  };
  const run = sub === undefined ? undefined : commands[sub];
  if (run === undefined) {
    if (sub === undefined || sub === 'help' || sub === '--help' || sub === '-h') {
      io.out(USAGE);
      return Exit.success;
    }
    io.err(`Error: unknown command "${sub}" for "capstan snapshot"\n${USAGE}`);
    return Exit.error;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage:\n  capstan snapshot ${sub} <filename> [flags]\n`);
    return Exit.success;
  }
  try {
    await run(rest, io);
    return Exit.success;
  } catch (error) {
    // Flag errors (UsageError) exit 1, as cobra's do.
    const code = error instanceof CommandError ? error.code : Exit.error;
    io.err(`Error: ${(error as Error).message}\n`);
    return code;
  }
}
