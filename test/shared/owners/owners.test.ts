import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileGoRegexp } from '../../../shared/go/regexp';
import { Approvers, ChangeOwners } from '../../../shared/owners/approvers';
import {
  loadRepoOwners,
  parseMarkdownOwners,
  parseOwnersAliases,
  parseOwnersFile,
  PRECONFIGURED_DIR_DENYLIST,
  type LoadOwnersOptions,
  type RepoOwners,
} from '../../../shared/owners/owners';
import { REPO_ROOT } from '../../support/config';

const CORPUS = path.resolve(REPO_ROOT, '../shared/prow-config/kubernetes');

/** OWNERS data for `paths` from an in-memory repository. */
async function ownersOf(
  files: Record<string, string>,
  paths: string[],
  options: Partial<LoadOwnersOptions> = {},
): Promise<RepoOwners> {
  return loadRepoOwners({ readFile: async (file) => files[file], paths, ...options });
}

function sorted(set: Iterable<string>): string[] {
  return [...set].sort();
}

function filesUnder(directory: string): string[] {
  return readdirSync(directory).flatMap((entry) => {
    const full = path.join(directory, entry);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('parsing OWNERS files', () => {
  it('reads the simple form, keeping emeritus approvers apart from approvers', () => {
    const parsed = parseOwnersFile(
      'approvers:\n- Alice\n- "@bob"\nreviewers:\n- carol\nrequired_reviewers: [dave]\nlabels:\n- sig/testing\nemeritus_approvers:\n- old-timer\noptions:\n  no_parent_owners: true\n',
    );
    expect(parsed).toEqual({
      ok: true,
      file: {
        kind: 'simple',
        options: { noParentOwners: true, autoApproveUnownedSubfolders: false },
        roles: { approvers: ['Alice', '@bob'], reviewers: ['carol'], requiredReviewers: ['dave'], labels: ['sig/testing'] },
        emeritusApprovers: ['old-timer'],
      },
    });
  });

  it('reads the filters form, keyed by Go regexps', () => {
    const parsed = parseOwnersFile('filters:\n  ".*":\n    approvers: [alice]\n  "\\\\.md$":\n    reviewers: [docs-team]\n    labels: [kind/documentation]\n');
    expect(parsed.ok && parsed.file.kind === 'filters' ? parsed.file.filters : undefined).toEqual([
      { pattern: '.*', approvers: ['alice'], reviewers: [], requiredReviewers: [], labels: [] },
      { pattern: '\\.md$', approvers: [], reviewers: ['docs-team'], requiredReviewers: [], labels: ['kind/documentation'] },
    ]);
  });

  it('accepts YAML 1.1 booleans and numeric logins, as Go does', () => {
    const parsed = parseOwnersFile('options:\n  no_parent_owners: yes\napprovers:\n- 1234\n');
    expect(parsed.ok && parsed.file.kind === 'simple' ? [parsed.file.options.noParentOwners, parsed.file.roles.approvers] : undefined).toEqual([
      true,
      ['1234'],
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const parsed = parseOwnersFile('approvers:\n- alice\nreviewers: [bob\n');
    expect(parsed.ok).toBe(false);
    expect(parsed.ok ? undefined : parsed.error.line).toBeGreaterThanOrEqual(3);
  });

  it('falls back to the filters form when the simple form does not decode, as Prow does', () => {
    // `approvers: alice` is not a list; Prow then reads the file as a filters file with no filters.
    expect(parseOwnersFile('approvers: alice\n')).toEqual({
      ok: true,
      file: { kind: 'filters', options: { noParentOwners: false, autoApproveUnownedSubfolders: false }, filters: [] },
    });
  });

  it('rejects files that decode as neither form', () => {
    expect(parseOwnersFile('filters:\n  ".*":\n    approvers: {alice: 1}\n').ok).toBe(false);
    expect(parseOwnersFile('- alice\n- bob\n').ok).toBe(false);
  });

  it('reads OWNERS_ALIASES, lower-casing names and members', () => {
    const parsed = parseOwnersAliases('aliases:\n  Sig-Leads:\n  - Alice\n  - "@bob"\n  flow: {carol, dave}\n  empty:\n');
    expect(parsed.ok ? Object.fromEntries([...parsed.aliases].map(([name, members]) => [name, sorted(members)])) : undefined).toEqual({
      'sig-leads': ['alice', 'bob'],
      flow: ['carol', 'dave'],
      empty: [],
    });
  });

  it('rejects aliases that are not lists of logins', () => {
    expect(parseOwnersAliases('aliases:\n  leads: alice\n').ok).toBe(false);
    expect(parseOwnersAliases('aliases:\n  leads:\n  - 12\n').ok).toBe(false);
    expect(parseOwnersAliases('aliases: [a, b]\n').ok).toBe(false);
  });

  it('reads an OWNERS header at the top of a markdown file', () => {
    expect(parseMarkdownOwners('---\napprovers:\n- writer\n---\n# Title\n')?.roles.approvers).toEqual(['writer']);
    expect(parseMarkdownOwners('# No header\n')).toBeUndefined();
  });

  it('parses every OWNERS and OWNERS_ALIASES file in the Kubernetes config corpus', () => {
    const files = filesUnder(CORPUS).filter((file) => /(^|\/)OWNERS(_ALIASES)?$/.test(file));
    expect(files.length).toBeGreaterThan(150);
    const failures = files.flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const parsed = file.endsWith('OWNERS_ALIASES') ? parseOwnersAliases(text) : parseOwnersFile(text);
      return parsed.ok ? [] : [`${path.relative(CORPUS, file)}: ${parsed.error.message}`];
    });
    expect(failures).toEqual([]);
  });

  it('resolves the corpus: a no_parent_owners filters file keeps its aliases to itself', async () => {
    const read = async (file: string) => {
      try {
        return readFileSync(path.join(CORPUS, file), 'utf8');
      } catch {
        return undefined;
      }
    };
    const trustedJob = 'jobs/kubernetes/sig-k8s-infra/trusted/sig-contribex-k8s-triage-robot.yaml';
    const owners = await loadRepoOwners({ readFile: read, paths: [trustedJob] });
    const leads = owners.aliases.get('sig-k8s-infra-leads');
    expect(leads?.size).toBeGreaterThan(0);
    expect(sorted(owners.approvers(trustedJob).toSet())).toEqual(sorted(leads ?? []));
    expect(owners.findApproverOwnersForFile(trustedJob)).toBe('jobs/kubernetes/sig-k8s-infra/trusted');
    expect(owners.requiredReviewers(trustedJob).size).toBeGreaterThan(0);
    expect(owners.labelsForFile(trustedJob).has('sig/contributor-experience')).toBe(true);
  });
});

describe('resolving OWNERS for changed files', () => {
  const repo = {
    OWNERS: 'approvers: [root-approver]\nreviewers: [root-reviewer]\nlabels: [area/all]\n',
    'pkg/OWNERS': 'approvers: [pkg-approver]\nreviewers: [pkg-reviewer]\n',
    'pkg/util/OWNERS': 'reviewers: [util-reviewer]\nlabels: [area/util]\n',
    'secure/OWNERS': 'options:\n  no_parent_owners: true\napprovers: [security]\n',
  };

  it('finds the nearest OWNERS file with approvers, and approvers up the tree', async () => {
    const file = 'pkg/util/strings.go';
    const owners = await ownersOf(repo, [file]);
    expect(owners.findApproverOwnersForFile(file)).toBe('pkg');
    expect(owners.findReviewersOwnersForFile(file)).toBe('pkg/util');
    expect(sorted(owners.leafApprovers(file))).toEqual(['pkg-approver']);
    expect(owners.approvers(file).list()).toEqual(['pkg-approver', 'root-approver']);
    expect(owners.reviewers(file).list()).toEqual(['util-reviewer', 'pkg-reviewer', 'root-reviewer']);
    expect(sorted(owners.labelsForFile(file))).toEqual(['area/all', 'area/util']);
  });

  it('reports the root as "" for files it owns', async () => {
    const owners = await ownersOf(repo, ['README.md']);
    expect(owners.findApproverOwnersForFile('README.md')).toBe('');
    expect(sorted(owners.topLevelApprovers())).toEqual(['root-approver']);
  });

  it('stops at no_parent_owners', async () => {
    const owners = await ownersOf(repo, ['secure/keys.go']);
    expect(owners.approvers('secure/keys.go').list()).toEqual(['security']);
    expect(owners.isNoParentOwners('secure')).toBe(true);
  });

  it('reads only the OWNERS files above the changed files', async () => {
    const asked: string[] = [];
    await loadRepoOwners({
      readFile: async (file) => {
        asked.push(file);
        return (repo as Record<string, string>)[file];
      },
      paths: ['pkg/util/strings.go'],
    });
    expect(sorted(asked)).toEqual(['OWNERS', 'OWNERS_ALIASES', 'pkg/OWNERS', 'pkg/util/OWNERS']);
  });

  it('applies filters to paths relative to their directory', async () => {
    const owners = await ownersOf(
      {
        OWNERS: 'approvers: [root]\n',
        'docs/OWNERS': 'filters:\n  "\\\\.md$":\n    approvers: [writer]\n  "^images/":\n    approvers: [designer]\n',
      },
      ['docs/guide.md', 'docs/images/logo.png', 'docs/build.sh'],
    );
    expect(owners.leafApprovers('docs/guide.md')).toEqual(new Set(['writer']));
    expect(owners.leafApprovers('docs/images/logo.png')).toEqual(new Set(['designer']));
    expect(owners.findApproverOwnersForFile('docs/build.sh')).toBe('');
    expect(owners.leafApprovers('docs/build.sh')).toEqual(new Set(['root']));
  });

  it('expands aliases in approvers and reviewers, lower-casing logins', async () => {
    const owners = await ownersOf(
      {
        OWNERS_ALIASES: 'aliases:\n  api-leads: [Alice, Bob]\n',
        OWNERS: 'approvers: [API-Leads, "@Carol"]\nreviewers: [api-leads]\n',
      },
      ['main.go'],
    );
    expect(sorted(owners.leafApprovers('main.go'))).toEqual(['alice', 'bob', 'carol']);
    expect(sorted(owners.leafReviewers('main.go'))).toEqual(['alice', 'bob']);
  });

  it('drops approvers who are not collaborators, climbing when a file has nobody left', async () => {
    const owners = await ownersOf(
      { OWNERS: 'approvers: [lead, gone]\n', 'pkg/OWNERS': 'approvers: [departed]\n' },
      ['pkg/a.go'],
      { isCollaborator: async (login) => login !== 'departed' && login !== 'gone' },
    );
    expect(owners.findApproverOwnersForFile('pkg/a.go')).toBe('');
    expect(owners.approvers('pkg/a.go').list()).toEqual(['lead']);
  });

  it("ignores OWNERS files in denied directories, like Prow's vendor/ default", async () => {
    const owners = await ownersOf(
      { OWNERS: 'approvers: [root]\n', 'vendor/lib/x/OWNERS': 'approvers: [vendored]\n' },
      ['vendor/lib/x/y.go'],
      { dirDenylist: PRECONFIGURED_DIR_DENYLIST.map(compileGoRegexp) },
    );
    expect(owners.approvers('vendor/lib/x/y.go').list()).toEqual(['root']);
  });

  it('ignores invalid OWNERS files and says so', async () => {
    const invalid: string[] = [];
    const owners = await ownersOf(
      { OWNERS: 'approvers: [root]\n', 'pkg/OWNERS': 'approvers: [oops\n' },
      ['pkg/a.go'],
      { onInvalid: (file) => invalid.push(file) },
    );
    expect(invalid).toEqual(['pkg/OWNERS']);
    expect(owners.approvers('pkg/a.go').list()).toEqual(['root']);
  });

  it('reads OWNERS headers of changed markdown files when enabled', async () => {
    const files = { OWNERS: 'approvers: [root]\n', 'docs/intro.md': '---\napprovers: [writer]\n---\n# Intro\n' };
    const enabled = await ownersOf(files, ['docs/intro.md'], { markdownOwners: true });
    expect(enabled.findApproverOwnersForFile('docs/intro.md')).toBe('docs/intro.md');
    expect(enabled.approvers('docs/intro.md').list()).toEqual(['writer', 'root']);
    const disabled = await ownersOf(files, ['docs/intro.md']);
    expect(disabled.approvers('docs/intro.md').list()).toEqual(['root']);
  });
});

describe('approvals needed for a change', () => {
  const repo = {
    OWNERS: 'approvers: [root-approver]\n',
    'api/OWNERS': 'approvers: [api-approver]\n',
    'api/v1/OWNERS': 'approvers: [v1-approver]\n',
    'docs/OWNERS': 'approvers: [docs-approver]\n',
    'secure/OWNERS': 'options:\n  no_parent_owners: true\napprovers: [security]\n',
    'plugins/OWNERS': 'options:\n  auto_approve_unowned_subfolders: true\napprovers: [plugin-approver]\n',
  };

  async function approversFor(files: string[], approvals: string[] = []): Promise<Approvers> {
    const approvers = new Approvers(new ChangeOwners(await ownersOf(repo, files), files, 1));
    for (const login of approvals) approvers.addApprover(login, `https://example.test/${login}`, false);
    return approvers;
  }

  it('needs the nearest OWNERS file of each change, folding subdirectories into their parent', async () => {
    const approvers = await approversFor(['api/v1/types.go', 'api/doc.go', 'docs/a.md']);
    expect(sorted(approvers.owners.ownersFiles())).toEqual(['api', 'docs']);
  });

  it('keeps a no_parent_owners directory separate even under a needed parent', async () => {
    const approvers = await approversFor(['secure/keys.go', 'main.go']);
    expect(sorted(approvers.owners.ownersFiles())).toEqual(['', 'secure']);
    const rootOnly = await approversFor(['secure/keys.go', 'main.go'], ['root-approver']);
    expect(sorted(rootOnly.unapprovedFiles())).toEqual(['secure']);
  });

  it('leaves the change unapproved when approvals cover only part of it', async () => {
    const approvers = await approversFor(['api/doc.go', 'docs/a.md'], ['docs-approver']);
    expect(approvers.areFilesApproved()).toBe(false);
    expect(sorted(approvers.unapprovedFiles())).toEqual(['api']);
    expect(approvers.filesApprovers().get('docs')).toEqual(new Set(['docs-approver']));
  });

  it('lets an approver higher up approve everything below', async () => {
    const approvers = await approversFor(['api/v1/types.go', 'docs/a.md'], ['ROOT-approver']);
    expect(approvers.areFilesApproved()).toBe(true);
  });

  it('suggests approvers who cover what is still unapproved', async () => {
    const approvers = await approversFor(['api/doc.go', 'docs/a.md'], ['docs-approver']);
    expect(approvers.suggestedCCs()).toEqual(['api-approver']);
  });

  it('needs no approval for files in unowned subfolders of an auto-approving OWNERS file', async () => {
    const approvers = await approversFor(['plugins/contrib/new.go']);
    expect(approvers.owners.ownersFiles().size).toBe(0);
    expect(approvers.areFilesApproved()).toBe(true);
    const direct = await approversFor(['plugins/registry.go']);
    expect(direct.areFilesApproved()).toBe(false);
  });

  it('never approves a change without files', async () => {
    expect((await approversFor([], ['root-approver'])).areFilesApproved()).toBe(false);
  });

  it('requires a linked issue or a no-issue approval when configured', async () => {
    const approvers = await approversFor(['main.go'], ['root-approver']);
    approvers.requireIssue = true;
    expect(approvers.requirementsMet()).toBe(false);
    approvers.addApprover('root-approver', 'ref', true);
    expect(approvers.requirementsMet()).toBe(true);
  });

  it('keeps a no-issue approval over a later plain one', async () => {
    const approvers = await approversFor(['main.go']);
    approvers.addApprover('root-approver', 'first', true);
    approvers.addApprover('root-approver', 'second', false);
    expect(approvers.listApprovals()).toEqual([{ login: 'root-approver', how: 'Approved', reference: 'first', noIssue: true }]);
  });
});
