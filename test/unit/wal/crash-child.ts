// Child process for crash.test.ts: appends numbered records as fast as it can, several in flight
// at once (so batches coalesce), and prints `ok <id>` only after that record's append resolved.
// The parent kills it with SIGKILL at an arbitrary moment. On Linux, writes to a pipe through
// process.stdout are synchronous, so a printed ack is in the pipe before the next append starts.

import { Wal } from '../../../src/server/wal/index.js';

const [dir, segmentBytesArg, preallocateArg, bigArg, inlineArg] = process.argv.slice(2);
// With big records a write takes long enough that the kill often lands inside it, tearing the tail.
const big = bigArg === 'true';
// Syncs on the event loop (a follower's appends) instead of the thread pool.
const inlineSync = inlineArg === 'true';
if (!dir || !segmentBytesArg || !preallocateArg) throw new Error('usage: crash-child <dir> <segmentBytes> <preallocate>');

const MAX_RECORDS = 200_000;
const MAX_MS = 30_000;
const IN_FLIGHT = 8;

function payload(id: number): Uint8Array {
  const spread = big && id % 4 === 0 ? 4 * 1024 * 1024 : 3000;
  const size = 8 + (((id * 2654435761) >>> 0) % spread);
  const data = new Uint8Array(size);
  for (let k = 8; k < size; k++) data[k] = (id + k) & 0xff;
  const view = new DataView(data.buffer);
  view.setUint32(0, id, true);
  view.setUint32(4, size, true);
  return data;
}

const { wal, records } = await Wal.open(dir, {
  segmentBytes: Number(segmentBytesArg),
  preallocate: preallocateArg === 'true',
});
let next = records.length; // ids continue from what survived the previous crash
const deadline = Date.now() + MAX_MS;
process.stdout.write(`ready ${next}\n`);

async function appender(): Promise<void> {
  while (next < MAX_RECORDS && Date.now() < deadline) {
    const id = next++;
    await wal.append([{ type: 1 + (id % 255), data: payload(id) }], { inlineSync });
    process.stdout.write(`ok ${id}\n`);
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, appender));
await wal.close();
