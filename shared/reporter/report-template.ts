import type { Config } from '../config/model';
import { GoTemplateError, renderGoTemplate } from '../go/template';
import type { Logger } from '../log/logger';
import type { ProwJob } from '../prowjob/schema';

/**
 * Prow's `plank.report_templates` (by "org/repo", then "org", then "*"; else `report_template`):
 * extra text under the failed-tests table, rendered against the job.
 */
export function reportTemplateSource(config: Config, job: ProwJob): string | undefined {
  const plank = config.prow.plank;
  const refs = job.spec.refs;
  const templates = plank?.report_templates ?? {};
  const byRepo = refs ? (templates[`${refs.org}/${refs.repo}`] ?? templates[refs.org]) : undefined;
  return byRepo ?? templates['*'] ?? plank?.report_template;
}

/** The rendered text, or undefined. A broken template is logged and left out: the table matters more. */
export function renderReportTemplate(config: Config, job: ProwJob, log: Logger): string | undefined {
  const source = reportTemplateSource(config, job);
  if (!source) return undefined;
  try {
    return renderGoTemplate(source, job).trim() || undefined;
  } catch (error) {
    if (!(error instanceof GoTemplateError)) throw error;
    log.warn('plank.report_templates: cannot render the report template; the comment goes out without it', {
      error: error.message,
    });
    return undefined;
  }
}
