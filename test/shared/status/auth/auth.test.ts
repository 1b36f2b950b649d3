import { mkdtempSync, writeFileSync } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitHubError } from '../../../../shared/github/client';
import type { ProwJob } from '../../../../shared/prowjob/schema';
import { ANONYMOUS_CSRF_COOKIE, createCsrfGuard, CSRF_FIELD, submittedCsrfToken } from '../../../../shared/status/auth/csrf';
import { oauthSettingsFromEnv, safeDestination, sessionSecretsFromEnv } from '../../../../shared/status/auth/github-oauth';
import {
  decideRerun,
  rerunAuthConfigFor,
  SIGN_IN_REQUIRED,
  type DeckConfig,
  type MembershipLookup,
} from '../../../../shared/status/auth/rerun-auth';
import { createSessionCodec, SESSION_COOKIE } from '../../../../shared/status/auth/session';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';
import { testProwJob } from '../../../support/prowjobs';

/**
 * The sign-in and authorisation building blocks of the status pages: Prow deck's rerun rules,
 * signed session cookies, CSRF tokens and the OAuth helpers that need no network.
 */

const SECRET = 'first-session-secret-0123456789abcdef';
const OLD_SECRET = 'older-session-secret-0123456789abcdef';
const HOUR = 60 * 60 * 1000;

/** The deck section of a config.yaml, through the same loader every component uses. */
function deckOf(text: string): DeckConfig | undefined {
  return expectLoaded(buildFromFiles({ config: yaml(text) })).prow.deck;
}

function request(headers: Record<string, string> = {}): IncomingMessage {
  const message = new IncomingMessage(new Socket());
  message.headers = { host: 'status.example', ...headers };
  return message;
}

/** The name=value part of a Set-Cookie value, as a browser would send it back. */
function sent(setCookie: string): string {
  return setCookie.split(';')[0]!;
}

/** A lookup that answers from fixed membership and records each question. */
function lookup(
  members: { orgs?: Record<string, string[]>; teams?: Record<string, string[]>; teamIds?: Record<number, string[]>; prTrusted?: string[] } = {},
) {
  const asked: string[] = [];
  const fake: MembershipLookup & { asked: string[] } = {
    asked,
    isOrgMember: async (org, login) => {
      asked.push(`org ${org} ${login}`);
      return (members.orgs?.[org] ?? []).includes(login);
    },
    isTeamMember: async (org, slug, login) => {
      asked.push(`team ${org}/${slug} ${login}`);
      return (members.teams?.[`${org}/${slug}`] ?? []).includes(login);
    },
    isTeamMemberById: async (teamId, login) => {
      asked.push(`team #${teamId} ${login}`);
      return (members.teamIds?.[teamId] ?? []).includes(login);
    },
  };
  if (members.prTrusted) {
    const trusted = members.prTrusted;
    fake.isTrustedForPullRequest = async (org, repo, pull, login) => {
      asked.push(`pr ${org}/${repo}#${pull} ${login}`);
      return trusted.includes(login);
    };
  }
  return fake;
}

function periodic(extraRefs?: { org: string; repo: string }): ProwJob {
  const job = testProwJob({ type: 'periodic', job: 'nightly' });
  delete job.spec.refs;
  if (extraRefs) job.spec.extra_refs = [{ ...extraRefs, base_ref: 'main' }];
  return job;
}

describe('which rerun auth config applies (Prow deck GetRerunAuthConfig)', () => {
  const mapDeck = deckOf(`
    deck:
      rerun_auth_configs:
        acme/widgets:
          github_users: [repo-admin]
        acme:
          github_users: [org-admin]
        '*':
          github_users: [star-admin]
  `);

  it('uses the most specific key of the old map, whatever order the YAML lists them in', () => {
    const users = (job: ProwJob) => rerunAuthConfigFor(mapDeck, job.spec)?.github_users;
    expect(users(testProwJob({ org: 'acme', repo: 'widgets' }))).toEqual(['repo-admin']);
    expect(users(testProwJob({ org: 'acme', repo: 'gadgets' }))).toEqual(['org-admin']);
    expect(users(testProwJob({ org: 'other', repo: 'thing' }))).toEqual(['star-admin']);
    expect(users(periodic())).toEqual(['star-admin']);
  });

  it('reads default_rerun_auth_configs entries under Prow\'s key, the last match winning, filtered by cluster', () => {
    const deck = deckOf(`
      deck:
        default_rerun_auth_configs:
          - repo: '*'
            rerun_auth_configs:
              github_users: [everywhere]
          - repo: acme
            rerun_auth_configs:
              github_orgs: [acme]
          - repo: acme/widgets
            cluster: gpu
            rerun_auth_configs:
              github_users: [gpu-admin]
    `);
    expect(rerunAuthConfigFor(deck, testProwJob({ org: 'acme', repo: 'widgets' }).spec)).toEqual({ github_orgs: ['acme'] });
    expect(rerunAuthConfigFor(deck, testProwJob({ org: 'acme', repo: 'widgets', cluster: 'gpu' }).spec)).toEqual({
      github_users: ['gpu-admin'],
    });
    expect(rerunAuthConfigFor(deck, testProwJob({ org: 'other', repo: 'x' }).spec)).toEqual({ github_users: ['everywhere'] });
  });

  it('matches a periodic by its first extra_refs, and one without refs only by catch-all entries', () => {
    const deck = deckOf(`
      deck:
        default_rerun_auth_configs:
          - repo: acme
            rerun_auth_configs:
              github_users: [acme-admin]
    `);
    expect(rerunAuthConfigFor(deck, periodic({ org: 'acme', repo: 'widgets' }).spec)?.github_users).toEqual(['acme-admin']);
    expect(rerunAuthConfigFor(deck, periodic().spec)).toBeUndefined();
    expect(rerunAuthConfigFor(undefined, periodic().spec)).toBeUndefined();
  });
});

describe('who may rerun or abort (Prow deck isAllowedToRerun)', () => {
  const job = testProwJob({ org: 'acme', repo: 'widgets', job: 'unit-tests' });

  it('lets anyone, signed in or not, when allow_anyone is set in deck or on the job', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {allow_anyone: true}
    `);
    expect(await decideRerun({ job, deck })).toEqual({ allowed: true });
    expect(await decideRerun({ job, deck, login: 'alice' })).toEqual({ allowed: true, login: 'alice' });
    const open = testProwJob();
    open.spec.rerun_auth_config = { allow_anyone: true };
    expect(await decideRerun({ job: open })).toEqual({ allowed: true });
  });

  it('asks a signed-out visitor to sign in', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_users: [alice]}
    `);
    expect(await decideRerun({ job, deck })).toEqual({ allowed: false, status: 401, reason: SIGN_IN_REQUIRED });
  });

  it('compares github_users without regard to case or a leading @', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_users: ['@Alice']}
    `);
    expect(await decideRerun({ job, deck, login: 'aLiCe' })).toEqual({ allowed: true, login: 'aLiCe' });
    const refused = await decideRerun({ job, deck, login: 'mallory' });
    expect(refused).toMatchObject({ allowed: false, status: 403 });
    expect(refused.allowed === false && refused.reason).toContain('mallory may not rerun or abort unit-tests');
  });

  it('admits members of github_orgs and github_team_slugs, asking GitHub', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*':
            github_orgs: [acme]
            github_team_slugs: [{org: kubernetes, slug: test-infra-admins}]
    `);
    const members = lookup({ orgs: { acme: ['orgie'] }, teams: { 'kubernetes/test-infra-admins': ['teamie'] } });
    expect(await decideRerun({ job, deck, login: 'orgie', lookup: members })).toEqual({ allowed: true, login: 'orgie' });
    expect(await decideRerun({ job, deck, login: 'teamie', lookup: members })).toEqual({ allowed: true, login: 'teamie' });
    const refused = await decideRerun({ job, deck, login: 'stranger', lookup: members });
    expect(refused).toMatchObject({ allowed: false, status: 403 });
    expect(refused.allowed === false && refused.reason).toContain('members of acme; teams kubernetes/test-infra-admins');
    expect(members.asked).toContain('team kubernetes/test-infra-admins teamie');
  });

  it('the repository\'s entry replaces the catch-all one rather than adding to it', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_users: [alice]}
          acme/widgets: {github_users: [bob]}
    `);
    expect(await decideRerun({ job, deck, login: 'alice' })).toMatchObject({ allowed: false, status: 403 });
    expect(await decideRerun({ job, deck, login: 'bob' })).toEqual({ allowed: true, login: 'bob' });
    expect(await decideRerun({ job: testProwJob({ org: 'acme', repo: 'gadgets' }), deck, login: 'alice' })).toMatchObject({
      allowed: true,
    });
  });

  it('falls back to the job\'s own rerun_auth_config when deck\'s does not admit the user', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_users: [alice]}
    `);
    const owned = testProwJob({ job: 'release' });
    owned.spec.rerun_auth_config = { github_orgs: ['releasers'] };
    const members = lookup({ orgs: { releasers: ['rita'] } });
    expect(await decideRerun({ job: owned, deck, login: 'rita', lookup: members })).toEqual({ allowed: true, login: 'rita' });
    expect(await decideRerun({ job: owned, deck, login: 'alice', lookup: members })).toEqual({ allowed: true, login: 'alice' });
  });

  it('lets whoever may /test a pull request rerun its presubmits, and asks that only for presubmits', async () => {
    const presubmit = testProwJob({ org: 'acme', repo: 'widgets', pull: 42 });
    const members = lookup({ prTrusted: ['contributor'] });
    expect(await decideRerun({ job: presubmit, login: 'contributor', lookup: members })).toEqual({
      allowed: true,
      login: 'contributor',
    });
    expect(members.asked).toEqual(['pr acme/widgets#42 contributor']);
    expect(await decideRerun({ job: presubmit, login: 'drive-by', lookup: members })).toMatchObject({ status: 403 });
    const postsubmit = testProwJob({ org: 'acme', repo: 'widgets' });
    expect(await decideRerun({ job: postsubmit, login: 'contributor', lookup: members })).toMatchObject({ status: 403 });
    expect(members.asked).toHaveLength(2);
  });

  it('admits members of the teams in github_team_ids, asked after orgs and before team slugs', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_orgs: [acme], github_team_ids: [1234, 99], github_team_slugs: [{org: acme, slug: release}]}
    `);
    const members = lookup({ teamIds: { 99: ['alice'] } });
    expect(await decideRerun({ job, deck, login: 'alice', lookup: members })).toEqual({ allowed: true, login: 'alice' });
    expect(members.asked).toEqual(['org acme alice', 'team #1234 alice', 'team #99 alice']);
    const refused = await decideRerun({ job, deck, login: 'bob', lookup: members });
    expect(refused).toMatchObject({ allowed: false, status: 403 });
    expect(refused.allowed === false && refused.reason).toContain('teams with IDs 1234, 99');
    expect(members.asked.slice(3)).toEqual(['org acme bob', 'team #1234 bob', 'team #99 bob', 'team acme/release bob']);
  });

  it('without GitHub credentials, admits only listed users and says why others are refused', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_users: [alice], github_orgs: [acme]}
    `);
    expect(await decideRerun({ job, deck, login: 'alice' })).toEqual({ allowed: true, login: 'alice' });
    const refused = await decideRerun({ job, deck, login: 'orgie' });
    expect(refused.allowed === false && refused.reason).toContain('cannot be checked without GitHub credentials');
  });

  it('answers 500 when GitHub fails, without repeating what the error carried', async () => {
    const deck = deckOf(`
      deck:
        rerun_auth_configs:
          '*': {github_orgs: [acme]}
    `);
    const failing: MembershipLookup = {
      isOrgMember: () => Promise.reject(new GitHubError(502, 'token ghp_abcdefghijklmnopqrstuvwxyz0123 rejected', 'GET /orgs/acme/members/alice')),
      isTeamMember: () => Promise.resolve(false),
      isTeamMemberById: () => Promise.resolve(false),
    };
    const decision = await decideRerun({ job, deck, login: 'alice', lookup: failing });
    expect(decision).toMatchObject({ allowed: false, status: 500 });
    const reason = decision.allowed === false ? decision.reason : '';
    expect(reason).toContain('whether alice is a member of acme (GitHub answered 502)');
    expect(reason).not.toContain('ghp_');
  });
});

describe('session cookies', () => {
  it('signs a login in, with the cookie attributes that keep it from scripts and other sites', () => {
    const sessions = createSessionCodec([SECRET], { ttlMs: HOUR, secure: true });
    const cookie = sessions.sessionCookie('alice');
    expect(cookie.startsWith(`${SESSION_COOKIE}=`)).toBe(true);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).toContain('Path=/');
    expect(cookie).toContain('Secure');
    expect(cookie).toContain('Max-Age=3600');
    expect(sessions.readLogin(request({ cookie: `other=1; ${sent(cookie)}` }))).toBe('alice');
    expect(createSessionCodec([SECRET]).sessionCookie('alice')).not.toContain('Secure');
    expect(sessions.clearCookie()).toMatch(/^cutwater_session=; Max-Age=0;/);
  });

  it('reads a tampered, malformed or missing cookie as signed out', () => {
    const sessions = createSessionCodec([SECRET]);
    const value = sent(sessions.sessionCookie('alice')).slice(`${SESSION_COOKIE}=`.length);
    const [payload, signature] = value.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), login: 'admin' })).toString('base64url');
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
    for (const bad of [`${forged}.${signature}`, `${payload}.${flipped}`, payload, 'garbage', `${payload}.${signature}.x`, '']) {
      expect(sessions.readLogin(request({ cookie: `${SESSION_COOKIE}=${bad}` }))).toBeUndefined();
    }
    expect(sessions.readLogin(request())).toBeUndefined();
    // Signed with another deployment's secret.
    const foreign = createSessionCodec(['another-deployment-secret-0123456789']).sessionCookie('alice');
    expect(sessions.readLogin(request({ cookie: sent(foreign) }))).toBeUndefined();
  });

  it('expires', () => {
    let now = 1_000_000;
    const sessions = createSessionCodec([SECRET], { ttlMs: HOUR, now: () => now });
    const cookie = sent(sessions.sessionCookie('alice'));
    now += HOUR - 1;
    expect(sessions.readLogin(request({ cookie }))).toBe('alice');
    now += 1;
    expect(sessions.readLogin(request({ cookie }))).toBeUndefined();
  });

  it('keeps people signed in across a secret rotation until the old secret is dropped', () => {
    const before = sent(createSessionCodec([OLD_SECRET]).sessionCookie('alice'));
    const rotating = createSessionCodec([SECRET, OLD_SECRET]);
    expect(rotating.readLogin(request({ cookie: before }))).toBe('alice');
    const after = sent(rotating.sessionCookie('bob'));
    expect(createSessionCodec([SECRET]).readLogin(request({ cookie: after }))).toBe('bob');
    expect(createSessionCodec([SECRET]).readLogin(request({ cookie: before }))).toBeUndefined();
  });

  it('never accepts a value sealed for another purpose as a session', () => {
    const sessions = createSessionCodec([SECRET]);
    const sealed = sessions.seal('oauth-state', { login: 'admin', state: 'x' }, HOUR);
    expect(sessions.readLogin(request({ cookie: `${SESSION_COOKIE}=${sealed}` }))).toBeUndefined();
    expect(sessions.unseal('oauth-state', sealed)).toEqual({ login: 'admin', state: 'x' });
    expect(sessions.unseal('other', sealed)).toBeUndefined();
  });

  it('refuses to start without a secret, or with one too short to resist guessing', () => {
    expect(() => createSessionCodec([])).toThrow(/STATUS_SESSION_SECRET/);
    expect(() => createSessionCodec(['short'])).toThrow(/openssl rand -base64 32/);
  });
});

describe('CSRF tokens', () => {
  const sessions = createSessionCodec([SECRET]);
  const guard = () => createCsrfGuard([SECRET], { sessions });

  /** The token a page rendered for `headers`, and the cookies it set. */
  function rendered(headers: Record<string, string>, csrf = guard()) {
    const pageRequest = request(headers);
    const response = new ServerResponse(pageRequest);
    const token = csrf.csrfTokenFor(pageRequest, response);
    const setCookie = response.getHeader('set-cookie');
    const cookies = Array.isArray(setCookie) ? setCookie : [];
    return { token, cookies, again: csrf.csrfTokenFor(pageRequest, response) };
  }

  it('protects signed-out visitors with an anonymous cookie, set once per page', () => {
    const csrf = guard();
    const page = rendered({}, csrf);
    expect(page.cookies).toHaveLength(1);
    expect(page.cookies[0]).toMatch(new RegExp(`^${ANONYMOUS_CSRF_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Lax$`));
    expect(page.again).toBe(page.token);
    const cookie = sent(page.cookies[0]!);
    expect(csrf.checkCsrf(request({ cookie }), page.token)).toBe(true);
    expect(csrf.checkCsrf(request(), page.token)).toBe(false);
    const otherVisitor = sent(rendered({}, csrf).cookies[0]!);
    expect(csrf.checkCsrf(request({ cookie: otherVisitor }), page.token)).toBe(false);
    expect(csrf.checkCsrf(request({ cookie }), undefined)).toBe(false);
  });

  it('binds a signed-in user\'s token to their session', () => {
    const csrf = guard();
    const alice = sent(sessions.sessionCookie('alice'));
    const bob = sent(sessions.sessionCookie('bob'));
    const page = rendered({ cookie: alice }, csrf);
    expect(page.cookies).toEqual([]);
    expect(csrf.checkCsrf(request({ cookie: alice }), page.token)).toBe(true);
    expect(csrf.checkCsrf(request({ cookie: bob }), page.token)).toBe(false);
    // A token from a signed-out page does not carry over to a session.
    const anonymous = rendered({}, csrf);
    expect(csrf.checkCsrf(request({ cookie: `${alice}; ${sent(anonymous.cookies[0]!)}` }), anonymous.token)).toBe(false);
  });

  it('refuses a valid token sent from another site', () => {
    const csrf = createCsrfGuard([SECRET], { sessions, publicUrl: 'https://prow.example.com/' });
    const cookie = sent(sessions.sessionCookie('alice'));
    const { token } = rendered({ cookie }, csrf);
    const check = (headers: Record<string, string>) => csrf.checkCsrf(request({ cookie, ...headers }), token);
    expect(check({ origin: 'http://status.example' })).toBe(true);
    expect(check({ origin: 'https://prow.example.com', host: 'internal:8080' })).toBe(true);
    expect(check({ 'sec-fetch-site': 'same-origin' })).toBe(true);
    expect(check({ origin: 'https://evil.example' })).toBe(false);
    expect(check({ origin: 'null' })).toBe(false);
    expect(check({ 'sec-fetch-site': 'cross-site' })).toBe(false);
  });

  it('accepts tokens rendered before a secret rotation', () => {
    const oldSessions = createSessionCodec([OLD_SECRET]);
    const page = rendered({}, createCsrfGuard([OLD_SECRET], { sessions: oldSessions }));
    const rotated = createCsrfGuard([SECRET, OLD_SECRET], { sessions: createSessionCodec([SECRET, OLD_SECRET]) });
    expect(rotated.checkCsrf(request({ cookie: sent(page.cookies[0]!) }), page.token)).toBe(true);
  });

  it('takes the token from the header or the form field', () => {
    expect(submittedCsrfToken(request({ 'x-csrf-token': 'from-header' }), new URLSearchParams({ [CSRF_FIELD]: 'x' }))).toBe('from-header');
    expect(submittedCsrfToken(request(), new URLSearchParams({ [CSRF_FIELD]: 'from-form' }))).toBe('from-form');
    expect(submittedCsrfToken(request())).toBeUndefined();
  });
});

describe('sign-in settings', () => {
  it('keeps only same-site paths as the destination after sign-in', () => {
    expect(safeDestination('/view/abc?x=1#L3')).toBe('/view/abc?x=1#L3');
    for (const unsafe of ['//evil.example/x', '/\\evil.example', 'https://evil.example/', 'view/abc', '/\tevil', '', null, undefined]) {
      expect(safeDestination(unsafe)).toBe('/');
    }
  });

  it('reads the OAuth app from the environment, and says what is missing', () => {
    expect(oauthSettingsFromEnv({})).toBeUndefined();
    expect(() => oauthSettingsFromEnv({ GITHUB_OAUTH_CLIENT_ID: 'id', STATUS_URL: 'https://prow.example.com' })).toThrow(
      /GITHUB_OAUTH_CLIENT_SECRET or GITHUB_OAUTH_CLIENT_SECRET_FILE/,
    );
    expect(() => oauthSettingsFromEnv({ GITHUB_OAUTH_CLIENT_ID: 'id', GITHUB_OAUTH_CLIENT_SECRET: 's' })).toThrow(/STATUS_URL/);
    const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-oauth-'));
    writeFileSync(path.join(dir, 'secret'), 'from-file\n');
    expect(
      oauthSettingsFromEnv({
        GITHUB_OAUTH_CLIENT_ID: 'id',
        GITHUB_OAUTH_CLIENT_SECRET_FILE: path.join(dir, 'secret'),
        STATUS_URL: 'https://prow.example.com/',
        GITHUB_API_URL: 'https://ghe.example.com/api/v3',
      }),
    ).toEqual({ clientId: 'id', clientSecret: 'from-file', apiUrl: 'https://ghe.example.com/api/v3', publicUrl: 'https://prow.example.com' });
    expect(oauthSettingsFromEnv({ GITHUB_OAUTH_CLIENT_ID: 'id', GITHUB_OAUTH_CLIENT_SECRET: 's' }, 'http://127.0.0.1:8080')?.publicUrl).toBe(
      'http://127.0.0.1:8080',
    );
  });

  it('reads one session secret per line, for rotation', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cutwater-session-'));
    writeFileSync(path.join(dir, 'secrets'), `# newest first\n${SECRET}\n\n${OLD_SECRET}\n`);
    expect(sessionSecretsFromEnv({ STATUS_SESSION_SECRET_FILE: path.join(dir, 'secrets') })).toEqual([SECRET, OLD_SECRET]);
    expect(sessionSecretsFromEnv({ STATUS_SESSION_SECRET: SECRET })).toEqual([SECRET]);
    expect(sessionSecretsFromEnv({})).toEqual([]);
    expect(() => sessionSecretsFromEnv({ STATUS_SESSION_SECRET_FILE: path.join(dir, 'missing') })).toThrow(/ENOENT/);
  });
});
