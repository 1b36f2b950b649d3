import { readBody, sendJson } from '../../http/node';
import { SandboxRefusal, type ReviewVerdict, type Sandbox, type SandboxFile, type SandboxPullState, type SandboxState } from '../../sandbox/sandbox';
import { submittedCsrfToken } from '../auth/csrf';
import { html, joinHtml, type SafeHtml } from '../html';
import { sendHtml } from '../respond';
import { badRequest, notFound, sendPage, type StatusRequest } from '../status-request';
import { messagePage, safeHref, timeElement } from './layout';

/**
 * `/sandbox`: local mode's built-in GitHub, driven by a person. Forms open a PR, comment, review,
 * push a commit, merge and close (each a POST to `/sandbox/<action>`, CSRF-checked), and the
 * sandbox sends the webhook GitHub would to `/hook`. The page then shows labels, statuses, reviews
 * and the bot's replies as plugins and jobs make them: sandbox.js polls `/sandbox/state.json` and,
 * when it changed, swaps in the freshly rendered parts marked `data-live` (rendered and escaped
 * here, never built from JSON in the browser). Served only when local mode runs the sandbox.
 */

const MAX_FORM_BYTES = 512 * 1024;
/** File rows on the open-PR and push forms; an empty path leaves a row out. */
const FILE_ROWS = 3;
export const SANDBOX_ACTIONS = ['open', 'comment', 'review', 'push', 'merge', 'close'] as const;
type SandboxAction = (typeof SANDBOX_ACTIONS)[number];

function sandboxOf(page: StatusRequest): Sandbox | undefined {
  return page.deps.sandbox;
}

export function serveSandboxState(page: StatusRequest): void {
  const sandbox = sandboxOf(page);
  if (!sandbox) return notFound(page, 'There is no sandbox GitHub here.');
  page.response.setHeader('cache-control', 'no-store');
  sendJson(page.response, 200, sandbox.state());
}

export function serveSandbox(page: StatusRequest): void {
  const sandbox = sandboxOf(page);
  if (!sandbox) return notFound(page, 'There is no sandbox GitHub here.');
  const state = sandbox.state();
  const csrf = page.viewer().csrfToken ?? '';
  const notice = page.url.searchParams.get('done');
  const body = html`<h1>Sandbox GitHub</h1>
<div class="notice"><p>No GitHub credentials were given, so <code>cutwater local</code> runs this GitHub of its own: plugins, trigger, the reporter and Tide talk to it as to GitHub.
Every action below sends the webhook GitHub would (signed, to <code>/hook</code>); what the bot does in reply (labels, comments, statuses) shows up here within a second or two.
You act as <strong>${state.user}</strong>, an org member and approver in every repository unless you give another login. State lives in memory: restarting starts afresh.
The bot's own writes send no webhooks. To use a real GitHub, set GITHUB_TOKEN (and GITHUB_API_URL) and restart.</p></div>
${notice ? html`<p class="message" role="status">${notice}</p>` : ''}
${openForm(state, csrf)}
<h2>Pull requests</h2>
<div id="sandbox-pulls" data-pulls="${state.pulls.map((pull) => `${pull.repo}#${pull.number}`).join(' ')}">${
    state.pulls.length === 0 ? html`<p class="muted">None yet: open one above.</p>` : state.pulls.map((pull) => pullSection(pull, csrf))
  }</div>
<h2>Webhooks sent</h2>
<div id="sandbox-deliveries" data-live>${deliveries(state)}</div>`;
  sendPage(page, 'Sandbox GitHub', body, undefined, ['sandbox']);
}

function fileRows(prefix: string, first?: SandboxFile): SafeHtml {
  const rows = Array.from({ length: FILE_ROWS }, (_, index) => {
    const file = index === 0 ? first : undefined;
    return html`<div class="sandbox-file"><label>File ${index + 1} path <input type="text" name="path${index}" value="${file?.path ?? ''}" id="${prefix}-path${index}"></label>
<label>Content <textarea name="content${index}" rows="3" id="${prefix}-content${index}">${file?.content ?? ''}</textarea></label></div>`;
  });
  return joinHtml(rows);
}

function asField(id: string): SafeHtml {
  return html`<label>As <input type="text" name="as" placeholder="you" id="${id}" size="12"></label>`;
}

function openForm(state: SandboxState, csrf: string): SafeHtml {
  if (state.repositories.length === 0) {
    return html`<p class="message">The config names no repository (no jobs, plugins or Tide queries for one), so there is nothing to open a pull request on.</p>`;
  }
  const options = state.repositories.map((repo) => html`<option value="${repo.fullName}">${repo.fullName} (${repo.defaultBranch})</option>`);
  return html`<h2>Open a pull request</h2>
<form method="post" action="/sandbox/open" class="sandbox-form" id="open-form">
<input type="hidden" name="csrf_token" value="${csrf}">
<label>Repository <select name="repo" id="open-repo">${options}</select></label>
<label>Title <input type="text" name="title" required id="open-title"></label>
<label>Description <textarea name="body" rows="2" id="open-body"></textarea></label>
${fileRows('open', { path: 'hello.txt', content: 'Hello from the sandbox.\n' })}
${asField('open-as')}
<button type="submit" class="primary">Open pull request</button>
</form>`;
}

function pullSection(pull: SandboxPullState, csrf: string): SafeHtml {
  const id = pullId(pull);
  const hidden = html`<input type="hidden" name="csrf_token" value="${csrf}"><input type="hidden" name="repo" value="${pull.repo}"><input type="hidden" name="number" value="${pull.number}">`;
  const open = pull.state === 'open';
  return html`<section class="sandbox-pull" id="${id}" aria-labelledby="${id}-title">
<h3 id="${id}-title">${pull.repo}#${pull.number}: ${pull.title}</h3>
<div id="${id}-live" data-live>${pullLive(pull)}</div>
${
  open
    ? html`<details><summary>Comment, review, push, merge or close</summary>
<form method="post" action="/sandbox/comment" class="sandbox-form">${hidden}
<label>Comment <textarea name="body" rows="2" id="${id}-comment" placeholder="/test all, /lgtm, /hold, /approve …"></textarea></label>${asField(`${id}-comment-as`)}
<button type="submit" class="primary">Comment</button></form>
<form method="post" action="/sandbox/review" class="sandbox-form">${hidden}
<label>Review <select name="verdict" id="${id}-verdict"><option value="approve">Approve</option><option value="request_changes">Request changes</option><option value="comment">Comment</option></select></label>
<label>Text <textarea name="body" rows="1" id="${id}-review-body"></textarea></label>${asField(`${id}-review-as`)}
<button type="submit" class="secondary">Submit review</button></form>
<form method="post" action="/sandbox/push" class="sandbox-form">${hidden}
${fileRows(`${id}-push`)}${asField(`${id}-push-as`)}
<button type="submit" class="secondary">Push a commit</button></form>
<form method="post" action="/sandbox/merge" class="inline">${hidden}<button type="submit" class="secondary">Merge</button></form>
<form method="post" action="/sandbox/close" class="inline">${hidden}<button type="submit" class="danger">Close</button></form>
</details>`
    : ''
}
</section>`;
}

/** What changes as the bot and jobs work: rendered here for the page and for sandbox.js alike. */
function pullLive(pull: SandboxPullState): SafeHtml {
  const state = pull.merged ? 'merged' : pull.state;
  const labels = pull.labels.length === 0 ? html`<span class="muted">none</span>` : pull.labels.map((label) => html`<span class="label">${label}</span> `);
  const statuses =
    pull.statuses.length === 0
      ? html`<p class="muted">No statuses on ${pull.headSha.slice(0, 12)}.</p>`
      : html`<table><caption>Statuses on ${pull.headSha.slice(0, 12)}</caption><thead><tr><th scope="col">Context</th><th scope="col">State</th><th scope="col">Description</th></tr></thead><tbody>${pull.statuses.map(
          (status) => {
            const href = safeHref(status.targetUrl ?? undefined);
            return html`<tr><td>${href ? html`<a href="${href}">${status.context}</a>` : status.context}</td><td class="state state-${status.state}">${status.state}</td><td>${status.description ?? ''}</td></tr>`;
          },
        )}</tbody></table>`;
  const reviews = pull.reviews.map((review) => html`<li><strong>${review.user}</strong> ${review.state.toLowerCase().replace('_', ' ')}${review.body ? html`: ${review.body}` : ''}</li>`);
  const comments = pull.comments.map((comment) => html`<li><strong>${comment.user}</strong><pre class="output">${comment.body}</pre></li>`);
  return html`<dl class="facts"><dt>State</dt><dd>${state}</dd><dt>Author</dt><dd>${pull.author}</dd><dt>Base</dt><dd>${pull.baseRef}</dd>
<dt>Mergeable</dt><dd>${pull.mergeable === null ? 'unknown' : pull.mergeable ? 'yes' : 'no (conflict)'}</dd>
<dt>Files</dt><dd>${pull.files.map((file) => file.path).join(', ')}</dd>
<dt>Labels</dt><dd class="sandbox-labels">${labels}</dd></dl>
${statuses}
${reviews.length > 0 ? html`<h4>Reviews</h4><ul>${reviews}</ul>` : ''}
${pull.body ? html`<h4>Description</h4><pre class="output">${pull.body}</pre>` : ''}
<h4>Conversation</h4>${comments.length > 0 ? html`<ul class="sandbox-comments">${comments}</ul>` : html`<p class="muted">No comments.</p>`}`;
}

function deliveries(state: SandboxState): SafeHtml {
  if (state.deliveries.length === 0) return html`<p class="muted">None yet.</p>`;
  return html`<table><thead><tr><th scope="col">When</th><th scope="col">Event</th><th scope="col">On</th><th scope="col">/hook answered</th></tr></thead><tbody>${state.deliveries.map(
    (delivery) =>
      html`<tr><td>${timeElement(delivery.at)}</td><td>${delivery.event}${delivery.action ? `.${delivery.action}` : ''}</td><td>${delivery.repo}${delivery.number === undefined ? '' : `#${delivery.number}`}</td><td>${delivery.status === 0 ? 'unreachable' : delivery.status}</td></tr>`,
  )}</tbody></table>`;
}

function pullId(pull: { repo: string; number: number }): string {
  return `pr-${pull.repo.replace(/[^A-Za-z0-9_-]/g, '-')}-${pull.number}`;
}

export async function serveSandboxAction(page: StatusRequest, action: string): Promise<void> {
  const sandbox = sandboxOf(page);
  if (!sandbox || !(SANDBOX_ACTIONS as readonly string[]).includes(action)) return notFound(page, 'There is no such sandbox action.');
  let form: URLSearchParams;
  try {
    form = new URLSearchParams((await readBody(page.request, MAX_FORM_BYTES)).toString('utf8'));
  } catch {
    return badRequest(page, `The form is too large (at most ${MAX_FORM_BYTES / 1024} KiB).`);
  }
  if (!page.deps.auth.csrf.checkCsrf(page.request, submittedCsrfToken(page.request, form))) {
    return sendHtml(page.response, 403, messagePage('Request refused', 'This form has expired or did not come from this site. Reload the sandbox page and try again.', page.viewer()));
  }
  try {
    const done = await runAction(sandbox, action as SandboxAction, form);
    page.response.writeHead(303, { location: `/sandbox?${new URLSearchParams({ done: done.message }).toString()}#${done.anchor}` });
    page.response.end();
  } catch (error) {
    if (!(error instanceof SandboxRefusal)) throw error;
    sendHtml(page.response, 400, messagePage('Sandbox action refused', error.message, page.viewer(), html`<p><a href="/sandbox">Back to the sandbox</a></p>`));
  }
}

async function runAction(sandbox: Sandbox, action: SandboxAction, form: URLSearchParams): Promise<{ message: string; anchor: string }> {
  const repo = form.get('repo') ?? '';
  const as = form.get('as') ?? undefined;
  const who = as?.trim() || sandbox.user;
  const files = (): SandboxFile[] =>
    Array.from({ length: FILE_ROWS }, (_, index) => ({ path: form.get(`path${index}`) ?? '', content: (form.get(`content${index}`) ?? '').replace(/\r\n/g, '\n') }));
  if (action === 'open') {
    const number = await sandbox.openPullRequest({ repo, title: form.get('title') ?? '', body: form.get('body') ?? '', files: files(), ...(as ? { as } : {}) });
    return { message: `${who} opened ${repo}#${number}.`, anchor: pullId({ repo, number }) };
  }
  const number = Number(form.get('number'));
  const target = { repo, number, ...(as ? { as } : {}) };
  const anchor = pullId({ repo, number });
  switch (action) {
    case 'comment':
      await sandbox.comment({ ...target, body: (form.get('body') ?? '').replace(/\r\n/g, '\n') });
      return { message: `${who} commented on ${repo}#${number}.`, anchor };
    case 'review': {
      const verdict = form.get('verdict');
      if (verdict !== 'approve' && verdict !== 'request_changes' && verdict !== 'comment') throw new SandboxRefusal('Choose approve, request changes or comment.');
      await sandbox.review({ ...target, verdict: verdict satisfies ReviewVerdict, body: form.get('body') ?? '' });
      return { message: `${who} reviewed ${repo}#${number}.`, anchor };
    }
    case 'push': {
      const sha = await sandbox.pushCommit({ ...target, files: files() });
      return { message: `${who} pushed ${sha.slice(0, 12)} to ${repo}#${number}.`, anchor };
    }
    case 'merge':
      await sandbox.merge(target);
      return { message: `${who} merged ${repo}#${number}.`, anchor };
    case 'close':
      await sandbox.close(target);
      return { message: `${who} closed ${repo}#${number}.`, anchor };
  }
}
