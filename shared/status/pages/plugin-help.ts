import { enabledPluginsFor, type ExternalPlugin, type PluginConfig } from '../../config/plugin-config';
import { externalPluginsFor } from '../../plugins/engine';
import type { CommandHelp, Plugin } from '../../plugins/plugin';
import { escapeHtml } from './layout';

/**
 * Deck's plugin help (`/plugins`) and command help (`/command-help`): what each plugin does, what
 * it reads from plugins.yaml and which commands it answers — for one repository (the plugins
 * enabled there) or for the whole installation (every in-tree plugin, with where it is enabled).
 * Which plugins are enabled is decided by the same helpers the plugin engine dispatches with, so
 * the page cannot disagree with what actually runs.
 */

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
   * Whether an org or "org/repo" may be named on a public page (deck's hidden_repos). plugins.yaml
   * names private repositories too; without this predicate every entry is shown.
   */
  visible?: (orgOrRepo: string) => boolean;
}

export interface RenderedBody {
  title: string;
  body: string;
}

export function pluginSectionId(name: string): string {
  return `plugin-${name}`;
}

export function pluginHelpHref(name: string): string {
  return `/plugins#${encodeURIComponent(pluginSectionId(name))}`;
}

/** Help texts mark commands and labels with backticks, as in Prow's markdown help. */
function prose(text: string): string {
  return escapeHtml(text).replace(/`([^`\n]+)`/g, '<code>$1</code>');
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

function repoSelector(input: PluginHelpInput, action: string): string {
  const options = [
    `<option value="">All repositories</option>`,
    ...input.repos.map(
      (repo) => `<option value="${escapeHtml(repo)}"${repo === input.repo ? ' selected' : ''}>${escapeHtml(repo)}</option>`,
    ),
  ];
  return `<form class="filters" method="get" action="${action}" aria-label="Choose a repository">
<label for="repo-select">Repository<select id="repo-select" name="repo">${options.join('')}</select></label>
<button type="submit" class="primary">Show</button>
</form>`;
}

function examplesHtml(command: CommandHelp): string {
  return command.examples.map((example) => `<code>${escapeHtml(example)}</code>`).join(' ');
}

function commandsTable(plugin: Plugin, commands: readonly CommandHelp[]): string {
  const rows = commands.map(
    (command) =>
      `<tr><th scope="row"><code>${escapeHtml(command.usage)}</code>${command.featured ? ' <span class="muted">(featured)</span>' : ''}</th><td>${prose(command.description)}</td><td>${examplesHtml(command)}</td><td>${prose(command.who)}</td></tr>`,
  );
  return `<div class="table-wrap"><table><caption>Commands of ${escapeHtml(plugin.name)}</caption>
<thead><tr><th scope="col">Command</th><th scope="col">What it does</th><th scope="col">Examples</th><th scope="col">Who can use it</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>`;
}

function pluginSection(input: PluginHelpInput, plugin: Plugin, visible: (orgOrRepo: string) => boolean): string {
  const id = escapeHtml(pluginSectionId(plugin.name));
  const facts: string[] = [];
  if (!input.repo) {
    const where = enabledWhere(input.pluginConfig, plugin, visible);
    facts.push(`<dt>Enabled for</dt><dd>${where.length > 0 ? escapeHtml(where.join('; ')) : 'Not enabled in plugins.yaml'}</dd>`);
  }
  facts.push(`<dt>Configuration</dt><dd>${plugin.help.config ? prose(plugin.help.config) : 'None: it reads no settings from plugins.yaml.'}</dd>`);
  const events = plugin.events;
  if (events.length > 0) facts.push(`<dt>Events</dt><dd>${events.map((event) => `<code>${escapeHtml(event)}</code>`).join(', ')}</dd>`);
  const commands = plugin.help.commands ?? [];
  return `<section class="plugin" id="${id}" aria-labelledby="${id}-title">
<h2 id="${id}-title">${escapeHtml(plugin.name)}</h2>
<p>${prose(plugin.help.description)}</p>
<dl class="facts">${facts.join('')}</dl>
${commands.length > 0 ? commandsTable(plugin, commands) : '<p class="muted">No commands.</p>'}
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

function externalSection(input: PluginHelpInput, visible: (orgOrRepo: string) => boolean): string {
  const entries = externalEntries(input, visible);
  if (entries.length === 0) return '';
  const builtIn = new Set(input.plugins.map((plugin) => plugin.name));
  const rows = entries.map(({ where, entry }) => {
    const name = entry.name ?? '';
    const endpoint = !entry.endpoint && builtIn.has(name) ? 'built in (runs inside Cutwater)' : escapeHtml(endpointHost(entry));
    const events = entry.events?.length ? entry.events.map((event) => `<code>${escapeHtml(event)}</code>`).join(', ') : 'all events';
    return `<tr><th scope="row">${escapeHtml(name)}</th><td>${escapeHtml(where)}</td><td>${endpoint}</td><td>${events}</td></tr>`;
  });
  return `<section id="external-plugins" aria-labelledby="external-plugins-title">
<h2 id="external-plugins-title">External plugins</h2>
<p>Services that receive this installation's webhook events.</p>
<div class="table-wrap"><table aria-labelledby="external-plugins-title">
<thead><tr><th scope="col">Name</th><th scope="col">Configured for</th><th scope="col">Endpoint host</th><th scope="col">Events</th></tr></thead>
<tbody>${rows.join('\n')}</tbody></table></div>
</section>`;
}

function missingNote(missing: readonly string[]): string {
  if (missing.length === 0) return '';
  return `<p class="muted">Enabled in plugins.yaml but not provided by Cutwater, so they do nothing here: ${missing.map((name) => escapeHtml(name)).join(', ')}.</p>`;
}

export function pluginHelpBody(input: PluginHelpInput): RenderedBody {
  const visible = input.visible ?? (() => true);
  const { plugins, missing } = enablementFor(input);
  const title = input.repo ? `Plugins for ${input.repo}` : 'Plugins';
  const intro = input.repo
    ? `<p>The plugins enabled for ${escapeHtml(input.repo)} in plugins.yaml. <a href="/command-help?${escapeHtml(new URLSearchParams({ repo: input.repo }).toString())}">Their commands</a>.</p>`
    : '<p>Every plugin Cutwater provides, and where plugins.yaml enables it. Choose a repository to see only the plugins enabled there. <a href="/command-help">All commands</a>.</p>';
  const contents =
    plugins.length > 0
      ? `<nav aria-label="Plugins on this page"><ul class="plugin-index">${plugins
          .map((plugin) => `<li><a href="#${escapeHtml(pluginSectionId(plugin.name))}">${escapeHtml(plugin.name)}</a></li>`)
          .join('')}</ul></nav>`
      : `<p>No plugins are enabled for ${escapeHtml(input.repo ?? 'any repository')}.</p>`;
  const body = `<h1>${escapeHtml(title)}</h1>
${repoSelector(input, '/plugins')}
${intro}
${contents}
${missingNote(missing)}
${plugins.map((plugin) => pluginSection(input, plugin, visible)).join('\n')}
${externalSection(input, visible)}`;
  return { title, body };
}

export function commandHelpBody(input: PluginHelpInput): RenderedBody {
  const { plugins } = enablementFor(input);
  const title = input.repo ? `Commands for ${input.repo}` : 'Command help';
  const commands = plugins.flatMap((plugin) => (plugin.help.commands ?? []).map((command) => ({ plugin, command })));
  // The commands people use most come first; within each group, the plugins' own order.
  const ordered = [...commands.filter(({ command }) => command.featured), ...commands.filter(({ command }) => !command.featured)];
  const rows = ordered.map(({ plugin, command }) => {
    const search = [command.usage, command.description, ...command.examples, command.who, plugin.name].join(' ').toLowerCase();
    return `<tr data-search="${escapeHtml(search)}"${command.featured ? ' class="featured"' : ''}><th scope="row"><code>${escapeHtml(command.usage)}</code>${command.featured ? ' <span class="muted">(featured)</span>' : ''}</th><td>${prose(command.description)}</td><td>${examplesHtml(command)}</td><td>${prose(command.who)}</td><td><a href="${escapeHtml(pluginHelpHref(plugin.name))}">${escapeHtml(plugin.name)}</a></td></tr>`;
  });
  const scope = input.repo ? `enabled for ${escapeHtml(input.repo)}` : 'Cutwater provides';
  const body = `<h1>${escapeHtml(title)}</h1>
${repoSelector(input, '/command-help')}
<p>Commands are typed in a comment on an issue or pull request, each on a line of its own.</p>
<p><label for="command-filter" hidden>Filter commands</label> <input id="command-filter" type="search" autocomplete="off" hidden></p>
<div class="table-wrap"><table id="commands"><caption>Commands of the plugins ${scope}</caption>
<thead><tr><th scope="col">Command</th><th scope="col">What it does</th><th scope="col">Examples</th><th scope="col">Who can use it</th><th scope="col">Plugin</th></tr></thead>
<tbody>${rows.length > 0 ? rows.join('\n') : '<tr><td colspan="5">No commands: no plugin with commands is enabled here.</td></tr>'}</tbody></table></div>`;
  return { title, body };
}
