import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { repoVisibility } from '../../../shared/status/visibility';
import { prowTideQuery, tideQueriesOf, tideQueryString, visibleTideQueries } from '../../../shared/status/tide-queries';
import { buildFromFiles, corpusPaths, expectLoaded, yaml } from '../../support/config';
import { TIDE_CONFIG } from '../../support/tide-status';

/**
 * The queries `/tide` and `tide.js` show: read from `tide.queries` as Prow users write them, turned
 * into the GitHub search Prow builds (pkg/config/tide.go `TideQuery.Query`), and with hidden
 * repositories and orgs left out.
 */

describe('Tide queries', () => {
  it('are read from the config', () => {
    const config = expectLoaded(
      buildFromFiles({
        config: yaml(`
          tide:
            queries:
            - repos: [acme/widgets]
              labels: [lgtm]
            - orgs: [acme]
        `),
      }),
    );
    expect(tideQueriesOf(config)).toEqual([expect.objectContaining({ repos: ['acme/widgets'], labels: ['lgtm'] }), expect.objectContaining({ orgs: ['acme'] })]);
    expect(tideQueriesOf(expectLoaded(buildFromFiles({})))).toEqual([]);
  });

  it('become the GitHub search Prow builds: filters, then each org’s org:, repo: and -repo: terms', () => {
    const [widgets, , dependabot] = tideQueriesOf(TIDE_CONFIG);
    expect(tideQueryString(widgets!)).toBe(
      'is:pr state:open archived:false label:"lgtm" label:"approved" -label:"do-not-merge/hold" -label:"needs-rebase" repo:"acme/widgets" repo:"acme/private"',
    );
    // "a,b" is one label term with alternatives; an excluded repo is scoped to its org.
    expect(tideQueryString(dependabot!)).toBe(
      'is:pr state:open archived:false author:"dependabot" label:"lgtm","approved" review:approved org:"acme" -repo:"acme/widgets"',
    );
    expect(
      tideQueryString({ repos: ['a/b', 'not-a-repo'], excludedBranches: ['old'], includedBranches: ['main'], milestone: 'v1' }),
    ).toBe('is:pr state:open archived:false -base:"old" base:"main" milestone:"v1" repo:"a/b"');
  });

  it('read kubernetes’ real config: nine queries, each a search', () => {
    const text = readFileSync(corpusPaths().configPath, 'utf8');
    const queries = tideQueriesOf(expectLoaded(buildFromFiles({ config: text })));
    expect(queries).toHaveLength(9);
    expect(tideQueryString(queries[2]!)).toBe(
      'is:pr state:open archived:false base:"master" base:"release-1.37" label:"lgtm" label:"approved" label:"cncf-cla: yes" ' +
        '-label:"do-not-merge" -label:"do-not-merge/blocked-paths" -label:"do-not-merge/cherry-pick-not-approved" ' +
        '-label:"do-not-merge/contains-merge-commits" -label:"do-not-merge/hold" -label:"do-not-merge/invalid-commit-message" ' +
        '-label:"do-not-merge/invalid-owners-file" -label:"do-not-merge/needs-kind" -label:"do-not-merge/needs-sig" ' +
        '-label:"do-not-merge/release-note-label-needed" -label:"do-not-merge/work-in-progress" milestone:"v1.37" repo:"kubernetes/kubernetes"',
    );
  });

  it('keep Prow’s JSON field names, empty ones left out', () => {
    const [, , dependabot] = tideQueriesOf(TIDE_CONFIG);
    expect(JSON.stringify(prowTideQuery(dependabot!))).toBe(
      '{"author":"dependabot","labels":["lgtm,approved"],"reviewApprovedRequired":true,"orgs":["acme"],"excludedRepos":["acme/widgets"]}',
    );
    expect(prowTideQuery({ repos: ['a/b'], labels: [], author: '', reviewApprovedRequired: false })).toEqual({ repos: ['a/b'] });
  });

  it('never name a hidden repository or org: hidden ones are dropped, and a query left with none goes', () => {
    const shown = visibleTideQueries(tideQueriesOf(TIDE_CONFIG), repoVisibility(TIDE_CONFIG));
    expect(shown.map((query) => tideQueryString(query))).toEqual([
      'is:pr state:open archived:false label:"lgtm" label:"approved" -label:"do-not-merge/hold" -label:"needs-rebase" repo:"acme/widgets"',
      'is:pr state:open archived:false author:"dependabot" label:"lgtm","approved" review:approved org:"acme" -repo:"acme/widgets"',
    ]);
    expect(JSON.stringify(shown)).not.toMatch(/secret-org|acme\/private/);
  });
});
