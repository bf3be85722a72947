// Small filesystem steps whose durability the WAL depends on.

import fsSync, { promises as fs } from 'node:fs';

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

/**
 * Writes all of `buf` at `position` (a single write() may be partial). Synchronous: it is a page-cache
 * copy, cheaper than a thread-pool round trip.
 */
export function writeFullySync(fd: number, buf: Uint8Array, position: number): void {
  let done = 0;
  // Each round writes at least one byte or throws, so this ends within buf.length rounds.
  while (done < buf.length) {
    const written = fsSync.writeSync(fd, buf, done, buf.length - done, position + done);
    if (written <= 0) throw new Error(`wal: write returned ${written}`);
    done += written;
  }
}

/** fdatasync through the callback API: one thread-pool hop, without FileHandle's promise layers. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fsSync.fdatasync(fd, (err) => (err ? reject(err) : resolve())));
}

/**
 * Reads a whole file with one synchronous read per gigabyte-sized call, for WAL replay at start
 * (nothing else runs then). fs.readFile goes through the thread pool in 512 KiB pieces, which for
 * hundreds of megabytes of segments cost seconds of restart time on a busy machine.
 */
export function readWholeSync(file: string): Buffer {
  const fd = fsSync.openSync(file, 'r');
  try {
    const size = fsSync.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    // Each round reads at least one byte or stops: bounded by the file's size.
    while (done < size) {
      const n = fsSync.readSync(fd, buf, done, size - done, done);
      if (n <= 0) break;
      done += n;
    }
    return done === size ? buf : buf.subarray(0, done);
  } finally {
    fsSync.closeSync(fd);
  }
}
