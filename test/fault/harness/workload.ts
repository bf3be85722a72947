import type { EtcdRequest, EtcdResponse, OpResult } from '../linearizability/etcdTypes.js';
import { NEVER_RETURNED, type Operation } from '../linearizability/history.js';
import { rng } from '../linearizability/simulatedHistory.js';
import type { RunClock } from './clock.js';
import type { MemberClient } from './etcdClient.js';

/*
 * The mixed traffic of a fault run, weighted after etcd's EtcdPutDeleteLease profile: gets and lists,
 * puts, deletes, kube-style compare-and-swap (if mod_revision == what I last saw then put else get),
 * two-key txns, puts with leases, lease grants and revokes. Every put writes a value no other put
 * writes. A few keys under one prefix keep operations colliding.
 */

export const KEY_PREFIX = '/f/';
export const PREFIX_END = '/f0';
const KEY_COUNT = 8;
const LEASE_TTL_S = 3_600;

type Op = Operation<EtcdRequest, EtcdResponse>;

export interface WorkloadOptions {
  seed: number;
  clientId: number;
  client: () => MemberClient;
  clock: RunClock;
  endAt: number;
  history: Op[];
  nextId: () => number;
  /** Pause between a client's operations, so a run is tens of operations a second, not thousands. */
  thinkMs: number;
  /** Pause after an unknown outcome (the member is probably down). */
  backoffMs: number;
  maxOperations: number;
}

const WEIGHTS: ReadonlyArray<[kind: string, weight: number]> = [
  ['get', 15], ['list', 8], ['put', 20], ['delete', 5], ['cas', 15], ['txn2', 5], ['putLease', 5], ['grant', 3], ['revoke', 3],
];
const TOTAL_WEIGHT = WEIGHTS.reduce((n, [, w]) => n + w, 0);

export async function runClient(o: WorkloadOptions): Promise<void> {
  const random = rng(o.seed * 7919 + o.clientId + 1);
  const keys = Array.from({ length: KEY_COUNT }, (_, i) => `${KEY_PREFIX}${i}`);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
  const lastMod = new Map<string, number>();
  const leases: number[] = [];
  let seq = 0;
  const value = (): string => `c${o.clientId}-${seq++}`;

  const choose = (): EtcdRequest => {
    let roll = random() * TOTAL_WEIGHT;
    let kind = WEIGHTS[0]![0];
    for (const [k, w] of WEIGHTS) {
      if (roll < w) {
        kind = k;
        break;
      }
      roll -= w;
    }
    const key = pick(keys);
    switch (kind) {
      case 'get': return { type: 'range', key };
      case 'list': return { type: 'range', key: KEY_PREFIX, rangeEnd: PREFIX_END };
      case 'delete': return { type: 'delete', key };
      case 'cas': return {
        type: 'txn',
        compare: [{ key, target: 'mod', result: '==', operand: lastMod.get(key) ?? 0 }],
        success: [{ type: 'put', key, value: value() }],
        failure: [{ type: 'range', key }],
      };
      case 'txn2': {
        const other = keys[(keys.indexOf(key) + 1 + Math.floor(random() * (KEY_COUNT - 1))) % KEY_COUNT]!;
        return { type: 'txn', compare: [], success: [{ type: 'put', key, value: value() }, { type: 'put', key: other, value: value() }], failure: [] };
      }
      case 'putLease':
        if (leases.length > 0) return { type: 'put', key, value: value(), lease: pick(leases) };
        return { type: 'leaseGrant', id: (o.clientId + 1) * 1_000_000 + seq++, ttl: LEASE_TTL_S };
      case 'grant': return { type: 'leaseGrant', id: (o.clientId + 1) * 1_000_000 + seq++, ttl: LEASE_TTL_S };
      case 'revoke':
        if (leases.length > 0) return { type: 'leaseRevoke', id: leases.splice(Math.floor(random() * leases.length), 1)[0]! };
        return { type: 'range', key };
      default: return { type: 'put', key, value: value() };
    }
  };

  const learn = (request: EtcdRequest, response: EtcdResponse): void => {
    if (response.status !== 'ok') return;
    const visit = (r: OpResult): void => {
      if (r.type === 'range') for (const kv of r.kvs) lastMod.set(kv.key, kv.modRevision);
      if (r.type === 'txn') r.results.forEach(visit);
    };
    visit(response.result);
    if (request.type === 'put') lastMod.set(request.key, response.revision);
    if (request.type === 'delete') lastMod.set(request.key, 0);
    if (request.type === 'txn' && response.result.type === 'txn' && response.result.succeeded) {
      for (const op of request.success) if (op.type === 'put') lastMod.set(op.key, response.revision);
    }
    if (request.type === 'leaseGrant') leases.push(request.id);
  };

  for (let n = 0; n < o.maxOperations && o.clock.now() < o.endAt; n++) {
    const request = choose();
    const call = o.clock.now();
    const response = await o.client().execute(request);
    const returned = response.status === 'unknown' ? NEVER_RETURNED : o.clock.now();
    o.history.push({ id: o.nextId(), clientId: o.clientId, input: request, call, output: response, return: returned });
    learn(request, response);
    const unreachable = response.status === 'unknown' || (response.status === 'error' && response.error === 'not-sent');
    const pause = unreachable ? o.backoffMs : random() * o.thinkMs;
    await new Promise((r) => setTimeout(r, pause));
  }
}
