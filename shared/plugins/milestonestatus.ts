import { definePlugin } from './plugin';
import { milestoneTeamFor, repoMilestoneSection } from './milestone';

/**
 * Prow's milestonestatus plugin (pkg/plugins/milestonestatus): members of the milestone
 * maintainers team (the milestone plugin's `repo_milestone:`) mark where an issue or PR stands for
 * the milestone with `/status <status>`, which adds the matching `status/*` label.
 */

/** The statuses `/status` takes, and the label each adds. */
export const STATUS_LABELS: Readonly<Record<string, string>> = {
  'approved-for-milestone': 'status/approved-for-milestone',
  'in-progress': 'status/in-progress',
  'in-review': 'status/in-review',
};

/**
 * Prow's `(?m)^/status\s+(.+)$`, every match: case-sensitive, the rest of the line being the
 * status. Any match asks for the team check, even one naming no known status.
 */
const STATUS_COMMAND = /^\/status\s+(.+)$/gm;

export function requestedStatuses(body: string): string[] {
  return [...body.matchAll(STATUS_COMMAND)].map((match) => (match[1] ?? '').trim());
}

/** The labels the known statuses among `requested` add, in order, each once. */
export function statusLabels(requested: readonly string[]): string[] {
  return [...new Set(requested.flatMap((status) => (Object.hasOwn(STATUS_LABELS, status) ? [STATUS_LABELS[status] ?? ''] : [])))];
}

export function statusNotAuthorizedMessage(org: string, teamSlug: string, friendlyName: string): string {
  return (
    `You must be a member of the [${org}/${teamSlug}](https://github.com/orgs/${org}/teams/${teamSlug}/members) GitHub team to add status labels. ` +
    `If you believe you should be able to issue the /status command, please contact your ${friendlyName} ` +
    'and have them propose you as an additional delegate for this responsibility.'
  );
}

export const milestonestatus = definePlugin('milestonestatus', {
  description:
    "Lets members of the milestone maintainers GitHub team specify the 'status/*' label that should apply to an issue or pull request.",
  config: 'Reads the milestone maintainers team of each repository from `repo_milestone:` (see the milestone plugin).',
  commands: [
    {
      usage: '/status (approved-for-milestone|in-progress|in-review)',
      description: "Applies the 'status/' label to a PR.",
      examples: ['/status approved-for-milestone', '/status in-progress', '/status in-review'],
      who: "Members of the milestone maintainers GitHub team can use the '/status' command.",
    },
  ],
}).onComment(async ({ comment, issue, github, plugins, org, repo, log }) => {
  if (comment.action !== 'created') return;
  const requested = requestedStatuses(comment.body);
  if (requested.length === 0) return;

  const team = milestoneTeamFor(repoMilestoneSection.read(plugins), org, repo);
  if (!team.maintainers_team) {
    // See the milestone plugin: an ID-only team cannot be checked yet.
    log.error('repo_milestone names no maintainers_team for this repository; nobody can add status labels', { number: comment.number });
    return;
  }
  if (!(await github.isTeamMember(org, team.maintainers_team, comment.author))) {
    // Prow posts this one bare, not as a reply quoting the comment.
    await issue.createComment(statusNotAuthorizedMessage(org, team.maintainers_team, team.maintainers_friendly_name ?? ''));
    return;
  }
  const present = new Set(comment.labels.map((name) => name.toLowerCase()));
  const labels = statusLabels(requested).filter((label) => !present.has(label));
  if (labels.length === 0) return;
  log.info('adding status labels', { number: comment.number, by: comment.author, labels });
  await issue.addLabels(labels);
});
