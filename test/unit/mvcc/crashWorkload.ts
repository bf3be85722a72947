// A deterministic stream of log entries for the crash test: entry i always has the same effect, so
// a store that replays from its consistent index must end where an uninterrupted one does.

import type { MvccStore } from '../../../src/mvcc/store.js';

const b = (s: string) => Buffer.from(s);
const none = Buffer.alloc(0);

export async function applyEntry(store: MvccStore, i: number): Promise<void> {
  const key = b(`k${(i * 7) % 40}`);
  if (i % 97 === 0) {
    const rev = store.currentRevision - 5;
    if (rev > store.compactRevision) await store.applyCompaction({ revision: rev, physical: false });
  } else if (i % 11 === 0) {
    await store.applyDeleteRange({ key, rangeEnd: b(`k${(i * 7) % 40}z`), prevKv: false });
  } else if (i % 5 === 0) {
    await store.applyTxn({
      compare: [{ result: 'GREATER', target: 'VERSION', key, rangeEnd: none, version: 1, createRevision: 0, modRevision: 0, value: none, lease: 0n }],
      success: [{ put: { key, value: b(`t${i}`), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } }],
      failure: [
        { put: { key, value: b(`f${i}`), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } },
        { put: { key: b(`side${i % 3}`), value: b(`s${i}`), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false } },
      ],
    });
  } else {
    await store.applyPut({ key, value: b(`v${i}-${'x'.repeat(i % 50)}`), lease: 0n, prevKv: false, ignoreValue: false, ignoreLease: false });
  }
}
