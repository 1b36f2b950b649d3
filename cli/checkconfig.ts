import { readFile } from 'node:fs/promises';
import { loadConfig } from '../shared/config/load';
import { countJobs } from '../shared/config/model';
import { formatProblem } from '../shared/config/problems';
import { parseYamlSource } from '../shared/config/yaml-source';
import { PLUGIN_SETTINGS } from '../shared/plugins/registry';
import { contextPolicyProblemsFor, tideSummary } from '../shared/tide/config';
import { parseFlags, UsageError } from './args';

export const CHECKCONFIG_USAGE = `Usage: cutwater checkconfig --config-path FILE [--job-config-path DIR] [--plugin-config FILE] [--strict]

Loads Prow configuration exactly as every Cutwater component will, and reports each problem
as "path:line: message". Exits 0 and prints the job counts when the configuration is valid
(and, when it has Tide queries, a second line summarising what Tide will do).

  --config-path FILE      Prow's config.yaml
  --job-config-path DIR   job-config directory (searched recursively; .prowignore honoured) or file
  --plugin-config FILE    plugins.yaml
  --strict                reject fields Prow does not know (catches typos that disable jobs);
                          without it they are warnings ("path:line: warning: …") and exit 0
  --publish-snapshot LOC  once valid, publish it as the current config snapshot at LOC
                          (gs://bucket/prefix or a directory; what CONFIG_SNAPSHOTS names): the way
                          to give a fresh deployment its first config, before config-updater runs
  --warnings, --exclude-warning
                          accepted for compatibility with Prow's checkconfig; every check always runs
                          (unknown fields are warnings unless --strict)`;

export interface CommandIO {
  stdout(line: string): void;
  stderr(line: string): void;
}

export async function checkconfig(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    'config-path': { type: 'string' },
    'job-config-path': { type: 'string' },
    'plugin-config': { type: 'string' },
    strict: { type: 'boolean', default: false },
    'publish-snapshot': { type: 'string' },
    // Prow's checkconfig selects warning classes; Cutwater always runs every check it has.
    warnings: { type: 'string', multiple: true },
    'exclude-warning': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(CHECKCONFIG_USAGE);
    return 0;
  }
  if (!values['config-path']) throw new UsageError('--config-path is required');
  const paths = {
    configPath: values['config-path'],
    ...(values['job-config-path'] ? { jobConfigPath: values['job-config-path'] } : {}),
    ...(values['plugin-config'] ? { pluginConfigPath: values['plugin-config'] } : {}),
  };
  const result = await loadConfig(paths, { strict: values.strict, pluginSettings: PLUGIN_SETTINGS });
  if (!result.ok) {
    for (const problem of result.problems) io.stderr(formatProblem(problem));
    return 1;
  }
  // Prow's checkconfig `tide-context-policy` check: a branch's policy, jobs included, must not list
  // a context as two kinds at once. It needs the jobs resolved, so it runs after loading.
  const contextProblems = contextPolicyProblemsFor(result.config);
  if (contextProblems.length > 0) {
    // Point at the repo's (or branch's) context_options entry, or the nearest line above it.
    const parsed = parseYamlSource(paths.configPath, await readFile(paths.configPath, 'utf8'));
    for (const { org, repo, branch, message } of contextProblems) {
      const at = ['tide', 'context_options', 'orgs', org, 'repos', repo, 'branches', branch];
      const line = parsed.ok ? parsed.source.lineOf(at) : 0;
      io.stderr(formatProblem({ file: paths.configPath, line, message: `tide.context_options: the context policy of ${org}/${repo} branch ${branch}: ${message}` }));
    }
    return 1;
  }
  if (!values.strict) {
    // What --strict would refuse (unknown fields, mostly typos that silently disable a job) is
    // still said, as warnings: exit 0, as Prow's checkconfig without --strict.
    const strict = await loadConfig(paths, { strict: true, pluginSettings: PLUGIN_SETTINGS });
    if (!strict.ok) for (const problem of strict.problems) io.stderr(formatProblem({ ...problem, message: `warning: ${problem.message.replace(/ \(--strict\)$/, '')}` }));
  }
  const counts = countJobs(result.config);
  io.stdout(
    `${counts.presubmits} presubmits, ${counts.postsubmits} postsubmits, ${counts.periodics} periodics`,
  );
  const tide = tideSummary(result.config);
  if (tide) io.stdout(tide);
  const location = values['publish-snapshot'];
  if (!location) return 0;
  // Loaded only when publishing: the storage clients are heavy and plain checks need none of them.
  const [{ readConfigTexts }, { createSnapshot, publishSnapshot }, { openSnapshotStore }] = await Promise.all([
    import('../shared/config/load'),
    import('../shared/config/snapshots'),
    import('../shared/config/config-source'),
  ]);
  const texts = await readConfigTexts(paths);
  if (Array.isArray(texts)) {
    for (const problem of texts) io.stderr(formatProblem(problem));
    return 1;
  }
  const { store, prefix } = openSnapshotStore(location);
  const snapshot = createSnapshot(texts, { repo: 'local files', sha: 'cutwater checkconfig' }, new Date());
  const published = await publishSnapshot(store, prefix, snapshot, { strict: values.strict, pluginSettings: PLUGIN_SETTINGS });
  if (!published.ok) {
    for (const problem of published.problems) io.stderr(formatProblem(problem));
    return 1;
  }
  io.stdout(`published config snapshot ${published.version} to ${location} (pointer ${published.pointer})`);
  return 0;
}
