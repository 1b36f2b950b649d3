import { parseGoDuration } from '../go/duration';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import { z } from 'zod';
import { checkGoRegexp, pluginSection, type SectionReport } from '../config/plugin-section';
import type { YamlPath } from '../config/yaml-source';
import { findCommands } from './comment-event';
import { deleteBotComments } from '../github/membership';
import { realSleep, type Sleep } from './plugin';
import { formatNotice } from './respond';
import { definePlugin, type Plugin, type PluginContext } from './plugin';
import type { IssueHandle } from './handles';

/**
 * require-matching-label (Prow's pkg/plugins/require-matching-label): marks issues and PRs that
 * lack any label of a family (e.g. no `sig/*` label → `needs-sig`), optionally explaining why,
 * and unmarks them once a label of the family arrives.
 */

/** Prow's default when a rule sets no grace_period. */
export const DEFAULT_GRACE_PERIOD = '5s';

// ---- plugins.yaml `require_matching_label:` ----

export const RequireMatchingLabelSchema = z.object({
  org: z.string().optional(),
  repo: z.string().optional(),
  branch: z.string().optional(),
  prs: z.boolean().optional(),
  issues: z.boolean().optional(),
  regexp: z.string().optional(),
  missing_label: z.string().optional(),
  missing_comment: z.string().optional(),
  grace_period: z.string().optional(),
});
export type RequireMatchingLabel = z.infer<typeof RequireMatchingLabelSchema>;

/** Prow refuses these rules while loading, so the handler can compile every rule it is given. */
function checkRules(rules: readonly RequireMatchingLabel[], report: SectionReport): void {
  rules.forEach((rule, index) => {
    const at = (field?: keyof RequireMatchingLabel): YamlPath => (field ? [index, field] : [index]);
    if (!rule.org) report(at(), 'must specify org');
    if (rule.repo?.includes('/')) {
      report(at('repo'), 'may not contain "/"; put the organization in org and the repository name here');
    }
    if (!rule.missing_label) report(at(), 'must specify missing_label');
    if (!rule.prs && !rule.issues) report(at(), 'must set prs: true and/or issues: true');
    if (!rule.prs && rule.branch) report(at('branch'), 'branch only applies to pull requests; set prs: true');
    if (rule.grace_period !== undefined) {
      try {
        parseGoDuration(rule.grace_period);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        report(at('grace_period'), `${message} (a Go duration such as "5s" or "1m")`);
      }
    }
    if (!rule.regexp) {
      report(at(), 'must specify regexp');
      return;
    }
    const regexp = checkGoRegexp(report, at('regexp'), rule.regexp);
    if (regexp && rule.missing_label && regexp.test(rule.missing_label)) {
      report(
        at('regexp'),
        `matches missing_label "${rule.missing_label}", so adding that label would satisfy the rule; make them disjoint`,
      );
    }
  });
}

export const requireMatchingLabelSection = pluginSection(
  'require_matching_label',
  z.array(RequireMatchingLabelSchema),
  checkRules,
);

export interface LabelRule {
  readonly org: string;
  readonly repo: string;
  readonly branch: string;
  readonly prs: boolean;
  readonly issues: boolean;
  readonly regexp: GoRegexp;
  readonly missingLabel: string;
  readonly missingComment: string;
  readonly gracePeriodMs: number;
}

/** The configured rules, compiled. The config loader has already rejected broken ones. */
export function compileRules(entries: readonly RequireMatchingLabel[] | undefined): LabelRule[] {
  return (entries ?? []).map((entry) => ({
    org: entry.org ?? '',
    repo: entry.repo ?? '',
    branch: entry.branch ?? '',
    prs: entry.prs ?? false,
    issues: entry.issues ?? false,
    regexp: compileGoRegexp(entry.regexp ?? ''),
    missingLabel: entry.missing_label ?? '',
    missingComment: entry.missing_comment ?? '',
    gracePeriodMs: parseGoDuration(entry.grace_period || DEFAULT_GRACE_PERIOD),
  }));
}

export interface LabelTarget {
  org: string;
  repo: string;
  /** The PR's base branch; undefined for an issue. */
  branch?: string;
  /** The label just added or removed; undefined unless the event is about a label. */
  label?: string;
}

/**
 * The rules that concern this issue or PR: its kind, its org/repo/branch, and — for a label
 * event — only rules whose family the changed label belongs to (any other label cannot change
 * the outcome).
 */
export function rulesFor(rules: readonly LabelRule[], target: LabelTarget): LabelRule[] {
  const isPR = target.branch !== undefined;
  return rules.filter((rule) => {
    if (isPR ? !rule.prs : !rule.issues) return false;
    if (rule.org !== target.org) return false;
    if (rule.repo && rule.repo !== target.repo) return false;
    if (isPR && rule.branch && rule.branch !== target.branch) return false;
    if (target.label && !rule.regexp.test(target.label)) return false;
    return true;
  });
}

export type LabelRuleAction = 'add' | 'remove' | 'none';

/**
 * Add the marker when no label matches and it is absent; remove it when a label matches and it is
 * present. When both are present or both absent it is already right.
 */
export function ruleAction(rule: LabelRule, labels: readonly string[]): LabelRuleAction {
  const hasMissingLabel = labels.includes(rule.missingLabel);
  const hasMatchingLabel = labels.some((label) => rule.regexp.test(label));
  if (hasMatchingLabel && hasMissingLabel) return 'remove';
  if (!hasMatchingLabel && !hasMissingLabel) return 'add';
  return 'none';
}

/** The longest grace period among the rules: the wait serves every rule at once. */
export function gracePeriodFor(rules: readonly LabelRule[]): number {
  return Math.max(0, ...rules.map((rule) => rule.gracePeriodMs));
}

interface Subject extends LabelTarget {
  issue: IssueHandle;
  /** Labels the event carried, when they can be trusted to be current. */
  labels?: readonly string[];
}

export interface RequireMatchingLabelOptions {
  /** How to wait out a grace period; tests pass one that returns at once. */
  sleep?: Sleep;
}

export function createRequireMatchingLabelPlugin(options: RequireMatchingLabelOptions = {}): Plugin {
  const sleep = options.sleep ?? realSleep;

  async function enforce(context: PluginContext, subject: Subject): Promise<void> {
    const rules = rulesFor(compileRules(requireMatchingLabelSection.read(context.plugins)), subject);
    if (rules.length === 0) return;
    const { issue } = subject;
    const { number } = issue;
    let labels = subject.labels;
    if (subject.label === undefined) {
      // Just opened (or asked to check): give other automation time to apply its labels first, so
      // the marker does not appear only to vanish a moment later. Any labels seen before are stale.
      await sleep(gracePeriodFor(rules));
      labels = undefined;
    }
    labels ??= await issue.listIssueLabels();

    for (const rule of rules) {
      const action = ruleAction(rule, labels);
      // One rule's GitHub failure must not stop the others, as in Prow.
      try {
        if (action === 'add') {
          await issue.addLabels([rule.missingLabel]);
          if (rule.missingComment) {
            await issue.createComment(formatNotice(rule.missingComment));
          }
          context.log.info('no label matches; added the marker label', {
            number,
            label: rule.missingLabel,
          });
        } else if (action === 'remove') {
          await issue.removeLabel(rule.missingLabel);
          if (rule.missingComment) {
            const comment = rule.missingComment;
            await deleteBotComments(context.github, issue, (body) => body.includes(comment));
          }
          context.log.info('a matching label arrived; removed the marker label', {
            number,
            label: rule.missingLabel,
          });
        }
      } catch (error) {
        context.log.error(`could not ${action} the "${rule.missingLabel}" label`, {
          number,
          error,
        });
      }
    }
  }

  return definePlugin('require-matching-label', {
    description:
      'Applies a label to issues and/or pull requests that have no label matching a regular expression (for ' +
      "example 'needs-sig' on anything without a 'sig/*' label), optionally with an explanatory comment, and " +
      'removes both once a matching label is added. Several such rules can be configured.',
    config:
      'Entries under `require_matching_label:`, each with `org` (and optionally `repo`, and `branch` for ' +
      'pull requests), `prs` and/or `issues`, `regexp` (the label family), `missing_label` (applied when no ' +
      'label matches), an optional `missing_comment`, and `grace_period` (default 5s): how long to wait after ' +
      'an issue or pull request is opened, so other automation can label it first.',
    commands: [
      {
        usage: '/check-required-labels',
        description: 'Checks the labels of this issue or pull request against the rules now.',
        examples: ['/check-required-labels'],
        who: 'Anyone',
        featured: true,
      },
    ],
  })
    .settings(requireMatchingLabelSection)
    .on(['issues.opened', 'issues.reopened', 'issues.labeled', 'issues.unlabeled'], async (context) => {
      const { payload } = context.event;
      const label = 'label' in payload ? payload.label : undefined;
      await enforce(context, {
        org: context.org,
        repo: context.repo,
        issue: context.issue,
        ...(label ? { label: label.name } : {}),
        ...(payload.issue.labels ? { labels: payload.issue.labels.flatMap((each) => (each ? [each.name] : [])) } : {}),
      });
    })
    .on(
      ['pull_request.opened', 'pull_request.reopened', 'pull_request.labeled', 'pull_request.unlabeled'],
      async (context) => {
        const { payload } = context.event;
        const label = 'label' in payload ? payload.label : undefined;
        // A PR's labels in a label event can race with other changes; they are read from GitHub.
        await enforce(context, {
          org: context.org,
          repo: context.repo,
          issue: context.issue,
          branch: payload.pull_request.base.ref,
          ...(label ? { label: label.name } : {}),
        });
      },
    )
    .onComment(async (context) => {
      const { comment } = context;
      if (comment.issueState !== 'open' || comment.action !== 'created') return;
      if (!findCommands(comment.body, 'check-required-labels').some((command) => command.args === '')) return;
      const branch = comment.isPR ? (await context.issue.getPullRequest()).base.ref : undefined;
      await enforce(context, {
        org: context.org,
        repo: context.repo,
        issue: context.issue,
        ...(branch === undefined ? {} : { branch }),
      });
    });
}

export const requireMatchingLabel = createRequireMatchingLabelPlugin();
