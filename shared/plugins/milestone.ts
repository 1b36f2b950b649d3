import { z } from 'zod';
import type { Milestone } from '../github/client';
import { pluginSection } from '../config/plugin-section';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * Prow's milestone plugin (pkg/plugins/milestone): members of a repository's milestone maintainers
 * team set an issue's or PR's milestone with `/milestone v1.2`, or clear it with `/milestone clear`.
 */

export const CLEAR_KEYWORD = 'clear';

// ---- plugins.yaml `repo_milestone:` ----

export const MilestoneTeamSchema = z.object({
  /** The team's numeric ID; Prow reads it only when `maintainers_team` is not set. */
  maintainers_id: z.number().int().optional(),
  /** The team's slug. */
  maintainers_team: z.string().optional(),
  /** What to call the team in replies ("Milestone Maintainers Team"). */
  maintainers_friendly_name: z.string().optional(),
});
export type MilestoneTeam = z.infer<typeof MilestoneTeamSchema>;

/** "org/repo" → its team; "" is the team for every repository not listed. */
export const repoMilestoneSection = pluginSection('repo_milestone', z.record(z.string(), MilestoneTeamSchema));

/** A repository's own entry, else the default ("") entry, else none, as Prow falls back. */
export function milestoneTeamFor(
  entries: Readonly<Record<string, MilestoneTeam>> | undefined,
  org: string,
  repo: string,
): MilestoneTeam {
  return entries?.[`${org}/${repo}`] ?? entries?.[''] ?? {};
}

/**
 * Prow's `(?m)^/milestone\s+(.+?)\s*$`: case-sensitive, the first such line only, the rest of the
 * line (trimmed) being the milestone's title.
 */
const MILESTONE_COMMAND = /^\/milestone\s+(.+?)\s*$/m;

export function requestedMilestone(body: string): string | undefined {
  return MILESTONE_COMMAND.exec(body)?.[1];
}

export type MilestoneDecision =
  | { kind: 'clear' }
  | { kind: 'set'; number: number }
  | { kind: 'unknown'; known: string[] };

/** What `/milestone <requested>` does given the repository's milestones. */
export function decideMilestone(requested: string, milestones: readonly Milestone[]): MilestoneDecision {
  if (requested === CLEAR_KEYWORD) return { kind: 'clear' };
  const match = milestones.find((milestone) => milestone.title === requested);
  if (match) return { kind: 'set', number: match.number };
  return { kind: 'unknown', known: [...new Set(milestones.map((milestone) => milestone.title))].sort() };
}

export function notAuthorizedMessage(org: string, team: MilestoneTeam): string {
  const slug = team.maintainers_team ?? '';
  return (
    `You must be a member of the [${org}/${slug}](https://github.com/orgs/${org}/teams/${slug}/members) GitHub team to set the milestone. ` +
    `If you believe you should be able to issue the /milestone command, please contact your ${team.maintainers_friendly_name ?? ''} ` +
    'and have them propose you as an additional delegate for this responsibility.'
  );
}

export function unknownMilestoneMessage(known: readonly string[]): string {
  return (
    `The provided milestone is not valid for this repository. Milestones in this repository: [${known.map((title) => `\`${title}\``).join(', ')}]\n\n` +
    `Use \`/milestone ${CLEAR_KEYWORD}\` to clear the milestone.`
  );
}

export const milestone = definePlugin('milestone', {
  description: 'Lets members of a configurable GitHub team set the milestone on an issue or pull request.',
  config:
    '`repo_milestone:` maps "org/repo" (or "" for every other repository) to `maintainers_team` (the team\'s slug), ' +
    'or `maintainers_id` (its numeric ID), and `maintainers_friendly_name`, used in replies.',
  commands: [
    {
      usage: '/milestone <version> or /milestone clear',
      description: 'Updates the milestone for an issue or PR',
      examples: ['/milestone v1.10', '/milestone v1.9', '/milestone clear'],
      who: "Members of the milestone maintainers GitHub team can use the '/milestone' command.",
    },
  ],
})
  .settings(repoMilestoneSection)
  .onComment(async ({ comment, issue, github, plugins, org, repo, log }) => {
    if (comment.action !== 'created') return;
    const requested = requestedMilestone(comment.body);
    if (requested === undefined) return;

    const team = milestoneTeamFor(repoMilestoneSection.read(plugins), org, repo);
    if (!team.maintainers_team) {
      // Prow would list the team by ID here; GitHub's API for that needs the org's ID as well,
      // which Cutwater does not look up, so an ID-only entry cannot authorize anyone yet.
      log.error('repo_milestone names no maintainers_team for this repository; nobody can set milestones', {
        number: comment.number,
        ...(team.maintainers_id === undefined ? {} : { maintainersId: team.maintainers_id }),
      });
      return;
    }
    if (!(await github.isTeamMember(org, team.maintainers_team, comment.author))) {
      await issue.createComment(replyTo(comment, notAuthorizedMessage(org, team)));
      return;
    }

    const decision = decideMilestone(requested, await github.listMilestones(org, repo));
    if (decision.kind === 'unknown') {
      await issue.createComment(replyTo(comment, unknownMilestoneMessage(decision.known)));
      return;
    }
    const number = decision.kind === 'set' ? decision.number : null;
    log.info(decision.kind === 'set' ? `setting the milestone to ${requested}` : 'clearing the milestone', {
      number: comment.number,
      by: comment.author,
    });
    await issue.updateIssue({ milestone: number });
  });
