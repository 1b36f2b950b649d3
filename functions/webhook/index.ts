import { http } from '@google-cloud/functions-framework';
import { cloudBus, cloudLogger, cloudStore } from '../../shared/runtime/cloud';
import { webhookSecrets } from '../../shared/github/environment';
import { receiveWebhook, type WebhookDependencies } from '../../shared/webhook/receive';

/** `POST /hook` (Prow's hook, ingest): GitHub App webhooks in, `github-events` out. Wiring only. */
let dependencies: WebhookDependencies | undefined;

http('webhook', async (request, response) => {
  response.set('x-content-type-options', 'nosniff');
  if (request.path === '/healthz') {
    response.status(200).send('ok');
    return;
  }
  if (request.method !== 'POST') {
    response.set('allow', 'POST').status(405).json({ message: 'POST a GitHub webhook delivery here' });
    return;
  }
  dependencies ??= {
    secrets: webhookSecrets(),
    deliveries: cloudStore().deliveries,
    bus: cloudBus(),
    log: cloudLogger(),
  };
  const result = await receiveWebhook(dependencies, {
    headers: request.headers,
    rawBody: request.rawBody ?? Buffer.alloc(0),
  });
  response.status(result.status).json(result.body);
});
