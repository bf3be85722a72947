import { describe, expect, it } from 'vitest';
import { bcryptHash, bcryptVerify } from '../../../src/server/auth/bcrypt.js';
import { hashPassword, verifyPassword } from '../../../src/server/auth/password.js';

// Known hashes: the first three are crypt_blowfish's published test vectors; all were checked with the
// system's crypt(3) (libxcrypt), an independent bcrypt.
const VECTORS: Array<[string, string]> = [
  ['U*U', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW'],
  ['', '$2a$05$CCCCCCCCCCCCCCCCCCCCC.7uG0VCzI2bS7j6ymqJi9CdcdxiRTWNy'],
  [
    '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789chars after 72 are ignored',
    '$2a$05$abcdefghijklmnopqrstuu5s2v8.iXieOjg/.AySBTTZIIVFJeBui',
  ],
  ['rootpw', '$2a$10$N9qo8uLOickgx2ZMRZoMyeY/Qm95QE7kbJUqrx4Fdswk9sp4RlMGe'],
  ['pässwördÿ', '$2b$06$abcdefghijklmnopqrstuuWCEEILg3nnQgI/dTx13wOkistJZ.4F.'],
];

describe('bcrypt', () => {
  it.each(VECTORS)('verifies the known hash of %j', async (password, hash) => {
    expect(await bcryptVerify(password, hash)).toBe(true);
    expect(await bcryptVerify(`x${password}`, hash)).toBe(false);
  });

  it('ignores bytes past 72', async () => {
    const [pw, hash] = VECTORS[2]!;
    expect(await bcryptVerify(`${pw} and more`, hash)).toBe(true);
  });

  it('hashes in $2a$ with the given cost, verifiable, salted', async () => {
    const a = await bcryptHash('secret', 4);
    const b = await bcryptHash('secret', 4);
    expect(a).toMatch(/^\$2a\$04\$[./A-Za-z0-9]{53}$/);
    expect(a).not.toBe(b);
    expect(await bcryptVerify('secret', a)).toBe(true);
    expect(await bcryptVerify('Secret', a)).toBe(false);
  });

  it('refuses malformed hashes and absurd costs without working on them', async () => {
    expect(await bcryptVerify('x', '$2a$05$short')).toBe(false);
    expect(await bcryptVerify('x', '$2a$31$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW')).toBe(false);
    await expect(bcryptHash('x', 3)).rejects.toThrow('outside');
  });

  it('password.ts hashes with bcrypt and still verifies older scrypt hashes', async () => {
    const h = await hashPassword('pw', 4);
    expect(h.startsWith('$2a$04$')).toBe(true);
    expect(await verifyPassword('pw', h)).toBe(true);
    const scrypt = '$scrypt$ln=1,r=1,p=1$AAAAAAAAAAAAAAAAAAAAAA==$' + 'A'.repeat(43) + '=';
    expect(await verifyPassword('pw', scrypt)).toBe(false);
    expect(await verifyPassword('pw', 'plain')).toBe(false);
  });
});
