// FNV-1a 64-bit, the hash bbolt checksums its meta pages with (Go hash/fnv New64a).
const OFFSET_BASIS = 0xcbf29ce484222325n;
const PRIME = 0x100000001b3n;
const MASK = 0xffffffffffffffffn;

export function fnv64a(bytes: Uint8Array): bigint {
  let h = OFFSET_BASIS;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * PRIME) & MASK;
  }
  return h;
}
