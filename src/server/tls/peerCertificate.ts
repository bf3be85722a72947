// Who the client certificate says the caller is: its subject CN, which etcd takes as the user name
// when --client-cert-auth is on and the call carries no token.
import { checkServerIdentity, type PeerCertificate } from 'node:tls';

/** What every grpc-js server call offers about its transport. */
export interface CallWithAuthContext {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
}

export function clientCertificateCommonName(call: CallWithAuthContext): string | null {
  const cert = call.getAuthContext().sslPeerCertificate;
  const cn: string | string[] | undefined = cert?.subject?.CN;
  const name = Array.isArray(cn) ? cn[0] : cn;
  return name === undefined || name === '' ? null : name;
}

/**
 * --client-cert-allowed-hostname: the client certificate must be valid for this name (its SANs, or
 * its CN without SANs), as Go's VerifyHostname decides for etcd. Calls without a certificate (plain
 * listeners) are not concerned.
 */
export function clientCertificateAllowsHostname(call: CallWithAuthContext, hostname: string): boolean {
  const cert = call.getAuthContext().sslPeerCertificate;
  if (!cert || Object.keys(cert).length === 0) return true;
  return checkServerIdentity(hostname, cert) === undefined;
}
