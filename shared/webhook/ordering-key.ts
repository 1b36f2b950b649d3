import { z } from 'zod';

/**
 * Which deliveries must be handled in the order GitHub sent them: those about one issue or pull
 * request. A plugin decides from the state the earlier commands left (`/hold` then `/hold cancel`),
 * so two comments on one PR handled side by side, or the second before the first, can leave the PR
 * as the first one said. The webhook publishes such deliveries with the key `<owner>/<repo>#<number>`
 * and the `events` subscription is ordered (shared/runtime/deployment.ts), so the plugins see them
 * one at a time, in order; other issues and PRs, and deliveries about none (push, status), run in
 * parallel.
 *
 * Issues and pull requests share one number space, and a PR's conversation comments arrive as
 * `issue_comment` with `issue.number` the PR's number, so all of one PR's events share a key.
 * Lower case, because GitHub treats owner and repository names without regard to case.
 */
const AboutOneIssue = z.object({
  repository: z.object({ full_name: z.string().min(3) }),
  pull_request: z.object({ number: z.number().int().positive() }).optional(),
  issue: z.object({ number: z.number().int().positive() }).optional(),
});

export function orderingKeyOf(payload: unknown): string | undefined {
  const parsed = AboutOneIssue.safeParse(payload);
  if (!parsed.success) return undefined;
  const number = parsed.data.pull_request?.number ?? parsed.data.issue?.number;
  if (number === undefined) return undefined;
  return `${parsed.data.repository.full_name.toLowerCase()}#${number}`;
}
