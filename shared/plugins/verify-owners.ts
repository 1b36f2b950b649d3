import { compileGoRegexp } from '../go/regexp';
import type { DraftReview } from '../github/client';
import type { PluginConfig } from '../config/plugin-config';
import {
  directoryOf,
  isDeniedDirectory,
  normLogin,
  parseOwnersAliases,
  parseOwnersFile,
  type OwnersFilenames,
} from '../owners/owners';
import { cachedFileReader, repoOwnersSettings } from './repo-owners';
import { commandLines } from './comment-event';
import { isBotAccount } from '../github/membership';
import { loginOf } from './delivery-check';
import type { IssueHandle } from './handles';
import { definePlugin, type PluginScope } from './plugin';
import { formatResponse } from './respond';
import { settingsFor } from './settings';
import { triggersSection } from './trigger-rules';

/**
 * Prow's verify-owners plugin (pkg/plugins/verify-owners): when a PR changes OWNERS or
 * OWNERS_ALIASES files, check them as they are at the PR's head. A file that does not parse, uses a
 * label on the deny list, or (at the root) names no approvers marks the PR with
 * `do-not-merge/invalid-owners-file`; so does adding people who are not trusted (not org members,
 * nor collaborators where the trigger config allows those). Invalid files get a review commenting
 * on each, untrusted people a comment. The label goes once the files are fixed.
 */

export const INVALID_OWNERS_LABEL = 'do-not-merge/invalid-owners-file';

export const UNTRUSTED_NOTICE_START = 'The OWNERS changes in this pull request name people who are not trusted here,';
const INVALID_ALIASES_NOTICE_START = 'This pull request leaves the aliases file invalid:';
export const EMPTY_ALIASES_NOTICE = 'Some aliases in OWNERS_ALIASES have no members; consider removing them.';
/** Prow stops checking after this many people, so a large OWNERS reshuffle cannot exhaust the API quota. */
const MAX_TRUST_CHECKS = 50;

export interface OwnersFileProblem {
  path: string;
  /** 1-based; 1 when the parser could not tell. */
  line: number;
  message: string;
}

export interface OwnersFileCheck {
  problem?: OwnersFileProblem;
  /** Approvers and reviewers as written (aliases not expanded), when the file is valid. */
  owners: string[];
}

/** Prow's checks of one OWNERS file's text. */
export function checkOwnersFile(
  path: string,
  text: string,
  options: { filenames: OwnersFilenames; bannedLabels: readonly string[] },
): OwnersFileCheck {
  const parsed = parseOwnersFile(text);
  if (!parsed.ok) {
    return {
      problem: { path, line: parsed.error.line ?? 1, message: `The file cannot be parsed: ${parsed.error.message}` },
      owners: [],
    };
  }
  const file = parsed.file;
  const entries = file.kind === 'simple' ? [file.roles] : file.filters;
  const approvers = entries.flatMap((entry) => entry.approvers);
  const reviewers = entries.flatMap((entry) => entry.reviewers);
  const labels = new Set(entries.flatMap((entry) => entry.labels));

  if (file.kind === 'filters') {
    // Prow silently skips a filter it cannot compile; saying so here is kinder than ignoring it.
    for (const filter of file.filters) {
      if (filter.pattern === '.*') continue;
      try {
        compileGoRegexp(filter.pattern);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        return { problem: { path, line: 1, message: `The filter ${JSON.stringify(filter.pattern)} is not a valid Go regexp: ${reason}` }, owners: [] };
      }
    }
  }
  const banned = [...new Set(options.bannedLabels)].filter((label) => labels.has(label)).sort();
  if (banned.length > 0) {
    return { problem: { path, line: 1, message: `The file uses labels that are not allowed in ${options.filenames.owners} files: ${banned.join(', ')}.` }, owners: [] };
  }
  if (directoryOf(path) === '' && approvers.length === 0) {
    return { problem: { path, line: 1, message: `The root ${options.filenames.owners} file must name at least one approver.` }, owners: [] };
  }
  return { owners: [...reviewers, ...approvers] };
}

/** Owners named in `head` but not in `base` (the people a PR adds), normalised. */
export function newlyNamed(head: readonly string[], base: readonly string[]): string[] {
  const before = new Set(base.map(normLogin));
  return [...new Set(head.map(normLogin))].filter((login) => !before.has(login));
}

export interface TrustRules {
  onlyOrgMembers: boolean;
  trustedApps: readonly string[];
  trustedOrg: string | undefined;
}

export interface TrustLookups {
  isBot: (login: string) => boolean;
  isOrgMember: (org: string, login: string) => Promise<boolean>;
  isCollaborator: (login: string) => Promise<boolean>;
}

/**
 * Prow's trigger.TrustedUser: the bot, org members, collaborators (unless `only_org_members`),
 * trusted Apps and members of the trusted secondary org are trusted. Answers why not, or undefined.
 */
export async function untrustedReason(login: string, org: string, rules: TrustRules, lookups: TrustLookups): Promise<string | undefined> {
  if (lookups.isBot(login)) return undefined;
  if (await lookups.isOrgMember(org, login)) return undefined;
  if (!rules.onlyOrgMembers && (await lookups.isCollaborator(login))) return undefined;
  if (login.endsWith('[bot]') && rules.trustedApps.includes(login.slice(0, -'[bot]'.length))) return undefined;
  const reasons = [`not a member of the ${org} organization`];
  if (rules.trustedOrg && rules.trustedOrg !== org) {
    if (await lookups.isOrgMember(rules.trustedOrg, login)) return undefined;
    reasons.push(`not a member of the ${rules.trustedOrg} organization`);
  }
  if (!rules.onlyOrgMembers) reasons.push('not a collaborator on this repository');
  return `Is ${reasons.join(', ')}; any one of these would make them trusted.`;
}

export interface UntrustedPerson {
  login: string;
  reason: string;
  files: string[];
}

/**
 * As Prow, invalid OWNERS files get a review (a plain COMMENT, so it neither approves nor blocks)
 * with a comment on each file at the line in question, answering the PR's author. Reviews cannot
 * be deleted, so a later check leaves earlier ones in place; the label is what tracks the state.
 */
export function invalidFilesReview(
  problems: readonly OwnersFileProblem[],
  filenames: OwnersFilenames,
  pr: { author: string; body: string; htmlUrl: string; headSha: string },
): DraftReview {
  const count = problems.length;
  const summary = `${count} ${filenames.owners} file${count === 1 ? ' is' : 's are'} not valid; the comment on each file says why. The PR keeps the \`${INVALID_OWNERS_LABEL}\` label until ${count === 1 ? 'it is' : 'they are'} fixed.`;
  return {
    body: formatResponse(pr.author, summary, { body: pr.body, htmlUrl: pr.htmlUrl }),
    event: 'COMMENT',
    commitId: pr.headSha,
    comments: [...problems]
      .sort((a, b) => a.path.localeCompare(b.path))
      .map((problem) => ({ path: problem.path, body: problem.message, position: problem.line })),
  };
}

export function untrustedComment(people: readonly UntrustedPerson[], org: string, joinOrgUrl: string): string {
  const lines = [
    `${UNTRUSTED_NOTICE_START} so the ${people.length === 1 ? 'file is' : 'files are'} not valid yet. Each person is listed with the reason and the files that name them. Becoming a [member](${joinOrgUrl}) of the ${org} organization makes a person trusted; then comment \`/verify-owners\` to check again.`,
    '',
  ];
  for (const person of [...people].sort((a, b) => a.login.localeCompare(b.login))) {
    lines.push(`- ${person.login}`, `  - ${person.reason}`, ...person.files.map((file) => `  - ${file}`));
  }
  return lines.join('\n');
}

export function isVerifyOwnersCommand(body: string): boolean {
  return commandLines(body).some((line) => /^\/verify-owners$/i.test(line));
}

function triggerRules(config: PluginConfig, org: string, repo: string): TrustRules & { joinOrgUrl: string } {
  const trigger = settingsFor(triggersSection.read(config), org, repo);
  return {
    onlyOrgMembers: trigger?.only_org_members ?? false,
    trustedApps: trigger?.trusted_apps ?? [],
    trustedOrg: trigger?.trusted_org || undefined,
    joinOrgUrl: trigger?.join_org_url || `https://github.com/orgs/${org}/people`,
  };
}

interface PullRequestFacts {
  pull: IssueHandle;
  author: string;
  body: string;
  htmlUrl: string;
  headSha: string;
  baseRef: string;
}

async function verify(context: PluginScope, pr: PullRequestFacts): Promise<void> {
  const { github, repository, org, repo, log } = context;
  const { pull } = pr;
  const settings = repoOwnersSettings(context, org, repo);
  const { filenames } = settings;
  const [changes, labels] = await Promise.all([
    pull.listPullRequestFiles(),
    pull.listIssueLabels(),
  ]);
  const changedOwners = changes.filter(
    (change) => change.filename.split('/').pop() === filenames.owners && change.status !== 'removed',
  );
  const aliasesChanged = changes.some((change) => change.filename === filenames.ownersAliases);
  const hasLabel = labels.includes(INVALID_OWNERS_LABEL);
  if (changedOwners.length === 0 && !aliasesChanged && !hasLabel) return;

  const readHead = cachedFileReader(context, pr.headSha);
  const readBase = cachedFileReader(context, pr.baseRef);
  const botLogin = await github.botLogin();
  const comments = await pull.listComments();
  const ourComments = comments.filter((comment) => isBotAccount(botLogin, comment.user.login));
  const deleteOurs = async (matches: (body: string) => boolean) => {
    for (const comment of ourComments) if (matches(comment.body)) await repository.deleteComment(comment.id);
  };
  let labelled = hasLabel;
  const ensureLabel = async () => {
    if (!labelled) await pull.addLabels([INVALID_OWNERS_LABEL]);
    labelled = true;
  };

  // OWNERS_ALIASES as the PR leaves it: invalid aliases make every OWNERS file unreliable.
  let aliases = new Map<string, Set<string>>();
  const aliasesText = await readHead(filenames.ownersAliases);
  if (aliasesText !== undefined) {
    const parsed = parseOwnersAliases(aliasesText);
    if (!parsed.ok) {
      log.info('OWNERS_ALIASES is invalid', { number: pull.number, reason: parsed.error.message });
      await ensureLabel();
      await deleteOurs((body) => body.startsWith(INVALID_ALIASES_NOTICE_START));
      const where = `${filenames.ownersAliases}${parsed.error.line ? `, line ${parsed.error.line}` : ''}`;
      await pull.createComment(`${INVALID_ALIASES_NOTICE_START} ${where}: ${parsed.error.message}`);
      return;
    }
    aliases = parsed.aliases;
    const hasEmptyAlias = [...aliases.values()].some((members) => members.size === 0);
    if (hasEmptyAlias && !ourComments.some((comment) => comment.body.includes(EMPTY_ALIASES_NOTICE))) {
      await pull.createComment(EMPTY_ALIASES_NOTICE);
    }
  }

  // Prow matches the repository's full name only here, not its org.
  const skipTrustCheck = (context.plugins.owners?.skip_collaborators ?? []).includes(`${org}/${repo}`);
  const rules = triggerRules(context.plugins, org, repo);
  const collaborators = new Map<string, Promise<boolean>>();
  const lookups: TrustLookups = {
    isBot: (login) => isBotAccount(botLogin, login),
    isOrgMember: (memberOrg, login) => github.isOrgMember(memberOrg, login),
    isCollaborator: (login) => {
      let verdict = collaborators.get(login);
      if (!verdict) {
        verdict = repository.isCollaborator(login);
        collaborators.set(login, verdict);
      }
      return verdict;
    },
  };
  const untrusted = new Map<string, UntrustedPerson>();
  const trusted = new Set<string>();
  const checkPeople = async (logins: readonly string[], file: string) => {
    for (const login of logins) {
      const flagged = untrusted.get(login);
      if (flagged) {
        if (!flagged.files.includes(file)) flagged.files.push(file);
        continue;
      }
      if (trusted.has(login) || untrusted.size + trusted.size >= MAX_TRUST_CHECKS) continue;
      const reason = await untrustedReason(login, org, rules, lookups);
      if (reason) untrusted.set(login, { login, reason, files: [file] });
      else trusted.add(login);
    }
  };
  const allMembers = (groups: ReadonlyMap<string, ReadonlySet<string>>) => [...groups.values()].flatMap((members) => [...members]);

  if (aliasesChanged && !skipTrustCheck) {
    const baseText = await readBase(filenames.ownersAliases);
    const baseParsed = baseText === undefined ? undefined : parseOwnersAliases(baseText);
    const baseMembers = baseParsed?.ok ? allMembers(baseParsed.aliases) : [];
    await checkPeople(newlyNamed(allMembers(aliases), baseMembers), filenames.ownersAliases);
  }

  const problems: OwnersFileProblem[] = [];
  for (const change of changedOwners) {
    if (isDeniedDirectory(directoryOf(change.filename), settings.dirDenylist)) continue;
    const text = await readHead(change.filename);
    if (text === undefined) continue;
    const check = checkOwnersFile(change.filename, text, { filenames, bannedLabels: settings.labelsDenylist });
    if (check.problem) {
      problems.push(check.problem);
      continue;
    }
    if (skipTrustCheck) continue;
    const baseText = await readBase(change.filename);
    const baseCheck = baseText === undefined ? undefined : checkOwnersFile(change.filename, baseText, { filenames, bannedLabels: [] });
    // Aliases are groups, not people; their members are checked where the aliases are defined.
    const added = newlyNamed(check.owners, baseCheck?.owners ?? []).filter((login) => !aliases.has(login));
    await checkPeople(added, change.filename);
  }

  await deleteOurs((body) => body.startsWith(INVALID_ALIASES_NOTICE_START));
  if (problems.length > 0) {
    log.info('invalid OWNERS files', { number: pull.number, files: problems.map((problem) => problem.path) });
    await ensureLabel();
    await pull.createReview(invalidFilesReview(problems, filenames, pr));
  }
  await deleteOurs((body) => body.startsWith(UNTRUSTED_NOTICE_START));
  if (untrusted.size > 0) {
    log.info('OWNERS changes name untrusted people', { number: pull.number, people: [...untrusted.keys()] });
    await ensureLabel();
    await pull.createComment(untrustedComment([...untrusted.values()], org, rules.joinOrgUrl));
  }
  if (problems.length === 0 && untrusted.size === 0 && hasLabel) {
    log.info(`removing ${INVALID_OWNERS_LABEL}`, { number: pull.number });
    await pull.removeLabel(INVALID_OWNERS_LABEL);
  }
}

export const verifyOwners = definePlugin('verify-owners', {
  description: `Checks the OWNERS and OWNERS_ALIASES files a pull request changes, as they are at the PR's head: they must parse, must not use labels on the deny list, the root OWNERS file must name approvers, and people they add must be trusted (org members, or collaborators where the trigger config allows). Problems add the \`${INVALID_OWNERS_LABEL}\` label, and a review commenting on each invalid file (or a comment naming the untrusted people); the label goes once the files are fixed.`,
  config:
    'plugins.yaml `owners:` — `filenames` (other names for OWNERS / OWNERS_ALIASES per org or repo), `labels_denylist` (labels OWNERS files may not set; default `approved` and `lgtm`), `skip_collaborators` (repos, as "org/repo", whose new owners are not checked for trust). Trust follows the repo\'s `triggers:` entry (`only_org_members`, `trusted_org`, `trusted_apps`, `join_org_url`).',
  commands: [
    {
      usage: '/verify-owners',
      description: `Checks the PR's OWNERS changes again, for example after someone joined the org; removes \`${INVALID_OWNERS_LABEL}\` when they pass.`,
      examples: ['/verify-owners'],
      who: 'Anyone, on pull requests.',
    },
  ],
})
  .on(['pull_request.opened', 'pull_request.reopened', 'pull_request.synchronize'], async (context) => {
    const { pull_request: pr } = context.event.payload;
    await verify(context, {
      pull: context.issue,
      author: loginOf(pr.user),
      body: pr.body ?? '',
      htmlUrl: pr.html_url,
      headSha: pr.head.sha,
      baseRef: pr.base.ref,
    });
  })
  .onComment(async (context) => {
    const { comment, issue } = context;
    if (comment.action !== 'created' || !comment.isPR || comment.issueState !== 'open') return;
    if (!isVerifyOwnersCommand(comment.body)) return;
    const pr = await issue.getPullRequest();
    await verify(context, {
      pull: issue,
      author: pr.user.login,
      body: pr.body ?? '',
      htmlUrl: pr.html_url,
      headSha: pr.head.sha,
      baseRef: pr.base.ref,
    });
  });
