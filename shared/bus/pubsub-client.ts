import type { ClientConfig } from '@google-cloud/pubsub';

/**
 * The Pub/Sub client's settings for Google or an emulator, shared by the bus and the plugin SDK.
 * `apiEndpoint` is host:port of an emulator; without it the library honours PUBSUB_EMULATOR_HOST
 * and otherwise talks to Google.
 */
export function pubSubClientConfig(projectId: string, apiEndpoint?: string): ClientConfig {
  const config: ClientConfig = { projectId };
  const endpoint = apiEndpoint ?? process.env.PUBSUB_EMULATOR_HOST;
  if (apiEndpoint !== undefined) config.apiEndpoint = apiEndpoint;
  if (endpoint !== undefined && !isGoogleEndpoint(endpoint)) {
    // An emulator needs no credentials, but without a universe domain the client still looks
    // for Application Default Credentials to learn it, probing the GCE metadata server and
    // printing a MetadataLookupWarning. Naming the default universe skips that probe; emulator
    // mode must then be forced, because the library otherwise reads a universe domain as "real
    // Google".
    config.emulatorMode = true;
    config.universeDomain = 'googleapis.com';
  }
  return config;
}

function isGoogleEndpoint(endpoint: string): boolean {
  const host = endpoint.replace(/^https?:\/\//, '').split(/[:/]/)[0] ?? '';
  return host.endsWith('.googleapis.com');
}
