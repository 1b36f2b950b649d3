/**
 * plugins.yaml enabling one of the milestone plugins for acme/widgets, with the org-wide
 * maintainers team and (when `repoTeam`) a team of the repo's own, as both plugins read them.
 */
export function milestonePluginsYaml(plugin: string, repoTeam: boolean): string {
  return `
plugins:
  acme/widgets:
    plugins: [${plugin}]
repo_milestone:
  '':
    maintainers_team: admins
    maintainers_friendly_name: Milestone Admins
${repoTeam ? `  acme/widgets:
    maintainers_team: leads
    maintainers_friendly_name: SIG leads
` : ''}`;
}
