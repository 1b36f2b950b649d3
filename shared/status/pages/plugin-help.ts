import { enabledPluginsFor } from '../../config/enabled-plugins';
import type { ExternalPlugin, PluginConfig } from '../../config/plugin-config';
import { externalPluginsFor } from '../../plugins/engine';
import type { CommandHelp, Plugin } from '../../plugins/plugin';
import { PLUGINS } from '../../plugins/registry';
import { configIndex } from '../config-index';
import { sendPage, type StatusRequest } from '../status-request';
import { repoVisibility } from '../visibility';
import { html, joinHtml, type SafeHtml } from '../html';
import type { EnabledRepo, ExternalHelpResult, ExternalHelpSource, ExternalPluginHelp } from '../external-help';

/**
 * Deck's plugin help (`/plugins`) and command help (`/command-help`): what each plugin does, what
 * it reads from plugins.yaml and which commands it answers — for one repository (the plugins
 * enabled there) or for the whole installation (every in-tree plugin, with where it is enabled).
 * Which plugins are enabled is decided by the same helpers the plugin engine dispatches with, so
 * the page cannot disagree with what actually runs.
 */

/** `GET /plugins` and `GET /command-help`, for all repositories or `?repo=<org/repo>`. */
export async function servePluginHelp(page: StatusRequest): Promise<void> {
  const { title, body } = pluginHelpBody(await pluginHelpInput(page));
  sendPage(page, title, body, 'plugins');
}

export async function serveCommandHelp(page: StatusRequest): Promise<void> {
  const { title, body } = commandHelpBody(await pluginHelpInput(page));
  sendPage(page, title, body, 'command-help', ['command-help']);
}

async function pluginHelpInput(page: StatusRequest): Promise<PluginHelpInput> {
  const repo = page.url.searchParams.get('repo') ?? undefined;
  const visibleRepo = repoVisibility(page.config);
  const repos = configIndex(page.config).repos.filter(visibleRepo);
  const all = page.url.searchParams.get('all') === '1';
  const input: PluginHelpInput = { plugins: PLUGINS, pluginConfig: page.config.plugins, repos, visible: visibleRepo, all, ...(repo && repos.includes(repo) ? { repo } : {}) };
  const source = page.deps.externalHelp;
  return source ? { ...input, externalHelp: await fetchExternalHelp(input, source) } : input;
}

/**
 * The help of every external plugin the page lists, asked for concurrently; each source call
 * settles within its own deadline and never rejects, so the page waits at most that long.
 */
export async function fetchExternalHelp(input: PluginHelpInput, source: ExternalHelpSource): Promise<Map<string, ExternalHelpResult>> {
  const shown = externalPlugins(input, input.visible ?? (() => true));
  const answers = await Promise.all(shown.map(async (plugin) => [plugin.name, await source(plugin.endpoint, enabledRepos(input.pluginConfig, plugin.name))] as const));
  return new Map(answers);
}

/** Where plugins.yaml lists an external plugin, as Prow's hook tells the plugin in `POST /help`. */
function enabledRepos(config: PluginConfig | undefined, name: string): EnabledRepo[] {
  return Object.entries(config?.external_plugins ?? {})
    .filter(([, entries]) => entries.some((entry) => entry.name === name))
    .map(([key]) => {
      const { org, repo } = splitRepo(key);
      return { Org: org, Repo: repo };
    })
    .sort((a, b) => `${a.Org}/${a.Repo}`.localeCompare(`${b.Org}/${b.Repo}`));
}

export interface PluginHelpInput {
  /** The in-tree plugins (shared/plugins/registry.ts). */
  plugins: readonly Plugin[];
  /** plugins.yaml; undefined when none is configured (then nothing is enabled). */
  pluginConfig: PluginConfig | undefined;
  /** "org/repo" the reader chose; absent for all repositories. */
  repo?: string;
  /** Repositories offered in the selector. */
  repos: readonly string[];
  /**
   * /plugins for all repositories: every in-tree plugin, not only those plugins.yaml enables
   * somewhere (`?all=1`). Most of the plugins Cutwater provides are off in any one installation.
   */
  all?: boolean;
  /**
   * Whether an org or "org/repo" may be named on a public page (deck's hidden_repos). plugins.yaml
   * names private repositories too; without this predicate every entry is shown.
   */
  visible?: (orgOrRepo: string) => boolean;
  /**
   * The external plugins' own help by plugin name, fetched from their `/help`; a plugin missing
   * here or that did not answer is shown as "help unavailable".
   */
  externalHelp?: ReadonlyMap<string, ExternalHelpResult>;
}

export interface RenderedBody {
  title: string;
  body: SafeHtml;
}

export function pluginSectionId(name: string): string {
  return `plugin-${name}`;
}

export function pluginHelpHref(name: string): string {
  return `/plugins#${encodeURIComponent(pluginSectionId(name))}`;
}

/** Help texts mark commands and labels with backticks, as in Prow's markdown help. */
function prose(text: string): SafeHtml {
  // Splitting on the capture group leaves the backticked spans at the odd indexes.
  return joinHtml(text.split(/`([^`\n]+)`/).map((part, index) => (index % 2 === 1 ? html`<code>${part}</code>` : part)));
}

function splitRepo(orgRepo: string): { org: string; repo: string } {
  const slash = orgRepo.indexOf('/');
  return slash < 0 ? { org: orgRepo, repo: '' } : { org: orgRepo.slice(0, slash), repo: orgRepo.slice(slash + 1) };
}

/** Delivery names only: plugins register "pull_request.opened", external entries list "pull_request". */
function eventNames(plugin: Plugin): string[] {
  return [...new Set(plugin.events.map((event) => event.split('.')[0] ?? event))];
}

/**
 * A built-in plugin listed under external_plugins without an endpoint is run in-process by the
 * engine (Prow's needs-rebase is external; Cutwater's is not), so it counts as enabled there.
 */
function servedInProcess(config: PluginConfig, org: string, repo: string, plugin: Plugin): boolean {
  return eventNames(plugin).some((event) =>
    externalPluginsFor(config, org, repo, event).some((target) => target.name === plugin.name && !target.explicitEndpoint),
  );
}

interface Enablement {
  /** In-tree plugins that run for the repo (or, without a repo, every in-tree plugin). */
  plugins: Plugin[];
  /** Names plugins.yaml enables that Cutwater does not provide. */
  missing: string[];
}

function enablementFor(input: PluginHelpInput): Enablement {
  const config = input.pluginConfig;
  if (!input.repo) {
    const named = new Set<string>();
    for (const entry of Object.values(config?.plugins ?? {})) for (const name of entry.plugins ?? []) named.add(name);
    const known = new Set(input.plugins.map((plugin) => plugin.name));
    return { plugins: [...input.plugins], missing: [...named].filter((name) => !known.has(name)).sort() };
  }
  if (!config) return { plugins: [], missing: [] };
  const { org, repo } = splitRepo(input.repo);
  const names = new Set(enabledPluginsFor(config, org, repo));
  const plugins = input.plugins.filter((plugin) => names.has(plugin.name) || servedInProcess(config, org, repo, plugin));
  const known = new Set(input.plugins.map((plugin) => plugin.name));
  return { plugins, missing: [...names].filter((name) => !known.has(name)).sort() };
}

/** Where plugins.yaml enables a plugin, as "org", "org (except org/a, org/b)" or "org/repo". */
function enabledWhere(config: PluginConfig | undefined, plugin: Plugin, visible: (orgOrRepo: string) => boolean): string[] {
  const places: string[] = [];
  for (const [key, entry] of Object.entries(config?.plugins ?? {})) {
    if (!(entry.plugins ?? []).includes(plugin.name) || !visible(key)) continue;
    const excluded = key.includes('/')
      ? []
      : (entry.excluded_repos ?? []).map((repo) => `${key}/${repo}`).filter((repo) => visible(repo));
    places.push(excluded.length > 0 ? `${key} (except ${excluded.join(', ')})` : key);
  }
  for (const [key, entries] of Object.entries(config?.external_plugins ?? {})) {
    if (entries.some((entry) => entry.name === plugin.name && !entry.endpoint) && visible(key)) places.push(key);
  }
  return [...new Set(places)].sort();
}

function repoSelector(input: PluginHelpInput, action: string): SafeHtml {
  const options = [
    html`<option value="">All repositories</option>`,
    ...input.repos.map((repo) => html`<option value="${repo}"${repo === input.repo ? html` selected` : ''}>${repo}</option>`),
  ];
  return html`<form class="filters" method="get" action="${action}" aria-label="Choose a repository">
<label for="repo-select">Repository<select id="repo-select" name="repo">${options}</select></label>
<button type="submit" class="primary">Show</button>
</form>`;
}

function examplesHtml(command: CommandHelp): SafeHtml {
  return joinHtml(command.examples.map((example) => html`<code class="example">${example}</code>`), html` `);
}

/**
 * A usage such as `/[remove-](area|kind|sig) <value>` may break only between its words and after
 * an alternative's `|`, never inside a word, so the Command column can stay narrow.
 */
function usageCode(usage: string): SafeHtml {
  const words = usage.split(' ').map((word) => joinHtml(word.split(/(?<=\|)/).map((piece) => html`<span class="nowrap">${piece}</span>`), html`<wbr>`));
  return html`<code class="usage">${joinHtml(words, html` `)}</code>`;
}

function usageCell(command: CommandHelp): SafeHtml {
  return html`<th scope="row">${usageCode(command.usage)}${command.featured ? html` <span class="muted">(featured)</span>` : ''}</th>`;
}

function commandsTable(name: string, commands: readonly CommandHelp[]): SafeHtml {
  const rows = commands.map(
    (command) => html`<tr>${usageCell(command)}<td>${prose(command.description)}</td><td>${examplesHtml(command)}</td><td>${prose(command.who)}</td></tr>`,
  );
  return html`<div class="table-wrap"><table class="commands"><caption>Commands of ${name}</caption>
<thead><tr><th scope="col">Command</th><th scope="col">What it does</th><th scope="col">Examples</th><th scope="col">Who can use it</th></tr></thead>
<tbody>${joinHtml(rows, html`\n`)}</tbody></table></div>`;
}

function eventList(events: readonly string[]): SafeHtml {
  return joinHtml(events.map((event) => html`<code>${event}</code>`), html`, `);
}

function pluginSection(input: PluginHelpInput, plugin: Plugin, visible: (orgOrRepo: string) => boolean): SafeHtml {
  const facts: SafeHtml[] = [];
  if (!input.repo) {
    const where = enabledWhere(input.pluginConfig, plugin, visible);
    facts.push(html`<dt>Enabled for</dt><dd>${where.length > 0 ? where.join('; ') : 'Not enabled in plugins.yaml'}</dd>`);
  }
  facts.push(html`<dt>Configuration</dt><dd>${plugin.help.config ? prose(plugin.help.config) : 'None: it reads no settings from plugins.yaml.'}</dd>`);
  const events = plugin.events;
  if (events.length > 0) facts.push(html`<dt>Events</dt><dd>${eventList(events)}</dd>`);
  return helpSection(pluginSectionId(plugin.name), plugin.name, prose(plugin.help.description), facts, plugin.help.commands ?? []);
}

function helpSection(id: string, name: string, description: SafeHtml, facts: readonly SafeHtml[], commands: readonly CommandHelp[], extra?: SafeHtml): SafeHtml {
  return html`<section class="plugin" id="${id}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${name}</h2>
<p>${description}</p>
<dl class="facts">${facts}</dl>
${extra}${commands.length > 0 ? commandsTable(name, commands) : html`<p class="muted">No commands.</p>`}
</section>`;
}

/** The host only: an endpoint URL may carry credentials or a token in its path. */
function endpointHost(entry: ExternalPlugin): string {
  try {
    return new URL(entry.endpoint || `http://${entry.name ?? ''}`).host || 'invalid endpoint';
  } catch {
    return 'invalid endpoint';
  }
}

function externalEntries(input: PluginHelpInput, visible: (orgOrRepo: string) => boolean): { where: string; entry: ExternalPlugin }[] {
  const all = input.pluginConfig?.external_plugins ?? {};
  let keys: string[];
  if (input.repo) {
    const { org } = splitRepo(input.repo);
    keys = [org, input.repo];
  } else {
    keys = Object.keys(all).filter((key) => visible(key)).sort();
  }
  return keys.flatMap((key) => (Object.hasOwn(all, key) ? (all[key] ?? []) : []).filter((entry) => entry.name).map((entry) => ({ where: key, entry })));
}

function externalSection(input: PluginHelpInput, visible: (orgOrRepo: string) => boolean): SafeHtml | undefined {
  const entries = externalEntries(input, visible);
  if (entries.length === 0) return undefined;
  const builtIn = new Set(input.plugins.map((plugin) => plugin.name));
  const rows = entries.map(({ where, entry }) => {
    const name = entry.name ?? '';
    const endpoint = !entry.endpoint && builtIn.has(name) ? 'built in (runs inside Cutwater)' : endpointHost(entry);
    const events = entry.events?.length ? eventList(entry.events) : 'all events';
    return html`<tr><th scope="row">${name}</th><td>${where}</td><td>${endpoint}</td><td>${events}</td></tr>`;
  });
  return html`<section id="external-plugins" aria-labelledby="external-plugins-title">
<h2 id="external-plugins-title">External plugins</h2>
<p>Services that receive this installation's webhook events.</p>
<div class="table-wrap"><table aria-labelledby="external-plugins-title">
<thead><tr><th scope="col">Name</th><th scope="col">Configured for</th><th scope="col">Endpoint host</th><th scope="col">Events</th></tr></thead>
<tbody>${joinHtml(rows, html`\n`)}</tbody></table></div>
</section>`;
}

/** An external plugin the page lists: the service behind one name in external_plugins. */
interface ShownExternalPlugin {
  name: string;
  /** Prow's default when none is given: the plugin's name as a host. */
  endpoint: string;
  /** The events plugins.yaml forwards to it; empty for all. */
  events: string[];
  where: string[];
}

/**
 * The external plugins behind the entries the page shows, one per name as Prow's hook keeps them
 * (the last entry of a name wins); built-in plugins listed without an endpoint run inside Cutwater
 * and have their own sections.
 */
function externalPlugins(input: PluginHelpInput, visible: (orgOrRepo: string) => boolean): ShownExternalPlugin[] {
  const builtIn = new Set(input.plugins.map((plugin) => plugin.name));
  const byName = new Map<string, ShownExternalPlugin>();
  for (const { where, entry } of externalEntries(input, visible)) {
    const name = entry.name ?? '';
    if (!entry.endpoint && builtIn.has(name)) continue;
    const places = [...(byName.get(name)?.where ?? []), where];
    byName.set(name, { name, endpoint: entry.endpoint || `http://${name}`, events: entry.events ?? [], where: places });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function externalSectionId(name: string): string {
  return `external-plugin-${name}`;
}

function externalCommands(help: ExternalPluginHelp): CommandHelp[] {
  return (help.Commands ?? []).map((command) => ({
    usage: command.Usage,
    description: command.Description,
    examples: command.Examples ?? [],
    who: command.WhoCanUse ?? '',
    featured: command.Featured ?? false,
  }));
}

/** The plugin's own words on its settings, for the scopes this page may name ("" is every repository). */
function externalConfig(input: PluginHelpInput, help: ExternalPluginHelp, visible: (orgOrRepo: string) => boolean): SafeHtml | undefined {
  const scopes = input.repo ? new Set(['', splitRepo(input.repo).org, input.repo]) : undefined;
  const entries = Object.entries(help.Config ?? {})
    .filter(([scope, text]) => text !== '' && (scopes ? scopes.has(scope) : scope === '' || visible(scope)))
    .sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return undefined;
  if (entries.length === 1 && entries[0]![0] === '') return prose(entries[0]![1]);
  return html`<ul>${entries.map(([scope, text]) => html`<li>${scope === '' ? 'All repositories' : scope}: ${prose(text)}</li>`)}</ul>`;
}

function externalHelpSection(input: PluginHelpInput, plugin: ShownExternalPlugin, visible: (orgOrRepo: string) => boolean): SafeHtml {
  const id = externalSectionId(plugin.name);
  const answer = input.externalHelp?.get(plugin.name);
  const facts: SafeHtml[] = [html`<dt>Configured for</dt><dd>${plugin.where.join('; ')}</dd>`];
  // As Prow's hook does, the events are the ones plugins.yaml forwards, whatever the plugin claims.
  facts.push(html`<dt>Events</dt><dd>${plugin.events.length > 0 ? eventList(plugin.events) : 'All events'}</dd>`);
  if (!answer?.ok) {
    return html`<section class="plugin external" id="${id}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${plugin.name}</h2>
<p class="muted">Help unavailable: the plugin did not answer in time or sent no valid help. Reload the page to try again.</p>
<dl class="facts">${facts}</dl>
</section>`;
  }
  const { help } = answer;
  const config = externalConfig(input, help, visible);
  if (config) facts.push(html`<dt>Configuration</dt><dd>${config}</dd>`);
  const snippet = help.Snippet ? html`<pre><code>${help.Snippet}</code></pre>
` : undefined;
  return helpSection(id, plugin.name, prose(help.Description), facts, externalCommands(help), snippet);
}

function missingNote(missing: readonly string[]): SafeHtml | undefined {
  if (missing.length === 0) return undefined;
  return html`<p class="muted">Enabled in plugins.yaml but not provided by Cutwater, so they do nothing here: ${missing.join(', ')}.</p>`;
}

function allPluginsIntro(input: PluginHelpInput, shown: number): SafeHtml {
  const total = input.plugins.length;
  return input.all
    ? html`<p>Every plugin Cutwater provides (${total}), and where plugins.yaml enables it. <a href="/plugins">Only the enabled ones</a> · <a href="/command-help">All commands</a>.</p>`
    : html`<p>The ${shown} plugins plugins.yaml enables somewhere, and where. Choose a repository to see only the plugins enabled there. <a href="/plugins?all=1">Show all ${total} plugins Cutwater provides</a> · <a href="/command-help">All commands</a>.</p>`;
}

export function pluginHelpBody(input: PluginHelpInput): RenderedBody {
  const visible = input.visible ?? (() => true);
  const enablement = enablementFor(input);
  const { missing } = enablement;
  // For all repositories, a plugin enabled nowhere (or only where the page may not say) is noise unless asked for.
  const plugins = input.repo || input.all ? enablement.plugins : enablement.plugins.filter((plugin) => enabledWhere(input.pluginConfig, plugin, visible).length > 0);
  const title = input.repo ? `Plugins for ${input.repo}` : 'Plugins';
  const intro = input.repo
    ? html`<p>The plugins enabled for ${input.repo} in plugins.yaml. <a href="/command-help?${new URLSearchParams({ repo: input.repo }).toString()}">Their commands</a>.</p>`
    : allPluginsIntro(input, plugins.length);
  const contents =
    plugins.length > 0
      ? html`<nav aria-label="Plugins on this page"><ul class="plugin-index">${plugins.map(
          (plugin) => html`<li><a href="#${pluginSectionId(plugin.name)}">${plugin.name}</a></li>`,
        )}</ul></nav>`
      : html`<p>No plugins are enabled for ${input.repo ?? 'any repository'}.</p>`;
  const body = html`<h1>${title}</h1>
${repoSelector(input, '/plugins')}
${intro}
${contents}
${missingNote(missing)}
${joinHtml(
  plugins.map((plugin) => pluginSection(input, plugin, visible)),
  html`\n`,
)}
${externalSection(input, visible)}
${joinHtml(
  externalPlugins(input, visible).map((plugin) => externalHelpSection(input, plugin, visible)),
  html`\n`,
)}`;
  return { title, body };
}

export function commandHelpBody(input: PluginHelpInput): RenderedBody {
  const { plugins } = enablementFor(input);
  const title = input.repo ? `Commands for ${input.repo}` : 'Command help';
  const commands = [
    ...plugins.flatMap((plugin) => (plugin.help.commands ?? []).map((command) => ({ name: plugin.name, href: pluginHelpHref(plugin.name), command }))),
    ...externalPlugins(input, input.visible ?? (() => true)).flatMap((plugin) => {
      const answer = input.externalHelp?.get(plugin.name);
      const href = `/plugins#${encodeURIComponent(externalSectionId(plugin.name))}`;
      return answer?.ok ? externalCommands(answer.help).map((command) => ({ name: plugin.name, href, command })) : [];
    }),
  ];
  // The commands people use most come first; within each group, the plugins' own order.
  const ordered = [...commands.filter(({ command }) => command.featured), ...commands.filter(({ command }) => !command.featured)];
  const rows = ordered.map(({ name, href, command }) => {
    const search = [command.usage, command.description, ...command.examples, command.who, name].join(' ').toLowerCase();
    return html`<tr data-search="${search}">${usageCell(command)}<td>${prose(command.description)}</td><td>${examplesHtml(command)}</td><td>${prose(command.who)}</td><td class="nowrap"><a href="${href}">${name}</a></td></tr>`;
  });
  const scope = input.repo ? `enabled for ${input.repo}` : 'Cutwater provides';
  const body = html`<h1>${title}</h1>
${repoSelector(input, '/command-help')}
<p>Commands are typed in a comment on an issue or pull request, each on a line of its own.</p>
<p><label for="command-filter" hidden>Filter commands</label> <input id="command-filter" type="search" autocomplete="off" hidden></p>
<div class="table-wrap"><table id="commands" class="commands"><caption>Commands of the plugins ${scope}</caption>
<thead><tr><th scope="col">Command</th><th scope="col">What it does</th><th scope="col">Examples</th><th scope="col">Who can use it</th><th scope="col">Plugin</th></tr></thead>
<tbody>${rows.length > 0 ? joinHtml(rows, html`\n`) : html`<tr><td colspan="5">No commands: no plugin with commands is enabled here.</td></tr>`}</tbody></table></div>`;
  return { title, body };
}
