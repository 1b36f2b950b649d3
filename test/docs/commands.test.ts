import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../cli/main';
import { REPO_ROOT } from '../support/config';
import {
  type CheckContext,
  checkCommand,
  type DocCommand,
  extractCommands,
  isPlaceholder,
  pathArguments,
  resolveInvocation,
} from '../support/doc-commands';

/**
 * The README and docs/*.md are held to the code: every command they show that invokes Cutwater or
 * an npm script names a real subcommand, real flags and files that exist, and the ones that can
 * run offline in seconds — checkconfig on files that are there, `--help` — are run, and must print
 * what the docs say they print.
 */

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function run(argv: readonly string[]): Promise<Run> {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const code = await main(argv, { stdout: (line) => stdout.push(line), stderr: (line) => stderr.push(line) });
  return { code, stdout: stdout.join('\n'), stderr: stderr.join('\n') };
}

function docFiles(): string[] {
  const docs = readdirSync(path.join(REPO_ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  return ['README.md', ...docs.sort()];
}

function documentedCommands(): DocCommand[] {
  return docFiles().flatMap((file) => extractCommands(file, readFileSync(path.join(REPO_ROOT, file), 'utf8')));
}

/** Each subcommand's usage, from the command list and each command's own `--help`. */
async function usages(): Promise<Map<string, string>> {
  const overview = await run(['--help']);
  const names = overview.stdout
    .split('\n')
    .slice(overview.stdout.split('\n').indexOf('Commands:') + 1)
    .map((line) => /^ {2}(\S+)\s{2,}/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined);
  const result = new Map<string, string>();
  for (const name of names) result.set(name, (await run([name, '--help'])).stdout);
  return result;
}

function repoContext(usagesByName: Map<string, string>): CheckContext {
  const tracked = execFileSync('git', ['ls-files'], { cwd: REPO_ROOT, encoding: 'utf8' }).split('\n');
  const topLevel = new Set(tracked.map((file) => file.split('/')[0]).filter(Boolean));
  const scripts = (JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
  return {
    usages: usagesByName,
    scripts,
    isRepoPath: (file) => topLevel.has(file.replace(/^\.\//, '').split('/')[0] ?? ''),
    exists: (file) => existsSync(path.join(REPO_ROOT, file)),
  };
}

/** A regular expression for a documented output line, where `…` stands for anything. */
function outputPattern(line: string): RegExp {
  return new RegExp(line.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
}

/**
 * Runnable offline: typed in a code block (not mentioned in prose), no placeholders, every path argument present, and either `--help` or a
 * checkconfig that publishes nothing.
 */
function runnableArgv(command: DocCommand, context: CheckContext): string[] | undefined {
  const resolved = resolveInvocation(command.invocation, context.scripts);
  if (command.inline || 'problem' in resolved || resolved.kind !== 'cutwater' || command.placeholders.length > 0) return undefined;
  const argv = [resolved.subcommand ?? '', ...resolved.args].filter(Boolean);
  if (!pathArguments(resolved.args).every((file) => context.exists(file))) return undefined;
  const help = argv.includes('--help') || argv.includes('-h');
  const checkconfig = resolved.subcommand === 'checkconfig' && !argv.some((arg) => arg.includes('publish-snapshot'));
  return help || checkconfig ? argv : undefined;
}

describe('the extractor', () => {
  const sample = [
    '# Sample',
    '',
    'Run `npx cutwater local --made-up-flag` or `npm run no-such-script`.',
    '',
    '```sh',
    '# a comment, not a command',
    'npx cutwater checkconfig --config-path cli/demo/config.yaml \\',
    '  --job-config-path cli/demo/jobs --strict',
    '# 1 presubmits, 0 postsubmits, 1 periodics',
    'GITHUB_TOKEN=… cutwater branchprotector --config-path config.yaml --confirm',
    'cutwater runner --cluster NAME --kubeconfig FILE && npm start -- --port 9000',
    'node bin/cutwater.js mkpj --job x --base-sha <sha> > out.yaml',
    'cutwater phony --payload docs/no-such-file.json',
    'cutwater frobnicate',
    'echo cutwater local --not-checked',
    '```',
    '',
    '```yaml',
    'cutwater: local --not-shell',
    '```',
  ].join('\n');
  const commands = extractCommands('sample.md', sample);
  const context: CheckContext = {
    usages: new Map([
      ['local', 'Usage: cutwater local\n  --port N  the port\n  -h, --help'],
      ['checkconfig', '--config-path F --job-config-path D --strict'],
      ['branchprotector', '--config-path F --confirm'],
      ['runner', '--cluster NAME --kubeconfig FILE'],
      ['mkpj', '--job NAME --base-sha SHA'],
      ['phony', '--payload F'],
    ]),
    scripts: { start: 'node bin/cutwater.js local' },
    isRepoPath: (file) => file.startsWith('docs/') || file.startsWith('cli/'),
    exists: (file) => file !== 'docs/no-such-file.json',
  };

  it('finds the commands of shell blocks and inline spans, continuation lines joined, and nothing else', () => {
    expect(commands.map((command) => [command.line, command.invocation.kind === 'cutwater' ? command.invocation.subcommand : command.invocation.script])).toEqual([
      [3, 'local'],
      [3, 'no-such-script'],
      [7, 'checkconfig'],
      [10, 'branchprotector'],
      [11, 'runner'],
      [11, 'start'],
      [12, 'mkpj'],
      [13, 'phony'],
      [14, 'frobnicate'],
    ]);
    expect(commands[2]?.invocation.args).toEqual(['--config-path', 'cli/demo/config.yaml', '--job-config-path', 'cli/demo/jobs', '--strict']);
    expect(commands[2]?.expectedOutput).toEqual(['1 presubmits, 0 postsubmits, 1 periodics']);
    // The redirection is not an argument.
    expect(commands[6]?.invocation.args).toEqual(['--job', 'x', '--base-sha', '<sha>']);
  });

  it('recognises placeholders by rule', () => {
    expect(['…', 'gs://<bucket>/x', 'NAME', '--cluster=NAME', '$PWD/key.pem', '$(cat x)', '[--strict]', 'FILE/jobs'].filter(isPlaceholder)).toHaveLength(8);
    expect(['config.yaml', 'cli/demo/jobs', 'README.md', '--port', '9000', 'main', 'hello'].filter(isPlaceholder)).toEqual([]);
    expect(commands.map((command) => command.placeholders.length > 0)).toEqual([false, false, false, true, true, false, true, false, false]);
  });

  it('fails a made-up flag, a missing script, subcommand or repository file, and passes the rest', () => {
    expect(commands.flatMap((command) => checkCommand(command, context))).toEqual([
      'sample.md:3: cutwater local has no flag --made-up-flag',
      'sample.md:3: package.json has no script "no-such-script"',
      'sample.md:13: docs/no-such-file.json does not exist in the repository',
      'sample.md:14: cutwater has no command "frobnicate"',
    ]);
  });

  it('sees flags passed to an npm script that runs cutwater', () => {
    const wrong = extractCommands('x.md', '```sh\nnpm start -- --prot 9000\n```');
    expect(wrong.flatMap((command) => checkCommand(command, context))).toEqual(['x.md:2: cutwater local has no flag --prot']);
  });
});

describe('the commands in README.md and docs/*.md', async () => {
  const commands = documentedCommands();
  const context = repoContext(await usages());

  it('finds commands to check in the docs', () => {
    expect(commands.length).toBeGreaterThan(20);
    expect(new Set(commands.map((command) => command.file)).size).toBeGreaterThan(4);
  });

  it('name only subcommands, flags, npm scripts and repository files that exist', () => {
    expect(commands.flatMap((command) => checkCommand(command, context))).toEqual([]);
  });

  it("are accepted by each command's own flag parser", async () => {
    const refused: string[] = [];
    // Inline mentions name a flag without its value (`--publish-snapshot`); only blocks are typed.
    for (const command of commands.filter((candidate) => !candidate.inline)) {
      const resolved = resolveInvocation(command.invocation, context.scripts);
      if ('problem' in resolved || resolved.kind !== 'cutwater' || !resolved.subcommand) continue;
      // With --help last each command parses its flags and stops before doing anything.
      const result = await run([resolved.subcommand, ...resolved.args.filter((arg) => !/^(…|\.\.\.)$/.test(arg)).map((arg) => arg.replace(/^\[|\]$/g, '')), '--help']);
      if (result.code !== 0) refused.push(`${command.file}:${command.line}: ${command.text}\n${result.stderr.split('\n')[0] ?? ''}`);
    }
    expect(refused).toEqual([]);
  });

  const runnable = commands.flatMap((command) => {
    const argv = runnableArgv(command, context);
    return argv ? [{ command, argv }] : [];
  });

  it('include offline ones that are run: checkconfig on files in reach, and --help', () => {
    expect(runnable.some(({ argv }) => argv[0] === 'checkconfig')).toBe(true);
    expect(runnable.some(({ argv }) => argv.includes('--help'))).toBe(true);
  });

  for (const { command, argv } of runnable) {
    it(`${command.file}:${command.line} runs: cutwater ${argv.join(' ')}`, async () => {
      const result = await run(argv);
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      for (const line of command.expectedOutput) expect(result.stdout).toMatch(outputPattern(line));
    });
  }
});
