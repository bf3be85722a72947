import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/*
 * A capstan member under V8's sampling profiler, without touching src/server: Node 20 refuses
 * --cpu-prof in NODE_OPTIONS, and test/support launches `node <main> <flags>`, so the harness points
 * CAPSTAN_MAIN here. This starts the profiler through the inspector, runs the real main
 * (CAPSTAN_PROFILE_TARGET) with the same argv, and writes CPU.<pid>.cpuprofile into CAPSTAN_PROFILE_DIR
 * when the member exits through process.exit (capstan's SIGTERM path).
 */

const target = process.env.CAPSTAN_PROFILE_TARGET;
const outDir = process.env.CAPSTAN_PROFILE_DIR;
if (!target || !outDir) throw new Error('profiledMember: CAPSTAN_PROFILE_TARGET and CAPSTAN_PROFILE_DIR must be set');

const session = new Session();
session.connect();

function post(method: string, params: object = {}): Promise<unknown> {
  return new Promise((resolve, reject) => {
    session.post(method, params, (err, result) => (err ? reject(err) : resolve(result)));
  });
}

await post('Profiler.enable');
await post('Profiler.setSamplingInterval', { interval: 500 });
await post('Profiler.start');

const realExit = process.exit.bind(process);
let exiting = false;
process.exit = ((code?: number) => {
  if (exiting) return realExit(code);
  exiting = true;
  void post('Profiler.stop').then(
    (result) => {
      const profile = (result as { profile: unknown }).profile;
      writeFileSync(path.join(outDir, `CPU.${process.pid}.cpuprofile`), JSON.stringify(profile));
      realExit(code);
    },
    () => realExit(code),
  );
  return undefined as never;
}) as typeof process.exit;

await import(pathToFileURL(target).href);
