/** `cutwater phony --help`, apart from phony.ts so the command list loads nothing. */
export const PHONY_USAGE = `Usage: cutwater phony --address URL --hmac-secret-file F --event NAME --payload F
       cutwater phony --example NAME|list [--body TEXT] [--repo ORG/REPO]

Sends a webhook as GitHub would: the payload file's bytes (or a built-in example), signed with the
secret's first line (X-Hub-Signature-256), with X-GitHub-Event and a fresh X-GitHub-Delivery.
Prints the answer.

Flags:
  --address URL           where to send it (default http://127.0.0.1:8080/hook)
  --hmac-secret-file F    the webhook secret (default $WEBHOOK_SECRET_FILE, or $WEBHOOK_SECRET, or
                          the secret cutwater local keeps in <data dir>/hmac-secret)
  --data-dir D            cutwater local's data dir, for its secret (default .cutwater)
  --event NAME            the GitHub event, e.g. pull_request, issue_comment (default ping)
  --payload F             the JSON payload file (default: {} for ping)
  --delivery ID           the delivery ID (default: random), to try a redelivery
  --example NAME          send a built-in example instead of --event/--payload; "list" lists them
                          (pull_request.opened, issue_comment.created, push)
  --body TEXT             the comment of issue_comment.created (default "/test all")
  --repo ORG/REPO         the example's repository (default: the config's first with presubmits)
  --author LOGIN          who opens, comments or pushes in the example (default octocat)
  --config-path F         the config examples aim at (default: the demo config)
  --job-config-path D     its job configs
  -h, --help              this help

Exit status: 0 when the answer is 2xx, 1 otherwise.`;
