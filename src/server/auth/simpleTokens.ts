// etcd's simple tokens: random opaque strings held in memory, each naming a user, living
// --auth-token-ttl seconds after their last use. Like etcd's, they do not survive a restart and are
// all dropped when auth is disabled or the auth state changes in a way that makes them unsafe.
import { randomInt } from 'node:crypto';
import type { TokenProvider } from './tokenProvider.js';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** Bound on live tokens, so a client looping on Authenticate cannot grow memory without limit. */
const MAX_TOKENS = 100_000;

export class SimpleTokens implements TokenProvider {
  private readonly tokens = new Map<string, { user: string; expiresAt: number }>();
  private counter = 0;

  constructor(
    private ttlMs: number,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** --auth-token-ttl, in milliseconds; applies to tokens assigned or used from now on. */
  setTtlMs(ms: number): void {
    if (!(ms > 0)) throw new Error(`invariant: token TTL must be positive, got ${ms}`);
    this.ttlMs = ms;
  }

  /** A fresh token: 16 random letters and a per-member counter, as etcd's "<random>.<index>". */
  generate(): string {
    let s = '';
    for (let i = 0; i < 16; i++) s += LETTERS[randomInt(LETTERS.length)];
    this.counter += 1;
    return `${s}.${this.counter}`;
  }

  assign(token: string, user: string): void {
    if (this.tokens.size >= MAX_TOKENS) this.sweep();
    if (this.tokens.size >= MAX_TOKENS) {
      // Drop the oldest: Map iterates in insertion order.
      const oldest = this.tokens.keys().next().value;
      if (oldest !== undefined) this.tokens.delete(oldest);
    }
    this.tokens.set(token, { user, expiresAt: this.now() + this.ttlMs });
  }

  /** The user a live token names (and renews it), or undefined. */
  lookup(token: string): string | undefined {
    const t = this.tokens.get(token);
    if (!t) return undefined;
    const now = this.now();
    if (t.expiresAt <= now) {
      this.tokens.delete(token);
      return undefined;
    }
    t.expiresAt = now + this.ttlMs;
    return t.user;
  }

  invalidateUser(user: string): void {
    for (const [token, t] of this.tokens) if (t.user === user) this.tokens.delete(token);
  }

  clear(): void {
    this.tokens.clear();
  }

  private sweep(): void {
    const now = this.now();
    for (const [token, t] of this.tokens) if (t.expiresAt <= now) this.tokens.delete(token);
  }
}
