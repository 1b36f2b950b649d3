import { describe, expect, it } from 'vitest';
import { DEFAULT_OWNERS_FILENAMES } from '../../../shared/owners/owners';
import {
  checkOwnersFile,
  invalidFilesComment,
  isVerifyOwnersCommand,
  newlyNamed,
  untrustedComment,
  untrustedReason,
  type TrustLookups,
} from '../../../shared/plugins/verify-owners';

const options = { filenames: DEFAULT_OWNERS_FILENAMES, bannedLabels: ['approved', 'lgtm'] };

describe('checking an OWNERS file', () => {
  it('accepts a valid file and lists the people it names', () => {
    expect(checkOwnersFile('pkg/OWNERS', 'approvers: [alice]\nreviewers: [bob]\n', options)).toEqual({ owners: ['bob', 'alice'] });
  });

  it('reports YAML errors with their line', () => {
    const check = checkOwnersFile('pkg/OWNERS', 'approvers:\n- alice\nreviewers: [bob\n', options);
    expect(check.problem?.path).toBe('pkg/OWNERS');
    expect(check.problem?.line).toBeGreaterThanOrEqual(3);
    expect(check.problem?.message).toMatch(/^The file cannot be parsed: /);
  });

  it('refuses labels on the deny list, in either form', () => {
    expect(checkOwnersFile('pkg/OWNERS', 'approvers: [a]\nlabels: [lgtm, sig/x]\n', options).problem?.message).toContain('lgtm');
    expect(checkOwnersFile('pkg/OWNERS', 'filters:\n  ".*":\n    labels: [approved]\n', options).problem?.message).toContain('approved');
  });

  it('requires approvers in the root OWNERS file only', () => {
    expect(checkOwnersFile('OWNERS', 'reviewers: [bob]\n', options).problem?.message).toContain('must name at least one approver');
    expect(checkOwnersFile('pkg/OWNERS', 'reviewers: [bob]\n', options).problem).toBeUndefined();
  });

  it('flags filters that are not Go regexps', () => {
    expect(checkOwnersFile('pkg/OWNERS', 'filters:\n  "(unclosed":\n    approvers: [a]\n', options).problem?.message).toContain('not a valid Go regexp');
  });
});

describe('trusting new owners', () => {
  const members = new Set(['member']);
  const collaborators = new Set(['collaborator']);
  const lookups: TrustLookups = {
    isBot: (login) => login === 'cutwater-bot',
    isOrgMember: async (org, login) => (org === 'acme' ? members.has(login) : login === 'partner'),
    isCollaborator: async (login) => collaborators.has(login),
  };
  const rules = { onlyOrgMembers: false, trustedApps: ['renovate'], trustedOrg: undefined };

  it('trusts the bot, org members, collaborators and trusted apps', async () => {
    for (const login of ['cutwater-bot', 'member', 'collaborator', 'renovate[bot]']) {
      expect(await untrustedReason(login, 'acme', rules, lookups)).toBeUndefined();
    }
  });

  it('explains why someone is not trusted', async () => {
    expect(await untrustedReason('stranger', 'acme', rules, lookups)).toBe(
      'Is not a member of the acme organization, not a collaborator on this repository; any one of these would make them trusted.',
    );
  });

  it('trusts only org members when only_org_members is set, and the secondary org too', async () => {
    const strict = { ...rules, onlyOrgMembers: true, trustedOrg: 'partners' };
    expect(await untrustedReason('collaborator', 'acme', strict, lookups)).toContain('not a member of the partners organization');
    expect(await untrustedReason('partner', 'acme', strict, lookups)).toBeUndefined();
  });

  it('considers only the people a change adds', () => {
    expect(newlyNamed(['Alice', 'bob', 'carol'], ['alice', '@Bob'])).toEqual(['carol']);
  });
});

describe('comments', () => {
  it('lists invalid files with their lines', () => {
    const text = invalidFilesComment(
      [
        { path: 'pkg/OWNERS', line: 3, message: 'The file cannot be parsed: x' },
        { path: 'OWNERS', line: 1, message: 'The root OWNERS file must name at least one approver.' },
      ],
      DEFAULT_OWNERS_FILENAMES,
    );
    expect(text).toContain('2 OWNERS files are not valid:');
    expect(text.indexOf('`OWNERS` (line 1)')).toBeLessThan(text.indexOf('`pkg/OWNERS` (line 3)'));
  });

  it('lists untrusted people with the reason and files, and how to fix it', () => {
    const text = untrustedComment([{ login: 'stranger', reason: 'Is not a member.', files: ['pkg/OWNERS'] }], 'acme', 'https://github.com/orgs/acme/people');
    expect(text).toContain('- stranger\n  - Is not a member.\n  - pkg/OWNERS');
    expect(text).toContain('`/verify-owners`');
  });

  it('reads /verify-owners', () => {
    expect(isVerifyOwnersCommand('/verify-owners')).toBe(true);
    expect(isVerifyOwnersCommand('/verify-owners now')).toBe(false);
  });
});
