// Go's text formatting that etcdutl's output depends on: go-humanize's Bytes (SI units) and the
// olekukonko/tablewriter box etcdutl draws for `-w table`.

/** Rounds to a whole number as Go's %.0f does: to nearest, ties to even. */
function goRound0(v: number): string {
  const floor = Math.floor(v);
  const diff = v - floor;
  if (diff === 0.5) return String(floor % 2 === 0 ? floor : floor + 1);
  return String(Math.round(v));
}

const SI_SIZES = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB'] as const;

/** humanize.Bytes: "979 kB", "12 kB", "1.2 MB", "9 B". */
export function humanizeBytes(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`humanizeBytes: ${n} is not a byte count`);
  if (n < 10) return `${n} B`;
  const e = Math.floor(Math.log(n) / Math.log(1000));
  const suffix = SI_SIZES[e];
  if (suffix === undefined) throw new Error(`humanizeBytes: ${n} is too large`);
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10;
  return val < 10 ? `${val.toFixed(1)} ${suffix}` : `${goRound0(val)} ${suffix}`;
}

function center(text: string, width: number): string {
  const gap = width - text.length;
  const left = Math.floor(gap / 2);
  return ' '.repeat(left) + text + ' '.repeat(gap - left);
}

/** tablewriter with upper-case centred headers and right-aligned cells, as etcdutl renders it. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const heads = header.map((h) => h.toUpperCase());
  const widths = heads.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const line = (cells: string[]) => `|${cells.map((c) => ` ${c} `).join('|')}|`;
  const out = [rule, line(heads.map((h, i) => center(h, widths[i]!))), rule];
  for (const r of rows) out.push(line(widths.map((w, i) => (r[i] ?? '').padStart(w))));
  out.push(rule);
  return `${out.join('\n')}\n`;
}
