/*
 * A recorded history: every operation a client invoked, with what it asked, what came back, and when
 * (one monotonic clock for every client). An operation whose outcome is unknown (a timeout, a dropped
 * connection) may or may not have taken effect; it returns at `NEVER_RETURNED`, so it may be linearized
 * anywhere after its call, as Porcupine does.
 */

export const NEVER_RETURNED = Number.POSITIVE_INFINITY;

export interface Operation<Input, Output> {
  /** Unique within a history; the checker reports operations by this id. */
  id: number;
  clientId: number;
  input: Input;
  /** Invocation time. */
  call: number;
  output: Output;
  /** Response time; `NEVER_RETURNED` when the outcome is unknown. */
  return: number;
}

/** Throws on a history no checker should be handed: duplicate ids, returns before calls, NaN times. */
export function assertWellFormed<I, O>(ops: readonly Operation<I, O>[]): void {
  const ids = new Set<number>();
  for (const op of ops) {
    if (ids.has(op.id)) throw new Error(`history: duplicate operation id ${op.id}`);
    ids.add(op.id);
    if (!Number.isFinite(op.call)) throw new Error(`history: operation ${op.id} has call time ${op.call}`);
    if (Number.isNaN(op.return) || op.return < op.call) {
      throw new Error(`history: operation ${op.id} returns at ${op.return}, before its call at ${op.call}`);
    }
  }
}
