// The dialer's side of a refused hello, logged in etcd's words (rafthttp stream.go) so operators
// searching for them find the cause: most often a member started with another cluster's data.

import type { Logger } from '../logger.js';
import { idToHex } from '../membership/ids.js';
import { REJECT_CLUSTER_ID_MISMATCH, REJECT_INCOMPATIBLE_VERSION, type Rejection } from './frames.js';

export function logRejection(log: Logger, r: Rejection, localId: bigint, localClusterId: bigint, peerId: bigint): void {
  switch (r.reason) {
    case REJECT_CLUSTER_ID_MISMATCH:
      log.warn('request sent was ignored by remote peer due to cluster ID mismatch', {
        'remote-peer-id': idToHex(peerId),
        'remote-peer-cluster-id': idToHex(r.clusterId),
        'local-member-id': idToHex(localId),
        'local-member-cluster-id': idToHex(localClusterId),
        error: r.reason,
      });
      return;
    case REJECT_INCOMPATIBLE_VERSION:
      log.warn('request sent was ignored by remote peer due to server version incompatibility', {
        'local-member-id': idToHex(localId),
        'remote-peer-id': idToHex(peerId),
        error: r.reason,
      });
      return;
    default:
      log.warn('peer refused streaming connection', { 'local-member-id': idToHex(localId), 'remote-peer-id': idToHex(peerId), reason: r.reason });
  }
}
