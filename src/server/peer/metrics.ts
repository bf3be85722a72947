// What the transport reports for etcd's etcd_network_* peer metrics, and the adapter onto the
// member's prom-client counters (src/server/metrics.ts), so dashboards built for etcd's rafthttp
// read capstan's peers the same way. Peer IDs are labelled in etcd's hex form.

import type { Counter } from 'prom-client';
import type { NetworkMetrics } from '../metrics.js';

export interface PeerMetricsSink {
  sentBytes(to: string, n: number): void;
  receivedBytes(from: string, n: number): void;
  /** A message dropped or a snapshot failed on its way to `to`. */
  sendFailure(to: string): void;
  /** A connection from `from` was closed for a protocol error ('' when the sender was not known yet). */
  receiveFailure(from: string): void;
  /** Our stream to `remote` became usable, or stopped being so. */
  activeChanged(local: string, remote: string, active: boolean): void;
}

/**
 * inc(n) on the counter's child for one label value, kept per value: prom-client hashes the label set
 * on every labelled inc(), and byte counts are bumped on every socket read and write.
 */
function perPeer<L extends string>(counter: Counter<L>, label: L): (peer: string, n: number) => void {
  const children = new Map<string, { inc(n: number): void }>();
  return (peer, n) => {
    let child = children.get(peer);
    if (child === undefined) {
      child = counter.labels({ [label]: peer } as Partial<Record<L, string>>);
      children.set(peer, child);
    }
    child.inc(n);
  };
}

export function peerMetricsFor(network: NetworkMetrics): PeerMetricsSink {
  return {
    sentBytes: perPeer(network.peerSentBytes, 'To'),
    receivedBytes: perPeer(network.peerReceivedBytes, 'From'),
    sendFailure: (to) => network.peerSentFailures.inc({ To: to }),
    receiveFailure: (from) => network.peerReceivedFailures.inc({ From: from }),
    activeChanged: (local, remote, active) => {
      if (active) {
        network.activePeers.inc({ Local: local, Remote: remote });
      } else {
        network.activePeers.dec({ Local: local, Remote: remote });
        network.disconnectedPeers.inc({ Local: local, Remote: remote });
      }
    },
  };
}

export const NO_PEER_METRICS: PeerMetricsSink = {
  sentBytes: () => {},
  receivedBytes: () => {},
  sendFailure: () => {},
  receiveFailure: () => {},
  activeChanged: () => {},
};
