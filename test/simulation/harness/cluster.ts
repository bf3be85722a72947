// N raft nodes in one process, driven in virtual time. Each node runs the loop a server runs
// (persist the Ready, send, apply, advance) over a MemoryStorage that plays the disk: a crash drops
// the RaftNode and everything it held in memory; a restart builds a new one from the storage.
import {
  ConfChangeType,
  type ConfState,
  type Entry,
  EntryType,
  MemoryStorage,
  MessageType,
  RaftNode,
  type Ready,
  SeededRng,
  StateType,
  decodeConfChange,
} from '../../../src/raft/index.js';
import { type LogView, SafetyChecker, chainHash } from './checker.js';
import { type NetworkConditions, SimNetwork } from './network.js';

export interface ClusterParams {
  initialNodes: number;
  preVote: boolean;
  checkQuorum: boolean;
  electionTick: number;
  heartbeatTick: number;
  maxInflightMsgs: number;
  maxSizePerMsg: number;
  /** Virtual time units per tick. */
  tickUnits: number;
  /** Leaders send a Ready's messages before persisting it. */
  leaderSendsFirst: boolean;
}

interface AppState {
  applied: number;
  hash: number;
  confState: ConfState;
}

export interface SimNode {
  id: bigint;
  storage: MemoryStorage;
  node: RaftNode | undefined;
  app: AppState;
  removed: boolean;
  tickPhase: number;
  /** Applied entries between snapshots (varies per node so snapshots land at different indexes). */
  snapshotEvery: number;
  persisted: { term: number; commit: number };
  /** Read requests in flight: context → the commit index observed when it was asked. */
  reads: Map<string, number>;
  restarts: number;
  /** Members this node applied the removal of (etcd keeps this in its membership store). */
  removedIds: Set<bigint>;
}

function encodeSnapshotData(app: AppState): Uint8Array {
  return new TextEncoder().encode(`${app.applied}:${app.hash}`);
}

function decodeSnapshotData(data: Uint8Array): { applied: number; hash: number } {
  const [a, h] = new TextDecoder().decode(data).split(':');
  return { applied: Number(a), hash: Number(h) };
}

function storageView(s: MemoryStorage): LogView {
  return {
    term: (i) => {
      try {
        return s.term(i);
      } catch {
        return undefined;
      }
    },
    firstIndex: () => s.firstIndex(),
    lastIndex: () => s.lastIndex(),
  };
}

function raftView(n: RaftNode): LogView {
  const log = n.raft.raftLog;
  return { term: (i) => log.term(i), firstIndex: () => log.firstIndex(), lastIndex: () => log.lastIndex() };
}

export class SimCluster {
  readonly nodes = new Map<bigint, SimNode>();
  readonly net: SimNetwork;
  readonly checker = new SafetyChecker();
  now = 0;
  nextId: bigint;
  /** Crash a node right after it persists its next Ready, before sending or applying. */
  crashAfterPersist = new Set<bigint>();
  readonly trace: string[] = [];
  private readSeq = 0;
  private readonly dirty = new Set<bigint>();
  private readonly readsIssued = new Set<string>();
  /** Index of the latest probe entry (calm-phase proposal) each node applied. */
  readonly probeApplied = new Map<bigint, number>();

  constructor(readonly rng: SeededRng, readonly params: ClusterParams, conditions: NetworkConditions, readonly traceOn: boolean) {
    this.net = new SimNetwork(new SeededRng(rng.nextU32()), conditions);
    const voters: bigint[] = [];
    for (let i = 1; i <= params.initialNodes; i++) voters.push(BigInt(i));
    this.nextId = BigInt(params.initialNodes + 1);
    for (const id of voters) {
      const storage = new MemoryStorage();
      RaftNode.bootstrap(storage, voters);
      this.addNode(id, storage);
    }
  }

  log(msg: string): void {
    if (this.traceOn) this.trace.push(`t=${this.now} ${msg}`);
  }

  private addNode(id: bigint, storage: MemoryStorage): SimNode {
    const sn: SimNode = {
      id,
      storage,
      node: undefined,
      app: { applied: 0, hash: 0, confState: { voters: [], learners: [] } },
      removed: false,
      tickPhase: this.rng.intn(this.params.tickUnits),
      snapshotEvery: 3 + this.rng.intn(25),
      persisted: { term: 0, commit: 0 },
      reads: new Map(),
      restarts: 0,
      removedIds: new Set(),
    };
    this.nodes.set(id, sn);
    this.start(sn);
    return sn;
  }

  /** A brand-new, empty member process (to be added by a conf change). */
  spawn(): bigint {
    const id = this.nextId++;
    this.addNode(id, new MemoryStorage());
    this.log(`spawn ${id}`);
    return id;
  }

  private start(sn: SimNode): void {
    const snap = sn.storage.snapshot();
    const hs = sn.storage.initialState().hardState;
    sn.persisted = { term: hs.term, commit: hs.commit };
    // The bootstrap commit (and anything persisted before a crash) counts as observed.
    if (hs.commit > 0) this.checker.onCommit(sn.id, hs.term, hs.commit, storageView(sn.storage));
    if (snap.metadata.index > 0) {
      const d = decodeSnapshotData(snap.data);
      sn.app = { applied: d.applied, hash: d.hash, confState: snap.metadata.confState };
    } else {
      sn.app = { applied: 0, hash: 0, confState: { voters: [], learners: [] } };
    }
    const p = this.params;
    sn.node = new RaftNode({
      id: sn.id,
      storage: sn.storage,
      electionTick: p.electionTick,
      heartbeatTick: p.heartbeatTick,
      preVote: p.preVote,
      checkQuorum: p.checkQuorum,
      maxInflightMsgs: p.maxInflightMsgs,
      maxSizePerMsg: p.maxSizePerMsg,
      maxUncommittedEntriesSize: 1 << 20,
      rng: new SeededRng(this.rng.nextU32()),
      applied: sn.app.applied,
    });
    sn.reads = new Map();
  }

  private shutdown(sn: SimNode, why: string): void {
    // As an etcd member does, a removed member stops for good.
    sn.removed = true;
    sn.node = undefined;
    this.log(`${sn.id} ${why}`);
  }

  crash(id: bigint): void {
    const sn = this.nodes.get(id);
    if (!sn || !sn.node) return;
    sn.node = undefined;
    this.crashAfterPersist.delete(id);
    this.log(`crash ${id}`);
  }

  restart(id: bigint): void {
    const sn = this.nodes.get(id);
    if (!sn || sn.node || sn.removed) return;
    sn.restarts++;
    this.start(sn);
    this.log(`restart ${id}`);
  }

  alive(): SimNode[] {
    return [...this.nodes.values()].filter((n) => n.node !== undefined);
  }

  leaders(): SimNode[] {
    return this.alive().filter((n) => n.node?.raft.state === StateType.Leader);
  }

  /** The leader with the highest term, if any. */
  leader(): SimNode | undefined {
    let best: SimNode | undefined;
    for (const n of this.leaders()) if (!best || (n.node?.raft.term ?? 0) > (best.node?.raft.term ?? 0)) best = n;
    return best;
  }

  /** Advances virtual time by one unit: deliver due messages, tick, run Ready loops. */
  stepTime(): void {
    this.now++;
    const dirty = this.dirty;
    dirty.clear();
    for (const m of this.net.take(this.now)) {
      const sn = this.nodes.get(m.to);
      if (!sn || !sn.node) {
        if (m.type === MessageType.MsgSnap) this.net.lostSnapshots.push({ from: m.from, to: m.to });
        continue;
      }
      // As etcd's transport does: a member refuses traffic from a member it knows was removed.
      if (sn.removedIds.has(m.from)) continue;
      sn.node.step(m);
      dirty.add(sn.id);
      if (m.type === MessageType.MsgSnap) {
        // The sender's transport reports the snapshot delivered.
        this.nodes.get(m.from)?.node?.reportSnapshot(m.to, 'finish');
        dirty.add(m.from);
      }
    }
    for (const lost of this.net.lostSnapshots.splice(0)) {
      const sender = this.nodes.get(lost.from)?.node;
      if (sender) {
        sender.reportSnapshot(lost.to, 'failure');
        dirty.add(lost.from);
      }
    }
    for (const sn of this.nodes.values()) {
      if (sn.node && this.now % this.params.tickUnits === sn.tickPhase) {
        sn.node.tick();
        dirty.add(sn.id);
      }
    }
    this.processReadies(dirty);
  }

  processReadies(ids: Iterable<bigint>): void {
    for (const id of ids) {
      const sn = this.nodes.get(id);
      // A Ready may produce more work (self-acks commit entries): loop, boundedly.
      for (let i = 0; i < 1000 && sn?.node?.hasReady(); i++) this.handleReady(sn, sn.node.ready());
      if (sn?.node?.hasReady()) this.checker.fail(`node ${id} still has work after 1000 Ready cycles`);
    }
  }

  private handleReady(sn: SimNode, rd: Ready): void {
    const node = sn.node;
    if (!node) return;
    const c: SafetyChecker = this.checker;
    // A leader may send before its own fsync (etcd does, and DESIGN.md's write path relies on it):
    // it counts itself for an entry only once advance() reports the entry persisted. A crash
    // between that send and the persist loses the leader's copy of what it sent.
    const sendFirst = this.params.leaderSendsFirst && node.raft.state === StateType.Leader;
    if (sendFirst) {
      for (const m of rd.messages) this.net.send(m, this.now);
      if (this.crashAfterPersist.has(sn.id)) {
        this.log(`${sn.id} crashes after sending, before persisting`);
        this.crash(sn.id);
        return;
      }
    }
    // 1. Persist: snapshot, entries, hard state ("fsync").
    if (rd.snapshot) {
      sn.storage.applySnapshot(rd.snapshot);
      const d = decodeSnapshotData(rd.snapshot.data);
      c.onSnapshotInstalled(sn.id, rd.snapshot.metadata.index, d.hash);
      sn.app = { applied: d.applied, hash: d.hash, confState: rd.snapshot.metadata.confState };
      this.log(`${sn.id} installed snapshot ${rd.snapshot.metadata.index}`);
    }
    if (rd.entries.length > 0) {
      sn.storage.append(rd.entries);
      const view = storageView(sn.storage);
      for (const e of rd.entries) {
        const prevTerm = view.term(e.index - 1);
        if (prevTerm === undefined) c.fail(`node ${sn.id} persisted ${e.index} without its predecessor`);
        c.onPersisted(sn.id, e, prevTerm);
      }
    }
    if (rd.hardState) {
      c.onPersistedHardState(sn.id, sn.persisted, rd.hardState);
      sn.storage.setHardState(rd.hardState);
      sn.persisted = { term: rd.hardState.term, commit: rd.hardState.commit };
      c.onCommit(sn.id, rd.hardState.term, rd.hardState.commit, storageView(sn.storage));
    }
    if (this.crashAfterPersist.has(sn.id)) {
      this.crash(sn.id);
      return;
    }
    if (rd.softState?.raftState === StateType.Leader) {
      this.log(`${sn.id} became leader of term ${node.raft.term}`);
      c.onLeader(sn.id, node.raft.term, raftView(node));
    }
    // 2. Send (a follower only after persisting: its acknowledgements promise durability).
    if (!sendFirst) for (const m of rd.messages) this.net.send(m, this.now);
    // 3. Apply.
    for (const e of rd.committedEntries) {
      this.apply(sn, e);
      if (!sn.node) return; // removed itself and shut down
    }
    for (const rs of rd.readStates) {
      const key = new TextDecoder().decode(rs.requestCtx);
      const minIndex = sn.reads.get(key);
      if (minIndex === undefined) {
        // A duplicated response, or one for a request made before this node restarted.
        if (!this.readsIssued.has(key)) c.fail(`node ${sn.id} got a read state for unknown context ${key}`);
        continue;
      }
      sn.reads.delete(key);
      this.log(`${sn.id} read ${key} at index ${rs.index}`);
      c.onReadState(sn.id, rs.index, minIndex);
    }
    node.advance();
    this.maybeSnapshot(sn);
  }

  private apply(sn: SimNode, e: Entry): void {
    const node = sn.node;
    if (!node) return;
    if (e.index !== sn.app.applied + 1) this.checker.fail(`node ${sn.id} applied ${e.index} after ${sn.app.applied}`);
    sn.app.applied = e.index;
    sn.app.hash = chainHash(sn.app.hash, e);
    this.checker.onApplied(sn.id, e, sn.app.hash);
    if (e.type !== EntryType.EntryConfChange) {
      // "probe" in ASCII: calm-phase proposals, used by the liveness check.
      if (e.data.length > 5 && e.data[0] === 0x70 && e.data[1] === 0x72 && e.data[2] === 0x6f) this.probeApplied.set(sn.id, e.index);
      return;
    }
    const cc = decodeConfChange(e.data);
    sn.app.confState = node.applyConfChange(cc);
    if (cc.type === ConfChangeType.RemoveNode) sn.removedIds.add(cc.nodeId);
    if (cc.type === ConfChangeType.RemoveNode && cc.nodeId === sn.id) this.shutdown(sn, 'applied its own removal and stops');
  }

  private maybeSnapshot(sn: SimNode): void {
    const snapIndex = sn.storage.snapshot().metadata.index;
    if (sn.app.applied - snapIndex < sn.snapshotEvery) return;
    sn.storage.createSnapshot(sn.app.applied, sn.app.confState, encodeSnapshotData(sn.app));
    // Keep a few entries so slightly-behind followers can still be caught up from the log.
    const keep = this.rng.intn(4);
    const compactTo = sn.app.applied - keep;
    if (compactTo > sn.storage.firstIndex()) sn.storage.compact(compactTo);
  }

  propose(sn: SimNode, data: Uint8Array): boolean {
    try {
      sn.node?.propose(data);
      this.processReadies([sn.id]);
      return true;
    } catch {
      return false;
    }
  }

  proposeConfChange(sn: SimNode, type: ConfChangeType, nodeId: bigint): void {
    try {
      sn.node?.proposeConfChange({ type, nodeId, context: new Uint8Array(0) });
      this.log(`${sn.id} proposes conf change ${ConfChangeType[type]} ${nodeId}`);
    } catch {
      // Dropped (no leader, transfer in progress): fine, as a client would retry or give up.
    }
    this.processReadies([sn.id]);
  }

  readIndex(sn: SimNode): void {
    if (!sn.node) return;
    const key = `read-${this.readSeq++}`;
    try {
      sn.node.readIndex(new TextEncoder().encode(key));
      sn.reads.set(key, this.checker.maxCommitted);
      this.log(`${sn.id} asks read ${key} (${StateType[sn.node.raft.state]} term ${sn.node.raft.term}, lead ${sn.node.raft.lead}, commit ${sn.node.raft.raftLog.committed}; cluster commit ${this.checker.maxCommitted})`);
      this.readsIssued.add(key);
    } catch {
      // No leader known: the server would answer "not leader"/retry.
    }
    this.processReadies([sn.id]);
  }

  transfer(sn: SimNode, to: bigint): void {
    sn.node?.transferLeader(to);
    this.log(`${sn.id} transfers leadership to ${to}`);
    this.processReadies([sn.id]);
  }
}
