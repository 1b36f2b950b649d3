/** A configuration problem, located so that a person can jump straight to it. */
export interface ConfigProblem {
  readonly file: string;
  /** 1-based; 0 when the problem concerns the file as a whole. */
  readonly line: number;
  readonly message: string;
}

/** `path:line: message`, the format `cutwater checkconfig` prints and editors understand. */
export function formatProblem(problem: ConfigProblem): string {
  // Line 0 is the file as a whole (it cannot be read): no line to jump to.
  return problem.line > 0 ? `${problem.file}:${problem.line}: ${problem.message}` : `${problem.file}: ${problem.message}`;
}

export function sortProblems(problems: readonly ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) =>
    a.file === b.file ? a.line - b.line || a.message.localeCompare(b.message) : a.file < b.file ? -1 : 1,
  );
}

/** Thrown by loaders when a configuration cannot be used; carries every problem found. */
export class ConfigInvalidError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `configuration has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems
        .slice(0, 20)
        .map(formatProblem)
        .join('\n')}${problems.length > 20 ? `\n… and ${problems.length - 20} more` : ''}`,
    );
    this.name = 'ConfigInvalidError';
  }
}

/** Why a file could not be read, in words ("no such file") rather than errno codes. */
export function readFailure(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'a directory, not a file';
  return code ?? (error as Error).message;
}
