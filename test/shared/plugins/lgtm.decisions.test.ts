import { describe, expect, it } from 'vitest';
import {
  lgtmLabelChange,
  lgtmPermission,
  lgtmRequest,
  lgtmSettingsFor,
  NOT_COLLABORATOR_REPLY,
  NOT_IN_OWNERS_REPLY,
  SELF_LGTM_REPLY,
  type LgtmPermissionInput,
} from '../../../shared/plugins/lgtm';

const REVIEWER: LgtmPermissionInput = {
  request: 'add',
  isAuthor: false,
  isAssignee: false,
  skipCollaborators: false,
  isCollaborator: true,
  listedInOwners: false,
};

describe('lgtm commands', () => {
  it('reads /lgtm and its cancel forms, whole lines only', () => {
    expect(lgtmRequest('/lgtm')).toBe('add');
    expect(lgtmRequest('Nice work!\n/LGTM  ')).toBe('add');
    expect(lgtmRequest('/lgtm no-issue')).toBe('add');
    expect(lgtmRequest('/lgtm cancel')).toBe('remove');
    expect(lgtmRequest('/remove-lgtm')).toBe('remove');
    expect(lgtmRequest('/lgtm but fix the typo')).toBeUndefined();
    expect(lgtmRequest('> /lgtm')).toBeUndefined();
    expect(lgtmRequest('I would /lgtm this')).toBeUndefined();
  });

  it('prefers /lgtm when a comment holds both, as Prow does', () => {
    expect(lgtmRequest('/lgtm cancel\n/lgtm')).toBe('add');
  });

  it('reads the repo entry before the org entry', () => {
    const config = { lgtm: [{ repos: ['acme'], review_acts_as_lgtm: true }, { repos: ['acme/widgets'], store_tree_hash: true }] };
    expect(lgtmSettingsFor(config, 'acme', 'widgets')).toEqual({ reviewActsAsLgtm: false, storeTreeHash: true, stickyLgtmTeam: undefined });
    expect(lgtmSettingsFor(config, 'acme', 'gears').reviewActsAsLgtm).toBe(true);
  });
});

describe('who may change LGTM', () => {
  it('refuses an author approving their own PR, but lets them cancel', () => {
    expect(lgtmPermission({ ...REVIEWER, isAuthor: true, isCollaborator: false })).toEqual({ allowed: false, reply: SELF_LGTM_REPLY });
    expect(lgtmPermission({ ...REVIEWER, request: 'remove', isAuthor: true, isCollaborator: false })).toEqual({ allowed: true, assignCommenter: false });
  });

  it('lets collaborators change it, assigning them when they are not yet assigned', () => {
    expect(lgtmPermission(REVIEWER)).toEqual({ allowed: true, assignCommenter: true });
    expect(lgtmPermission({ ...REVIEWER, isAssignee: true })).toEqual({ allowed: true, assignCommenter: false });
  });

  it('refuses people who are not collaborators, for cancel too', () => {
    expect(lgtmPermission({ ...REVIEWER, isCollaborator: false })).toEqual({ allowed: false, reply: NOT_COLLABORATOR_REPLY });
    expect(lgtmPermission({ ...REVIEWER, request: 'remove', isCollaborator: false })).toEqual({ allowed: false, reply: NOT_COLLABORATOR_REPLY });
  });

  it('asks OWNERS instead when the repo skips the collaborator check', () => {
    const skipping = { ...REVIEWER, skipCollaborators: true, isCollaborator: false };
    expect(lgtmPermission({ ...skipping, listedInOwners: true })).toEqual({ allowed: true, assignCommenter: false });
    expect(lgtmPermission(skipping)).toEqual({ allowed: false, reply: NOT_IN_OWNERS_REPLY });
  });
});

describe('the label change', () => {
  it('changes the label only when it is not already as asked', () => {
    expect(lgtmLabelChange('add', [])).toBe('add');
    expect(lgtmLabelChange('add', ['lgtm'])).toBeUndefined();
    expect(lgtmLabelChange('remove', ['lgtm', 'approved'])).toBe('remove');
    expect(lgtmLabelChange('remove', [])).toBeUndefined();
  });
});
