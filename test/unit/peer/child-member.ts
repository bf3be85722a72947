// A peer transport in its own process, driven over stdin, for tests that SIGSTOP it or check that
// stop() lets the process exit by itself (nothing left open).
//   argv: <local id (decimal)>
//   stdin lines: `peer <id> <url>` | `send <to> <from-seq> <count>` | `stop`
//   stdout lines: `ready <port>` | `got <from> <seq>` | `stopped`

import { createInterface } from 'node:readline';
import { parseUrl } from '../../../src/server/config/urls.js';
import { createNopLogger } from '../../../src/server/logger.js';
import { PeerTransport } from '../../../src/server/peer/index.js';
import { makeMessage, MessageType } from '../../../src/raft/index.js';

const localId = BigInt(process.argv[2] ?? '0');
const transport = new PeerTransport({
  localId,
  clusterId: 0x1c2d3e4f5a6b7c8dn,
  listenUrls: [parseUrl('http://127.0.0.1:0')],
  logger: createNopLogger(),
  onMessage: (m) => process.stdout.write(`got ${m.from} ${m.commit}\n`),
  onUnreachable: () => {},
  isRemoved: () => false,
  onRemovedFromCluster: () => {},
  onRequest: async (_from, _kind, payload) => payload,
  timing: { backoffMinMs: 20, backoffMaxMs: 200 },
});
await transport.start();
process.stdout.write(`ready ${transport.boundPorts[0]}\n`);

const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  const [word, a, b, c] = line.trim().split(' ');
  if (word === 'peer') transport.addPeer(BigInt(a!), [b!]);
  else if (word === 'send') {
    const to = BigInt(a!);
    for (let i = 0; i < Number(c); i++) {
      transport.send([makeMessage({ type: MessageType.MsgHeartbeat, from: localId, to, term: 1, commit: Number(b) + i })]);
    }
  } else if (word === 'stop') {
    lines.close();
    process.stdin.destroy();
    void transport.stop().then(() => process.stdout.write('stopped\n'));
  }
});
