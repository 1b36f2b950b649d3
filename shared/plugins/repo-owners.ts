import { z } from 'zod';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { PluginContext } from './plugin';
import {
  DEFAULT_OWNERS_FILENAMES,
  loadRepoOwners,
  PRECONFIGURED_DIR_DENYLIST,
  type OwnersFilenames,
  type RepoOwners,
} from '../owners/owners';

/**
 * What the OWNERS-reading plugins share: the repository's OWNERS settings from plugins.yaml and
 * config.yaml, and loading OWNERS files through the GitHub API at a given ref.
 */

export interface RepoOwnersSettings {
  filenames: OwnersFilenames;
  /** plugins.yaml `owners.mdyamlrepos` lists the repo (or its org). */
  markdownOwners: boolean;
  /** plugins.yaml `owners.skip_collaborators` lists the repo (or its org). */
  skipCollaborators: boolean;
  /** plugins.yaml `owners.labels_denylist`; Prow's `approved` and `lgtm` when unset. */
  labelsDenylist: string[];
  dirDenylist: GoRegexp[];
}

/** config.yaml `owners_dir_denylist`, which the config schema accepts without interpreting. */
const DirDenylistSchema = z
  .object({
    repos: z.record(z.string(), z.array(z.string())).optional(),
    default: z.array(z.string()).optional(),
    ignore_preconfigured_defaults: z.boolean().optional(),
  })
  .catch({});

/** config.yaml `github.link_url`: where links to repository files point (Prow's default is GitHub). */
const GitHubOptionsSchema = z.object({ link_url: z.string().optional() }).catch({});

export function githubLinkUrl(context: Pick<PluginContext, 'config'>): string {
  const url = GitHubOptionsSchema.parse(context.config.prow.github ?? {}).link_url;
  return (url || 'https://github.com').replace(/\/+$/, '');
}

function listsRepo(entries: readonly string[] | undefined, org: string, repo: string): boolean {
  return (entries ?? []).some((entry) => entry === org || entry === `${org}/${repo}`);
}

export function repoOwnersSettings(context: Pick<PluginContext, 'config' | 'plugins' | 'log'>, org: string, repo: string): RepoOwnersSettings {
  const owners = context.plugins.owners;
  const configured = owners?.filenames?.[`${org}/${repo}`] ?? owners?.filenames?.[org];
  const denylist = DirDenylistSchema.parse(context.config.prow.owners_dir_denylist ?? {});
  const patterns = [
    ...(denylist.default ?? []),
    ...(denylist.repos?.[org] ?? []),
    ...(denylist.repos?.[`${org}/${repo}`] ?? []),
    ...(denylist.ignore_preconfigured_defaults ? [] : PRECONFIGURED_DIR_DENYLIST),
  ];
  const dirDenylist: GoRegexp[] = [];
  for (const pattern of patterns) {
    try {
      dirDenylist.push(compileGoRegexp(pattern));
    } catch (error) {
      // Prow logs and skips a bad pattern rather than refusing to read OWNERS files at all.
      context.log.warn('ignoring invalid owners_dir_denylist pattern', { pattern, error: String(error) });
    }
  }
  return {
    filenames: {
      owners: configured?.owners || DEFAULT_OWNERS_FILENAMES.owners,
      ownersAliases: configured?.owners_aliases || DEFAULT_OWNERS_FILENAMES.ownersAliases,
    },
    markdownOwners: listsRepo(owners?.mdyamlrepos, org, repo),
    skipCollaborators: listsRepo(owners?.skip_collaborators, org, repo),
    labelsDenylist: owners?.labels_denylist ?? ['approved', 'lgtm'],
    dirDenylist,
  };
}

/**
 * Reads files at `ref` through the GitHub API, each path at most once: several plugins' questions
 * about one event touch the same OWNERS files.
 */
export function cachedFileReader(context: Pick<PluginContext, 'repository'>, ref: string): (path: string) => Promise<string | undefined> {
  const cache = new Map<string, Promise<string | undefined>>();
  return (path) => {
    let read = cache.get(path);
    if (!read) {
      read = context.repository.getFileContent(path, ref);
      cache.set(path, read);
    }
    return read;
  };
}

/**
 * The OWNERS files for `paths` on branch `ref` (Prow reads the base branch), keeping only
 * collaborators as approvers and reviewers unless the repo skips that check.
 */
export async function loadOwnersForPaths(
  context: Pick<PluginContext, 'repository' | 'org' | 'repo' | 'config' | 'plugins' | 'log'>,
  ref: string,
  paths: readonly string[],
  settings: RepoOwnersSettings = repoOwnersSettings(context, context.org, context.repo),
): Promise<RepoOwners> {
  const collaborators = new Map<string, Promise<boolean>>();
  const isCollaborator = (login: string) => {
    let verdict = collaborators.get(login);
    if (!verdict) {
      verdict = context.repository.isCollaborator(login).catch((error: unknown) => {
        // Prow skips the collaborator filter when it cannot list collaborators, rather than fail.
        context.log.warn('could not check collaborator status; counting the OWNERS entry', { login, error: String(error) });
        return true;
      });
      collaborators.set(login, verdict);
    }
    return verdict;
  };
  return loadRepoOwners({
    readFile: cachedFileReader(context, ref),
    paths,
    filenames: settings.filenames,
    dirDenylist: settings.dirDenylist,
    markdownOwners: settings.markdownOwners,
    ...(settings.skipCollaborators ? {} : { isCollaborator }),
    onInvalid: (path, reason) => context.log.warn('ignoring invalid OWNERS content', { path, ref, reason }),
  });
}

