import { describe, expect, it } from 'vitest';
import { loginOf, payloadProblems } from '../../../shared/plugins/delivery-check';
import { issue, issueComment, pullRequest, pullRequestReview, push } from '../../support/payloads';

describe('the payload check where a delivery enters the plugins', () => {
  it('passes the payloads GitHub sends, for every event plugins read', () => {
    expect(payloadProblems('issue_comment', issueComment({ commenter: 'alice', comment: '/hold' }))).toBeUndefined();
    expect(payloadProblems('pull_request', pullRequest('opened'))).toBeUndefined();
    expect(payloadProblems('pull_request', pullRequest('closed'))).toBeUndefined();
    expect(payloadProblems('issues', issue('opened'))).toBeUndefined();
    expect(payloadProblems('pull_request_review', pullRequestReview({ reviewer: 'alice', reviewState: 'approved' }))).toBeUndefined();
    expect(payloadProblems('push', push())).toBeUndefined();
  });

  it('names each missing or mistyped field plugins read', () => {
    const payload = pullRequest('opened');
    const pr = payload['pull_request'] as Record<string, unknown>;
    delete pr['html_url'];
    pr['number'] = 'seven';
    const problems = payloadProblems('pull_request', payload);
    expect(problems).toContain('pull_request.html_url');
    expect(problems).toContain('pull_request.number');
  });

  it('refuses a comment without its author, which every command plugin reads', () => {
    const payload = issueComment({ commenter: 'alice', comment: '/lgtm' });
    delete (payload['comment'] as Record<string, unknown>)['user'];
    expect(payloadProblems('issue_comment', payload)).toBe('missing comment.user');
  });

  it('refuses a body that is not an object at all', () => {
    expect(payloadProblems('issue_comment', 'not a payload')).toMatch(/^\(payload\): /);
  });

  it('leaves events no plugin reads alone', () => {
    expect(payloadProblems('check_run', {})).toBeUndefined();
  });

  it('reads a login from a user, and nothing from the null user the types allow', () => {
    expect(loginOf({ login: 'alice' })).toBe('alice');
    expect(loginOf(null)).toBe('');
  });
});
