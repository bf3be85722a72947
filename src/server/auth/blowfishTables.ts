// Blowfish's initial P-array and S-boxes are the hexadecimal digits of pi's fractional part, in order
// (P first, then S0..S3). Rather than paste 1042 constants, compute them once: pi to 33,408 bits with
// Machin's formula in BigInt fixed point (a few milliseconds), then cut the bits into 32-bit words.

const WORDS = 18 + 4 * 256;
const FRACTION_BITS = WORDS * 32;
const GUARD_BITS = 64;

/** atan(1/x) scaled by 2^bits, by the alternating series. */
function arctanInverse(x: bigint, bits: number): bigint {
  const one = 1n << BigInt(bits);
  const x2 = x * x;
  let power = one / x; // 1 / x^(2k+1), scaled
  let sum = power;
  for (let k = 1n; power !== 0n; k++) {
    power /= x2;
    const term = power / (2n * k + 1n);
    sum += k % 2n === 1n ? -term : term;
  }
  return sum;
}

function piWords(): Uint32Array {
  const bits = FRACTION_BITS + GUARD_BITS;
  const pi = 16n * arctanInverse(5n, bits) - 4n * arctanInverse(239n, bits);
  // Drop the integer part (3) and the guard bits, leaving exactly the fraction's first bits.
  const fraction = (pi - (3n << BigInt(bits))) >> BigInt(GUARD_BITS);
  const words = new Uint32Array(WORDS);
  for (let i = 0; i < WORDS; i++) {
    words[i] = Number((fraction >> BigInt(FRACTION_BITS - 32 * (i + 1))) & 0xffffffffn);
  }
  // Blowfish's well-known first and last constants: a wrong series would not produce both.
  if (words[0] !== 0x243f6a88 || words[17] !== 0x8979fb1b || words[WORDS - 1] !== 0x3ac372e6) {
    throw new Error('invariant: Blowfish constants computed from pi are wrong');
  }
  return words;
}

let cached: Uint32Array | null = null;

/** The 1042 initial words: P[0..17], then S0[0..255] .. S3[0..255]. */
export function blowfishInitialWords(): Uint32Array {
  cached ??= piWords();
  return cached;
}
