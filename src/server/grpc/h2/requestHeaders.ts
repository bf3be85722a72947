// A request's header block as the header object handlers read (node:http2's shape: lower-case names,
// repeated fields joined with ", "), with RFC 9113 8.2-8.3's rules for a well-formed request.
import type { HpackDecoder } from './hpack.js';

export type RequestHeaders = Record<string, string | string[] | undefined>;

export interface DecodedRequest {
  headers: RequestHeaders;
  /** Why the request is malformed (a stream error), or null. */
  malformed: string | null;
}

const PSEUDO = new Set([':method', ':scheme', ':path', ':authority']);
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export function requestHeaders(decoder: HpackDecoder, block: Uint8Array): DecodedRequest {
  const headers: RequestHeaders = Object.create(null) as RequestHeaders;
  let malformed: string | null = null;
  let regularSeen = false;
  decoder.decode(block, (name, value) => {
    if (malformed !== null) return;
    if (name.charCodeAt(0) === 0x3a) {
      if (regularSeen) malformed = `pseudo-header ${name} after a regular header`;
      else if (!PSEUDO.has(name)) malformed = `unknown pseudo-header ${name}`;
      else if (headers[name] !== undefined) malformed = `repeated ${name}`;
      else headers[name] = value;
      return;
    }
    regularSeen = true;
    if (!isLowerCaseName(name)) malformed = `header name ${JSON.stringify(name)} is not lower-case`;
    else if (CONNECTION_SPECIFIC.has(name)) malformed = `connection-specific header ${name}`;
    else if (name === 'te' && value !== 'trailers') malformed = 'te other than "trailers"';
    else {
      const previous = headers[name];
      headers[name] = previous === undefined ? value : `${previous as string}, ${value}`;
    }
  });
  if (malformed === null && (headers[':method'] === undefined || headers[':path'] === undefined || headers[':scheme'] === undefined)) {
    malformed = 'a request needs :method, :scheme and :path';
  }
  return { headers, malformed };
}

function isLowerCaseName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 0x41 && c <= 0x5a) || c <= 0x20 || c >= 0x7f) return false;
  }
  return true;
}
