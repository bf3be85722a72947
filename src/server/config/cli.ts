// What the member process does with its command line before anything starts, as etcd does it:
// --help prints the usage line on stderr and the flags on stdout, exit 0; --version prints on stdout,
// exit 0; a flag Go cannot parse prints the error and the usage on stderr, exit 2; a configuration
// etcd refuses is logged ("failed to verify flags", or the fatal env conflict) and exits 1.

import { createLogger, type LogSink, type Logger } from '../logger.js';
import { ConfigError, ERR_UNSET_ADVERTISE_CLIENT_URLS, parseConfig, type Config } from './config.js';
import { flagsText, USAGE_LINE } from './help.js';

export interface CliIo {
  writeStdout(text: string): void;
  writeStderr(text: string): void;
}

export type CliOutcome = { readonly kind: 'run'; readonly config: Config } | { readonly kind: 'exit'; readonly code: 0 | 1 | 2 };

export const PROCESS_IO: CliIo = {
  writeStdout: (t) => void process.stdout.write(t),
  writeStderr: (t) => void process.stderr.write(t),
};

class FatalLogged extends Error {}

/** The logger etcd uses before the configured one exists: zap JSON at info on stderr. */
function bootstrapLogger(io: CliIo): Logger {
  const sink: LogSink = { write: (line) => io.writeStderr(line), close: () => {} };
  return createLogger({
    sinks: [sink],
    level: 'info',
    onFatal: () => {
      throw new FatalLogged();
    },
  });
}

export function resolveCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv, io: CliIo = PROCESS_IO): CliOutcome {
  let result;
  try {
    result = parseConfig(argv, env);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (e.exitCode === 2) {
      io.writeStderr(`${e.message}\n${USAGE_LINE}\n`);
      return { kind: 'exit', code: 2 };
    }
    const lg = bootstrapLogger(io);
    if (Object.keys(e.fields).length > 0) {
      // etcd's verifyEnv calls lg.Fatal, which exits 1 after logging.
      try {
        lg.fatal(e.message, e.fields);
      } catch (fatal) {
        if (!(fatal instanceof FatalLogged)) throw fatal;
      }
      return { kind: 'exit', code: 1 };
    }
    lg.warn('failed to verify flags', { error: e.message });
    if (e.message === ERR_UNSET_ADVERTISE_CLIENT_URLS) lg.warn('advertise client URLs are not set', { error: e.message });
    return { kind: 'exit', code: 1 };
  }
  if ('help' in result) {
    io.writeStderr(`${USAGE_LINE}\n`);
    io.writeStdout(`${flagsText()}\n`);
    return { kind: 'exit', code: 0 };
  }
  if ('version' in result) {
    io.writeStdout(result.version);
    return { kind: 'exit', code: 0 };
  }
  return { kind: 'run', config: result };
}

/** Logs what parsing found worth saying (env vars used, unknown ETCD_ vars, no-effect flags). */
export function logConfigWarnings(lg: Logger, config: Config): void {
  for (const w of config.warnings) {
    if (w.level === 'info') lg.info(w.msg, w.fields);
    else lg.warn(w.msg, w.fields);
  }
}
