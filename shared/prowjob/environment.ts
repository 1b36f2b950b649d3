import type { ProwJobType } from './schema';

/**
 * The environment Prow's downward API gives every job container (pkg/pod-utils/downwardapi).
 * Job configs may not set these themselves: the runner owns them.
 */
const BASE_ENV = [
  'CI',
  'JOB_NAME',
  'JOB_SPEC',
  'JOB_TYPE',
  'PROW_JOB_ID',
  'BUILD_ID',
  'BUILD_NUMBER',
] as const;
const REFS_ENV = [
  'REPO_OWNER',
  'REPO_NAME',
  'SRC_BASE',
  'SRC_HOST',
  'PULL_BASE_REF',
  'PULL_BASE_SHA',
  'PULL_REFS',
] as const;
const PULL_ENV = ['PULL_NUMBER', 'PULL_PULL_SHA', 'PULL_HEAD_REF', 'PULL_TITLE'] as const;

export function reservedEnvForType(type: ProwJobType): readonly string[] {
  switch (type) {
    case 'periodic':
      return BASE_ENV;
    case 'postsubmit':
    case 'batch':
      return [...BASE_ENV, ...REFS_ENV];
    case 'presubmit':
      return [...BASE_ENV, ...REFS_ENV, ...PULL_ENV];
  }
}
