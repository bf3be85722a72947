// TLS between members, from etcd's peer flags: --peer-cert-file/--peer-key-file (or --peer-auto-tls)
// serve https:// and unixs:// peer listeners and are presented as the client certificate when
// dialling (--peer-client-cert-file/--peer-client-key-file replace them for dialling only);
// --peer-trusted-ca-file verifies both directions; --peer-client-cert-auth (or a CA file: etcd 3.5
// requires a client certificate whenever one is given) makes the listener refuse peers without a
// certificate from that CA. With --peer-auto-tls the dialler does not verify the listener (etcd's
// InsecureSkipVerify for self-signed certificates). Files reload without a restart.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tls from 'node:tls';
import type { Config } from '../config/config.js';
import type { ParsedUrl } from '../config/urls.js';
import type { Logger } from '../logger.js';
import { selfSignedCertificate } from './autoTls.js';
import { opensslCipherList } from './cipherSuites.js';
import { isSecureScheme, tlsVersion } from './clientTls.js';
import {
  allowedCertificateError,
  clientSanError,
  hasCertificate,
  type PeerCertificateRules,
  verifyErrorText,
} from './peerTlsChecks.js';
import { ReloadingServerCredentials, type ReloadLog, type TlsFileSet, type TlsPolicy } from './reloadingCredentials.js';

export interface PeerTlsSettings {
  /** The listener's identity; null when this member has none (it may still dial https:// peers). */
  serverFiles: TlsFileSet | null;
  /** What the dialler presents; null: the listener's files (etcd's default), or none. */
  clientFiles: TlsFileSet | null;
  /** Refuse peers that present no certificate from the trusted CA. */
  requireClientCert: boolean;
  /** false with --peer-auto-tls: the dialler accepts any listener certificate. */
  verifyServer: boolean;
  trustedCaFile: string;
  rules: PeerCertificateRules;
  /** --experimental-peer-skip-client-san-verification. */
  skipClientSanCheck: boolean;
  policy: TlsPolicy;
}

export class PeerTls {
  private readonly server: ReloadingServerCredentials | null;
  private readonly client: ReloadingServerCredentials | null;

  constructor(
    private readonly settings: PeerTlsSettings,
    log: ReloadLog,
  ) {
    this.server = settings.serverFiles ? new ReloadingServerCredentials(settings.serverFiles, settings.policy, log) : null;
    this.client = settings.clientFiles ? new ReloadingServerCredentials(settings.clientFiles, settings.policy, log) : this.server;
  }

  get canListen(): boolean {
    return this.server !== null;
  }

  /** Options for tls.createServer: the current files, and whether to ask for a client certificate. */
  listenerOptions(): tls.TlsOptions {
    if (this.server === null) throw new Error('invariant: a TLS peer listener without a peer certificate');
    // The verdict on the client certificate is ours (refusal()), so that every refusal is logged.
    return { ...this.server.current(), requestCert: this.settings.requireClientCert, rejectUnauthorized: false };
  }

  /** `listener` gets the listener's new context whenever its files change. */
  onListenerReload(listener: (options: tls.SecureContextOptions) => void): void {
    this.server?.onReload(listener);
  }

  /** tls.connect options for dialling `url`'s host (the address itself is the caller's). */
  dialOptions(url: ParsedUrl): tls.ConnectionOptions {
    const options: tls.ConnectionOptions = { rejectUnauthorized: this.settings.verifyServer };
    if (this.client !== null) {
      // A CRL is the listener's business (client certificates); kept out of the dialler's context.
      const { crl: _crl, ...context } = this.client.current();
      Object.assign(options, context);
    } else {
      Object.assign(options, {
        minVersion: this.settings.policy.minVersion,
        maxVersion: this.settings.policy.maxVersion,
        ...(this.settings.policy.ciphers !== undefined ? { ciphers: this.settings.policy.ciphers } : {}),
        ...(this.settings.trustedCaFile !== '' ? { ca: readFileSync(this.settings.trustedCaFile) } : {}),
      });
    }
    // SNI only for names; an IP is verified against the certificate's IP SANs by OpenSSL all the same.
    if (url.scheme === 'https' && !/^[0-9.]+$|:/.test(url.host) && url.host !== '') options.servername = url.host;
    const rules = this.settings.rules;
    options.checkServerIdentity = (host, cert) => {
      // An own checkServerIdentity replaces Node's host check, so it calls it first.
      const identity = tls.checkServerIdentity(host, cert);
      if (identity !== undefined) return identity;
      const why = allowedCertificateError(cert, rules);
      return why === null ? undefined : new Error(why);
    };
    return options;
  }

  /** Why an accepted TLS peer connection must be closed (etcd's words), or null to keep it. */
  async refusal(socket: tls.TLSSocket): Promise<string | null> {
    if (!this.settings.requireClientCert) return null;
    const cert = socket.getPeerCertificate();
    if (!hasCertificate(cert)) return "tls: client didn't provide a certificate";
    if (!socket.authorized) return verifyErrorText(String(socket.authorizationError), cert);
    const notAllowed = allowedCertificateError(cert, this.settings.rules);
    if (notAllowed !== null) return notAllowed;
    const from = socket.remoteAddress;
    if (this.settings.skipClientSanCheck || from === undefined) return null;
    return clientSanError(cert, from);
  }

  /** Starts polling the files for rotation. */
  watch(): void {
    this.server?.watch();
    if (this.client !== this.server) this.client?.watch();
  }

  stop(): void {
    this.server?.stop();
    this.client?.stop();
  }
}

/** Go's u.Host, as etcd's refusal prints it. */
const hostOf = (url: ParsedUrl): string =>
  url.scheme === 'unixs' ? url.path : `${url.host.includes(':') ? `[${url.host}]` : url.host}:${url.port}`;

/**
 * The member's peer TLS from its flags, with etcd's refusals at start and etcd's start-up log lines.
 * Throws when a secure peer listener has no certificate.
 */
export function peerTlsFromConfig(config: Config, logger: Logger): PeerTls {
  const t = config.peerTls;
  if (t.allowedCn !== '' && t.allowedHostname !== '') {
    throw new Error(`AllowedCN and AllowedHostname are mutually exclusive (cn="${t.allowedCn}", hostname="${t.allowedHostname}")`);
  }
  if ((t.clientCertFile === '') !== (t.clientKeyFile === '')) {
    throw new Error(`ClientKeyFile and ClientCertFile must both be present or both absent: key: ${t.clientKeyFile}, cert: ${t.clientCertFile}]`);
  }
  const policy: TlsPolicy = {
    clientCertAuth: false,
    minVersion: tlsVersion(config.tlsMinVersion, 'TLSv1.2'),
    maxVersion: tlsVersion(config.tlsMaxVersion, 'TLSv1.3'),
    ciphers: opensslCipherList(config.cipherSuites),
  };
  const rules = { allowedCn: t.allowedCn, allowedHostname: t.allowedHostname };
  const given = t.certFile !== '' || t.keyFile !== '';
  let settings: PeerTlsSettings;
  if (t.autoTls && !given) {
    // etcd replaces the whole peer TLS info with the self-signed pair: no CA, no client certificates.
    const hosts = config.listenPeerUrls.filter((u) => u.scheme === 'http' || u.scheme === 'https').map((u) => u.host || '127.0.0.1');
    const made = selfSignedCertificate(path.join(config.dataDir, 'fixtures', 'peer'), hosts, config.selfSignedCertValidityYears);
    const files = { ...made, trustedCaFile: '', crlFile: '' };
    settings = { serverFiles: files, clientFiles: null, requireClientCert: false, verifyServer: false, trustedCaFile: '', rules, skipClientSanCheck: config.peerSkipClientSanVerification, policy };
  } else {
    if (t.autoTls) logger.warn('ignoring peer auto TLS since certs given');
    if (given && (t.certFile === '' || t.keyFile === '')) {
      throw new Error(`KeyFile and CertFile must both be present[key: ${t.keyFile}, cert: ${t.certFile}]`);
    }
    settings = {
      serverFiles: given ? { certFile: t.certFile, keyFile: t.keyFile, trustedCaFile: t.trustedCaFile, crlFile: t.crlFile } : null,
      clientFiles: t.clientCertFile !== '' ? { certFile: t.clientCertFile, keyFile: t.clientKeyFile, trustedCaFile: t.trustedCaFile, crlFile: '' } : null,
      // Without a CA file, client certificates are verified against the system's roots (etcd: Go's pool).
      requireClientCert: given && (t.clientCertAuth || t.trustedCaFile !== ''),
      verifyServer: true,
      trustedCaFile: t.trustedCaFile,
      rules,
      skipClientSanCheck: config.peerSkipClientSanVerification,
      policy,
    };
  }
  for (const url of config.listenPeerUrls) {
    if (isSecureScheme(url) && settings.serverFiles === null) {
      throw new Error(`cannot listen on TLS for ${hostOf(url)}: KeyFile and CertFile are not presented`);
    }
    if (!isSecureScheme(url) && settings.serverFiles !== null) {
      logger.warn('scheme is HTTP while key and cert files are present; ignoring key and cert files', { 'peer-url': url.text });
    }
    if (!isSecureScheme(url) && t.clientCertAuth) {
      logger.warn('scheme is HTTP while --peer-client-cert-auth is enabled; ignoring client cert auth for this URL', { 'peer-url': url.text });
    }
  }
  const files = settings.serverFiles;
  if (files !== null) {
    const client = settings.clientFiles;
    logger.info('starting with peer TLS', {
      'tls-info':
        `cert = ${files.certFile}, key = ${files.keyFile}, client-cert=${client?.certFile ?? ''}, client-key=${client?.keyFile ?? ''}, ` +
        `trusted-ca = ${files.trustedCaFile}, client-cert-auth = ${t.clientCertAuth}, crl-file = ${files.crlFile}`,
      'cipher-suites': config.cipherSuites,
    });
  }
  const peerTls = new PeerTls(settings, {
    reloaded: (f) => logger.info('reloaded peer TLS certificate files', { ...f }),
    rejected: (f, error) =>
      logger.warn('ignoring changed peer TLS files that do not load; the previous ones stay in force', { ...f, error: error.message }),
  });
  peerTls.watch();
  return peerTls;
}
