import type { StatusReconcileChannels } from '../statusreconciler/reconcile';
import type { TideChannels } from './tide';

/**
 * The status reconciler's wiring: the same GitHub reads and outbox status writes as the merge
 * pool's (undefined without GitHub credentials, so the task is off), and Prow's two denylist flags
 * from the environment — they are command-line flags in Prow, not config.yaml settings:
 * STATUS_RECONCILER_DENYLIST (`--denylist`: start no added jobs there) and
 * STATUS_RECONCILER_DENYLIST_ALL (`--denylist-all`: leave alone entirely), each a comma- or
 * space-separated list of orgs and org/repos.
 */
export function statusReconcileChannels(github: TideChannels | undefined, env: NodeJS.ProcessEnv): StatusReconcileChannels | undefined {
  if (!github) return undefined;
  const denylist = listOf(env.STATUS_RECONCILER_DENYLIST);
  const denylistAll = listOf(env.STATUS_RECONCILER_DENYLIST_ALL);
  return {
    github: github.github,
    ...(github.statusWriter ? { statusWriter: github.statusWriter } : {}),
    ...(denylist.length > 0 ? { denylist } : {}),
    ...(denylistAll.length > 0 ? { denylistAll } : {}),
  };
}

function listOf(value: string | undefined): string[] {
  return (value ?? '').split(/[\s,]+/).filter((entry) => entry.length > 0);
}
