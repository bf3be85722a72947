import { applyRequest, EtcdState } from './etcdState.js';
import type { EtcdRequest, EtcdResponse, KvView, OpResult } from './etcdTypes.js';
import type { Model } from './model.js';

/*
 * etcd as a Porcupine model. The revision is global, so the history cannot be partitioned by key
 * (as etcd's own robustness model says). Operations with unknown outcomes make the model
 * non-deterministic: the state is a set of candidate states; an unknown operation forks each
 * candidate (applied, or not), a known outcome keeps only the candidates that explain it.
 */

export type EtcdStates = readonly EtcdState[];

function sameKv(a: KvView, b: KvView): boolean {
  return a.key === b.key && a.value === b.value && a.modRevision === b.modRevision &&
    a.createRevision === b.createRevision && a.version === b.version && a.lease === b.lease;
}

export function sameResult(expected: OpResult, observed: OpResult): boolean {
  switch (expected.type) {
    case 'put':
    case 'leaseGrant':
    case 'leaseRevoke':
      return observed.type === expected.type;
    case 'delete':
      return observed.type === 'delete' && observed.deleted === expected.deleted;
    case 'range':
      return observed.type === 'range' && observed.kvs.length === expected.kvs.length &&
        expected.kvs.every((kv, i) => sameKv(kv, observed.kvs[i]!));
    case 'txn':
      return observed.type === 'txn' && observed.succeeded === expected.succeeded &&
        observed.results.length === expected.results.length &&
        expected.results.every((r, i) => sameResult(r, observed.results[i]!));
  }
}

/** Every state `state` can be in after `request` answered with `response` (none: impossible). */
export function stepOne(state: EtcdState, request: EtcdRequest, response: EtcdResponse): EtcdState[] {
  const applied = applyRequest(state, request);
  switch (response.status) {
    case 'unknown':
      return applied.ok && applied.state !== state ? [state, applied.state] : [state];
    case 'error':
      if (response.error === 'not-sent') return [state];
      return !applied.ok && applied.error === response.error ? [state] : [];
    case 'ok':
      return applied.ok && applied.revision === response.revision && sameResult(applied.result, response.result)
        ? [applied.state]
        : [];
  }
}

export function describeRequest(r: EtcdRequest): string {
  const op = (o: EtcdRequest): string => {
    switch (o.type) {
      case 'put': return `put(${o.key}=${o.value}${o.lease ? `, lease ${o.lease}` : ''})`;
      case 'delete': return `delete(${o.key})`;
      case 'range': return o.rangeEnd === undefined ? `get(${o.key})` : `range(${o.key}..${o.rangeEnd})`;
      case 'leaseGrant': return `leaseGrant(${o.id})`;
      case 'leaseRevoke': return `leaseRevoke(${o.id})`;
      case 'txn': {
        const cmp = o.compare.map((c) => `${c.target}(${c.key})${c.result}${String(c.operand)}`).join(' && ');
        return `txn(if ${cmp} then ${o.success.map(op).join('; ')} else ${o.failure.map(op).join('; ')})`;
      }
    }
  };
  return op(r);
}

export function describeResult(r: OpResult): string {
  switch (r.type) {
    case 'range': return `[${r.kvs.map((kv) => `${kv.key}=${kv.value}@${kv.modRevision}/c${kv.createRevision}/v${kv.version}/l${kv.lease}`).join(', ')}]`;
    case 'delete': return `deleted ${r.deleted}`;
    case 'txn': return `${r.succeeded ? 'succeeded' : 'failed'} ${r.results.map(describeResult).join('; ')}`;
    default: return 'ok';
  }
}

export function describeResponse(r: EtcdResponse): string {
  switch (r.status) {
    case 'unknown': return 'unknown outcome';
    case 'error': return `error ${r.error}`;
    case 'ok': return `rev ${r.revision} ${describeResult(r.result)}`;
  }
}

export interface EtcdModelOptions {
  /** The store's revision when the history begins (a fresh etcd is at 1). */
  initialRevision?: number;
  /** Keys, leases that already exist when the history begins. */
  initialState?: EtcdState;
}

export function etcdModel(options: EtcdModelOptions = {}): Model<EtcdStates, EtcdRequest, EtcdResponse> {
  const start = options.initialState ?? EtcdState.initial(options.initialRevision ?? 1);
  return {
    init: () => [start],
    step(states, request, response) {
      const next = new Map<string, EtcdState>();
      for (const s of states) for (const n of stepOne(s, request, response)) next.set(n.key, n);
      if (next.size === 0) return null;
      return [...next.keys()].sort().map((k) => next.get(k)!);
    },
    key: (states) => (states.length === 1 ? states[0]!.key : states.map((s) => s.key).join(' || ')),
    describeOperation: (request, response) => `${describeRequest(request)} -> ${describeResponse(response)}`,
    describeState: (states) => states.map((s) => s.key).join(' || '),
  };
}
