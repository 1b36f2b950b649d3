import { z } from 'zod';
import { pluginSection } from '../config/plugin-section';
import { isBotAccount } from '../github/membership';
import { definePlugin } from './plugin';
import { replyTo } from './respond';

/**
 * project (Prow's pkg/plugins/project): `/project <board> [column]` and `/project clear <board>`
 * put an issue or PR on a classic GitHub project board. GitHub has retired classic projects (their
 * REST API is gone), so Cutwater understands the command, checks it as Prow does, and answers that
 * it cannot be carried out, rather than leaving the person who typed it without a word.
 */

const ProjectRepoSchema = z.object({
  repo_maintainers_team_id: z.number().int().optional(),
  repo_default_column_map: z.record(z.string(), z.string()).optional(),
});
const ProjectOrgSchema = z.object({
  org_maintainers_team_id: z.number().int().optional(),
  org_default_column_map: z.record(z.string(), z.string()).optional(),
  project_repo_configs: z.record(z.string(), ProjectRepoSchema).optional(),
});
export const ProjectConfigSchema = z.object({
  project_org_configs: z.record(z.string(), ProjectOrgSchema).optional(),
});
export type ProjectConfig = z.infer<typeof ProjectConfigSchema>;

export const projectSection = pluginSection('project_config', ProjectConfigSchema);

export const INVALID_ARGUMENTS =
  'Please provide 1 or more arguments. Example usage: /project 0.5.0, /project 0.5.0 To do, /project clear 0.4.0';
export const NO_MAINTAINER_TEAM = 'There is no maintainer team for this repo or org.';
export const CLASSIC_PROJECTS_GONE =
  'GitHub has retired classic projects, so this issue or pull request cannot be added to, moved on or removed from project boards by command any more. Please use GitHub Projects directly.';

const PROJECT_COMMAND = /^\/project\s(.*)$/m;

export type ProjectCommand = { project: string; column: string; clear: boolean } | { problem: string };

/**
 * Prow's parsing: an optional leading `clear`, then the board and column, split at quotes (either
 * kind) when there are any, else at the first space; one or two parts, or it is a usage error.
 */
export function parseProjectCommand(body: string): ProjectCommand | undefined {
  const match = PROJECT_COMMAND.exec(body);
  if (!match) return undefined;
  let content = (match[1] ?? '').trim();
  const clear = content.startsWith('clear');
  if (clear) content = content.replace('clear', '').trim();
  content = content.replaceAll('"', "'");
  const parts = content.includes("'") ? content.split("'") : splitOnce(content, ' ');
  const valid = parts.map((part) => part.trim()).filter((part) => part !== '');
  if (valid.length === 0 || valid.length > 2) return { problem: INVALID_ARGUMENTS };
  return { project: valid[0] ?? '', column: valid[1] ?? '', clear };
}

function splitOnce(text: string, separator: string): string[] {
  const at = text.indexOf(separator);
  return at < 0 ? [text] : [text.slice(0, at), text.slice(at + separator.length)];
}

/** Prow's `GetMaintainerTeam`: the repo's team, else the org's; undefined when the org has no entry. */
export function maintainerTeamId(config: ProjectConfig | undefined, org: string, repo: string): number | undefined {
  const orgConfig = config?.project_org_configs?.[org];
  if (!orgConfig) return undefined;
  const repoConfig = orgConfig.project_repo_configs?.[repo];
  return repoConfig ? (repoConfig.repo_maintainers_team_id ?? 0) : (orgConfig.org_maintainers_team_id ?? 0);
}

export const project = definePlugin('project', {
  description:
    'Understands Prow\'s `/project` command for classic GitHub project boards. GitHub has retired classic projects, so the command is answered with an explanation instead of being carried out.',
  config: '`project_config.project_org_configs`: per org (and `project_repo_configs` per repo) the maintainer team ID and default columns, as in Prow.',
  commands: [
    {
      usage: '/project <board>, /project <board> <column>, or /project clear <board>',
      description: 'Would add an issue or PR to a classic project board and column; classic projects no longer exist on GitHub, so it replies saying so.',
      examples: ['/project 0.5.0', '/project 0.5.0 To do', '/project clear 0.4.0'],
      who: "Members of the project maintainer GitHub team can use the '/project' command.",
    },
  ],
})
  .settings(projectSection)
  .onComment(async ({ comment, issue, github, plugins, org, repo, log }) => {
    if (comment.action !== 'created') return;
    const command = parseProjectCommand(comment.body);
    if (!command) return;
    if (isBotAccount(await github.botLogin(), comment.author)) return;
    if ('problem' in command) {
      await issue.createComment(replyTo(comment, command.problem));
      return;
    }
    if (maintainerTeamId(projectSection.read(plugins), org, repo) === undefined) {
      await issue.createComment(replyTo(comment, NO_MAINTAINER_TEAM));
      return;
    }
    // Prow asks next whether the commenter is in the maintainer team (by team ID); whatever the
    // answer, nothing on GitHub would change now, so everyone gets the same explanation.
    log.info('classic project command answered as unsupported', { number: issue.number, project: command.project });
    await issue.createComment(replyTo(comment, CLASSIC_PROJECTS_GONE));
  });
