/**
 * Tells an installation's outbox writer that there is something to send. Whoever enqueues GitHub
 * writes calls it afterwards (the plugin facade, the reporter); how it wakes a writer is the
 * deployment's business: in local mode it drains in-process (local-writers.ts), in the cloud it
 * publishes to the `github-writes` topic, which triggers the github-writer function
 * (cloud-writers.ts). It must not throw or wait for the writes: a lost nudge costs only latency,
 * since the periodic sweep wakes writers for whatever is due.
 */
export type WriterNudge = (installation: string) => void;
