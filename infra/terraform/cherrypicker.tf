# The cherrypicker plugin's worker (functions/cherrypicker, shared/cherrypick/worker.ts): the events
# function decides a cherry-pick and publishes it to cherry-picks; this function's push
# subscription runs git (clone the target branch, `git am --3way` the PR's patch, push) and opens
# the new pull request. It holds the App's write credentials, which is why the work is done here
# and never on a build cluster, where untrusted PR code runs.
#
# Base image: Cloud Functions builds the nodejs22 runtime on the google-22-full stack, whose
# image ships the `git` binary the worker runs (the slimmer google-22 stack, Cloud Run's default
# for source deploys, does not).
#
# The function, its subscription, dead letters, account and grants come from the tables in
# deployment.tf, functions.tf, pubsub.tf and iam.tf like every other function's.

locals {
  # TOPICS.cherryPicks in shared/bus/bus.ts.
  cherrypick_topics = ["cherry-picks"]

  cherrypick_functions = {
    cherrypicker = {
      trigger      = "pubsub"
      topic        = "cherry-picks"
      subscription = "cherrypicker"
      secrets = {
        "cutwater-github-app-id"          = "GITHUB_APP_ID"
        "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
      }
      publishes        = []
      pubsub_reports   = false
      config_snapshots = "none"
      artifacts        = "none"
      # CHERRYPICKER_TIMEOUT_SECONDS: a clone and push of a large repository take minutes; the
      # subscription's ack deadline lies beyond, so a pick is not redelivered while it runs.
      timeout_seconds      = 540
      ack_deadline_seconds = 600
      # One PR's picks one at a time: a repeated request then finds the first one's PR.
      message_ordering = true
      max_instances    = 5
      concurrency      = 4
    }
  }
}
