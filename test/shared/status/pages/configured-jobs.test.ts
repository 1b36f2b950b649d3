import { describe, expect, it } from 'vitest';
import type { Config } from '../../../../shared/config/model';
import {
  configuredJobsBody as renderConfiguredJobs,
  configuredReposIndexBody as renderConfiguredReposIndex,
} from '../../../../shared/status/pages/configured-jobs';
import { buildFromFiles, expectLoaded, lineOf, yaml } from '../../../support/config';

/**
 * Deck's /configured-jobs pages, rendered from job configs loaded by the real loader (so defaults
 * such as the `/test <name>` trigger and decoration are the real ones): what a contributor asking
 * "which jobs run on my PR, and why?" sees.
 */

/** The pages' HTML as text, to search. */
function configuredJobsBody(...args: Parameters<typeof renderConfiguredJobs>): { title: string; body: string; found: boolean } {
  const rendered = renderConfiguredJobs(...args);
  return { ...rendered, body: String(rendered.body) };
}

function configuredReposIndexBody(...args: Parameters<typeof renderConfiguredReposIndex>): { title: string; body: string } {
  const rendered = renderConfiguredReposIndex(...args);
  return { ...rendered, body: String(rendered.body) };
}

const HOSTILE = '<img src=x onerror=alert(1)>';

const WIDGETS = yaml(`
  presubmits:
    acme/widgets:
    - name: pull-widgets-unit
      always_run: true
      decorate: true
      max_concurrency: 2
      spec:
        containers:
        - name: test
          image: golang:1.22
          command: [make]
          args: [test, "WHAT=./..."]
        - name: cache
          image: redis:7
          command: [redis-server]
    - name: pull-widgets-docs
      run_if_changed: '^docs/'
      optional: true
      branches: [main, 'release-\\d+']
      spec:
        containers:
        - image: node:22
          command: [npm, run, docs]
    - name: pull-widgets-e2e
      cluster: build-east
      skip_branches: [legacy]
      spec:
        containers:
        - image: e2e:latest
          command: [bash, -c]
          args:
          - |
            set -e
            ./hack/e2e.sh --provider=gce --nodes=3 --timeout=2h --skip='Flaky|Serial' --ginkgo.v
    - name: pull-widgets-lint
      skip_if_only_changed: '\\.md$|<b>'
      spec:
        containers:
        - image: busybox
    - name: pull-widgets-secret
      hidden: true
      always_run: true
      spec:
        containers:
        - image: busybox
  postsubmits:
    acme/widgets:
    - name: post-widgets-push
      branches: [main]
      spec:
        containers:
        - image: golang:1.22
          command: [make, release]
  periodics:
  - name: ci-widgets-nightly
    cron: '0 3 * * *'
    extra_refs:
    - org: acme
      repo: widgets
      base_ref: main
    spec:
      containers:
      - image: golang:1.22
  - name: ci-gadgets-hourly
    interval: 1h
    extra_refs:
    - org: acme
      repo: gadgets
      base_ref: main
    spec:
      containers:
      - image: busybox
`);

const config = expectLoaded(buildFromFiles({ jobs: { 'jobs/widgets.yaml': WIDGETS } }));

/**
 * The loader rejects such a name, but the page must not rely on that: a config snapshot is
 * published data, and a page that trusts it is one validation bug away from stored XSS.
 */
function withHostileName(base: Config): Config {
  const presubmits = new Map(base.presubmits);
  const jobs = presubmits.get('acme/widgets') ?? [];
  presubmits.set('acme/widgets', jobs.map((job) => (job.name === 'pull-widgets-lint' ? { ...job, name: HOSTILE } : job)));
  return { ...base, presubmits };
}

/** One job's table row, found by its name as rendered. */
function row(html: string, renderedName: string): string {
  const match = new RegExp(`<tr><th scope="row"><a href="[^"]*">${renderedName.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}</a>.*?</tr>`, 's').exec(html);
  if (!match) throw new Error(`no row for ${renderedName} in:\n${html}`);
  return match[0];
}

function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, ' ');
}

function sectionOf(html: string, id: string): string {
  const start = html.indexOf(`<section aria-labelledby="${id}">`);
  return start < 0 ? '' : html.slice(start, html.indexOf('</section>', start));
}

describe('/configured-jobs/<org>/<repo>', () => {
  const page = configuredJobsBody({ config, org: 'acme', repo: 'widgets' });

  it('lists the presubmits, postsubmits and the periodics that check the repository out', () => {
    expect(page.found).toBe(true);
    expect(page.title).toBe('Configured jobs: acme/widgets');
    expect(text(sectionOf(page.body, 'presubmits'))).toContain('Presubmits (4)');
    expect(sectionOf(page.body, 'postsubmits')).toContain('post-widgets-push');
    expect(sectionOf(page.body, 'periodics')).toContain('ci-widgets-nightly');
    expect(page.body).not.toContain('ci-gadgets-hourly');
  });

  it('leaves out hidden jobs', () => {
    expect(page.body).not.toContain('pull-widgets-secret');
  });

  it("shows each job's source file:line and links to its history", () => {
    const unit = row(page.body, 'pull-widgets-unit');
    expect(unit).toContain(`jobs/widgets.yaml:${lineOf(WIDGETS, 'name: pull-widgets-unit')}`);
    expect(unit).toContain('<a href="/job-history/pull-widgets-unit">');
    expect(row(page.body, 'ci-widgets-nightly')).toContain(`jobs/widgets.yaml:${lineOf(WIDGETS, 'name: ci-widgets-nightly')}`);
  });

  it('names sources from the job config root, never by an absolute server path', () => {
    const extra = yaml(`
      postsubmits:
        acme/widgets:
        - name: post-widgets-docs
          spec: {containers: [{image: busybox}]}
    `);
    const onServer = expectLoaded(
      buildFromFiles({ jobs: { '/tmp/cutwater-demo-x1/cli/demo/jobs/widgets.yaml': WIDGETS, '/tmp/cutwater-demo-x1/cli/demo/jobs/extra/docs.yaml': extra } }),
    );
    const shown = configuredJobsBody({ config: onServer, org: 'acme', repo: 'widgets' }).body;
    expect(row(shown, 'pull-widgets-unit')).toContain(`<span class="muted source">widgets.yaml:${lineOf(WIDGETS, 'name: pull-widgets-unit')}</span>`);
    expect(row(shown, 'post-widgets-docs')).toContain(`<span class="muted source">extra/docs.yaml:${lineOf(extra, 'name: post-widgets-docs')}</span>`);
    expect(shown).not.toContain('/tmp/');
    expect(shown).not.toContain('cutwater-demo-x1');
  });

  it('lets the image column wrap inside a bounded width instead of running off the page', () => {
    expect(page.body).toContain('<table class="configured-jobs"');
    expect(row(page.body, 'pull-widgets-unit')).toContain('<td class="hide-narrow image"><code>golang:1.22</code>');
  });

  it('says when a presubmit runs, whether it is required, and the command that triggers it', () => {
    const unit = text(row(page.body, 'pull-widgets-unit'));
    expect(unit).toContain('On every pull request');
    expect(unit).toContain('All branches');
    expect(unit).toContain('At most 2 at a time');
    expect(unit).toMatch(/Required Context pull-widgets-unit/);
    expect(unit).toContain('/test pull-widgets-unit');

    const docs = text(row(page.body, 'pull-widgets-docs'));
    expect(docs).toContain('When a changed file matches ^docs/');
    expect(docs).toContain('Branches main , release-\\d+');
    expect(docs).toContain('Optional');
    expect(docs).not.toContain('Required');

    const e2e = text(row(page.body, 'pull-widgets-e2e'));
    expect(e2e).toContain('Only on /test pull-widgets-e2e');
    expect(e2e).toContain('All branches except legacy');
    expect(e2e).toContain('build-east');
  });

  it('shows the images of every container and the command of the first', () => {
    const unit = row(page.body, 'pull-widgets-unit');
    expect(unit).toContain('<code>golang:1.22</code><br><code>redis:7</code>');
    expect(unit).toContain('<code>make test WHAT=./...</code>');
    expect(text(unit)).toMatch(/ yes $/);
    expect(text(row(page.body, 'pull-widgets-docs'))).toMatch(/ no $/);
    // An inline script folds away behind its first words, whole inside.
    const e2e = row(page.body, 'pull-widgets-e2e');
    expect(e2e).toMatch(/<details><summary><code>bash -c /);
    expect(e2e).toContain('./hack/e2e.sh --provider=gce');
  });

  it('says when postsubmits and periodics run', () => {
    expect(text(row(page.body, 'post-widgets-push'))).toContain('After every push Branches main');
    const nightly = text(row(page.body, 'ci-widgets-nightly'));
    expect(nightly).toContain('Cron 0 3 * * *');
    expect(nightly).toContain('Checks out acme/widgets@main');
  });

  it('escapes a hostile job name, and encodes it in the history link', () => {
    const body = configuredJobsBody({ config: withHostileName(config), org: 'acme', repo: 'widgets' }).body;
    expect(body).not.toContain(HOSTILE);
    const hostile = row(body, '&#60;img src=x onerror=alert(1)&#62;');
    expect(hostile).toContain(`href="/job-history/${encodeURIComponent(HOSTILE)}"`);
  });

  it('escapes text from the config such as file filters', () => {
    const lint = row(page.body, 'pull-widgets-lint');
    expect(lint).not.toContain('<b>');
    expect(text(lint)).toContain('Unless every changed file matches \\.md$|<b>');
  });

  it('finds the repository whatever the case of the URL', () => {
    expect(configuredJobsBody({ config, org: 'ACME', repo: 'Widgets' }).body).toContain('pull-widgets-unit');
  });

  it('answers "not found" for a hidden repository and for one without jobs', () => {
    const hidden = configuredJobsBody({ config, org: 'acme', repo: 'widgets', hidden: (repo) => repo === 'acme/widgets' });
    expect(hidden.found).toBe(false);
    expect(hidden.body).not.toContain('pull-widgets-unit');
    expect(text(hidden.body)).toContain('No jobs are configured for acme/widgets.');
    expect(configuredJobsBody({ config, org: 'acme', repo: 'nothing' }).found).toBe(false);
  });
});

describe('/configured-jobs', () => {
  it('lists each repository with jobs, linking to its page, with counts by type', () => {
    const { title, body } = configuredReposIndexBody(config);
    expect(title).toBe('Configured jobs');
    expect(body).toContain('<caption>');
    const widgets = /<tr><th scope="row"><a href="\/configured-jobs\/acme\/widgets">acme\/widgets<\/a><\/th>(.*?)<\/tr>/.exec(body);
    // The hidden presubmit is not counted.
    expect(widgets?.[1]).toBe('<td>4</td><td>1</td><td>1</td>');
    expect(body).toContain('<a href="/configured-jobs/acme/gadgets">acme/gadgets</a>');
  });

  it('leaves out repositories the pages must not name', () => {
    const { body } = configuredReposIndexBody(config, (repo) => repo !== 'acme/gadgets');
    expect(body).not.toContain('acme/gadgets');
    expect(body).toContain('acme/widgets');
  });
});
