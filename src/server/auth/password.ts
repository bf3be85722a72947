// Password hashes: bcrypt, as etcd stores them (--bcrypt-cost, default 10), so hashes move between
// etcd and capstan in snapshots and through AuthUserAdd's hashedPassword. Hashes capstan wrote before it
// had bcrypt (scrypt, self-describing) still verify.
import { scrypt, timingSafeEqual } from 'node:crypto';
import { bcryptHash, bcryptVerify } from './bcrypt.js';

const SCRYPT_PREFIX = '$scrypt$';
const SCRYPT_KEY_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, SCRYPT_KEY_BYTES, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export function hashPassword(password: string, cost: number): Promise<string> {
  return bcryptHash(password, cost);
}

/** True when `password` matches the stored hash; false for a hash of a kind it does not know. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (/^\$2[abxy]?\$/.test(stored)) return bcryptVerify(password, stored);
  if (stored.startsWith(SCRYPT_PREFIX)) {
    const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
    if (!m) return false;
    const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // Refuse absurd parameters rather than spend a minute (or all memory) on a hostile hash.
    if (logN < 1 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 4) return false;
    const want = Buffer.from(m[5]!, 'base64');
    if (want.length !== SCRYPT_KEY_BYTES) return false;
    const got = await scryptAsync(password, Buffer.from(m[4]!, 'base64'), logN, r, p);
    return timingSafeEqual(got, want);
  }
  return false;
}
