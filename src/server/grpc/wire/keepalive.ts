// Server keepalive, as etcd's --grpc-keepalive-interval/--grpc-keepalive-timeout: ping each connection
// every interval and close it when a ping goes unanswered for the timeout. Clients' own pings are
// answered by node:http2 whatever their rate (lenient where Go would GOAWAY a too-eager client).
import type { ServerHttp2Session } from 'node:http2';

export interface KeepalivePolicy {
  intervalMs: number;
  timeoutMs: number;
}

export function keepSessionAlive(session: ServerHttp2Session, policy: KeepalivePolicy): void {
  if (!(policy.intervalMs > 0)) return;
  let unanswered: NodeJS.Timeout | null = null;
  const pinger = setInterval(() => {
    if (unanswered !== null || session.destroyed || session.closed) return;
    unanswered = setTimeout(() => session.destroy(), Math.max(1, policy.timeoutMs));
    unanswered.unref();
    const sent = session.ping(() => {
      if (unanswered !== null) clearTimeout(unanswered);
      unanswered = null;
    });
    if (!sent) {
      clearTimeout(unanswered);
      unanswered = null;
    }
  }, policy.intervalMs);
  pinger.unref();
  session.once('close', () => {
    clearInterval(pinger);
    if (unanswered !== null) clearTimeout(unanswered);
  });
}
