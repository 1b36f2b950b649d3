import { describe, expect, it } from 'vitest';
import {
  applyPolicy,
  BranchPolicyError,
  BranchProtectionSchema,
  branchEntryPolicyFor,
  policyWithJobs,
  repoPolicyFor,
} from '../../../shared/branchprotection/policy';
import { describeChange, protectionRequest } from '../../../shared/branchprotection/protector';
import type { Presubmit } from '../../../shared/config/model';

/** Prow's branch_protection_test.go, in meaning: how policies inherit and when Prow refuses one. */

const parse = (raw: unknown) => BranchProtectionSchema.parse(raw);
const job = (context: string, extra: Partial<Presubmit> = {}) => ({ name: context, context, always_run: true, ...extra }) as unknown as Presubmit;

describe('branch-protection inheritance', () => {
  it('children override booleans and add up contexts, restrictions and review lists', () => {
    const merged = applyPolicy(
      { protect: true, enforce_admins: true, required_status_checks: { contexts: ['a'] }, restrictions: { teams: ['t1'] }, exclude: ['^x'] },
      {
        enforce_admins: false,
        required_status_checks: { contexts: ['b'], strict: true },
        restrictions: { teams: ['t2'], users: ['u'] },
        required_pull_request_reviews: { required_approving_review_count: 1, dismissal_restrictions: { users: ['d'] } },
        exclude: ['^y'],
      },
    );
    expect(merged).toEqual({
      protect: true,
      enforce_admins: false,
      required_status_checks: { contexts: ['a', 'b'], strict: true },
      restrictions: { teams: ['t1', 't2'], users: ['u'] },
      required_pull_request_reviews: { required_approving_review_count: 1, dismissal_restrictions: { users: ['d'] } },
      exclude: ['^x', '^y'],
    });
  });

  it('walks global → org → repo → branch', () => {
    const protection = parse({
      enforce_admins: true,
      required_status_checks: { contexts: ['global'] },
      orgs: {
        acme: {
          protect: true,
          required_status_checks: { contexts: ['org'] },
          repos: { app: { required_linear_history: true, branches: { release: { protect: true, allow_deletions: true, required_status_checks: { contexts: ['branch'] } } } } },
        },
      },
    });
    expect(repoPolicyFor(protection, 'acme', 'other')).toMatchObject({ protect: true, enforce_admins: true, required_status_checks: { contexts: ['global', 'org'] } });
    expect(repoPolicyFor(protection, 'acme', 'other').required_linear_history).toBeUndefined();
    expect(branchEntryPolicyFor(protection, 'acme', 'app', 'release')).toMatchObject({
      required_linear_history: true,
      allow_deletions: true,
      required_status_checks: { contexts: ['branch', 'global', 'org'] },
    });
  });

  it('refuses a branch entry that says neither protect nor unmanaged', () => {
    const protection = parse({ orgs: { acme: { repos: { app: { branches: { main: { enforce_admins: true } } } } } } });
    expect(() => branchEntryPolicyFor(protection, 'acme', 'app', 'main')).toThrow(BranchPolicyError);
  });

  it('adds the contexts of always-run, required, reported presubmits only', () => {
    const protection = parse({ orgs: { acme: { protect: true } } });
    const jobs = [job('unit'), job('optional', { optional: true }), job('sometimes', { always_run: false, run_if_changed: '^docs/' } as Partial<Presubmit>)];
    const policy = policyWithJobs(protection, { org: 'acme', repo: 'app', branch: 'main' }, repoPolicyFor(protection, 'acme', 'app'), jobs);
    expect(policy?.required_status_checks?.contexts).toEqual(['unit']);
  });

  it('protect: false with required jobs is an error unless allow_disabled_job_policies', () => {
    const strict = parse({ orgs: { acme: { protect: false } } });
    const where = { org: 'acme', repo: 'app', branch: 'main' };
    expect(() => policyWithJobs(strict, where, repoPolicyFor(strict, 'acme', 'app'), [job('unit')])).toThrow('required prow jobs require branch protection');
    const lenient = parse({ allow_disabled_job_policies: true, orgs: { acme: { protect: false } } });
    expect(policyWithJobs(lenient, where, repoPolicyFor(lenient, 'acme', 'app'), [job('unit')])).toBeUndefined();
  });

  it('protect: false beside other settings needs allow_disabled_policies', () => {
    const raw = { orgs: { acme: { protect: false, enforce_admins: true } } };
    const where = { org: 'acme', repo: 'app', branch: 'main' };
    expect(() => policyWithJobs(parse(raw), where, repoPolicyFor(parse(raw), 'acme', 'app'), [])).toThrow('requires protect: true');
    const allowed = parse({ ...raw, allow_disabled_policies: true });
    expect(policyWithJobs(allowed, where, repoPolicyFor(allowed, 'acme', 'app'), [])).toMatchObject({ protect: false });
  });
});

describe('the request and its diff', () => {
  it('leaves reviews off without an approval count, as Prow does, and diffs field by field', () => {
    const wanted = protectionRequest({ protect: true, required_status_checks: { contexts: ['b', 'a', 'a'] }, required_pull_request_reviews: { dismiss_stale_reviews: true } }, false);
    expect(wanted.required_pull_request_reviews).toBeNull();
    expect(wanted.required_status_checks).toEqual({ strict: false, contexts: ['a', 'b'] });
    expect(describeChange({ current: undefined, wanted })).toEqual(
      expect.arrayContaining(['-protected: false', '+protected: true', '+required_status_checks.contexts: a', '+required_status_checks.contexts: b']),
    );
    expect(describeChange({ current: wanted, wanted })).toEqual([]);
  });
});
