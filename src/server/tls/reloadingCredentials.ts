// Server credentials whose certificate, key and CA bundle are re-read from disk when they change, so
// an operator rotates them without a restart (etcd re-reads its files on every handshake). grpc-js lets
// a ServerCredentials push a new secure context to every server bound with it; this class polls the
// files' stat and pushes a context built from the new contents. A half-written rotation (a cert that
// does not match its key) is not applied: the old context stays until the files agree again.
import { readFileSync, statSync } from 'node:fs';
import * as tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';

export interface TlsFileSet {
  certFile: string;
  keyFile: string;
  /** '' when client certificates are not verified. */
  trustedCaFile: string;
  /** --client-crl-file: revoked client certificates ('' for none). */
  crlFile: string;
}

export interface TlsPolicy {
  clientCertAuth: boolean;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion;
  ciphers: string | undefined;
}

export interface ReloadLog {
  reloaded(files: TlsFileSet): void;
  rejected(files: TlsFileSet, error: Error): void;
}

const POLL_MS = 500;

function fingerprint(files: TlsFileSet): string {
  return [files.certFile, files.keyFile, files.trustedCaFile, files.crlFile]
    .filter((f) => f !== '')
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

function contextOptions(files: TlsFileSet, policy: TlsPolicy): tls.SecureContextOptions {
  const options: tls.SecureContextOptions = {
    cert: readFileSync(files.certFile),
    key: readFileSync(files.keyFile),
    minVersion: policy.minVersion,
    maxVersion: policy.maxVersion,
  };
  if (files.trustedCaFile !== '') options.ca = readFileSync(files.trustedCaFile);
  if (files.crlFile !== '') options.crl = readFileSync(files.crlFile);
  if (policy.ciphers !== undefined) options.ciphers = policy.ciphers;
  // Building it here proves the files agree before any server sees them.
  tls.createSecureContext(options);
  return options;
}

export class ReloadingServerCredentials extends grpc.ServerCredentials {
  private seen: string;
  private rejectedAt = '';
  private timer: NodeJS.Timeout | null = null;
  private readonly reloadListeners: Array<(options: tls.SecureContextOptions) => void> = [];

  constructor(
    private readonly files: TlsFileSet,
    private readonly policy: TlsPolicy,
    private readonly log: ReloadLog,
  ) {
    // requestCert/rejectUnauthorized are server options (fixed); everything file-borne is the context.
    super(
      { requestCert: policy.clientCertAuth, rejectUnauthorized: policy.clientCertAuth },
      contextOptions(files, policy),
    );
    this.seen = fingerprint(files);
  }

  /** Whether clients must present a verified certificate (--client-cert-auth). */
  get requestCert(): boolean {
    return this.policy.clientCertAuth;
  }

  /** Tells `listener` of every accepted new context (an https listener beside the gRPC ones). */
  onReload(listener: (options: tls.SecureContextOptions) => void): void {
    this.reloadListeners.push(listener);
  }

  /** The options of the context in force (for an https listener beside the gRPC one). */
  current(): tls.SecureContextOptions {
    const options = this._getSecureContextOptions();
    if (options === null) throw new Error('invariant: TLS credentials without a secure context');
    return options;
  }

  /** Starts watching the files; listeners get each accepted new context. */
  watch(onContext?: (options: tls.SecureContextOptions) => void): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(onContext), POLL_MS);
    this.timer.unref();
  }

  /** Checks the files now (the poller calls this; tests may too). */
  poll(onContext?: (options: tls.SecureContextOptions) => void): void {
    const now = fingerprint(this.files);
    if (now === this.seen) return;
    try {
      const options = contextOptions(this.files, this.policy);
      this.seen = now;
      this.updateSecureContextOptions(options);
      onContext?.(options);
      for (const listener of this.reloadListeners) listener(options);
      this.log.reloaded(this.files);
    } catch (error) {
      // Keep `seen` so the files are retried; the old context keeps serving meanwhile. Log once a state.
      if (this.rejectedAt !== now) this.log.rejected(this.files, error as Error);
      this.rejectedAt = now;
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  _equals(other: grpc.ServerCredentials): boolean {
    return other === this;
  }
}
