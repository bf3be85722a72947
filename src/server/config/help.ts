// The text of `capstan --help`, laid out like etcd's (a usage block, then flags by section with
// their defaults in quotes), generated from the flag table so it cannot drift from what is parsed.

import { FLAG_DEFS, REFUSED_FLAGS, type CapstanFlagDef, type FlagSection } from './flags.js';

export const USAGE_LINE = `Usage:

  capstan [flags]
    Start a capstan member (an etcd-compatible key-value store).

  capstan --version
    Show the version of capstan and the etcd API version it serves.

  capstan -h | --help
    Show the help information about capstan.
`;

const SECTION_ORDER: readonly FlagSection[] = [
  'Member',
  'Clustering',
  'Security',
  'Auth',
  'Profiling and Monitoring',
  'Logging',
  'Experimental feature',
  'Unsafe feature',
];

function describe(def: CapstanFlagDef): string {
  return `  --${def.name} '${def.defaultText}'\n    ${def.help}\n`;
}

export function flagsText(): string {
  let out = '';
  for (const section of SECTION_ORDER) {
    const effective = FLAG_DEFS.filter((d) => d.section === section && d.hidden !== true && d.effective);
    if (effective.length === 0) continue;
    out += `\n${section}:\n`;
    for (const def of effective) out += describe(def);
  }
  const accepted = FLAG_DEFS.filter((d) => d.hidden !== true && !d.effective && !REFUSED_FLAGS.has(d.name)).map((d) => `--${d.name}`);
  out += '\nAccepted for etcd compatibility, without effect in capstan:\n';
  for (let i = 0; i < accepted.length; i += 4) out += `  ${accepted.slice(i, i + 4).join(' ')}\n`;
  out += `\nRefused (capstan cannot do what they ask):\n  ${[...REFUSED_FLAGS].map((n) => `--${n}`).join(' ')}\n`;
  out += `\nEvery flag may also be given as an environment variable: --foo-bar as ETCD_FOO_BAR.
A flag given on the command line must not also be set in the environment.

CAUTIOUS with unsafe flag! It may break the guarantees given by the consensus protocol!
`;
  return out;
}

/** Everything `--help` prints: etcd writes the usage line to stderr and the flags to stdout. */
export function helpText(): string {
  return `${USAGE_LINE}${flagsText()}`;
}
