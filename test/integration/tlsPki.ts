// A throwaway PKI made with the system's openssl for TLS tests: CAs, a loopback server certificate,
// client certificates (one per CN), an expired one. Files only; nothing is mocked.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface CertFiles {
  cert: string;
  key: string;
}

export interface CertificateAuthority extends CertFiles {
  name: string;
  /** Issues a certificate signed by this CA; `days` may be negative for an expired one. */
  issue(name: string, options?: { cn?: string; server?: boolean; days?: number; san?: string }): CertFiles;
  /** Writes this CA's CRL revoking `revoked` (and any revoked before) to `file`. */
  writeCrl(file: string, revoked: readonly CertFiles[]): void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

const newKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

export function makeCa(dir: string, name: string): CertificateAuthority {
  const ca: CertFiles = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}-key.pem`) };
  openssl(['req', '-x509', ...newKey, '-keyout', ca.key, '-out', ca.cert, '-days', '30', '-subj', `/CN=${name}`], dir);
  return {
    name,
    ...ca,
    issue(certName, options = {}) {
      const out: CertFiles = { cert: path.join(dir, `${certName}.pem`), key: path.join(dir, `${certName}-key.pem`) };
      const csr = path.join(dir, `${certName}.csr`);
      const ext = path.join(dir, `${certName}.ext`);
      openssl(['req', ...newKey, '-keyout', out.key, '-out', csr, '-subj', `/CN=${options.cn ?? certName}`], dir);
      const extLines = options.server
        ? [`subjectAltName=${options.san ?? 'IP:127.0.0.1,DNS:localhost'}`, 'extendedKeyUsage=serverAuth,clientAuth']
        : ['extendedKeyUsage=clientAuth', ...(options.san ? [`subjectAltName=${options.san}`] : [])];
      writeFileSync(ext, `${extLines.join('\n')}\n`);
      openssl(
        ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', out.cert,
          '-days', String(options.days ?? 30), '-extfile', ext],
        dir,
      );
      return out;
    },
    writeCrl(file, revoked) {
      // `openssl ca` keeps its revocation list in a small database directory per CA.
      const db = path.join(dir, `${name}-crldb`);
      const conf = path.join(db, 'ca.cnf');
      if (!existsSync(db)) {
        mkdirSync(db);
        writeFileSync(path.join(db, 'index.txt'), '');
        writeFileSync(path.join(db, 'crlnumber'), '01\n');
        writeFileSync(conf, `[ca]\ndefault_ca=d\n[d]\ndatabase=${db}/index.txt\ncrlnumber=${db}/crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n`);
      }
      for (const r of revoked) openssl(['ca', '-config', conf, '-revoke', r.cert, '-keyfile', ca.key, '-cert', ca.cert], dir);
      openssl(['ca', '-config', conf, '-gencrl', '-keyfile', ca.key, '-cert', ca.cert, '-out', file], dir);
    },
  };
}
