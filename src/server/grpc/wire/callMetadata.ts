// The request headers as a grpc-js Metadata (what the auth gate reads a token from), built only when a
// handler asks: most calls carry no credentials worth a Metadata object.
import { Metadata } from '@grpc/grpc-js';
import type { RequestHeaders } from '../h2/requestHeaders.js';

/** HTTP/2 and gRPC protocol headers, which grpc-js does not show handlers either. */
const PROTOCOL_HEADERS = new Set(['content-type', 'te', 'grpc-timeout', 'grpc-encoding', 'grpc-accept-encoding']);

export function metadataFromHeaders(headers: RequestHeaders): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(headers)) {
    if (key.startsWith(':') || PROTOCOL_HEADERS.has(key) || value === undefined) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      try {
        if (key.endsWith('-bin')) {
          for (const part of v.split(',')) metadata.add(key, Buffer.from(part.trim(), 'base64'));
        } else {
          metadata.add(key, v);
        }
      } catch {
        // A key Metadata refuses (grpc-js validates names) is dropped, as grpc-js's server would.
      }
    }
  }
  return metadata;
}
