import { readFileSync } from 'node:fs';
import http2 from 'node:http2';
import path from 'node:path';
import grpc from '@grpc/grpc-js';
import { Etcd3 } from 'etcd3';
import { describe, expect, it } from 'vitest';
import { protoRoot } from '../../src/server/proto/load.js';
import { useProcessHarness } from '../support/harness.js';
import { freePorts, type MemberProcess, startCapstan, tempDir } from '../support/processes.js';

// A client that opens many watches on one stream and does not read its responses must not grow the
// member's memory: once the stream's send buffer is full, the member stops reading that stream's
// requests and hands its watchers nothing (they catch up from history, a few at a time, when it
// drains), and other clients keep being served.

/** Far below what the unbounded cases buffer (one watcher and response per create; a response per watch per put). */
const RSS_GROWTH_LIMIT_BYTES = 200 * 1024 * 1024;

const WatchRequest = protoRoot.lookupType('etcdserverpb.WatchRequest');
const WatchResponse = protoRoot.lookupType('etcdserverpb.WatchResponse');
const identity = (b: Buffer) => b;

/** The member's peak resident set size so far (Linux /proc). */
function peakRssBytes(member: MemberProcess): number {
  const status = readFileSync(`/proc/${member.pid}/status`, 'utf8');
  const m = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!m) throw new Error(`no VmHWM in /proc/${member.pid}/status`);
  return Number(m[1]) * 1024;
}

/**
 * Watches the member's peak RSS for a while (the member may still be working through what the client
 * sent) and fails as soon as it has grown past the limit.
 */
async function expectBoundedGrowth(member: MemberProcess, before: number, windowMs = 5_000, limit = RSS_GROWTH_LIMIT_BYTES): Promise<void> {
  const until = Date.now() + windowMs;
  let growth = 0;
  for (let i = 0; i < 1_000 && Date.now() < until; i++) {
    growth = peakRssBytes(member) - before;
    if (growth >= limit) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`peak RSS grew by ${(growth / 1048576).toFixed(0)} MiB`);
  expect(growth, `peak RSS grew by ${(growth / 1048576).toFixed(0)} MiB`).toBeLessThan(limit);
  expect(member.isRunning()).toBe(true);
}

function createRequest(key: string): Buffer {
  return Buffer.from(WatchRequest.encode(WatchRequest.fromObject({ create_request: { key: Buffer.from(key), prev_kv: true } })).finish());
}

async function startMember(): Promise<MemberProcess> {
  const [clientPort, peerPort] = await freePorts(2);
  return startCapstan({ name: 'w1', dataDir: path.join(tempDir('watch-bounds'), 'data'), clientPort, peerPort });
}

function rawWatchStream(member: MemberProcess): { client: grpc.Client; call: grpc.ClientDuplexStream<Buffer, Buffer> } {
  const client = new grpc.Client(member.endpoint.replace('http://', ''), grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest('/etcdserverpb.Watch/Watch', identity, identity, new grpc.Metadata());
  call.on('error', () => undefined);
  return { client, call };
}

/** Writes `puts` values of `valueBytes` to `hot` while a well-behaved watcher watches it; checks both. */
async function writeAndWatch(member: MemberProcess, puts: number, valueBytes: number, between?: () => Promise<void>): Promise<void> {
  const client = new Etcd3({ hosts: member.endpoint, dialTimeout: 5_000 });
  const seen: string[] = [];
  const watcher = await client.watch().key('hot').create();
  watcher.on('put', (kv) => seen.push(kv.value.toString().slice(0, 8)));
  try {
    for (let i = 0; i < puts; i++) {
      await client.put('hot').value(String(i).padStart(8, '0').padEnd(valueBytes, 'v')).exec();
      if (between) await between();
    }
    expect((await client.get('hot').string())?.slice(0, 8)).toBe(String(puts - 1).padStart(8, '0'));
    // The reading watcher gets every put, in order (bounded wait: the member is busy).
    const deadline = Date.now() + 30_000;
    while (seen.length < puts && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(seen).toEqual(Array.from({ length: puts }, (_, i) => String(i).padStart(8, '0')));
  } finally {
    await watcher.cancel();
    client.close();
  }
}

/** LeaseGrant over a raw client; returns the lease ID. */
async function grantLease(client: grpc.Client, ttl: number): Promise<string> {
  const Grant = protoRoot.lookupType('etcdserverpb.LeaseGrantRequest');
  const GrantResponse = protoRoot.lookupType('etcdserverpb.LeaseGrantResponse');
  const bytes = await new Promise<Buffer>((resolve, reject) =>
    client.makeUnaryRequest(
      '/etcdserverpb.Lease/LeaseGrant',
      identity,
      identity,
      Buffer.from(Grant.encode(Grant.fromObject({ TTL: ttl })).finish()),
      { deadline: Date.now() + 10_000 },
      (err, res) => (err || !res ? reject(err ?? new Error('no response')) : resolve(res)),
    ),
  );
  return String((GrantResponse.toObject(GrantResponse.decode(bytes), { longs: String }) as { ID: string }).ID);
}

describe('watch stream bounds', () => {
  useProcessHarness();

  it('a client that sends 200k watch creates and never reads cannot grow the member', async () => {
    const member = await startMember();
    const before = peakRssBytes(member);
    const { client, call } = rawWatchStream(member);
    call.pause(); // reads nothing at all
    const create = createRequest('hot');
    for (let i = 0; i < 200_000; i++) call.write(create);
    try {
      await writeAndWatch(member, 20, 16 * 1024);
      await expectBoundedGrowth(member, before);
    } finally {
      call.cancel();
      client.close();
    }
  }, 180_000);

  it('a client with 10k watches on one stream that reads only now and then cannot grow the member', async () => {
    const WATCHES = 10_000;
    const member = await startMember();
    const before = peakRssBytes(member);
    const { client, call } = rawWatchStream(member);
    // It reads the created responses, so that every watch exists, and then reads only in drips.
    let created = 0;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${created} of ${WATCHES} watches created within 60 s`)), 60_000);
      const onData = (bytes: Buffer) => {
        if ((WatchResponse.decode(bytes) as unknown as { created: boolean }).created) created++;
        if (created < WATCHES) return;
        call.off('data', onData);
        call.on('data', () => undefined); // from now on reads are dropped, in drips
        call.pause();
        clearTimeout(timer);
        resolve();
      };
      call.on('data', onData);
      const create = createRequest('hot');
      for (let i = 0; i < WATCHES; i++) call.write(create);
    });
    // After each put it reads for a moment: every time the member's send buffer drains, all the
    // congested watches want to catch up from history at once.
    const drip = () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(done, 300);
        function done() {
          clearTimeout(timer);
          call.pause();
          resolve();
        }
        call.resume();
      });
    try {
      await writeAndWatch(member, 20, 32 * 1024, drip);
      await expectBoundedGrowth(member, before);
    } finally {
      call.cancel();
      client.close();
    }
  }, 180_000);

  // Keep-alive streams needed no change: this flood did not grow the member before the watch bounds
  // either. The case stays as evidence that the other bidi stream is bounded too.
  it('a client that sends 2M lease keep-alives and never reads cannot grow the member', async () => {
    const member = await startMember();
    const before = peakRssBytes(member);
    const client = new grpc.Client(member.endpoint.replace('http://', ''), grpc.credentials.createInsecure());
    const id = await grantLease(client, 600);
    client.close();
    // A raw HTTP/2 client: grpc-js's own client keeps reading into its buffers even when paused,
    // which would hide the member's behaviour; this one really stops reading.
    const session = http2.connect(member.endpoint);
    session.on('error', () => undefined);
    const stream = session.request({
      ':method': 'POST',
      ':path': '/etcdserverpb.Lease/LeaseKeepAlive',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    stream.on('error', () => undefined);
    stream.pause();
    const KeepAlive = protoRoot.lookupType('etcdserverpb.LeaseKeepAliveRequest');
    const message = Buffer.from(KeepAlive.encode(KeepAlive.fromObject({ ID: id })).finish());
    const frame = Buffer.concat([Buffer.from([0, 0, 0, 0, message.length]), message]);
    const batch = Buffer.concat(Array.from({ length: 100_000 }, () => frame));
    for (let i = 0; i < 20; i++) stream.write(batch);
    try {
      await writeAndWatch(member, 5, 1024);
      await expectBoundedGrowth(member, before, 10_000, 100 * 1024 * 1024);
    } finally {
      stream.close();
      session.close();
    }
  }, 180_000);
});
