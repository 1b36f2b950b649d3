/**
 * The commands the documentation tells people to type, pulled out of Markdown so a test can hold
 * them to the code: shell code blocks (sh, bash, shell, console, zsh) and inline code spans that
 * start with an invocation of Cutwater — `cutwater`, `npx cutwater`, `node bin/cutwater.js` — or
 * of an npm script (`npm run X`, `npm start`, `npm test`).
 *
 * Placeholders are recognised by rule, never by listing lines: a token holding `…` or `...`, an
 * `<angle bracket>` part, a `$VARIABLE` or `$(command)`, a `[bracketed]` optional part, or a word
 * in capitals (`NAME`, `FILE`, `N`) stands for something the reader fills in. Such a command is
 * still checked — its subcommand and flag names must exist — but it is not run, and its
 * placeholder arguments are not checked as paths.
 */

const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell', 'console', 'zsh']);

export type Invocation =
  | { readonly kind: 'cutwater'; readonly subcommand: string | undefined; readonly args: readonly string[] }
  | { readonly kind: 'npm'; readonly script: string; readonly args: readonly string[] };

export interface DocCommand {
  readonly file: string;
  /** 1-based line of the command's first line in the file. */
  readonly line: number;
  /** The command as written (continuation lines joined). */
  readonly text: string;
  readonly invocation: Invocation;
  /** The tokens judged to be placeholders, environment assignments included. */
  readonly placeholders: readonly string[];
  /** `# ` comment lines right under the command in its block: the output it is said to print. */
  readonly expectedOutput: readonly string[];
  readonly inline: boolean;
}

/** True for a token that stands for something the reader fills in. */
export function isPlaceholder(token: string): boolean {
  return (
    token.includes('…') ||
    token.includes('...') ||
    /<[^>]*>/.test(token) ||
    /\$[({A-Za-z_]/.test(token) ||
    /[[\]]/.test(token) ||
    /(^|[=/:,])[A-Z][A-Z0-9_]*($|[/,])/.test(token)
  );
}

interface Token {
  readonly text: string;
  /** An operator that ends a simple command: `&&`, `||`, `;`, `|`. */
  readonly separator?: boolean;
}

/** A small POSIX-shell tokenizer: quotes, `$(…)`, comments, command separators, redirections. */
export function tokenize(line: string): Token[] {
  const tokens: Token[] = [];
  let current = '';
  let started = false;
  const flush = () => {
    if (started) tokens.push({ text: current });
    current = '';
    started = false;
  };
  for (let index = 0; index < line.length; index++) {
    const char = line[index] ?? '';
    if (char === "'" || char === '"') {
      const end = line.indexOf(char, index + 1);
      const stop = end === -1 ? line.length : end;
      current += line.slice(index + 1, stop);
      started = true;
      index = stop;
    } else if (char === '$' && line[index + 1] === '(') {
      let depth = 0;
      let end = index + 1;
      for (; end < line.length; end++) {
        if (line[end] === '(') depth++;
        if (line[end] === ')' && --depth === 0) break;
      }
      current += line.slice(index, end + 1);
      started = true;
      index = end;
    } else if (char === '\\' && index + 1 < line.length) {
      current += line[++index];
      started = true;
    } else if (/\s/.test(char)) {
      flush();
    } else if (char === '#' && !started) {
      break;
    } else if (char === '&' || char === '|' || char === ';') {
      flush();
      if (line[index + 1] === char) index++;
      tokens.push({ text: char, separator: true });
    } else if (char === '<' && /^<[^\s<>]+>/.test(line.slice(index))) {
      // `<sha>` is a placeholder written in angle brackets, not a redirection.
      const end = line.indexOf('>', index);
      current += line.slice(index, end + 1);
      started = true;
      index = end;
    } else if (char === '>' || char === '<') {
      // A redirection and its target are not arguments of the command.
      flush();
      if (line[index + 1] === char) index++;
      while (/\s/.test(line[index + 1] ?? '')) index++;
      while (index + 1 < line.length && !/[\s;&|]/.test(line[index + 1] ?? '')) index++;
    } else {
      current += char;
      started = true;
    }
  }
  flush();
  return tokens;
}

const ENV_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/;

/** The Cutwater or npm invocation in one simple command's words, if it is one. */
export function invocationOf(words: readonly string[]): { invocation: Invocation; env: string[] } | undefined {
  let at = 0;
  while (at < words.length && ENV_ASSIGNMENT.test(words[at] ?? '')) at++;
  const env = words.slice(0, at);
  const rest = words.slice(at);
  const [first, second, third] = rest;
  const cutwater = (from: number) => ({
    invocation: { kind: 'cutwater' as const, subcommand: rest[from], args: rest.slice(from + 1) },
    env,
  });
  if (first === 'cutwater') return cutwater(1);
  if (first === 'npx' && second === 'cutwater') return cutwater(2);
  if (first === 'node' && (second === 'bin/cutwater.js' || second === './bin/cutwater.js')) return cutwater(2);
  if (first !== 'npm') return undefined;
  const extra = (from: number) => {
    const args = rest.slice(from);
    return args[0] === '--' ? args.slice(1) : args;
  };
  if (second === 'start' || second === 'test') return { invocation: { kind: 'npm', script: second, args: extra(2) }, env };
  if ((second === 'run' || second === 'run-script') && third) return { invocation: { kind: 'npm', script: third, args: extra(3) }, env };
  return undefined;
}

/** The simple commands of a shell line: split at `&&`, `||`, `;` and `|`. */
function simpleCommands(line: string): string[][] {
  const commands: string[][] = [[]];
  for (const token of tokenize(line)) {
    if (token.separator) commands.push([]);
    else commands.at(-1)?.push(token.text);
  }
  return commands.filter((words) => words.length > 0);
}

function commandsIn(file: string, line: number, text: string, inline: boolean, expectedOutput: string[]): DocCommand[] {
  const found: DocCommand[] = [];
  for (const words of simpleCommands(text)) {
    const match = invocationOf(words);
    if (!match) continue;
    const { invocation, env } = match;
    const argWords = invocation.kind === 'cutwater' ? [invocation.subcommand ?? '', ...invocation.args] : [...invocation.args];
    const placeholders = [...env.map((assignment) => assignment.replace(ENV_ASSIGNMENT, '')), ...argWords].filter(isPlaceholder);
    found.push({ file, line, text, invocation, placeholders, expectedOutput, inline });
  }
  return found;
}

/** Every Cutwater or npm-script command in a Markdown document. */
export function extractCommands(file: string, markdown: string): DocCommand[] {
  const lines = markdown.split('\n');
  const found: DocCommand[] = [];
  let fence: { marker: string; shell: boolean } | undefined;
  for (let index = 0; index < lines.length; index++) {
    const raw = lines[index] ?? '';
    const trimmed = raw.trim();
    const opening = /^(`{3,}|~{3,})\s*([\w+-]*)/.exec(trimmed);
    if (fence) {
      if (trimmed.startsWith(fence.marker) && trimmed.slice(fence.marker.length).trim() === '') {
        fence = undefined;
        continue;
      }
      if (!fence.shell) continue;
      const start = index;
      let text = trimmed.replace(/^\$\s+/, '');
      while (text.endsWith('\\') && index + 1 < lines.length) text = `${text.slice(0, -1)} ${(lines[++index] ?? '').trim()}`;
      const output: string[] = [];
      while (/^\s*# /.test(lines[index + 1] ?? '')) output.push((lines[++index] ?? '').trim().slice(2));
      found.push(...commandsIn(file, start + 1, text, false, output));
      continue;
    }
    if (opening) {
      fence = { marker: opening[1] ?? '```', shell: SHELL_LANGUAGES.has((opening[2] ?? '').toLowerCase()) };
      continue;
    }
    for (const span of raw.matchAll(/`([^`]+)`/g)) {
      const code = span[1] ?? '';
      if (/^([A-Z_]+=\S+\s+)*(cutwater|npx cutwater|node (\.\/)?bin\/cutwater\.js|npm (run|start|test))\b/.test(code)) {
        found.push(...commandsIn(file, index + 1, code, true, []));
      }
    }
  }
  return found;
}

/** The `--flag` names a usage text documents (`-h` counts as `--help`). */
export function flagsOfUsage(usage: string): Set<string> {
  const flags = new Set<string>();
  for (const match of usage.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)) flags.add(match[1] ?? '');
  if (/(?<![\w-])-h\b/.test(usage)) flags.add('help');
  return flags;
}

/** The flag names used in a command's arguments, in Prow's `-flag` form too, without `=value`. */
export function flagsUsed(args: readonly string[]): string[] {
  return args
    .map((arg) => arg.replace(/^\[+/, ''))
    .filter((arg) => /^--?[a-z]/i.test(arg))
    .map((arg) => (arg === '-h' ? 'help' : arg.replace(/^--?/, '').replace(/[=\]].*$/, '')));
}

/**
 * Whether an argument names a file or directory: it has a slash or a file extension, is not a
 * flag or a URL, and is not a placeholder.
 */
export function looksLikePath(arg: string): boolean {
  if (arg.startsWith('-') || arg.includes('://') || isPlaceholder(arg)) return false;
  return arg.includes('/') || /\.[a-z][a-z0-9]*$/i.test(arg);
}

/** The path-like arguments: flag values (`--f v`, `--f=v`) and positional arguments. */
export function pathArguments(args: readonly string[]): string[] {
  return args.map((arg) => (/^--?[a-z][\w-]*=/i.test(arg) ? arg.replace(/^[^=]*=/, '') : arg)).filter(looksLikePath);
}

export interface CheckContext {
  /** Each subcommand's usage text, by name. */
  readonly usages: ReadonlyMap<string, string>;
  /** package.json's scripts. */
  readonly scripts: Readonly<Record<string, string>>;
  /** Whether a path relative to the repository is meant to be in it (its first segment is tracked). */
  isRepoPath(file: string): boolean;
  exists(file: string): boolean;
}

/** What a documented command gets wrong: an unknown subcommand, flag, npm script or repository file. */
export function checkCommand(command: DocCommand, context: CheckContext): string[] {
  const where = `${command.file}:${command.line}`;
  const resolved = resolveInvocation(command.invocation, context.scripts);
  if ('problem' in resolved) return [`${where}: ${resolved.problem}`];
  const problems: string[] = [];
  if (resolved.kind === 'cutwater') {
    const { subcommand, args } = resolved;
    if (subcommand === undefined || subcommand.startsWith('-') || isPlaceholder(subcommand)) return problems;
    const usage = context.usages.get(subcommand);
    if (usage === undefined) return [`${where}: cutwater has no command "${subcommand}"`];
    const known = flagsOfUsage(usage);
    for (const flag of flagsUsed(args)) {
      if (!known.has(flag)) problems.push(`${where}: cutwater ${subcommand} has no flag --${flag}`);
    }
  }
  for (const file of pathArguments(resolved.args)) {
    if (context.isRepoPath(file) && !context.exists(file)) problems.push(`${where}: ${file} does not exist in the repository`);
  }
  return problems;
}

/**
 * An npm script that runs `node bin/cutwater.js …` is that Cutwater command with the script's
 * extra arguments appended; any other script only has to exist.
 */
export function resolveInvocation(
  invocation: Invocation,
  scripts: Readonly<Record<string, string>>,
): Invocation | { problem: string } {
  if (invocation.kind === 'cutwater') return invocation;
  const script = scripts[invocation.script];
  if (script === undefined) return { problem: `package.json has no script "${invocation.script}"` };
  const words = simpleCommands(script)[0] ?? [];
  const inner = invocationOf(words);
  if (inner?.invocation.kind !== 'cutwater') return invocation;
  return { ...inner.invocation, args: [...inner.invocation.args, ...invocation.args] };
}
