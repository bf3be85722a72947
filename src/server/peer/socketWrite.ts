// Writes many frame parts to a socket as one batch: small parts are joined into one buffer (one
// copy, one write), large ones are handed over as they are (no copy), corked into one writev only
// when there is more than one buffer to write.

import type net from 'node:net';

const JOIN_BELOW_BYTES = 16 * 1024;

/** Writes every part in order; returns false when the caller should wait for 'drain'. */
export function writeParts(socket: net.Socket, parts: readonly Uint8Array[]): boolean {
  const writes: Uint8Array[] = [];
  let small: Uint8Array[] = [];
  const joinSmall = (): void => {
    if (small.length === 0) return;
    writes.push(small.length === 1 ? small[0]! : Buffer.concat(small));
    small = [];
  };
  for (const part of parts) {
    if (part.length === 0) continue;
    if (part.length >= JOIN_BELOW_BYTES) {
      joinSmall();
      writes.push(part);
    } else {
      small.push(part);
    }
  }
  joinSmall();
  if (writes.length === 1) return socket.write(writes[0]!);
  socket.cork();
  for (const w of writes) socket.write(w);
  socket.uncork();
  return !socket.writableNeedDrain;
}
