// Raw consensus throughput: committed entries per second for 3 and 5 RaftNodes in one process,
// messages delivered in memory at once, MemoryStorage as the "disk". It measures the raft core
// alone (no I/O, no codec on the hot path), like etcd's raft benchmarks.
//
//   npx tsc -p tsconfig.json && node dist/bench/raft.js [entries] [payloadBytes] [batch]
import { performance } from 'node:perf_hooks';
import { EntryType, MemoryStorage, type Message, RaftNode, SeededRng, StateType } from '../src/raft/index.js';

interface Member {
  node: RaftNode;
  storage: MemoryStorage;
  applied: number;
}

function makeCluster(size: number): Map<bigint, Member> {
  const ids = Array.from({ length: size }, (_, i) => BigInt(i + 1));
  const members = new Map<bigint, Member>();
  for (const id of ids) {
    const storage = new MemoryStorage();
    RaftNode.bootstrap(storage, ids);
    const node = new RaftNode({
      id,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      rng: new SeededRng(Number(id)),
      maxSizePerMsg: 1024 * 1024,
      maxInflightMsgs: 256,
      checkQuorum: true,
      preVote: true,
    });
    members.set(id, { node, storage, applied: 0 });
  }
  return members;
}

/** Runs every member's Ready loop once and returns the messages they sent. */
function drain(members: Map<bigint, Member>): Message[] {
  const out: Message[] = [];
  for (const m of members.values()) {
    if (!m.node.hasReady()) continue;
    const rd = m.node.ready();
    if (rd.snapshot) m.storage.applySnapshot(rd.snapshot);
    m.storage.append(rd.entries);
    if (rd.hardState) m.storage.setHardState(rd.hardState);
    for (const msg of rd.messages) out.push(msg);
    for (const e of rd.committedEntries) {
      if (e.type === EntryType.EntryNormal && e.data.length > 0) m.applied++;
    }
    m.node.advance();
  }
  return out;
}

function settle(members: Map<bigint, Member>): void {
  for (let round = 0; round < 10_000; round++) {
    const msgs = drain(members);
    if (msgs.length === 0) return;
    for (const msg of msgs) members.get(msg.to)?.node.step(msg);
  }
  throw new Error('cluster did not settle');
}

function run(size: number, entries: number, payload: number, batch: number): { perSec: number; ms: number } {
  const members = makeCluster(size);
  settle(members);
  const first = members.get(1n);
  if (!first) throw new Error('no member 1');
  first.node.campaign();
  settle(members);
  if (first.node.raft.state !== StateType.Leader) throw new Error('member 1 did not become leader');
  const data = new Uint8Array(payload);
  const start = performance.now();
  let proposed = 0;
  while (proposed < entries) {
    for (let i = 0; i < batch && proposed < entries; i++, proposed++) first.node.propose(data);
    settle(members);
  }
  const ms = performance.now() - start;
  for (const m of members.values()) {
    if (m.applied !== entries) throw new Error(`member applied ${m.applied} of ${entries}`);
  }
  return { perSec: Math.round((entries / ms) * 1000), ms: Math.round(ms) };
}

const entries = Number(process.argv[2] ?? '200000');
const payload = Number(process.argv[3] ?? '128');
const batch = Number(process.argv[4] ?? '64');
run(3, Math.min(entries, 20_000), payload, batch); // warm-up
for (const size of [3, 5]) {
  const r = run(size, entries, payload, batch);
  console.log(`raft core, ${size} nodes: ${entries} entries of ${payload} B in batches of ${batch}: ${r.ms} ms, ${r.perSec} committed entries/s`);
}
