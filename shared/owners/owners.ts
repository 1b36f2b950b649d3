import { LineCounter, parseAllDocuments, parseDocument } from 'yaml';
import { z } from 'zod';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import { LayeredSet } from './layered-set';

/**
 * OWNERS files as Prow's pkg/repoowners reads them. An OWNERS file names the approvers, reviewers,
 * required reviewers and labels for its directory and everything below it, either directly (the
 * "simple" form) or per Go regexp over the path relative to the directory (the "filters" form).
 * OWNERS_ALIASES at the repository root names groups usable wherever a login is.
 *
 * Prow clones the repository and walks every OWNERS file. Cutwater reads files through the GitHub
 * API instead, so it loads only the OWNERS files that can matter for the paths at hand: those in
 * the directories containing them and every directory above. Answers for other paths are not
 * meaningful, which is why the loader takes the paths up front.
 */

export { LayeredSet };

export const DEFAULT_OWNERS_FILENAME = 'OWNERS';
export const DEFAULT_OWNERS_ALIASES_FILENAME = 'OWNERS_ALIASES';

/** Per-repository names of the two files (plugins.yaml `owners.filenames`). */
export interface OwnersFilenames {
  owners: string;
  ownersAliases: string;
}

export const DEFAULT_OWNERS_FILENAMES: OwnersFilenames = {
  owners: DEFAULT_OWNERS_FILENAME,
  ownersAliases: DEFAULT_OWNERS_ALIASES_FILENAME,
};

/** GitHub logins are case-insensitive and people often write them with "@"; Prow compares this form. */
export function normLogin(login: string): string {
  const lower = login.toLowerCase();
  return lower.startsWith('@') ? lower.slice(1) : lower;
}

// ---- parsing ----

export interface OwnersRoles {
  approvers: string[];
  reviewers: string[];
  requiredReviewers: string[];
  labels: string[];
}

export interface DirOptions {
  /** Approvers and reviewers of parent directories do not apply here. */
  noParentOwners: boolean;
  /** Files in subdirectories without an OWNERS file of their own need no approval. */
  autoApproveUnownedSubfolders: boolean;
}

export interface OwnersFilter extends OwnersRoles {
  /** The Go regexp as written; ".*" applies to everything, as Prow special-cases it. */
  pattern: string;
}

export type OwnersFile =
  | { kind: 'simple'; options: DirOptions; roles: OwnersRoles; emeritusApprovers: string[] }
  | { kind: 'filters'; options: DirOptions; filters: OwnersFilter[] };

export interface OwnersParseError {
  message: string;
  /** 1-based, when the YAML parser could tell. */
  line?: number;
}

export type OwnersFileResult = { ok: true; file: OwnersFile } | { ok: false; error: OwnersParseError };
export type OwnersAliasesResult = { ok: true; aliases: Map<string, Set<string>> } | { ok: false; error: OwnersParseError };

/**
 * Go's YAML decoder, which Prow uses, turns numbers and booleans into text when the field is a
 * string, so a login such as `1234` is accepted.
 */
const Scalar = z.union([z.string(), z.number(), z.boolean()]).transform((value) => String(value));
const Names = z
  .array(Scalar)
  .nullish()
  .transform((names) => names ?? []);
const OptionsSchema = z
  .object({
    no_parent_owners: z.boolean().nullish(),
    auto_approve_unowned_subfolders: z.boolean().nullish(),
  })
  .nullish();
const RoleFields = {
  approvers: Names,
  reviewers: Names,
  required_reviewers: Names,
  labels: Names,
};
const RolesSchema = z.object(RoleFields);
/** Unknown fields are ignored, as Go's decoder ignores them. */
const SimpleSchema = z
  .object({
    options: OptionsSchema,
    ...RoleFields,
    // Not a Prow field (Kubernetes' convention for former approvers), so it can never break a file.
    emeritus_approvers: Names.catch([]),
  })
  .nullable();
const FiltersSchema = z
  .object({
    options: OptionsSchema,
    filters: z.record(z.string(), RolesSchema.nullable()).nullish(),
  })
  .nullable();

function optionsOf(options: z.infer<typeof OptionsSchema>): DirOptions {
  return {
    noParentOwners: options?.no_parent_owners ?? false,
    autoApproveUnownedSubfolders: options?.auto_approve_unowned_subfolders ?? false,
  };
}

function rolesOf(fields: z.infer<typeof RolesSchema> | null | undefined): OwnersRoles {
  return {
    approvers: fields?.approvers ?? [],
    reviewers: fields?.reviewers ?? [],
    requiredReviewers: fields?.required_reviewers ?? [],
    labels: fields?.labels ?? [],
  };
}

function isEmptyRoles(roles: OwnersRoles): boolean {
  return (
    roles.approvers.length === 0 &&
    roles.reviewers.length === 0 &&
    roles.requiredReviewers.length === 0 &&
    roles.labels.length === 0
  );
}

/** The first YAML document of `text`, as plain data, or the parser's first complaint. */
function readYaml(text: string): { ok: true; value: unknown } | { ok: false; error: OwnersParseError } {
  // YAML 1.1 because Go's decoder speaks it: `no_parent_owners: yes` is a boolean there.
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { version: '1.1', uniqueKeys: true, prettyErrors: false, lineCounter });
  const problem = document.errors[0];
  if (problem) {
    const line = problem.linePos?.[0]?.line ?? lineCounter.linePos(problem.pos[0]).line;
    return {
      ok: false,
      error: { message: problem.message.split('\n')[0] ?? problem.message, ...(line ? { line } : {}) },
    };
  }
  return { ok: true, value: document.toJS({ maxAliasCount: 1000 }) as unknown };
}

function describeZodError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'unexpected content';
  const where = issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
  return `${where}${issue.message}`;
}

/**
 * Reads an OWNERS file the way Prow does: as the simple form when that decodes and names anyone
 * or any label, otherwise as the filters form. A file that decodes as neither is invalid.
 */
export function parseOwnersFile(text: string): OwnersFileResult {
  const yaml = readYaml(text);
  if (!yaml.ok) return yaml;
  const simple = SimpleSchema.safeParse(yaml.value ?? null);
  if (simple.success) {
    const roles = rolesOf(simple.data);
    if (!isEmptyRoles(roles)) {
      return {
        ok: true,
        file: {
          kind: 'simple',
          options: optionsOf(simple.data?.options),
          roles,
          emeritusApprovers: simple.data?.emeritus_approvers ?? [],
        },
      };
    }
  }
  const filtered = FiltersSchema.safeParse(yaml.value ?? null);
  if (!filtered.success) return { ok: false, error: { message: describeZodError(filtered.error) } };
  return {
    ok: true,
    file: {
      kind: 'filters',
      options: optionsOf(filtered.data?.options),
      filters: Object.entries(filtered.data?.filters ?? {}).map(([pattern, fields]) => ({
        pattern,
        ...rolesOf(fields),
      })),
    },
  };
}

const AliasesSchema = z
  .object({ aliases: z.record(z.string(), z.unknown()).nullish() })
  .nullable();

/**
 * OWNERS_ALIASES: `aliases:` maps a group name to its members. As in Prow a group must be a list
 * (a flow mapping's keys and an empty value are accepted too); anything else invalidates the file.
 */
export function parseOwnersAliases(text: string): OwnersAliasesResult {
  const yaml = readYaml(text);
  if (!yaml.ok) return yaml;
  const parsed = AliasesSchema.safeParse(yaml.value ?? null);
  if (!parsed.success) return { ok: false, error: { message: describeZodError(parsed.error) } };
  const aliases = new Map<string, Set<string>>();
  for (const [alias, members] of Object.entries(parsed.data?.aliases ?? {})) {
    let names: string[];
    if (members === null || members === undefined) {
      names = [];
    } else if (Array.isArray(members)) {
      const notText = members.find((member) => typeof member !== 'string');
      if (notText !== undefined) {
        return { ok: false, error: { message: `alias group '${alias}' has a member that is not a login: ${JSON.stringify(notText)}` } };
      }
      names = members as string[];
    } else if (typeof members === 'object') {
      names = Object.keys(members);
    } else {
      return { ok: false, error: { message: `alias group '${alias}' must be a list of members` } };
    }
    aliases.set(normLogin(alias), new Set(names.map(normLogin)));
  }
  return { ok: true, aliases };
}

/**
 * With markdown OWNERS enabled (plugins.yaml `owners.mdyamlrepos`), a `.md` file may start with a
 * YAML header in the simple OWNERS form that applies to that file alone. Like Prow, the header runs
 * from the opening `---` to the last `---` line, and an unreadable header is ignored.
 */
export function parseMarkdownOwners(text: string): { roles: OwnersRoles; options: DirOptions } | undefined {
  const header = /^---\n[\s\S]*\n---/.exec(text)?.[0];
  if (header === undefined) return undefined;
  const documents = parseAllDocuments(header, { version: '1.1', uniqueKeys: true, prettyErrors: false });
  const first = Array.isArray(documents) ? documents[0] : undefined;
  if (!first || first.errors.length > 0) return undefined;
  const simple = SimpleSchema.safeParse((first.toJS({ maxAliasCount: 1000 }) as unknown) ?? null);
  if (!simple.success) return undefined;
  return { roles: rolesOf(simple.data), options: optionsOf(simple.data?.options) };
}

// ---- paths ----

/** Prow's directory form: repository-relative, no trailing slash, "" for the root. */
export function directoryOf(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  const slash = trimmed.lastIndexOf('/');
  return slash < 0 ? '' : trimmed.slice(0, slash);
}

/** Go's filepath.Rel for a directory that contains the path. */
function relativeTo(directory: string, path: string): string {
  if (directory === path) return '.';
  if (directory === '') return path;
  return path.startsWith(`${directory}/`) ? path.slice(directory.length + 1) : path;
}

/** `dir`, then each directory above it, ending with the root (""). */
export function directoriesUpFrom(directory: string): string[] {
  const chain = [directory];
  let current = directory;
  while (current !== '') {
    current = directoryOf(current);
    chain.push(current);
  }
  return chain;
}

function joinPath(directory: string, name: string): string {
  return directory === '' ? name : `${directory}/${name}`;
}

// ---- resolution ----

interface OwnersEntry {
  /** Undefined applies to every path under the directory. */
  matcher?: GoRegexp;
  approvers: Set<string>;
  reviewers: Set<string>;
  requiredReviewers: Set<string>;
  labels: Set<string>;
}

type Role = 'approvers' | 'reviewers' | 'requiredReviewers' | 'labels';

/** Where the OWNERS data came from, for RepoOwners' constructor (see loadRepoOwners). */
export interface OwnersSnapshot {
  /** Directory ("" for the root) → its parsed OWNERS file. */
  files: ReadonlyMap<string, OwnersFile>;
  aliases: ReadonlyMap<string, ReadonlySet<string>>;
  /** Markdown file path → the OWNERS header it carries. */
  markdown?: ReadonlyMap<string, { roles: OwnersRoles; options: DirOptions }>;
  filenames?: OwnersFilenames;
  /** Prow drops approvers and reviewers who are not collaborators; undefined keeps everyone. */
  keepOnly?: ReadonlySet<string>;
  /** Filter patterns that are not valid Go regexps are skipped, as Prow skips them; reported here. */
  onInvalidFilter?: (directory: string, pattern: string, reason: string) => void;
}

/**
 * Prow's RepoOwners over the OWNERS files loaded for a set of paths. Paths are repository-relative
 * file paths ("pkg/util/file.go"); "OWNERS file" results are directories ("" for the root).
 */
export class RepoOwners {
  private readonly entries = new Map<string, OwnersEntry[]>();
  private readonly options = new Map<string, DirOptions>();
  readonly aliases: ReadonlyMap<string, ReadonlySet<string>>;
  readonly filenames: OwnersFilenames;

  constructor(snapshot: OwnersSnapshot) {
    this.aliases = snapshot.aliases;
    this.filenames = snapshot.filenames ?? DEFAULT_OWNERS_FILENAMES;
    for (const [directory, file] of snapshot.files) {
      if (file.kind === 'simple') {
        this.addEntry(directory, undefined, file.roles, snapshot.keepOnly);
      } else {
        for (const filter of file.filters) {
          let matcher: GoRegexp | undefined;
          if (filter.pattern !== '.*') {
            try {
              matcher = compileGoRegexp(filter.pattern);
            } catch (error) {
              snapshot.onInvalidFilter?.(directory, filter.pattern, error instanceof Error ? error.message : String(error));
              continue;
            }
          }
          this.addEntry(directory, matcher, filter, snapshot.keepOnly);
        }
      }
      this.addOptions(directory, file.options);
    }
    for (const [path, header] of snapshot.markdown ?? []) {
      this.addEntry(path, undefined, header.roles, snapshot.keepOnly);
      this.addOptions(path, header.options);
    }
  }

  /** Logins with aliases replaced by their members. */
  expandAliases(logins: Iterable<string>): Set<string> {
    const expanded = new Set<string>();
    for (const login of logins) {
      const members = this.aliases.get(normLogin(login));
      if (members) for (const member of members) expanded.add(member);
      else expanded.add(login);
    }
    return expanded;
  }

  private addEntry(key: string, matcher: GoRegexp | undefined, roles: OwnersRoles, keepOnly?: ReadonlySet<string>): void {
    const people = (names: string[], filtered: boolean) => {
      const expanded = this.expandAliases(names.map(normLogin));
      return filtered && keepOnly ? new Set([...expanded].filter((login) => keepOnly.has(login))) : expanded;
    };
    const entry: OwnersEntry = {
      ...(matcher ? { matcher } : {}),
      approvers: people(roles.approvers, true),
      reviewers: people(roles.reviewers, true),
      requiredReviewers: people(roles.requiredReviewers, false),
      labels: new Set(roles.labels),
    };
    const list = this.entries.get(key) ?? [];
    list.push(entry);
    this.entries.set(key, list);
  }

  private addOptions(key: string, options: DirOptions): void {
    if (options.noParentOwners || options.autoApproveUnownedSubfolders) this.options.set(key, options);
  }

  /** Prow's entriesForFile: people in `role` for the path, nearest OWNERS first. */
  private entriesFor(path: string, role: Role, leafOnly: boolean): LayeredSet {
    const found = new LayeredSet();
    let current = path.replace(/\/+$/, '');
    let layer = 0;
    for (;;) {
      const relative = relativeTo(current, path);
      for (const entry of this.entries.get(current) ?? []) {
        if (!entry.matcher || entry.matcher.test(relative)) found.insert(layer, ...[...entry[role]].sort());
      }
      if (leafOnly && found.size > 0) break;
      if (current === '') break;
      if (this.options.get(current)?.noParentOwners && found.size > 0) break;
      current = directoryOf(current);
      layer++;
    }
    return found;
  }

  /** Prow's findOwnersForFile: the nearest directory whose OWNERS names someone in `role` for the path. */
  private ownersFileFor(path: string, role: Role): string {
    for (let current = path; current !== ''; current = directoryOf(current)) {
      const relative = relativeTo(current, path);
      const named = (this.entries.get(current) ?? []).some(
        (entry) => (!entry.matcher || entry.matcher.test(relative)) && entry[role].size > 0,
      );
      if (named) return current;
    }
    return '';
  }

  /** The directory of the nearest OWNERS file with approvers for the path ("" for the root). */
  findApproverOwnersForFile(path: string): string {
    return this.ownersFileFor(path, 'approvers');
  }

  findReviewersOwnersForFile(path: string): string {
    return this.ownersFileFor(path, 'reviewers');
  }

  /** Every approver of the path: its OWNERS file's and those above, unless `no_parent_owners` stops the climb. */
  approvers(path: string): LayeredSet {
    return this.entriesFor(path, 'approvers', false);
  }

  /** Only the nearest OWNERS file's approvers. */
  leafApprovers(path: string): Set<string> {
    return this.entriesFor(path, 'approvers', true).toSet();
  }

  reviewers(path: string): LayeredSet {
    return this.entriesFor(path, 'reviewers', false);
  }

  leafReviewers(path: string): Set<string> {
    return this.entriesFor(path, 'reviewers', true).toSet();
  }

  requiredReviewers(path: string): Set<string> {
    return this.entriesFor(path, 'requiredReviewers', false).toSet();
  }

  labelsForFile(path: string): Set<string> {
    return this.entriesFor(path, 'labels', false).toSet();
  }

  topLevelApprovers(): Set<string> {
    return this.entriesFor('.', 'approvers', true).toSet();
  }

  /** Every approver and reviewer named in the loaded files, aliases expanded. */
  namedApproversAndReviewers(): Set<string> {
    const named = new Set<string>();
    for (const list of this.entries.values()) {
      for (const entry of list) {
        for (const login of entry.approvers) named.add(login);
        for (const login of entry.reviewers) named.add(login);
      }
    }
    return named;
  }

  isNoParentOwners(directory: string): boolean {
    return this.options.get(directory)?.noParentOwners ?? false;
  }

  isAutoApproveUnownedSubfolders(directory: string): boolean {
    return this.options.get(directory)?.autoApproveUnownedSubfolders ?? false;
  }
}

// ---- loading ----

export interface LoadOwnersOptions {
  /** A file's text at the ref being resolved, or undefined when there is no such file. */
  readFile: (path: string) => Promise<string | undefined>;
  /** The paths that will be asked about (a PR's changed files). */
  paths: readonly string[];
  filenames?: OwnersFilenames;
  /** Prow's owners_dir_denylist: directories whose OWNERS files (and everything below) are ignored. */
  dirDenylist?: readonly GoRegexp[];
  /** Read OWNERS headers of changed markdown files (plugins.yaml `owners.mdyamlrepos`). */
  markdownOwners?: boolean;
  /** Prow keeps only collaborators as approvers and reviewers; omit to keep everyone (`skip_collaborators`). */
  isCollaborator?: (login: string) => Promise<boolean>;
  /** An OWNERS, OWNERS_ALIASES file or filter that is ignored because it is invalid. */
  onInvalid?: (path: string, reason: string) => void;
}

/** Prow ignores `\.git$`, `_output$` and `vendor/.*\/.*` unless told otherwise; see ownersDirDenylist. */
export const PRECONFIGURED_DIR_DENYLIST = ['\\.git$', '_output$', 'vendor/.*/.*'];

/** Whether OWNERS files in `directory` are ignored because it (or a directory above it) is denied. */
export function isDeniedDirectory(directory: string, denylist: readonly GoRegexp[]): boolean {
  if (denylist.length === 0) return false;
  // Prow's walk skips a denied directory with everything below it; the root is walked as ".".
  const chain = directoriesUpFrom(directory).map((dir) => (dir === '' ? '.' : dir));
  return chain.some((dir) => denylist.some((pattern) => pattern.test(dir)));
}

export async function loadRepoOwners(options: LoadOwnersOptions): Promise<RepoOwners> {
  const filenames = options.filenames ?? DEFAULT_OWNERS_FILENAMES;
  const denylist = options.dirDenylist ?? [];
  const directories = new Set(options.paths.flatMap((path) => directoriesUpFrom(directoryOf(path))));
  directories.add('');

  const aliasesRead = options.readFile(filenames.ownersAliases).then((text) => {
    if (text === undefined) return new Map<string, Set<string>>();
    const parsed = parseOwnersAliases(text);
    if (parsed.ok) return parsed.aliases;
    options.onInvalid?.(filenames.ownersAliases, parsed.error.message);
    return new Map<string, Set<string>>();
  });
  const ownersRead = Promise.all(
    [...directories]
      .filter((directory) => !isDeniedDirectory(directory, denylist))
      .map(async (directory): Promise<[string, OwnersFile] | undefined> => {
        const path = joinPath(directory, filenames.owners);
        const text = await options.readFile(path);
        if (text === undefined) return undefined;
        const parsed = parseOwnersFile(text);
        if (parsed.ok) return [directory, parsed.file];
        options.onInvalid?.(path, parsed.error.message);
        return undefined;
      }),
  );
  const markdownRead = Promise.all(
    (options.markdownOwners ? options.paths : [])
      .filter((path) => path.endsWith('.md') && !isDeniedDirectory(directoryOf(path), denylist))
      .map(async (path) => {
        const text = await options.readFile(path);
        const header = text === undefined ? undefined : parseMarkdownOwners(text);
        return header ? ([path, header] as const) : undefined;
      }),
  );
  const [aliases, owners, markdown] = await Promise.all([aliasesRead, ownersRead, markdownRead]);
  const snapshot: OwnersSnapshot = {
    files: new Map(owners.filter((entry) => entry !== undefined)),
    aliases,
    markdown: new Map(markdown.filter((entry) => entry !== undefined)),
    filenames,
    onInvalidFilter: (directory, pattern, reason) =>
      options.onInvalid?.(joinPath(directory, filenames.owners), `filter ${JSON.stringify(pattern)} ignored: ${reason}`),
  };
  if (!options.isCollaborator) return new RepoOwners(snapshot);

  // Everyone named, not just the nearest approvers: once non-collaborators are dropped, a path's
  // nearest OWNERS file may have nobody left and the search climbs to the files above.
  const named = new RepoOwners({ ...snapshot, onInvalidFilter: () => {} }).namedApproversAndReviewers();
  const isCollaborator = options.isCollaborator;
  const verdicts = await Promise.all([...named].map(async (login) => [login, await isCollaborator(login)] as const));
  const keepOnly = new Set(verdicts.filter(([, kept]) => kept).map(([login]) => login));
  return new RepoOwners({ ...snapshot, keepOnly });
}
