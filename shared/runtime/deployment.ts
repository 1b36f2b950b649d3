import { DEFAULT_SUBSCRIPTION_POLICY, TOPICS, type SubscriptionSpec } from '../bus/bus';
import { PROW_JOBS_SUBSCRIPTION } from '../pubsub/prow-job-event';

/**
 * What the code expects a Google Cloud deployment to provide: its functions and how each is
 * triggered, its topics and subscriptions, its secrets. infra/terraform declares them; a test
 * (test/infra/terraform.test.ts) holds the Terraform to this list, so the two cannot drift.
 */

export type FunctionTrigger =
  | { kind: 'http' }
  | {
      kind: 'pubsub';
      topic: string;
      subscription: string;
      /** Its push subscription's ack deadline, when the default's (DEFAULT_SUBSCRIPTION_POLICY) is too short for the function's timeout. */
      ackDeadlineSeconds?: number;
      /** The subscription delivers each ordering key's messages one at a time, in order (bus.ts). */
      messageOrdering: boolean;
    }
  | { kind: 'firestore'; eventType: 'google.cloud.firestore.document.v1.written'; document: string }
  | { kind: 'scheduler'; schedule: string };

export interface FunctionSpec {
  /** The directory under functions/ and the registered entry point name. */
  name: string;
  trigger: FunctionTrigger;
  /** Secrets exposed to it as environment variables (Secret Manager secret id → env name). */
  secrets: Record<string, string>;
  /** Its timeout, where the code depends on it (the writer drains until shortly before it). */
  timeoutSeconds?: number;
}

export const SECRETS = {
  webhookSecret: 'cutwater-webhook-secret',
  githubAppId: 'cutwater-github-app-id',
  githubAppPrivateKey: 'cutwater-github-app-private-key',
  slackWebhooks: 'cutwater-slack-webhooks',
  githubOAuthClientSecret: 'cutwater-github-oauth-client-secret',
  statusSessionSecret: 'cutwater-status-session-secret',
} as const;

const github = {
  [SECRETS.githubAppId]: 'GITHUB_APP_ID',
  [SECRETS.githubAppPrivateKey]: 'GITHUB_APP_PRIVATE_KEY',
};

/** The plugins lane's subscription and the jobs lane's (shared/plugins/lanes.ts), both on github-events. */
export const EVENTS_SUBSCRIPTION = 'events';
export const TRIGGER_SUBSCRIPTION = 'trigger';
export const GITHUB_WRITER_SUBSCRIPTION = 'github-writer';
/**
 * The GitHub writer drains an installation's outbox for most of a call, waiting for the pace of
 * GitHub's secondary limits in between; its subscription's ack deadline (Pub/Sub's maximum) lies
 * beyond the timeout, so a nudge is not redelivered while its drain still runs.
 */
export const GITHUB_WRITER_TIMEOUT_SECONDS = 540;
const GITHUB_WRITER_ACK_DEADLINE_SECONDS = 600;
/** The cherry-pick worker (functions/cherrypicker); one PR's picks are ordered, so a repeat finds the first's PR. */
export const CHERRYPICKER_SUBSCRIPTION = 'cherrypicker';
/** A clone, `git am` and push of a large repository take minutes; the ack deadline lies beyond. */
export const CHERRYPICKER_TIMEOUT_SECONDS = 540;
const CHERRYPICKER_ACK_DEADLINE_SECONDS = 600;

export const FUNCTIONS: readonly FunctionSpec[] = [
  { name: 'webhook', trigger: { kind: 'http' }, secrets: { [SECRETS.webhookSecret]: 'WEBHOOK_SECRET' } },
  {
    name: 'events',
    // Ordered: one issue's or PR's deliveries reach the plugins one at a time, in the order GitHub
    // sent them (shared/webhook/ordering-key.ts); different PRs still run in parallel.
    trigger: { kind: 'pubsub', topic: TOPICS.githubEvents, subscription: EVENTS_SUBSCRIPTION, messageOrdering: true },
    // The webhook secret signs deliveries forwarded to external plugins.
    secrets: { ...github, [SECRETS.webhookSecret]: 'WEBHOOK_SECRET' },
  },
  {
    // The jobs lane: the same deliveries, for the trigger plugin alone, so that creating ProwJobs
    // never waits behind the other plugins (shared/plugins/lanes.ts). Ordered as `events` is.
    name: 'trigger',
    trigger: { kind: 'pubsub', topic: TOPICS.githubEvents, subscription: TRIGGER_SUBSCRIPTION, messageOrdering: true },
    secrets: github,
  },
  {
    name: 'pubsub',
    trigger: { kind: 'pubsub', topic: TOPICS.prowJobs, subscription: PROW_JOBS_SUBSCRIPTION, messageOrdering: false },
    secrets: {},
  },
  {
    name: 'scheduler',
    trigger: { kind: 'scheduler', schedule: '* * * * *' },
    secrets: { ...github, [SECRETS.slackWebhooks]: 'SLACK_WEBHOOKS' },
  },
  {
    name: 'reporter',
    trigger: { kind: 'firestore', eventType: 'google.cloud.firestore.document.v1.written', document: 'prowjobs/{name}' },
    secrets: { ...github, [SECRETS.slackWebhooks]: 'SLACK_WEBHOOKS' },
  },
  {
    name: 'github-writer',
    trigger: {
      kind: 'pubsub',
      topic: TOPICS.githubWrites,
      subscription: GITHUB_WRITER_SUBSCRIPTION,
      ackDeadlineSeconds: GITHUB_WRITER_ACK_DEADLINE_SECONDS,
      messageOrdering: false,
    },
    secrets: github,
    timeoutSeconds: GITHUB_WRITER_TIMEOUT_SECONDS,
  },
  {
    name: 'status',
    trigger: { kind: 'http' },
    // The App answers org and team membership for rerun and abort; the OAuth App signs people in
    // (its client ID is not secret: a Terraform variable); the session secret signs cookies and
    // CSRF tokens.
    secrets: {
      ...github,
      [SECRETS.githubOAuthClientSecret]: 'GITHUB_OAUTH_CLIENT_SECRET',
      [SECRETS.statusSessionSecret]: 'STATUS_SESSION_SECRET',
    },
  },
  {
    // The cherrypicker plugin's git work: it pushes with the App's credentials, so it runs here,
    // never on a build cluster, where untrusted PR code runs.
    name: 'cherrypicker',
    trigger: {
      kind: 'pubsub',
      topic: TOPICS.cherryPicks,
      subscription: CHERRYPICKER_SUBSCRIPTION,
      ackDeadlineSeconds: CHERRYPICKER_ACK_DEADLINE_SECONDS,
      messageOrdering: true,
    },
    secrets: github,
    timeoutSeconds: CHERRYPICKER_TIMEOUT_SECONDS,
  },
];

/** The topics functions are triggered by (each push subscription also has a `<subscription>-dead-letter` topic). */
export const DEPLOYED_TOPICS: readonly string[] = Object.values(TOPICS);

/**
 * The subscriptions that feed the Pub/Sub-triggered functions, as the bus declares them: local mode
 * declares exactly these, and infra/terraform/pubsub.tf the same in the cloud.
 */
export const DEPLOYED_SUBSCRIPTIONS: readonly SubscriptionSpec[] = FUNCTIONS.flatMap(({ trigger }) =>
  trigger.kind === 'pubsub'
    ? [{ name: trigger.subscription, topic: trigger.topic, ...DEFAULT_SUBSCRIPTION_POLICY, messageOrdering: trigger.messageOrdering }]
    : [],
);
