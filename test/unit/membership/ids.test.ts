import { describe, expect, it } from 'vitest';
import { computeClusterId, computeMemberId, idToHex } from '../../../src/server/membership/ids.js';

describe('member and cluster IDs', () => {
  it('match what etcd prints for a default single member', () => {
    // `etcd` with no flags: peer URL http://localhost:2380, token etcd-cluster.
    const member = computeMemberId(['http://localhost:2380'], 'etcd-cluster');
    expect(idToHex(member)).toBe('8e9e05c52164694d');
    expect(idToHex(computeClusterId([member]))).toBe('cdf818194e3a8c32');
  });

  it('do not depend on the order of peer URLs or member IDs', () => {
    const a = computeMemberId(['http://127.0.0.1:2380', 'http://10.0.0.1:2380'], 't');
    const b = computeMemberId(['http://10.0.0.1:2380', 'http://127.0.0.1:2380'], 't');
    expect(a).toBe(b);
    expect(computeClusterId([1n, 2n, 3n])).toBe(computeClusterId([3n, 1n, 2n]));
  });

  it('differ for members added at different times', () => {
    const urls = ['http://127.0.0.1:12380'];
    expect(computeMemberId(urls, 'x', 1000)).not.toBe(computeMemberId(urls, 'x', 1001));
  });
});
