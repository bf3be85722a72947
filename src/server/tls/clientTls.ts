// The client listener's TLS, from etcd's flags: --cert-file/--key-file (or --auto-tls), with
// --trusted-ca-file, --client-cert-auth and --client-crl-file for client certificates, --cipher-suites,
// --tls-min-version and --tls-max-version. https:// and unixs:// listeners use it; http:// and unix:// stay plain, as etcd.
import path from 'node:path';
import type * as tls from 'node:tls';
import type { Config } from '../config/config.js';
import type { ParsedUrl } from '../config/urls.js';
import { selfSignedCertificate } from './autoTls.js';
import { opensslCipherList } from './cipherSuites.js';
import { type ReloadLog, ReloadingServerCredentials, type TlsFileSet } from './reloadingCredentials.js';

export const isSecureScheme = (url: ParsedUrl): boolean => url.scheme === 'https' || url.scheme === 'unixs';

/** Node's names for etcd's versions; etcd's default minimum is TLS 1.2 and its maximum TLS 1.3. */
export function tlsVersion(v: '' | 'TLS1.2' | 'TLS1.3', fallback: tls.SecureVersion): tls.SecureVersion {
  return v === 'TLS1.2' ? 'TLSv1.2' : v === 'TLS1.3' ? 'TLSv1.3' : fallback;
}

/**
 * Credentials from the client TLS flags for `urls` (the client listeners by default; etcd serves secure
 * metrics URLs with the same flags), or null when none is https/unixs. Throws etcd's refusal when a
 * secure listener has no certificate.
 */
export function clientCredentials(
  config: Config,
  log: ReloadLog,
  urls: readonly ParsedUrl[] = config.listenClientUrls,
): ReloadingServerCredentials | null {
  const secure = urls.filter(isSecureScheme);
  if (secure.length === 0) return null;
  const t = config.clientTls;
  let files: TlsFileSet;
  if (t.certFile !== '' || t.keyFile !== '') {
    files = { certFile: t.certFile, keyFile: t.keyFile, trustedCaFile: t.trustedCaFile, crlFile: t.crlFile };
  } else if (t.autoTls) {
    const hosts = secure.map((u) => (u.host === '' ? '127.0.0.1' : u.host));
    const made = selfSignedCertificate(path.join(config.dataDir, 'fixtures', 'client'), hosts, config.selfSignedCertValidityYears);
    files = { ...made, trustedCaFile: t.trustedCaFile, crlFile: t.crlFile };
  } else {
    throw new Error(`TLS key/cert (--cert-file, --key-file) must be provided for client url ${secure[0]!.text} with HTTPS scheme`);
  }
  if (files.certFile === '' || files.keyFile === '') {
    throw new Error('both --cert-file and --key-file must be given for a secure client listener');
  }
  if (t.clientCertAuth && files.trustedCaFile === '') {
    throw new Error('--client-cert-auth needs --trusted-ca-file to verify client certificates');
  }
  return new ReloadingServerCredentials(
    files,
    {
      clientCertAuth: t.clientCertAuth,
      minVersion: tlsVersion(config.tlsMinVersion, 'TLSv1.2'),
      maxVersion: tlsVersion(config.tlsMaxVersion, 'TLSv1.3'),
      ciphers: opensslCipherList(config.cipherSuites),
    },
    log,
  );
}
