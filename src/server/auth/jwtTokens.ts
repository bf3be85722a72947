// etcd's JWT tokens (--auth-token=jwt,pub-key=...,priv-key=...,sign-method=RS256,ttl=5m): signed,
// self-contained {username, revision, exp} claims, verified with the public key on every call. Members
// share the key pair, so a token made by one is good on all; nothing is stored per token.
import { createPrivateKey, createPublicKey, type KeyObject, sign, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { TokenProvider } from './tokenProvider.js';

interface Algorithm {
  hash: string;
  /** RSA-PSS padding, or ECDSA's raw r||s signature encoding JWT uses. */
  options: { padding?: number; saltLength?: number; dsaEncoding?: 'ieee-p1363' };
}

const RSA_PKCS1_PSS_PADDING = 6;
const ALGORITHMS: Readonly<Record<string, Algorithm>> = {
  RS256: { hash: 'sha256', options: {} },
  RS384: { hash: 'sha384', options: {} },
  RS512: { hash: 'sha512', options: {} },
  PS256: { hash: 'sha256', options: { padding: RSA_PKCS1_PSS_PADDING, saltLength: 32 } },
  PS384: { hash: 'sha384', options: { padding: RSA_PKCS1_PSS_PADDING, saltLength: 48 } },
  PS512: { hash: 'sha512', options: { padding: RSA_PKCS1_PSS_PADDING, saltLength: 64 } },
  ES256: { hash: 'sha256', options: { dsaEncoding: 'ieee-p1363' } },
  ES384: { hash: 'sha384', options: { dsaEncoding: 'ieee-p1363' } },
  ES512: { hash: 'sha512', options: { dsaEncoding: 'ieee-p1363' } },
  EdDSA: { hash: '', options: {} },
};

export interface JwtOptions {
  signMethod: string;
  publicKey: KeyObject;
  privateKey: KeyObject | null;
  ttlMs: number;
}

/** Parses etcd's "jwt,pub-key=...,priv-key=...,sign-method=...,ttl=..." (ttl as a Go duration). */
export function parseJwtOption(text: string): JwtOptions {
  const [kind, ...rest] = text.split(',');
  if (kind !== 'jwt') throw new Error(`unknown token type: ${kind ?? ''}`);
  const opts = new Map<string, string>();
  for (const part of rest) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new Error(`invalid auth token option: ${part}`);
    opts.set(part.slice(0, eq), part.slice(eq + 1));
  }
  const signMethod = opts.get('sign-method') ?? '';
  if (!(signMethod in ALGORITHMS)) throw new Error(`invalid sign-method: ${JSON.stringify(signMethod)}`);
  const pub = opts.get('pub-key');
  if (!pub) throw new Error('auth token: jwt requires pub-key');
  const priv = opts.get('priv-key');
  return {
    signMethod,
    publicKey: createPublicKey(readFileSync(pub)),
    privateKey: priv ? createPrivateKey(readFileSync(priv)) : null,
    ttlMs: parseDurationMs(opts.get('ttl') ?? '5m'),
  };
}

function parseDurationMs(text: string): number {
  const unit: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  let total = 0;
  let rest = text;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)/.exec(rest);
    if (!m) throw new Error(`invalid ttl duration: ${text}`);
    total += Number(m[1]) * unit[m[2]!]!;
    rest = rest.slice(m[0].length);
  }
  if (!(total > 0)) throw new Error(`invalid ttl duration: ${text}`);
  return total;
}

const b64url = (b: Buffer) => b.toString('base64url');

export class JwtTokens implements TokenProvider {
  private readonly alg: Algorithm;

  constructor(private readonly opts: JwtOptions) {
    const alg = ALGORITHMS[opts.signMethod];
    if (!alg) throw new Error(`invariant: unchecked sign method ${opts.signMethod}`);
    this.alg = alg;
  }

  generate(user: string, authRevision: number): string {
    if (!this.opts.privateKey) throw new Error('auth token: jwt without priv-key cannot issue tokens');
    const header = b64url(Buffer.from(JSON.stringify({ alg: this.opts.signMethod, typ: 'JWT' })));
    const exp = Math.floor((Date.now() + this.opts.ttlMs) / 1000);
    const claims = b64url(Buffer.from(JSON.stringify({ exp, revision: authRevision, username: user })));
    const input = Buffer.from(`${header}.${claims}`);
    const signature = sign(this.alg.hash || null, input, { key: this.opts.privateKey, ...this.alg.options });
    return `${header}.${claims}.${b64url(signature)}`;
  }

  /** Stateless: the token carries everything. */
  assign(): void {}

  lookup(token: string): string | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header, claims, signature] = parts as [string, string, string];
    try {
      const h = JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg?: unknown };
      // The algorithm is ours, never the token's choice (no "alg: none", no key confusion).
      if (h.alg !== this.opts.signMethod) return undefined;
      const ok = verify(this.alg.hash || null, Buffer.from(`${header}.${claims}`), { key: this.opts.publicKey, ...this.alg.options },
        Buffer.from(signature, 'base64url'));
      if (!ok) return undefined;
      const c = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { username?: unknown; exp?: unknown };
      if (typeof c.username !== 'string' || typeof c.exp !== 'number') return undefined;
      if (c.exp * 1000 <= Date.now()) return undefined;
      return c.username;
    } catch {
      return undefined;
    }
  }

  /** A deleted user's JWTs stay well-formed; the auth store refuses them because the user is gone. */
  invalidateUser(): void {}

  clear(): void {}

  setTtlMs(ms: number): void {
    if (!(ms > 0)) throw new Error(`invariant: token TTL must be positive, got ${ms}`);
  }
}

/** The provider --auth-token names: "simple" (etcd's default) or "jwt,...". */
export function tokenProviderFor(option: string, simple: TokenProvider, simpleTtlMs: number): TokenProvider {
  if (option === '' || option === 'simple') {
    simple.setTtlMs(simpleTtlMs);
    return simple;
  }
  if (option.startsWith('jwt')) return new JwtTokens(parseJwtOption(option));
  throw new Error(`unknown token type: ${option}`);
}
