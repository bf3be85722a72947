import net from 'node:net';

/*
 * Ports for member processes on 127.0.0.1.
 *
 * Asking the kernel for port 0 and closing it hands out an ephemeral port, which the kernel may give
 * to an outgoing connection's source port before the member binds it. So ports are taken from a band
 * below Linux's ephemeral range (32768+), split into slices per vitest worker (or per pid outside
 * vitest) so parallel workers do not race for the same numbers, walked with a per-process counter so
 * this process never hands out a port twice, and each candidate is checked by binding it.
 */

const BAND_START = 20_000;
const BAND_END = 32_000;
const SLICE_SIZE = 500;
const SLICE_COUNT = Math.floor((BAND_END - BAND_START) / SLICE_SIZE);
const MAX_ATTEMPTS = SLICE_SIZE;

function sliceIndex(): number {
  const pool = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? NaN);
  const seed = Number.isInteger(pool) && pool > 0 ? pool : process.pid;
  // Two checkouts testing side by side on one machine would otherwise share pool ids 1 and 2.
  const offset = Number(process.env.CAPSTAN_PORT_SLICE_OFFSET ?? 0);
  return (seed + (Number.isInteger(offset) ? offset : 0)) % SLICE_COUNT;
}

const sliceStart = BAND_START + sliceIndex() * SLICE_SIZE;
let counter = 0;
const handedOut = new Set<number>();

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/** A port the kernel picks (bind 0 on 127.0.0.1, close); never one this process handed out before. */
export async function ephemeralPort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address();
        if (address === null || typeof address === 'string') {
          server.close();
          reject(new Error(`ports: unexpected listen address ${String(address)}`));
          return;
        }
        server.close(() => resolve(address.port));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`ports: the kernel kept returning ports already handed out (${MAX_ATTEMPTS} tries)`);
}

/** A free loopback port from this worker's slice of the band, falling back to an ephemeral one. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const port = sliceStart + (counter++ % SLICE_SIZE);
    if (handedOut.has(port)) continue;
    if (await canBind(port)) {
      handedOut.add(port);
      return port;
    }
  }
  return ephemeralPort();
}

/** `count` distinct free loopback ports. */
export async function freePorts(count: number): Promise<number[]> {
  if (!Number.isInteger(count) || count < 0 || count > SLICE_SIZE) {
    throw new Error(`ports: cannot hand out ${count} ports at once`);
  }
  const ports: number[] = [];
  for (let i = 0; i < count; i++) ports.push(await freePort());
  return ports;
}
