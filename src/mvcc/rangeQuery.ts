// The parts of etcd's Range that run after the index lookup (etcdserver/txn executeRange): mod/create
// revision filters, sorting, limit with `more`, keys_only. `count` is the index's total and ignores
// both the limit and the filters, as in etcd.

import type { KeyValue, RangeRequest, RangeResponse } from './types.js';

/** How many kvs to fetch from the index: all when sorting or filtering, else one past the limit. */
export function fetchLimit(req: RangeRequest): number {
  const needsAll =
    req.sortOrder !== 'NONE' ||
    req.minModRevision !== 0 ||
    req.maxModRevision !== 0 ||
    req.minCreateRevision !== 0 ||
    req.maxCreateRevision !== 0;
  if (needsAll || req.limit <= 0) return 0;
  return req.limit + 1;
}

type Cmp = (a: KeyValue, b: KeyValue) => number;

const byTarget: Record<RangeRequest['sortTarget'], Cmp> = {
  KEY: (a, b) => Buffer.compare(a.key, b.key),
  VERSION: (a, b) => a.version - b.version,
  CREATE: (a, b) => a.createRevision - b.createRevision,
  MOD: (a, b) => a.modRevision - b.modRevision,
  VALUE: (a, b) => Buffer.compare(a.value, b.value),
};

export function finishRange(req: RangeRequest, kvs: KeyValue[], count: number, headerRevision: number): RangeResponse {
  let out = kvs;
  if (req.maxModRevision !== 0) out = out.filter((kv) => kv.modRevision <= req.maxModRevision);
  if (req.minModRevision !== 0) out = out.filter((kv) => kv.modRevision >= req.minModRevision);
  if (req.maxCreateRevision !== 0) out = out.filter((kv) => kv.createRevision <= req.maxCreateRevision);
  if (req.minCreateRevision !== 0) out = out.filter((kv) => kv.createRevision >= req.minCreateRevision);

  let order = req.sortOrder;
  if (req.sortTarget !== 'KEY' && order === 'NONE') order = 'ASCEND';
  else if (req.sortTarget === 'KEY' && order === 'ASCEND') order = 'NONE';
  if (order !== 'NONE') {
    // Stable, like Go's sort.Sort for the small inputs where ties are common (insertion sort below
    // 13 elements); the index order is key order, so ties stay in key order.
    const cmp = byTarget[req.sortTarget];
    out = out.slice().sort(order === 'ASCEND' ? cmp : (a, b) => cmp(b, a));
  }

  let more = false;
  if (req.limit > 0 && out.length > req.limit) {
    out = out.slice(0, req.limit);
    more = true;
  }
  if (req.keysOnly) out = out.map((kv) => ({ ...kv, value: Buffer.alloc(0) }));
  return { header: { revision: headerRevision }, kvs: out, more, count };
}
