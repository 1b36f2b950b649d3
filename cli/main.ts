import { CommandFailure, UsageError } from './args';
import { BRANCHPROTECTOR_USAGE } from './branchprotector-usage';
import { CHECKCONFIG_USAGE, type CommandIO, checkconfig } from './checkconfig';
import { LOCAL_USAGE } from './local-usage';
import { MKPJ_USAGE } from './mkpj-usage';
import { NEW_PLUGIN_USAGE } from './new-plugin-usage';
import { PHONY_USAGE } from './phony-usage';
import { RUNNER_USAGE } from './runner-usage';

interface Command {
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CommandIO): Promise<number>;
}

const COMMANDS: Record<string, Command> = {
  branchprotector: {
    summary: "apply the config's branch-protection to GitHub (a diff unless --confirm)",
    usage: BRANCHPROTECTOR_USAGE,
    run: async (argv, io) => (await import('./branchprotector')).branchprotectorCommand(argv, io),
  },
  checkconfig: {
    summary: 'validate Prow configuration (config.yaml, job configs, plugins.yaml)',
    usage: CHECKCONFIG_USAGE,
    run: checkconfig,
  },
  local: {
    summary: 'the whole system on this machine (what `npm start` runs)',
    usage: LOCAL_USAGE,
    run: async (argv, io) => (await import('./local')).localCommand(argv, io),
  },
  mkpj: {
    summary: 'make a ProwJob from config and start it (--dry-run prints it, --wait follows it)',
    usage: MKPJ_USAGE,
    run: async (argv, io) => (await import('./mkpj')).mkpjCommand(argv, io),
  },
  'new-plugin': {
    summary: 'scaffold an external plugin on @cutwater/plugin-sdk, with a /hello command and its test',
    usage: NEW_PLUGIN_USAGE,
    run: async (argv, io) => (await import('./new-plugin')).newPluginCommand(argv, io),
  },
  phony: {
    summary: 'send a signed GitHub webhook to a hook endpoint',
    usage: PHONY_USAGE,
    run: async (argv, io) => (await import('./phony')).phonyCommand(argv, io),
  },
  runner: {
    summary: 'the runner agent: lease a build cluster\'s ProwJobs and run them as pods',
    usage: RUNNER_USAGE,
    // Loaded on demand: the Kubernetes and Google clients are heavy, and checkconfig needs neither.
    run: async (argv, io) => (await import('./runner')).runnerCommand(argv, io),
  },
};

function overview(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  return [
    'Usage: cutwater <command> [flags]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, command]) => `  ${name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "cutwater <command> --help" for a command\'s flags.',
  ].join('\n');
}

export async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(overview());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr(`cutwater: unknown command "${name}"\n\n${overview()}`);
    return 2;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`cutwater ${name}: ${error.message}\n\n${command.usage}`);
      return 2;
    }
    if (error instanceof CommandFailure) {
      io.stderr(`cutwater ${name}: ${error.message}`);
      return 1;
    }
    // Whatever else stops a command is said in its own words, without a stack trace: those are for
    // bugs, and CUTWATER_DEBUG=1 brings them back.
    if (process.env.CUTWATER_DEBUG) io.stderr(`cutwater ${name}: ${(error as Error).stack ?? String(error)}`);
    else io.stderr(`cutwater ${name}: ${oneLine(error)}`);
    return 1;
  }
}

/** An error as a person reads it: its message (the configuration's problems keep one line each). */
function oneLine(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const file = (error as NodeJS.ErrnoException).path;
  // Node's own file errors ("ENOENT: no such file or directory, open 'x'") say it backwards.
  if (code === 'ENOENT' && file) return `${file}: cannot read: no such file`;
  if (code === 'EACCES' && file) return `${file}: cannot read: permission denied`;
  return error.message;
}
