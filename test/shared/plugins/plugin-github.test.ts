import { describe, expect, it } from 'vitest';
import type { GitHubClient, IssueComment } from '../../../shared/github/client';
import { pluginGitHubOf } from '../../../shared/plugins/plugin-github';

describe('the GitHub plugins see', () => {
  const comment: IssueComment = { id: 1, body: 'hi', user: { login: 'bot' }, created_at: '', updated_at: '' };
  const client = {
    createComment: () => Promise.resolve(comment),
    listIssueLabels: () => Promise.resolve(['lgtm']),
    getCombinedStatus: () => Promise.reject(new Error('not for plugins to see here')),
  } as unknown as GitHubClient;

  it('passes reads through, and answers writes with nothing a plugin could wait on', async () => {
    const github = pluginGitHubOf(client);
    expect(await github.listIssueLabels('acme', 'widgets', 7)).toEqual(['lgtm']);
    expect(await github.createComment('acme', 'widgets', 7, 'hi')).toBeUndefined();
  });

  it('cuts any comment a plugin writes to what GitHub takes, saying so', async () => {
    const written: string[] = [];
    const recording = {
      createComment: (_owner: string, _repo: string, _number: number, body: string) => (written.push(body), Promise.resolve(comment)),
      editComment: (_owner: string, _repo: string, _id: number, body: string) => (written.push(body), Promise.resolve()),
    } as unknown as GitHubClient;
    const github = pluginGitHubOf(recording);
    await github.createComment('acme', 'widgets', 7, 'a'.repeat(70_000));
    await github.editComment('acme', 'widgets', 1, 'b'.repeat(70_000));
    await github.createComment('acme', 'widgets', 7, 'short');
    expect(written.map((body) => body.length <= 65_536)).toEqual([true, true, true]);
    expect(written[0]).toMatch(/^a+… \([\d,]+ characters not shown\)$/);
    expect(written[2]).toBe('short');
  });

  it('holds the plugin operations only', () => {
    const operations = Object.keys(pluginGitHubOf(client));
    expect(operations).toHaveLength(44);
    expect(operations).not.toContain('clientForInstallation');
  });
});
