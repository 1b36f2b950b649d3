# What the code expects a deployment to provide, repeated from shared/runtime/deployment.ts
# (FUNCTIONS, SECRETS, DEPLOYED_TOPICS) and shared/bus/bus.ts (DEFAULT_SUBSCRIPTION_POLICY,
# deadLetterTopicOf). Terraform cannot read TypeScript, so the tables live in both places and
# test/infra/terraform.test.ts fails as soon as they disagree. Change the code first, then here.

locals {
  # TOPICS in shared/bus/bus.ts: the code publishes to and subscribes on these names (the GitHub
  # write outbox's in outbox.tf).
  topics = concat(["github-events", "prow-jobs"], local.outbox_topics, local.cherrypick_topics)

  # SECRETS: Secret Manager secret ids. Only the secrets are declared here, never their values.
  secrets = {
    webhookSecret           = "cutwater-webhook-secret"
    githubAppId             = "cutwater-github-app-id"
    githubAppPrivateKey     = "cutwater-github-app-private-key"
    slackWebhooks           = "cutwater-slack-webhooks"
    githubOAuthClientSecret = "cutwater-github-oauth-client-secret"
    statusSessionSecret     = "cutwater-status-session-secret"
  }

  # DEFAULT_SUBSCRIPTION_POLICY, in Pub/Sub's units. The in-process bus applies the same numbers,
  # so local mode retries and dead-letters exactly as the cloud does.
  subscription_policy = {
    max_delivery_attempts = 5
    minimum_backoff       = "1s"
    maximum_backoff       = "60s"
    ack_deadline_seconds  = 60
  }

  # FUNCTIONS: name (the directory under functions/ and the registered entry point) -> trigger
  # and secrets (secret id -> environment variable). The rest is deployment sizing:
  #   publishes        topics the function publishes to, besides its own dead-letter topic
  #   pubsub_reports   whether it may publish Prow's report messages to var.report_topics (crier,
  #                    and sub's reports of refused trigger messages)
  #   config_snapshots "read" to follow the published config (CONFIG_SNAPSHOTS); "write" where the
  #                    config-updater plugin runs and publishes it; "none" for the webhook, which
  #                    reads no config
  #   artifacts        "read" for the status pages, which show logs and artifacts from the
  #                    artifacts bucket; "none" for the rest (the runners write it)
  #   monitoring       (optional) "read" for the status pages, whose health page reads the
  #                    event backlog from Cloud Monitoring; absent for the rest
  #   environment      variables for this function only, besides local.function_environment
  #   timeout_seconds  for Pub/Sub-pushed functions at most the ack deadline, or a slow delivery
  #                    would be redelivered while still running
  #   ack_deadline_seconds (Pub/Sub-pushed, optional) its subscription's, instead of the policy's
  #   message_ordering for Pub/Sub-pushed functions: the trigger's messageOrdering, whether the
  #                    subscription pushes each ordering key's messages one at a time, in order
  # The GitHub writer's entry is in outbox.tf, the cherry-pick worker's in cherrypicker.tf.
  functions = merge(local.core_functions, local.outbox_functions, local.cherrypick_functions)

  core_functions = {
    webhook = {
      trigger          = "http"
      secrets          = { "cutwater-webhook-secret" = "WEBHOOK_SECRET" }
      publishes        = ["github-events"]
      pubsub_reports   = false
      config_snapshots = "none"
      artifacts        = "none"
      timeout_seconds  = 60
      max_instances    = 20
      concurrency      = 80
    }
    events = {
      trigger      = "pubsub"
      topic        = "github-events"
      subscription = "events"
      # One issue's or PR's deliveries in the order GitHub sent them (shared/webhook/ordering-key.ts).
      message_ordering = true
      secrets = {
        "cutwater-github-app-id"          = "GITHUB_APP_ID"
        "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
        "cutwater-webhook-secret"         = "WEBHOOK_SECRET"
      }
      # The cherrypicker plugin hands its git work to the cherrypicker function.
      publishes        = ["cherry-picks"]
      pubsub_reports   = false
      config_snapshots = "write"
      artifacts        = "none"
      timeout_seconds  = 60
      max_instances    = 20
      concurrency      = 8
    }
    # The jobs lane (shared/plugins/lanes.ts): the same deliveries for the trigger plugin alone,
    # so no other plugin's work delays a ProwJob. Ordered as events is.
    trigger = {
      trigger          = "pubsub"
      topic            = "github-events"
      subscription     = "trigger"
      message_ordering = true
      secrets = {
        "cutwater-github-app-id"          = "GITHUB_APP_ID"
        "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
      }
      publishes        = []
      pubsub_reports   = false
      config_snapshots = "read"
      artifacts        = "none"
      timeout_seconds  = 60
      max_instances    = 20
      concurrency      = 8
    }
    pubsub = {
      trigger          = "pubsub"
      topic            = "prow-jobs"
      subscription     = "pubsub"
      message_ordering = false
      secrets          = {}
      publishes        = []
      # A refused trigger message is reported to the topic its sender named, as Prow's sub does.
      pubsub_reports   = true
      config_snapshots = "read"
      artifacts        = "none"
      timeout_seconds  = 60
      max_instances    = 10
      concurrency      = 8
    }
    scheduler = {
      trigger  = "scheduler"
      schedule = "* * * * *"
      secrets = {
        "cutwater-github-app-id"          = "GITHUB_APP_ID"
        "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
        "cutwater-slack-webhooks"         = "SLACK_WEBHOOKS"
      }
      publishes        = []
      pubsub_reports   = true
      config_snapshots = "read"
      artifacts        = "none"
      # A tick may take longer than the minute between ticks; one instance serving one request
      # keeps ticks from overlapping (a tick that finds the instance busy fails and is skipped).
      timeout_seconds = 300
      max_instances   = 1
      concurrency     = 1
    }
    reporter = {
      trigger    = "firestore"
      event_type = "google.cloud.firestore.document.v1.written"
      document   = "prowjobs/{name}"
      secrets = {
        "cutwater-github-app-id"          = "GITHUB_APP_ID"
        "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
        "cutwater-slack-webhooks"         = "SLACK_WEBHOOKS"
      }
      publishes        = []
      pubsub_reports   = true
      config_snapshots = "read"
      artifacts        = "none"
      timeout_seconds  = 120
      max_instances    = 10
      concurrency      = 8
    }
    # Prow's deck, public behind Firebase Hosting. It writes to Firestore too: a rerun creates a
    # ProwJob and an abort updates one.
    status = {
      trigger = "http"
      secrets = {
        "cutwater-github-app-id"              = "GITHUB_APP_ID"
        "cutwater-github-app-private-key"     = "GITHUB_APP_PRIVATE_KEY"
        "cutwater-github-oauth-client-secret" = "GITHUB_OAUTH_CLIENT_SECRET"
        "cutwater-status-session-secret"      = "STATUS_SESSION_SECRET"
      }
      environment      = { GITHUB_OAUTH_CLIENT_ID = var.github_oauth_client_id }
      publishes        = []
      pubsub_reports   = false
      config_snapshots = "read"
      artifacts        = "read"
      monitoring       = "read"
      # Live logs end each stream after 20 s (functions/status: Hosting cuts requests at 60 s and
      # buffers streamed responses) and the browser reconnects, so no request lasts long; the
      # slack is for a large artifact download.
      timeout_seconds = 120
      max_instances   = 10
      concurrency     = 80
    }
  }

  http_functions      = { for name, fn in local.functions : name => fn if fn.trigger == "http" }
  pubsub_functions    = { for name, fn in local.functions : name => fn if fn.trigger == "pubsub" }
  scheduled_functions = { for name, fn in local.functions : name => fn if fn.trigger == "scheduler" }
  firestore_functions = { for name, fn in local.functions : name => fn if fn.trigger == "firestore" }
}
