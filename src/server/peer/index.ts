// The peer transport's public surface.
export { PeerTransport, type PeerTransportOptions, type PeerStats } from './transport.js';
export { DEFAULT_QUEUE_LIMITS, DEFAULT_TIMING, type PeerQueueLimits, type PeerTiming } from './timing.js';
export { peerMetricsFor, type PeerMetricsSink } from './metrics.js';
