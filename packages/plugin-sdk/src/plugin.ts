import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { z } from 'zod';
import type { CommentEvent } from '../../../shared/plugins/comment-event.js';
import type { Logger } from '../../../shared/log/logger.js';
import type { CommandHelp } from '../../../shared/plugins/plugin.js';
import type { GitHub, IssueHandle } from './github.js';
import type { CreatedProwJob, NewProwJob } from './jobs.js';

/**
 * An external plugin, written the way Cutwater's own plugins are: help first, then handlers
 * registered per event (typed by event and action) and for commands in comments.
 *
 *   export const hello = definePlugin('hello', { description: …, commands: […] })
 *     .onComment(async ({ comment, issue }) => { … });
 */

/** A command's help, as Cutwater's own plugins give it (shown on /command-help). */
export type { CommandHelp } from '../../../shared/plugins/plugin.js';

export interface PluginHelp {
  description: string;
  /**
   * What the plugin reads from its config, in words: one text for every repository, or one per
   * "org/repo" ("" for all), as Prow's PluginHelp.Config.
   */
  config?: string | Record<string, string>;
  /** A YAML example of the plugin's config section. */
  snippet?: string;
  commands?: CommandHelp[];
}

/** What every handler gets; built per delivery by `serve` (serve.ts). */
export interface PluginContext<E extends EmitterWebhookEventName = EmitterWebhookEventName, C = unknown> {
  event: EmitterWebhookEvent<E>;
  /** X-GitHub-Delivery. */
  deliveryId: string;
  /** The repository the event concerns ("" for org-level events). */
  org: string;
  repo: string;
  /** GitHub, authenticated as the App installation that sent the event (or with GITHUB_TOKEN). */
  github: GitHub;
  /** The issue or pull request the event concerns, when there is one. */
  issue: IssueHandle | undefined;
  /** The plugin's section of its config file, checked by the schema given to `settings`. */
  config: C | undefined;
  /** JSON lines carrying the delivery ID, event and repository. */
  log: Logger;
  /**
   * Creates a ProwJob through Cutwater's job API: the `prow-jobs` topic in the cloud
   * (PROW_JOBS_TOPIC), `cutwater local`'s HTTP API otherwise (CUTWATER_URL, CUTWATER_API_TOKEN).
   */
  createProwJob(job: NewProwJob): Promise<CreatedProwJob>;
}

export interface CommentContext<C = unknown> extends PluginContext<EmitterWebhookEventName, C> {
  /** Prow's "generic comment": an issue or PR comment, a review or review comment, or a new issue's or PR's body. */
  comment: CommentEvent;
  issue: IssueHandle;
}

export type EventHandler<E extends EmitterWebhookEventName, C> = (context: PluginContext<E, C>) => Promise<void>;
export type CommentHandler<C> = (context: CommentContext<C>) => Promise<void>;

export interface EventRegistration<C> {
  events: readonly string[];
  handle: (context: PluginContext<EmitterWebhookEventName, C>) => Promise<void>;
}

export class Plugin<C = unknown> {
  readonly eventHandlers: EventRegistration<C>[] = [];
  readonly commentHandlers: CommentHandler<C>[] = [];
  /** The schema of the plugin's config section; see `settings`. */
  configSchema: z.ZodType<C> | undefined = undefined;

  constructor(
    readonly name: string,
    readonly help: PluginHelp,
  ) {}

  /** Handle `event` (every action) or `event.action` (one action); several may be given. */
  on<E extends EmitterWebhookEventName>(events: E | readonly E[], handler: EventHandler<E, C>): this {
    this.eventHandlers.push({
      events: typeof events === 'string' ? [events] : events,
      handle: handler as EventRegistration<C>['handle'],
    });
    return this;
  }

  /** Handle commands wherever a person can type them (see `CommentContext.comment`). */
  onComment(handler: CommentHandler<C>): this {
    this.commentHandlers.push(handler);
    return this;
  }

  /**
   * The plugin's config section (the key named like the plugin in its config file), checked with
   * `schema` when the server starts, so a mistake stops it rather than a later delivery.
   * Call it before registering handlers, so that they see the section's type.
   */
  settings<S extends z.ZodType>(schema: S): Plugin<z.output<S>> {
    const typed = this as unknown as Plugin<z.output<S>>;
    typed.configSchema = schema as z.ZodType<z.output<S>>;
    return typed;
  }

  /** The event names (with actions) this plugin handles, as its help reports them. */
  get events(): string[] {
    const names = this.eventHandlers.flatMap((registration) => registration.events);
    if (this.commentHandlers.length > 0) names.push('issue_comment', 'issues', 'pull_request', 'pull_request_review', 'pull_request_review_comment');
    return [...new Set(names)].sort();
  }
}

export function definePlugin(name: string, help: PluginHelp): Plugin {
  return new Plugin(name, help);
}

/** Does a registration for "pull_request" or "pull_request.opened" cover this delivery? */
export function handles(registered: string, name: string, action: string | undefined): boolean {
  return registered === name || (action !== undefined && registered === `${name}.${action}`);
}

/** Prow's PluginHelp JSON (pkg/pluginhelp), which hook fetches from `<endpoint>/help`. */
export interface ProwPluginHelp {
  Description: string;
  Config: Record<string, string>;
  Snippet?: string;
  Events: string[];
  Commands: { Usage: string; Featured: boolean; Description: string; Examples: string[]; WhoCanUse: string }[];
}

export function prowHelp<C>(plugin: Plugin<C>): ProwPluginHelp {
  const { help } = plugin;
  const config = typeof help.config === 'string' ? { '': help.config } : (help.config ?? {});
  return {
    Description: help.description,
    Config: config,
    ...(help.snippet ? { Snippet: help.snippet } : {}),
    // Prow's hook fills Events itself; a plugin that states them helps any other reader.
    Events: plugin.events.map((event) => event.split('.')[0] ?? event).filter((event, index, all) => all.indexOf(event) === index),
    Commands: (help.commands ?? []).map((command) => ({
      Usage: command.usage,
      Featured: command.featured ?? false,
      Description: command.description,
      Examples: command.examples,
      WhoCanUse: command.who,
    })),
  };
}
