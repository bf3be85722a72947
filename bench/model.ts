/*
 * The shapes every part of the harness agrees on: what one measurement is, what a run produced.
 * Latencies are in milliseconds, throughput in completed requests per second, memory in KiB.
 */

export type SystemName = 'etcd' | 'capstan';
export const SYSTEMS: readonly SystemName[] = ['etcd', 'capstan'];

/** `benchmark` is etcd's tools/benchmark; `ts-load` is capstan's own generator (bench/load). */
export type ToolName = 'benchmark' | 'ts-load';

/** Writes (put), linearizable and serializable reads of one key, watch delivery latency. */
export type WorkloadName = 'put' | 'range-l' | 'range-s' | 'watch';

export interface LatencySummary {
  /** Requests (or, for watch, deliveries) that completed. */
  count: number;
  errors: number;
  seconds: number;
  throughput: number;
  avgMs: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  p999Ms: number;
}

export interface Measurement extends LatencySummary {
  system: SystemName;
  members: number;
  tool: ToolName;
  workload: WorkloadName;
  clients: number;
  conns: number;
  /** Set when the run did not finish cleanly (time limit, tool failure); the figures are partial. */
  note?: string;
}

export interface MemberMemory {
  system: SystemName;
  members: number;
  /** VmRSS of each member after the load, in member order. */
  rssKiB: number[];
  /** VmHWM (peak RSS) of each member. */
  peakRssKiB: number[];
}

/** A (system, member count) the run could not measure, and why. */
export interface Skipped {
  system: SystemName;
  members: number;
  reason: string;
}

export interface RecoveryResult {
  system: SystemName;
  keys: number;
  loadSeconds: number;
  /** From spawning the restarted member to its first successful Status call. */
  startupSeconds: number;
  rssAfterLoadKiB: number;
  rssAfterRestartKiB: number;
  dataDirBytes: number;
  note?: string;
}

export interface CheckPerfResult {
  system: SystemName;
  members: number;
  load: string;
  passed: boolean;
  /** etcdctl's verdict lines (PASS:/FAIL:), verbatim. */
  lines: string[];
}

export interface Ratio {
  members: number;
  tool: ToolName;
  workload: WorkloadName;
  clients: number;
  /** capstan / etcd: above 1 means capstan is slower (latency) or faster (throughput). */
  p50: number;
  p99: number;
  throughput: number;
}

export interface MachineInfo {
  cores: number;
  cpuModel: string;
  memoryMiB: number;
  kernel: string;
  node: string;
  /** 1-minute load average when the run started and when it finished: other work on the machine skews results. */
  loadAverageStart: number;
  loadAverageEnd: number;
}

export interface Versions {
  capstan: string;
  capstanCommit: string;
  etcd: string;
  benchmark: string;
  etcdctl: string;
}

export interface BenchReport {
  mode: 'quick' | 'full';
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  versions: Versions;
  settings: string[];
  measurements: Measurement[];
  memory: MemberMemory[];
  skipped: Skipped[];
  recovery: RecoveryResult[];
  checkPerf: CheckPerfResult[];
  ratios: Ratio[];
}
