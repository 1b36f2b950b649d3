import { z } from 'zod';
import { checkGoRegexp, pluginSection, type PluginSections } from '../config/plugin-section';
import { isBotAccount } from '../github/membership';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * sigmention (Prow's pkg/plugins/sigmention): mentioning a SIG's GitHub team, such as
 * `@kubernetes/sig-node-bugs`, labels the issue or PR with the SIG (`sig/node`) and, for the teams
 * whose suffix says what kind of work it is, with the kind (`kind/bug`). GitHub does not notify a
 * team when someone outside the org mentions it, so for such people the bot repeats the mentions.
 */

/** Prow's default: the first group is the SIG, the second the team's suffix. */
export const DEFAULT_SIG_MENTION_REGEXP =
  '(?m)@kubernetes/sig-([\\w-]*)-(misc|test-failures|bugs|feature-requests|proposals|pr-reviews|api-reviews)';

/** Team suffixes that also say what kind of change or report it is, and the label for each (Prow's mapping). */
export const KIND_LABELS: Readonly<Record<string, string>> = {
  bugs: 'kind/bug',
  'feature-requests': 'kind/feature',
  'api-reviews': 'kind/api-change',
  proposals: 'kind/design',
};

export const REPEATED_MENTIONS_INTRO = 'Mentioning these teams again so that GitHub notifies them:';

// ---- plugins.yaml `sigmention:` ----

export const SigMentionSchema = z.object({
  /** Matches team mentions: group 1 is the SIG's name, group 2 (if any) the team's suffix. */
  regexp: z.string().optional(),
});
export type SigMentionSettings = z.infer<typeof SigMentionSchema>;

export const sigMentionSection = pluginSection('sigmention', SigMentionSchema, (settings, report) => {
  if (settings.regexp) checkGoRegexp(report, ['regexp'], settings.regexp);
});

const compiled = new Map<string, GoRegexp>();

/** The configured expression, or Prow's default when the section or its `regexp` is left out or empty. */
export function sigMentionRegexp(plugins: PluginSections | undefined): GoRegexp {
  const source = (plugins && sigMentionSection.read(plugins)?.regexp) || DEFAULT_SIG_MENTION_REGEXP;
  let regexp = compiled.get(source);
  if (!regexp) {
    regexp = compileGoRegexp(source);
    compiled.set(source, regexp);
  }
  return regexp;
}

export interface SigMentionPlan {
  /** Labels to add, as the repository spells them. */
  add: string[];
  /** The mentions whose SIG label exists, as written: those worth repeating. */
  mentions: string[];
  /** `sig/*` labels mentioned that the repository does not have. */
  missing: string[];
}

/**
 * What the mentions in `body` ask for. As in Prow, a mention whose SIG label the repository lacks
 * is ignored altogether (no kind label, no repeat); labels the issue has already, compared without
 * case, are not added again; and only labels the repository has are added.
 */
export function planSigMentions(body: string, regexp: GoRegexp, issueLabels: readonly string[], repoLabels: readonly string[]): SigMentionPlan {
  const existing = new Map(repoLabels.map((name) => [name.toLowerCase(), name]));
  const present = new Set(issueLabels.map((name) => name.toLowerCase()));
  const plan: SigMentionPlan = { add: [], mentions: [], missing: [] };
  const want = (label: string | undefined) => {
    const spelled = label === undefined ? undefined : existing.get(label.toLowerCase());
    if (spelled === undefined || present.has(spelled.toLowerCase()) || plan.add.includes(spelled)) return;
    plan.add.push(spelled);
  };
  for (const [mention = '', sig = '', suffix] of regexp.findAllSubmatches(body)) {
    const sigLabel = `sig/${sig}`;
    if (!existing.has(sigLabel.toLowerCase())) {
      plan.missing.push(sigLabel);
      continue;
    }
    want(sigLabel);
    if (suffix !== undefined && Object.hasOwn(KIND_LABELS, suffix)) want(KIND_LABELS[suffix]);
    plan.mentions.push(mention);
  }
  return plan;
}

export const sigMention = definePlugin('sigmention', {
  description:
    "Answers mentions of SIG GitHub teams such as '@kubernetes/sig-testing-bugs': the issue or pull request gets that SIG's " +
    "'sig/*' label ('sig/testing') and, for teams ending in -bugs, -feature-requests, -api-reviews or -proposals, the matching " +
    "'kind/*' label ('kind/bug', 'kind/feature', 'kind/api-change', 'kind/design'); only labels the repository has are added. " +
    'When the person mentioning the team is not a member of the organization, GitHub does not notify the team, so the bot repeats the mentions.',
  config:
    '`sigmention.regexp` is the expression (Go syntax) that finds team mentions in comments: its first group is the SIG, its ' +
    `second the team's suffix. Defaults to \`${DEFAULT_SIG_MENTION_REGEXP}\`.`,
})
  .settings(sigMentionSection)
  .commentsFilteredBy((comment, config) => comment.action === 'created' && sigMentionRegexp(config.plugins).test(comment.body))
  .onComment(async ({ comment, issue, repository, github, plugins, log }) => {
    if (comment.action !== 'created') return;
    if (isBotAccount(await github.botLogin(), comment.author)) return;
    const regexp = sigMentionRegexp(plugins);
    if (!regexp.test(comment.body)) return;

    const [issueLabels, repoLabels] = await Promise.all([issue.listIssueLabels(), repository.listRepoLabels()]);
    const plan = planSigMentions(comment.body, regexp, issueLabels, repoLabels.map((label) => label.name));
    if (plan.missing.length > 0) log.info('mentioned SIGs have no label in this repository', { labels: plan.missing });
    if (plan.add.length > 0) {
      log.info('labelling from SIG mentions', { number: issue.number, labels: plan.add });
      await issue.addLabels(plan.add);
    }
    if (plan.mentions.length === 0) return;

    let member = false;
    try {
      member = await github.isOrgMember(comment.org, comment.author);
    } catch (error) {
      // Prow repeats the mentions when it cannot tell: a notification too many beats none.
      log.warn('could not check org membership; repeating the mentions', { author: comment.author, error: String(error) });
    }
    if (!member) await issue.createComment(replyTo(comment, `${REPEATED_MENTIONS_INTRO}\n${plan.mentions.join(', ')}`));
  });
