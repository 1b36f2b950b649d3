import type { CommitState } from '../github/client';
import { realSleep, type Sleep } from './plugin';
import { definePlugin, type Plugin } from './plugin';

/**
 * cla (Prow's pkg/plugins/cla): mirrors the CLA service's commit status onto the pull request as
 * the `cncf-cla: yes` or `cncf-cla: no` label, which Tide's queries can require. The status is
 * read when the CLA service reports it, and again on `/check-cla` for a PR whose label went stale.
 */

export const CLA_YES_LABEL = 'cncf-cla: yes';
export const CLA_NO_LABEL = 'cncf-cla: no';
/** The status context the Linux Foundation's EasyCLA service reports under. */
export const CLA_CONTEXT = 'EasyCLA';

const CHECK_CLA = /^\/check-cla\s*$/im;

/**
 * GitHub's search indexes a freshly pushed commit some seconds after the CLA service has already
 * reported on it, so an empty answer is asked again, as Prow does: five times, ten seconds apart.
 */
export const SEARCH_ATTEMPTS = 5;
export const SEARCH_RETRY_DELAY_MS = 10_000;

export type ClaLabelChange = { add: string[]; remove: string[] };

/**
 * The label change a status event calls for, or undefined when the labels already agree (or the
 * state says nothing yet). An error from the CLA service counts as "not signed", as in Prow: the
 * PR must not merge on a CLA nobody could confirm.
 */
export function labelsForStatus(state: CommitState, labels: readonly string[]): ClaLabelChange | undefined {
  if (state === 'pending') return undefined;
  const hasYes = labels.includes(CLA_YES_LABEL);
  const hasNo = labels.includes(CLA_NO_LABEL);
  if (state === 'success') {
    if (hasYes) return undefined;
    return { add: [CLA_YES_LABEL], remove: hasNo ? [CLA_NO_LABEL] : [] };
  }
  if (hasNo) return undefined;
  return { add: [CLA_NO_LABEL], remove: hasYes ? [CLA_YES_LABEL] : [] };
}

/**
 * What `/check-cla` does with the context's current state. Unlike the status event it leaves an
 * `error` state alone, as Prow's command does: only a definite answer relabels on request.
 */
export function labelsForCheck(state: CommitState | undefined, labels: readonly string[]): ClaLabelChange | undefined {
  if (state !== 'success' && state !== 'failure') return undefined;
  return labelsForStatus(state, labels);
}

export function isCheckClaCommand(body: string): boolean {
  return CHECK_CLA.test(body);
}

const COMMIT_STATES: readonly string[] = ['error', 'failure', 'pending', 'success'];

function isCommitState(state: string): state is CommitState {
  return COMMIT_STATES.includes(state);
}

export interface ClaOptions {
  /** How to wait between searches; tests pass one that returns at once. */
  sleep?: Sleep;
}

export function createClaPlugin(options: ClaOptions = {}): Plugin {
  const sleep = options.sleep ?? realSleep;
  return definePlugin('cla', {
    description:
      `Keeps the '${CLA_YES_LABEL}' and '${CLA_NO_LABEL}' labels on pull requests in step with the ${CLA_CONTEXT} ` +
      'commit status, so that a pull request whose authors have not all signed the CNCF CLA is marked and cannot merge.',
    commands: [
      {
        usage: '/check-cla',
        description: `Reads the ${CLA_CONTEXT} status of the pull request's head again and corrects the CLA label.`,
        examples: ['/check-cla'],
        who: 'Anyone',
        featured: true,
      },
    ],
  })
    .on('status', async ({ event, org, repo, repository, github, log }) => {
      const { sha, state, context } = event.payload;
      if (!state || !context) throw new Error('status event delivered with an empty state or context');
      if (context !== CLA_CONTEXT || !isCommitState(state) || state === 'pending') return;

      const query = `${sha} repo:${org}/${repo} type:pr state:open`;
      let found = (await github.searchIssues(query)).items;
      for (let attempt = 1; found.length === 0 && attempt < SEARCH_ATTEMPTS; attempt++) {
        await sleep(SEARCH_RETRY_DELAY_MS);
        found = (await github.searchIssues(query)).items;
      }
      log.info('searched for open pull requests at the commit', { sha, found: found.length });

      for (const item of found) {
        if (!labelsForStatus(state, item.labels)) continue;
        const pull = repository.issue(item.number);
        const pr = await pull.getPullRequest();
        // A status for an older head says nothing about the commits the PR holds now.
        if (pr.head.sha !== sha) {
          log.info('status is not for the pull request head; skipping', { number: item.number });
          continue;
        }
        const change = labelsForStatus(state, await pull.listIssueLabels());
        if (!change) continue;
        for (const label of change.remove) await pull.removeLabel(label);
        await pull.addLabels(change.add);
        log.info('updated the CLA label', { number: item.number, state, added: change.add });
      }
    })
    .onComment(async ({ comment, issue, repository, log }) => {
      if (!comment.isPR || comment.action !== 'created' || comment.issueState !== 'open') return;
      if (!isCheckClaCommand(comment.body)) return;
      const [labels, pr] = await Promise.all([issue.listIssueLabels(), issue.getPullRequest()]);
      const combined = await repository.getCombinedStatus(pr.head.sha);
      const status = combined.statuses.find((candidate) => candidate.context === CLA_CONTEXT);
      const change = labelsForCheck(status?.state, labels);
      if (!change) return;
      for (const label of change.remove) await issue.removeLabel(label);
      await issue.addLabels(change.add);
      log.info('rechecked the CLA status on request', { number: comment.number, state: status?.state, added: change.add });
    });
}

export const cla = createClaPlugin();
