import { readFileSync } from 'node:fs';
import { webhookSecrets } from '../shared/github/environment';
import { signedHeaders } from '../shared/webhook/signing';
import { parseFlags, UsageError } from './args';
import type { CommandIO } from './checkconfig';
import { PHONY_USAGE } from './phony-usage';

/** Prow's phony: send a signed webhook, for trying a hook endpoint without GitHub. */
export async function phonyCommand(argv: readonly string[], io: CommandIO): Promise<number> {
  const { values } = parseFlags(argv, {
    address: { type: 'string', default: 'http://127.0.0.1:8080/hook' },
    'hmac-secret-file': { type: 'string' },
    event: { type: 'string', default: 'ping' },
    payload: { type: 'string' },
    delivery: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  });
  if (values.help) {
    io.stdout(PHONY_USAGE);
    return 0;
  }
  let url: URL;
  try {
    url = new URL(values.address);
  } catch {
    throw new UsageError(`--address must be a URL, not ${values.address}`);
  }
  const [secret] = webhookSecrets(process.env, values['hmac-secret-file']);
  if (!secret) throw new UsageError('give --hmac-secret-file (or set WEBHOOK_SECRET)');
  if (!values.payload && values.event !== 'ping') throw new UsageError(`--payload is needed for a ${values.event} event`);
  let body: Buffer;
  try {
    body = values.payload ? readFileSync(values.payload) : Buffer.from('{"zen":"Keep it logically awesome."}');
    JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new UsageError(`--payload ${values.payload}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  const headers = signedHeaders(secret, values.event, body, values.delivery);
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    io.stderr(`cutwater phony: could not reach ${url.href}: ${(error as Error).cause instanceof Error ? ((error as Error).cause as Error).message : (error as Error).message}`);
    return 1;
  }
  const text = await response.text();
  io.stdout(`${response.status} ${response.statusText} (delivery ${headers['x-github-delivery']})${text ? `\n${text}` : ''}`);
  return response.ok ? 0 : 1;
}
