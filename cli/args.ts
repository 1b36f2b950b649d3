import { type ParseArgsConfig, parseArgs } from 'node:util';

/** A command-line usage mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** A failure the person can fix, said in one line: printed without a stack trace, exit code 1. */
export class CommandFailure extends Error {
  override name = 'CommandFailure';
}

/**
 * Parse flags as Prow's Go tools accept them too: `--flag value`, `--flag=value`, and the
 * single-dash `-flag value` that Prow's docs and scripts use.
 */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(
  argv: readonly string[],
  options: T,
) {
  const normalized = argv.map((arg) => (/^-[a-z][a-z0-9-]+(=.*)?$/i.test(arg) ? `-${arg}` : arg));
  try {
    return parseArgs({ args: normalized, options, allowPositionals: false, strict: true });
  } catch (error) {
    throw new UsageError((error as Error).message.replace(/^TypeError \[[A-Z_]+\]: /, ''));
  }
}
