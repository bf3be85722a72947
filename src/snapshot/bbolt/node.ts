// Decoding the element arrays of leaf and branch pages. An element's `pos` is relative to the element's
// own address (bbolt node.write), and keys/values may run on into the page's overflow pages, so every
// range is checked against the node's whole image.
import { BoltFormatError } from './errors.js';
import { BRANCH_ELEMENT_SIZE, LEAF_ELEMENT_SIZE, PAGE_HEADER_SIZE } from './layout.js';

export interface LeafElement {
  flags: number;
  key: Buffer;
  value: Buffer;
}

export interface BranchElement {
  key: Buffer;
  pgid: bigint;
}

function slice(image: Buffer, start: number, length: number, where: string, what: string): Buffer {
  if (start < 0 || length < 0 || start + length > image.length) {
    throw new BoltFormatError(`${where}: ${what} [${start}, ${start + length}) lies outside the node's ${image.length} bytes`);
  }
  return image.subarray(start, start + length);
}

function checkElementArray(image: Buffer, count: number, elementSize: number, where: string): void {
  const end = PAGE_HEADER_SIZE + count * elementSize;
  if (end > image.length) {
    throw new BoltFormatError(`${where}: ${count} elements need ${end} bytes but the node has ${image.length}`);
  }
}

/** `image` starts at the page header and spans the page with its overflow (or an inline bucket's value). */
export function decodeLeafElements(image: Buffer, count: number, where: string): LeafElement[] {
  checkElementArray(image, count, LEAF_ELEMENT_SIZE, where);
  const out: LeafElement[] = new Array<LeafElement>(count);
  for (let i = 0; i < count; i++) {
    const at = PAGE_HEADER_SIZE + i * LEAF_ELEMENT_SIZE;
    const flags = image.readUInt32LE(at);
    const pos = image.readUInt32LE(at + 4);
    const ksize = image.readUInt32LE(at + 8);
    const vsize = image.readUInt32LE(at + 12);
    const key = slice(image, at + pos, ksize, where, `key of leaf element ${i}`);
    const value = slice(image, at + pos + ksize, vsize, where, `value of leaf element ${i}`);
    out[i] = { flags, key, value };
  }
  return out;
}

export function decodeBranchElements(image: Buffer, count: number, where: string): BranchElement[] {
  checkElementArray(image, count, BRANCH_ELEMENT_SIZE, where);
  const out: BranchElement[] = new Array<BranchElement>(count);
  for (let i = 0; i < count; i++) {
    const at = PAGE_HEADER_SIZE + i * BRANCH_ELEMENT_SIZE;
    const pos = image.readUInt32LE(at);
    const ksize = image.readUInt32LE(at + 4);
    const pgid = image.readBigUInt64LE(at + 8);
    out[i] = { key: slice(image, at + pos, ksize, where, `key of branch element ${i}`), pgid };
  }
  return out;
}
