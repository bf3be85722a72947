// Turns a member's peer URLs into socket addresses, and keeps the one that last worked first
// (etcd's urlPicker: stay on a working URL, move to the next on failure). Whether the connection is
// TLS is the scheme's business (peerSocket.ts); the address is the same.

import type { NetConnectOpts } from 'node:net';
import { parseUrl, type ParsedUrl } from '../config/urls.js';

export function connectOptions(url: ParsedUrl): NetConnectOpts {
  switch (url.scheme) {
    case 'http':
    case 'https':
      return { host: url.host, port: url.port };
    case 'unix':
    case 'unixs':
      return { path: url.path };
  }
}

export class UrlPicker {
  private urls: ParsedUrl[];
  private index = 0;

  constructor(urls: readonly string[]) {
    this.urls = parsePeerUrls(urls);
  }

  get current(): ParsedUrl {
    return this.urls[this.index]!;
  }

  /** Moves to the next URL after a failure on the current one. */
  failed(): void {
    this.index = (this.index + 1) % this.urls.length;
  }

  /** Replaces the URLs; true if the current URL is no longer among them. */
  update(urls: readonly string[]): boolean {
    const current = this.current.text;
    this.urls = parsePeerUrls(urls);
    const kept = this.urls.findIndex((u) => u.text === current);
    this.index = kept < 0 ? 0 : kept;
    return kept < 0;
  }
}

function parsePeerUrls(urls: readonly string[]): ParsedUrl[] {
  if (urls.length === 0) throw new Error('a peer needs at least one URL');
  return urls.map((u) => parseUrl(u)); // a malformed URL is refused now, not on every redial
}
