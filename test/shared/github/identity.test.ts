import { describe, expect, it } from 'vitest';
import { identityOfAuth, requestIdentities, tokenIdentity } from '../../../shared/github/identity';

describe('GitHub identities', () => {
  it('names a token by a hash that does not show the token', () => {
    const token = 'ghp_T0kenForIdentities1234567890abcdefgh';
    expect(identityOfAuth(token)).toEqual({ key: tokenIdentity(token) });
    expect(tokenIdentity(token)).toMatch(/^token-[0-9a-f]{16}$/);
    expect(tokenIdentity(token)).not.toContain(token.slice(4, 12));
    expect(tokenIdentity(`${token}x`)).not.toBe(tokenIdentity(token));
  });

  it('tells installations and the App apart', () => {
    expect(identityOfAuth({ appId: 42, privateKey: 'k', installationId: 7 })).toEqual({ key: 'installation-7', installationId: 7 });
    expect(identityOfAuth({ appId: '42', privateKey: 'k' })).toEqual({ key: 'app-42' });
    expect(identityOfAuth(undefined)).toEqual({ key: 'anonymous' });
  });

  it('counts an installation’s requests to the App’s routes as the App’s', () => {
    const identityOf = requestIdentities({ appId: 42, privateKey: 'k', installationId: 7 });
    expect(identityOf('/app/installations/{installation_id}/access_tokens')).toEqual({ key: 'app-42' });
    expect(identityOf('/app')).toEqual({ key: 'app-42' });
    expect(identityOf('/apps/{app_slug}')).toEqual({ key: 'installation-7', installationId: 7 });
    expect(identityOf('/repos/{owner}/{repo}/pulls/{pull_number}')).toEqual({ key: 'installation-7', installationId: 7 });
  });
});
