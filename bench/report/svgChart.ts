import type { Measurement, SystemName } from '../model.js';

/*
 * Write latency (p50 and p99 of `put`, to the leader) against member count, one line per system and
 * client count, on a log scale: 1-client latencies are sub-millisecond, 256-client ones tens of ms.
 * Plain SVG text, no dependencies.
 */

const WIDTH = 860;
const HEIGHT = 500;
const MARGIN = { left: 70, right: 250, top: 50, bottom: 60 };
const COLORS: Record<SystemName, string> = { etcd: '#1f77b4', capstan: '#e6550d' };
const DASHES: Record<number, string> = { 1: '', 16: '6 4', 256: '2 3' };

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Series {
  system: SystemName;
  clients: number;
  stat: 'p50' | 'p99';
  points: { members: number; ms: number }[];
}

function buildSeries(measurements: readonly Measurement[], tool: string): Series[] {
  const series: Series[] = [];
  for (const system of ['etcd', 'capstan'] as const) {
    for (const clients of [1, 16, 256]) {
      for (const stat of ['p50', 'p99'] as const) {
        const points = measurements
          .filter((m) => m.tool === tool && m.workload === 'put' && m.system === system && m.clients === clients && m.count > 0)
          .map((m) => ({ members: m.members, ms: stat === 'p50' ? m.p50Ms : m.p99Ms }))
          .filter((p) => p.ms !== null && Number.isFinite(p.ms) && p.ms > 0)
          .sort((a, b) => a.members - b.members);
        if (points.length > 0) series.push({ system, clients, stat, points });
      }
    }
  }
  return series;
}

export function latencyChartSvg(measurements: readonly Measurement[], sizes: readonly number[], title: string): string {
  const tool = measurements.some((m) => m.tool === 'benchmark' && m.workload === 'put' && m.count > 0) ? 'benchmark' : 'ts-load';
  const series = buildSeries(measurements, tool);
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const all = series.flatMap((s) => s.points.map((p) => p.ms));
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...all, 1))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...all, 10))));
  const xs = [...sizes].sort((a, b) => a - b);
  const x = (members: number): number => {
    const i = xs.indexOf(members);
    return MARGIN.left + (xs.length === 1 ? plotW / 2 : (i / (xs.length - 1)) * plotW);
  };
  const y = (ms: number): number => MARGIN.top + plotH - ((Math.log10(ms) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * plotH;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`);
  out.push(`<text x="${MARGIN.left}" y="24" font-size="15" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${MARGIN.left}" y="40" fill="#555">put latency to the leader (${tool}), log scale; solid 1 client, dashed 16, dotted 256; thick p50, thin p99</text>`);
  for (let decade = lo; decade <= hi * 1.0001; decade *= 10) {
    const yy = y(decade).toFixed(1);
    out.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + plotW}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${MARGIN.left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle">${decade >= 1 ? decade.toFixed(0) : decade.toPrecision(1)} ms</text>`);
  }
  for (const members of xs) {
    const xx = x(members).toFixed(1);
    out.push(`<line x1="${xx}" x2="${xx}" y1="${MARGIN.top}" y2="${MARGIN.top + plotH}" stroke="#eee"/>`);
    out.push(`<text x="${xx}" y="${MARGIN.top + plotH + 20}" text-anchor="middle">${members}</text>`);
  }
  out.push(`<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 15}" text-anchor="middle">members</text>`);
  out.push(`<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  series.forEach((s, i) => {
    const color = COLORS[s.system];
    const width = s.stat === 'p50' ? 2.5 : 1;
    const dash = DASHES[s.clients] ?? '';
    const path = s.points.map((p, j) => `${j === 0 ? 'M' : 'L'}${x(p.members).toFixed(1)},${y(p.ms).toFixed(1)}`).join(' ');
    out.push(`<path d="${path}" fill="none" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    for (const p of s.points) {
      out.push(`<circle cx="${x(p.members).toFixed(1)}" cy="${y(p.ms).toFixed(1)}" r="${s.stat === 'p50' ? 3.5 : 2}" fill="${color}"><title>${s.system} ${s.clients} clients ${s.stat} at ${p.members} members: ${p.ms.toFixed(3)} ms</title></circle>`);
    }
    const ly = MARGIN.top + 10 + i * 18;
    const lx = MARGIN.left + plotW + 20;
    out.push(`<line x1="${lx}" x2="${lx + 30}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`);
    out.push(`<text x="${lx + 38}" y="${ly}" dominant-baseline="middle">${s.system}, ${s.clients} client${s.clients === 1 ? '' : 's'}, ${s.stat}</text>`);
  });
  if (series.length === 0) out.push(`<text x="${MARGIN.left + 20}" y="${MARGIN.top + 30}">no put measurements in this run</text>`);
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
