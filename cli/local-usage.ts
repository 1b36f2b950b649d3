/** Kept apart from local.ts so `cutwater --help` does not load the whole system. */
export const LOCAL_USAGE = `Usage: cutwater local [flags]

The whole system on this machine: webhook, plugins, scheduler, reporter and status pages on one
port, and a runner that runs jobs as local processes. With no config flags it loads the demo
configuration shipped with Cutwater (its periodic runs within a minute).

Flags:
  --config-path F       Prow config.yaml (default: the demo config)
  --job-config-path D   job config file or directory
  --plugin-config F     plugins.yaml
  --port N              HTTP port (default $PORT or 8080)
  --data-dir D          where jobs, logs, artifacts and local secrets are kept (default .cutwater)
  --work-dir D          where running jobs get their workspaces; kept out of the data dir
                        (default <tmpdir>/cutwater-work-<hash of the data dir>)
  --clusters all|a,b    also run the jobs of these build clusters (or of every cluster the config
                        names) as local processes; without it only cluster "default" runs here, and
                        other clusters' jobs (and periodics) are not started
  --max-periodics-per-tick N
                        start at most N due periodics per minute (default 10; 0 for no limit), so
                        a big config's never-run periodics do not all start at once
  --emulators           use the Firestore and Pub/Sub emulators (ports from firebase.json)
                        instead of the embedded store and bus
  -h, --help            this help

Environment: GITHUB_TOKEN (or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY(_FILE)) and GITHUB_API_URL to
run plugins and report to GitHub; WEBHOOK_SECRET(_FILE) (otherwise one is made up in the data dir);
STATUS_URL for links in reports. None of it reaches jobs: they get PATH, LANG, LC_ALL, LC_CTYPE, TZ, TERM,
HOME in their workspace, and Prow's job variables. Run as root, Cutwater runs jobs as \`nobody\`.`;
