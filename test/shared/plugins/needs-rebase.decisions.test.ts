import { describe, expect, it } from 'vitest';
import { isBotAccount } from '../../../shared/github/membership';
import { formatNotice } from '../../../shared/plugins/respond';
import {
  DEPENDABOT_LOGIN,
  NEEDS_REBASE_NOTICE,
  needsRebaseNotice,
  rebaseAction,
} from '../../../shared/plugins/needs-rebase';

describe('needs-rebase decision', () => {
  it('labels a conflicted pull request that is not labelled yet', () => {
    expect(rebaseAction(false, false)).toBe('add');
  });

  it('clears the label from a pull request that can be merged again', () => {
    expect(rebaseAction(true, true)).toBe('remove');
  });

  it('leaves a pull request whose label already matches alone', () => {
    expect(rebaseAction(false, true)).toBe('none');
    expect(rebaseAction(true, false)).toBe('none');
  });

  it('changes nothing while GitHub is still computing mergeability', () => {
    expect(rebaseAction(null, false)).toBe('none');
    expect(rebaseAction(null, true)).toBe('none');
  });
});

describe('needs-rebase notice', () => {
  it('explains the conflict to people, with the command help folded away', () => {
    const notice = needsRebaseNotice('contributor');
    expect(notice.startsWith(NEEDS_REBASE_NOTICE)).toBe(true);
    expect(notice).toContain('<details>');
  });

  it('tells Dependabot to rebase in its own terms', () => {
    const notice = needsRebaseNotice(DEPENDABOT_LOGIN);
    expect(notice.split('\n')[0]).toBe('rebase');
    expect(notice).not.toContain(NEEDS_REBASE_NOTICE);
  });

  it('formats a notice as message first, footer folded', () => {
    expect(formatNotice('Hello.').split('\n').slice(0, 3)).toEqual(['Hello.', '', '<details>']);
  });
});

describe('recognising the bot', () => {
  it('treats a GitHub App user and its [bot] login, in any case, as the same account', () => {
    expect(isBotAccount('cutwater-bot', 'cutwater-bot')).toBe(true);
    expect(isBotAccount('cutwater[bot]', 'cutwater')).toBe(true);
    expect(isBotAccount('cutwater', 'Cutwater[bot]')).toBe(true);
    expect(isBotAccount('cutwater-bot', 'someone')).toBe(false);
  });
});
