import net from 'node:net';

/*
 * A fault-injecting TCP proxy in front of one member's peer port: the member listens on its real
 * peer port, advertises this proxy's port, and every peer connection to it passes through here.
 * Modes apply to live connections at once:
 *  pass       bytes flow both ways
 *  blackhole  bytes are read and dropped both ways; connections stay open (a partition as the
 *             member sees it: silence, not resets) and new connections are accepted into the hole
 *  delay      every chunk waits `delayMs` (order kept per direction)
 * Blocked sources: connections dialed by a blocked member (told by `identify`) are silenced both ways
 * whatever the mode, so a partition can cut a member's own outgoing connections as well as its
 * incoming ones. A connection's bytes wait until its dialer is known.
 * Loopback only.
 */

export type ProxyMode = { kind: 'pass' } | { kind: 'blackhole' } | { kind: 'delay'; delayMs: number };

const MAX_CONNECTIONS = 256;

interface Pipe {
  client: net.Socket;
  upstream: net.Socket;
  /** Who dialed it (null: unknown, or not a member). */
  source: string | null;
}

/** Names the member that dialed from 127.0.0.1:<remotePort> to this proxy, or null. */
export type SourceIdentifier = (remotePort: number, proxyPort: number) => Promise<string | null>;

const IDENTIFY_TIMEOUT_MS = 1_000;

export class PeerProxy {
  private server: net.Server | null = null;
  private readonly pipes = new Set<Pipe>();
  private mode: ProxyMode = { kind: 'pass' };
  bytesForwarded = 0;
  bytesDropped = 0;
  connectionsAccepted = 0;

  private blockedSources = new Set<string>();
  connectionsIdentified = 0;

  constructor(readonly listenPort: number, readonly targetPort: number, private readonly identify: SourceIdentifier | null = null) {}

  setBlockedSources(names: Iterable<string>): void {
    this.blockedSources = new Set(names);
  }

  async start(): Promise<void> {
    if (this.server !== null) throw new Error('invariant: proxy started twice');
    const server = net.createServer((client) => this.accept(client));
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: this.listenPort, exclusive: true }, () => resolve());
    });
    this.server = server;
  }

  setMode(mode: ProxyMode): void {
    if (mode.kind === 'delay' && !(mode.delayMs >= 0 && mode.delayMs <= 10_000)) throw new Error(`proxy: delay ${mode.delayMs} ms`);
    this.mode = mode;
  }

  getMode(): ProxyMode {
    return this.mode;
  }

  /** Cuts every live connection (both sides see a reset), as a crash of the link would. */
  resetConnections(): void {
    for (const pipe of this.pipes) {
      pipe.client.destroy();
      pipe.upstream.destroy();
    }
    this.pipes.clear();
  }

  async close(): Promise<void> {
    this.resetConnections();
    const server = this.server;
    this.server = null;
    if (server !== null) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    this.connectionsAccepted++;
    client.pause();
    const remotePort = client.remotePort;
    const known = this.identify === null || remotePort === undefined
      ? Promise.resolve(null)
      : Promise.race([
        this.identify(remotePort, this.listenPort).catch(() => null),
        new Promise<null>((resolve) => setTimeout(() => resolve(null), IDENTIFY_TIMEOUT_MS)),
      ]);
    void known.then((source) => {
      if (source !== null) this.connectionsIdentified++;
      if (client.destroyed) return;
      this.connect(client, source);
      client.resume();
    });
  }

  private connect(client: net.Socket, source: string | null): void {
    const upstream = net.connect({ host: '127.0.0.1', port: this.targetPort });
    const pipe: Pipe = { client, upstream, source };
    this.pipes.add(pipe);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.pipes.delete(pipe);
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    this.forward(pipe, client, upstream);
    this.forward(pipe, upstream, client);
  }

  private silenced(pipe: Pipe): boolean {
    return this.mode.kind === 'blackhole' || (pipe.source !== null && this.blockedSources.has(pipe.source));
  }

  private forward(pipe: Pipe, from: net.Socket, to: net.Socket): void {
    // Delayed chunks keep their order: each waits for the one before it.
    let queue: Promise<void> = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      const mode = this.mode;
      if (this.silenced(pipe)) {
        this.bytesDropped += chunk.length;
        return;
      }
      if (mode.kind !== 'delay') {
        queue = queue.then(() => this.write(to, chunk));
        return;
      }
      const delayMs = mode.delayMs;
      queue = queue.then(() => new Promise<void>((resolve) => setTimeout(resolve, delayMs))).then(() => {
        // A partition that began while this chunk waited swallows it too.
        if (this.silenced(pipe)) this.bytesDropped += chunk.length;
        else this.write(to, chunk);
      });
    });
  }

  private write(to: net.Socket, chunk: Buffer): void {
    if (to.destroyed) return;
    this.bytesForwarded += chunk.length;
    to.write(chunk);
  }
}
