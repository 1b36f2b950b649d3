import { randomUUID } from 'node:crypto';
import { readBody } from '../../http/node';
import { abortJob, rerunJob, type ActionResult } from '../actions';
import { submittedCsrfToken } from '../auth/csrf';
import { html } from '../html';
import { jobPageHref } from '../links';
import { sendHtml } from '../respond';
import { badRequest, type StatusRequest } from '../status-request';
import { messagePage } from './layout';

/**
 * The job page's Rerun and Abort forms (`POST /rerun?prowjob=` and `POST /abort?prowjob=`, Deck's
 * paths): the CSRF check, then the decision and the change (../actions.ts), then back to the job
 * page on success, or a page that says why not and, where signing in would help, how to.
 */

const MAX_FORM_BYTES = 16 * 1024;

export async function serveJobAction(page: StatusRequest, action: 'rerun' | 'abort'): Promise<void> {
  const { request, response, url, deps } = page;
  let form: URLSearchParams;
  try {
    form = new URLSearchParams((await readBody(request, MAX_FORM_BYTES)).toString('utf8'));
  } catch {
    return badRequest(page, 'The form is too large.');
  }
  const name = url.searchParams.get('prowjob') ?? form.get('prowjob') ?? '';
  if (!name) return badRequest(page, "Say which job: the 'prowjob' query parameter is missing.");
  if (!deps.auth.csrf.checkCsrf(request, submittedCsrfToken(request, form))) {
    return sendHtml(response, 403, messagePage('Request refused', 'This form has expired or did not come from this site. Reload the job page and try again.', page.viewer()));
  }
  const login = page.login;
  const actionDeps = { store: deps.store, config: page.config, log: deps.log, now: () => page.now, ...(deps.github ? { github: deps.github } : {}) };
  const result: ActionResult =
    action === 'rerun'
      ? await rerunJob(actionDeps, {
          name,
          login,
          mode: (url.searchParams.get('mode') ?? form.get('mode')) === 'latest' ? 'latest' : 'original',
          requestId: (form.get('request_id') ?? '').slice(0, 64) || randomUUID(),
          visible: page.visible,
        })
      : await abortJob(actionDeps, { name, login, visible: page.visible });
  if (result.ok) {
    response.writeHead(303, { location: jobPageHref(result.job.metadata.name ?? name) });
    response.end();
    return;
  }
  const viewer = page.viewer();
  // Back to this job's page after signing in, not to the form's URL.
  const signInUrl = viewer.loginUrl?.replace(/dest=[^&]*/, `dest=${encodeURIComponent(jobPageHref(name))}`);
  const signIn = result.signInMayHelp && signInUrl ? html`<p><a href="${signInUrl}">Sign in with GitHub</a> to ${action} jobs.</p>` : '';
  const unconfigured =
    result.status === 401 && !deps.auth.oauth
      ? html`<p>GitHub sign-in is not set up on this deployment, so only jobs whose rerun_auth_configs say allow_anyone can be rerun or aborted here.</p>`
      : '';
  const title = result.status === 404 ? 'Not found' : action === 'rerun' ? 'Rerun refused' : 'Abort refused';
  sendHtml(response, result.status, messagePage(title, result.message, viewer, html`${signIn}${unconfigured}<p><a href="${jobPageHref(name)}">Back to the job</a></p>`));
}
