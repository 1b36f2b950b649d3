import { describe, expect, it } from 'vitest';
import { welcome } from '../../../shared/plugins/welcome';
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
