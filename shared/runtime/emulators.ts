import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Starts Google's real Firestore and Pub/Sub emulators (from the gcloud CLI) on free loopback
 * ports, and stops them: for tests, and for `cutwater local --emulators`. Nothing here falls back:
 * if an emulator cannot start, the caller fails with the emulator's own output. An emulator never
 * outlives the process that started it, however that process ends (see KEEPER below); `stop`
 * resolves once the emulator's every process, its Java server included, is gone.
 */
export interface RunningEmulator {
  kind: 'firestore' | 'pubsub';
  /** host:port, the value for FIRESTORE_EMULATOR_HOST / PUBSUB_EMULATOR_HOST. */
  host: string;
  projectId: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 90_000;

export async function startFirestoreEmulator(projectId = 'cutwater-test', port?: number): Promise<RunningEmulator> {
  port ??= await freePort();
  return start('firestore', projectId, port, [
    'emulators',
    'firestore',
    'start',
    `--host-port=127.0.0.1:${port}`,
  ]);
}

export async function startPubSubEmulator(projectId = 'cutwater-test', port?: number): Promise<RunningEmulator> {
  port ??= await freePort();
  return start('pubsub', projectId, port, [
    'beta',
    'emulators',
    'pubsub',
    'start',
    `--host-port=127.0.0.1:${port}`,
    `--project=${projectId}`,
  ]);
}

/** How long an emulator has to stop after SIGTERM before its process group is killed. */
const STOP_GRACE_MS = 5_000;

/**
 * The emulator's keeper: a small node process between Cutwater and gcloud. It starts gcloud in a
 * process group of its own (gcloud starts the emulator's Java server in that group) and ends the
 * whole group when its stdin reaches end of file: Cutwater holds the other end, and the kernel
 * closes it however Cutwater ends (a stop, a crash, SIGTERM, SIGINT, SIGHUP or kill -9), so the
 * emulators never outlive it. It writes the group's ID on fd 3, for Cutwater to kill the group
 * itself should the keeper die first. Ctrl-C reaches every process of the terminal's group, this
 * one too: it leaves that to Cutwater, which stops it in order. Plain JavaScript, run with -e, so
 * that the bundled CLI needs no file beside it.
 */
const KEEPER = `
const { spawn } = require('node:child_process');
const { writeSync } = require('node:fs');
const [command, ...args] = process.argv.slice(1);
const child = spawn(command, args, { detached: true, stdio: ['ignore', 'inherit', 'inherit'] });
const signalGroup = (signal) => { try { process.kill(-child.pid, signal); return true; } catch { return false; } };
let ending = false;
const end = (code) => {
  if (ending) return;
  ending = true;
  signalGroup('SIGTERM');
  const since = Date.now();
  setInterval(() => {
    if (!signalGroup(0)) process.exit(code);
    // Nothing survives SIGKILL; what may linger is a zombie only its reaper can clear.
    if (Date.now() - since > ${STOP_GRACE_MS}) {
      signalGroup('SIGKILL');
      process.exit(code);
    }
  }, 50);
};
child.on('spawn', () => writeSync(3, child.pid + '\\n'));
child.on('error', (error) => { process.stderr.write('failed to run ' + command + ': ' + error.message + '\\n'); process.exit(127); });
child.on('exit', (code) => end(code ?? 1));
process.stdin.on('end', () => end(0));
process.stdin.on('error', () => end(0));
process.stdin.resume();
process.on('SIGTERM', () => end(0));
process.on('SIGHUP', () => end(0));
process.on('SIGINT', () => {});
`;

async function start(
  kind: RunningEmulator['kind'],
  projectId: string,
  port: number,
  args: string[],
): Promise<RunningEmulator> {
  const host = `127.0.0.1:${port}`;
  let output = '';
  let exited: string | undefined;
  let keeper: ChildProcess;
  try {
    keeper = spawn(process.execPath, ['-e', KEEPER, '--', 'gcloud', '--quiet', ...args], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error(`cannot start the ${kind} emulator: ${(error as Error).message}`);
  }
  const record = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  keeper.stdout?.on('data', record);
  keeper.stderr?.on('data', record);
  // The keeper's stdin is only ever closed, never written; a keeper already gone is no error here.
  keeper.stdin?.on('error', () => undefined);
  let group: number | undefined;
  keeper.stdio[3]?.on('data', (chunk: Buffer) => {
    group ??= Number.parseInt(chunk.toString(), 10) || undefined;
  });
  keeper.on('error', (error) => {
    exited = `failed to run its keeper: ${error.message}`;
  });
  const killGroup = () => {
    if (group === undefined) return;
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  const gone = new Promise<void>((resolve) =>
    keeper.once('exit', (code, signal) => {
      exited ??= `exited with ${signal ?? `code ${code}`}`;
      // A keeper killed before it could end the group: end it here.
      if (signal !== null) killGroup();
      process.removeListener('exit', killGroup);
      resolve();
    }),
  );
  // Should this process exit while the keeper is alive, the keeper sees its stdin close; this is
  // for the moment in between.
  process.once('exit', killGroup);

  const stop = async () => {
    if (keeper.exitCode !== null || keeper.signalCode !== null) return;
    keeper.stdin?.end();
    const forced = setTimeout(() => {
      keeper.kill('SIGKILL');
      killGroup();
    }, STOP_GRACE_MS + 5_000);
    await gone;
    clearTimeout(forced);
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (exited !== undefined) {
      throw new Error(`the ${kind} emulator ${exited} before it was ready:\n${output}`);
    }
    if (await answers(port)) return { kind, host, projectId, stop };
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  await stop();
  throw new Error(`the ${kind} emulator did not answer on ${host} within ${START_TIMEOUT_MS / 1000}s:\n${output}`);
}

async function answers(port: number): Promise<boolean> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}
