import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { goDecode } from './go-decode';
import { parseGoDuration } from '../go/duration';
import { compileGoRegexp, type GoRegexp } from '../go/regexp';
import type { ConfigProblem } from './problems';
import { formatYamlPath, parseYamlSource, type YamlPath, type YamlSource } from './yaml-source';
import { goPathBase } from '../go/path';

export { formatYamlPath };

/**
 * Prow's `plugins.yaml` (pkg/plugins/config.go `Configuration`). Sections for plugins Cutwater
 * implements are modelled field by field with Prow's JSON names; the other sections are accepted
 * with their outer shape only, so that an existing file loads unchanged. Only the regular
 * expressions Prow compiles while loading are read from those sections.
 */

const StringList = z.array(z.string());
/** Entries are "org" or "org/repo". */
const RepoList = StringList;
const Int = z.number().int();
const OpaqueSection = z.record(z.string(), z.unknown());
const OpaqueList = z.array(z.unknown());

export const OrgPluginsSchema = z.object({
  excluded_repos: StringList.optional(),
  plugins: StringList.optional(),
});
export type OrgPlugins = z.infer<typeof OrgPluginsSchema>;

/** Prow still reads the older form, in which an entry is only the list of plugin names. */
const PluginsEntrySchema = z
  .union([StringList, OrgPluginsSchema])
  .transform((entry): OrgPlugins => (Array.isArray(entry) ? { plugins: entry } : entry));

export const ExternalPluginSchema = z.object({
  name: z.string().optional(),
  endpoint: z.string().optional(),
  events: StringList.optional(),
});
export type ExternalPlugin = z.infer<typeof ExternalPluginSchema>;

export const TriggerSchema = z.object({
  repos: RepoList.optional(),
  trusted_apps: StringList.optional(),
  trusted_org: z.string().optional(),
  join_org_url: z.string().optional(),
  only_org_members: z.boolean().optional(),
  ignore_ok_to_test: z.boolean().optional(),
  trigger_github_workflows: z.boolean().optional(),
  org_invite: z
    .object({
      prominent: z
        .object({
          disabled: z.boolean().optional(),
          merged_pr_threshold: Int.optional(),
          message: z.string().optional(),
        })
        .optional(),
    })
    .optional(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const OwnersSchema = z.object({
  mdyamlrepos: RepoList.optional(),
  skip_collaborators: RepoList.optional(),
  labels_denylist: StringList.optional(),
  filenames: z
    .record(z.string(), z.object({ owners: z.string().optional(), owners_aliases: z.string().optional() }))
    .optional(),
});

export const ApproveSchema = z.object({
  repos: RepoList.optional(),
  issue_required: z.boolean().optional(),
  require_self_approval: z.boolean().optional(),
  lgtm_acts_as_approve: z.boolean().optional(),
  ignore_review_state: z.boolean().optional(),
  commandHelpLink: z.string().optional(),
  pr_process_link: z.string().optional(),
});
export type Approve = z.infer<typeof ApproveSchema>;

export const LgtmSchema = z.object({
  repos: RepoList.optional(),
  review_acts_as_lgtm: z.boolean().optional(),
  store_tree_hash: z.boolean().optional(),
  trusted_team_for_sticky_lgtm: z.string().optional(),
});
export type Lgtm = z.infer<typeof LgtmSchema>;

export const RestrictedLabelSchema = z.object({
  label: z.string().optional(),
  allowed_teams: StringList.optional(),
  allowed_users: StringList.optional(),
  assign_on: z.array(z.object({ label: z.string().optional() })).optional(),
});
export type RestrictedLabel = z.infer<typeof RestrictedLabelSchema>;

export const LabelSchema = z.object({
  additional_labels: StringList.optional(),
  /** Keyed by "*", "org" or "org/repo". */
  restricted_labels: z.record(z.string(), z.array(RestrictedLabelSchema)).optional(),
});

/** Lower bounds in lines changed; XS starts at zero. */
export const SizeSchema = z.object({
  s: Int.optional(),
  m: Int.optional(),
  l: Int.optional(),
  xl: Int.optional(),
  xxl: Int.optional(),
});

export const HelpSchema = z.object({
  help_guidelines_url: z.string().optional(),
  help_guidelines_summary: z.string().optional(),
});

/** Shared by blunderbuss and rifle, which Prow configures with identical structs. */
export const ReviewerRequestSchema = z.object({
  request_count: Int.optional(),
  max_request_count: Int.optional(),
  exclude_approvers: z.boolean().optional(),
  use_status_availability: z.boolean().optional(),
  ignore_drafts: z.boolean().optional(),
  ignore_authors: StringList.optional(),
  wait_for_status: z
    .object({
      context: z.string().optional(),
      description: z.string().optional(),
      state: z.string().optional(),
    })
    .optional(),
});

export const WelcomeSchema = z.object({
  repos: RepoList.optional(),
  message_template: z.string().optional(),
  always_post: z.boolean().optional(),
});

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

export const RetitleSchema = z.object({ allow_closed_issues: z.boolean().optional() });

export const ConfigMapSpecSchema = z.object({
  name: z.string().optional(),
  partitioned_names: StringList.optional(),
  key: z.string().optional(),
  gzip: z.boolean().optional(),
  /** Cluster name → namespaces. */
  clusters: z.record(z.string(), StringList).optional(),
  cluster_groups: StringList.optional(),
  use_full_path_as_key: z.boolean().optional(),
  allowed_repos: RepoList.optional(),
  denied_repos: RepoList.optional(),
});
export type ConfigMapSpec = z.infer<typeof ConfigMapSpecSchema>;

export const ConfigUpdaterSchema = z.object({
  cluster_groups: z
    .record(z.string(), z.object({ clusters: StringList.optional(), namespaces: StringList.optional() }))
    .optional(),
  /** File path (or glob) in the config repository → the ConfigMap it updates. */
  maps: z.record(z.string(), ConfigMapSpecSchema).optional(),
  gzip: z.boolean().optional(),
});
export type ConfigUpdater = z.infer<typeof ConfigUpdaterSchema>;

export const OverrideSchema = z.object({
  allow_top_level_owners: z.boolean().optional(),
  /** "org" or "org/repo" → team slugs whose members may override contexts. */
  allowed_github_teams: z.record(z.string(), StringList).optional(),
});

export const SigMentionSchema = z.object({ regexp: z.string().optional() });

export const PluginConfigSchema = z.object({
  /** "org" or "org/repo" → the in-tree plugins enabled there. */
  plugins: z.record(z.string(), PluginsEntrySchema).optional(),
  /** "org" or "org/repo" → external plugins that receive its events. */
  external_plugins: z.record(z.string(), z.array(ExternalPluginSchema)).optional(),
  owners: OwnersSchema.optional(),
  approve: z.array(ApproveSchema).optional(),
  blunderbuss: ReviewerRequestSchema.optional(),
  rifle: ReviewerRequestSchema.optional(),
  config_updater: ConfigUpdaterSchema.optional(),
  help: HelpSchema.optional(),
  label: LabelSchema.optional(),
  lgtm: z.array(LgtmSchema).optional(),
  override: OverrideSchema.optional(),
  require_matching_label: z.array(RequireMatchingLabelSchema).optional(),
  retitle: RetitleSchema.optional(),
  sigmention: SigMentionSchema.optional(),
  size: SizeSchema.optional(),
  triggers: z.array(TriggerSchema).optional(),
  welcome: z.array(WelcomeSchema).optional(),

  // Accepted, not interpreted; only the expressions Prow compiles at load time are typed.
  blockades: z.array(z.looseObject({ branchregexp: z.string().optional() })).optional(),
  cherry_pick_approved: z.array(z.looseObject({ branchregexp: z.string().optional() })).optional(),
  cherry_pick_unapproved: z.looseObject({ branchregexp: z.string().optional() }).optional(),
  heart: z.looseObject({ commentregexp: z.string().optional() }).optional(),
  branch_cleaner: OpaqueSection.optional(),
  bugzilla: OpaqueSection.optional(),
  cat: OpaqueSection.optional(),
  dco: OpaqueSection.optional(),
  golint: OpaqueSection.optional(),
  goose: OpaqueSection.optional(),
  invalid_commit_msg: OpaqueList.optional(),
  jira: OpaqueSection.optional(),
  milestone_applier: OpaqueSection.optional(),
  project_config: OpaqueSection.optional(),
  project_manager: OpaqueSection.optional(),
  release_note: OpaqueSection.optional(),
  repo_milestone: OpaqueSection.optional(),
  slack: OpaqueSection.optional(),
});
export type PluginConfig = z.infer<typeof PluginConfigSchema>;

/**
 * The in-tree plugins Prow's hook (and checkconfig) registers: the packages imported by
 * pkg/hook/plugin-imports, under the names they register. A name outside this list is rejected,
 * as Prow's checkconfig does.
 */
export const KNOWN_PLUGINS = [
  'approve',
  'assign',
  'blockade',
  'blunderbuss',
  'branchcleaner',
  'bugzilla',
  'buildifier',
  'cat',
  'cherry-pick-approved',
  'cherry-pick-unapproved',
  'cla',
  'config-updater',
  'dco',
  'dog',
  'golint',
  'goose',
  'heart',
  'help',
  'hold',
  'invalidcommitmsg',
  'issue-management',
  'jira',
  'label',
  'lgtm',
  'lifecycle',
  'merge-method-comment',
  'mergecommitblocker',
  'milestone',
  'milestoneapplier',
  'milestonestatus',
  'override',
  'owners-label',
  'pony',
  'project',
  'project-manager',
  'release-note',
  'require-matching-label',
  'retitle',
  'rifle',
  'shrug',
  'sigmention',
  'size',
  'skip',
  'slackevents',
  'stage',
  'testfreeze',
  'trick-or-treat',
  'trigger',
  'verify-owners',
  'welcome',
  'wip',
  'yuks',
] as const;
export type KnownPlugin = (typeof KNOWN_PLUGINS)[number];

const KNOWN_PLUGIN_SET: ReadonlySet<string> = new Set(KNOWN_PLUGINS);

export interface PluginConfigResult {
  /** Present only when there are no problems, so that a broken file is never used. */
  readonly config?: PluginConfig;
  readonly problems: ConfigProblem[];
}

export interface PluginConfigOptions {
  /** Prow's checkconfig `--strict`: unknown fields and checkconfig's plugin warnings become problems. */
  readonly strict: boolean;
}

/** The plugins enabled for org/repo: the org entry's (unless it excludes the repo), then the repo entry's. */
export function enabledPluginsFor(config: PluginConfig, org: string, repo: string): string[] {
  const orgEntry = ownEntry(config.plugins, org);
  const repoEntry = ownEntry(config.plugins, `${org}/${repo}`);
  const fromOrg = orgEntry && !(orgEntry.excluded_repos ?? []).includes(repo) ? (orgEntry.plugins ?? []) : [];
  // Prow keys handlers by name, so a plugin listed at both levels still runs once.
  return [...new Set([...fromOrg, ...(repoEntry?.plugins ?? [])])];
}

export async function loadPluginConfigFile(
  file: string,
  options: PluginConfigOptions,
): Promise<PluginConfigResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'file not found' : error instanceof Error ? error.message : String(error);
    return { problems: [{ file, line: 0, message: `cannot read plugin config: ${reason}` }] };
  }
  const parsed = parseYamlSource(file, text);
  if (!parsed.ok) return { problems: parsed.problems };
  return validatePluginConfig(parsed.source, options);
}

export function validatePluginConfig(source: YamlSource, options: PluginConfigOptions): PluginConfigResult {
  const problems: ConfigProblem[] = [];
  const report: Report = (path, message, shownPath = path) => {
    const prefix = formatYamlPath(shownPath);
    problems.push({
      file: source.file,
      line: source.lineOf(path),
      message: prefix ? `${prefix}: ${message}` : message,
    });
  };

  const decoded = goDecode(PluginConfigSchema, source.value ?? {});
  const raw = decoded.value;
  if (options.strict) {
    for (const path of decoded.unknownFields) {
      report(path, describeUnknownField(path, raw), path.slice(0, -1));
    }
  }
  const parsed = PluginConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      for (const located of flattenIssue(issue, toYamlPath(issue.path))) {
        report(located.path, describeIssue(located.issue, valueAt(raw, located.path)));
      }
    }
    return { problems };
  }

  const config = parsed.data;
  const rawPlugins = isPlainObject(raw) && isPlainObject(raw.plugins) ? raw.plugins : {};
  const context: CheckContext = { config, rawPlugins, report };
  checkPluginsMapForm(context);
  checkPluginNames(context);
  checkPluginsDuplicatedForOrg(context);
  checkReviewerPluginsExclusive(context);
  checkExternalPluginsDuplicatedForOrg(context);
  checkReviewerRequest(context, 'blunderbuss');
  checkReviewerRequest(context, 'rifle');
  checkConfigUpdater(context);
  checkSizes(context);
  checkRequireMatchingLabel(context);
  checkReposListedOnce(context, 'approve');
  checkReposListedOnce(context, 'welcome');
  checkLoadTimeRegexps(context);
  if (options.strict) {
    checkRestrictedLabels(context);
    checkConfigUpdaterRepoFilters(context);
    checkOwnersFilesVerified(context);
  }

  return problems.length === 0 ? { config, problems } : { problems };
}

/** `shownPath` names the place in the message when it differs from the one whose line is reported. */
type Report = (path: YamlPath, message: string, shownPath?: YamlPath) => void;

interface CheckContext {
  readonly config: PluginConfig;
  /** The `plugins` map as written, to tell the list form from the object form. */
  readonly rawPlugins: Record<string, unknown>;
  readonly report: Report;
}

// ---- plugins and external_plugins ----

function pluginListPath(context: CheckContext, key: string, index: number): YamlPath {
  return Array.isArray(context.rawPlugins[key])
    ? ['plugins', key, index]
    : ['plugins', key, 'plugins', index];
}

/** Prow reads the map in the list form or in the object form, never a mixture. */
function checkPluginsMapForm(context: CheckContext): void {
  const entries = Object.entries(context.rawPlugins);
  const usesObjectForm = entries.some(([, entry]) => isPlainObject(entry));
  if (!usesObjectForm) return;
  for (const [key, entry] of entries) {
    if (!Array.isArray(entry)) continue;
    context.report(
      ['plugins', key],
      'this entry is a plain list but other entries use the object form; Prow reads the whole map in one form, so write it as "plugins: [...]"',
    );
  }
}

function checkPluginNames(context: CheckContext): void {
  const externalNames = new Set(
    Object.values(context.config.external_plugins ?? {}).flatMap((list) => list.map((plugin) => plugin.name)),
  );
  for (const [key, entry] of Object.entries(context.config.plugins ?? {})) {
    (entry.plugins ?? []).forEach((name, index) => {
      if (KNOWN_PLUGIN_SET.has(name)) return;
      const suggestion = closestName(name, KNOWN_PLUGINS);
      const hint = externalNames.has(name)
        ? `; "${name}" is an external plugin, so list it under external_plugins`
        : suggestion
          ? ` (did you mean "${suggestion}"?)`
          : '; external plugins belong under external_plugins';
      context.report(pluginListPath(context, key, index), `unknown plugin "${name}"${hint}`);
    });
  }
}

function checkPluginsDuplicatedForOrg(context: CheckContext): void {
  for (const [key, entry] of Object.entries(context.config.plugins ?? {})) {
    if (!key.includes('/')) continue;
    const [org = '', repo = ''] = key.split('/');
    const orgEntry = ownEntry(context.config.plugins, org);
    if (!orgEntry || (orgEntry.excluded_repos ?? []).includes(repo)) continue;
    const enabledForOrg = new Set(orgEntry.plugins ?? []);
    (entry.plugins ?? []).forEach((name, index) => {
      if (!enabledForOrg.has(name)) return;
      context.report(
        pluginListPath(context, key, index),
        `plugin "${name}" is already enabled for org "${org}"; remove it here, or list "${repo}" in the org's excluded_repos`,
      );
    });
  }
}

function checkReviewerPluginsExclusive(context: CheckContext): void {
  const plugins = context.config.plugins ?? {};
  const requestsReviewers = (entry: OrgPlugins | undefined, name: 'blunderbuss' | 'rifle') =>
    (entry?.plugins ?? []).includes(name);
  for (const [key, entry] of Object.entries(plugins)) {
    if (requestsReviewers(entry, 'blunderbuss') && requestsReviewers(entry, 'rifle')) {
      context.report(
        ['plugins', key],
        'blunderbuss and rifle both request reviewers; enable only one of them',
      );
      continue;
    }
    if (!key.includes('/')) continue;
    const [org = '', repo = ''] = key.split('/');
    const orgEntry = ownEntry(plugins, org);
    if (!orgEntry || (orgEntry.excluded_repos ?? []).includes(repo)) continue;
    for (const [here, there] of [
      ['blunderbuss', 'rifle'],
      ['rifle', 'blunderbuss'],
    ] as const) {
      if (requestsReviewers(entry, here) && requestsReviewers(orgEntry, there)) {
        context.report(
          ['plugins', key],
          `${here} is enabled here while org "${org}" enables ${there}; they both request reviewers, so enable only one of them`,
        );
      }
    }
  }
}

function checkExternalPluginsDuplicatedForOrg(context: CheckContext): void {
  const external = context.config.external_plugins ?? {};
  for (const [key, list] of Object.entries(external)) {
    if (!key.includes('/')) continue;
    const org = key.slice(0, key.indexOf('/'));
    const enabledForOrg = new Set((ownEntry(external, org) ?? []).map((plugin) => plugin.name));
    list.forEach((plugin, index) => {
      if (!enabledForOrg.has(plugin.name)) return;
      context.report(
        ['external_plugins', key, index, 'name'],
        `external plugin "${plugin.name ?? ''}" is already enabled for org "${org}"; remove it here`,
      );
    });
  }
}

// ---- per-plugin sections ----

function checkReviewerRequest(context: CheckContext, section: 'blunderbuss' | 'rifle'): void {
  const settings = context.config[section];
  if (settings?.request_count !== undefined && settings.request_count < 1) {
    context.report(
      [section, 'request_count'],
      `must be at least 1 (got ${settings.request_count}); omit it to request 2 reviewers`,
    );
  }
  const description = settings?.wait_for_status?.description;
  if (description) checkRegexp(context, [section, 'wait_for_status', 'description'], description);
}

const SIZE_ORDER = ['s', 'm', 'l', 'xl', 'xxl'] as const;

function checkSizes(context: CheckContext): void {
  const size = context.config.size;
  if (!size) return;
  // Go reads an omitted threshold as zero, which breaks the order as surely as a wrong number.
  for (let index = 1; index < SIZE_ORDER.length; index++) {
    const smaller = SIZE_ORDER[index - 1]!;
    const larger = SIZE_ORDER[index]!;
    const smallerValue = size[smaller] ?? 0;
    const largerValue = size[larger] ?? 0;
    if (smallerValue <= largerValue) continue;
    const shown = size[larger] === undefined ? '0 when omitted' : String(largerValue);
    context.report(
      size[larger] === undefined ? ['size'] : ['size', larger],
      `${larger} (${shown}) is smaller than ${smaller} (${smallerValue}); thresholds must not decrease from s to xxl`,
    );
  }
}

function checkRequireMatchingLabel(context: CheckContext): void {
  (context.config.require_matching_label ?? []).forEach((rule, index) => {
    const at = (field?: keyof RequireMatchingLabel): YamlPath =>
      field ? ['require_matching_label', index, field] : ['require_matching_label', index];
    if (!rule.org) context.report(at(), 'must specify org');
    if (rule.repo?.includes('/')) {
      context.report(
        at('repo'),
        'may not contain "/"; put the organization in org and the repository name here',
      );
    }
    if (!rule.missing_label) context.report(at(), 'must specify missing_label');
    if (!rule.prs && !rule.issues) context.report(at(), 'must set prs: true and/or issues: true');
    if (!rule.prs && rule.branch)
      context.report(at('branch'), 'branch only applies to pull requests; set prs: true');
    if (rule.grace_period !== undefined) {
      try {
        parseGoDuration(rule.grace_period);
      } catch (error) {
        context.report(at('grace_period'), `${messageOf(error)} (a Go duration such as "5s" or "1m")`);
      }
    }
    if (!rule.regexp) {
      context.report(at(), 'must specify regexp');
      return;
    }
    const regexp = checkRegexp(context, at('regexp'), rule.regexp);
    if (regexp && rule.missing_label && regexp.test(rule.missing_label)) {
      context.report(
        at('regexp'),
        `matches missing_label "${rule.missing_label}", so adding that label would satisfy the rule; make them disjoint`,
      );
    }
  });
}

function checkReposListedOnce(context: CheckContext, section: 'approve' | 'welcome'): void {
  const firstSeen = new Map<string, number>();
  (context.config[section] ?? []).forEach((entry, entryIndex) => {
    (entry.repos ?? []).forEach((orgOrRepo, repoIndex) => {
      const earlier = firstSeen.get(orgOrRepo);
      if (earlier === undefined) {
        firstSeen.set(orgOrRepo, entryIndex);
        return;
      }
      const kind = orgOrRepo.includes('/') ? 'repo' : 'org';
      context.report(
        [section, entryIndex, 'repos', repoIndex],
        `${kind} "${orgOrRepo}" is already configured in ${section}[${earlier}]; list it in one entry only`,
      );
    });
  });
}

function checkConfigUpdater(context: CheckContext): void {
  const updater = context.config.config_updater;
  if (!updater) return;
  const groups = updater.cluster_groups ?? {};
  // ConfigMap (cluster, namespace, name) → data key → the file that writes it.
  const writers = new Map<string, Map<string, string>>();
  for (const [file, spec] of Object.entries(updater.maps ?? {})) {
    const at = (...rest: (string | number)[]): YamlPath => ['config_updater', 'maps', file, ...rest];
    const partitions = spec.partitioned_names ?? [];
    if (spec.name && partitions.length > 0) {
      context.report(at('partitioned_names'), 'name and partitioned_names are mutually exclusive; keep one');
    }
    if (partitions.length > 256) {
      context.report(
        at('partitioned_names'),
        `at most 256 partitions are supported, found ${partitions.length}`,
      );
    }
    const clusters = spec.clusters ?? {};
    const clusterGroups = spec.cluster_groups ?? [];
    if (Object.keys(clusters).length > 0 && clusterGroups.length > 0) {
      context.report(at('cluster_groups'), 'clusters and cluster_groups are mutually exclusive; keep one');
    } else if (Object.keys(clusters).length === 0) {
      clusterGroups.forEach((group, index) => {
        if (!Object.hasOwn(groups, group)) {
          context.report(
            at('cluster_groups', index),
            `cluster group "${group}" is not defined under config_updater.cluster_groups`,
          );
        }
      });
    }

    // Prow defaults a map without targets to the default cluster's default namespace.
    const targets =
      Object.keys(clusters).length > 0 ? clusters : clusterGroups.length === 0 ? { default: [''] } : {};
    const name = spec.name || partitions.join(',');
    const key = spec.key || goPathBase(file);
    for (const [cluster, namespaces] of Object.entries(targets)) {
      for (const namespace of namespaces) {
        const configMap = JSON.stringify([cluster, namespace, name]);
        const keys = writers.get(configMap) ?? new Map<string, string>();
        writers.set(configMap, keys);
        const other = keys.get(key);
        if (other !== undefined && other !== file) {
          context.report(
            at(),
            `key "${key}" of configmap "${name}" (cluster "${cluster}", namespace "${namespace}") is also written by "${other}"; set a distinct key`,
          );
        } else {
          keys.set(key, file);
        }
      }
    }
  }
}

function checkLoadTimeRegexps(context: CheckContext): void {
  const { config } = context;
  if (config.sigmention?.regexp) checkRegexp(context, ['sigmention', 'regexp'], config.sigmention.regexp);
  if (config.heart?.commentregexp)
    checkRegexp(context, ['heart', 'commentregexp'], config.heart.commentregexp);
  const unapprovedBranch = config.cherry_pick_unapproved?.branchregexp;
  if (unapprovedBranch) checkRegexp(context, ['cherry_pick_unapproved', 'branchregexp'], unapprovedBranch);
  (config.cherry_pick_approved ?? []).forEach((entry, index) => {
    if (entry.branchregexp)
      checkRegexp(context, ['cherry_pick_approved', index, 'branchregexp'], entry.branchregexp);
  });
  (config.blockades ?? []).forEach((entry, index) => {
    if (entry.branchregexp !== undefined) {
      checkRegexp(context, ['blockades', index, 'branchregexp'], entry.branchregexp);
    }
  });
}

// ---- checkconfig's plugin warnings, which fail only under --strict ----

function checkRestrictedLabels(context: CheckContext): void {
  const additional = new Set(context.config.label?.additional_labels ?? []);
  for (const [orgOrRepo, labels] of Object.entries(context.config.label?.restricted_labels ?? {})) {
    labels.forEach((restricted, index) => {
      const at: YamlPath = ['label', 'restricted_labels', orgOrRepo, index];
      if (!restricted.label) {
        context.report(at, 'restricted label needs a non-empty label name');
      } else if (additional.has(restricted.label)) {
        context.report(
          [...at, 'label'],
          `"${restricted.label}" is also listed in label.additional_labels, which lets anyone apply it; remove one of them`,
        );
      }
    });
  }
}

function checkConfigUpdaterRepoFilters(context: CheckContext): void {
  for (const [file, spec] of Object.entries(context.config.config_updater?.maps ?? {})) {
    for (const field of ['allowed_repos', 'denied_repos'] as const) {
      (spec[field] ?? []).forEach((entry, index) => {
        const problem =
          entry === ''
            ? 'must not be empty'
            : entry.split('/').length > 2
              ? 'has too many "/"'
              : entry.startsWith('/')
                ? 'names a repo without its org'
                : undefined;
        if (problem) {
          context.report(
            ['config_updater', 'maps', file, field, index],
            `"${entry}" ${problem}; write "org" or "org/repo"`,
          );
        }
      });
    }
  }
}

const OWNERS_READERS = ['approve', 'blunderbuss', 'rifle', 'owners-label'] as const;

/**
 * Wherever a plugin reads OWNERS files, verify-owners must run too. Repos an org entry does not
 * name all get that entry's plugins, so one stand-in repo per org plus every named repo covers
 * every distinct combination exactly.
 */
function checkOwnersFilesVerified(context: CheckContext): void {
  const plugins = context.config.plugins ?? {};
  const namedRepos = new Map<string, Set<string>>();
  for (const [key, entry] of Object.entries(plugins)) {
    const [org = '', repo] = key.split('/');
    const repos = namedRepos.get(org) ?? new Set<string>();
    namedRepos.set(org, repos);
    if (repo !== undefined) repos.add(repo);
    if (!key.includes('/')) for (const excluded of entry.excluded_repos ?? []) repos.add(excluded);
  }
  const unverifiedReaders = (org: string, repo: string) => {
    const enabled = enabledPluginsFor(context.config, org, repo);
    return enabled.includes('verify-owners') ? [] : OWNERS_READERS.filter((name) => enabled.includes(name));
  };
  const describe = (readers: readonly string[]) =>
    `enables ${readers.join(', ')}, which read${readers.length === 1 ? 's' : ''} OWNERS files, but not verify-owners, which keeps them valid; enable verify-owners too`;

  for (const [org, repos] of namedRepos) {
    // GitHub repository names cannot contain a space, so this stands for every repo not named.
    const orgReaders = unverifiedReaders(org, ' unnamed repo');
    if (orgReaders.length > 0) context.report(['plugins', org], `org "${org}" ${describe(orgReaders)}`);
    const excluded = ownEntry(plugins, org)?.excluded_repos ?? [];
    for (const repo of repos) {
      const readers = unverifiedReaders(org, repo);
      if (readers.length === 0 || (orgReaders.length > 0 && !excluded.includes(repo))) continue;
      const fullName = `${org}/${repo}`;
      context.report(
        ['plugins', Object.hasOwn(plugins, fullName) ? fullName : org],
        `repo "${fullName}" ${describe(readers)}`,
      );
    }
  }
}

// ---- helpers ----

function checkRegexp(context: CheckContext, path: YamlPath, pattern: string): GoRegexp | undefined {
  try {
    return compileGoRegexp(pattern);
  } catch (error) {
    context.report(path, messageOf(error));
    return undefined;
  }
}


function ownEntry<T>(record: Record<string, T> | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function valueAt(root: unknown, path: YamlPath): unknown {
  let node = root;
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number') node = node[segment];
    else if (isPlainObject(node) && Object.hasOwn(node, String(segment))) node = node[String(segment)];
    else return undefined;
  }
  return node;
}

function toYamlPath(path: readonly PropertyKey[]): YamlPath {
  return path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
}

interface LocatedIssue {
  readonly path: YamlPath;
  readonly issue: z.core.$ZodIssue;
}

/**
 * A union reports one list of issues per alternative. When the value has the outer shape of
 * exactly one alternative, that alternative's issues are the useful ones.
 */
function flattenIssue(issue: z.core.$ZodIssue, path: YamlPath): LocatedIssue[] {
  if (issue.code !== 'invalid_union') return [{ path, issue }];
  const matchingShape = issue.errors.filter((branch) => branch.every((inner) => inner.path.length > 0));
  if (matchingShape.length !== 1) return [{ path, issue }];
  return matchingShape[0]!.flatMap((inner) => flattenIssue(inner, [...path, ...toYamlPath(inner.path)]));
}

function describeIssue(issue: z.core.$ZodIssue, actual: unknown): string {
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'int' ? 'integer' : issue.expected;
    const received =
      issue.expected === 'int' && typeof actual === 'number' ? String(actual) : typeNameOf(actual);
    return `expected ${expected}, received ${received}`;
  }
  if (issue.code === 'invalid_union') {
    const expected = issue.errors
      .map((branch) => branch.find((inner) => inner.code === 'invalid_type' && inner.path.length === 0))
      .map((inner) => (inner?.code === 'invalid_type' ? inner.expected : undefined))
      .filter((name): name is NonNullable<typeof name> => name !== undefined);
    if (expected.length > 0) return `expected ${expected.join(' or ')}, received ${typeNameOf(actual)}`;
  }
  return issue.message;
}

function typeNameOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function describeUnknownField(path: YamlPath, root: unknown): string {
  const name = String(path[path.length - 1]);
  const parent = valueAt(root, path.slice(0, -1));
  const siblings = isPlainObject(parent) ? Object.keys(parent) : [];
  const known = knownFieldsAt(path.slice(0, -1)).filter((field) => !siblings.includes(field));
  const suggestion = closestName(name, known);
  return `unknown field "${name}"${suggestion ? ` (did you mean "${suggestion}"?)` : ''}`;
}

/** The field names the schema declares for the object at `path`, for "did you mean" hints. */
function knownFieldsAt(path: YamlPath): string[] {
  let schema: z.core.$ZodType | undefined = PluginConfigSchema;
  for (const segment of path) {
    schema = schema && childSchema(schema, segment);
  }
  const shape = schema && objectShape(schema);
  return shape ? Object.keys(shape) : [];
}

function childSchema(schema: z.core.$ZodType, segment: string | number): z.core.$ZodType | undefined {
  const def = unwrap(schema)._zod.def;
  switch (def.type) {
    case 'object':
      return typeof segment === 'string' ? (def as z.core.$ZodObjectDef).shape[segment] : undefined;
    case 'record':
      return (def as z.core.$ZodRecordDef).valueType;
    case 'array':
      return (def as z.core.$ZodArrayDef).element;
    case 'union': {
      // The plugins entries: only the object alternative has named fields.
      const options = (def as z.core.$ZodUnionDef).options;
      return options.map((option) => childSchema(option, segment)).find((child) => child !== undefined);
    }
    default:
      return undefined;
  }
}

function objectShape(schema: z.core.$ZodType): Record<string, z.core.$ZodType> | undefined {
  const inner = unwrap(schema);
  if (inner._zod.def.type === 'object') return (inner._zod.def as z.core.$ZodObjectDef).shape;
  if (inner._zod.def.type === 'union') {
    for (const option of (inner._zod.def as z.core.$ZodUnionDef).options) {
      const shape = objectShape(option);
      if (shape) return shape;
    }
  }
  return undefined;
}

function unwrap(schema: z.core.$ZodType): z.core.$ZodType {
  const def = schema._zod.def;
  if (def.type === 'optional') return unwrap((def as z.core.$ZodOptionalDef).innerType);
  if (def.type === 'pipe') return unwrap((def as z.core.$ZodPipeDef).in);
  return schema;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
function closestName(name: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.min(3, Math.floor(name.length / 2) + 1);
  for (const candidate of candidates) {
    const distance = editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
