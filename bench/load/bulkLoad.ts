import { protoRoot } from '../../src/server/proto/load.js';
import { closeConnections, openConnections, waitConnected } from './connections.js';
import { runClosedLoop } from './closedLoop.js';
import { sequentialKey } from './kvCalls.js';

/*
 * Fills a member with `keys` distinct keys (8-byte big-endian indexes, as etcd's benchmark names them)
 * fast, in transactions of OPS_PER_TXN puts: the recovery test needs a million keys, not a million
 * round trips. Stays under etcd's default --max-txn-ops (128).
 */

const TxnRequest = protoRoot.lookupType('etcdserverpb.TxnRequest');
const OPS_PER_TXN = 100;
const CLIENTS = 16;
const DEADLINE_MS = 60_000;
const identity = (b: Buffer): Buffer => b;

export async function bulkLoad(endpoint: string, keys: number, valueSize: number, maxSeconds: number): Promise<{ errors: number }> {
  const connections = openConnections([endpoint], 4);
  const value = Buffer.alloc(valueSize, 0x63);
  const txns = Math.ceil(keys / OPS_PER_TXN);
  try {
    await waitConnected(connections, 10_000);
    const { summary, timedOut } = await runClosedLoop(connections, { clients: CLIENTS, total: txns, maxSeconds }, (c, txn) => {
      const success = [];
      for (let i = txn * OPS_PER_TXN; i < Math.min(keys, (txn + 1) * OPS_PER_TXN); i++) {
        success.push({ request_put: { key: sequentialKey(i, 8), value } });
      }
      const request = Buffer.from(TxnRequest.encode(TxnRequest.fromObject({ success })).finish());
      return new Promise<Buffer>((resolve, reject) => {
        c.client.makeUnaryRequest('/etcdserverpb.KV/Txn', identity, identity, request, { deadline: Date.now() + DEADLINE_MS },
          (err, response) => (err || response === undefined ? reject(err ?? new Error('Txn: no response')) : resolve(response)));
      });
    });
    if (timedOut) throw new Error(`bulk load of ${keys} keys did not finish in ${maxSeconds} s (${summary.count} of ${txns} txns)`);
    return { errors: summary.errors };
  } finally {
    closeConnections(connections);
  }
}
