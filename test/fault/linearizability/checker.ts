import { LinearizedSet, sameWords } from './bitset.js';
import { assertWellFormed, type Operation } from './history.js';
import type { Model } from './model.js';

/*
 * Porcupine's checker (Wing & Gong's backtracking search with Lowe's memoization, per partition):
 * the history becomes a doubly linked list of call and return events in time order. Scanning from the
 * head, a call whose operation the model accepts in the current state is linearized (lifted out of the
 * list with its return) unless the pair (linearized set, state) was seen before; reaching a return
 * whose call is still in the list means nothing left can be linearized before it, so the search
 * backtracks. An empty list is a witness; an empty stack at a return is proof of a violation.
 */

export type CheckVerdict = 'ok' | 'illegal' | 'unknown';

export interface PartitionResult<I, O> {
  verdict: CheckVerdict;
  operations: number;
  /** When ok: the operations in a valid linearization order. */
  witness: number[] | null;
  /** The longest prefix the search could linearize (ids), for diagnosing a violation. */
  longestPrefix: number[];
  /** Operations still unlinearized when the longest prefix was reached, whose calls precede the first
   * pending return: at least one of them is the culprit of a violation. */
  stuckAt: Operation<I, O>[];
  statesExplored: number;
}

export interface CheckResult<I, O> {
  verdict: CheckVerdict;
  partitions: PartitionResult<I, O>[];
  elapsedMs: number;
}

export interface CheckOptions {
  /** Whole-check time budget; past it the verdict is 'unknown' (never a false 'ok' or 'illegal'). */
  timeoutMs?: number;
  /** Seed for the memo hashes (only affects speed, never the verdict). */
  seed?: number;
  /** Memo table bound per partition; past it the verdict is 'unknown' rather than running out of memory. */
  maxStates?: number;
}

interface Entry {
  readonly isCall: boolean;
  readonly index: number;
  readonly time: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

function buildList<I, O>(ops: readonly Operation<I, O>[]): Entry {
  const events: Entry[] = [];
  ops.forEach((op, index) => {
    const call: Entry = { isCall: true, index, time: op.call, match: null, prev: null, next: null };
    const ret: Entry = { isCall: false, index, time: op.return, match: null, prev: null, next: null };
    call.match = ret;
    events.push(call, ret);
  });
  // Calls before returns on equal times: operations that touch at an instant count as concurrent.
  events.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.index - b.index : a.isCall ? -1 : 1));
  const head: Entry = { isCall: false, index: -1, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of events) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return head;
}

function lift(entry: Entry): void {
  const match = entry.match;
  if (entry.prev === null || match === null || match.prev === null) throw new Error('invariant: lifting an unlinked entry');
  entry.prev.next = entry.next;
  if (entry.next !== null) entry.next.prev = entry.prev;
  match.prev.next = match.next;
  if (match.next !== null) match.next.prev = match.prev;
}

function unlift(entry: Entry): void {
  const match = entry.match;
  if (entry.prev === null || match === null || match.prev === null) throw new Error('invariant: unlifting an unlinked entry');
  match.prev.next = match;
  if (match.next !== null) match.next.prev = match;
  entry.prev.next = entry;
  if (entry.next !== null) entry.next.prev = entry;
}

const DEADLINE_CHECK_EVERY = 1024;

function checkPartition<S, I, O>(
  model: Model<S, I, O>,
  ops: readonly Operation<I, O>[],
  deadline: number,
  seed: number,
  maxStates: number,
): PartitionResult<I, O> {
  const head = buildList(ops);
  const linearized = new LinearizedSet(ops.length, seed);
  const cache = new Map<string, Uint32Array[]>();
  const stack: Array<{ entry: Entry; state: S }> = [];
  let state = model.init();
  let entry = head.next;
  let longest: number[] = [];
  let stuckAt: Operation<I, O>[] = [];
  let explored = 0;
  let iterations = 0;

  const noteLongest = (): void => {
    if (stack.length <= longest.length) return;
    longest = stack.map((s) => ops[s.entry.index]!.id);
    // The candidates now: every call before the first return still in the list.
    const window: Operation<I, O>[] = [];
    for (let e: Entry | null = head.next; e !== null && e.isCall; e = e.next) window.push(ops[e.index]!);
    stuckAt = window;
  };

  while (head.next !== null) {
    if (++iterations % DEADLINE_CHECK_EVERY === 0 && (Date.now() > deadline || explored > maxStates)) {
      return { verdict: 'unknown', operations: ops.length, witness: null, longestPrefix: longest, stuckAt, statesExplored: explored };
    }
    if (entry === null) throw new Error('invariant: scan ran off the list without reaching a return');
    if (entry.isCall) {
      const op = ops[entry.index]!;
      const next = model.step(state, op.input, op.output);
      if (next !== null) {
        const key = `${linearized.hashWith(entry.index)}|${model.key(next)}`;
        const words = linearized.snapshotWith(entry.index);
        const bucket = cache.get(key);
        if (bucket === undefined || !bucket.some((w) => sameWords(w, words))) {
          if (bucket === undefined) cache.set(key, [words]);
          else bucket.push(words);
          explored++;
          stack.push({ entry, state });
          state = next;
          linearized.add(entry.index);
          lift(entry);
          noteLongest();
          entry = head.next;
          continue;
        }
      }
      entry = entry.next;
    } else {
      // A return whose call is unlinearized: backtrack.
      const top = stack.pop();
      if (top === undefined) {
        noteLongest();
        if (stuckAt.length === 0) {
          const window: Operation<I, O>[] = [];
          for (let e: Entry | null = head.next; e !== null && e.isCall; e = e.next) window.push(ops[e.index]!);
          stuckAt = window;
        }
        return { verdict: 'illegal', operations: ops.length, witness: null, longestPrefix: longest, stuckAt, statesExplored: explored };
      }
      state = top.state;
      linearized.remove(top.entry.index);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  const witness = stack.map((s) => ops[s.entry.index]!.id);
  if (witness.length !== ops.length) throw new Error('invariant: empty list but not every operation linearized');
  return { verdict: 'ok', operations: ops.length, witness, longestPrefix: witness, stuckAt: [], statesExplored: explored };
}

/** Checks a history against a model; partitions (if the model has them) are checked one by one. */
export function checkOperations<S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: CheckOptions = {},
): CheckResult<I, O> {
  assertWellFormed(history);
  const started = Date.now();
  const deadline = started + (options.timeoutMs ?? 60_000);
  const partitions = model.partition ? model.partition(history) : [history.slice()];
  const counted = partitions.reduce((n, p) => n + p.length, 0);
  if (counted !== history.length) throw new Error(`invariant: partitions hold ${counted} operations, history ${history.length}`);
  const results: PartitionResult<I, O>[] = [];
  let verdict: CheckVerdict = 'ok';
  for (const part of partitions) {
    const result = checkPartition(model, part, deadline, options.seed ?? 1, options.maxStates ?? 2_000_000);
    results.push(result);
    if (result.verdict === 'illegal') {
      verdict = 'illegal';
      break;
    }
    if (result.verdict === 'unknown') verdict = 'unknown';
  }
  return { verdict, partitions: results, elapsedMs: Date.now() - started };
}

/** A readable account of a violation: the longest linearizable prefix's end state and the operations stuck. */
export function explainResult<S, I, O>(model: Model<S, I, O>, history: readonly Operation<I, O>[], result: CheckResult<I, O>): string {
  const lines: string[] = [`verdict: ${result.verdict} (${result.elapsedMs} ms)`];
  const byId = new Map(history.map((op) => [op.id, op]));
  const describe = (op: Operation<I, O>): string =>
    `#${op.id} client ${op.clientId} [${op.call}, ${op.return}] ` +
    (model.describeOperation ? model.describeOperation(op.input, op.output) : JSON.stringify({ input: op.input, output: op.output }));
  for (const part of result.partitions) {
    if (part.verdict === 'ok') continue;
    lines.push(`partition of ${part.operations} operations: ${part.verdict}, ${part.statesExplored} states explored`);
    let state: S | null = model.init();
    for (const id of part.longestPrefix) {
      const op = byId.get(id);
      if (op === undefined || state === null) break;
      state = model.step(state, op.input, op.output);
    }
    lines.push(`longest linearizable prefix: ${part.longestPrefix.length} operations; last 5:`);
    for (const id of part.longestPrefix.slice(-5)) {
      const op = byId.get(id);
      if (op !== undefined) lines.push(`  ${describe(op)}`);
    }
    if (state !== null) lines.push(`state after it: ${model.describeState ? model.describeState(state) : model.key(state)}`);
    lines.push('none of these could be linearized next:');
    for (const op of part.stuckAt.slice(0, 20)) lines.push(`  ${describe(op)}`);
  }
  return lines.join('\n');
}
