/** `cutwater phony --help`, apart from phony.ts so the command list loads nothing. */
export const PHONY_USAGE = `Usage: cutwater phony --address URL --hmac-secret-file F --event NAME --payload F

Sends a webhook as GitHub would: the payload file's bytes, signed with the secret's first line
(X-Hub-Signature-256), with X-GitHub-Event and a fresh X-GitHub-Delivery. Prints the answer.

Flags:
  --address URL           where to send it (default http://127.0.0.1:8080/hook)
  --hmac-secret-file F    the webhook secret (default $WEBHOOK_SECRET_FILE, or $WEBHOOK_SECRET)
  --event NAME            the GitHub event, e.g. pull_request, issue_comment (default ping)
  --payload F             the JSON payload file (default: {} for ping)
  --delivery ID           the delivery ID (default: random), to try a redelivery
  -h, --help              this help

Exit status: 0 when the answer is 2xx, 1 otherwise.`;
