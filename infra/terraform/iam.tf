# Least privilege: every function runs as its own service account holding only what that
# function does; the runner, the callers (Pub/Sub push, Cloud Scheduler, Eventarc) and the
# function builds each have another. No key is ever created for any of them.

locals {
  function_secret_access = {
    for pair in flatten([
      for name, fn in local.functions : [for secret in keys(fn.secrets) : { function = name, secret = secret }]
    ]) : "${pair.function}/${pair.secret}" => pair
  }

  function_publishes = {
    for pair in flatten([
      for name, fn in local.functions : [for topic in fn.publishes : { function = name, topic = topic }]
    ]) : "${pair.function}/${pair.topic}" => pair
  }

  function_report_publishes = {
    for pair in flatten([
      for name, fn in local.functions : [for topic in var.report_topics : { function = name, topic = topic }] if fn.pubsub_reports
    ]) : "${pair.function}/${pair.topic}" => pair
  }

  build_cluster_projects = length(var.build_cluster_projects) > 0 ? var.build_cluster_projects : [var.project_id]
}

# --- the functions ---------------------------------------------------------------------------

resource "google_service_account" "function" {
  for_each     = local.functions
  project      = var.project_id
  account_id   = "cutwater-${each.key}"
  display_name = "Cutwater ${each.key} function"

  depends_on = [google_project_service.api]
}

# ProwJobs, deliveries and every other collection. Firestore grants access per project only.
resource "google_project_iam_member" "function_datastore" {
  for_each = local.functions
  project  = var.project_id
  role     = "roles/datastore.user"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Publishing a snapshot moves the current.json pointer, an overwrite, which takes delete as well as
# create permission: objectUser for the publisher, objectViewer for everyone who follows it.
resource "google_storage_bucket_iam_member" "function_config" {
  for_each = { for name, fn in local.functions : name => fn if fn.config_snapshots != "none" }
  bucket   = google_storage_bucket.config.name
  role     = each.value.config_snapshots == "write" ? "roles/storage.objectUser" : "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# The status pages show job logs and artifacts; only the runners write them.
resource "google_storage_bucket_iam_member" "function_artifacts" {
  for_each = { for name, fn in local.functions : name => fn if fn.artifacts == "read" }
  bucket   = google_storage_bucket.artifacts.name
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# The health page shows the github-events subscriptions' backlog (undelivered messages, the
# oldest unacknowledged age), which Pub/Sub reports only to Cloud Monitoring. Monitoring grants
# reading per project only; monitoring.viewer reads metrics and cannot change anything.
resource "google_project_iam_member" "function_monitoring" {
  for_each = { for name, fn in local.functions : name => fn if lookup(fn, "monitoring", "none") == "read" }
  project  = var.project_id
  role     = "roles/monitoring.viewer"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

resource "google_secret_manager_secret_iam_member" "function" {
  for_each  = local.function_secret_access
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

resource "google_pubsub_topic_iam_member" "function_publisher" {
  for_each = local.function_publishes
  project  = var.project_id
  topic    = google_pubsub_topic.topic[each.value.topic].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# A message that can never succeed is sent to the dead-letter topic by the function itself
# (shared/bus/push.ts) rather than retried until Pub/Sub gives up.
resource "google_pubsub_topic_iam_member" "function_dead_letter_publisher" {
  for_each = local.pubsub_functions
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.function[each.key].email}"
}

# Prow's Pub/Sub reporter publishes to whatever topic a job's reporter_config names, often in
# another project; only the topics listed in var.report_topics are allowed.
resource "google_pubsub_topic_iam_member" "function_report_publisher" {
  for_each = local.function_report_publishes
  topic    = each.value.topic
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_service_account.function[each.value.function].email}"
}

# Cutwater's job API in the cloud is the prow-jobs topic: external plugins (the plugin SDK's
# createProwJob) and other publishers named in var.prow_jobs_publishers may publish to it, and
# to nothing else.
resource "google_pubsub_topic_iam_member" "prow_jobs_publisher" {
  for_each = toset(var.prow_jobs_publishers)
  project  = var.project_id
  topic    = google_pubsub_topic.topic["prow-jobs"].name
  role     = "roles/pubsub.publisher"
  member   = each.value
}

# --- who may invoke which function -----------------------------------------------------------
# A 2nd gen function is a Cloud Run service of the same name; invoking it takes run.invoker.

# GitHub and browsers have no Google identity: the webhook is public and checks
# X-Hub-Signature-256 itself; the status pages are public (Firebase Hosting forwards to them as
# an anonymous caller) and check sign-in, CSRF tokens and rerun rights themselves.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = local.http_functions
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

resource "google_service_account" "pubsub_push" {
  project      = var.project_id
  account_id   = "cutwater-pubsub-push"
  display_name = "Cutwater Pub/Sub push subscriptions (invokes the Pub/Sub-triggered functions)"

  depends_on = [google_project_service.api]
}

resource "google_cloud_run_v2_service_iam_member" "pubsub_push" {
  for_each = local.pubsub_functions
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.pubsub_push.email}"
}

resource "google_service_account" "scheduler_invoker" {
  project      = var.project_id
  account_id   = "cutwater-scheduler-invoker"
  display_name = "Cutwater Cloud Scheduler job (invokes the scheduler function)"

  depends_on = [google_project_service.api]
}

resource "google_cloud_run_v2_service_iam_member" "scheduler_invoker" {
  for_each = local.scheduled_functions
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler_invoker.email}"
}

resource "google_service_account" "eventarc" {
  project      = var.project_id
  account_id   = "cutwater-eventarc"
  display_name = "Cutwater Eventarc triggers (invokes the Firestore-triggered functions)"

  depends_on = [google_project_service.api]
}

resource "google_project_iam_member" "eventarc_receiver" {
  project = var.project_id
  role    = "roles/eventarc.eventReceiver"
  member  = "serviceAccount:${google_service_account.eventarc.email}"
}

resource "google_cloud_run_v2_service_iam_member" "eventarc" {
  for_each = local.firestore_functions
  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.function[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.eventarc.email}"
}

# --- Google's service agents -----------------------------------------------------------------

# Created explicitly so the bindings below can name them on a fresh project, where an agent
# only appears once its API is first used.
resource "google_project_service_identity" "pubsub" {
  provider = google-beta
  project  = var.project_id
  service  = "pubsub.googleapis.com"

  depends_on = [google_project_service.api]
}

resource "google_project_service_identity" "eventarc" {
  provider = google-beta
  project  = var.project_id
  service  = "eventarc.googleapis.com"

  depends_on = [google_project_service.api]
}

# An agent created through the API above does not always receive its default role.
resource "google_project_iam_member" "eventarc_agent" {
  project = var.project_id
  role    = "roles/eventarc.serviceAgent"
  member  = "serviceAccount:${google_project_service_identity.eventarc.email}"
}

# Pub/Sub mints the OIDC tokens for our push subscriptions and for Eventarc's (whose transport
# is Pub/Sub); it may do so only for these two accounts.
resource "google_service_account_iam_member" "pubsub_agent_token_creator" {
  for_each = {
    pubsub_push = google_service_account.pubsub_push.name
    eventarc    = google_service_account.eventarc.name
  }
  service_account_id = each.value
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# Dead-lettering is done by the Pub/Sub service agent: it must be able to publish to the
# dead-letter topic and to acknowledge on the source subscription, or messages are silently
# retried forever instead.
resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letter_publisher" {
  for_each = local.pubsub_functions
  project  = var.project_id
  topic    = google_pubsub_topic.dead_letter[each.key].name
  role     = "roles/pubsub.publisher"
  member   = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_subscriber" {
  for_each     = local.pubsub_functions
  project      = var.project_id
  subscription = google_pubsub_subscription.push[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = "serviceAccount:${google_project_service_identity.pubsub.email}"
}

# --- function builds -------------------------------------------------------------------------

# Cloud Build runs the function builds as this account instead of the Compute Engine default
# service account, which often holds Editor on the whole project.
resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "cutwater-build"
  display_name = "Cutwater function builds (Cloud Build)"

  depends_on = [google_project_service.api]
}

resource "google_project_iam_member" "build" {
  project = var.project_id
  role    = "roles/cloudbuild.builds.builder"
  member  = "serviceAccount:${google_service_account.build.email}"
}

# --- the runner ------------------------------------------------------------------------------

# Its account id is the one infra/runner/base/serviceaccount.yaml annotates the Kubernetes
# ServiceAccount with (cutwater-runner@PROJECT_ID.iam.gserviceaccount.com).
resource "google_service_account" "runner" {
  project      = var.project_id
  account_id   = "cutwater-runner"
  display_name = "Cutwater runner (build clusters)"

  depends_on = [google_project_service.api]
}

# Leases and job state in Firestore; logs and artifacts into the artifacts bucket; config
# snapshots out of the config bucket. Nothing else: the runner's rights inside its cluster come
# from the namespaced Role in infra/runner, not from Google IAM.
resource "google_project_iam_member" "runner_datastore" {
  project = var.project_id
  role    = "roles/datastore.user"
  member  = "serviceAccount:${google_service_account.runner.email}"
}

resource "google_storage_bucket_iam_member" "runner_artifacts" {
  bucket = google_storage_bucket.artifacts.name
  role   = "roles/storage.objectAdmin"
  member = "serviceAccount:${google_service_account.runner.email}"
}

resource "google_storage_bucket_iam_member" "runner_config" {
  bucket = google_storage_bucket.config.name
  role   = "roles/storage.objectViewer"
  member = "serviceAccount:${google_service_account.runner.email}"
}

# Workload Identity: the Kubernetes ServiceAccount cutwater/cutwater-runner in each build
# cluster's project may act as the Google service account above, so no key is ever mounted.
resource "google_service_account_iam_member" "runner_workload_identity" {
  for_each           = toset(local.build_cluster_projects)
  service_account_id = google_service_account.runner.name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${each.key}.svc.id.goog[${var.runner_namespace}/${var.runner_kubernetes_service_account}]"
}
