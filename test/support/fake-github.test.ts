import { afterEach, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from './fake-github';

/**
 * The fake's secondary limits with compressed windows, which the burst bench relies on: a
 * "minute" of 2 s refuses the write beyond its limit as GitHub's minute would, and saying how long
 * to wait in whole seconds, then takes writes again once that short minute has passed.
 */

let github: FakeGitHub | undefined;
afterEach(async () => {
  await github?.close();
  github = undefined;
});

describe('secondary limits over compressed windows', () => {
  it('refuses a write beyond the limit within the short minute, and takes writes again after it', async () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    github = await startFakeGitHub({ now: () => new Date(now), secondaryLimits: { perMinute: 2, minuteMs: 2_000, perHour: 100, hourMs: 120_000 } });
    github.addRepo('acme/widgets');
    github.addPullRequest('acme/widgets', { number: 1, author: 'alice' });
    const label = async (name: string) =>
      fetch(`${github!.url}/repos/acme/widgets/issues/1/labels`, {
        method: 'POST',
        headers: { authorization: 'token t', 'content-type': 'application/json' },
        body: JSON.stringify({ labels: [name] }),
      });

    expect((await label('a')).status).toBe(200);
    now += 500;
    expect((await label('b')).status).toBe(200);
    now += 500;
    const refused = await label('c');
    expect(refused.status).toBe(403);
    // The first write leaves the short minute 1 s from now.
    expect(refused.headers.get('retry-after')).toBe('1');

    now += 1_000;
    expect((await label('c')).status).toBe(200);
    expect(github.labels('acme/widgets', 1)).toEqual(['a', 'b', 'c']);
    expect(github.counters()).toMatchObject({ writes: 3, secondaryLimited: 1 });
  });
});
