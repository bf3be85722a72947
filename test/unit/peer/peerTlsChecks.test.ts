import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowedCertificateError, clientSanError, verifyErrorText } from '../../../src/server/tls/peerTlsChecks.js';
import { makeCa, type CertificateAuthority, type CertFiles } from '../../integration/tlsPki.js';
import { removeTempDirs, tempDir } from '../../support/tempDirs.js';

// etcd's checks on a peer's certificate, on certificates made by openssl and read back through a real
// TLS handshake on loopback (what the listener sees), with Go's words for each refusal.

let ca: CertificateAuthority;
let server: CertFiles;

beforeAll(() => {
  const dir = tempDir('peertlschecks');
  ca = makeCa(dir, 'ca');
  server = ca.issue('server', { server: true });
});

afterAll(() => removeTempDirs(false));

/** The client certificate as the listener sees it after a handshake. */
async function seenByListener(client: CertFiles): Promise<tls.PeerCertificate> {
  const srv = tls.createServer({
    cert: readFileSync(server.cert),
    key: readFileSync(server.key),
    ca: readFileSync(ca.cert),
    requestCert: true,
    rejectUnauthorized: false,
  });
  const seen = new Promise<tls.PeerCertificate>((resolve) => {
    srv.once('secureConnection', (s) => {
      resolve(s.getPeerCertificate());
      s.destroy();
    });
  });
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as AddressInfo).port;
  const c = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key) });
  c.on('error', () => {});
  try {
    return await seen;
  } finally {
    c.destroy();
    await new Promise<void>((resolve) => srv.close(() => resolve()));
  }
}

describe('peer certificate checks', () => {
  it('client SANs must name the address the peer comes from (etcd checkCertSAN)', async () => {
    const byIp = await seenByListener(ca.issue('by-ip', { san: 'IP:127.0.0.1' }));
    expect(await clientSanError(byIp, '127.0.0.1')).toBeNull();
    expect(await clientSanError(byIp, '::ffff:127.0.0.1')).toBeNull();
    expect(await clientSanError(byIp, '10.9.9.9')).toBe('x509: certificate is valid for 127.0.0.1, not 10.9.9.9');

    const byName = await seenByListener(ca.issue('by-name', { san: 'DNS:localhost' }));
    expect(await clientSanError(byName, '127.0.0.1')).toBeNull();
    expect(await clientSanError(byName, '10.9.9.9')).toMatch(/^tls: "10\.9\.9\.9" does not match any of DNSNames \["localhost"\]/);

    const noSans = await seenByListener(ca.issue('no-sans'));
    expect(await clientSanError(noSans, '10.9.9.9')).toBeNull();
  });

  it('--peer-cert-allowed-cn and --peer-cert-allowed-hostname', async () => {
    const cert = await seenByListener(ca.issue('cn-peer', { cn: 'etcd-peer', san: 'DNS:peer.example' }));
    expect(allowedCertificateError(cert, { allowedCn: 'etcd-peer', allowedHostname: '' })).toBeNull();
    expect(allowedCertificateError(cert, { allowedCn: 'other', allowedHostname: '' })).toBe('client certificate authentication failed');
    expect(allowedCertificateError(cert, { allowedCn: '', allowedHostname: 'peer.example' })).toBeNull();
    expect(allowedCertificateError(cert, { allowedCn: '', allowedHostname: 'other.example' })).toBe('client certificate authentication failed');
  });

  it("OpenSSL's verification codes in Go's words", async () => {
    const cert = await seenByListener(ca.issue('any'));
    expect(verifyErrorText('UNABLE_TO_VERIFY_LEAF_SIGNATURE', cert)).toBe(
      'tls: failed to verify certificate: x509: certificate signed by unknown authority',
    );
    expect(verifyErrorText('CERT_HAS_EXPIRED', cert)).toBe('tls: failed to verify certificate: x509: certificate has expired or is not yet valid');
    expect(verifyErrorText('CERT_REVOKED', cert)).toBe(`transport: certificate serial ${cert.serialNumber.toLowerCase()} revoked`);
  });
});
