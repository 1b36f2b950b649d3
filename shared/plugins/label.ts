import { z } from 'zod';
import { pluginSection, type SectionCheck } from '../config/plugin-section';
import type { PluginGitHubReads } from './plugin-github';
import type { Logger } from '../log/logger';
import { commandLines, dropHtmlComments } from './comment-event';
import { definePlugin } from './plugin';
import { echo, replyTo } from './respond';

/**
 * Prow's label plugin (pkg/plugins/label): anyone may add or remove the labels of a few well-known
 * families (`/kind bug` → `kind/bug`) and any label plugins.yaml offers (`/label api-review`), but
 * only labels the repository already has — the plugin never creates labels. `triage/accepted` is
 * for org members, and restricted labels for the teams and users configured for them.
 */

/** GitHub compares label names without regard to case; so does Prow. */
export function hasLabel(labels: readonly string[], name: string): boolean {
  const wanted = name.toLowerCase();
  return labels.some((label) => label.toLowerCase() === wanted);
}

/** The families `/<family> <value>` and `/remove-<family> <value>` work for. */
export const LABEL_FAMILIES = ['area', 'committee', 'kind', 'language', 'priority', 'sig', 'triage', 'wg'] as const;

/**
 * Families whose absence a repository may flag with a `needs-<family>` label: taking the last label
 * of the family away puts the flag back, when the repository has it.
 */
const FLAGGED_FAMILIES = ['kind', 'priority', 'sig', 'triage'] as const;

export const TRIAGE_ACCEPTED = 'triage/accepted';

const FAMILY_COMMAND = new RegExp(`^/(remove-)?(${LABEL_FAMILIES.join('|')})$`);

export interface LabelCommands {
  /** Lower-cased label names, each once. */
  add: string[];
  remove: string[];
  /** Labels named with `/label` or `/remove-label` that plugins.yaml does not offer. */
  unsupported: string[];
}

/**
 * The label commands in a comment. Text inside HTML comments does not count (PR templates often
 * carry commented-out examples such as `<!-- /kind bug -->`). Command names are case-sensitive, as
 * in Prow; `/label` takes exactly one label, and a line giving it more is ignored.
 */
export function parseLabelCommands(body: string, isOffered: (label: string) => boolean): LabelCommands {
  const add = new Set<string>();
  const remove = new Set<string>();
  const unsupported: string[] = [];
  for (const line of commandLines(dropHtmlComments(body))) {
    const [command = '', ...values] = line.split(/\s+/).filter((word) => word !== '');
    const family = FAMILY_COMMAND.exec(command);
    if (family) {
      for (const value of values) (family[1] ? remove : add).add(`${family[2]}/${value.toLowerCase()}`);
      continue;
    }
    if ((command === '/label' || command === '/remove-label') && values.length === 1) {
      const label = (values[0] ?? '').toLowerCase();
      if (!isOffered(label)) unsupported.push(label);
      else (command === '/label' ? add : remove).add(label);
    }
  }
  return { add: [...add], remove: [...remove], unsupported };
}

// ---- plugins.yaml `label:` ----

export const RestrictedLabelSchema = z.object({
  label: z.string().optional(),
  allowed_teams: z.array(z.string()).optional(),
  allowed_users: z.array(z.string()).optional(),
  assign_on: z.array(z.object({ label: z.string().optional() })).optional(),
});
export type RestrictedLabel = z.infer<typeof RestrictedLabelSchema>;

export const LabelSettingsSchema = z.object({
  additional_labels: z.array(z.string()).optional(),
  /** Keyed by "*", "org" or "org/repo". */
  restricted_labels: z.record(z.string(), z.array(RestrictedLabelSchema)).optional(),
});
export type LabelSettings = z.infer<typeof LabelSettingsSchema>;

/** One of checkconfig's plugin warnings, so it fails only under --strict. */
const checkRestrictedLabels: SectionCheck<LabelSettings> = (settings, report, { strict }) => {
  if (!strict) return;
  const additional = new Set(settings.additional_labels ?? []);
  for (const [orgOrRepo, labels] of Object.entries(settings.restricted_labels ?? {})) {
    labels.forEach((restricted, index) => {
      const at = ['restricted_labels', orgOrRepo, index];
      if (!restricted.label) {
        report(at, 'restricted label needs a non-empty label name');
      } else if (additional.has(restricted.label)) {
        report(
          [...at, 'label'],
          `"${restricted.label}" is also listed in label.additional_labels, which lets anyone apply it; remove one of them`,
        );
      }
    });
  }
};

export const labelSection = pluginSection('label', LabelSettingsSchema, checkRestrictedLabels);

export interface LabelRestriction {
  label: string;
  allowedTeams: string[];
  allowedUsers: string[];
  /** Adding one of these labels to a PR assigns the allowed users. */
  assignOn: string[];
}

/**
 * Restricted labels for a repository, keyed by lower-cased name: the entries under "*", the org
 * and "org/repo" together, with the people allowed for one label by several entries combined.
 */
export function labelRestrictionsFor(
  settings: LabelSettings | undefined,
  org: string,
  repo: string,
): Map<string, LabelRestriction> {
  const restrictions = new Map<string, LabelRestriction>();
  for (const key of ['*', org, `${org}/${repo}`]) {
    for (const entry of settings?.restricted_labels?.[key] ?? []) {
      if (!entry.label) continue;
      const name = entry.label.toLowerCase();
      const earlier = restrictions.get(name);
      const assignOn = (entry.assign_on ?? []).flatMap((trigger) => (trigger.label ? [trigger.label] : []));
      restrictions.set(name, {
        label: earlier?.label ?? entry.label,
        allowedTeams: union(earlier?.allowedTeams, entry.allowed_teams),
        allowedUsers: union(earlier?.allowedUsers, entry.allowed_users),
        assignOn: union(earlier?.assignOn, assignOn),
      });
    }
  }
  return restrictions;
}

function union(first: readonly string[] | undefined, second: readonly string[] | undefined): string[] {
  return [...new Set([...(first ?? []), ...(second ?? [])])];
}

/** The labels `/label` and `/remove-label` work for: additional_labels plus restricted labels. */
export function offeredLabels(settings: LabelSettings | undefined, restrictions: ReadonlyMap<string, LabelRestriction>): string[] {
  return [...(settings?.additional_labels ?? []), ...[...restrictions.keys()].sort()];
}

export interface LabelPlan {
  /** Labels to add, each still subject to the permission checks. */
  add: string[];
  /** Labels to remove, each still subject to the permission checks. */
  remove: string[];
  missingFromRepo: string[];
  notOnIssue: string[];
  unsupported: string[];
}

/**
 * What the commands change, given the labels on the issue and in the repository. Adding a label
 * already there and removing one the repository does not have are quietly skipped; adding one the
 * repository lacks and removing one the issue lacks are reported back.
 */
export function planLabelChanges(
  commands: LabelCommands,
  issueLabels: readonly string[],
  repoLabels: readonly string[],
): LabelPlan {
  const toAdd = [...commands.add];
  for (const family of FLAGGED_FAMILIES) {
    const flag = `needs-${family}`;
    if (!hasLabel(repoLabels, flag)) continue;
    const inFamily = (label: string) => label.toLowerCase().startsWith(`${family}/`);
    const removed = commands.remove.filter(inFamily);
    if (removed.length === 0 || toAdd.some(inFamily)) continue;
    if (issueLabels.filter(inFamily).every((label) => hasLabel(removed, label))) toAdd.push(flag);
  }

  const plan: LabelPlan = { add: [], remove: [], missingFromRepo: [], notOnIssue: [], unsupported: [...commands.unsupported] };
  for (const label of toAdd) {
    if (hasLabel(issueLabels, label)) continue;
    if (!hasLabel(repoLabels, label)) plan.missingFromRepo.push(label);
    else plan.add.push(label);
  }
  for (const label of commands.remove) {
    if (!hasLabel(issueLabels, label)) plan.notOnIssue.push(label);
    else if (hasLabel(repoLabels, label)) plan.remove.push(label);
  }
  return plan;
}

/** Is the user named in the restriction? (Team membership needs GitHub, so it is checked apart.) */
export function isAllowedUser(restriction: LabelRestriction, user: string): boolean {
  return restriction.allowedUsers.some((allowed) => allowed.toLowerCase() === user.toLowerCase());
}

/** Why a restricted label was refused, and whom to turn to instead. */
export function restrictedLabelRefusal(restriction: LabelRestriction): string {
  const base = `You can't add or remove the \`${restriction.label}\` label: only the teams and users configured for it may.`;
  if (restriction.allowedTeams.length > 0) {
    return `${base} Someone in one of these teams can do it: ${restriction.allowedTeams.join(', ')}.`;
  }
  if (restriction.allowedUsers.length > 0) {
    // A long list helps nobody; twenty names are plenty to find someone available.
    return `${base} You could ask one of: ${restriction.allowedUsers.slice(0, 20).join(', ')}.`;
  }
  return base;
}

/**
 * The one summary reply to the commenter, if anything went unapplied. Like Prow, only the first
 * kind of problem is reported: unsupported `/label` labels, then labels the repository lacks,
 * then removals of absent labels, then a refused `triage/accepted`.
 */
export function labelSummaryReply(plan: LabelPlan, offered: readonly string[], triageRefused: boolean): string | undefined {
  if (plan.unsupported.length > 0) {
    const available = offered.length > 0 ? `\`${offered.join(', ')}\`` : 'none';
    return `I can't apply the label(s) \`${plan.unsupported.map(echo).join(', ')}\` with \`/label\`: they are not configured under \`label.additional_labels\` or \`label.restricted_labels\` in plugins.yaml. Labels available that way: ${available}.`;
  }
  if (plan.missingFromRepo.length > 0) {
    return `I can't apply the label(s) \`${plan.missingFromRepo.map(echo).join(', ')}\`: this repository has no such label.`;
  }
  if (plan.notOnIssue.length > 0) {
    return `There is nothing to remove: the label(s) \`${plan.notOnIssue.map(echo).join(', ')}\` are not set here.`;
  }
  if (triageRefused) {
    return `Only members of the GitHub organization can add the \`${TRIAGE_ACCEPTED}\` label.`;
  }
  return undefined;
}

async function mayChangeRestrictedLabel(
  github: Pick<PluginGitHubReads, 'isTeamMember'>,
  org: string,
  user: string,
  restriction: LabelRestriction,
): Promise<boolean> {
  if (isAllowedUser(restriction, user)) return true;
  for (const team of restriction.allowedTeams) {
    if (await github.isTeamMember(org, team, user)) return true;
  }
  return false;
}

/**
 * Keeps the labels that pass `check`. A check that fails skips its label rather than the whole
 * comment, as in Prow.
 */
async function permitted(
  labels: readonly string[],
  check: (label: string) => Promise<boolean>,
  log: Logger,
): Promise<string[]> {
  const allowed: string[] = [];
  for (const label of labels) {
    try {
      if (await check(label)) allowed.push(label);
    } catch (error) {
      log.error(`could not check whether the label ${label} may be changed; skipped`, { error });
    }
  }
  return allowed;
}

export const label = definePlugin('label', {
  description:
    "Adds and removes labels of the families area/*, committee/*, kind/*, language/*, priority/*, sig/*, triage/* and wg/* (`/kind bug` adds `kind/bug`), and any label plugins.yaml offers through `/label`. Only labels that already exist in the repository are applied. When the last label of the kind, priority, sig or triage family is removed and the repository has a `needs-<family>` label, that label is added back. Restricted labels can only be changed by the teams and users configured for them, who can also be assigned automatically when another label is added to a PR.",
  config:
    'Reads `label.additional_labels` (extra labels anyone may apply with `/label`) and `label.restricted_labels`, keyed by "*", an org or "org/repo": each entry names a `label`, the `allowed_teams` and `allowed_users` who may add or remove it, and `assign_on` labels whose addition to a PR assigns the allowed users.',
  commands: [
    {
      usage: '/[remove-](area|committee|kind|language|priority|sig|triage|wg) <value> [<value>…]',
      description: 'Adds or removes the `<family>/<value>` label for each value, if the repository has that label.',
      examples: ['/kind bug', '/remove-area prow', '/sig testing', '/language zh', '/priority important-soon'],
      who: `Anyone, on issues and PRs. Only org members can add \`${TRIAGE_ACCEPTED}\`; restricted labels only by their allowed teams and users.`,
    },
    {
      usage: '/[remove-]label <label>',
      description: 'Adds or removes one label configured under `label.additional_labels` or `label.restricted_labels`.',
      examples: ['/label api-review', '/remove-label api-review'],
      who: 'Anyone, on issues and PRs; restricted labels only by their allowed teams and users.',
    },
  ],
})
  .settings(labelSection)
  .onComment(async ({ comment, issue, repository, github, org, repo, plugins, log }) => {
    if (comment.action !== 'created') return;
    const settings = labelSection.read(plugins);
    const restrictions = labelRestrictionsFor(settings, org, repo);
    const additional = new Set((settings?.additional_labels ?? []).map((name) => name.toLowerCase()));
    const commands = parseLabelCommands(comment.body, (name) => restrictions.has(name) || additional.has(name));
    if (commands.add.length + commands.remove.length + commands.unsupported.length === 0) return;

    const [repoLabels, issueLabels] = await Promise.all([
      repository.listRepoLabels(),
      issue.listIssueLabels(),
    ]);
    const plan = planLabelChanges(
      commands,
      issueLabels,
      repoLabels.map((repoLabel) => repoLabel.name),
    );

    let triageRefused = false;
    const mayChange = async (name: string): Promise<boolean> => {
      const restriction = restrictions.get(name.toLowerCase());
      if (!restriction || (await mayChangeRestrictedLabel(github, org, comment.author, restriction))) return true;
      await issue.createComment(replyTo(comment, restrictedLabelRefusal(restriction)));
      return false;
    };
    const toAdd = await permitted(
      plan.add,
      async (name) => {
        if (name === TRIAGE_ACCEPTED && !(await github.isOrgMember(org, comment.author))) {
          triageRefused = true;
          return false;
        }
        return mayChange(name);
      },
      log,
    );
    const toRemove = await permitted(plan.remove, mayChange, log);

    if (toAdd.length > 0) {
      log.info('adding labels', { number: comment.number, labels: toAdd, by: comment.author });
      await issue.addLabels(toAdd);
    }
    for (const name of toRemove) {
      log.info(`removing ${name}`, { number: comment.number, by: comment.author });
      await issue.removeLabel(name);
    }
    const summary = labelSummaryReply(plan, offeredLabels(settings, restrictions), triageRefused);
    if (summary) await issue.createComment(replyTo(comment, summary));
  })
  .on('pull_request.labeled', async ({ event, issue, org, repo, plugins, log }) => {
    if (!event.payload.label) return;
    const added = event.payload.label.name.toLowerCase();
    const { number } = issue;
    for (const restriction of labelRestrictionsFor(labelSection.read(plugins), org, repo).values()) {
      if (restriction.allowedUsers.length === 0) continue;
      if (!restriction.assignOn.some((trigger) => trigger.toLowerCase() === added)) continue;
      log.info(`assigning the people allowed to set ${restriction.label}`, { number, users: restriction.allowedUsers });
      try {
        await issue.addAssignees(restriction.allowedUsers);
      } catch (error) {
        // One restricted label's assignment failing should not keep the others from being made.
        log.error(`could not assign the people allowed to set ${restriction.label}`, { error });
      }
    }
  });
