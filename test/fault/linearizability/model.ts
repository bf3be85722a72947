import type { Operation } from './history.js';

/**
 * A sequential specification, as in Porcupine: `step` must be pure. `key` is the state's identity for
 * memoization (two states with the same key must behave identically from then on).
 */
export interface Model<State, Input, Output> {
  init(): State;
  /** The state after applying `input` with the observed `output`, or null when that output is impossible. */
  step(state: State, input: Input, output: Output): State | null;
  key(state: State): string;
  /**
   * Splits a history into independent sub-histories (P-compositionality): the whole is linearizable iff
   * every part is. Absent: one partition.
   */
  partition?(ops: readonly Operation<Input, Output>[]): Operation<Input, Output>[][];
  describeOperation?(input: Input, output: Output): string;
  describeState?(state: State): string;
}
