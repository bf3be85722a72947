// etcd's checks of --initial-cluster against this member (etcdserver/config.go VerifyBootstrap and
// VerifyJoinExisting). etcd runs them only when the member has no data yet, so a restarted member
// with a stale --initial-cluster still starts; the server calls these at that same point.

import { ConfigError, type Config } from './config.js';
import { formatUrlsMap, type ParsedUrl } from './urls.js';

function quoteList(list: readonly string[]): string {
  return `[${list.map((s) => JSON.stringify(s)).join(' ')}]`;
}

/** Without DNS, `localhost` is the one name whose address is known; etcd resolves names the same way. */
function resolved(text: string): string {
  return text.replace(/^(https?:\/\/)localhost(:)/, '$1127.0.0.1$2');
}

/** netutil.URLStringsEqual's verdict and its error text when the lists differ. */
function urlStringsEqual(a: readonly string[], b: readonly string[]): { ok: boolean; reason: string } {
  if (a.length !== b.length) return { ok: false, reason: `len(${quoteList(a)}) != len(${quoteList(b)})` };
  const ra = a.map((s) => ({ from: s, to: resolved(s) })).sort((x, y) => (x.to < y.to ? -1 : x.to > y.to ? 1 : 0));
  const rb = b.map((s) => ({ from: s, to: resolved(s) })).sort((x, y) => (x.to < y.to ? -1 : x.to > y.to ? 1 : 0));
  for (let i = 0; i < ra.length; i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (x.to !== y.to) {
      // etcd 3.5.21 netutil.urlsEqual words, as the reference etcd prints them.
      const reason = `resolved urls: ${JSON.stringify(x.to)} != ${JSON.stringify(y.to)}`;
      return { ok: false, reason };
    }
  }
  return { ok: true, reason: '' };
}

function hasLocalMember(cfg: Config): readonly ParsedUrl[] {
  const urls = cfg.initialClusterMembers.get(cfg.name);
  if (urls === undefined) {
    throw new ConfigError(`couldn't find local name ${JSON.stringify(cfg.name)} in the initial cluster configuration`);
  }
  return urls;
}

function checkDuplicateUrl(cfg: Config): void {
  const seen = new Set<string>();
  for (const urls of cfg.initialClusterMembers.values()) {
    for (const u of urls) {
      if (seen.has(u.text)) throw new ConfigError(`initial cluster ${formatUrlsMap(cfg.initialClusterMembers)} has duplicate url`);
      seen.add(u.text);
    }
  }
}

function advertiseMatchesCluster(cfg: Config, clusterUrls: readonly ParsedUrl[]): void {
  const initial = clusterUrls.map((u) => u.text).sort();
  const advertised = cfg.initialAdvertisePeerUrls.map((u) => u.text).sort();
  const verdict = urlStringsEqual(advertised, initial);
  if (verdict.ok) return;
  const advertisedSet = new Set(advertised);
  const initialSet = new Set(initial);
  const missingFromAdvertised = initial.filter((u) => !advertisedSet.has(u));
  if (missingFromAdvertised.length > 0) {
    const mstr = missingFromAdvertised.map((u) => `${cfg.name}=${u}`).join(',');
    throw new ConfigError(
      `--initial-cluster has ${mstr} but missing from --initial-advertise-peer-urls=${advertised.join(',')} (${verdict.reason})`,
    );
  }
  const ownMap = new Map([[cfg.name, cfg.initialAdvertisePeerUrls]]);
  const missingFromCluster = advertised.filter((u) => !initialSet.has(u));
  if (missingFromCluster.length > 0) {
    throw new ConfigError(
      `--initial-advertise-peer-urls has ${missingFromCluster.join(',')} but missing from --initial-cluster=${formatUrlsMap(ownMap)}`,
    );
  }
  throw new ConfigError(`failed to resolve ${advertised.join(',')} to match --initial-cluster=${formatUrlsMap(ownMap)} (${verdict.reason})`);
}

/** For a member bootstrapping a new cluster (no data yet, --initial-cluster-state=new). */
export function verifyBootstrap(cfg: Config): void {
  const own = hasLocalMember(cfg);
  advertiseMatchesCluster(cfg, own);
  checkDuplicateUrl(cfg);
  if (cfg.initialClusterMembers.size === 0) throw new ConfigError('initial cluster unset and no discovery URL found');
}

/** For a member joining an existing cluster (no data yet, --initial-cluster-state=existing). */
export function verifyJoinExisting(cfg: Config): void {
  hasLocalMember(cfg);
  checkDuplicateUrl(cfg);
}
