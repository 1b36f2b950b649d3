import { describe, expect, it } from 'vitest';
import type { PluginConfig } from '../../../../shared/config/plugin-config';
import { definePlugin } from '../../../../shared/plugins/plugin';
import { PLUGINS } from '../../../../shared/plugins/registry';
import { commandHelpBody as renderCommandHelp, pluginHelpBody as renderPluginHelp, type PluginHelpInput } from '../../../../shared/status/pages/plugin-help';
import { buildFromFiles, expectLoaded, yaml } from '../../../support/config';

/**
 * Deck's /plugins and /command-help pages, rendered from the real plugin registry and a
 * plugins.yaml loaded by the real loader: what a contributor looking for "how do I hold this PR?"
 * sees, and that a repository's page shows only the plugins that actually run there.
 */

/** The pages' HTML as text, to search. */
function pluginHelpBody(input: PluginHelpInput): { title: string; body: string } {
  const { title, body } = renderPluginHelp(input);
  return { title, body: String(body) };
}

function commandHelpBody(input: PluginHelpInput): { title: string; body: string } {
  const { title, body } = renderCommandHelp(input);
  return { title, body: String(body) };
}

const PLUGINS_YAML = yaml(`
  plugins:
    acme:
      excluded_repos: [secret]
      plugins: [hold, lgtm]
    acme/widgets:
      plugins: [size, golint]
    acme/secret:
      plugins: [wip]
    hushed:
      plugins: [label]
  external_plugins:
    acme/widgets:
    - name: cherrypicker
      endpoint: https://bot:hunter2@cherry.example.com/hook?token=abc123
      events: [issue_comment, pull_request]
    acme:
    - name: needs-rebase
      events: [pull_request]
`);

function pluginConfig(): PluginConfig {
  const config = expectLoaded(buildFromFiles({ plugins: PLUGINS_YAML }));
  if (!config.plugins) throw new Error('test bug: plugins.yaml did not load');
  return config.plugins;
}

function input(overrides: Partial<PluginHelpInput> = {}): PluginHelpInput {
  return { plugins: PLUGINS, pluginConfig: pluginConfig(), repos: ['acme/secret', 'acme/widgets'], ...overrides };
}

/** The plugin sections on a page, by id. */
function sectionIds(html: string): string[] {
  return [...html.matchAll(/<section class="plugin" id="plugin-([^"]+)"/g)].map((match) => match[1]!);
}

function section(html: string, name: string): string {
  const start = html.indexOf(`<section class="plugin" id="plugin-${name}"`);
  if (start < 0) throw new Error(`no section for ${name} in:\n${html}`);
  return html.slice(start, html.indexOf('</section>', start));
}

/** What a reader sees: tags dropped, character references decoded. */
function text(html: string): string {
  return html
    .replace(/<[^>]*>/g, ' ')
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)))
    .replace(/\s+/g, ' ');
}

/** The text of each `<code>` (a usage is split into unbreakable pieces inside its one code element). */
function codes(html: string): string[] {
  return [...html.matchAll(/<code[^>]*>([\s\S]*?)<\/code>/g)].map((match) => text((match[1] ?? '').replace(/<[^>]*>/g, '')).trim());
}

function commandRows(html: string): string[] {
  return [...html.matchAll(/<tr data-search="[^"]*"[^>]*>.*?<\/tr>/g)].map((match) => match[0]);
}

describe('/plugins for all repositories', () => {
  const { title, body } = pluginHelpBody(input({ all: true }));

  it('with ?all=1, has a section for every in-tree plugin, each linkable by id', () => {
    expect(title).toBe('Plugins');
    expect(sectionIds(body)).toEqual(PLUGINS.map((plugin) => plugin.name));
    expect(body).toContain('<a href="/plugins">Only the enabled ones</a>');
  });

  it('by default, shows only the plugins plugins.yaml enables somewhere, with a link to all of them', () => {
    const enabled = pluginHelpBody(input()).body;
    expect(sectionIds(enabled)).toEqual(PLUGINS.map((plugin) => plugin.name).filter((name) => ['hold', 'lgtm', 'size', 'wip', 'label', 'needs-rebase'].includes(name)));
    expect(enabled).not.toContain('id="plugin-trigger"');
    expect(text(enabled)).toContain(`Show all ${PLUGINS.length} plugins Cutwater provides`);
    expect(enabled).toContain('href="/plugins?all=1"');
    // A plugin enabled only where the page may not say counts as enabled nowhere.
    const hidden = new Set(['acme/secret', 'hushed']);
    const publicView = pluginHelpBody(input({ visible: (name) => !hidden.has(name), repos: ['acme/widgets'] })).body;
    expect(sectionIds(publicView)).not.toContain('wip');
    expect(sectionIds(publicView)).not.toContain('label');
  });

  it('shows the hold command with its examples and who may use it', () => {
    const hold = section(body, 'hold');
    expect(codes(hold)).toEqual(expect.arrayContaining(['/[remove-][un]hold [cancel]', '/hold', '/hold cancel']));
    expect(text(hold)).toContain('Anyone, on pull requests.');
    expect(hold).toMatch(/<caption>Commands of hold<\/caption>/);
  });

  it('says where each plugin is enabled, with the repositories an org entry excludes', () => {
    expect(text(section(body, 'hold'))).toContain('Enabled for acme (except acme/secret)');
    expect(text(section(body, 'wip'))).toContain('Enabled for acme/secret');
    expect(text(section(body, 'trigger'))).toContain('Not enabled in plugins.yaml');
    // Listed under external_plugins without an endpoint: the engine runs the built-in one.
    expect(text(section(body, 'needs-rebase'))).toContain('Enabled for acme');
  });

  it('does not name hidden orgs or repositories', () => {
    const hidden = new Set(['acme/secret', 'hushed']);
    const page = pluginHelpBody(input({ visible: (name) => !hidden.has(name), repos: ['acme/widgets'], all: true })).body;
    expect(text(section(page, 'hold'))).toContain('Enabled for acme');
    expect(page).not.toContain('acme/secret');
    expect(text(section(page, 'label'))).toContain('Not enabled in plugins.yaml');
  });

  it('notes plugins that plugins.yaml enables but Cutwater does not provide', () => {
    expect(text(body)).toMatch(/not provided by Cutwater.*: golint\./);
  });

  it('offers a labelled repository selector that defaults to all repositories', () => {
    expect(body).toMatch(/<form[^>]*method="get" action="\/plugins"/);
    expect(body).toMatch(/<label for="repo-select">Repository<select id="repo-select" name="repo">/);
    expect(body).toContain('<option value="">All repositories</option>');
    expect(body).not.toContain(' selected');
  });

  it('lists external plugins by endpoint host only, never the credentials or path', () => {
    expect(body).toContain('cherry.example.com');
    expect(body).not.toContain('hunter2');
    expect(body).not.toContain('abc123');
    const row = /<tr><th scope="row">cherrypicker<\/th>.*?<\/tr>/.exec(body)?.[0] ?? '';
    expect(text(row)).toContain('acme/widgets');
    expect(row).toContain('<code>issue_comment</code>, <code>pull_request</code>');
  });
});

describe('/plugins for one repository', () => {
  it('shows only the plugins enabled there: the org entry, the repo entry and built-in externals', () => {
    const { title, body } = pluginHelpBody(input({ repo: 'acme/widgets' }));
    expect(title).toBe('Plugins for acme/widgets');
    expect(sectionIds(body).sort()).toEqual(['hold', 'lgtm', 'needs-rebase', 'size']);
    expect(body).toContain('<option value="acme/widgets" selected>acme/widgets</option>');
    expect(text(body)).toContain('cherrypicker');
  });

  it("leaves out the org's plugins for a repository the org entry excludes", () => {
    const { body } = pluginHelpBody(input({ repo: 'acme/secret' }));
    expect(sectionIds(body).sort()).toEqual(['needs-rebase', 'wip']);
    expect(body).not.toContain('cherrypicker');
  });

  it('says so when nothing is enabled, and without plugins.yaml nothing is', () => {
    const { body } = pluginHelpBody(input({ repo: 'other/thing', pluginConfig: undefined }));
    expect(sectionIds(body)).toEqual([]);
    expect(text(body)).toContain('No plugins are enabled for other/thing.');
  });
});

describe('/command-help', () => {
  it('has a row per command with usage, examples as code, who may use it and a link to its plugin', () => {
    const { title, body } = commandHelpBody(input());
    expect(title).toBe('Command help');
    expect(body).toContain('<table id="commands" class="commands">');
    const hold = commandRows(body).find((row) => codes(row).includes('/[remove-][un]hold [cancel]'));
    expect(hold).toBeDefined();
    expect(codes(hold!)).toContain('/hold cancel');
    expect(text(hold!)).toContain('Anyone, on pull requests.');
    expect(hold).toContain('<a href="/plugins#plugin-hold">hold</a>');
    const search = /data-search="([^"]*)"/.exec(hold!)?.[1] ?? '';
    expect(search).toBe(search.toLowerCase());
    expect(search).toContain('/hold cancel');
  });

  it('has the filter box the client script unhides', () => {
    const { body } = commandHelpBody(input());
    expect(body).toMatch(/<label for="command-filter" hidden>/);
    expect(body).toMatch(/<input id="command-filter" type="search"[^>]* hidden>/);
  });

  it('lists featured commands first, marked', () => {
    const plain = definePlugin('plain', {
      description: 'Plain.',
      commands: [{ usage: '/plain', description: 'Plain.', examples: ['/plain'], who: 'Anyone.' }],
    });
    const star = definePlugin('star', {
      description: 'Star.',
      commands: [{ usage: '/star', description: 'Star.', examples: ['/star'], who: 'Anyone.', featured: true }],
    });
    const rows = commandRows(commandHelpBody({ plugins: [plain, star], pluginConfig: undefined, repos: [] }).body);
    expect(rows.map((row) => codes(row)[0])).toEqual(['/star', '/plain']);
    expect(text(rows[0]!)).toContain('(featured)');
    expect(text(rows[1]!)).not.toContain('(featured)');
  });

  it('lays the table out to read: no bold rows, usages and plugin names never broken inside a word', () => {
    const { body } = commandHelpBody(input());
    const rows = commandRows(body);
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      // Featured rows are marked in words, not by making the whole row bold.
      expect(row).not.toMatch(/<tr[^>]*class="featured"/);
      expect(row).toMatch(/<td class="nowrap"><a href="[^"]+">[\w-]+<\/a><\/td><\/tr>$/);
    }
    const label = rows.find((row) => codes(row)[0]?.startsWith('/[remove-](area|'));
    expect(label).toBeDefined();
    // A long usage may break only after an alternative's bar or between words.
    expect(label).toContain('<span class="nowrap">/[remove-](area|</span><wbr><span class="nowrap">committee|</span>');
    expect(codes(label!)[0]).toBe('/[remove-](area|committee|kind|language|priority|sig|triage|wg) <value> [<value>…]');
  });

  it('for a repository, lists only the commands of the plugins enabled there', () => {
    const { title, body } = commandHelpBody(input({ repo: 'acme/widgets' }));
    expect(title).toBe('Commands for acme/widgets');
    const plugins = new Set(commandRows(body).map((row) => /href="\/plugins#plugin-([^"]+)"/.exec(row)?.[1]));
    expect(plugins).toEqual(new Set(['hold', 'lgtm']));
    expect(codes(body)).not.toContain('/retest');
  });

  it('says so when no enabled plugin has commands', () => {
    const { body } = commandHelpBody(input({ repo: 'acme/secret' }));
    expect(commandRows(body)).toEqual([]);
    expect(text(body)).toContain('No commands: no plugin with commands is enabled here.');
  });
});

describe('escaping', () => {
  const hostile = definePlugin('evil', {
    description: 'Says <script>alert(1)</script> and `<b>code</b>`.',
    config: 'Reads "<img src=x onerror=alert(2)>".',
    commands: [{ usage: '/evil <x>', description: 'a & b', examples: ['/evil "<svg onload=alert(3)>"'], who: '<i>anyone</i>' }],
  });

  it('escapes help text, usage, examples and who, on both pages', () => {
    const pages = [
      pluginHelpBody({ plugins: [hostile], pluginConfig: undefined, repos: ['<a>/<b>'], all: true }).body,
      commandHelpBody({ plugins: [hostile], pluginConfig: undefined, repos: [] }).body,
    ];
    for (const page of pages) {
      expect(page).not.toMatch(/<(script|img|svg|b|i)[\s>]/);
      expect(page).not.toContain('<a>');
      expect(text(page)).toContain('/evil <x>');
    }
    expect(pages[0]).toContain('<code>&#60;b&#62;code&#60;/b&#62;</code>');
  });

  it('escapes external plugin names and events from plugins.yaml', () => {
    const config = expectLoaded(
      buildFromFiles({
        plugins: yaml(`
          external_plugins:
            acme:
            - name: "<script>x</script>"
              endpoint: "javascript:alert(1)"
              events: ["<b>push</b>"]
        `),
      }),
    ).plugins;
    const { body } = pluginHelpBody({ plugins: [], pluginConfig: config, repos: [] });
    expect(body).not.toMatch(/<(script|b)>/);
    expect(text(body)).toContain('<script>x</script>');
    expect(body).not.toContain('javascript:');
  });
});
