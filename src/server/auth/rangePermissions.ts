// Does a user's set of key permissions cover a request? As etcd's rangePermCache: permissions of all
// the user's roles are merged into one union of intervals per kind (read, write), and a request is
// allowed only when its whole interval lies inside that union. A permission or request with an empty
// range end is one key; a range end of "\0" means "every key from here on".

/** [start, end); end null means unbounded. */
interface Interval {
  start: Buffer;
  end: Buffer | null;
}

const ZERO = Buffer.from([0]);

function interval(key: Buffer, rangeEnd: Buffer): Interval {
  if (rangeEnd.length === 0) return { start: key, end: Buffer.concat([key, ZERO]) };
  if (rangeEnd.length === 1 && rangeEnd[0] === 0) return { start: key, end: null };
  return { start: key, end: rangeEnd };
}

/** a <= b, where null is +infinity. */
function endAtLeast(a: Buffer | null, b: Buffer | null): boolean {
  if (a === null) return true;
  if (b === null) return false;
  return Buffer.compare(a, b) >= 0;
}

export class KeyRanges {
  private readonly merged: Interval[];

  constructor(perms: ReadonlyArray<{ key: Buffer; rangeEnd: Buffer }>) {
    const sorted = perms
      .map((p) => interval(p.key, p.rangeEnd))
      .filter((i) => i.end === null || Buffer.compare(i.start, i.end) < 0)
      .sort((a, b) => Buffer.compare(a.start, b.start));
    const out: Interval[] = [];
    for (const i of sorted) {
      const last = out[out.length - 1];
      // Overlapping or touching intervals join: [a,b) and [b,c) cover [a,c).
      if (last && (last.end === null || Buffer.compare(i.start, last.end) <= 0)) {
        if (!endAtLeast(last.end, i.end)) last.end = i.end;
      } else out.push({ start: i.start, end: i.end });
    }
    this.merged = out;
  }

  /** True when [key, rangeEnd) (etcd's request convention) lies wholly inside the union. */
  covers(key: Buffer, rangeEnd: Buffer): boolean {
    const want = interval(key, rangeEnd);
    // An inverted range selects nothing; etcd still asks for the start key.
    if (want.end !== null && Buffer.compare(want.start, want.end) >= 0) want.end = Buffer.concat([key, ZERO]);
    return this.merged.some((m) => Buffer.compare(m.start, want.start) <= 0 && endAtLeast(m.end, want.end));
  }
}
