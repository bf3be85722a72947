// Membership as Raft thesis §4.1 has it: a node's configuration is the latest one in its log,
// whether committed or not. ConfigHistory holds the configuration of the snapshot the log starts
// from (base) and every conf change in the log after it, so the configuration at any index — and
// after a truncation of the log's tail — can be recomputed.
import { decodeConfChange } from './codec.js';
import { type ConfChange, ConfChangeType, type ConfState, type Entry, EntryType, NONE, type NodeId } from './types.js';

export interface Config {
  voters: Set<NodeId>;
  learners: Set<NodeId>;
}

export function applyToConfig(cfg: Config, cc: ConfChange): void {
  if (cc.nodeId === NONE) return;
  switch (cc.type) {
    case ConfChangeType.AddNode:
      cfg.learners.delete(cc.nodeId);
      cfg.voters.add(cc.nodeId);
      break;
    case ConfChangeType.AddLearnerNode:
      cfg.voters.delete(cc.nodeId);
      cfg.learners.add(cc.nodeId);
      break;
    case ConfChangeType.RemoveNode:
      cfg.voters.delete(cc.nodeId);
      cfg.learners.delete(cc.nodeId);
      break;
    case ConfChangeType.UpdateNode:
      break;
  }
}

function byId(a: NodeId, b: NodeId): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function toConfState(cfg: Config): ConfState {
  return { voters: [...cfg.voters].sort(byId), learners: [...cfg.learners].sort(byId) };
}

export class ConfigHistory {
  private base: ConfState = { voters: [], learners: [] };
  private changes: { index: number; cc: ConfChange }[] = [];

  /** Starts over from a snapshot's configuration (the log holds nothing after it yet). */
  reset(base: ConfState): void {
    this.base = base;
    this.changes = [];
  }

  /**
   * Records entries appended at ents[0].index onwards, replacing any conf change recorded at or
   * after that index. Returns whether the latest configuration may have changed.
   */
  onAppend(ents: Entry[]): boolean {
    const first = ents[0];
    if (!first) return false;
    const before = this.changes.length;
    while (this.changes.length > 0 && (this.changes[this.changes.length - 1] as { index: number }).index >= first.index) this.changes.pop();
    let changed = this.changes.length !== before;
    for (const e of ents) {
      if (e.type !== EntryType.EntryConfChange) continue;
      this.changes.push({ index: e.index, cc: decodeConfChange(e.data) });
      changed = true;
    }
    return changed;
  }

  /** The configuration once every conf change up to `index` applies. */
  at(index: number): Config {
    const cfg: Config = { voters: new Set(this.base.voters), learners: new Set(this.base.learners) };
    for (const { index: i, cc } of this.changes) {
      if (i > index) break;
      applyToConfig(cfg, cc);
    }
    return cfg;
  }

  latest(): Config {
    return this.at(Number.MAX_SAFE_INTEGER);
  }

  /** Index of the last conf change in the log, or 0. */
  lastChangeIndex(): number {
    return this.changes[this.changes.length - 1]?.index ?? 0;
  }
}
