# The GitHub write outbox's writer (shared/outbox/writer.ts): GitHub writes are stored in
# Firestore and sent by one paced writer per installation. An enqueuer — and the scheduler's
# minute tick, for retries and rate-limit blocks that have come due — publishes a nudge naming the
# installation to the topic github-writes; its push subscription starts the github-writer
# function, which drains that installation's outbox if no other instance holds its writer lease.
# The function, its subscription, dead letters, account and grants come from the tables in
# deployment.tf, functions.tf, pubsub.tf and iam.tf like every other function's; what is
# particular to the writer is here.

locals {
  # TOPICS.githubWrites in shared/bus/bus.ts.
  outbox_topics = ["github-writes"]

  outbox_functions = {
    github-writer = {
      trigger      = "pubsub"
      topic        = "github-writes"
      subscription = "github-writer"
      secrets = {
        "cutwater-github-app-id"          = "GITHUB_APP_ID"
        "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
      }
      # A write GitHub refuses people for enqueues the refusal notice into the same outbox, which
      # the same drain sends: it publishes nothing.
      publishes        = []
      pubsub_reports   = false
      config_snapshots = "none"
      artifacts        = "none"
      # GITHUB_WRITER_TIMEOUT_SECONDS: a drain waits out the pace of GitHub's secondary limits
      # (80 writes a minute) and stops a minute before the timeout. The subscription's ack
      # deadline (Pub/Sub's maximum) lies beyond it, so a nudge is not redelivered mid-drain.
      timeout_seconds      = 540
      ack_deadline_seconds = 600
      message_ordering     = false
      # One instance drains one installation at a time (the lease); most nudges find the lease
      # held and return at once, so a few instances serve many installations.
      max_instances = 5
      concurrency   = 20
    }
  }

  # Functions that wake writers (cloudNudge): the events function and the reporter after they
  # enqueue writes, the scheduler each minute for what has come due.
  outbox_nudgers = ["events", "trigger", "reporter", "scheduler"]
}

resource "google_pubsub_topic_iam_member" "outbox_nudge_publisher" {
  for_each = toset(local.outbox_nudgers)
  project  = var.project_id
  topic    = google_pubsub_topic.topic["github-writes"].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}
