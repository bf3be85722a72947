import { applyRequest, EtcdState } from './etcdState.js';
import type { EtcdRequest, EtcdResponse } from './etcdTypes.js';
import { NEVER_RETURNED, type Operation } from './history.js';

/*
 * Linearizable etcd histories for the checker's own tests: clients issue operations with overlapping
 * intervals; each takes effect at a random point inside its interval, in that order, against the
 * real state, so the recorded outputs are a correct execution by construction.
 */

export interface SimulationOptions {
  seed: number;
  clients: number;
  operations: number;
  keys: number;
  /** Probability an operation's outcome is lost (it still takes effect with probability 1/2). */
  unknownRate?: number;
}

export function rng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    // mulberry32
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Slot {
  clientId: number;
  call: number;
  at: number;
  ret: number;
}

export function simulateHistory(options: SimulationOptions): Operation<EtcdRequest, EtcdResponse>[] {
  const random = rng(options.seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const keys = Array.from({ length: options.keys }, (_, i) => `k${i}`);
  const slots: Slot[] = [];
  const perClient = Math.ceil(options.operations / options.clients);
  for (let c = 0; c < options.clients; c++) {
    let t = random() * 10;
    for (let i = 0; i < perClient && slots.length < options.operations; i++) {
      const call = t;
      const at = call + random() * 10;
      const ret = at + random() * 10;
      slots.push({ clientId: c, call, at, ret });
      t = ret + random() * 3;
    }
  }
  slots.sort((a, b) => a.at - b.at);
  let state = EtcdState.initial();
  let nextValue = 0;
  let nextLease = 1;
  const leases: number[] = [];
  const ops: Operation<EtcdRequest, EtcdResponse>[] = [];
  for (const [id, slot] of slots.entries()) {
    const key = pick(keys);
    const roll = random();
    let request: EtcdRequest;
    if (roll < 0.3) request = { type: 'put', key, value: `v${nextValue++}` };
    else if (roll < 0.55) request = { type: 'range', key };
    else if (roll < 0.62) request = { type: 'range', key: 'k', rangeEnd: 'l' };
    else if (roll < 0.7) request = { type: 'delete', key };
    else if (roll < 0.85) {
      const current = state.view(key)?.modRevision ?? 0;
      const operand = random() < 0.6 ? current : Math.max(0, current - 1);
      request = { type: 'txn', compare: [{ key, target: 'mod', result: '==', operand }], success: [{ type: 'put', key, value: `v${nextValue++}` }], failure: [{ type: 'range', key }] };
    } else if (roll < 0.9) {
      request = { type: 'leaseGrant', id: nextLease, ttl: 3600 };
      leases.push(nextLease++);
    } else if (roll < 0.95 && leases.length > 0) request = { type: 'put', key, value: `v${nextValue++}`, lease: pick(leases) };
    else if (leases.length > 0) request = { type: 'leaseRevoke', id: pick(leases) };
    else request = { type: 'range', key };

    const lost = random() < (options.unknownRate ?? 0);
    const takesEffect = !lost || random() < 0.5;
    let output: EtcdResponse = { status: 'unknown' };
    if (takesEffect) {
      const applied = applyRequest(state, request);
      if (applied.ok) {
        state = applied.state;
        if (!lost) output = { status: 'ok', revision: applied.revision, result: applied.result };
      } else if (!lost) output = { status: 'error', error: applied.error };
    }
    ops.push({ id, clientId: slot.clientId, input: request, call: slot.call, output, return: lost ? NEVER_RETURNED : slot.ret });
  }
  return ops.sort((a, b) => a.call - b.call);
}
