// CRC-32C (Castagnoli), the hash etcd uses for snapshot status, HashKV and Hash (Go hash/crc32 with
// crc32.Castagnoli). Incremental, because etcd feeds it bucket names, keys and values in sequence.
const POLY = 0x82f63b78;

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export class Crc32c {
  /** The running value, pre-inverted as the table algorithm keeps it. */
  private state = 0xffffffff;

  update(bytes: Uint8Array): this {
    let c = this.state;
    for (let i = 0; i < bytes.length; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
    this.state = c;
    return this;
  }

  /** The checksum of everything fed so far, as an unsigned 32-bit number (Go's Sum32). */
  digest(): number {
    return (this.state ^ 0xffffffff) >>> 0;
  }
}

export function crc32c(bytes: Uint8Array): number {
  return new Crc32c().update(bytes).digest();
}
