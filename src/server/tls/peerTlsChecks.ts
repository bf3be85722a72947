// What etcd checks about the other side of a peer TLS connection beyond OpenSSL's handshake, and the
// reasons it gives, in Go's words (operators grep etcd's logs for them):
// - the client certificate must chain to --peer-trusted-ca-file (and not be revoked by --peer-crl-file);
// - --peer-cert-allowed-cn / --peer-cert-allowed-hostname (etcd's VerifyPeerCertificate, both sides);
// - the client certificate's SANs must name the address it connects from (etcd's checkCertSAN),
//   unless --experimental-peer-skip-client-san-verification.
import { promises as dns } from 'node:dns';
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface PeerCertificateRules {
  allowedCn: string;
  allowedHostname: string;
}

/** No certificate at all: Node hands an empty object. */
export function hasCertificate(cert: PeerCertificate | null | undefined): cert is PeerCertificate {
  return cert !== null && cert !== undefined && Object.keys(cert).length > 0;
}

function commonName(cert: PeerCertificate): string {
  const cn: string | string[] | undefined = cert.subject?.CN;
  return (Array.isArray(cn) ? cn[0] : cn) ?? '';
}

/** --peer-cert-allowed-cn / --peer-cert-allowed-hostname on a verified certificate; null when it passes. */
export function allowedCertificateError(cert: PeerCertificate, rules: PeerCertificateRules): string | null {
  if (rules.allowedCn !== '' && commonName(cert) !== rules.allowedCn) return 'client certificate authentication failed';
  if (rules.allowedHostname !== '' && checkServerIdentity(rules.allowedHostname, cert) !== undefined) {
    return 'client certificate authentication failed';
  }
  return null;
}

const UNKNOWN_AUTHORITY = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
]);

/** Go's text for OpenSSL's verification error code of a client certificate. */
export function verifyErrorText(code: string, cert: PeerCertificate): string {
  if (code === 'CERT_REVOKED') return `transport: certificate serial ${cert.serialNumber.toLowerCase()} revoked`;
  if (UNKNOWN_AUTHORITY.has(code)) return 'tls: failed to verify certificate: x509: certificate signed by unknown authority';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') {
    return 'tls: failed to verify certificate: x509: certificate has expired or is not yet valid';
  }
  return `tls: failed to verify certificate: ${code}`;
}

const NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_UNKNOWN_PROTOCOL']);

/** Go's text for a handshake that failed inside OpenSSL. */
export function handshakeErrorText(error: Error & { code?: string }): string {
  if (error.code !== undefined && NOT_TLS.has(error.code)) return 'tls: first record does not look like a TLS handshake';
  return error.message;
}

/** IPs compared in one spelling: IPv4-mapped IPv6 as IPv4, IPv6 compressed. */
function canonicalIp(ip: string): string {
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (v4) return v4[1]!;
  if (!ip.includes(':')) return ip;
  try {
    return new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  } catch {
    return ip.toLowerCase();
  }
}

function subjectAltNames(cert: PeerCertificate): { ips: string[]; dnsNames: string[] } {
  const ips: string[] = [];
  const dnsNames: string[] = [];
  for (const part of (cert.subjectaltname ?? '').split(', ')) {
    if (part.startsWith('IP Address:')) ips.push(part.slice('IP Address:'.length));
    else if (part.startsWith('DNS:')) dnsNames.push(part.slice('DNS:'.length));
  }
  return { ips, dnsNames };
}

/**
 * etcd's checkCertSAN: a certificate with SANs must name `remoteHost` by IP, or by a DNS name that
 * resolves to it (forward lookup; etcd also tries a reverse lookup, which loopback never needs).
 * Null when it does.
 */
export async function clientSanError(cert: PeerCertificate, remoteHost: string): Promise<string | null> {
  const { ips, dnsNames } = subjectAltNames(cert);
  if (ips.length === 0 && dnsNames.length === 0) return null;
  const host = canonicalIp(remoteHost);
  if (ips.length > 0) {
    if (ips.some((ip) => canonicalIp(ip) === host)) return null;
    if (dnsNames.length === 0) return `x509: certificate is valid for ${ips.join(', ')}, not ${host}`;
  }
  let lookupError = '';
  for (const name of dnsNames.filter((n) => !n.startsWith('*.'))) {
    try {
      const addresses = await dns.lookup(name, { all: true });
      if (addresses.some((a) => canonicalIp(a.address) === host)) return null;
    } catch (error) {
      lookupError = ` (${(error as Error).message})`;
    }
  }
  return `tls: "${host}" does not match any of DNSNames [${dnsNames.map((n) => `"${n}"`).join(' ')}]${lookupError}`;
}

/** The host part of where a socket comes from ('' when unknown, e.g. a unix socket). */
export function remoteHostOf(socket: TLSSocket): string {
  return socket.remoteAddress ?? '';
}
