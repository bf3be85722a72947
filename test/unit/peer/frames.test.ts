// The wire format, the bounded queue, the backoff and the URL picker on their own.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Backoff } from '../../../src/server/peer/backoff.js';
import { UrlPicker } from '../../../src/server/peer/dialTarget.js';
import {
  ConnectionKind,
  decodeHello,
  decodeRejected,
  decodeRequest,
  decodeResponse,
  decodeSnapshotHeader,
  decodeSnapshotResult,
  encodeFrame,
  encodeHello,
  encodeRejected,
  encodeRequest,
  encodeResponse,
  encodeSnapshotHeader,
  encodeSnapshotResult,
  FrameError,
  FrameReader,
  FrameType,
  MAX_FRAME_BODY_BYTES,
} from '../../../src/server/peer/frames.js';
import { SendQueue } from '../../../src/server/peer/sendQueue.js';

function only(frames: { type: FrameType; body: Buffer }[]) {
  expect(frames.length).toBe(1);
  return frames[0]!;
}

describe('frames', () => {
  it('a stream of frames split at arbitrary points reads back the same frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(FrameType.RaftMessage, FrameType.Request, FrameType.SnapshotChunk), fc.uint8Array({ maxLength: 300 })), { maxLength: 20 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 50 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames.map(([t, b]) => encodeFrame(t, b)));
          const reader = new FrameReader();
          const got: { type: FrameType; body: Buffer }[] = [];
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const n = cuts[i % cuts.length]!;
            got.push(...reader.push(bytes.subarray(at, at + n)));
            at += n;
          }
          expect(reader.pendingBytes).toBe(0);
          expect(got.map((f) => [f.type, new Uint8Array(f.body)])).toEqual(frames.map(([t, b]) => [t, b]));
        },
      ),
    );
  });

  it('refuses an unknown frame type and an oversized length before buffering the body', () => {
    const bad = Buffer.from([0, 0, 0, 1, 99, 0]);
    expect(() => new FrameReader().push(bad)).toThrow(FrameError);
    const huge = Buffer.alloc(5);
    huge.writeUInt32BE(MAX_FRAME_BODY_BYTES + 1, 0);
    huge.writeUInt8(FrameType.RaftMessage, 4);
    expect(() => new FrameReader().push(huge)).toThrow(/exceeds/);
  });

  it('bodies round-trip', () => {
    const hello = { version: 1, kind: ConnectionKind.Snapshot, clusterId: 0xffffffffffffffffn, from: 1n, to: 0x8e9e05c52164694dn, peerUrls: ['http://10.0.0.1:2380', 'unix:///run/p.sock'] };
    expect(decodeHello(only(new FrameReader().push(encodeHello({ ...hello, peerUrls: [] }))).body).peerUrls).toEqual([]);
    expect(decodeHello(only(new FrameReader().push(encodeHello(hello))).body)).toEqual(hello);
    expect(() => decodeHello(Buffer.alloc(3))).toThrow(FrameError);

    const req = { id: 0xffffffff, kind: 'lease-keepalive', payload: new Uint8Array([1, 2, 3]) };
    const r = decodeRequest(only(new FrameReader().push(encodeRequest(req))).body);
    expect({ ...r, payload: new Uint8Array(r.payload) }).toEqual(req);

    const ok = decodeResponse(only(new FrameReader().push(encodeResponse({ id: 7, error: null, payload: Buffer.from('x') }))).body);
    expect([ok.id, ok.error, Buffer.from(ok.payload).toString()]).toEqual([7, null, 'x']);
    const failed = decodeResponse(only(new FrameReader().push(encodeResponse({ id: 8, error: 'etcdserver: no leader', payload: new Uint8Array(0) }))).body);
    expect([failed.id, failed.error]).toEqual([8, 'etcdserver: no leader']);

    const header = decodeSnapshotHeader(only(new FrameReader().push(encodeSnapshotHeader({ message: Buffer.from('m'), dataLength: 2 ** 40 }))).body);
    expect([header.dataLength, Buffer.from(header.message).toString()]).toEqual([2 ** 40, 'm']);
    expect(decodeRejected(only(new FrameReader().push(encodeRejected({ clusterId: 0xabcn, reason: 'cluster ID mismatch' }))).body)).toEqual({ clusterId: 0xabcn, reason: 'cluster ID mismatch' });
    expect(decodeSnapshotResult(only(new FrameReader().push(encodeSnapshotResult(false, 'disk full'))).body)).toEqual({ ok: false, reason: 'disk full' });
  });
});

describe('SendQueue', () => {
  it('bounds frames and bytes, keeps order, and batches up to a byte budget', () => {
    const q = new SendQueue({ maxFrames: 3, maxBytes: 100 });
    expect(q.offer([Buffer.alloc(40, 1)])).toBe(true);
    expect(q.offer([Buffer.alloc(40, 2)])).toBe(true);
    expect(q.offer([Buffer.alloc(40, 3)])).toBe(false); // bytes
    expect(q.offer([Buffer.alloc(10, 4)])).toBe(true);
    expect(q.offer([Buffer.alloc(1, 5)])).toBe(false); // count
    expect([q.length, q.byteLength]).toEqual([3, 90]);
    const batch = q.takeBatch(80);
    expect(batch.map((f) => f[0]![0])).toEqual([1, 2]);
    expect(q.takeBatch(1).map((f) => f[0]![0])).toEqual([4]); // at least one frame, even over budget
    expect(q.offer([Buffer.alloc(5), Buffer.alloc(7)])).toBe(true); // a frame in parts counts all its bytes
    expect([q.length, q.byteLength]).toEqual([1, 12]);
    q.clear();
    expect([q.length, q.byteLength]).toEqual([0, 0]);
    expect(q.offer([Buffer.alloc(500)])).toBe(true); // one oversized frame through an empty queue
    expect(q.clear()).toBe(1);
  });

  it('stays consistent over many offers and takes', () => {
    const q = new SendQueue({ maxFrames: 5000, maxBytes: 1 << 20 });
    let next = 0;
    let expected = 0;
    let outOfOrder = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) {
        const b = Buffer.alloc(4);
        b.writeUInt32BE(next++);
        if (!q.offer([b])) throw new Error('refused below the bound');
      }
      for (const f of q.takeBatch(4 * 70)) if (Buffer.from(f[0]!).readUInt32BE(0) !== expected++) outOfOrder++;
    }
    for (const f of q.takeBatch(1 << 30)) if (Buffer.from(f[0]!).readUInt32BE(0) !== expected++) outOfOrder++;
    expect([expected, outOfOrder, q.length, q.byteLength]).toEqual([next, 0, 0, 0]);
  });
});

describe('Backoff', () => {
  it('doubles from min to max with jitter in [d/2, d], and resets', () => {
    let r = 1 - 1e-9;
    const b = new Backoff({ minMs: 100, maxMs: 2000, random: () => r });
    expect([b.next(), b.next(), b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    r = 0;
    b.reset();
    expect([b.next(), b.next()]).toEqual([50, 100]);
    for (let i = 0; i < 100; i++) expect(b.next()).toBeLessThanOrEqual(2000);
    expect(() => new Backoff({ minMs: 0, maxMs: 1 })).toThrow();
  });
});

describe('UrlPicker', () => {
  it('stays on the current URL, rotates on failure, and reports when an update drops it', () => {
    const p = new UrlPicker(['http://127.0.0.1:1', 'http://127.0.0.1:2']);
    expect(p.current.port).toBe(1);
    p.failed();
    expect(p.current.port).toBe(2);
    p.failed();
    expect(p.current.port).toBe(1);
    expect(p.update(['http://127.0.0.1:3', 'http://127.0.0.1:1'])).toBe(false);
    expect(p.current.port).toBe(1);
    expect(p.update(['http://127.0.0.1:4'])).toBe(true);
    expect(p.current.port).toBe(4);
  });

  it('refuses URLs it cannot dial, up front; https:// is dialled (over TLS) at the same address', () => {
    expect(() => new UrlPicker([])).toThrow(/at least one URL/);
    expect(() => new UrlPicker(['127.0.0.1:2380'])).toThrow();
    expect(new UrlPicker(['https://127.0.0.1:2380']).current.port).toBe(2380);
  });
});
