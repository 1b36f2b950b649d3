import { describe, expect, it } from 'vitest';
import {
  welcome,
  DEFAULT_WELCOME_TEMPLATE,
  renderWelcome,
  shouldWelcome,
  WelcomeTemplateError,
  type WelcomeDecisionInput,
} from '../../../shared/plugins/welcome';
import { yaml } from '../../support/config';
import { pullRequest } from '../../support/payloads';
import { startPluginHarness, type PluginHarness } from '../../support/plugin-harness';

const REPO = 'acme/widgets';
const ENABLED = yaml(`
  plugins:
    acme/widgets:
      plugins: [welcome]
`);

describe('welcome plugin', () => {
  let harness: PluginHarness | undefined;

  async function start(extra = ''): Promise<PluginHarness> {
    harness = await startPluginHarness({ plugins: ENABLED + extra, registry: [welcome] });
    return harness;
  }

  it("greets a newcomer's first pull request with the default message", async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'newbie' });
    const outcome = await deliver('pull_request', pullRequest('opened', { number: 1, author: 'newbie' }));
    expect(outcome.failed).toEqual([]);
    const [greeting] = github.comments(REPO, 1);
    expect(greeting?.body).toBe(
      'Hi @newbie, and welcome! This appears to be your first pull request to acme/widgets 🎉',
    );
    expect(greeting?.user).toBe('cutwater-bot');
  });

  it('does not greet someone who has opened pull requests here before', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'regular' });
    github.addPullRequest(REPO, { number: 2, author: 'regular' });
    await deliver('pull_request', pullRequest('opened', { number: 2, author: 'regular' }));
    expect(github.comments(REPO, 2)).toEqual([]);
  });

  it('does not greet someone whose earlier pull request is all search finds yet', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'regular' });
    github.addPullRequest(REPO, { number: 2, author: 'regular' });
    // GitHub has not indexed the new PR: search finds only the earlier one.
    github.leaveOutOfSearch(REPO, 2);
    await deliver('pull_request', pullRequest('opened', { number: 2, author: 'regular' }));
    expect(github.comments(REPO, 2)).toEqual([]);
  });

  it('greets a newcomer whose pull request search does not find yet', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'newbie' });
    github.leaveOutOfSearch(REPO, 1);
    await deliver('pull_request', pullRequest('opened', { number: 1, author: 'newbie' }));
    expect(github.comments(REPO, 1)).toHaveLength(1);
  });

  it('does not greet org members or collaborators', async () => {
    const { github, deliver } = await start();
    github.addOrgMember('acme', 'member');
    github.addCollaborator(REPO, 'helper');
    github.addPullRequest(REPO, { number: 1, author: 'member' });
    github.addPullRequest(REPO, { number: 2, author: 'helper' });
    await deliver('pull_request', pullRequest('opened', { number: 1, author: 'member' }));
    await deliver('pull_request', pullRequest('opened', { number: 2, author: 'helper' }));
    expect(github.comments(REPO, 1)).toEqual([]);
    expect(github.comments(REPO, 2)).toEqual([]);
  });

  it("uses the repository's template over its org's, filling in the fields", async () => {
    const { github, deliver } = await start(yaml(`
      welcome:
      - repos: [acme]
        message_template: Org greeting for {{.AuthorLogin}}
      - repos: [acme/widgets]
        message_template: "Thanks @{{.AuthorLogin}}! {{.Org}}/{{.Repo}} is glad to have you."
    `));
    github.addPullRequest(REPO, { number: 1, author: 'newbie' });
    await deliver('pull_request', pullRequest('opened', { number: 1, author: 'newbie' }));
    expect(github.comments(REPO, 1).map((comment) => comment.body)).toEqual([
      'Thanks @newbie! acme/widgets is glad to have you.',
    ]);
  });

  it('with always_post greets everyone, members and regulars included', async () => {
    const { github, deliver } = await start(yaml(`
      welcome:
      - repos: [acme/widgets]
        always_post: true
    `));
    github.addOrgMember('acme', 'member');
    github.addPullRequest(REPO, { number: 1, author: 'member' });
    github.addPullRequest(REPO, { number: 2, author: 'member' });
    await deliver('pull_request', pullRequest('opened', { number: 2, author: 'member' }));
    expect(github.comments(REPO, 2)).toHaveLength(1);
  });

  it('ignores pull requests opened by bots without searching for them', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'renovate[bot]' });
    await deliver('pull_request', pullRequest('opened', { number: 1, author: 'renovate[bot]' }));
    expect(github.comments(REPO, 1)).toEqual([]);
    expect(github.requests.filter((request) => request.path.startsWith('/search'))).toEqual([]);
  });

  it('only greets newly opened pull requests', async () => {
    const { github, deliver } = await start();
    github.addPullRequest(REPO, { number: 1, author: 'newbie' });
    await deliver('pull_request', pullRequest('reopened', { number: 1, author: 'newbie' }));
    expect(github.comments(REPO, 1)).toEqual([]);
  });
});

const info = { Org: 'acme', Repo: 'widgets', AuthorLogin: 'newbie', AuthorName: 'New Person' };

describe('welcome template', () => {
  it('fills in the four fields Prow offers, with or without spaces inside the braces', () => {
    expect(renderWelcome('Hi {{.AuthorName}} (@{{ .AuthorLogin }}), thanks for {{.Org}}/{{.Repo}}!', info)).toBe(
      'Hi New Person (@newbie), thanks for acme/widgets!',
    );
  });

  it('renders the default greeting with the author and repository', () => {
    const message = renderWelcome(DEFAULT_WELCOME_TEMPLATE, info);
    expect(message).toContain('@newbie');
    expect(message).toContain('acme/widgets');
    expect(message).not.toContain('{{');
  });

  it('escapes values as Go html/template does, so a name cannot inject markup', () => {
    expect(renderWelcome('{{.AuthorName}}', { ...info, AuthorName: `<b>O'Neil & "Co"+</b>` })).toBe(
      '&lt;b&gt;O&#39;Neil &amp; &#34;Co&#34;&#43;&lt;/b&gt;',
    );
  });

  it('fails on template actions it cannot evaluate rather than posting them half-rendered', () => {
    expect(() => renderWelcome('Hi {{.Email}}', info)).toThrow(WelcomeTemplateError);
    expect(() => renderWelcome('{{if .AuthorName}}x{{end}}', info)).toThrow(WelcomeTemplateError);
  });
});

describe('who is welcomed', () => {
  const decide = (overrides: Partial<WelcomeDecisionInput>, asked: string[] = []) =>
    shouldWelcome({
      authorType: 'User',
      alwaysPost: false,
      isTrusted: () => {
        asked.push('trust');
        return Promise.resolve(false);
      },
      number: 7,
      authoredPullRequests: () => {
        asked.push('search');
        return Promise.resolve({ count: 1, numbers: [7] });
      },
      ...overrides,
    });

  it('welcomes an untrusted author whose only pull request here is this one', async () => {
    expect(await decide({})).toBe(true);
    expect(await decide({ authoredPullRequests: () => Promise.resolve({ count: 0, numbers: [] }) })).toBe(true);
  });

  it('does not welcome an author whose one pull request found is another one', async () => {
    expect(await decide({ authoredPullRequests: () => Promise.resolve({ count: 1, numbers: [3] }) })).toBe(false);
  });

  it('does not welcome someone who has opened pull requests here before', async () => {
    expect(await decide({ authoredPullRequests: () => Promise.resolve({ count: 2, numbers: [] }) })).toBe(false);
  });

  it('does not welcome trusted people, and does not search for them', async () => {
    const asked: string[] = [];
    expect(await decide({ isTrusted: () => Promise.resolve(true) }, asked)).toBe(false);
    expect(asked).toEqual([]);
  });

  it('never welcomes bots, and asks nothing about them', async () => {
    const asked: string[] = [];
    expect(await decide({ authorType: 'Bot', alwaysPost: true }, asked)).toBe(false);
    expect(asked).toEqual([]);
  });

  it('with always_post welcomes everyone else without asking', async () => {
    const asked: string[] = [];
    expect(
      await decide({ alwaysPost: true, isTrusted: () => Promise.resolve(true), authoredPullRequests: () => Promise.resolve({ count: 9, numbers: [] }) }, asked),
    ).toBe(true);
    expect(asked).toEqual([]);
  });
});
