/**
 * @cutwater/plugin-sdk: external plugins for Cutwater (and Prow's hook), in TypeScript.
 * See this package's README and docs/writing-plugins.md.
 */
export { definePlugin, Plugin, prowHelp } from './plugin.js';
export type { CommandHelp, CommentContext, CommentHandler, EventHandler, PluginContext, PluginHelp, ProwPluginHelp } from './plugin.js';
export { cloudFunction, serve } from './serve.js';
export type { PluginHandler, PluginRequest, ServeOptions } from './serve.js';
export type { GitHub, GitHubCredentials, IssueHandle } from './github.js';
export type { CreatedProwJob, JobApi, JobRefs, JobTopic, NewProwJob } from './jobs.js';
export { findCommands } from '../../../shared/plugins/comment-event.js';
export type { CommentEvent } from '../../../shared/plugins/comment-event.js';
export type { Logger } from '../../../shared/log/logger.js';
