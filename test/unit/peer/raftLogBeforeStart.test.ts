// The transport listens (and so delivers peers' messages) before the member has started its raft
// log: member.ts starts the transport, then replays and starts the log. A message stepped in
// that window must not make raft hand out committed entries with nobody to apply them.

import { describe, expect, it } from 'vitest';
import { makeMessage, MessageType } from '../../../src/raft/index.js';
import { foundingEntries, openTestRaftLog } from './raftLogSupport.js';

describe('RaftLog and early peer messages', () => {
  it('a heartbeat stepped before start() is not fatal', async () => {
    const { log, fatal } = await openTestRaftLog({ bootstrap: foundingEntries([1n, 2n, 3n]) });
    log.step(makeMessage({ type: MessageType.MsgHeartbeat, from: 2n, to: 1n, term: 2, commit: 3 }), null);
    // The loop runs on later turns; give it a few.
    await new Promise((r) => setTimeout(r, 300));
    expect(fatal.map((e) => e.message)).toEqual([]);
  });
});
