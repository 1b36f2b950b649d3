/** `cutwater mkpj --help`, apart from mkpj.ts so the command list loads nothing. */
export const MKPJ_USAGE = `Usage: cutwater mkpj --job NAME [--base-ref R] [--base-sha S] [--pull-number N] [--pull-sha S]
                     [--pull-author A] [--config-path F] [--job-config-path D] [--dry-run | --wait]

Makes a ProwJob from a job in the configuration, as Prow's mkpj does, and starts it.

Flags:
  --job NAME             the presubmit, postsubmit or periodic to run (required)
  --base-ref R           the branch (default: the pull request's base; for postsubmits required)
  --base-sha S           the base commit (presubmits: from GitHub when credentials are set)
  --pull-number N        the pull request (presubmits)
  --pull-sha S           the pull request's head commit (default: from GitHub)
  --pull-author A        the pull request's author (default: from GitHub)
  --config-path F        Prow config.yaml (default: the demo config of cutwater local)
  --job-config-path D    job config file or directory
  --dry-run              print the ProwJob as YAML and start nothing
  --wait                 follow the job to its end with a progress line, then print its log;
                         exit 0 only if it succeeded
  --address URL          the running cutwater local (default http://127.0.0.1:8080)
  --data-dir D           cutwater local's data dir, for its API token (default .cutwater)
  --project P            create the job in this project's Firestore instead (also when
                         GOOGLE_CLOUD_PROJECT is set and --address is not given)
  -h, --help             this help

GitHub lookups use GITHUB_TOKEN (or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY(_FILE)) and GITHUB_API_URL.`;
