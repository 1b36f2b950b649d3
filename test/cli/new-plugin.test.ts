import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../cli/main';

/**
 * `cutwater new-plugin NAME`: the scaffold is a working plugin — its own test, run by vitest as the
 * author would run it, passes against the SDK in this checkout.
 */

const root = path.resolve(import.meta.dirname, '../..');
const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(['new-plugin', ...args], { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

describe('cutwater new-plugin', () => {
  it('scaffolds a /hello plugin whose own test passes with the SDK in this checkout', async () => {
    // Inside the checkout (in its ignored .cutwater/), so the SDK is linked by a file: path.
    mkdirSync(path.join(root, '.cutwater'), { recursive: true });
    const parent = mkdtempSync(path.join(root, '.cutwater', 'new-plugin-'));
    made.push(parent);
    const dir = path.join(parent, 'greeter');
    const result = await run(dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('src/index.ts');

    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string> };
    expect(manifest.name).toBe('greeter');
    const sdk = manifest.dependencies['@cutwater/plugin-sdk'] ?? '';
    expect(sdk).toMatch(/^file:(\.\.\/)+packages\/plugin-sdk$/);
    expect(path.resolve(dir, sdk.slice('file:'.length))).toBe(path.join(root, 'packages', 'plugin-sdk'));

    // What `npm install` does for a file: dependency: a link in node_modules.
    mkdirSync(path.join(dir, 'node_modules', '@cutwater'), { recursive: true });
    symlinkSync(path.join(root, 'packages', 'plugin-sdk'), path.join(dir, 'node_modules', '@cutwater', 'plugin-sdk'), 'dir');
    const { stdout } = await promisify(execFile)(process.execPath, [path.join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--reporter=verbose'], {
      cwd: dir,
      env: { ...process.env, CI: '1', NO_COLOR: '1' },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/3 passed/);
    expect(stdout).toContain('answers /hello on the issue it was asked on');
  });

  it('depends on the SDK by name outside a Cutwater checkout', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'new-plugin-'));
    made.push(parent);
    expect((await run(path.join(parent, 'my-bot'))).code).toBe(0);
    const manifest = JSON.parse(readFileSync(path.join(parent, 'my-bot', 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    expect(manifest.dependencies['@cutwater/plugin-sdk']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(readFileSync(path.join(parent, 'my-bot', 'src', 'function.ts'), 'utf8')).toContain('export const myBot = cloudFunction(plugin)');
  });

  it('refuses a bad name and a directory that has files, and touches neither', async () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'new-plugin-'));
    made.push(parent);
    const bad = await run(path.join(parent, 'Not_A_Name'));
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('lower-case letters');
    mkdirSync(path.join(parent, 'taken'));
    writeFileSync(path.join(parent, 'taken', 'keep.txt'), 'mine');
    const taken = await run(path.join(parent, 'taken'));
    expect(taken.code).toBe(1);
    expect(taken.stderr).toContain('not empty');
    expect(readFileSync(path.join(parent, 'taken', 'keep.txt'), 'utf8')).toBe('mine');
    expect((await run()).code).toBe(2);
  });

  it('is listed in the command overview', async () => {
    const stdout: string[] = [];
    await main(['--help'], { stdout: (line) => stdout.push(line), stderr: () => undefined });
    expect(stdout.join('\n')).toMatch(/new-plugin\s+scaffold an external plugin/);
  });
});
