import type { EmitterWebhookEvent, EmitterWebhookEventName } from '@octokit/webhooks';
import type { CherryPicker } from '../cherrypick/job';
import type { Config } from '../config/model';
import type { PluginConfig } from '../config/plugin-config';
import type { PluginSectionSpec } from '../config/plugin-section';
import type { Logger } from '../log/logger';
import type { SlackSender } from '../reporter/slack';
import type { CommentEvent } from './comment-event';
import type { IssueHandle, RepositoryHandle } from './handles';
import type { PluginGitHub } from './plugin-github';
import type { PluginJobs } from './plugin-jobs';

/**
 * A plugin is one file (shared/plugins/<name>.ts): its help, and handlers registered Probot-style
 * for the webhook events it reacts to, typed by event and action:
 *
 *   export const hold = definePlugin('hold', { description: …, commands: […] })
 *     .onComment(async (ctx) => { … });
 *
 * A plugin with settings in plugins.yaml declares their section in the same file and reads it
 * typed through the same value, so the schema, its checks and its reader never drift apart:
 *
 *   export const sizeSection = pluginSection('size', SizeSettingsSchema, checkSizes);
 *   export const size = definePlugin('size', { … }).settings(sizeSection)
 *     .on('pull_request', async (ctx) => { const settings = sizeSection.read(ctx.plugins); … });
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

/**
 * Everything a handler may use; built per event by the engine (shared/plugins/engine.ts). The
 * payload's fields that plugins read were checked when the delivery entered the engine
 * (delivery-check.ts), so handlers trust `event.payload`'s type.
 */
export interface PluginContext<E extends EmitterWebhookEventName = EmitterWebhookEventName> {
  event: EmitterWebhookEvent<E>;
  /** Repository the event concerns ("" for org-level events). */
  org: string;
  repo: string;
  /** That repository, with its operations bound: `repository.getFileContent(path, ref)`. */
  repository: RepositoryHandle;
  /**
   * The issue or pull request the event concerns, with its operations bound:
   * `issue.addLabels(['lgtm'])`. Present for events about one (see `ConcernsIssue`).
   */
  issue?: IssueHandle | undefined;
  /** GitHub as plugins use it; prefer `issue` and `repository` for calls about them. */
  github: PluginGitHub;
  /** Creating, finding and aborting ProwJobs. */
  jobs: PluginJobs;
  /** Prow config and job config, as of this event. */
  config: Config;
  /**
   * plugins.yaml: each plugin reads its own section through the `PluginSection` it declares
   * (`sizeSection.read(plugins)`), then picks the entry for this org/repo.
   */
  plugins: PluginConfig;
  log: Logger;
  now: () => Date;
  /** Posts to Slack through the deployment's incoming webhooks; undefined when none are configured. */
  slack?: SlackSender | undefined;
  /**
   * Where the cherrypicker plugin sends the git work it asks for (shared/cherrypick/job.ts);
   * undefined where no cherry-pick worker is wired.
   */
  cherryPicker?: CherryPicker | undefined;
}

/**
 * The context without its event, for helpers that act on the repository but do not read the
 * delivery. (It also spares the compiler comparing every event type with every other.)
 */
export type PluginScope = Omit<PluginContext, 'event'>;

/**
 * Events about one issue or pull request, for which the context's `issue` is set: their names
 * start with "issues", "issue_comment" or "pull_request" (reviews and review comments included).
 * Told by the name rather than the payload type, which is cheaper for the compiler.
 */
type ConcernsIssue<E extends EmitterWebhookEventName> = [E] extends [`issues${string}` | `issue_comment${string}` | `pull_request${string}`]
  ? { issue: IssueHandle }
  : unknown;

export type EventContext<E extends EmitterWebhookEventName> = PluginContext<E> & ConcernsIssue<E>;

export interface CommentContext extends PluginContext {
  comment: CommentEvent;
  /** The issue or pull request commented on. */
  issue: IssueHandle;
}

export type EventHandler<E extends EmitterWebhookEventName> = (context: EventContext<E>) => Promise<void>;
export type CommentHandler = (context: CommentContext) => Promise<void>;
export type CommentFilter = (comment: CommentEvent, config: Config) => boolean;

export interface EventRegistration {
  events: readonly EmitterWebhookEventName[];
  handle: (context: PluginContext) => Promise<void>;
}

export class Plugin {
  readonly eventHandlers: EventRegistration[] = [];
  readonly commentHandlers: CommentHandler[] = [];
  /** The plugins.yaml sections this plugin owns, which the loader validates (registry.ts `PLUGIN_SETTINGS`). */
  readonly sections: PluginSectionSpec[] = [];
  /** See commentsFilteredBy. */
  commentFilter: CommentFilter | undefined = undefined;

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

  /** Own a plugins.yaml section: its schema and checks join the loader's (several calls for several sections). */
  settings(section: PluginSectionSpec): this {
    this.sections.push(section);
    return this;
  }

  onComment(handler: CommentHandler): this {
    this.commentHandlers.push(handler);
    return this;
  }

  /**
   * Which comments the comment handlers act on at all, decided from the comment and config alone.
   * Optional: a comment it turns away is not handed to this plugin, and a lane with no other work
   * for the delivery skips its processing claim (shared/webhook/events.ts). It must accept every
   * comment the handlers might act on.
   */
  commentsFilteredBy(filter: CommentFilter): this {
    this.commentFilter = filter;
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
