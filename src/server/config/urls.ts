// etcd's URL lists and member maps, parsed and checked the way etcd's client/pkg/types does, so an
// operator gets the same verdict (and the same words) from capstan as from etcd for the same flag.

export type UrlScheme = 'http' | 'https' | 'unix' | 'unixs';

export interface ParsedUrl {
  readonly scheme: UrlScheme;
  /** Host without brackets: `127.0.0.1`, `::1`, `localhost`; for unix URLs the socket path's host part. */
  readonly host: string;
  /** TCP port; 0 for unix sockets, whose address is `path`. */
  readonly port: number;
  /** For unix/unixs: the socket path (`unix://sock:0` → `sock:0`, `unix:///run/x.sock` → `/run/x.sock`). */
  readonly path: string;
  /** The URL as etcd prints it (Go's url.URL.String()). */
  readonly text: string;
}

export class UrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UrlError';
  }
}

const SCHEMES: ReadonlySet<string> = new Set(['http', 'https', 'unix', 'unixs']);

/** Go's net.SplitHostPort, returning null where Go returns an error. */
export function splitHostPort(hostport: string): { host: string; port: string } | null {
  if (hostport.startsWith('[')) {
    const end = hostport.indexOf(']');
    if (end < 0) return null;
    const rest = hostport.slice(end + 1);
    if (!rest.startsWith(':')) return null;
    const port = rest.slice(1);
    if (port.includes(':')) return null;
    return { host: hostport.slice(1, end), port };
  }
  const colon = hostport.lastIndexOf(':');
  if (colon < 0) return null;
  const host = hostport.slice(0, colon);
  if (host.includes(':')) return null; // unbracketed IPv6: "too many colons"
  return { host, port: hostport.slice(colon + 1) };
}

/** Parses one URL as etcd's types.NewURLs does; throws UrlError with etcd's message. */
export function parseUrl(raw: string): ParsedUrl {
  const text = raw.trim();
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(text);
  if (schemeMatch === null) {
    if (text.startsWith(':')) throw new UrlError(`parse "${text}": missing protocol scheme`);
    const colon = text.indexOf(':');
    const slash = text.indexOf('/');
    if (colon >= 0 && (slash < 0 || colon < slash)) {
      throw new UrlError(`parse "${text}": first path segment in URL cannot contain colon`);
    }
    throw new UrlError(`URL scheme must be http, https, unix, or unixs: ${text}`);
  }
  const scheme = schemeMatch[1]!.toLowerCase();
  const rest = schemeMatch[2]!;
  if (!SCHEMES.has(scheme)) throw new UrlError(`URL scheme must be http, https, unix, or unixs: ${text}`);

  let authority = '';
  let path = '';
  if (rest.startsWith('//')) {
    const afterSlashes = rest.slice(2);
    const slash = afterSlashes.search(/[/?#]/);
    authority = slash < 0 ? afterSlashes : afterSlashes.slice(0, slash);
    path = slash < 0 ? '' : afterSlashes.slice(slash);
  } else {
    path = rest; // "unix:sock" (opaque form)
  }
  if (authority.includes('@')) authority = authority.slice(authority.lastIndexOf('@') + 1);

  if (scheme === 'unix' || scheme === 'unixs') {
    // etcd listens on u.Host + u.Path for unix sockets; any shape is accepted.
    const socketPath = authority + path;
    return { scheme, host: authority, port: 0, path: socketPath, text: `${scheme}://${socketPath}` };
  }

  const hp = splitHostPort(authority);
  if (hp === null) throw new UrlError(`URL address does not have the form "host:port": ${text}`);
  if (path !== '') throw new UrlError(`URL must not contain a path: ${text}`);
  let port = 0;
  if (hp.port !== '') {
    if (!/^[0-9]+$/.test(hp.port) || Number(hp.port) > 65535) {
      throw new UrlError(`parse "${text}": invalid port ":${hp.port}" after host`);
    }
    port = Number(hp.port);
  }
  const hostText = hp.host.includes(':') ? `[${hp.host}]` : hp.host;
  return { scheme: scheme as UrlScheme, host: hp.host, port, path: '', text: `${scheme}://${hostText}:${hp.port}` };
}

/**
 * Parses a comma-separated URL list (`http://127.0.0.1:2379,http://[::1]:2379`). Like etcd's
 * UniqueURLs flag value, duplicates collapse and the result is sorted by its printed form.
 */
export function parseUrls(list: string): ParsedUrl[] {
  const parts = list.split(',');
  if (parts.length === 0) throw new UrlError('no valid URLs given');
  const byText = new Map<string, ParsedUrl>();
  for (const part of parts) {
    const u = parseUrl(part);
    byText.set(u.text, u);
  }
  return [...byText.values()].sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
}

export function formatUrls(urls: readonly ParsedUrl[]): string {
  return urls.map((u) => u.text).join(',');
}

/** member name → its peer URLs, from `--initial-cluster` (`a=http://h1:2380,b=http://h2:2380`). */
export type UrlsMap = ReadonlyMap<string, readonly ParsedUrl[]>;

/** etcd's types.NewURLsMap: splits on ',', then on the first '='; a name may repeat to give several URLs. */
export function parseUrlsMap(text: string): Map<string, ParsedUrl[]> {
  const raw = new Map<string, string[]>();
  for (const item of text.split(',')) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    const name = eq < 0 ? item : item.slice(0, eq);
    const value = eq < 0 ? '' : item.slice(eq + 1);
    const values = raw.get(name) ?? [];
    values.push(value);
    raw.set(name, values);
  }
  const out = new Map<string, ParsedUrl[]>();
  for (const [name, values] of raw) {
    const urls = values.map((v) => parseUrl(v));
    urls.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : 0));
    out.set(name, urls);
  }
  return out;
}

/** etcd's URLsMap.String(): `name=url` pairs sorted. */
export function formatUrlsMap(map: UrlsMap): string {
  const pairs: string[] = [];
  for (const [name, urls] of map) for (const u of urls) pairs.push(`${name}=${u.text}`);
  return pairs.sort().join(',');
}
