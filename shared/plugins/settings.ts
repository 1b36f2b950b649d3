/**
 * Finding a plugin's settings for one repository, as Prow's `*For(org, repo)` helpers do: an entry
 * listing "org/repo" wins over one listing "org"; without either, the plugin's defaults apply.
 */
export function settingsFor<T extends { repos?: string[] | undefined }>(
  entries: readonly T[] | undefined,
  org: string,
  repo: string,
): T | undefined {
  const fullName = `${org}/${repo}`;
  return (
    entries?.find((entry) => entry.repos?.includes(fullName)) ?? entries?.find((entry) => entry.repos?.includes(org))
  );
}
