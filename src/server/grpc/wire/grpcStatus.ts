// The status side of the gRPC wire: what a failed call carries (code and message), how grpc-message is
// percent-encoded, and how grpc-timeout reads.
import { status } from '@grpc/grpc-js';

export interface WireStatus {
  code: number;
  details: string;
}

/** A failure detected by the wire layer itself, with the status it answers. */
export class WireStatusError extends Error {
  constructor(
    readonly code: number,
    readonly details: string,
  ) {
    super(details);
  }
}

/** The status an error object stands for: grpc-js's convention of `code` and `details` fields. */
export function statusOf(error: unknown): WireStatus {
  if (typeof error === 'object' && error !== null) {
    const { code, details, message } = error as { code?: unknown; details?: unknown; message?: unknown };
    const valid = typeof code === 'number' && Number.isInteger(code) && code >= 0 && code <= 16;
    const text = typeof details === 'string' ? details : typeof message === 'string' ? message : '';
    return { code: valid ? code : status.UNKNOWN, details: text };
  }
  return { code: status.UNKNOWN, details: String(error) };
}

/** grpc-message: UTF-8, with bytes outside printable ASCII and '%' written as %XX (gRPC's HTTP/2 spec). */
export function encodeGrpcMessage(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    const c = message.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x25) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte < 0x20 || byte > 0x7e || byte === 0x25 ? `%${byte.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(byte);
  }
  return out;
}

const TIMEOUT_UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout ("100m", "5S"...) in milliseconds, or null when absent or malformed (no deadline). */
export function parseGrpcTimeout(value: string | undefined): number | null {
  if (value === undefined) return null;
  const match = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (match === null) return null;
  return Number(match[1]) * TIMEOUT_UNIT_MS[match[2]!]!;
}
