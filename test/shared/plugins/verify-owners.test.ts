import { describe, expect, it } from 'vitest';
import {
  INVALID_OWNERS_LABEL,
  UNTRUSTED_NOTICE_START,
  verifyOwners,
  checkOwnersFile,
  invalidFilesReview,
  isVerifyOwnersCommand,
  newlyNamed,
  untrustedComment,
  untrustedReason,
  type TrustLookups,
} from '../../../shared/plugins/verify-owners';
import { issueComment, pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';
import { DEFAULT_OWNERS_FILENAMES } from '../../../shared/owners/owners';

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
    // As Prow: a review that comments on the file, not an issue comment.
    expect(botComments(h)).toEqual([]);
    const [review, ...more] = h.github.reviews(REPO, 5);
    expect(more).toEqual([]);
    expect(review).toMatchObject({ user: 'cutwater-bot', state: 'COMMENTED' });
    expect(review?.body).toMatch(/^@contributor: 1 OWNERS file is not valid/);
    const [note] = h.github.reviewComments(REPO, 5);
    expect(note).toMatchObject({ user: 'cutwater-bot', path: 'docs/OWNERS' });
    expect(note?.body).toMatch(/^The file cannot be parsed: /);
    expect(note?.position).toBeGreaterThanOrEqual(3);
  });

  it('removes the label and its report once the file is fixed', async () => {
    const h = await start(['docs/OWNERS']);
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice\n', HEAD);
    await push(h, HEAD, 'opened');
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice]\nreviewers: [alice]\n', FIXED);
    await push(h, FIXED);
    expect(h.github.labels(REPO, 5)).toEqual([]);
    expect(botComments(h)).toEqual([]);
    // GitHub keeps submitted reviews; only the first push's remains.
    expect(h.github.reviews(REPO, 5)).toHaveLength(1);
  });

  it('requires approvers in the root OWNERS file', async () => {
    const h = await start(['OWNERS']);
    h.github.setFile(REPO, 'OWNERS', 'reviewers: [alice]\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    expect(h.github.reviewComments(REPO, 5)).toMatchObject([{ path: 'OWNERS', body: 'The root OWNERS file must name at least one approver.' }]);
  });

  it("bans Prow's approved and lgtm labels unless the config says otherwise", async () => {
    const h = await start(['docs/OWNERS']);
    h.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice]\nlabels: [lgtm]\n', HEAD);
    await push(h, HEAD);
    expect(h.github.labels(REPO, 5)).toEqual([INVALID_OWNERS_LABEL]);
    expect(h.github.reviewComments(REPO, 5)[0]?.body).toContain('lgtm');

    const open = await start(['docs/OWNERS'], `${PLUGINS}owners:\n  labels_denylist: []\n`);
    open.github.setFile(REPO, 'docs/OWNERS', 'approvers: [alice]\nlabels: [lgtm]\n', HEAD);
    await push(open, HEAD);
    expect(open.github.labels(REPO, 5)).toEqual([]);
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

const options = { filenames: DEFAULT_OWNERS_FILENAMES, bannedLabels: ['approved', 'lgtm'] };

describe('checking an OWNERS file', () => {
  it('accepts a valid file and lists the people it names', () => {
    expect(checkOwnersFile('pkg/OWNERS', 'approvers: [alice]\nreviewers: [bob]\n', options)).toEqual({ owners: ['bob', 'alice'] });
  });

  it('reports YAML errors with their line', () => {
    const check = checkOwnersFile('pkg/OWNERS', 'approvers:\n- alice\nreviewers: [bob\n', options);
    expect(check.problem?.path).toBe('pkg/OWNERS');
    expect(check.problem?.line).toBeGreaterThanOrEqual(3);
    expect(check.problem?.message).toMatch(/^The file cannot be parsed: /);
  });

  it('refuses labels on the deny list, in either form', () => {
    expect(checkOwnersFile('pkg/OWNERS', 'approvers: [a]\nlabels: [lgtm, sig/x]\n', options).problem?.message).toContain('lgtm');
    expect(checkOwnersFile('pkg/OWNERS', 'filters:\n  ".*":\n    labels: [approved]\n', options).problem?.message).toContain('approved');
  });

  it('requires approvers in the root OWNERS file only', () => {
    expect(checkOwnersFile('OWNERS', 'reviewers: [bob]\n', options).problem?.message).toContain('must name at least one approver');
    expect(checkOwnersFile('pkg/OWNERS', 'reviewers: [bob]\n', options).problem).toBeUndefined();
  });

  it('flags filters that are not Go regexps', () => {
    expect(checkOwnersFile('pkg/OWNERS', 'filters:\n  "(unclosed":\n    approvers: [a]\n', options).problem?.message).toContain('not a valid Go regexp');
  });
});

describe('trusting new owners', () => {
  const members = new Set(['member']);
  const collaborators = new Set(['collaborator']);
  const lookups: TrustLookups = {
    isBot: (login) => login === 'cutwater-bot',
    isOrgMember: async (org, login) => (org === 'acme' ? members.has(login) : login === 'partner'),
    isCollaborator: async (login) => collaborators.has(login),
  };
  const rules = { onlyOrgMembers: false, trustedApps: ['renovate'], trustedOrg: undefined };

  it('trusts the bot, org members, collaborators and trusted apps', async () => {
    for (const login of ['cutwater-bot', 'member', 'collaborator', 'renovate[bot]']) {
      expect(await untrustedReason(login, 'acme', rules, lookups)).toBeUndefined();
    }
  });

  it('explains why someone is not trusted', async () => {
    expect(await untrustedReason('stranger', 'acme', rules, lookups)).toBe(
      'Is not a member of the acme organization, not a collaborator on this repository; any one of these would make them trusted.',
    );
  });

  it('trusts only org members when only_org_members is set, and the secondary org too', async () => {
    const strict = { ...rules, onlyOrgMembers: true, trustedOrg: 'partners' };
    expect(await untrustedReason('collaborator', 'acme', strict, lookups)).toContain('not a member of the partners organization');
    expect(await untrustedReason('partner', 'acme', strict, lookups)).toBeUndefined();
  });

  it('considers only the people a change adds', () => {
    expect(newlyNamed(['Alice', 'bob', 'carol'], ['alice', '@Bob'])).toEqual(['carol']);
  });
});

describe('comments', () => {
  it('reviews invalid files with a comment at each line, on the head it checked', () => {
    const review = invalidFilesReview(
      [
        { path: 'pkg/OWNERS', line: 3, message: 'The file cannot be parsed: x' },
        { path: 'OWNERS', line: 1, message: 'The root OWNERS file must name at least one approver.' },
      ],
      DEFAULT_OWNERS_FILENAMES,
      { author: 'contributor', body: 'Adds pkg owners', htmlUrl: 'https://github.com/acme/widgets/pull/5', headSha: HEAD },
    );
    expect(review.event).toBe('COMMENT');
    expect(review.commitId).toBe(HEAD);
    expect(review.body).toMatch(/^@contributor: 2 OWNERS files are not valid/);
    expect(review.comments).toEqual([
      { path: 'OWNERS', body: 'The root OWNERS file must name at least one approver.', position: 1 },
      { path: 'pkg/OWNERS', body: 'The file cannot be parsed: x', position: 3 },
    ]);
  });

  it('lists untrusted people with the reason and files, and how to fix it', () => {
    const text = untrustedComment([{ login: 'stranger', reason: 'Is not a member.', files: ['pkg/OWNERS'] }], 'acme', 'https://github.com/orgs/acme/people');
    expect(text).toContain('- stranger\n  - Is not a member.\n  - pkg/OWNERS');
    expect(text).toContain('`/verify-owners`');
  });

  it('reads /verify-owners', () => {
    expect(isVerifyOwnersCommand('/verify-owners')).toBe(true);
    expect(isVerifyOwnersCommand('/verify-owners now')).toBe(false);
  });
});
