import type { IssueComment } from '../github/client';
import { PROW_LABELS } from '../jobs/factory';
import type { ProwJob } from '../prowjob/schema';

/**
 * Crier's GitHub reporter, comment half: the one comment on a pull request that lists its failed
 * jobs, in Prow's format so people (and their tools) read it as before. The table rows are also
 * the comment's memory: each report reads the rows back, replaces its own job's row, and the
 * comment is edited in place, or deleted once no row is left. Pure; report-job.ts sends the plan.
 */

/** Prow's marker for the test report comment. */
export const TEST_REPORT_TAG = '<!-- test report -->';

const TABLE_HEADER = ['Test name | Commit | Details | Required | Rerun command', '--- | --- | --- | --- | ---'];
const CELL_SEPARATOR = ' | ';
const ABOUT =
  'Instructions for interacting with me using PR comments are on the `/command-help` page of this CI system. ' +
  'Rerun a job with the command in its row.';

export interface SummaryCommentPlan {
  /** Older copies of the report, left by earlier runs; deleted. */
  deleteIds: number[];
  edit?: { id: number; body: string };
  create?: string;
}

export interface SummaryCommentInput {
  /** A finished presubmit of exactly one pull request. */
  job: ProwJob;
  comments: readonly IssueComment[];
  isBot: (login: string) => boolean;
  /** Where the job's row links to. */
  detailsUrl?: string;
  /** Text from `plank.report_templates`, already rendered for this job. */
  extra?: string;
  /**
   * `summary_comment_repos`: the latest finished run of every reporting job of the PR (`job`
   * among them when it is its job's latest), reported at once instead of `job` alone; with none
   * failed (and none aborted), the comment says all passed.
   */
  summary?: readonly { job: ProwJob; detailsUrl?: string }[];
}

/** The row for a failed job: context, commit, link, required, rerun command. */
export function failedJobRow(job: ProwJob, detailsUrl: string | undefined): string {
  const optional = job.metadata.labels?.[PROW_LABELS.isOptional];
  const required = job.spec.type === 'presubmit' && optional !== undefined ? String(optional !== 'true') : 'unknown';
  return [
    job.spec.context ?? job.spec.job,
    job.spec.refs?.pulls?.[0]?.sha ?? '',
    detailsUrl ? `[link](${detailsUrl})` : 'no link',
    required,
    job.spec.rerun_command ? `\`${job.spec.rerun_command}\`` : '',
  ].join(CELL_SEPARATOR);
}

/** The rows under the table header of a report comment. */
export function rowsOf(body: string): string[] {
  const rows: string[] = [];
  let inTable = false;
  for (const raw of body.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('---')) inTable = true;
    else if (line === '') inTable = false;
    else if (inTable) rows.push(line);
  }
  return rows;
}

const contextOf = (row: string): string => row.split(CELL_SEPARATOR)[0] ?? '';

export function renderSummaryComment(author: string, rows: readonly string[], extra?: string): string {
  const plural = rows.length > 1 ? 's' : '';
  // Prow's wording for a summary with nothing failed: no table, so no rows are read back from it.
  const lines =
    rows.length === 0
      ? [`@${author}: all tests **passed!**`, '']
      : [
          `@${author}: The following test${plural} **failed**, say \`/retest\` to rerun all failed tests or \`/retest-required\` to rerun all mandatory failed tests:`,
          '',
          ...TABLE_HEADER,
          ...rows,
        ];
  if (extra) lines.push('', extra);
  lines.push('', '<details>', '', ABOUT, '</details>', TEST_REPORT_TAG);
  return lines.join('\n');
}

/** What to do to the PR's comments now that `job` has finished. */
export function planSummaryComment(input: SummaryCommentInput): SummaryCommentPlan {
  const { job } = input;
  const reports = input.comments.filter((comment) => input.isBot(comment.user.login) && comment.body.includes(TEST_REPORT_TAG));
  const latest = reports.at(-1);
  const deleteIds = reports.slice(0, -1).map((comment) => comment.id);

  // Rows from every copy, the newest row per context winning; this job's context is re-decided.
  const byContext = new Map<string, string>();
  for (const row of reports.flatMap((comment) => rowsOf(comment.body))) {
    byContext.delete(contextOf(row));
    byContext.set(contextOf(row), row);
  }
  const reported = input.summary ?? [{ job, detailsUrl: input.detailsUrl }];
  for (const each of reported) byContext.delete(each.job.spec.context ?? each.job.spec.job);
  for (const each of reported) {
    if (each.job.status?.state === 'failure') byContext.set(each.job.spec.context ?? each.job.spec.job, failedJobRow(each.job, each.detailsUrl));
  }
  const rows = [...byContext.values()];

  const allPassed = input.summary !== undefined && !reported.some((each) => each.job.status?.state === 'aborted');
  if (rows.length === 0 && !allPassed) return { deleteIds: latest ? [...deleteIds, latest.id] : deleteIds };
  const author = job.spec.refs?.pulls?.[0]?.author ?? '';
  const body = renderSummaryComment(author, rows, input.extra);
  if (!latest) return { deleteIds, create: body };
  return latest.body === body ? { deleteIds } : { deleteIds, edit: { id: latest.id, body } };
}
