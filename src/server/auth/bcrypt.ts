// bcrypt (Provos and Mazières' eksblowfish, OpenBSD's $2a$/$2b$/$2y$ format), which etcd uses for
// user passwords. Node's crypto has no Blowfish, so it is written here; tests check it against known
// hashes and against etcd accepting hashes made here. The work yields to the event loop between
// rounds so one slow hash (cost 10 is ~10^6 block encryptions) does not stall every other request.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { blowfishInitialWords } from './blowfishTables.js';

const BCRYPT_ALPHABET = './ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** "OrpheanBeholderScryDoubt", the text bcrypt encrypts 64 times. */
const MAGIC = Buffer.from('OrpheanBeholderScryDoubt');
export const BCRYPT_MIN_COST = 4;
export const BCRYPT_MAX_COST = 31;
/** Rounds of the expensive loop between yields to the event loop. */
const ROUNDS_PER_YIELD = 64;

function translate(text: string, from: string, to: string): string {
  let out = '';
  for (const ch of text) {
    const i = from.indexOf(ch);
    if (i < 0) throw new Error(`bcrypt: invalid base64 character ${JSON.stringify(ch)}`);
    out += to[i];
  }
  return out;
}

/** bcrypt's base64: standard bit order, its own alphabet, no padding. */
function encode(bytes: Buffer): string {
  return translate(bytes.toString('base64').replace(/=+$/, ''), BASE64_ALPHABET, BCRYPT_ALPHABET);
}

function decode(text: string, length: number): Buffer {
  const out = Buffer.from(translate(text, BCRYPT_ALPHABET, BASE64_ALPHABET), 'base64');
  if (out.length < length) throw new Error('bcrypt: encoded value too short');
  return out.subarray(0, length);
}

class Blowfish {
  readonly p = new Uint32Array(18);
  readonly s = new Uint32Array(1024);

  constructor() {
    const init = blowfishInitialWords();
    this.p.set(init.subarray(0, 18));
    this.s.set(init.subarray(18));
  }

  /** Encrypts the block held in lr[off], lr[off+1] in place. */
  encrypt(lr: Uint32Array, off: number): void {
    const { p, s } = this;
    let l = lr[off]!;
    let r = lr[off + 1]!;
    for (let i = 0; i < 16; i += 2) {
      l ^= p[i]!;
      r ^= (((s[l >>> 24]! + s[256 | ((l >>> 16) & 0xff)]!) ^ s[512 | ((l >>> 8) & 0xff)]!) + s[768 | (l & 0xff)]!) >>> 0;
      r ^= p[i + 1]!;
      l ^= (((s[r >>> 24]! + s[256 | ((r >>> 16) & 0xff)]!) ^ s[512 | ((r >>> 8) & 0xff)]!) + s[768 | (r & 0xff)]!) >>> 0;
    }
    lr[off] = (r ^ p[17]!) >>> 0;
    lr[off + 1] = (l ^ p[16]!) >>> 0;
  }

  /** ExpandKey(state, salt, key); a null salt is the all-zero salt of the expensive loop. */
  expand(key: Buffer, salt: Buffer | null): void {
    let kp = 0;
    const keyWord = (): number => {
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = ((w << 8) | key[kp]!) >>> 0;
        kp = (kp + 1) % key.length;
      }
      return w;
    };
    for (let i = 0; i < 18; i++) this.p[i] = (this.p[i]! ^ keyWord()) >>> 0;
    let sp = 0;
    const saltWord = (): number => {
      if (salt === null) return 0;
      let w = 0;
      for (let i = 0; i < 4; i++) {
        w = ((w << 8) | salt[sp]!) >>> 0;
        sp = (sp + 1) % salt.length;
      }
      return w;
    };
    const lr = new Uint32Array(2);
    const fill = (table: Uint32Array, count: number) => {
      for (let i = 0; i < count; i += 2) {
        lr[0] = (lr[0]! ^ saltWord()) >>> 0;
        lr[1] = (lr[1]! ^ saltWord()) >>> 0;
        this.encrypt(lr, 0);
        table[i] = lr[0]!;
        table[i + 1] = lr[1]!;
      }
    };
    fill(this.p, 18);
    fill(this.s, 1024);
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The 23-byte bcrypt digest of `password` with `salt` (16 bytes) at 2^cost rounds. */
async function digest(password: Buffer, salt: Buffer, cost: number): Promise<Buffer> {
  if (salt.length !== 16) throw new Error('invariant: bcrypt salt must be 16 bytes');
  // $2a$/$2b$: the password's bytes and a terminating NUL, at most 72 bytes.
  const key = Buffer.concat([password, Buffer.from([0])]).subarray(0, 72);
  const bf = new Blowfish();
  bf.expand(key, salt);
  const rounds = 2 ** cost;
  for (let i = 0; i < rounds; i++) {
    bf.expand(key, null);
    bf.expand(salt, null);
    if (i % ROUNDS_PER_YIELD === ROUNDS_PER_YIELD - 1) await yieldToLoop();
  }
  const text = new Uint32Array(6);
  for (let i = 0; i < 6; i++) text[i] = MAGIC.readUInt32BE(4 * i);
  for (let i = 0; i < 64; i++) for (let j = 0; j < 6; j += 2) bf.encrypt(text, j);
  const out = Buffer.alloc(24);
  for (let i = 0; i < 6; i++) out.writeUInt32BE(text[i]!, 4 * i);
  return out.subarray(0, 23);
}

const HASH_RE = /^\$(2[abxy]?)\$(\d{2})\$([./A-Za-z0-9]{22})([./A-Za-z0-9]{31})$/;

/** A new $2a$ hash, as Go's bcrypt.GenerateFromPassword writes it. */
export async function bcryptHash(password: string, cost: number): Promise<string> {
  if (!Number.isInteger(cost) || cost < BCRYPT_MIN_COST || cost > BCRYPT_MAX_COST) {
    throw new Error(`bcrypt: cost ${cost} outside [${BCRYPT_MIN_COST}, ${BCRYPT_MAX_COST}]`);
  }
  const salt = randomBytes(16);
  const d = await digest(Buffer.from(password), salt, cost);
  return `$2a$${String(cost).padStart(2, '0')}$${encode(salt)}${encode(d)}`;
}

/** True when `password` matches the bcrypt `hash`; false for a malformed hash. */
export async function bcryptVerify(password: string, hash: string): Promise<boolean> {
  const m = HASH_RE.exec(hash);
  if (!m) return false;
  const cost = Number(m[2]);
  // A hostile stored hash must not buy hours of CPU: refuse costs above what anyone configures.
  if (cost < BCRYPT_MIN_COST || cost > 20) return false;
  const d = await digest(Buffer.from(password), decode(m[3]!, 16), cost);
  const want = decode(m[4]!, 23);
  return timingSafeEqual(d, want);
}
