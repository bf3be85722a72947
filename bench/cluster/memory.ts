import { readFileSync } from 'node:fs';

/** Resident and peak resident memory of a live process, from /proc/<pid>/status (Linux), in KiB. */
export function processMemory(pid: number): { rssKiB: number; peakRssKiB: number } {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch (err) {
    throw new Error(`cannot read /proc/${pid}/status: ${(err as Error).message}`);
  }
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]);
  };
  return { rssKiB: field('VmRSS'), peakRssKiB: field('VmHWM') };
}
