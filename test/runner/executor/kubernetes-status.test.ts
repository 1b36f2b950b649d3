import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { apiFailureOf, failedTo } from '../../../runner/executor/kubernetes-status';

/** Failed Kubernetes API calls, read as their HTTP code and Status, and said in one line. */
describe('Kubernetes API failures', () => {
  const status = JSON.stringify({ kind: 'Status', code: 409, reason: 'AlreadyExists', message: 'pods "job-a" already exists' });

  it('reads the code and Status of a failed call, and the code alone from a body that is not a Status', () => {
    expect(apiFailureOf(new ApiException(409, 'conflict', status, {}))).toEqual({ code: 409, reason: 'AlreadyExists', message: 'pods "job-a" already exists' });
    expect(apiFailureOf(new ApiException(502, 'bad gateway', '<html>Bad Gateway</html>', {}))).toEqual({ code: 502, reason: undefined, message: undefined });
    expect(apiFailureOf(new Error('connect ECONNREFUSED'))).toBeUndefined();
  });

  it('says what was being done and why it failed, keeping the original as the cause', () => {
    const original = new ApiException(409, 'conflict', status, { 'content-type': 'application/json' });
    const error = failedTo('creating pod job-a in namespace test-pods', original);
    expect(error.message).toBe('creating pod job-a in namespace test-pods: 409 AlreadyExists: pods "job-a" already exists');
    expect(error.cause).toBe(original);
    expect(failedTo('listing pods', new Error('socket hang up')).message).toBe('listing pods: socket hang up');
  });
});
