import type { RouteHandler } from './router';

/**
 * The status pages' stylesheet and client scripts, served from /static. The pages are complete
 * without them (server-rendered HTML, plain links and forms); the scripts only add what needs a
 * browser: auto-refresh of the job list, the live log, opening the fold a line link points into.
 * They are small enough that a framework or a build step would cost more than it gives, and they
 * live here as text so every deployment (a bundled Cloud Function, `cutwater local`) serves the
 * same bytes with no files to ship beside the bundle.
 */

const STYLESHEET = `
:root{--fg:#1f2328;--muted:#57606a;--bg:#fff;--line:#d0d7de;--link:#0550ae;--ok:#116329;--bad:#a40e26;--warn:#7d4e00;--idle:#57606a;--focus:#0969da}
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:var(--fg);background:var(--bg)}
a{color:var(--link)}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,summary:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
.skip-link{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:10}
.skip-link:focus{left:.5rem}
header.site{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#24292f;color:#fff}
header.site a{color:#fff;text-decoration:none}
header.site a:hover,header.site a[aria-current=page]{text-decoration:underline}
.brand{font-weight:700;font-size:1.1rem}
header.site nav{display:flex;flex-wrap:wrap;gap:.25rem 1rem}
.account{margin-left:auto;display:flex;gap:.5rem;align-items:center}
.link-button{background:none;border:0;color:inherit;text-decoration:underline;cursor:pointer;font:inherit;padding:0}
form.inline{display:inline}
main{max-width:1280px;margin:0 auto;padding:1rem}
main:focus{outline:none}
h1{font-size:1.5rem;margin:.25rem 0 .75rem;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.muted{color:var(--muted)}
.table-wrap{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;white-space:nowrap}
td{overflow-wrap:anywhere}
caption{text-align:left;font-weight:600;padding:.25rem 0}
.state{font-weight:600;white-space:nowrap}
.state-success{color:var(--ok)}.state-failure,.state-error{color:var(--bad)}
.state-pending,.state-triggered,.state-scheduling{color:var(--warn)}.state-aborted{color:var(--idle)}
.health-ok{color:var(--ok)}.health-warning{color:var(--warn)}.health-failing{color:var(--bad)}.health-off{color:var(--idle)}
.histogram{list-style:none;padding:0;margin:.25rem 0 .75rem;max-width:36rem}.histogram li{display:grid;grid-template-columns:8rem 1fr 3.5rem;gap:.5rem;align-items:center}.histogram .track{display:block;height:.75rem}.histogram .bar{display:block;height:100%;min-width:2px;background:currentColor}.histogram .count{text-align:right;font-variant-numeric:tabular-nums}
tr.attention{background:#fff8c5}tr.attention>:first-child{box-shadow:inset 4px 0 0 var(--warn)}tr.attention:has(+tr.why)>*{border-bottom:0}tr.why>td{padding-top:0}
.wrapping-heads th[scope=col]{white-space:normal;min-width:4.5rem}
td.primary{min-width:12rem}td.primary>div+div{margin-top:.25rem}
.reasons{margin:.25rem 0 0;padding-left:1.1rem;font-weight:400}
form.filters{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:flex-end;margin:0 0 1rem;padding:.75rem;border:1px solid var(--line);border-radius:6px}
form.filters label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted);gap:.15rem}
input,select,button{font:inherit}
input[type=text],input[type=search],input:not([type]),select{padding:.3rem .4rem;border:1px solid #8c959f;border-radius:4px;min-width:8rem;max-width:100%;color:var(--fg);background:#fff}
button.primary,.button{padding:.35rem .9rem;border:1px solid #1f6feb;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{padding:.35rem .9rem;border:1px solid #8c959f;border-radius:6px;background:#f6f8fa;color:var(--fg);cursor:pointer}
button.danger{padding:.35rem .9rem;border:1px solid var(--bad);border-radius:6px;background:#fff;color:var(--bad);cursor:pointer}
.toolbar{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:.5rem 0}
.pager{display:flex;gap:1rem;margin:1rem 0}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem;margin:0 0 1rem}
.facts dt{font-weight:600;color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.failures{border:2px solid var(--bad);border-radius:6px;padding:.25rem 1rem 1rem;margin:1rem 0}
.failures h2{color:var(--bad);margin-top:.5rem}
.failure-case{margin:.75rem 0}
.failure-case h3{font-size:1rem;margin:.25rem 0;overflow-wrap:anywhere}
.failure-message{font-weight:600;white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}
pre,.log{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre.output{background:#f6f8fa;border:1px solid var(--line);padding:.5rem;max-height:24rem;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.log{background:#0d1117;color:#e6edf3;padding:.5rem 0;border-radius:6px;overflow-x:auto}
.log .line{display:flex;white-space:pre-wrap;overflow-wrap:anywhere;padding:0 .75rem 0 0;min-height:1.4em}
.log .line.interesting{background:#2d1619}
.log .skipped{padding:.25rem 1rem;color:#8b949e}
.log .skipped a{color:#79c0ff}
.log .line:target{background:#3b2e00}
.log .ln{flex:0 0 4.5rem;text-align:right;padding-right:1rem;color:#8b949e;text-decoration:none;user-select:none}
.log .ln:hover{color:#e6edf3}
.log .lc{flex:1;min-width:0}
.log details.fold>summary{cursor:pointer;color:#8b949e;padding:.15rem 0 .15rem 5.5rem;list-style-position:inside}
.log details.fold>summary:hover{color:#e6edf3}
.live{color:var(--warn);font-weight:600}
.ansi-bold{font-weight:700}.ansi-italic{font-style:italic}.ansi-underline{text-decoration:underline}
.ansi-black-fg{color:#6e7681}.ansi-red-fg{color:#ff7b72}.ansi-green-fg{color:#3fb950}.ansi-yellow-fg{color:#d29922}
.ansi-blue-fg{color:#79c0ff}.ansi-magenta-fg{color:#d2a8ff}.ansi-cyan-fg{color:#56d4dd}.ansi-white-fg{color:#e6edf3}
.ansi-bright-black-fg{color:#8b949e}.ansi-bright-red-fg{color:#ffa198}.ansi-bright-green-fg{color:#56d364}.ansi-bright-yellow-fg{color:#e3b341}
.ansi-bright-blue-fg{color:#a5d6ff}.ansi-bright-magenta-fg{color:#e2c5ff}.ansi-bright-cyan-fg{color:#b3f0ff}.ansi-bright-white-fg{color:#fff}
.ansi-black-bg{background:#484f58}.ansi-red-bg{background:#8e1519}.ansi-green-bg{background:#0f5323}.ansi-yellow-bg{background:#693e00}
.ansi-blue-bg{background:#0c2d6b}.ansi-magenta-bg{background:#5a1e9e}.ansi-cyan-bg{background:#0b4a51}.ansi-white-bg{background:#6e7681}
.chart{max-width:100%;height:auto;border:1px solid var(--line);border-radius:6px}
.chart .bar-success{fill:#2da44e}.chart .bar-failure,.chart .bar-error{fill:#cf222e}.chart .bar-aborted,.chart .bar-pending,.chart .bar-triggered{fill:#8c959f}
.commit{font-family:ui-monospace,monospace}
.group{margin:1.25rem 0}
.summary-counts{font-weight:600}
.plugin{border-top:1px solid var(--line);padding-top:.5rem;margin-top:1rem}
.plugin-index{columns:14rem;padding-left:1.2rem}
.nowrap{white-space:nowrap}
table.commands th[scope=row]{font-weight:400;white-space:normal;width:14rem;max-width:16rem}
table.commands td:nth-child(2){min-width:16rem;width:40%}
table.commands td:nth-child(3){min-width:9rem}
table.commands td:nth-child(4){min-width:9rem}
table.commands code.example{display:inline-block;overflow-wrap:normal}
code.usage{overflow-wrap:normal}
table.configured-jobs td{overflow-wrap:break-word;min-width:6rem}
table.configured-jobs th[scope=row]{white-space:normal;min-width:12rem;max-width:22rem}
table.configured-jobs th[scope=row] a{overflow-wrap:anywhere}
table.configured-jobs .source{overflow-wrap:anywhere;font-weight:400}
table.configured-jobs td.image{max-width:16rem;overflow-wrap:anywhere}
.source{font-size:.85rem}
.message{font-size:1.05rem}
.notice{background:#ddf4ff;border:1px solid #54aeff;border-radius:6px;padding:.5rem .75rem}
.github-in-use{font-size:.85rem;padding:.1rem .5rem;border:1px solid #8c959f;border-radius:1rem}
.sandbox-form{display:flex;flex-wrap:wrap;gap:.5rem .75rem;align-items:flex-end;margin:.5rem 0;padding:.75rem;border:1px solid var(--line);border-radius:6px}
.sandbox-form label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted);gap:.15rem}
.sandbox-form textarea{font:13px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;min-width:16rem;max-width:100%}
.sandbox-file{display:flex;flex-wrap:wrap;gap:.5rem;width:100%}
.sandbox-pull{border:1px solid var(--line);border-radius:6px;padding:.25rem 1rem 1rem;margin:1rem 0}
.sandbox-pull h3{overflow-wrap:anywhere}
.label{display:inline-block;padding:0 .5rem;border-radius:1rem;background:#ddf4ff;border:1px solid #54aeff;font-size:.85rem}
.lens{border-top:1px solid var(--line);margin-top:1.5rem}
.lens-hint{background:#fff8c5;border-color:#d4a72c}
.gallery{display:flex;flex-wrap:wrap;gap:.75rem}
.gallery figure{margin:0;max-width:18rem}
.gallery img{max-width:100%;max-height:14rem;border:1px solid var(--line);border-radius:6px;background:#fff}
.gallery figcaption{font-size:.85rem;overflow-wrap:anywhere}
.html-report iframe{width:100%;height:36rem;border:1px solid var(--line);border-radius:6px;background:#fff;resize:vertical}
.coverage-total{font-size:1.05rem}
td.started time{white-space:nowrap}.ago{font-size:.85rem;white-space:nowrap}
@media (max-width:700px){
  main{padding:.5rem}
  .hide-narrow{display:none}
  .facts{grid-template-columns:1fr}
  .facts dt{margin-top:.35rem}
  .log .ln{flex-basis:3rem;padding-right:.5rem}
  .log details.fold>summary{padding-left:3.5rem}
  th,td{padding:.3rem .3rem}
}
`;

/** On every page: local times (with the zone's name), and opening the folded log section a `#L123` link points into. */
const COMMON_SCRIPT = `
(function () {
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    for (var node = target.parentElement; node; node = node.parentElement) if (node.tagName === 'DETAILS') node.open = true;
    target.scrollIntoView({ block: 'center' });
  }
  function ago(at) {
    var seconds = Math.round((Date.now() - at) / 1000);
    if (seconds < 0) return 'in the future';
    if (seconds < 45) return 'just now';
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + ' min ago';
    var hours = Math.round(minutes / 60);
    if (hours < 48) return hours + ' h ago';
    return Math.round(hours / 24) + ' days ago';
  }
  // The server writes UTC; the reader sees their own zone, named, and the UTC text on hover.
  function localTimes(root) {
    root.querySelectorAll('time[datetime]:not([data-local])').forEach(function (el) {
      var at = new Date(el.getAttribute('datetime'));
      if (isNaN(at)) return;
      el.title = el.textContent;
      el.setAttribute('data-local', '');
      el.textContent = el.hasAttribute('data-clock') ? at.toLocaleTimeString(undefined, { timeZoneName: 'short' }) : at.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'long' });
    });
    root.querySelectorAll('[data-ago]').forEach(function (el) {
      var at = new Date(el.getAttribute('data-ago'));
      if (!isNaN(at)) el.textContent = ago(at.getTime());
    });
  }
  // Rows swapped in by the job list's auto-refresh get the same treatment.
  document.addEventListener('cutwater:updated', function (event) { localTimes(event.target); });
  window.addEventListener('hashchange', openTarget);
  document.addEventListener('DOMContentLoaded', function () {
    openTarget();
    localTimes(document);
    setInterval(function () { localTimes(document); }, 30000);
  });
})();
`;

/**
 * The job list refreshes its rows in place: the table body is swapped, nothing else, so the
 * reader's scroll position, focus (found again by the link it was on) and filter inputs stay.
 */
const JOB_LIST_SCRIPT = `
(function () {
  var INTERVAL_MS = 10000;
  document.addEventListener('DOMContentLoaded', function () {
    var box = document.getElementById('auto-refresh');
    var body = document.getElementById('job-rows');
    if (!box || !body) return;
    var stored = localStorage.getItem('cutwater.autoRefresh');
    if (stored !== null && box.dataset.firstPage === 'true') box.checked = stored === 'true';
    box.addEventListener('change', function () { localStorage.setItem('cutwater.autoRefresh', String(box.checked)); });
    var busy = false;
    setInterval(function () {
      if (!box.checked || busy || document.hidden) return;
      busy = true;
      var url = new URL(location.href);
      url.searchParams.set('fragment', 'rows');
      fetch(url, { headers: { accept: 'text/html' } }).then(function (response) {
        if (!response.ok) return;
        return response.text().then(function (html) {
          var focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.getAttribute('href') : null;
          body.innerHTML = html;
          body.dispatchEvent(new Event('cutwater:updated', { bubbles: true }));
          if (focused) { var again = body.querySelector('a[href="' + CSS.escape(focused) + '"]'); if (again) again.focus({ preventScroll: true }); }
          var stamp = document.getElementById('refreshed-at');
          if (stamp) stamp.textContent = 'updated ' + new Date().toLocaleTimeString();
        });
      }).catch(function () {}).then(function () { busy = false; });
    }, INTERVAL_MS);
  });
})();
`;

/**
 * The job page follows a running job: log lines arrive as server-sent events already rendered as
 * HTML by the server (escaped, coloured, numbered), and when the job ends the page's main content
 * is replaced by its final version (results, artifacts) without a reload.
 */
const JOB_PAGE_SCRIPT = `
(function () {
  document.addEventListener('DOMContentLoaded', function () {
    var log = document.getElementById('build-log');
    var live = document.getElementById('live-status');
    if (!log || !live || !log.dataset.stream) return;
    var source = new EventSource(log.dataset.stream);
    live.textContent = 'Live';
    // Follow the log only once the reader has scrolled to its end, as a terminal would.
    function atEnd() { return window.innerHeight + window.scrollY >= document.body.scrollHeight - 40; }
    var follow = atEnd();
    window.addEventListener('scroll', function () { follow = atEnd(); });
    source.addEventListener('lines', function (event) {
      var placeholder = document.getElementById('no-log');
      if (placeholder) placeholder.remove();
      log.insertAdjacentHTML('beforeend', event.data);
      if (follow) window.scrollTo(0, document.body.scrollHeight);
    });
    source.addEventListener('state', function (event) {
      var badge = document.getElementById('job-state');
      if (badge) badge.outerHTML = event.data;
    });
    source.addEventListener('end', function () {
      source.close();
      live.textContent = 'Finished';
      fetch(location.href, { headers: { accept: 'text/html' } }).then(function (response) { return response.text(); }).then(function (html) {
        var next = new DOMParser().parseFromString(html, 'text/html').getElementById('main');
        var main = document.getElementById('main');
        if (next && main) { var y = window.scrollY; main.innerHTML = next.innerHTML; window.scrollTo(0, y); }
      }).catch(function () {});
    });
    source.onerror = function () { live.textContent = 'Reconnecting…'; };
    source.onopen = function () { live.textContent = 'Live'; };
  });
})();
`;

/** The command-help table filters as the reader types. */
const COMMAND_HELP_SCRIPT = `
(function () {
  document.addEventListener('DOMContentLoaded', function () {
    var input = document.getElementById('command-filter');
    var table = document.getElementById('commands');
    if (!input || !table) return;
    input.hidden = false;
    var label = document.querySelector('label[for="command-filter"]');
    if (label) label.hidden = false;
    input.addEventListener('input', function () {
      var words = input.value.toLowerCase().split(/\\s+/).filter(Boolean);
      table.querySelectorAll('tbody tr').forEach(function (row) {
        var text = row.dataset.search || row.textContent.toLowerCase();
        row.hidden = !words.every(function (word) { return text.indexOf(word) >= 0; });
      });
    });
  });
})();
`;

/**
 * The sandbox page: polls its state, and when it changed swaps in the server's freshly rendered
 * parts (the PR list when PRs came or went, else only the parts marked data-live, so that text
 * being typed into a form stays).
 */
const SANDBOX_SCRIPT = `
(function () {
  document.addEventListener('DOMContentLoaded', function () {
    var pulls = document.getElementById('sandbox-pulls');
    if (!pulls) return;
    var last = null;
    function swap(html) {
      var next = new DOMParser().parseFromString(html, 'text/html');
      var nextPulls = next.getElementById('sandbox-pulls');
      if (nextPulls && nextPulls.dataset.pulls !== pulls.dataset.pulls) {
        pulls.replaceWith(nextPulls);
        pulls = nextPulls;
      }
      next.querySelectorAll('[data-live]').forEach(function (part) {
        var mine = part.id ? document.getElementById(part.id) : null;
        if (mine) mine.replaceWith(part);
      });
    }
    function poll() {
      fetch('/sandbox/state.json', { headers: { accept: 'application/json' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          if (text === null || text === last) return;
          last = text;
          return fetch('/sandbox', { headers: { accept: 'text/html' } }).then(function (response) { return response.text(); }).then(swap);
        })
        .catch(function () {})
        .then(function () { setTimeout(poll, 1500); });
    }
    poll();
  });
})();
`;

/** The tab icon: a ship's bow parting water (a cutwater), in the header's colours. */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#24292f"/><path d="M16 4 L25 22 H7 Z" fill="#fff"/><path d="M3 25 Q9.5 21 16 25 T29 25 V28 H3 Z" fill="#54aeff"/></svg>`;

/**
 * `GET /favicon.svg`, and `/favicon.ico` too: browsers and crawlers ask for the .ico by habit,
 * and they read the answer by its content type, so one small SVG serves both without a 404.
 */
export const serveFavicon: RouteHandler = ({ response }) => {
  response.writeHead(200, { 'content-type': 'image/svg+xml', 'cache-control': 'public, max-age=86400', 'x-content-type-options': 'nosniff' });
  response.end(FAVICON_SVG);
};

export const STATIC_ASSETS: Readonly<Record<string, { contentType: string; body: string }>> = {
  'status.css': { contentType: 'text/css; charset=utf-8', body: STYLESHEET },
  'common.js': { contentType: 'text/javascript; charset=utf-8', body: COMMON_SCRIPT },
  'job-list.js': { contentType: 'text/javascript; charset=utf-8', body: JOB_LIST_SCRIPT },
  'job-page.js': { contentType: 'text/javascript; charset=utf-8', body: JOB_PAGE_SCRIPT },
  'command-help.js': { contentType: 'text/javascript; charset=utf-8', body: COMMAND_HELP_SCRIPT },
  'sandbox.js': { contentType: 'text/javascript; charset=utf-8', body: SANDBOX_SCRIPT },
};

/** `GET /static/<name>`; cached briefly, so a deployment's new scripts reach readers within minutes. */
export function serveStaticAsset(name: string): RouteHandler {
  const asset = STATIC_ASSETS[name];
  if (!asset) throw new Error(`no static asset ${name}`);
  return ({ response }) => {
    response.writeHead(200, { 'content-type': asset.contentType, 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' });
    response.end(asset.body);
  };
}
