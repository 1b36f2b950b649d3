import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startPubSubEmulator } from '../../../shared/runtime/emulators';
import { REPO_ROOT } from '../../support/config';
import { waitFor } from '../../support/wait';

/**
 * The Google emulators never outlive what started them: gcloud and the Java server it starts are
 * gone after `stop`, and when the process that started them is killed, however it is killed.
 */

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

/** Every process of an emulator on `port`: gcloud (`--host-port=…:port`) and its Java server (`--port=port`). */
function emulatorProcesses(port: number): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  const marks = new Set([`--host-port=127.0.0.1:${port}`, `--port=${port}`]);
  return table.split('\n').filter((line) => line.split(/\s+/).some((word) => marks.has(word)));
}

async function answers(port: number): Promise<boolean> {
  try {
    await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1_000) })).arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

function javaOf(port: number): string[] {
  return emulatorProcesses(port).filter((line) => /\bjava\b/.test(line));
}

describe('an emulator', () => {
  it('is gone, Java server and all, once stop resolves', async () => {
    const emulator = await startPubSubEmulator('keeper-stop');
    const port = Number(emulator.host.split(':')[1]);
    expect(javaOf(port)).toHaveLength(1);
    await emulator.stop();
    expect(emulatorProcesses(port)).toEqual([]);
    expect(await answers(port)).toBe(false);
  }, 120_000);

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`stops when the process that started it is killed with ${signal}`, async () => {
      const holder = spawn(process.execPath, ['--import', 'tsx', 'test/support/hold-emulator.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
      cleanups.push(() => holder.kill('SIGKILL'));
      let printed = '';
      holder.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString()));
      await waitFor(() => /:\d+\n/.test(printed), 'the emulator to start', 90_000);
      const port = Number(/:(\d+)\n/.exec(printed)?.[1]);
      expect(javaOf(port)).toHaveLength(1);
      holder.kill(signal);
      await waitFor(() => emulatorProcesses(port).length === 0, `every process of the emulator on port ${port} to end`, 30_000);
      expect(await answers(port)).toBe(false);
    }, 120_000);
  }
});

describe('cutwater local --emulators', () => {
  const endings = [
    { how: 'killed with SIGKILL', end: (pid: number) => process.kill(pid, 'SIGKILL') },
    // As a terminal sends Ctrl-C: to every process of the foreground group, the emulators' keepers too.
    { how: 'stopped with Ctrl-C', end: (pid: number) => process.kill(-pid, 'SIGINT') },
  ];
  for (const { how, end } of endings) {
    it(`takes its emulators with it when it is ${how}`, async () => {
      // Its own firebase.json, so the emulators take free ports rather than 8081 and 8085.
      const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-emulators-'));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      const ports = { firestore: await freePort(), pubsub: await freePort() };
      writeFileSync(path.join(dir, 'firebase.json'), JSON.stringify({ emulators: { firestore: { port: ports.firestore }, pubsub: { port: ports.pubsub } } }));
      const cli = spawn(
        process.execPath,
        ['--import', import.meta.resolve('tsx'), path.join(REPO_ROOT, 'cli/cutwater.ts'), 'local', '--emulators', '--port', '0', '--data-dir', path.join(dir, 'data')],
        // A process group of its own, as a shell gives a command it runs.
        { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '' }, detached: true },
      );
      cleanups.push(() => cli.kill('SIGKILL'));
      let stdout = '';
      cli.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      let stderr = '';
      cli.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<void>((resolve) => cli.once('exit', () => resolve()));
      await waitFor(() => stdout.includes('Press Ctrl-C to stop.'), 'cutwater local to start on the emulators', 110_000);
      expect(javaOf(ports.firestore)).toHaveLength(1);
      expect(javaOf(ports.pubsub)).toHaveLength(1);
      end(cli.pid ?? 0);
      await exited;
      if (how.includes('Ctrl-C')) expect(stdout, stderr).toContain('stopped cleanly.');
      await waitFor(
        () => emulatorProcesses(ports.firestore).length + emulatorProcesses(ports.pubsub).length === 0,
        'both emulators to end',
        30_000,
      );
    }, 180_000);
  }
});
