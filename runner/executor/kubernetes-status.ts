import { ApiException } from '@kubernetes/client-node';
import { z } from 'zod';

/** The Status object Kubernetes answers a failed request with, and sends in a watch's ERROR event. */
export const kubernetesStatusSchema = z.looseObject({
  code: z.number().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});

export interface ApiFailure {
  code: number;
  reason: string | undefined;
  message: string | undefined;
}

/** The HTTP code and Kubernetes Status of a failed CoreV1Api call; undefined for anything else (network errors…). */
export function apiFailureOf(error: unknown): ApiFailure | undefined {
  if (!(error instanceof ApiException)) return undefined;
  const body: unknown = error.body;
  let status: z.infer<typeof kubernetesStatusSchema> = {};
  if (typeof body === 'string' && body.trim() !== '') {
    try {
      status = kubernetesStatusSchema.safeParse(JSON.parse(body)).data ?? {};
    } catch {
      // Not a Status (a proxy's HTML error page, say): the code alone has to do.
    }
  }
  return { code: error.code, reason: status.reason, message: status.message };
}

function describeFailure(failure: ApiFailure): string {
  return `${failure.code} ${failure.reason ?? 'error'}${failure.message ? `: ${failure.message}` : ''}`;
}

/** A wrapped error whose message says what was being done, without client-node's header dump. */
export function failedTo(action: string, error: unknown): Error {
  const failure = apiFailureOf(error);
  const detail = failure ? describeFailure(failure) : error instanceof Error ? error.message : String(error);
  return new Error(`${action}: ${detail}`, { cause: error });
}
