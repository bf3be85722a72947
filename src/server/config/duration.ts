// Go's time.ParseDuration and Duration.String, because etcd's duration flags take Go syntax
// ("1h30m", "500ms", "10m") and print defaults in Go's form ("10m0s").

const UNIT_NANOS: ReadonlyMap<string, number> = new Map([
  ['ns', 1e-6],
  ['us', 1e-3],
  ['µs', 1e-3], // U+00B5
  ['μs', 1e-3], // U+03BC
  ['ms', 1],
  ['s', 1000],
  ['m', 60_000],
  ['h', 3_600_000],
]);

/** Parses a Go duration into milliseconds (fractions kept). Returns null where Go returns an error. */
export function parseGoDuration(text: string): number | null {
  let s = text;
  let sign = 1;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  let totalMs = 0;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s);
    if (m === null) return null;
    const intPart = m[1] ?? '';
    const fracPart = m[2];
    if (intPart === '' && (fracPart === undefined || fracPart === '')) return null;
    s = s.slice(m[0].length);
    const unitMatch = /^[^0-9.]+/.exec(s);
    if (unitMatch === null) return null; // Go: missing unit in duration
    const unit = unitMatch[0];
    const scale = UNIT_NANOS.get(unit);
    if (scale === undefined) return null; // Go: unknown unit
    s = s.slice(unit.length);
    const value = Number(`${intPart === '' ? '0' : intPart}.${fracPart ?? '0'}`);
    totalMs += value * scale;
  }
  const result = sign * totalMs;
  // Go durations are int64 nanoseconds: about 292 years.
  if (Math.abs(result) > 9_223_372_036_854) return null;
  return result;
}

/** Go's Duration.String for a whole number of milliseconds (enough for flag defaults). */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  if (rest < 1000) return `${neg ? '-' : ''}${rest}ms`;
  const h = Math.floor(rest / 3_600_000);
  rest -= h * 3_600_000;
  const m = Math.floor(rest / 60_000);
  rest -= m * 60_000;
  const secs = rest / 1000;
  let out = '';
  if (h > 0) out += `${h}h`;
  if (h > 0 || m > 0) out += `${m}m`;
  out += `${secs}s`;
  return (neg ? '-' : '') + out;
}
