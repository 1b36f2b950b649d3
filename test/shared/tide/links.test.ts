import { describe, expect, it } from 'vitest';
import { tidePullHref, tidePullJsonHref, tidePullUrl } from '../../../shared/tide/links';

/** Where the `tide` commit status points: the PR's verdict page on the status site. */
describe('a pull request’s Tide page', () => {
  it('is under the status URL, with org and repo encoded as path segments', () => {
    expect(tidePullUrl('https://prow.example.com//', 'acme', 'widgets', 12)).toBe('https://prow.example.com/tide/pr/acme/widgets/12');
    expect(tidePullHref('my org', 'a#b', 3)).toBe('/tide/pr/my%20org/a%23b/3');
    expect(tidePullJsonHref('acme', 'widgets', 12)).toBe('/tide/pr/acme/widgets/12.json');
  });
});
