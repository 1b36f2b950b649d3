import { PubSubBus } from '../bus/pubsub';
import { createLogger, type Logger } from '../log/logger';
import { publishingNudge } from '../outbox/cloud-writers';
import type { WriterNudge } from '../outbox/nudge';
import { openStore } from '../store/open';

/**
 * The Google backends for Cloud Functions, built once per instance (on first use, so a cold start
 * pays only for what the function touches) and shared by every invocation it serves.
 */
function once<T>(make: () => T): () => T {
  let made: { value: T } | undefined;
  return () => (made ??= { value: make() }).value;
}

export function projectId(env: NodeJS.ProcessEnv = process.env): string {
  const project = env.GOOGLE_CLOUD_PROJECT || env.GCLOUD_PROJECT;
  if (!project) throw new Error('GOOGLE_CLOUD_PROJECT is not set');
  return project;
}

export const cloudLogger = once<Logger>(() => createLogger({ projectId: process.env.GOOGLE_CLOUD_PROJECT ?? '' }));
export const cloudStore = once(() => openStore({ backend: 'firestore', projectId: projectId() }));
export const cloudBus = once(() => new PubSubBus({ projectId: projectId() }));

const nudger = once(() => publishingNudge(cloudBus(), cloudLogger()));
/** Wakes an installation's GitHub writer: a message on `github-writes`, which starts the github-writer function. */
export const cloudNudge: WriterNudge = (installation) => nudger()(installation);

/** Prow's Pub/Sub reports go to whichever project and topic the job names: one client per project. */
const reportBuses = new Map<string, PubSubBus>();
export async function publishToProject(project: string, topic: string, data: string): Promise<void> {
  let bus = reportBuses.get(project);
  if (!bus) reportBuses.set(project, (bus = new PubSubBus({ projectId: project })));
  await bus.publish(topic, { data });
}
