import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../../shared/config/problems';
import { chooseLenses } from '../../../shared/status/lenses';
import { buildFromFiles, expectLoaded, lineOf, yaml } from '../../support/config';

/** `deck.spyglass.lenses` as Prow configs write it, and which lenses a run's files then get. */

const RUN_FILES = [
  'build-log.txt',
  'finished.json',
  'podinfo.json',
  'prowjob.json',
  'started.json',
  'artifacts/junit_01.xml',
  'artifacts/filtered.cov',
  'artifacts/filtered.html',
  'artifacts/screenshot.png',
  'artifacts/grafana.link.txt',
];

function spyglassOf(config: string) {
  return expectLoaded(buildFromFiles({ config })).prow.deck?.spyglass;
}

function shown(config: string, files = RUN_FILES): [string, string[]][] {
  return chooseLenses(spyglassOf(config), files).map(({ lens, paths }) => [lens.name, paths]);
}

describe('deck.spyglass.lenses', () => {
  // The shape of kubernetes/test-infra's config/prow/config.yaml.
  const PROW_STYLE = yaml(`
    deck:
      spyglass:
        size_limit: 100000000
        gcs_browser_prefix: https://gcsweb.example.com/gcs/
        lenses:
        - lens:
            name: metadata
          required_files:
          - ^(?:started|finished)\\.json$
          optional_files:
          - ^(?:podinfo|prowjob)\\.json$
        - lens:
            name: buildlog
            config: {highlight_regexes: [error]}
          required_files:
          - ^.*build-log\\.txt$
        - lens:
            name: junit
          required_files:
          - ^artifacts/junit.*\\.xml$
        - lens:
            name: coverage
          required_files:
          - ^artifacts/filtered\\.cov$
          optional_files:
          - ^artifacts/filtered\\.html$
        - lens:
            name: links
          required_files:
          - artifacts/.*\\.link\\.txt
        - lens:
            name: podinfo
            config: {runner_configs: {}}
          required_files:
          - ^podinfo\\.json$
        - lens:
            name: restcoverage
          required_files:
          - ^artifacts/rest-coverage\\.json$
  `);

  it('loads a Prow config and shows each lens with the files its regexps pick', () => {
    expect(shown(PROW_STYLE)).toEqual([
      ['metadata', ['finished.json', 'podinfo.json', 'prowjob.json', 'started.json']],
      ['links', ['artifacts/grafana.link.txt']],
      ['podinfo', ['podinfo.json']],
      ['coverage', ['artifacts/filtered.cov', 'artifacts/filtered.html']],
    ]);
  });

  it('leaves a lens out unless every required regexp matches a file', () => {
    const config = yaml(`
      deck:
        spyglass:
          lenses:
          - lens: {name: metadata}
            required_files: [^started\\.json$, ^finished\\.json$]
    `);
    expect(shown(config, ['started.json'])).toEqual([]);
    expect(shown(config, ['started.json', 'finished.json'])).toEqual([['metadata', ['finished.json', 'started.json']]]);
  });

  it('turns the deprecated viewers map into lenses, with the old viewer names', () => {
    const config = yaml(`
      deck:
        spyglass:
          viewers:
            "started.json|finished.json": [metadata-viewer]
            "artifacts/.*\\\\.png": [images]
    `);
    expect(shown(config)).toEqual([
      ['metadata', ['finished.json', 'started.json']],
      ['images', ['artifacts/screenshot.png']],
    ]);
  });

  it('uses every lens with its defaults when nothing is configured', () => {
    expect(shown('').map(([name]) => name)).toEqual(['metadata', 'links', 'images', 'html', 'podinfo', 'coverage']);
    expect(shown('', ['build-log.txt', 'started.json']).map(([name]) => name)).toEqual(['metadata', 'links']);
    const withReport = shown('', [...RUN_FILES, 'artifacts/report/index.html']);
    expect(withReport.find(([name]) => name === 'html')).toEqual(['html', ['artifacts/filtered.html', 'artifacts/report/index.html']]);
    // Links lists every file.
    expect(withReport.find(([name]) => name === 'links')?.[1]).toHaveLength(RUN_FILES.length + 1);
  });

  it('refuses regexps that do not compile, naming the line', () => {
    const text = yaml(`
      deck:
        spyglass:
          lenses:
          - lens: {name: html}
            required_files:
            - artifacts/(.*\\.html
    `);
    const result = buildFromFiles({ config: text });
    expect(result.ok).toBe(false);
    const problems = result.ok ? [] : result.problems.map(formatProblem);
    expect(problems).toEqual([expect.stringContaining(`config.yaml:${lineOf(text, 'artifacts/(')}: deck.spyglass.lenses[0].required_files[0]: invalid regex`)]);
  });

  it('refuses a lens entry without a name', () => {
    const result = buildFromFiles({ config: yaml(`
      deck:
        spyglass:
          lenses:
          - required_files: [a]
    `) });
    expect(result.ok).toBe(false);
  });
});
