// A command-line parser with the semantics of Go's `flag` package as etcd uses it (ContinueOnError),
// so every argv etcd accepts is accepted here with the same meaning, and every argv etcd rejects is
// rejected with the same words: `-name x`, `--name=x`, `-pre-vote`, `-pre-vote=false`, parsing
// stops at the first non-flag argument or at `--`.

import { parseGoDuration } from './duration.js';
import { parseUrls, type ParsedUrl, UrlError } from './urls.js';

export type FlagKind =
  | { readonly type: 'bool' }
  | { readonly type: 'string' }
  | { readonly type: 'int'; readonly bits: 32 | 64 }
  | { readonly type: 'uint'; readonly bits: 32 | 64 }
  | { readonly type: 'duration' }
  /** etcd's UniqueURLs: comma-separated URLs; `exceptions` are literal values also allowed ("*"). */
  | { readonly type: 'urls'; readonly exceptions?: readonly string[] }
  /** etcd's StringsValue / UniqueStringsValue: comma-separated list. */
  | { readonly type: 'strings'; readonly unique: boolean }
  /** etcd's SelectiveStringValue: one of a fixed set, error text "invalid value". */
  | { readonly type: 'choice'; readonly choices: readonly string[] }
  /** etcd's IgnoredFlag: accepted (as a boolean-style flag) and dropped. */
  | { readonly type: 'ignored' };

export type FlagValue = boolean | string | number | readonly ParsedUrl[] | readonly string[];

export interface FlagDef {
  readonly name: string;
  readonly kind: FlagKind;
  /** The default in the textual form a user would type; '' for an empty list/string. */
  readonly defaultText: string;
}

/** A flag that cannot be parsed, in Go's words. */
export class FlagError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FlagError';
  }
}

/** Thrown by a value's setter; the parser wraps `reason` in Go's per-source message. */
class ValueError extends Error {}

const GO_TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const GO_FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function parseGoBool(text: string): boolean {
  if (GO_TRUE.has(text)) return true;
  if (GO_FALSE.has(text)) return false;
  throw new ValueError('parse error');
}

/** strconv.ParseInt/ParseUint with base 0, reporting Go flag's errParse/errRange. */
function parseGoInteger(text: string, signed: boolean, bits: 32 | 64): number {
  let s = text;
  let negative = false;
  if (s.startsWith('+') || s.startsWith('-')) {
    if (!signed) throw new ValueError('parse error');
    negative = s[0] === '-';
    s = s.slice(1);
  }
  let digits: string;
  let radix: number;
  if (/^0[xX]/.test(s)) [digits, radix] = [s.slice(2), 16];
  else if (/^0[oO]/.test(s)) [digits, radix] = [s.slice(2), 8];
  else if (/^0[bB]/.test(s)) [digits, radix] = [s.slice(2), 2];
  else if (/^0[0-9_]/.test(s)) [digits, radix] = [s.slice(1), 8];
  else [digits, radix] = [s, 10];
  if (radix !== 10 && digits.includes('_')) digits = digits.replace(/_(?=[0-9a-fA-F])/g, '');
  const valid = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[radix as 2 | 8 | 10 | 16];
  if (!valid.test(digits)) throw new ValueError('parse error');
  let value = 0n;
  for (const ch of digits) value = value * BigInt(radix) + BigInt(parseInt(ch, radix));
  if (negative) value = -value;
  const max = signed ? (1n << BigInt(bits - 1)) - 1n : (1n << BigInt(bits)) - 1n;
  const min = signed ? -(1n << BigInt(bits - 1)) : 0n;
  if (value > max || value < min) throw new ValueError('value out of range');
  return Number(value);
}

function splitList(text: string): string[] {
  return text === '' ? [] : text.split(',');
}

/** Converts text to a flag's value, throwing ValueError with the reason Go's flag.Value.Set gives. */
export function convertFlagValue(kind: FlagKind, text: string): FlagValue {
  switch (kind.type) {
    case 'bool':
      return parseGoBool(text);
    case 'ignored':
      return text;
    case 'string':
      return text;
    case 'int':
      return parseGoInteger(text, true, kind.bits);
    case 'uint':
      return parseGoInteger(text, false, kind.bits);
    case 'duration': {
      const ms = parseGoDuration(text);
      if (ms === null) throw new ValueError('parse error');
      return ms;
    }
    case 'urls': {
      if (kind.exceptions?.includes(text)) return [];
      if (text === '') return [];
      try {
        return parseUrls(text);
      } catch (e) {
        if (e instanceof UrlError) throw new ValueError(e.message);
        throw e;
      }
    }
    case 'strings': {
      const items = splitList(text);
      return kind.unique ? [...new Set(items)].sort() : items;
    }
    case 'choice':
      if (!kind.choices.includes(text)) throw new ValueError('invalid value');
      return text;
  }
}

function isBoolLike(kind: FlagKind): boolean {
  return kind.type === 'bool' || kind.type === 'ignored';
}

export interface ParsedArgs {
  /** Values of flags given on the command line, by flag name, in their converted form. */
  readonly values: Map<string, FlagValue>;
  /** Raw text of each flag as given (the last occurrence), for diagnostics. */
  readonly texts: Map<string, string>;
  /** Arguments after the flags (Go's FlagSet.Args()). */
  readonly rest: string[];
  /** `-h`, `-help`, `--help` seen: Go returns flag.ErrHelp. */
  readonly help: boolean;
}

/**
 * Parses argv like Go's FlagSet.Parse. Throws FlagError with Go's message
 * (`flag provided but not defined: -foo`, `flag needs an argument: -name`,
 * `invalid value "x" for flag -initial-cluster-state: invalid value`, ...).
 */
export function parseArgs(defs: ReadonlyMap<string, FlagDef>, argv: readonly string[]): ParsedArgs {
  const values = new Map<string, FlagValue>();
  const texts = new Map<string, string>();
  const maxArgs = argv.length;
  let i = 0;
  for (let guard = 0; guard <= maxArgs; guard++) {
    if (i >= argv.length) break;
    const arg = argv[i]!;
    if (arg.length < 2 || arg[0] !== '-') break;
    let numMinuses = 1;
    if (arg[1] === '-') {
      numMinuses = 2;
      if (arg.length === 2) {
        i++; // "--" terminates the flags
        break;
      }
    }
    let name = arg.slice(numMinuses);
    if (name.length === 0 || name[0] === '-' || name[0] === '=') throw new FlagError(`bad flag syntax: ${arg}`);
    i++;
    let hasValue = false;
    let valueText = '';
    const eq = name.indexOf('=');
    if (eq >= 0) {
      valueText = name.slice(eq + 1);
      hasValue = true;
      name = name.slice(0, eq);
    }
    const def = defs.get(name);
    if (def === undefined) {
      if (name === 'help' || name === 'h') return { values, texts, rest: argv.slice(i), help: true };
      throw new FlagError(`flag provided but not defined: -${name}`);
    }
    if (isBoolLike(def.kind)) {
      const text = hasValue ? valueText : 'true';
      try {
        values.set(name, convertFlagValue(def.kind, text));
      } catch (e) {
        if (e instanceof ValueError) throw new FlagError(`invalid boolean value "${text}" for -${name}: ${e.message}`);
        throw e;
      }
      texts.set(name, text);
      continue;
    }
    if (!hasValue) {
      if (i >= argv.length) throw new FlagError(`flag needs an argument: -${name}`);
      valueText = argv[i]!;
      i++;
    }
    try {
      values.set(name, convertFlagValue(def.kind, valueText));
    } catch (e) {
      if (e instanceof ValueError) throw new FlagError(`invalid value ${goQuote(valueText)} for flag -${name}: ${e.message}`);
      throw e;
    }
    texts.set(name, valueText);
  }
  return { values, texts, rest: argv.slice(i), help: false };
}

/**
 * Converts an environment variable's text for a flag, failing in etcd's words
 * (`invalid value "x" for ETCD_PRE_VOTE: parse error`).
 */
export function convertEnvValue(def: FlagDef, envKey: string, text: string): FlagValue {
  try {
    return convertFlagValue(def.kind, text);
  } catch (e) {
    if (e instanceof ValueError) throw new FlagError(`invalid value ${goQuote(text)} for ${envKey}: ${e.message}`);
    throw e;
  }
}

/** Go's %q for the printable strings flags carry. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
