import grpc from '@grpc/grpc-js';

/*
 * N real HTTP/2 connections. grpc-js shares one subchannel among clients with the same target and
 * options, so each client gets its own subchannel pool: otherwise "16 connections" would be one.
 */

export interface Connection {
  readonly endpoint: string;
  readonly client: grpc.Client;
}

/** `count` connections spread round-robin over `endpoints` ("host:port"). */
export function openConnections(endpoints: readonly string[], count: number): Connection[] {
  if (endpoints.length === 0) throw new Error('openConnections: no endpoints');
  if (!Number.isInteger(count) || count < 1) throw new Error(`openConnections: bad count ${count}`);
  const connections: Connection[] = [];
  for (let i = 0; i < count; i++) {
    const endpoint = endpoints[i % endpoints.length] as string;
    const client = new grpc.Client(endpoint, grpc.credentials.createInsecure(), {
      'grpc.use_local_subchannel_pool': 1,
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    });
    connections.push({ endpoint, client });
  }
  return connections;
}

export async function waitConnected(connections: readonly Connection[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(connections.map((c) => new Promise<void>((resolve, reject) => {
    c.client.waitForReady(deadline, (err) => (err ? reject(new Error(`cannot connect to ${c.endpoint}: ${err.message}`)) : resolve()));
  })));
}

export function closeConnections(connections: readonly Connection[]): void {
  for (const c of connections) c.client.close();
}
