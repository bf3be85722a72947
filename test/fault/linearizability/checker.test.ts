import { describe, expect, it } from 'vitest';
import { checkOperations, explainResult } from './checker.js';
import { NEVER_RETURNED, type Operation } from './history.js';
import { registerModel, type RegisterInput, type RegisterOutput } from './registerModel.js';

type Op = Operation<RegisterInput, RegisterOutput>;
let nextId = 0;
const op = (clientId: number, call: number, ret: number, input: RegisterInput, value: string): Op =>
  ({ id: nextId++, clientId, input, output: { value }, call, return: ret });
const put = (c: number, call: number, ret: number, key: string, value: string): Op => op(c, call, ret, { op: 'put', key, value }, '');
const get = (c: number, call: number, ret: number, key: string, value: string): Op => op(c, call, ret, { op: 'get', key, value: '' }, value);

// Porcupine's own examples for its key-value model, and the search's edge cases.
describe('checker (register model)', () => {
  it('accepts a concurrent history that has a linearization', () => {
    const history = [put(0, 0, 10, 'x', '1'), get(1, 5, 15, 'x', '1'), put(2, 12, 20, 'x', '2'), get(3, 16, 25, 'x', '2')];
    const result = checkOperations(registerModel, history);
    expect(result.verdict).toBe('ok');
    expect(result.partitions[0]!.witness).toHaveLength(4);
  });

  it('rejects a read of a value after a later write finished (stale read)', () => {
    const history = [put(0, 0, 10, 'x', '1'), put(1, 11, 20, 'x', '2'), get(2, 21, 30, 'x', '1')];
    const result = checkOperations(registerModel, history);
    expect(result.verdict).toBe('illegal');
    expect(explainResult(registerModel, history, result)).toContain('get(x) -> 1');
  });

  it('rejects two readers who see two writes in opposite orders', () => {
    const history = [
      put(0, 0, 100, 'x', 'a'), put(1, 0, 100, 'x', 'b'),
      get(2, 10, 20, 'x', 'a'), get(2, 30, 40, 'x', 'b'),
      get(3, 10, 20, 'x', 'b'), get(3, 30, 40, 'x', 'a'),
    ];
    expect(checkOperations(registerModel, history).verdict).toBe('illegal');
  });

  it('lets an operation that never returned take effect late, or never', () => {
    const late = [put(0, 0, NEVER_RETURNED, 'x', '1'), get(1, 5, 10, 'x', ''), get(1, 50, 60, 'x', '1')];
    expect(checkOperations(registerModel, late).verdict).toBe('ok');
    const never = [put(0, 0, NEVER_RETURNED, 'x', '1'), get(1, 5, 10, 'x', ''), get(1, 50, 60, 'x', '')];
    expect(checkOperations(registerModel, never).verdict).toBe('ok');
    const before = [get(1, 0, 4, 'x', '1'), put(0, 5, NEVER_RETURNED, 'x', '1')];
    expect(checkOperations(registerModel, before).verdict).toBe('illegal');
  });

  it('partitions by key: a violation on one key is found among many good ones', () => {
    const history: Op[] = [];
    for (let k = 0; k < 50; k++) {
      history.push(put(k, k * 10, k * 10 + 5, `k${k}`, `${k}`), get(k, k * 10 + 6, k * 10 + 8, `k${k}`, `${k}`));
    }
    expect(checkOperations(registerModel, history)).toMatchObject({ verdict: 'ok' });
    expect(checkOperations(registerModel, history).partitions).toHaveLength(50);
    history.push(get(99, 1000, 1001, 'k7', 'nope'));
    expect(checkOperations(registerModel, history).verdict).toBe('illegal');
  });

  it('touching intervals count as concurrent (calls sort before returns at equal times)', () => {
    const history = [put(0, 0, 10, 'x', '1'), get(1, 10, 20, 'x', '')];
    expect(checkOperations(registerModel, history).verdict).toBe('ok');
  });

  it('backtracks through a long chain of concurrent appends', () => {
    // 7 concurrent appends and a read that saw one particular order: the search must find it
    // (every order is a distinct state, so this is the memo table's worst case: 13,699 states).
    const history: Op[] = [];
    const letters = 'abcdefg'.split('');
    for (const [i, l] of letters.entries()) history.push(op(i, 0, 100, { op: 'append', key: 'x', value: l }, ''));
    history.push(get(20, 101, 102, 'x', [...letters].reverse().join('')));
    expect(checkOperations(registerModel, history).verdict).toBe('ok');
    history.push(get(21, 103, 104, 'x', letters.join('')));
    expect(checkOperations(registerModel, history).verdict).toBe('illegal');
  });

  it('says unknown rather than guessing when it runs out of time', () => {
    const history: Op[] = [];
    for (let i = 0; i < 22; i++) history.push(op(i, 0, 100, { op: 'append', key: 'x', value: String.fromCharCode(97 + i) }, ''));
    history.push(get(30, 101, 102, 'x', 'impossible'));
    const result = checkOperations(registerModel, history, { timeoutMs: 50 });
    expect(result.verdict).toBe('unknown');
  });

  it('refuses malformed histories loudly', () => {
    expect(() => checkOperations(registerModel, [put(0, 10, 5, 'x', '1')])).toThrow(/before its call/);
    const a = put(0, 0, 1, 'x', '1');
    expect(() => checkOperations(registerModel, [a, { ...a }])).toThrow(/duplicate/);
  });
});
