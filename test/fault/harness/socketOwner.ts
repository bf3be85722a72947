import { readdir, readFile, readlink } from 'node:fs/promises';

/*
 * Which process owns the client end of a loopback TCP connection, from Linux's /proc: the socket's
 * inode from /proc/net/tcp (local 127.0.0.1:<port>, remote 127.0.0.1:<proxyPort>), then the process
 * among `candidates` with an fd linking to socket:[inode]. The proxy uses it to tell which member
 * dialed a peer connection, so a partition can silence a member's outgoing connections too.
 */

const LOOPBACK_HEX = '0100007F';

function portHex(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

async function socketInode(localPort: number, remotePort: number): Promise<string | null> {
  let table: string;
  try {
    table = await readFile('/proc/net/tcp', 'utf8');
  } catch {
    return null;
  }
  const local = `${LOOPBACK_HEX}:${portHex(localPort)}`;
  const remote = `${LOOPBACK_HEX}:${portHex(remotePort)}`;
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote) return f[9] ?? null;
  }
  return null;
}

async function ownsSocket(pid: number, inode: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const target = `socket:[${inode}]`;
  for (const fd of fds) {
    try {
      if ((await readlink(`/proc/${pid}/fd/${fd}`)) === target) return true;
    } catch {
      // The fd closed while we looked.
    }
  }
  return false;
}

/** The name of the candidate process that dialed 127.0.0.1:<localPort> → 127.0.0.1:<remotePort>, or null. */
export async function socketOwner(localPort: number, remotePort: number, candidates: ReadonlyArray<{ name: string; pid: number }>): Promise<string | null> {
  const inode = await socketInode(localPort, remotePort);
  if (inode === null || inode === '0') return null;
  for (const c of candidates) if (await ownsSocket(c.pid, inode)) return c.name;
  return null;
}
