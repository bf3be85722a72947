// Command lines parsed as etcdutl's cobra/pflag does: `--flag value`, `--flag=value`, `-w value`,
// booleans with an optional `=false`, flags and arguments in any order, `--` ending the flags.

export interface FlagSpec {
  /** Long name without dashes. */
  name: string;
  short?: string;
  type: 'string' | 'bool' | 'uint';
  default: string;
}

export class UsageError extends Error {}

export interface ParsedCommand {
  values: Map<string, string>;
  /** Flags set on the command line (cobra's Changed). */
  given: Set<string>;
  args: string[];
  help: boolean;
}

export function parseCommand(specs: readonly FlagSpec[], argv: readonly string[]): ParsedCommand {
  const values = new Map<string, string>(specs.map((s) => [s.name, s.default]));
  const args: string[] = [];
  const given = new Set<string>();
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      args.push(arg);
      continue;
    }
    const long = arg.startsWith('--');
    const body = arg.slice(long ? 2 : 1);
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    if (name === 'help' || name === 'h') {
      help = true;
      continue;
    }
    const spec = specs.find((s) => (long ? s.name === name : s.short === name));
    if (spec === undefined) {
      throw new UsageError(long ? `unknown flag: --${name}` : `unknown shorthand flag: '${name[0] ?? ''}' in ${arg}`);
    }
    const display = long ? `--${spec.name}` : `'${spec.short ?? ''}' in ${arg}`;
    let value: string;
    if (eq >= 0) value = body.slice(eq + 1);
    else if (spec.type === 'bool') value = 'true';
    else {
      if (i + 1 >= argv.length) throw new UsageError(`flag needs an argument: ${display}`);
      value = argv[++i]!;
    }
    if (spec.type === 'bool' && !['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False', 'T', 'F'].includes(value)) {
      throw new UsageError(`invalid argument "${value}" for "--${spec.name}" flag: strconv.ParseBool: parsing "${value}": invalid syntax`);
    }
    if (spec.type === 'uint' && !/^[0-9]+$/.test(value)) {
      throw new UsageError(`invalid argument "${value}" for "--${spec.name}" flag: strconv.ParseUint: parsing "${value}": invalid syntax`);
    }
    values.set(spec.name, value);
    given.add(spec.name);
  }
  return { values, given, args, help };
}

export function flagBool(p: ParsedCommand, name: string): boolean {
  return ['true', '1', 't', 'TRUE', 'True', 'T'].includes(p.values.get(name) ?? '');
}

export function flagString(p: ParsedCommand, name: string): string {
  const v = p.values.get(name);
  if (v === undefined) throw new Error(`invariant: flag --${name} is not defined`);
  return v;
}
