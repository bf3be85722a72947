import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CodecError,
  ConfChangeType,
  EntryType,
  MessageType,
  decodeConfChange,
  decodeConfState,
  decodeEntry,
  decodeHardState,
  decodeMessage,
  decodeSnapshot,
  decodeSnapshotMetadata,
  encodeConfChange,
  encodeConfState,
  encodeEntry,
  encodeHardState,
  encodeMessage,
  encodeSnapshot,
  encodeSnapshotMetadata,
  makeMessage,
  type Message,
} from './raft-exports.js';

const num = fc.oneof(fc.nat(300), fc.maxSafeNat());
const id = fc.bigInt({ min: 0n, max: 0xffffffffffffffffn });
const bytesArb = fc.uint8Array({ maxLength: 40 });
const entry = fc.record({
  term: num,
  index: num,
  type: fc.constantFrom(EntryType.EntryNormal, EntryType.EntryConfChange),
  data: bytesArb,
});
const confState = fc.record({ voters: fc.array(id, { maxLength: 5 }), learners: fc.array(id, { maxLength: 3 }) });
const metadata = fc.record({ confState, index: num, term: num });
const snapshot = fc.record({ data: bytesArb, metadata });
const messageTypes = Object.values(MessageType).filter((v): v is MessageType => typeof v === 'number');
const message: fc.Arbitrary<Message> = fc
  .record({
    type: fc.constantFrom(...messageTypes),
    to: id,
    from: id,
    term: num,
    logTerm: num,
    index: num,
    entries: fc.array(entry, { maxLength: 4 }),
    commit: num,
    reject: fc.boolean(),
    rejectHint: num,
    context: bytesArb,
    snapshot: fc.option(snapshot, { nil: undefined }),
  })
  .map((m) => {
    const { snapshot: s, ...rest } = m;
    return s === undefined ? rest : { ...rest, snapshot: s };
  });

describe('raft codec', () => {
  it('round-trips messages', () => {
    fc.assert(fc.property(message, (m) => {
      expect(decodeMessage(encodeMessage(m))).toEqual(m);
    }), { numRuns: 500 });
  });

  it('decodes a message with the keys, in the order, of one the core makes', () => {
    // V8 gives objects whose keys were added in the same order the same hidden class: a leader steps
    // its own proposals and decoded ones, and a second shape deoptimised its step code the first time
    // a follower forwarded a write.
    const made = makeMessage({ type: MessageType.MsgProp, from: 2n, to: 1n, term: 3, entries: [{ term: 0, index: 0, type: EntryType.EntryNormal, data: new Uint8Array([1]) }] });
    expect(Object.keys(decodeMessage(encodeMessage(made)))).toEqual(Object.keys(made));
  });

  it('round-trips entries, hard states, conf states, snapshots and conf changes', () => {
    fc.assert(fc.property(entry, (e) => {
      expect(decodeEntry(encodeEntry(e))).toEqual(e);
    }));
    fc.assert(fc.property(fc.record({ term: num, vote: id, commit: num }), (hs) => {
      expect(decodeHardState(encodeHardState(hs))).toEqual(hs);
    }));
    fc.assert(fc.property(confState, (cs) => {
      expect(decodeConfState(encodeConfState(cs))).toEqual(cs);
    }));
    fc.assert(fc.property(metadata, (md) => {
      expect(decodeSnapshotMetadata(encodeSnapshotMetadata(md))).toEqual(md);
    }));
    fc.assert(fc.property(snapshot, (s) => {
      expect(decodeSnapshot(encodeSnapshot(s))).toEqual(s);
    }));
    const cc = fc.record({
      type: fc.constantFrom(ConfChangeType.AddNode, ConfChangeType.RemoveNode, ConfChangeType.UpdateNode, ConfChangeType.AddLearnerNode),
      nodeId: id,
      context: bytesArb,
    });
    fc.assert(fc.property(cc, (c) => {
      expect(decodeConfChange(encodeConfChange(c))).toEqual(c);
    }));
  });

  it('rejects every strict prefix, trailing bytes and the wrong record kind', () => {
    fc.assert(
      fc.property(message, (m) => {
        const buf = encodeMessage(m);
        for (let cut = 0; cut < buf.length; cut++) expect(() => decodeMessage(buf.subarray(0, cut))).toThrow(CodecError);
        const longer = new Uint8Array(buf.length + 1);
        longer.set(buf);
        expect(() => decodeMessage(longer)).toThrow(/trailing/);
        expect(() => decodeEntry(buf)).toThrow(/record tag/);
      }),
      { numRuns: 100 },
    );
  });

  it('rejects values it cannot represent', () => {
    expect(() => encodeHardState({ term: -1, vote: 0n, commit: 0 })).toThrow(CodecError);
    expect(() => encodeHardState({ term: 1.5, vote: 0n, commit: 0 })).toThrow(CodecError);
    expect(() => encodeHardState({ term: 1, vote: -1n, commit: 0 })).toThrow(CodecError);
    const bad = encodeEntry({ term: 1, index: 1, type: EntryType.EntryNormal, data: new Uint8Array() });
    bad[3] = 9;
    expect(() => decodeEntry(bad)).toThrow(/entry type/);
  });
});
