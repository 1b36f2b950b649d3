import { describe, expect, it } from 'vitest';
import { loadRepoOwners } from '../../../shared/owners/owners';
import {
  blunderbussSettings,
  isAutoCcCommand,
  mentionsCc,
  selectReviewers,
  type BlunderbussSettings,
} from '../../../shared/plugins/blunderbuss';

const REPO: Record<string, string> = {
  OWNERS: 'approvers: [root-approver]\nreviewers: [root-reviewer]\n',
  'api/OWNERS': 'approvers: [api-approver]\nreviewers: [api-one, api-two]\n',
  'docs/OWNERS': 'reviewers: [docs-reviewer]\n',
  'security/OWNERS': 'approvers: [sec-approver]\nrequired_reviewers: [security-officer]\n',
  'tools/OWNERS': 'options:\n  no_parent_owners: true\napprovers: [tools-approver]\n',
};

const first = () => 0;
const last = () => 0.999;

async function select(
  files: string[],
  options: { author?: string; random?: () => number; settings?: Partial<BlunderbussSettings> } = {},
): Promise<string[]> {
  return selectReviewers({
    owners: await loadRepoOwners({ readFile: async (file) => REPO[file], paths: files }),
    files,
    author: options.author ?? 'contributor',
    settings: { ...blunderbussSettings({}), ...options.settings },
    random: options.random ?? first,
  });
}

describe('choosing reviewers', () => {
  it('defaults to two reviewers', () => {
    expect(blunderbussSettings({}).requestCount).toBe(2);
    expect(blunderbussSettings({ blunderbuss: { request_count: 3, exclude_approvers: true } })).toMatchObject({
      requestCount: 3,
      excludeApprovers: true,
    });
  });

  it('draws one nearest reviewer from each OWNERS file the change touches', async () => {
    expect(await select(['api/server.go', 'docs/intro.md'])).toEqual(['api-one', 'docs-reviewer']);
    expect(await select(['api/server.go', 'docs/intro.md'], { random: last })).toEqual(['api-two', 'docs-reviewer']);
  });

  it('tops up from the nearest reviewers, then from reviewers further up', async () => {
    expect(await select(['api/server.go'])).toEqual(['api-one', 'api-two']);
    expect(await select(['api/server.go'], { settings: { requestCount: 3 } })).toEqual(['api-one', 'api-two', 'root-reviewer']);
  });

  it('never asks the author', async () => {
    expect(await select(['api/server.go'], { author: 'API-One' })).toEqual(['api-two', 'root-reviewer']);
  });

  it('falls back to approvers when reviewers run out, unless approvers are excluded', async () => {
    // tools/OWNERS names no reviewers, so no_parent_owners does not stop the search for them.
    expect(await select(['tools/build.sh'])).toEqual(['root-reviewer', 'tools-approver']);
    expect(await select(['tools/build.sh'], { settings: { excludeApprovers: true } })).toEqual(['root-reviewer']);
  });

  it('caps the request at max_request_count but always adds required reviewers', async () => {
    expect(await select(['api/a.go', 'docs/b.md', 'security/c.go'], { settings: { maxRequestCount: 1 } })).toEqual([
      'api-one',
      'security-officer',
    ]);
  });

  it('asks nobody when a request count of zero is configured', async () => {
    expect(await select(['api/a.go'], { settings: { requestCount: 0 } })).toEqual([]);
  });
});

describe('commands and opt-outs', () => {
  it('sees a /cc in the PR description', () => {
    expect(mentionsCc('Please review\n/cc @alice @bob')).toBe(true);
    expect(mentionsCc('/uncc @alice')).toBe(true);
    expect(mentionsCc('cc @alice')).toBe(false);
  });

  it('reads /auto-cc', () => {
    expect(isAutoCcCommand('/auto-cc')).toBe(true);
    expect(isAutoCcCommand('/auto-cc please')).toBe(false);
  });
});
