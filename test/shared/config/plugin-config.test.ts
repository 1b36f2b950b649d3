import { existsSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  enabledPluginsFor,
  formatYamlPath,
  KNOWN_PLUGINS,
  loadPluginConfigFile,
  type PluginConfig,
  type PluginConfigResult,
  validatePluginConfig,
} from '../../../shared/config/plugin-config';
import type { ConfigProblem } from '../../../shared/config/problems';
import { parseYamlSource } from '../../../shared/config/yaml-source';
import { PLUGIN_SETTINGS } from '../../../shared/plugins/registry';
import { REPO_ROOT } from '../../support/config';

const CORPUS = path.resolve(REPO_ROOT, '../shared/prow-config/kubernetes/plugins.yaml');

function validate(yaml: string, strict = false): PluginConfigResult {
  const parsed = parseYamlSource('plugins.yaml', yaml);
  if (!parsed.ok) throw new Error(`test YAML does not parse: ${JSON.stringify(parsed.problems)}`);
  return validatePluginConfig(parsed.source, { strict, sections: PLUGIN_SETTINGS });
}

function problemsOf(yaml: string, strict = false): ConfigProblem[] {
  return validate(yaml, strict).problems;
}

/** The single problem the YAML has, as `line: message`. */
function onlyProblem(yaml: string, strict = false): string {
  const problems = problemsOf(yaml, strict);
  expect(problems, JSON.stringify(problems)).toHaveLength(1);
  return `${problems[0]!.line}: ${problems[0]!.message}`;
}

function configOf(yaml: string): PluginConfig {
  const result = validate(yaml);
  expect(result.problems).toEqual([]);
  return result.config!;
}

describe('the kubernetes/test-infra plugins.yaml', () => {
  it('is present', () => {
    expect(existsSync(CORPUS), `missing corpus file ${CORPUS}`).toBe(true);
  });

  for (const strict of [false, true]) {
    it(`validates with no problems (strict: ${strict})`, async () => {
      const result = await loadPluginConfigFile(CORPUS, { strict, sections: PLUGIN_SETTINGS });
      expect(result.problems).toEqual([]);
      expect(result.config?.plugins?.kubernetes?.plugins).toContain('trigger');
      expect(result.config?.external_plugins?.kubernetes?.[0]?.name).toBe('needs-rebase');
      expect(result.config?.size).toEqual({ s: 10, m: 30, l: 100, xl: 500, xxl: 1000 });
    });
  }

  it('enables org-level and repo-level plugins for kubernetes/kubernetes', async () => {
    const { config } = await loadPluginConfigFile(CORPUS, { strict: false, sections: PLUGIN_SETTINGS });
    const enabled = enabledPluginsFor(config!, 'kubernetes', 'kubernetes');
    expect(enabled).toEqual(
      expect.arrayContaining(['trigger', 'lgtm', 'cherry-pick-approved', 'release-note']),
    );
    expect(enabledPluginsFor(config!, 'kubernetes', 'some-other-repo')).not.toContain('cherry-pick-approved');
  });
});

describe('schema problems', () => {
  it('locates a wrong type at its line, with a path and what was expected', () => {
    const yaml = ['triggers:', '- repos:', '  - org/repo', '  trusted_apps: my-bot', ''].join('\n');
    expect(onlyProblem(yaml)).toBe('4: triggers[0].trusted_apps: expected array, received string');
  });

  it('names non-integer numbers', () => {
    expect(onlyProblem('size:\n  s: 10\n  m: 1.5\n  l: 100\n  xl: 200\n  xxl: 300\n')).toBe(
      '3: size.m: expected integer, received 1.5',
    );
  });

  it('quotes map keys that are not plain identifiers', () => {
    const yaml = 'config_updater:\n  maps:\n    config/prow/config.yaml:\n      name: [config]\n';
    expect(onlyProblem(yaml)).toBe(
      '4: config_updater.maps["config/prow/config.yaml"].name: expected string, received array',
    );
  });

  it('explains a plugins entry that is neither a list nor an object', () => {
    expect(onlyProblem('plugins:\n  kubernetes: trigger\n')).toBe(
      '2: plugins.kubernetes: expected array or object, received string',
    );
  });

  it('reports the inner problem of an object-form plugins entry', () => {
    expect(onlyProblem('plugins:\n  kubernetes:\n    plugins: trigger\n')).toBe(
      '3: plugins.kubernetes.plugins: expected array, received string',
    );
  });

  it('rejects a file whose top level is not a mapping', () => {
    expect(onlyProblem('- trigger\n')).toBe('1: expected object, received array');
  });

  it('treats empty values as unset, as Go does', () => {
    const config = configOf('triggers:\nplugins:\n  org:\n    plugins:\n  org/repo:\n    plugins: [lgtm]\n');
    expect(config.triggers).toBeUndefined();
    expect(enabledPluginsFor(config, 'org', 'repo')).toEqual(['lgtm']);
  });

  it('accepts the sections it does not interpret', () => {
    const yaml = [
      'bugzilla:',
      '  default:',
      '    "*":',
      '      is_open: true',
      'milestone_applier:',
      '  org/repo:',
      '    main: v1.0',
      'invalid_commit_msg:',
      '- repos: [org]',
      'slack:',
      '  mergewarnings: []',
      '',
    ].join('\n');
    expect(problemsOf(yaml, true)).toEqual([]);
  });

  it('still checks the outer shape of those sections', () => {
    expect(onlyProblem('blockades:\n  repos: [org]\n')).toBe('1: blockades: expected array, received object');
  });
});

describe('unknown fields', () => {
  const yaml = ['triggers:', '- repos: [org]', '  trusted_app: [bot]', 'lgmt: []', ''].join('\n');

  it('are problems under strict, at the field, with a suggestion', () => {
    const problems = problemsOf(yaml, true);
    expect(problems.map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      '3: triggers[0]: unknown field "trusted_app" (did you mean "trusted_apps"?)',
      '4: unknown field "lgmt" (did you mean "lgtm"?)',
    ]);
  });

  it('are ignored without strict', () => {
    expect(problemsOf(yaml, false)).toEqual([]);
  });

  it('are found inside object-form plugins entries', () => {
    expect(onlyProblem('plugins:\n  org:\n    plugins: [trigger]\n    exclude_repos: [a]\n', true)).toBe(
      '4: plugins.org: unknown field "exclude_repos" (did you mean "excluded_repos"?)',
    );
  });
});

describe('plugins', () => {
  it('rejects unknown plugin names at the list entry, in either form', () => {
    expect(onlyProblem('plugins:\n  org:\n  - trigger\n  - lgmt\n')).toBe(
      '4: plugins.org[1]: unknown plugin "lgmt" (did you mean "lgtm"?)',
    );
    expect(onlyProblem('plugins:\n  org:\n    plugins:\n    - lgmt\n')).toBe(
      '4: plugins.org.plugins[0]: unknown plugin "lgmt" (did you mean "lgtm"?)',
    );
  });

  it('points external plugins listed as in-tree ones to external_plugins', () => {
    const yaml = 'plugins:\n  org:\n  - needs-rebase\nexternal_plugins:\n  other:\n  - name: needs-rebase\n';
    expect(onlyProblem(yaml)).toBe(
      '3: plugins.org[0]: unknown plugin "needs-rebase"; "needs-rebase" is an external plugin, so list it under external_plugins',
    );
  });

  it('rejects mixing the list form and the object form', () => {
    const yaml = 'plugins:\n  org:\n    plugins: [trigger]\n  org/repo:\n  - lgtm\n';
    const message = onlyProblem(yaml);
    expect(message).toMatch(/^4: plugins\["org\/repo"\]: this entry is a plain list/);
    expect(message).toContain('"plugins: [...]"');
  });

  it('rejects a plugin enabled for an org and again for one of its repos', () => {
    const yaml = 'plugins:\n  org:\n    plugins: [trigger, lgtm]\n  org/repo:\n    plugins: [size, lgtm]\n';
    expect(onlyProblem(yaml)).toBe(
      '5: plugins["org/repo"].plugins[1]: plugin "lgtm" is already enabled for org "org"; remove it here, or list "repo" in the org\'s excluded_repos',
    );
  });

  it('allows that when the org entry excludes the repo', () => {
    const yaml = [
      'plugins:',
      '  org:',
      '    excluded_repos: [repo]',
      '    plugins: [lgtm]',
      '  org/repo:',
      '    plugins: [lgtm]',
      '',
    ].join('\n');
    expect(problemsOf(yaml)).toEqual([]);
  });

  it('rejects blunderbuss and rifle together, in one entry or across org and repo', () => {
    expect(onlyProblem('plugins:\n  org: [blunderbuss, rifle]\n')).toBe(
      '2: plugins.org: blunderbuss and rifle both request reviewers; enable only one of them',
    );
    expect(onlyProblem('plugins:\n  org: [blunderbuss]\n  org/repo: [rifle]\n')).toBe(
      '3: plugins["org/repo"]: rifle is enabled here while org "org" enables blunderbuss; they both request reviewers, so enable only one of them',
    );
  });

  it('rejects an external plugin enabled for an org and again for one of its repos', () => {
    const yaml = [
      'external_plugins:',
      '  org:',
      '  - name: needs-rebase',
      '  org/repo:',
      '  - name: cherrypicker',
      '  - name: needs-rebase',
      '    endpoint: http://needs-rebase',
      '',
    ].join('\n');
    expect(onlyProblem(yaml)).toBe(
      '6: external_plugins["org/repo"][1].name: external plugin "needs-rebase" is already enabled for org "org"; remove it here',
    );
  });
});

describe('plugin sections', () => {
  it('requires blunderbuss and rifle to request at least one reviewer', () => {
    expect(onlyProblem('blunderbuss:\n  request_count: 0\n')).toBe(
      '2: blunderbuss.request_count: must be at least 1 (got 0); omit it to request 2 reviewers',
    );
    expect(onlyProblem('rifle:\n  request_count: -1\n')).toMatch(
      /^2: rifle\.request_count: must be at least 1/,
    );
  });

  it('requires size thresholds that do not decrease, counting omitted ones as zero', () => {
    expect(onlyProblem('size:\n  s: 10\n  m: 30\n  l: 20\n  xl: 500\n  xxl: 1000\n')).toBe(
      '4: size.l: l (20) is smaller than m (30); thresholds must not decrease from s to xxl',
    );
    expect(onlyProblem('size:\n  s: 10\n')).toBe(
      '1: size: m (0 when omitted) is smaller than s (10); thresholds must not decrease from s to xxl',
    );
    expect(problemsOf('size:\n  s: 10\n  m: 10\n  l: 10\n  xl: 10\n  xxl: 10\n')).toEqual([]);
  });

  describe('require_matching_label', () => {
    const valid = [
      'require_matching_label:',
      '- org: kubernetes',
      '  prs: true',
      '  missing_label: needs-kind',
    ];

    it('accepts a complete rule', () => {
      expect(problemsOf([...valid, '  regexp: ^kind/', ''].join('\n'))).toEqual([]);
    });

    it('reports an invalid regexp at its line', () => {
      expect(onlyProblem([...valid, '  regexp: ^kind/(', ''].join('\n'))).toMatch(
        /^5: require_matching_label\[0\]\.regexp: invalid regex '\^kind\/\(': .*missing closing \)/,
      );
    });

    it('rejects a regexp that matches the missing label', () => {
      expect(onlyProblem([...valid, '  regexp: ^needs-', ''].join('\n'))).toMatch(
        /^5: require_matching_label\[0\]\.regexp: matches missing_label "needs-kind"/,
      );
    });

    it('requires org, regexp, missing_label and prs or issues', () => {
      const messages = problemsOf('require_matching_label:\n- repo: kubernetes\n').map(
        (problem) => problem.message,
      );
      expect(messages).toEqual([
        'require_matching_label[0]: must specify org',
        'require_matching_label[0]: must specify missing_label',
        'require_matching_label[0]: must set prs: true and/or issues: true',
        'require_matching_label[0]: must specify regexp',
      ]);
    });

    it('rejects a repo with a slash, a branch without prs and a bad grace period', () => {
      const yaml = [
        'require_matching_label:',
        '- org: kubernetes',
        '  repo: kubernetes/kubernetes',
        '  issues: true',
        '  branch: main',
        '  missing_label: needs-sig',
        '  regexp: ^sig/',
        '  grace_period: 5 seconds',
        '',
      ].join('\n');
      const problems = problemsOf(yaml).map((problem) => `${problem.line}: ${problem.message}`);
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/^3: require_matching_label\[0\]\.repo: may not contain "\/"/);
      expect(problems[1]).toBe(
        '5: require_matching_label[0].branch: branch only applies to pull requests; set prs: true',
      );
      expect(problems[2]).toMatch(
        /^8: require_matching_label\[0\]\.grace_period: invalid duration '5 seconds'/,
      );
    });
  });

  it('reports invalid regexps in the other sections Prow compiles at load time', () => {
    const yaml = [
      'sigmention:',
      '  regexp: "(?m)@kubernetes/sig-("',
      'heart:',
      '  commentregexp: "["',
      'cherry_pick_unapproved:',
      '  branchregexp: "release-(*"',
      'cherry_pick_approved:',
      '- org: o',
      '  branchregexp: "release-{2,1}"',
      'blockades:',
      '- repos: [o/r]',
      '  branchregexp: "a**"',
      'blunderbuss:',
      '  wait_for_status:',
      '    description: "("',
      '',
    ].join('\n');
    const located = problemsOf(yaml).map((problem) => `${problem.line}: ${problem.message.split(':')[0]}`);
    // Sections owned by plugins are checked in registry order, the rest by the loader: order is not the point.
    expect(located.sort()).toEqual([
      '15: blunderbuss.wait_for_status.description',
      '4: heart.commentregexp',
      '2: sigmention.regexp',
      '6: cherry_pick_unapproved.branchregexp',
      '9: cherry_pick_approved[0].branchregexp',
      '12: blockades[0].branchregexp',
    ].sort());
  });

  it('rejects an org or repo listed twice in approve or welcome', () => {
    const yaml = [
      'approve:',
      '- repos: [kubernetes, kubernetes/test-infra]',
      '- repos:',
      '  - kubernetes/test-infra',
      'welcome:',
      '- repos: [kubernetes]',
      '- repos: [kubernetes]',
      'lgtm:',
      '- repos: [kubernetes]',
      '- repos: [kubernetes]',
      '',
    ].join('\n');
    expect(problemsOf(yaml).map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      '4: approve[1].repos[0]: repo "kubernetes/test-infra" is already configured in approve[0]; list it in one entry only',
      '7: welcome[1].repos[0]: org "kubernetes" is already configured in welcome[0]; list it in one entry only',
    ]);
  });

  describe('config_updater', () => {
    it('rejects name together with partitioned_names', () => {
      const yaml =
        'config_updater:\n  maps:\n    a.yaml:\n      name: a\n      partitioned_names: [a1, a2]\n';
      expect(onlyProblem(yaml)).toBe(
        '5: config_updater.maps["a.yaml"].partitioned_names: name and partitioned_names are mutually exclusive; keep one',
      );
    });

    it('rejects more than 256 partitions', () => {
      const names = Array.from({ length: 257 }, (_, index) => `p${index}`).join(', ');
      const yaml = `config_updater:\n  maps:\n    a.yaml:\n      partitioned_names: [${names}]\n`;
      expect(onlyProblem(yaml)).toMatch(/^4: .*at most 256 partitions are supported, found 257$/);
    });

    it('rejects clusters together with cluster_groups, and undefined cluster groups', () => {
      const yaml = [
        'config_updater:',
        '  cluster_groups:',
        '    trusted:',
        '      clusters: [c1]',
        '      namespaces: [default]',
        '  maps:',
        '    a.yaml:',
        '      name: a',
        '      clusters:',
        '        c1: [default]',
        '      cluster_groups: [trusted]',
        '    b.yaml:',
        '      name: b',
        '      cluster_groups: [trusted, untrusted]',
        '',
      ].join('\n');
      expect(problemsOf(yaml).map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
        '11: config_updater.maps["a.yaml"].cluster_groups: clusters and cluster_groups are mutually exclusive; keep one',
        '14: config_updater.maps["b.yaml"].cluster_groups[1]: cluster group "untrusted" is not defined under config_updater.cluster_groups',
      ]);
    });

    it('rejects two files writing the same key of the same configmap', () => {
      const yaml = [
        'config_updater:',
        '  maps:',
        '    prow/config.yaml:',
        '      name: config',
        '    other/config.yaml:',
        '      name: config',
        '    third/config.yaml:',
        '      name: config',
        '      key: third.yaml',
        '',
      ].join('\n');
      expect(onlyProblem(yaml)).toBe(
        '5: config_updater.maps["other/config.yaml"]: key "config.yaml" of configmap "config" (cluster "default", namespace "") is also written by "prow/config.yaml"; set a distinct key',
      );
    });
  });
});

describe('checkconfig warnings, which are problems only under strict', () => {
  const labels = [
    'label:',
    '  additional_labels: [api-review]',
    '  restricted_labels:',
    '    org/repo:',
    '    - label: api-review',
    '      allowed_teams: [reviewers]',
    '    - allowed_users: [someone]',
    '',
  ].join('\n');

  it('flag restricted labels that are also additional labels, and restricted labels without a name', () => {
    expect(problemsOf(labels, true).map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      '5: label.restricted_labels["org/repo"][0].label: "api-review" is also listed in label.additional_labels, which lets anyone apply it; remove one of them',
      '7: label.restricted_labels["org/repo"][1]: restricted label needs a non-empty label name',
    ]);
    expect(problemsOf(labels, false)).toEqual([]);
  });

  it('flag malformed config_updater allowed_repos and denied_repos', () => {
    const yaml = [
      'config_updater:',
      '  maps:',
      '    a.yaml:',
      '      name: a',
      '      allowed_repos: [org, org/repo, a/b/c, /repo]',
      '      denied_repos: [""]',
      '',
    ].join('\n');
    expect(problemsOf(yaml, true).map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      '5: config_updater.maps["a.yaml"].allowed_repos[2]: "a/b/c" has too many "/"; write "org" or "org/repo"',
      '5: config_updater.maps["a.yaml"].allowed_repos[3]: "/repo" names a repo without its org; write "org" or "org/repo"',
      '6: config_updater.maps["a.yaml"].denied_repos[0]: "" must not be empty; write "org" or "org/repo"',
    ]);
    expect(problemsOf(yaml, false)).toEqual([]);
  });

  it('flag plugins that read OWNERS files without verify-owners', () => {
    const yaml = [
      'plugins:',
      '  verified:',
      '    excluded_repos: [legacy]',
      '    plugins: [approve, verify-owners]',
      '  verified/legacy:',
      '    plugins: [blunderbuss]',
      '  unverified:',
      '    plugins: [owners-label]',
      '  other/repo:',
      '    plugins: [approve, rifle]',
      '  fine/repo:',
      '    plugins: [approve, verify-owners]',
      '',
    ].join('\n');
    expect(problemsOf(yaml, true).map((problem) => `${problem.line}: ${problem.message}`)).toEqual([
      '5: plugins["verified/legacy"]: repo "verified/legacy" enables blunderbuss, which reads OWNERS files, but not verify-owners, which keeps them valid; enable verify-owners too',
      '7: plugins.unverified: org "unverified" enables owners-label, which reads OWNERS files, but not verify-owners, which keeps them valid; enable verify-owners too',
      '9: plugins["other/repo"]: repo "other/repo" enables approve, rifle, which read OWNERS files, but not verify-owners, which keeps them valid; enable verify-owners too',
    ]);
    expect(problemsOf(yaml, false)).toEqual([]);
  });
});

describe('validatePluginConfig result', () => {
  it('returns the config only when there are no problems', () => {
    expect(validate('plugins:\n  org: [trigger]\n').config?.plugins).toEqual({
      org: { plugins: ['trigger'] },
    });
    expect(validate('plugins:\n  org: [trigger, lgmt]\n').config).toBeUndefined();
  });
});

describe('loadPluginConfigFile', () => {
  it('reports a missing file as one problem on line 0', async () => {
    const file = path.join(tmpdir(), 'cutwater-no-such-dir', 'plugins.yaml');
    expect(await loadPluginConfigFile(file, { strict: false, sections: PLUGIN_SETTINGS })).toEqual({
      problems: [{ file, line: 0, message: 'cannot read plugin config: no such file' }],
    });
  });

  it('reports YAML syntax errors with their line', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'cutwater-plugins-')), 'plugins.yaml');
    await writeFile(file, 'plugins:\n  org: [trigger\n');
    const { problems, config } = await loadPluginConfigFile(file, { strict: false, sections: PLUGIN_SETTINGS });
    expect(config).toBeUndefined();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]!.message).toMatch(/^YAML: /);
    expect(problems[0]!.line).toBeGreaterThan(0);
  });

  it('loads and validates a file', async () => {
    const file = path.join(await mkdtemp(path.join(tmpdir(), 'cutwater-plugins-')), 'plugins.yaml');
    await writeFile(file, 'plugins:\n  org:\n  - lgmt\n');
    expect(await loadPluginConfigFile(file, { strict: false, sections: PLUGIN_SETTINGS })).toEqual({
      problems: [{ file, line: 3, message: 'plugins.org[0]: unknown plugin "lgmt" (did you mean "lgtm"?)' }],
    });
  });
});

describe('enabledPluginsFor', () => {
  const config = configOf(
    [
      'plugins:',
      '  org:',
      '    excluded_repos: [excluded, excluded-but-listed]',
      '    plugins: [trigger, lgtm]',
      '  org/repo:',
      '    plugins: [size]',
      '  org/excluded-but-listed:',
      '    plugins: [lgtm]',
      '  other/repo:',
      '    plugins: [hold]',
      '',
    ].join('\n'),
  );

  it('gives an unlisted repo its org entry', () => {
    expect(enabledPluginsFor(config, 'org', 'anything')).toEqual(['trigger', 'lgtm']);
  });

  it('adds the repo entry to the org entry', () => {
    expect(enabledPluginsFor(config, 'org', 'repo')).toEqual(['trigger', 'lgtm', 'size']);
  });

  it('drops the org entry for excluded repos, keeping their own entry', () => {
    expect(enabledPluginsFor(config, 'org', 'excluded')).toEqual([]);
    expect(enabledPluginsFor(config, 'org', 'excluded-but-listed')).toEqual(['lgtm']);
  });

  it('uses only the repo entry when the org has none', () => {
    expect(enabledPluginsFor(config, 'other', 'repo')).toEqual(['hold']);
    expect(enabledPluginsFor(config, 'other', 'else')).toEqual([]);
  });

  it('reads the list form like the object form', () => {
    const listForm = configOf('plugins:\n  org: [trigger]\n  org/repo: [size]\n');
    expect(enabledPluginsFor(listForm, 'org', 'repo')).toEqual(['trigger', 'size']);
  });

  it('does not mistake inherited object properties for entries', () => {
    expect(enabledPluginsFor(config, 'constructor', 'toString')).toEqual([]);
  });
});

describe('KNOWN_PLUGINS', () => {
  it("holds the names hook registers, not external plugins or ones hook doesn't import", () => {
    expect(KNOWN_PLUGINS).toHaveLength(52);
    expect(KNOWN_PLUGINS).toEqual(
      expect.arrayContaining(['trigger', 'config-updater', 'cherry-pick-approved', 'lgtm']),
    );
    expect(KNOWN_PLUGINS).not.toContain('needs-rebase');
    expect(KNOWN_PLUGINS).not.toContain('reward-owners');
  });
});

describe('formatYamlPath', () => {
  it('uses dots for plain keys and brackets for indexes and other keys', () => {
    expect(formatYamlPath(['plugins', 'kubernetes/test-infra', 'plugins', 2])).toBe(
      'plugins["kubernetes/test-infra"].plugins[2]',
    );
    expect(formatYamlPath(['triggers', 0, 'trusted_apps'])).toBe('triggers[0].trusted_apps');
    expect(formatYamlPath([])).toBe('');
  });
});
