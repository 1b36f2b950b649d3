import { z } from 'zod';
import { checkReposListedOnce, pluginSection } from '../config/plugin-section';
import { definePlugin } from './plugin';
import type { PluginGitHub } from './plugin-github';
import { membershipChecks } from '../github/membership';
import { settingsFor } from './settings';
import { triggerSettings, trustedUser } from './trigger-rules';

/**
 * welcome (Prow's pkg/plugins/welcome): greets someone's first pull request to a repository.
 */

/** Used when the repository's `welcome` entry sets no `message_template`. */
export const DEFAULT_WELCOME_TEMPLATE =
  'Hi @{{.AuthorLogin}}, and welcome! This appears to be your first pull request to {{.Org}}/{{.Repo}} 🎉';

/** The fields Prow hands the template: nothing else can be named in it. */
export interface WelcomeInfo {
  Org: string;
  Repo: string;
  AuthorLogin: string;
  AuthorName: string;
}

/**
 * Prow renders the template with Go's html/template, which escapes every value for HTML text.
 * Escaping the same characters keeps messages identical, and keeps a display name such as
 * `<img src=…>` from turning into markup in the comment.
 */
function escapeLikeGoHtmlTemplate(value: string): string {
  const replacements: Record<string, string> = {
    '\0': '\uFFFD',
    '"': '&#34;',
    '&': '&amp;',
    "'": '&#39;',
    '+': '&#43;',
    '<': '&lt;',
    '>': '&gt;',
  };
  return value.replace(/[\0"&'+<>]/g, (character) => replacements[character] ?? character);
}

export class WelcomeTemplateError extends Error {
  constructor(action: string) {
    super(
      `welcome template action ${action} is not supported; only {{.AuthorLogin}}, {{.AuthorName}}, {{.Org}} and {{.Repo}} are`,
    );
    this.name = 'WelcomeTemplateError';
  }
}

/**
 * Fills in `{{.AuthorLogin}}`, `{{.AuthorName}}`, `{{.Org}}` and `{{.Repo}}`. Any other action is
 * an error rather than left in place: Prow fails on a field it does not know, and posting a
 * half-rendered greeting to a newcomer is worse than posting none.
 */
export function renderWelcome(template: string, info: WelcomeInfo): string {
  return template.replace(/\{\{(.*?)\}\}/gs, (action, inner: string) => {
    const field = /^\s*\.(AuthorLogin|AuthorName|Org|Repo)\s*$/.exec(inner)?.[1] as keyof WelcomeInfo | undefined;
    if (!field) throw new WelcomeTemplateError(action);
    return escapeLikeGoHtmlTemplate(info[field]);
  });
}

export interface WelcomeDecisionInput {
  /** GitHub's account type of the author; only people ("User") are greeted. */
  authorType: string | undefined;
  alwaysPost: boolean;
  /** Only asked when it matters: trusted people are not newcomers. */
  isTrusted: () => Promise<boolean>;
  /** The pull request just opened. */
  number: number;
  /**
   * The author's pull requests GitHub's search finds in the repository: how many, and their
   * numbers (only needed, and so perhaps only listed, when there is exactly one).
   */
  authoredPullRequests: () => Promise<{ count: number; numbers: readonly number[] }>;
}

/**
 * Should this newly opened PR be greeted? Bots never are (GitHub's search cannot list their PRs);
 * with `always_post` everyone else is; otherwise only untrusted authors whose only PR here is this
 * one. As in Prow, search finding none counts (its index may not hold the new PR yet), but one
 * other PR does not: the author has been here before. The checks run in Prow's order.
 */
export async function shouldWelcome(input: WelcomeDecisionInput): Promise<boolean> {
  if (input.authorType !== 'User') return false;
  if (input.alwaysPost) return true;
  if (await input.isTrusted()) return false;
  const found = await input.authoredPullRequests();
  return found.count === 0 || (found.count === 1 && found.numbers[0] === input.number);
}

/** Listing costs a page per hundred results, so the author's PRs are only listed when there is exactly one. */
async function authoredPullRequests(github: PluginGitHub, query: string): Promise<{ count: number; numbers: number[] }> {
  const count = await github.countSearchResults(query);
  if (count !== 1) return { count, numbers: [] };
  const { items } = await github.searchIssues(query);
  return { count: items.length, numbers: items.map((item) => item.number) };
}

/** plugins.yaml `welcome:`: entries for orgs and repos ("org" or "org/repo"). */
export const WelcomeSettingsSchema = z.object({
  repos: z.array(z.string()).optional(),
  message_template: z.string().optional(),
  always_post: z.boolean().optional(),
});
export type WelcomeSettings = z.infer<typeof WelcomeSettingsSchema>;

export const welcomeSection = pluginSection('welcome', z.array(WelcomeSettingsSchema), (entries, report) =>
  checkReposListedOnce('welcome', entries, report),
);

export const welcome = definePlugin('welcome', {
  description: 'Greets the author of a pull request when it is their first one to the repository.',
  config:
    'Entries under `welcome:`, each listing `repos` ("org" or "org/repo"; a repository entry wins over its ' +
    'org): `message_template` is the greeting, where {{.AuthorLogin}}, {{.AuthorName}}, {{.Org}} and {{.Repo}} ' +
    `are filled in (default: "${DEFAULT_WELCOME_TEMPLATE}"); with \`always_post: true\` every pull request is ` +
    'greeted, not only first ones from people who are neither org members nor collaborators.',
}).settings(welcomeSection).on('pull_request.opened', async (context) => {
  const { github, org, repo } = context;
  const pr = context.event.payload.pull_request;
  const author = pr.user.login;
  const settings = settingsFor(welcomeSection.read(context.plugins), org, repo);
  const greet = await shouldWelcome({
    authorType: pr.user.type,
    alwaysPost: settings?.always_post ?? false,
    isTrusted: async () =>
      (await trustedUser(membershipChecks(github), triggerSettings(context.plugins, org, repo), author, org, repo))
        .trusted,
    number: pr.number,
    authoredPullRequests: () => authoredPullRequests(github, `is:pr repo:${org}/${repo} author:${author}`),
  });
  if (!greet) return;
  const message = renderWelcome(settings?.message_template || DEFAULT_WELCOME_TEMPLATE, {
    Org: org,
    Repo: repo,
    AuthorLogin: author,
    AuthorName: pr.user.name ?? '',
  });
  await context.issue.createComment(message);
  context.log.info('welcomed a first-time contributor', { number: pr.number, author });
});
