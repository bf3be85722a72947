// What the auth store needs from a token kind (etcd's TokenProvider): make a token for a user, learn
// a token when its Authenticate entry applies, and say whose a presented token is.
export interface TokenProvider {
  /** A new token for `user` (the proposer makes it; every member learns it through the log). */
  generate(user: string, authRevision: number): string;
  assign(token: string, user: string): void;
  /** The user a valid token names, or undefined. */
  lookup(token: string): string | undefined;
  invalidateUser(user: string): void;
  clear(): void;
  setTtlMs(ms: number): void;
}
