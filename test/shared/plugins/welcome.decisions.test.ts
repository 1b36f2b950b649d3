import { describe, expect, it } from 'vitest';
import {
  DEFAULT_WELCOME_TEMPLATE,
  renderWelcome,
  shouldWelcome,
  WelcomeTemplateError,
  type WelcomeDecisionInput,
} from '../../../shared/plugins/welcome';

const info = { Org: 'acme', Repo: 'widgets', AuthorLogin: 'newbie', AuthorName: 'New Person' };

describe('welcome template', () => {
  it('fills in the four fields Prow offers, with or without spaces inside the braces', () => {
    expect(renderWelcome('Hi {{.AuthorName}} (@{{ .AuthorLogin }}), thanks for {{.Org}}/{{.Repo}}!', info)).toBe(
      'Hi New Person (@newbie), thanks for acme/widgets!',
    );
  });

  it('renders the default greeting with the author and repository', () => {
    const message = renderWelcome(DEFAULT_WELCOME_TEMPLATE, info);
    expect(message).toContain('@newbie');
    expect(message).toContain('acme/widgets');
    expect(message).not.toContain('{{');
  });

  it('escapes values as Go html/template does, so a name cannot inject markup', () => {
    expect(renderWelcome('{{.AuthorName}}', { ...info, AuthorName: `<b>O'Neil & "Co"+</b>` })).toBe(
      '&lt;b&gt;O&#39;Neil &amp; &#34;Co&#34;&#43;&lt;/b&gt;',
    );
  });

  it('fails on template actions it cannot evaluate rather than posting them half-rendered', () => {
    expect(() => renderWelcome('Hi {{.Email}}', info)).toThrow(WelcomeTemplateError);
    expect(() => renderWelcome('{{if .AuthorName}}x{{end}}', info)).toThrow(WelcomeTemplateError);
  });
});

describe('who is welcomed', () => {
  const decide = (overrides: Partial<WelcomeDecisionInput>, asked: string[] = []) =>
    shouldWelcome({
      authorType: 'User',
      alwaysPost: false,
      isTrusted: () => {
        asked.push('trust');
        return Promise.resolve(false);
      },
      authoredPullRequests: () => {
        asked.push('search');
        return Promise.resolve(1);
      },
      ...overrides,
    });

  it('welcomes an untrusted author whose only pull request here is this one', async () => {
    expect(await decide({})).toBe(true);
    expect(await decide({ authoredPullRequests: () => Promise.resolve(0) })).toBe(true);
  });

  it('does not welcome someone who has opened pull requests here before', async () => {
    expect(await decide({ authoredPullRequests: () => Promise.resolve(2) })).toBe(false);
  });

  it('does not welcome trusted people, and does not search for them', async () => {
    const asked: string[] = [];
    expect(await decide({ isTrusted: () => Promise.resolve(true) }, asked)).toBe(false);
    expect(asked).toEqual([]);
  });

  it('never welcomes bots, and asks nothing about them', async () => {
    const asked: string[] = [];
    expect(await decide({ authorType: 'Bot', alwaysPost: true }, asked)).toBe(false);
    expect(asked).toEqual([]);
  });

  it('with always_post welcomes everyone else without asking', async () => {
    const asked: string[] = [];
    expect(
      await decide({ alwaysPost: true, isTrusted: () => Promise.resolve(true), authoredPullRequests: () => Promise.resolve(9) }, asked),
    ).toBe(true);
    expect(asked).toEqual([]);
  });
});
