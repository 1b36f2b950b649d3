import { describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../support/fake-github';
import { duplicatedEffects, earliestFinish } from './burst-figures';

/** The burst bench's yardsticks: if they were wrong, its figures would be too. */

describe('the least time GitHub’s limits allow', () => {
  it('sends serially, each write taking its time, from when it was released', () => {
    expect(earliestFinish([0, 0, 0], 200, [])).toBe(600);
    expect(earliestFinish([0, 1_000], 200, [])).toBe(1_200);
  });

  it('holds a request until the sliding window has room', () => {
    // Two a minute: the third waits for the first to leave the window, the fourth for the second.
    expect(earliestFinish([0, 0, 0, 0], 10, [{ max: 2, ms: 60_000 }])).toBe(60_010 + 10);
    // The longer window binds once the shorter has room.
    expect(earliestFinish([0, 0, 0], 10, [{ max: 2, ms: 100 }, { max: 2, ms: 1_000 }])).toBe(1_010);
  });
});

function request(method: string, path: string, body: unknown, status = 201): RecordedRequest {
  return { method, path, query: {}, body, authorization: undefined, route: undefined, status, ifNoneMatch: undefined };
}

describe('duplicated effects', () => {
  it('counts a label added again only when nothing removed it in between', () => {
    const found = duplicatedEffects([
      request('POST', '/repos/a/b/issues/1/labels', { labels: ['lgtm'] }, 200),
      request('DELETE', '/repos/a/b/issues/1/labels/lgtm', undefined, 200),
      request('POST', '/repos/a/b/issues/1/labels', { labels: ['lgtm'] }, 200),
      request('POST', '/repos/a/b/issues/1/labels', { labels: ['LGTM', 'do-not-merge/hold'] }, 200),
      request('DELETE', '/repos/a/b/issues/1/labels/do-not-merge%2Fhold', undefined, 200),
      request('POST', '/repos/a/b/issues/1/labels', { labels: ['do-not-merge/hold'] }, 200),
    ]);
    expect(found.labels).toBe(1);
  });

  it('counts a comment posted twice, a person assigned twice and an identical status, but not refused writes', () => {
    const status = (state: string, link: string) => ({ state, context: 'unit', description: 'Job triggered.', target_url: link });
    const sha = 'a'.repeat(40);
    const found = duplicatedEffects([
      request('POST', '/repos/a/b/issues/1/comments', { body: 'hi' }),
      request('POST', '/repos/a/b/issues/2/comments', { body: 'hi' }),
      request('POST', '/repos/a/b/issues/1/comments', { body: 'hi' }),
      request('POST', '/repos/a/b/issues/1/assignees', { assignees: ['rev'] }),
      request('DELETE', '/repos/a/b/issues/1/assignees', { assignees: ['rev'] }, 200),
      request('POST', '/repos/a/b/issues/1/assignees', { assignees: ['rev'] }),
      request('POST', '/repos/a/b/issues/1/assignees', { assignees: ['rev'] }),
      request('POST', `/repos/a/b/statuses/${sha}`, status('pending', 'https://ci/1')),
      request('POST', `/repos/a/b/statuses/${sha}`, status('pending', 'https://ci/2')),
      request('POST', `/repos/a/b/statuses/${sha}`, status('pending', 'https://ci/2')),
      request('POST', `/repos/a/b/statuses/${sha}`, status('pending', 'https://ci/2'), 403),
    ]);
    expect(found).toMatchObject({ comments: 1, assignees: 1, statuses: 1 });
  });
});
