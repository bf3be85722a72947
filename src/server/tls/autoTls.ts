// --auto-tls: a self-signed certificate made at start, as etcd's transport.SelfCert does, under
// <data-dir>/fixtures/client. Node has no certificate builder, so the system's openssl makes it; an
// existing pair is reused (etcd reuses it too), which keeps a restarted member's identity.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';

export interface CertKeyFiles {
  certFile: string;
  keyFile: string;
}

export function selfSignedCertificate(dir: string, hosts: readonly string[], validityYears: number): CertKeyFiles {
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  if (existsSync(certFile) && existsSync(keyFile)) return { certFile, keyFile };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const names = hosts.length > 0 ? hosts : ['127.0.0.1'];
  const san = names.map((h) => (/^[0-9.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  const days = String(Math.max(1, Math.round((validityYears > 0 ? validityYears : 1) * 365)));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', days, '-subj', '/O=etcd',
        '-addext', `subjectAltName=${san}`,
        '-addext', 'extendedKeyUsage=serverAuth,clientAuth',
        '-addext', 'keyUsage=digitalSignature,keyEncipherment',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 },
    );
  } catch (error) {
    throw new Error(`cannot generate cert for --auto-tls (is openssl installed?): ${(error as Error).message}`);
  }
  return { certFile, keyFile };
}
