// How a member started with --initial-cluster-state existing learns who it is: it asks the members
// listed in --initial-cluster for the cluster (as etcd fetches /members from its peers), and finds
// itself by its advertised peer URLs — the member `etcdctl member add` created for it.
import { parseUrl } from '../config/urls.js';
import type { PeerTls } from '../tls/peerTls.js';
import { dialPeer } from './peerSocket.js';
import { ConnectionKind, FrameReader, FrameType, PROTOCOL_VERSION, encodeHello } from './frames.js';

export interface ClusterInfo {
  clusterId: string;
  members: Array<{ id: string; name: string; peerURLs: string[]; clientURLs: string[]; isLearner: boolean }>;
}

export function encodeClusterInfo(info: ClusterInfo): Uint8Array {
  return Buffer.from(JSON.stringify(info));
}

/** Asks one peer URL for the cluster; rejects on refusal, a closed connection or the timeout. */
export function askForCluster(url: string, timeoutMs: number, tls: PeerTls | null = null): Promise<ClusterInfo> {
  return new Promise((resolve, reject) => {
    const { socket, readyEvent } = dialPeer(parseUrl(url), tls);
    const reader = new FrameReader();
    const fail = (why: string) => {
      socket.destroy();
      reject(new Error(`${url}: ${why}`));
    };
    const timer = setTimeout(() => fail('timed out'), timeoutMs);
    socket.on(readyEvent, () => {
      socket.write(encodeHello({ version: PROTOCOL_VERSION, kind: ConnectionKind.Stream, clusterId: 0n, from: 0n, to: 0n, peerUrls: [] }));
    });
    socket.on('data', (chunk: Buffer) => {
      for (const frame of reader.push(chunk)) {
        clearTimeout(timer);
        if (frame.type !== FrameType.ClusterInfo) return fail(`answered frame type ${frame.type}, not the cluster`);
        socket.destroy();
        try {
          resolve(JSON.parse(frame.body.toString()) as ClusterInfo);
        } catch (error) {
          reject(new Error(`${url}: unreadable cluster description: ${(error as Error).message}`));
        }
        return;
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      fail(error.message);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`${url}: connection closed before the cluster was described`));
    });
  });
}

/** Tries every URL, a few rounds, until one answers (peers may still be starting). */
export async function discoverCluster(urls: readonly string[], deadlineMs: number, tls: PeerTls | null = null): Promise<ClusterInfo> {
  const errors: string[] = [];
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    for (const url of urls) {
      try {
        return await askForCluster(url, 2_000, tls);
      } catch (error) {
        errors.push((error as Error).message);
      }
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`could not retrieve cluster information from the given URLs: ${errors.slice(-urls.length).join('; ')}`);
}
