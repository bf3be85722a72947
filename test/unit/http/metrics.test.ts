import { describe, expect, it } from 'vitest';
import { createMetrics, grpcCodeName, initializeGrpcMethodMetrics } from '../../../src/server/metrics.js';

function typeOf(text: string, name: string): string | undefined {
  return new RegExp(`^# TYPE ${name} (\\w+)$`, 'm').exec(text)?.[1];
}

describe('createMetrics', () => {
  it("registers etcd's names with etcd's types", async () => {
    const m = createMetrics();
    const text = await m.registry.metrics();
    const expected: Record<string, string> = {
      etcd_server_has_leader: 'gauge',
      etcd_server_is_leader: 'gauge',
      etcd_server_leader_changes_seen_total: 'counter',
      etcd_server_proposals_committed_total: 'gauge',
      etcd_server_proposals_applied_total: 'gauge',
      etcd_server_proposals_pending: 'gauge',
      etcd_server_proposals_failed_total: 'counter',
      etcd_server_version: 'gauge',
      etcd_cluster_version: 'gauge',
      etcd_mvcc_db_total_size_in_bytes: 'gauge',
      etcd_mvcc_db_total_size_in_use_in_bytes: 'gauge',
      etcd_debugging_mvcc_keys_total: 'gauge',
      etcd_mvcc_put_total: 'counter',
      etcd_mvcc_delete_total: 'counter',
      etcd_mvcc_range_total: 'counter',
      etcd_mvcc_txn_total: 'counter',
      etcd_disk_wal_fsync_duration_seconds: 'histogram',
      etcd_disk_backend_commit_duration_seconds: 'histogram',
      etcd_network_client_grpc_received_bytes_total: 'counter',
      etcd_network_client_grpc_sent_bytes_total: 'counter',
      etcd_debugging_mvcc_watcher_total: 'gauge',
      etcd_debugging_mvcc_slow_watcher_total: 'gauge',
      grpc_server_started_total: 'counter',
      grpc_server_handled_total: 'counter',
      grpc_server_msg_received_total: 'counter',
      grpc_server_msg_sent_total: 'counter',
      process_cpu_seconds_total: 'counter',
      process_start_time_seconds: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) expect([name, typeOf(text, name)]).toEqual([name, type]);
    expect(text).toContain('etcd_cluster_version{cluster_version="3.5.0"} 1');
    expect(text).toMatch(/etcd_server_version\{server_version="3\.5\.\d+"\} 1/);
    expect(text).toMatch(/capstan_build_info\{version="[^"]+",etcd_api_version="3\.5\.\d+"/);
    expect(text).not.toContain('grpc_server_handling_seconds');
  });

  it("uses etcd's WAL fsync and backend commit buckets: 0.001 × 2^n, 14 of them", async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.disk.walFsyncDuration.observe(0.003);
    m.disk.backendCommitDuration.observe(0.02);
    const text = await m.registry.metrics();
    const les = [...text.matchAll(/^etcd_disk_wal_fsync_duration_seconds_bucket\{le="([^"]+)"\}/gm)].map((x) => x[1]);
    expect(les).toEqual(['0.001', '0.002', '0.004', '0.008', '0.016', '0.032', '0.064', '0.128', '0.256', '0.512', '1.024', '2.048', '4.096', '8.192', '+Inf']);
    expect(text).toContain('etcd_disk_wal_fsync_duration_seconds_bucket{le="0.004"} 1');
    expect(text).toContain('etcd_disk_backend_commit_duration_seconds_bucket{le="0.032"} 1');
  });

  it('keeps separate registries apart', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.server.leaderChanges.inc();
    expect(await a.registry.getSingleMetricAsString('etcd_server_leader_changes_seen_total')).toContain('etcd_server_leader_changes_seen_total 1');
    expect(await b.registry.getSingleMetricAsString('etcd_server_leader_changes_seen_total')).toContain('etcd_server_leader_changes_seen_total 0');
  });

  it("gRPC metrics carry go-grpc-prometheus's labels and code names", async () => {
    const m = createMetrics({ defaultMetrics: false, extensive: true });
    initializeGrpcMethodMetrics(m.grpc, [{ service: 'etcdserverpb.KV', method: 'Range', type: 'unary' }]);
    const labels = { grpc_type: 'unary', grpc_service: 'etcdserverpb.KV', grpc_method: 'Range' };
    m.grpc.started.labels(labels).inc();
    m.grpc.handled.labels({ ...labels, grpc_code: grpcCodeName(11) }).inc();
    const text = await m.registry.metrics();
    expect(text).toContain('grpc_server_started_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range"} 1');
    expect(text).toContain('grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range",grpc_code="OutOfRange"} 1');
    expect(text).toContain('grpc_server_handled_total{grpc_type="unary",grpc_service="etcdserverpb.KV",grpc_method="Range",grpc_code="OK"} 0');
    expect(typeOf(text, 'grpc_server_handling_seconds')).toBe('histogram');
    expect(() => grpcCodeName(17)).toThrow();
  });
});
