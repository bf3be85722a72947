// A synchronous in-process cluster for raft unit tests: each node is a RaftNode over a
// MemoryStorage, driven by the ready/persist/send/apply/advance loop an application runs.
import {
  type ConfState,
  type Entry,
  EntryType,
  type Message,
  MessageType,
  MemoryStorage,
  RaftNode,
  type RaftNodeConfig,
  type ReadState,
  SeededRng,
  StateType,
  decodeConfChange,
} from '../../../src/raft/index.js';

export interface TestNode {
  id: bigint;
  node: RaftNode;
  storage: MemoryStorage;
  applied: Entry[];
  readStates: ReadState[];
  confState: ConfState | undefined;
}

export type Filter = (m: Message) => boolean;

export function ents(...terms: number[]): Entry[] {
  return terms.map((term, i) => ({ term, index: i + 1, type: EntryType.EntryNormal, data: new Uint8Array([i]) }));
}

export function bytes(s: string): Uint8Array {
  return new TextEncoder().encode(s);
}

export function text(b: Uint8Array): string {
  return new TextDecoder().decode(b);
}

export class TestNet {
  readonly nodes = new Map<bigint, TestNode>();
  private readonly filters: Filter[] = [];
  /** Rewrites a message in flight (after filters); undefined leaves it unchanged. */
  mapper: ((m: Message) => Message) | undefined = undefined;
  /** Every message handed to the network, delivered or not. */
  readonly sent: Message[] = [];
  private queue: Message[] = [];
  private seed = 1;

  constructor(readonly defaults: Partial<RaftNodeConfig> = {}) {}

  /** A fresh cluster of voters `ids`, optionally each with a preset log and term. */
  static of(ids: number[], defaults: Partial<RaftNodeConfig> = {}, logs?: Map<number, { entries: Entry[]; term: number }>): TestNet {
    const net = new TestNet(defaults);
    const voters = ids.map(BigInt);
    for (const id of ids) {
      const storage = new MemoryStorage();
      const preset = logs?.get(id);
      if (logs) {
        storage.presetConfState({ voters, learners: [] });
        if (preset) {
          storage.append(preset.entries);
          storage.setHardState({ term: preset.term, vote: 0n, commit: 0 });
        }
      } else {
        RaftNode.bootstrap(storage, voters);
      }
      net.add(BigInt(id), storage);
    }
    // Apply the bootstrap conf changes so every member knows the configuration.
    net.settle();
    return net;
  }

  add(id: bigint, storage: MemoryStorage, extra: Partial<RaftNodeConfig> = {}): TestNode {
    const node = new RaftNode({
      id,
      storage,
      electionTick: 10,
      heartbeatTick: 1,
      rng: new SeededRng(this.seed++),
      maxInflightMsgs: 256,
      ...this.defaults,
      ...extra,
    });
    const tn: TestNode = { id, node, storage, applied: [], readStates: [], confState: undefined };
    this.nodes.set(id, tn);
    return tn;
  }

  get(id: number | bigint): TestNode {
    const n = this.nodes.get(BigInt(id));
    if (!n) throw new Error(`no node ${id}`);
    return n;
  }

  raft(id: number | bigint): RaftNode['raft'] {
    return this.get(id).node.raft;
  }

  addFilter(f: Filter): void {
    this.filters.push(f);
  }

  clearFilters(): void {
    this.filters.length = 0;
  }

  isolate(id: number): void {
    const b = BigInt(id);
    this.addFilter((m) => m.from === b || m.to === b);
  }

  cut(a: number, b: number): void {
    const x = BigInt(a);
    const y = BigInt(b);
    this.addFilter((m) => (m.from === x && m.to === y) || (m.from === y && m.to === x));
  }

  dropType(t: MessageType): void {
    this.addFilter((m) => m.type === t);
  }

  /** Runs every node's Ready cycle once; returns whether any node had one. */
  processReadies(): boolean {
    let any = false;
    for (const tn of this.nodes.values()) {
      if (!tn.node.hasReady()) continue;
      any = true;
      const rd = tn.node.ready();
      if (rd.snapshot) {
        tn.storage.applySnapshot(rd.snapshot);
        tn.confState = rd.snapshot.metadata.confState;
      }
      tn.storage.append(rd.entries);
      if (rd.hardState) tn.storage.setHardState(rd.hardState);
      for (const m of rd.messages) {
        this.sent.push(m);
        if (!this.filters.some((f) => f(m))) this.queue.push(this.mapper ? this.mapper(m) : m);
      }
      for (const e of rd.committedEntries) {
        if (e.type === EntryType.EntryConfChange) tn.confState = tn.node.applyConfChange(decodeConfChange(e.data));
        tn.applied.push(e);
      }
      tn.readStates.push(...rd.readStates);
      tn.node.advance();
    }
    return any;
  }

  /** Delivers queued messages and runs Ready cycles until nothing is left (bounded). */
  settle(maxRounds = 10_000): void {
    for (let round = 0; round < maxRounds; round++) {
      const worked = this.processReadies();
      if (this.queue.length === 0 && !worked) return;
      const batch = this.queue;
      this.queue = [];
      for (const m of batch) this.deliver(m);
    }
    throw new Error('network did not settle');
  }

  deliver(m: Message): void {
    const target = this.nodes.get(m.to);
    if (!target) return;
    target.node.step(m);
    if (m.type === MessageType.MsgSnap) this.nodes.get(m.from)?.node.reportSnapshot(m.to, 'finish');
  }

  /** Injects a message from outside (as if it arrived from the network) and settles. */
  send(m: Message): void {
    this.deliver(m);
    this.settle();
  }

  tick(id: number, n = 1): void {
    for (let i = 0; i < n; i++) {
      this.get(id).node.tick();
      this.settle();
    }
  }

  tickAll(n = 1): void {
    for (let i = 0; i < n; i++) {
      for (const tn of this.nodes.values()) tn.node.tick();
      this.settle();
    }
  }

  campaign(id: number): void {
    this.get(id).node.campaign();
    this.settle();
  }

  propose(id: number, data: string | Uint8Array): void {
    this.get(id).node.propose(typeof data === 'string' ? bytes(data) : data);
    this.settle();
  }

  state(id: number): StateType {
    return this.raft(id).state;
  }

  leaders(): bigint[] {
    return [...this.nodes.values()].filter((n) => n.node.raft.state === StateType.Leader).map((n) => n.id);
  }

  /** Data of normal, non-empty applied entries, as text. */
  appliedData(id: number): string[] {
    return this.get(id).applied.filter((e) => e.type === EntryType.EntryNormal && e.data.length > 0).map((e) => text(e.data));
  }

  logTerms(id: number): number[] {
    const r = this.raft(id).raftLog;
    const out: number[] = [];
    for (let i = r.firstIndex(); i <= r.lastIndex(); i++) out.push(r.term(i) ?? -1);
    return out;
  }
}
