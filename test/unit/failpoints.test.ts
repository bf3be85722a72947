import { describe, expect, it } from 'vitest';
import { FAILPOINT_NAMES, parseFailpoints } from '../../src/server/failpoints.js';

describe('CAPSTAN_FAILPOINTS parsing', () => {
  it('reads panic, sleep(ms), N*action and off, separated by ; or ,', () => {
    const parsed = parseFailpoints('raftBeforeSave=panic; walBeforeSync=sleep(250),compactBeforeCommitBatch=3*panic;raftAfterSave=off;walBeforeCut=7*sleep(10)');
    expect(parsed.get('raftBeforeSave')).toEqual({ kind: 'panic', fromHit: 1 });
    expect(parsed.get('walBeforeSync')).toEqual({ kind: 'sleep', ms: 250, fromHit: 1 });
    expect(parsed.get('compactBeforeCommitBatch')).toEqual({ kind: 'panic', fromHit: 3 });
    expect(parsed.get('walBeforeCut')).toEqual({ kind: 'sleep', ms: 10, fromHit: 7 });
    expect(parsed.get('raftAfterSave')).toEqual({ kind: 'off' });
    expect(parseFailpoints('').size).toBe(0);
  });

  it('refuses unknown names and actions instead of running without them', () => {
    expect(() => parseFailpoints('raftBeforeSav=panic')).toThrow(/unknown failpoint "raftBeforeSav"/);
    expect(() => parseFailpoints('raftBeforeSave=crash')).toThrow(/unknown action "crash"/);
    expect(() => parseFailpoints('raftBeforeSave=0*panic')).toThrow(/unknown action/);
    expect(() => parseFailpoints('raftBeforeSave')).toThrow(/unknown action ""/);
  });

  it('names are unique', () => {
    expect(new Set(FAILPOINT_NAMES).size).toBe(FAILPOINT_NAMES.length);
  });
});
