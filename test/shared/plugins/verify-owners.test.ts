import { describe, expect, it } from 'vitest';
import { INVALID_OWNERS_LABEL, UNTRUSTED_NOTICE_START, verifyOwners } from '../../../shared/plugins/verify-owners';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const PLUGINS = `
plugins:
  acme/widgets:
    plugins: [verify-owners]
`;
const HEAD = '1'.repeat(40);
const FIXED = '2'.repeat(40);

describe('verify-owners plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(files: string[], plugins = PLUGINS): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins, registry: [verifyOwners] });
    const { github } = harness;
    github.addOrgMember('acme', 'alice');
    github.setFile(REPO, 'OWNERS', 'approvers: [alice]\n');
    github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice]\n');
    github.addPullRequest(REPO, { number: 5, author: 'contributor', headSha: HEAD, files: files.map((filename) => ({ filename })) });
    return harness;
  }

  function push(h: PluginHarness, sha: string, action: 'opened' | 'synchronize' = 'synchronize') {
    return h.deliver('pull_request', pullRequest(action, { number: 5, author: 'contributor', headSha: sha }));
  }

  function botComments(h: PluginHarness): string[] {
    return h.github.comments(REPO, 5).filter((entry) => entry.user === 'cutwater-bot').map((entry) => entry.body);
  }

  it('labels a PR whose OWNERS file does not parse, and says where', async () => {
    const h = await start(['docs/OWNERS']);
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers:\n- alice\nreviewers: [bob\n', HEAD);
    const outcome = await push(h, HEAD, 'opened');
    expect(outcome.failed).toEqual([]);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    const [report] = botComments(h);
    expect(report).toMatch(/^@contributor: 1 OWNERS file is not valid:/);
    expect(report).toMatch(/- `docs\/OWNERS` \(line \d+\): The file cannot be parsed: /);
  });

  it('removes the label and its report once the file is fixed', async () => {
    const h = await start(['docs/OWNERS']);
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice\n', HEAD);
    await push(h, HEAD, 'opened');
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice]\nreviewers: [alice]\n', FIXED);
    await push(h, FIXED);
    expect(h.github.labels(REPO, 5)).toEqual([]);
    expect(botComments(h)).toEqual([]);
  });

  it('requires approvers in the root OWNERS file', async () => {
    const h = await start(['OWNERS']);
    h.github.setFile(REPO, 'OWNERS', 'reviewers: [alice]\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    expect(botComments(h)[0]).toContain('The root OWNERS file must name at least one approver.');
  });

  it('refuses labels on the deny list', async () => {
    const h = await start(['docs/OWNERS'], `${PLUGINS}owners:\n  labels_denylist: [approved]\n`);
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice]\nlabels: [approved]\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
  });

  it('flags newly added owners who are not trusted until they join the org', async () => {
    const h = await start(['docs/OWNERS']);
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice, stranger]\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    const [notice] = botComments(h);
    expect(notice?.startsWith(UNTRUSTED_NOTICE_START)).toBe(true);
    expect(notice).toContain('- stranger\n  - Is not a member of the acme organization');
    expect(notice).toContain('  - docs/OWNERS');

    h.github.addOrgMember('acme', 'stranger');
    h.github.addComment(REPO, 5, 'alice', '/verify-owners');
    await h.deliver('issue_comment', issueComment({ number: 5, author: 'contributor', commenter: 'alice', comment: '/verify-owners' }));
    expect(h.github.labels(REPO, 5)).toEqual([]);
    expect(botComments(h)).toEqual([]);
  });

  it('checks people added to OWNERS_ALIASES', async () => {
    const h = await start(['OWNERS_ALIASES']);
    h.github.setFile(REPO, 'OWNERS_ALIASES', 'aliases:\n  leads: [alice]\n');
    h.github.setFile(REPO, 'OWNERS_ALIASES', 'aliases:\n  leads: [alice, newcomer]\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    expect(botComments(h)[0]).toContain('- newcomer');
  });

  it('labels a PR that leaves OWNERS_ALIASES invalid', async () => {
    const h = await start(['OWNERS_ALIASES']);
    h.github.setFile(REPO, 'OWNERS_ALIASES', 'aliases:\n  leads: alice\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    expect(botComments(h)[0]).toContain('OWNERS_ALIASES');
  });

  it('does nothing for PRs that change no OWNERS files', async () => {
    const h = await start(['src/main.go']);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([]);
    expect(botComments(h)).toEqual([]);
  });
});
