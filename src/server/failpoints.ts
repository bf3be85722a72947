// Failpoints for crash and slow-disk tests, after etcd's gofail: CAPSTAN_FAILPOINTS="name=action;..."
// is read once when the process starts. Unset, every hook is one test of a constant false.
//
// Actions: `panic` (log the name, then exit at once with status 2, no cleanup: a crash at that line),
// `sleep(ms)` (every hit waits: a slow disk), `off`; `N*action` lets the first N-1 hits pass and acts
// from the Nth on (`N*panic` panics on the Nth hit; `N*sleep(ms)` is a disk that turns slow later).
import { writeSync } from 'node:fs';

/** Every place product code can fail on purpose; docs/faults.md lists where each one sits. */
export const FAILPOINT_NAMES = [
  'raftBeforeSave',
  'raftAfterSave',
  'raftBeforeLeaderSend',
  'raftBeforeFollowerSend',
  'raftAfterSaveBeforeApply',
  'applyBeforeBackendCommit',
  'applyAfterBackendCommit',
  'raftBeforeSaveSnap',
  'raftAfterSaveSnap',
  'raftBeforeApplySnap',
  'raftAfterApplySnap',
  'walBeforeSync',
  'walBeforeCut',
  'walAfterCut',
  'compactBeforeCommitBatch',
  'compactAfterCommitBatch',
  'compactBeforeSetFinished',
  'compactAfterSetFinished',
  'defragBeforeCompact',
  'defragAfterCompact',
] as const;
export type FailpointName = (typeof FAILPOINT_NAMES)[number];

export type FailpointAction = { kind: 'panic'; fromHit: number } | { kind: 'sleep'; ms: number; fromHit: number } | { kind: 'off' };

/** Parses the variable's value; throws on anything it does not understand (a typo must not run silently). */
export function parseFailpoints(spec: string): Map<FailpointName, FailpointAction> {
  const known = new Set<string>(FAILPOINT_NAMES);
  const out = new Map<FailpointName, FailpointAction>();
  for (const part of spec.split(/[;,]/).map((s) => s.trim()).filter((s) => s.length > 0)) {
    const eq = part.indexOf('=');
    const name = eq < 0 ? part : part.slice(0, eq).trim();
    const action = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!known.has(name)) throw new Error(`CAPSTAN_FAILPOINTS: unknown failpoint "${name}" (known: ${FAILPOINT_NAMES.join(', ')})`);
    out.set(name as FailpointName, parseAction(name, action));
  }
  return out;
}

function parseAction(name: string, text: string): FailpointAction {
  if (text === 'off') return { kind: 'off' };
  const counted = /^(\d+)\*(.*)$/.exec(text);
  const fromHit = counted ? Number(counted[1]) : 1;
  const action = counted ? counted[2]! : text;
  if (fromHit >= 1 && action === 'panic') return { kind: 'panic', fromHit };
  const sleep = /^sleep\((\d+)\)$/.exec(action);
  if (fromHit >= 1 && sleep) return { kind: 'sleep', ms: Number(sleep[1]), fromHit };
  throw new Error(`CAPSTAN_FAILPOINTS: failpoint ${name} has an unknown action "${text}" (panic, N*panic, sleep(ms), off)`);
}

const configured: ReadonlyMap<FailpointName, FailpointAction> = Object.freeze(parseFailpoints(process.env.CAPSTAN_FAILPOINTS ?? ''));
const hits = new Map<FailpointName, number>();

/** False in every normal run: hooks test it first, so an unset variable costs no call and no await. */
export const failpointsSet: boolean = configured.size > 0;

/**
 * The hook: `if (failpointsSet) await failpoint('name');`. Returns undefined unless the failpoint sleeps; a panic never
 * returns. Only hooks on paths that may stall take a sleep, so every hook awaits what it gets.
 */
export function failpoint(name: FailpointName): Promise<void> | undefined {
  const action = configured.get(name);
  if (action === undefined || action.kind === 'off') return undefined;
  const hit = (hits.get(name) ?? 0) + 1;
  hits.set(name, hit);
  if (hit < action.fromHit) return undefined;
  if (action.kind === 'sleep') return new Promise((resolve) => setTimeout(resolve, action.ms));
  // Synchronous write, then exit without running anything else: as close to a crash on this line as
  // a process can do to itself. The harness looks for this line in the member's log.
  writeSync(2, `capstan: failpoint ${name} panic (hit ${hit})\n`);
  process.exit(2);
}

/** Whether any failpoint is configured (the server logs it at start, so a run with them is obvious). */
export function activeFailpoints(): string[] {
  return [...configured.keys()];
}
