import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * Starts Google's real Firestore and Pub/Sub emulators (from the gcloud CLI) on free loopback
 * ports, and stops them: for tests, and for `cutwater local --emulators`. Nothing here falls back:
 * if an emulator cannot start, the caller fails with the emulator's own output.
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

async function start(
  kind: RunningEmulator['kind'],
  projectId: string,
  port: number,
  args: string[],
): Promise<RunningEmulator> {
  const host = `127.0.0.1:${port}`;
  let output = '';
  let exited: string | undefined;
  let child: ChildProcess;
  try {
    // Its own process group, so stopping it also stops the Java server gcloud starts.
    child = spawn('gcloud', ['--quiet', ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    throw new Error(`cannot start the ${kind} emulator: ${(error as Error).message}`);
  }
  const record = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8_000);
  };
  child.stdout?.on('data', record);
  child.stderr?.on('data', record);
  child.on('error', (error) => {
    exited = `failed to run gcloud: ${error.message}`;
  });
  child.on('exit', (code, signal) => {
    exited ??= `exited with ${signal ?? `code ${code}`}`;
  });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      process.kill(-(child.pid ?? 0), 'SIGTERM');
    } catch {
      return;
    }
    const forced = setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
    }, 5_000);
    await gone;
    clearTimeout(forced);
  };

  // If the process dies without stopping it, the emulator must not outlive it.
  const killOnExit = () => {
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));

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
