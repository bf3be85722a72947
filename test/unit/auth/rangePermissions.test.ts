import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KeyRanges } from '../../../src/server/auth/rangePermissions.js';

const b = (s: string) => Buffer.from(s, 'latin1');
const perm = (key: string, rangeEnd = '') => ({ key: b(key), rangeEnd: b(rangeEnd) });

describe('KeyRanges (etcd rangePermCache semantics)', () => {
  it('a single-key permission covers that key only', () => {
    const r = new KeyRanges([perm('foo')]);
    expect(r.covers(b('foo'), b(''))).toBe(true);
    expect(r.covers(b('foo0'), b(''))).toBe(false);
    expect(r.covers(b('fo'), b(''))).toBe(false);
    expect(r.covers(b('foo'), b('fop'))).toBe(false);
  });

  it('a prefix permission covers keys and sub-ranges under it, not beyond', () => {
    const r = new KeyRanges([perm('app/', 'app0')]);
    expect(r.covers(b('app/'), b(''))).toBe(true);
    expect(r.covers(b('app/x/y'), b(''))).toBe(true);
    expect(r.covers(b('app/a'), b('app/b'))).toBe(true);
    expect(r.covers(b('app/'), b('app0'))).toBe(true);
    expect(r.covers(b('app/'), b('app1'))).toBe(false);
    expect(r.covers(b('app/'), b('\0'))).toBe(false);
    expect(r.covers(b('app'), b(''))).toBe(false);
  });

  it('from-key permission ("\\0" range end) covers everything from the key on', () => {
    const r = new KeyRanges([perm('m', '\0')]);
    expect(r.covers(b('m'), b('\0'))).toBe(true);
    expect(r.covers(b('zzz'), b(''))).toBe(true);
    expect(r.covers(b('n'), b('\xff\xff'))).toBe(true);
    expect(r.covers(b('l'), b(''))).toBe(false);
    expect(r.covers(b('a'), b('\0'))).toBe(false);
  });

  it('adjacent and overlapping permissions join', () => {
    const r = new KeyRanges([perm('a', 'c'), perm('c', 'e'), perm('d', 'g')]);
    expect(r.covers(b('a'), b('g'))).toBe(true);
    expect(r.covers(b('a'), b('h'))).toBe(false);
    const gap = new KeyRanges([perm('a', 'c'), perm('d', 'e')]);
    expect(gap.covers(b('a'), b('e'))).toBe(false);
  });

  it('no permissions cover nothing', () => {
    expect(new KeyRanges([]).covers(b('a'), b(''))).toBe(false);
  });

  it('agrees with a key-by-key model on a small alphabet', () => {
    const alphabet = ['', 'a', 'b', 'c', 'aa', 'ab', 'b\0', 'ba', 'c\0'];
    const key = fc.constantFrom(...alphabet.filter((k) => k !== ''));
    const end = fc.constantFrom(...alphabet, '\0');
    const sorted = [...alphabet.filter((k) => k !== '')].sort();
    const inRange = (k: string, start: string, e: string) =>
      e === '' ? k === start : e === '\0' ? k >= start : k >= start && k < e;
    fc.assert(
      fc.property(fc.array(fc.tuple(key, end), { maxLength: 4 }), key, end, (perms, k, e) => {
        const r = new KeyRanges(perms.map(([pk, pe]) => perm(pk, pe)));
        const covered = (x: string) => perms.some(([pk, pe]) => inRange(x, pk, pe));
        // Over the alphabet only: if the model says some key in the request is not covered, neither may the union.
        const requested = sorted.filter((x) => inRange(x, k, e));
        if (requested.some((x) => !covered(x))) expect(r.covers(b(k), b(e))).toBe(false);
        // A single key request is exactly the model.
        if (e === '') expect(r.covers(b(k), b(''))).toBe(covered(k));
      }),
      { numRuns: 500 },
    );
  });
});
