// Password hashes. etcd stores bcrypt hashes; Node has no bcrypt, so capstan hashes new passwords with
// scrypt (node:crypto) in a self-describing string, and verifies either kind it finds: its own scrypt
// strings and, through ./bcrypt.js, bcrypt hashes (from etcd's data, or sent as hashedPassword).
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { bcryptVerify } from './bcrypt.js';

const SCRYPT_PREFIX = '$scrypt$';
/** scrypt's cost: 2^14 (the RFC 7914 interactive-login figure), r=8, p=1, 32-byte key. */
const LOG_N = 14;
const KEY_BYTES = 32;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(password, salt, KEY_BYTES, { N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, LOG_N, 8, 1);
  return `${SCRYPT_PREFIX}ln=${LOG_N},r=8,p=1$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches the stored hash; false for a hash of a kind it does not know. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  if (stored.startsWith(SCRYPT_PREFIX)) {
    const m = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
    if (!m) return false;
    const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
    // Refuse absurd parameters rather than spend a minute (or all memory) on a hostile hash.
    if (logN < 1 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 4) return false;
    const want = Buffer.from(m[5]!, 'base64');
    if (want.length !== KEY_BYTES) return false;
    const got = await scryptAsync(password, Buffer.from(m[4]!, 'base64'), logN, r, p);
    return timingSafeEqual(got, want);
  }
  if (/^\$2[abxy]?\$/.test(stored)) return bcryptVerify(password, stored);
  return false;
}
