import type { Operation } from './history.js';
import type { Model } from './model.js';

/*
 * Porcupine's key-value test model: per key a string register with get/put/append. It has no global
 * state, so histories partition by key; the checker's partitioning is tested with it.
 */

export interface RegisterInput {
  op: 'get' | 'put' | 'append';
  key: string;
  value: string;
}

export interface RegisterOutput {
  value: string;
}

export const registerModel: Model<string, RegisterInput, RegisterOutput> = {
  init: () => '',
  step(state, input, output) {
    switch (input.op) {
      case 'get': return output.value === state ? state : null;
      case 'put': return input.value;
      case 'append': return state + input.value;
    }
  },
  key: (state) => state,
  partition(ops: readonly Operation<RegisterInput, RegisterOutput>[]) {
    const byKey = new Map<string, Operation<RegisterInput, RegisterOutput>[]>();
    for (const op of ops) {
      const list = byKey.get(op.input.key);
      if (list === undefined) byKey.set(op.input.key, [op]);
      else list.push(op);
    }
    return [...byKey.values()];
  },
  describeOperation: (input, output) => `${input.op}(${input.key}${input.op === 'get' ? '' : `, ${input.value}`}) -> ${output.value}`,
};
