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
export function orderingKeyOf(payload: unknown): string | undefined {
  // Read by hand rather than with a zod schema: this runs on every delivery before GitHub gets its
  // answer, and building a parse result of the payload's top level cost a few percent of that
  // answer. Same rules as the schema it replaced: a present field of the wrong shape means no key.
  if (!isObject(payload) || !isObject(payload['repository'])) return undefined;
  const fullName = payload['repository']['full_name'];
  if (typeof fullName !== 'string' || fullName.length < 3) return undefined;
  const pullRequest = numberOf(payload['pull_request']);
  const issue = numberOf(payload['issue']);
  if (pullRequest === null || issue === null) return undefined;
  const number = pullRequest ?? issue;
  if (number === undefined) return undefined;
  return `${fullName.toLowerCase()}#${number}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An optional `{ number }` field: undefined when absent, null when present but not a positive integer. */
function numberOf(field: unknown): number | undefined | null {
  if (field === undefined) return undefined;
  if (!isObject(field)) return null;
  const number = field['number'];
  return typeof number === 'number' && Number.isInteger(number) && number > 0 ? number : null;
}
