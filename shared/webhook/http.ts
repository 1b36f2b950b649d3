import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendJson } from '../http/node';
import { receiveWebhook, type WebhookDependencies } from './receive';

/** `POST /hook` on a node:http server (local mode, tests); the Cloud Function wraps the same call. */
export function webhookListener(dependencies: WebhookDependencies) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    if (request.method !== 'POST') {
      response.setHeader('allow', 'POST');
      sendJson(response, 405, { message: 'POST a GitHub webhook delivery here' });
      return;
    }
    let rawBody: Buffer;
    try {
      rawBody = await readBody(request);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        // The rest of the body is not read; the connection goes with the answer.
        response.setHeader('connection', 'close');
        sendJson(response, 413, { message: error.message });
        return;
      }
      throw error;
    }
    const result = await receiveWebhook(dependencies, { headers: request.headers, rawBody });
    sendJson(response, result.status, result.body);
  };
}
