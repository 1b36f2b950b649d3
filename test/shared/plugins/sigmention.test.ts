import { describe, expect, it } from 'vitest';
import { validatePluginConfig } from '../../../shared/config/plugin-config';
import { parseYamlSource } from '../../../shared/config/yaml-source';
import { compileGoRegexp } from '../../../shared/go/regexp';
import {
  DEFAULT_SIG_MENTION_REGEXP,
  planSigMentions,
  REPEATED_MENTIONS_INTRO,
  sigMention,
  sigMentionSection,
} from '../../../shared/plugins/sigmention';
import { issueComment } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const MEMBER = 'cjwagner';
const OUTSIDER = 'john';

interface Case {
  name: string;
  body: string;
  commenter: string;
  repoLabels: string[];
  issueLabels: string[];
  newLabels: string[];
  repeats: string[];
  settings?: string;
}

// Prow's cases (sigmention_test.go), through the whole plugin.
const CASES: Case[] = [
  {
    name: 'an org member mentioning a SIG gets its label and no repeat',
    body: '@kubernetes/sig-node-misc',
    commenter: MEMBER,
    repoLabels: ['area/infra', 'priority/urgent', 'sig/node'],
    issueLabels: [],
    newLabels: ['sig/node'],
    repeats: [],
  },
  {
    name: 'the bot’s own mentions are ignored',
    body: '@kubernetes/sig-node-misc',
    commenter: 'cutwater-bot',
    repoLabels: ['sig/node'],
    issueLabels: [],
    newLabels: [],
    repeats: [],
  },
  {
    name: 'an outsider’s mention is repeated, and -bugs adds kind/bug even with the SIG label there',
    body: '@kubernetes/sig-node-bugs',
    commenter: OUTSIDER,
    repoLabels: ['area/infra', 'sig/node', 'kind/bug'],
    issueLabels: ['sig/node'],
    newLabels: ['kind/bug'],
    repeats: ['@kubernetes/sig-node-bugs'],
  },
  {
    name: 'mentions of SIGs without a label in the repository are neither labelled nor repeated',
    body: '@kubernetes/sig-node-misc @kubernetes/sig-api-machinery-bugs',
    commenter: OUTSIDER,
    repoLabels: [],
    issueLabels: [],
    newLabels: [],
    repeats: [],
  },
  {
    name: 'nothing to do for a member when every label is there',
    body: '@kubernetes/sig-node-misc @kubernetes/sig-api-machinery-bugs',
    commenter: MEMBER,
    repoLabels: ['sig/node', 'sig/api-machinery', 'kind/bug'],
    issueLabels: ['sig/node', 'sig/api-machinery', 'kind/bug'],
    newLabels: [],
    repeats: [],
  },
  {
    name: 'several mentions on several lines among other text',
    body: 'Code Comment.  Design Review\n@kubernetes/sig-node-proposals\ncc @kubernetes/sig-api-machinery-bugs',
    commenter: OUTSIDER,
    repoLabels: ['area/infra', 'sig/node', 'sig/api-machinery', 'kind/bug', 'kind/design'],
    issueLabels: [],
    newLabels: ['sig/node', 'kind/design', 'sig/api-machinery', 'kind/bug'],
    repeats: ['@kubernetes/sig-node-proposals', '@kubernetes/sig-api-machinery-bugs'],
  },
  {
    name: 'mentions after commands, some labels present',
    body: '/area infra\n/priority urgent Design Review\n@kubernetes/sig-node-misc\ncc @kubernetes/sig-api-machinery-bugs',
    commenter: OUTSIDER,
    repoLabels: ['area/infra', 'priority/urgent', 'sig/node', 'sig/api-machinery', 'sig/testing', 'kind/bug'],
    issueLabels: ['sig/api-machinery', 'sig/testing'],
    newLabels: ['sig/node', 'kind/bug'],
    repeats: ['@kubernetes/sig-node-misc', '@kubernetes/sig-api-machinery-bugs'],
  },
  {
    name: 'a configured expression for teams without suffixes',
    body: '@openshift/sig-node',
    commenter: MEMBER,
    repoLabels: ['area/infra', 'sig/node'],
    issueLabels: [],
    newLabels: ['sig/node'],
    repeats: [],
    settings: 'sigmention:\n  regexp: (?m)@openshift/sig-([\\w-]*)\n',
  },
  {
    name: 'labels are matched without case and added as the repository spells them; kind labels only if the repository has them',
    body: '@kubernetes/sig-Node-feature-requests',
    commenter: MEMBER,
    repoLabels: ['SIG/Node'],
    issueLabels: [],
    newLabels: ['SIG/Node'],
    repeats: [],
  },
];

describe('sigmention plugin', () => {
  async function start(testCase: Pick<Case, 'repoLabels' | 'issueLabels' | 'settings'>): Promise<PluginHarness> {
    const harness = await startPluginHarness({
      plugins: `plugins:\n  acme:\n    plugins: [sigmention]\n${testCase.settings ?? ''}`,
      registry: [sigMention],
    });
    harness.github.addOrgMember('acme', MEMBER);
    harness.github.addOrgMember('acme', 'cutwater-bot');
    harness.github.addRepoLabels(REPO, testCase.repoLabels);
    harness.github.addIssue(REPO, { number: 1, author: 'reporter', labels: testCase.issueLabels });
    return harness;
  }

  it.each(CASES)('$name', async (testCase) => {
    const harness = await start(testCase);
    const outcome = await harness.deliver('issue_comment', issueComment({ commenter: testCase.commenter, comment: testCase.body, isPR: false, labels: testCase.issueLabels }));
    expect(outcome.failed).toEqual([]);
    expect(harness.github.labels(REPO, 1).sort()).toEqual([...testCase.issueLabels, ...testCase.newLabels].sort());
    const comments = harness.github.comments(REPO, 1);
    if (testCase.repeats.length === 0) {
      expect(comments).toEqual([]);
      return;
    }
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain(`@${testCase.commenter}: ${REPEATED_MENTIONS_INTRO}\n${testCase.repeats.join(', ')}`);
  });

  it('acts only on new comments', async () => {
    const harness = await start({ repoLabels: ['sig/node'], issueLabels: [] });
    await harness.deliver('issue_comment', issueComment({ commenter: OUTSIDER, comment: '@kubernetes/sig-node-bugs', isPR: false, action: 'edited' }));
    expect(harness.github.labels(REPO, 1)).toEqual([]);
    expect(harness.github.comments(REPO, 1)).toEqual([]);
  });

  it('repeats the mentions when membership cannot be checked', async () => {
    const harness = await start({ repoLabels: ['sig/node'], issueLabels: [] });
    harness.github.failNext('GET', /\/orgs\/acme\/members\//, { status: 500, body: { message: 'boom' } }, 10);
    await harness.deliver('issue_comment', issueComment({ commenter: MEMBER, comment: 'cc @kubernetes/sig-node-misc', isPR: false }));
    expect(harness.github.labels(REPO, 1)).toEqual(['sig/node']);
    expect(harness.github.comments(REPO, 1)).toHaveLength(1);
  });

  it('finds every match with its groups, as Go does', () => {
    const regexp = compileGoRegexp(DEFAULT_SIG_MENTION_REGEXP);
    expect(regexp.findAllSubmatches('@kubernetes/sig-node-bugs and @kubernetes/sig-api-machinery-misc')).toEqual([
      ['@kubernetes/sig-node-bugs', 'node', 'bugs'],
      ['@kubernetes/sig-api-machinery-misc', 'api-machinery', 'misc'],
    ]);
    expect(planSigMentions('@kubernetes/sig-node-bugs @kubernetes/sig-node-bugs', regexp, [], ['sig/node', 'kind/bug']).add).toEqual([
      'sig/node',
      'kind/bug',
    ]);
  });

  it('reports an expression that does not compile at its line', () => {
    const parsed = parseYamlSource('plugins.yaml', 'sigmention:\n  regexp: "(?m)@kubernetes/sig-("\n');
    if (!parsed.ok) throw new Error('test YAML does not parse');
    const { problems } = validatePluginConfig(parsed.source, { strict: true, sections: [sigMentionSection] });
    expect(problems.map((problem) => `${problem.line}: ${problem.message.split(':')[0]}`)).toEqual(['2: sigmention.regexp']);
  });
});
