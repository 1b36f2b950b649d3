import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { Config } from '../config/model';
import type { PluginConfig } from '../config/plugin-config';
import type { GitHubClient } from '../github/client';
import type { Logger } from '../log/logger';
import type { Store } from '../store/store';
import type { CommentEvent } from './comment-event';

/**
 * A plugin is one file (shared/plugins/<name>.ts): its help, and handlers registered Probot-style
 * for the webhook events it reacts to, typed by event and action:
 *
 *   export const hold = definePlugin('hold', { description: …, commands: […] })
 *     .onComment(async (ctx) => { … });
 *
 * `onComment` receives Prow's "generic comment": a new or edited issue or PR comment, review or
 * review comment, or the body of a newly opened issue or PR, normalised into one shape — so a
 * command works wherever a person can type it, as in Prow.
 */

export interface CommandHelp {
  /** e.g. "/hold [cancel]". */
  usage: string;
  description: string;
  examples: string[];
  /** Who may use it, in words: "Anyone", "Org members", "Approvers in OWNERS". */
  who: string;
  featured?: boolean;
}

export interface PluginHelp {
  description: string;
  /** What the plugin reads from plugins.yaml, in words, or undefined when it has no settings. */
  config?: string;
  commands?: CommandHelp[];
}

/** Everything a handler may use; built per event by the engine (shared/plugins/engine.ts). */
export interface PluginContext<E extends EmitterWebhookEventName = EmitterWebhookEventName> {
  event: EmitterWebhookEvent<E>;
  /** Repository the event concerns ("" for org-level events). */
  org: string;
  repo: string;
  github: GitHubClient;
  store: Store;
  /** Prow config and job config, as of this event. */
  config: Config;
  /** plugins.yaml: each plugin picks its section for this org/repo. */
  plugins: PluginConfig;
  log: Logger;
  now: () => Date;
}

export interface CommentContext extends PluginContext {
  comment: CommentEvent;
}

export type EventHandler<E extends EmitterWebhookEventName> = (context: PluginContext<E>) => Promise<void>;
export type CommentHandler = (context: CommentContext) => Promise<void>;

export interface EventRegistration {
  events: readonly EmitterWebhookEventName[];
  handle: (context: PluginContext) => Promise<void>;
}

export class Plugin {
  readonly eventHandlers: EventRegistration[] = [];
  readonly commentHandlers: CommentHandler[] = [];

  constructor(
    readonly name: string,
    readonly help: PluginHelp,
  ) {}

  /** Handle `event` (all actions) or `event.action` (one action); several may be given. */
  on<E extends EmitterWebhookEventName>(events: E | readonly E[], handler: EventHandler<E>): this {
    this.eventHandlers.push({
      events: typeof events === 'string' ? [events] : events,
      handle: handler as (context: PluginContext) => Promise<void>,
    });
    return this;
  }

  onComment(handler: CommentHandler): this {
    this.commentHandlers.push(handler);
    return this;
  }

  /** The event names (with actions) this plugin listens to, for its help page. */
  get events(): string[] {
    const names = this.eventHandlers.flatMap((registration) => registration.events);
    if (this.commentHandlers.length > 0) names.push('issue_comment', 'pull_request_review', 'pull_request_review_comment');
    return [...new Set(names)].sort();
  }
}

export function definePlugin(name: string, help: PluginHelp): Plugin {
  return new Plugin(name, help);
}

/** Does a registration for `registered` ("pull_request" or "pull_request.opened") cover this delivery? */
export function eventMatches(registered: string, name: string, action: string | undefined): boolean {
  return registered === name || (action !== undefined && registered === `${name}.${action}`);
}

/** Plugins that wait for GitHub (mergeability is computed after a push) take their sleep as a parameter, so tests do not wait. */
export type Sleep = (milliseconds: number) => Promise<void>;

export const realSleep: Sleep = (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds));
