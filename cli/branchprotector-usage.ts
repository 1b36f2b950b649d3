/** `cutwater branchprotector --help`, apart from branchprotector.ts so the command list loads nothing. */
export const BRANCHPROTECTOR_USAGE = `Usage: cutwater branchprotector [--config-path F [--job-config-path D]] [--confirm]
                               [--enable-apps-restrictions] [--verify-restrictions]

Applies the config's branch-protection section to GitHub, as Prow's branchprotector does:
policies inherit global → org → repo → branch, each branch also requires the contexts of its
always-run, non-optional, reported presubmits, and exclude/include pick an org's branches.
An org that sets protect covers every repo it has (listed from GitHub); otherwise only the
repos it names, plus, with protect-tested-repos, every repo with presubmits.

Without --confirm nothing changes: for each branch whose protection differs, it prints the
difference, one line per field (- what GitHub has, + what the config wants), and a summary.
require_signed_commits is applied through GitHub's own endpoint for it, and only where set.

Flags:
  --config-path F               Prow config.yaml (without it: the snapshot published under $CONFIG_SNAPSHOTS)
  --job-config-path D           job config file or directory (for required contexts)
  --confirm                     change GitHub (PUT, or DELETE for protect: false)
  --enable-apps-restrictions    manage restrictions.apps too (without it, configuring them is an error)
  --verify-restrictions         refuse restrictions naming users, teams or apps that cannot write to the repo
  -h, --help                    this help

GitHub access: GITHUB_TOKEN, or GITHUB_APP_ID + GITHUB_APP_PRIVATE_KEY(_FILE) (each org through
its own installation), and GITHUB_API_URL. Exit 1 when any org, repo or branch failed.`;
