import { readFileSync } from 'node:fs';
import path from 'node:path';

/*
 * Reads a V8 .cpuprofile (what `node --cpu-prof` writes) and ranks functions by self time: the sum of
 * the sampling intervals whose top frame was that function.
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface Hotspot {
  /** "function (file:line)". */
  name: string;
  selfMs: number;
  selfPct: number;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Time in samples that were not idle, program or garbage collection. */
  busyMs: number;
  gcMs: number;
  idleMs: number;
  functions: Hotspot[];
  /** Self time grouped by source file (node internals and node_modules grouped by package). */
  files: Hotspot[];
}

function isProfile(value: unknown): value is CpuProfile {
  const v = value as Partial<CpuProfile>;
  return Array.isArray(v.nodes) && Array.isArray(v.samples) && Array.isArray(v.timeDeltas);
}

function shortUrl(url: string): string {
  if (url === '') return '(native)';
  const clean = url.replace(/^file:\/\//, '');
  const modules = clean.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const parts = clean.slice(modules + 'node_modules/'.length).split('/');
    const pkg = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0] ?? '';
    return `${pkg}/${parts.slice(parts[0]?.startsWith('@') ? 2 : 1).join('/')}`;
  }
  const dist = clean.indexOf('/dist/');
  if (dist >= 0) return clean.slice(dist + '/dist/'.length);
  return clean.startsWith('node:') ? clean : path.basename(clean);
}

function fileGroup(url: string): string {
  const short = shortUrl(url);
  if (url.includes('node_modules/')) return short.split('/').slice(0, short.startsWith('@') ? 2 : 1).join('/');
  return short;
}

function rank(totals: Map<string, number>, totalMs: number, limit: number): Hotspot[] {
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, selfMs]) => ({ name, selfMs, selfPct: totalMs > 0 ? (100 * selfMs) / totalMs : 0 }));
}

export function summariseProfile(file: string, limit = 25): ProfileSummary {
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (!isProfile(parsed)) throw new Error(`${file} is not a V8 cpuprofile`);
  if (parsed.samples.length !== parsed.timeDeltas.length) throw new Error(`${file}: samples and timeDeltas differ in length`);
  const byId = new Map<number, ProfileNode>();
  for (const node of parsed.nodes) byId.set(node.id, node);
  const selfUs = new Map<number, number>();
  for (let i = 0; i < parsed.samples.length; i++) {
    const id = parsed.samples[i] as number;
    // V8 stores the delta before sample i; the next delta is the time this sample stood for.
    const delta = Math.max(0, parsed.timeDeltas[i + 1] ?? 0);
    selfUs.set(id, (selfUs.get(id) ?? 0) + delta);
  }
  const functions = new Map<string, number>();
  const files = new Map<string, number>();
  let totalMs = 0;
  let gcMs = 0;
  let idleMs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) throw new Error(`${file}: sample names unknown node ${id}`);
    const ms = us / 1000;
    totalMs += ms;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') idleMs += ms;
    if (functionName === '(garbage collector)') gcMs += ms;
    const name = `${functionName || '(anonymous)'} (${shortUrl(url)}${url ? `:${lineNumber + 1}` : ''})`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
    const group = functionName.startsWith('(') && url === '' ? functionName : fileGroup(url);
    files.set(group, (files.get(group) ?? 0) + ms);
  }
  return {
    file,
    totalMs,
    busyMs: totalMs - idleMs,
    gcMs,
    idleMs,
    functions: rank(functions, totalMs, limit),
    files: rank(files, totalMs, limit),
  };
}

export function profileMarkdown(summary: ProfileSummary, title: string): string {
  const pct = (v: number): string => v.toFixed(1);
  const lines = [
    `### ${title}`, '',
    `${path.basename(summary.file)}: ${(summary.totalMs / 1000).toFixed(1)} s sampled, busy ${(summary.busyMs / 1000).toFixed(1)} s ` +
      `(${pct((100 * summary.busyMs) / Math.max(1, summary.totalMs))}%), GC ${(summary.gcMs / 1000).toFixed(2)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s.`, '',
    '| self ms | self % | function |', '| ---: | ---: | --- |',
    ...summary.functions.map((h) => `| ${h.selfMs.toFixed(0)} | ${pct(h.selfPct)} | \`${h.name}\` |`), '',
    '| self ms | self % | file / package |', '| ---: | ---: | --- |',
    ...summary.files.map((h) => `| ${h.selfMs.toFixed(0)} | ${pct(h.selfPct)} | \`${h.name}\` |`), '',
  ];
  return lines.join('\n');
}
