// Small filesystem steps whose durability the WAL depends on.

import { promises as fs } from 'node:fs';

/**
 * Makes a directory's entries (created, renamed or removed files) durable. Without it a crash can
 * forget a new segment's name even though its data was fsynced (etcd #6368).
 */
export async function fsyncDir(dir: string): Promise<void> {
  const h = await fs.open(dir, 'r');
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes all of `buf` at `position`; a single write() may be partial. */
export async function writeFully(h: fs.FileHandle, buf: Uint8Array, position: number): Promise<void> {
  let done = 0;
  // Each round writes at least one byte or throws, so this ends within buf.length rounds.
  while (done < buf.length) {
    const { bytesWritten } = await h.write(buf, done, buf.length - done, position + done);
    if (bytesWritten <= 0) throw new Error(`wal: write returned ${bytesWritten}`);
    done += bytesWritten;
  }
}
