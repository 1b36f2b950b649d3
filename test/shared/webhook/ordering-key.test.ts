import { describe, expect, it } from 'vitest';
import { orderingKeyOf } from '../../../shared/webhook/ordering-key';
import { issue, issueComment, pullRequest, pullRequestReview, push } from '../../support/payloads';

describe('ordering key of a delivery', () => {
  it('is <owner>/<repo>#<number> for deliveries about one issue or pull request', () => {
    expect(orderingKeyOf(issueComment({ number: 7, commenter: 'alice', comment: '/hold' }))).toBe('acme/widgets#7');
    expect(orderingKeyOf(issueComment({ number: 12, commenter: 'alice', comment: '/close', isPR: false }))).toBe('acme/widgets#12');
    expect(orderingKeyOf(issue('opened', { number: 12 }))).toBe('acme/widgets#12');
    expect(orderingKeyOf(pullRequest('synchronize', { number: 7 }))).toBe('acme/widgets#7');
    expect(orderingKeyOf(pullRequestReview({ number: 7, reviewer: 'bob', reviewState: 'approved' }))).toBe('acme/widgets#7');
    const reviewComment = { action: 'created', repository: { full_name: 'acme/widgets' }, pull_request: { number: 7 }, comment: { body: '/lgtm' } };
    expect(orderingKeyOf(reviewComment)).toBe('acme/widgets#7');
  });

  it('gives a PR’s comments and its own events the same key, so they are handled in one order', () => {
    const comment = issueComment({ number: 7, commenter: 'alice', comment: '/lgtm' });
    expect(orderingKeyOf(comment)).toBe(orderingKeyOf(pullRequest('labeled', { number: 7, label: 'lgtm' })));
  });

  it('ignores the case of owner and repository names, as GitHub does', () => {
    expect(orderingKeyOf(issueComment({ repo: 'Acme/Widgets', number: 7, commenter: 'alice', comment: '/hold' }))).toBe('acme/widgets#7');
  });

  it('is absent for deliveries about no single issue or pull request, which run in parallel', () => {
    expect(orderingKeyOf(push())).toBeUndefined();
    expect(orderingKeyOf({ action: 'created', installation: { id: 1 } })).toBeUndefined();
    expect(orderingKeyOf({ repository: { full_name: 'acme/widgets' }, issue: { number: 'seven' } })).toBeUndefined();
    expect(orderingKeyOf({ repository: { full_name: 'acme/widgets' }, pull_request: null, issue: { number: 7 } })).toBeUndefined();
    expect(orderingKeyOf({ repository: [], issue: { number: 7 } })).toBeUndefined();
  });
});
