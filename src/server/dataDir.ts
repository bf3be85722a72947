// The data directory: a format version, the member's identity, and where the WAL and the store live.
// Layout mirrors etcd's (member/wal, member/snap) so operators find their way around it.
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fsyncDir } from './wal/durable-fs.js';

/** Bumped when a newer capstan lays the directory out differently; older formats are opened or refused, never rewritten silently. */
export const DATA_FORMAT_VERSION = 1;

export interface DataDirLayout {
  root: string;
  member: string;
  wal: string;
  db: string;
  formatFile: string;
  identityFile: string;
}

export function layout(dataDir: string, walDir: string): DataDirLayout {
  const member = path.join(dataDir, 'member');
  return {
    root: dataDir,
    member,
    wal: walDir !== '' ? walDir : path.join(member, 'wal'),
    db: path.join(member, 'snap', 'db.capstan'),
    formatFile: path.join(dataDir, 'capstan-format'),
    identityFile: path.join(member, 'identity.json'),
  };
}

/** Who this member is. The cluster's membership itself is replicated state in the store. */
export interface Identity {
  clusterId: string;
  memberId: string;
}

/** Writes a file so that after a crash it is either the old or the new content, never a torn mix. */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
  await fsyncDir(path.dirname(file));
}

/** Returns true when the directory already holds a member (a restart), false when it is new. */
export async function prepare(dirs: DataDirLayout): Promise<boolean> {
  await fs.mkdir(path.dirname(dirs.db), { recursive: true, mode: 0o700 });
  await fs.mkdir(dirs.wal, { recursive: true, mode: 0o700 });
  let format: string | null = null;
  try {
    format = (await fs.readFile(dirs.formatFile, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (format === null) {
    await writeFileAtomic(dirs.formatFile, `${DATA_FORMAT_VERSION}\n`);
  } else if (format !== String(DATA_FORMAT_VERSION)) {
    throw new Error(
      `data directory ${dirs.root} has format ${JSON.stringify(format)}; this capstan reads format ${DATA_FORMAT_VERSION}`,
    );
  }
  return readIdentity(dirs).then((id) => id !== null);
}

export async function readIdentity(dirs: DataDirLayout): Promise<Identity | null> {
  try {
    return JSON.parse(await fs.readFile(dirs.identityFile, 'utf8')) as Identity;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new Error(`cannot read ${dirs.identityFile}: ${(error as Error).message}`);
  }
}

export async function writeIdentity(dirs: DataDirLayout, identity: Identity): Promise<void> {
  await writeFileAtomic(dirs.identityFile, `${JSON.stringify(identity, null, 2)}\n`);
}
