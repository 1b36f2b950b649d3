import { describe, expect, it } from 'vitest';
import {
  assignmentChanges,
  assignRefusal,
  missingLogins,
  reviewRefusal,
  reviewRequestChanges,
} from '../../../shared/plugins/assign';

describe('assign commands', () => {
  it('targets the commenter when nobody is named', () => {
    expect(assignmentChanges('/assign', 'alice')).toEqual({ add: ['alice'], remove: [] });
    expect(assignmentChanges('/unassign', 'alice')).toEqual({ add: [], remove: ['alice'] });
  });

  it('takes logins with or without @', () => {
    expect(assignmentChanges('/assign @bob carol', 'alice')).toEqual({ add: ['bob', 'carol'], remove: [] });
  });

  it('lets the last command about a person win', () => {
    expect(assignmentChanges('/assign @bob\n/unassign @BOB', 'alice')).toEqual({ add: [], remove: ['BOB'] });
  });

  it('ignores lines that do not follow the grammar', () => {
    expect(assignmentChanges('/assign @bob, @carol', 'alice')).toBeUndefined();
    expect(assignmentChanges('/assignee bob', 'alice')).toBeUndefined();
    expect(assignmentChanges('/cc @bob', 'alice')).toBeUndefined();
  });

  it('is case-insensitive about the command', () => {
    expect(assignmentChanges('/Assign @bob', 'alice')).toEqual({ add: ['bob'], remove: [] });
  });
});

describe('review request commands', () => {
  it('takes people and teams, separated by one or more spaces', () => {
    expect(reviewRequestChanges('/cc @bob  acme/reviewers', 'alice')).toEqual({ add: ['bob', 'acme/reviewers'], remove: [] });
  });

  it('targets the commenter when nobody is named', () => {
    expect(reviewRequestChanges('/uncc', 'alice')).toEqual({ add: [], remove: ['alice'] });
  });

  it('does not take /assign for /cc', () => {
    expect(reviewRequestChanges('/assign @bob', 'alice')).toBeUndefined();
  });
});

describe('refusals', () => {
  it('finds who GitHub dropped, ignoring case', () => {
    expect(missingLogins(['Bob', 'carol'], ['bob'])).toEqual(['carol']);
  });

  it('names the refused people and the org whose members can be assigned', () => {
    const message = assignRefusal('acme', ['carol', 'dave']);
    expect(message).toContain('carol, dave');
    expect(message).toContain('https://github.com/orgs/acme/people');
    expect(reviewRefusal('acme', ['carol'])).toContain('carol');
  });
});
