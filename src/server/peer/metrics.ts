// What the transport reports for etcd's etcd_network_* peer metrics, and the adapter onto the
// member's prom-client counters (src/server/metrics.ts), so dashboards built for etcd's rafthttp
// read capstan's peers the same way. Peer IDs are labelled in etcd's hex form.

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

export function peerMetricsFor(network: NetworkMetrics): PeerMetricsSink {
  return {
    sentBytes: (to, n) => network.peerSentCounts.add(to, () => ({ To: to }), n),
    receivedBytes: (from, n) => network.peerReceivedCounts.add(from, () => ({ From: from }), n),
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
