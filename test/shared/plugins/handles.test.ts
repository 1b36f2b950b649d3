import { describe, expect, it } from 'vitest';
import { issueHandle, repositoryHandle } from '../../../shared/plugins/handles';
import type { PluginGitHub } from '../../../shared/plugins/plugin-github';

/** A PluginGitHub that records each call as "operation(arguments)". */
function recordingGitHub(): { github: PluginGitHub; calls: string[] } {
  const calls: string[] = [];
  const github = new Proxy({} as PluginGitHub, {
    get: (_target, name) => (...args: unknown[]) => {
      calls.push(`${String(name)}(${args.map((arg) => JSON.stringify(arg)).join(', ')})`);
      return Promise.resolve(undefined);
    },
  });
  return { github, calls };
}

describe('bound issue and repository operations', () => {
  it('puts the issue’s org, repo and number in front of the arguments a plugin gives', async () => {
    const { github, calls } = recordingGitHub();
    const issue = issueHandle(github, { org: 'acme', repo: 'widgets', number: 7 });
    expect({ org: issue.org, repo: issue.repo, number: issue.number }).toEqual({ org: 'acme', repo: 'widgets', number: 7 });
    await issue.addLabels(['lgtm']);
    await issue.createComment('hello');
    await issue.listIssueLabels();
    expect(calls).toEqual([
      'addLabels("acme", "widgets", 7, ["lgtm"])',
      'createComment("acme", "widgets", 7, "hello")',
      'listIssueLabels("acme", "widgets", 7)',
    ]);
  });

  it('puts the repository’s org and repo in front, and reaches its other issues', async () => {
    const { github, calls } = recordingGitHub();
    const repository = repositoryHandle(github, { org: 'acme', repo: 'widgets' });
    await repository.getFileContent('OWNERS', 'main');
    await repository.deleteComment(99);
    await repository.issue(8).removeLabel('needs-rebase');
    expect(calls).toEqual([
      'getFileContent("acme", "widgets", "OWNERS", "main")',
      'deleteComment("acme", "widgets", 99)',
      'removeLabel("acme", "widgets", 8, "needs-rebase")',
    ]);
  });
});
