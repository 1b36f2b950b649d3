# One Cloud Function (2nd gen) per entry in local.functions, built from `npm run build`'s
# bundle in dist/functions/<name>/.

locals {
  dist_dir = "${path.module}/../../dist/functions"

  # The bundles leave npm packages as imports, so Cloud Build must install them: the deployed
  # package.json lists the repository's runtime dependencies (the build cannot see
  # devDependencies) and declares ESM, which the bundles are. A package.json the build writes
  # into dist/functions/<name>/ takes precedence.
  function_package_json = jsonencode({
    name         = "cutwater-function"
    private      = true
    type         = "module"
    main         = "index.js"
    dependencies = jsondecode(file("${path.module}/../../package.json")).dependencies
  })

  status_url = coalesce(var.status_url, "https://${var.project_id}.web.app")

  function_environment = merge(var.function_environment, {
    GOOGLE_CLOUD_PROJECT = var.project_id
    STATUS_URL           = local.status_url
    ARTIFACTS_BUCKET     = "gs://${google_storage_bucket.artifacts.name}"
    CONFIG_SNAPSHOTS     = "gs://${google_storage_bucket.config.name}/snapshots"
    GITHUB_API_URL       = var.github_api_url
  })
}

data "archive_file" "function_source" {
  for_each = local.functions

  type        = "zip"
  output_path = "${path.module}/.build/${each.key}.zip"

  dynamic "source" {
    for_each = setsubtract(fileset("${local.dist_dir}/${each.key}", "**"), ["package.json"])
    content {
      filename = source.value
      content  = file("${local.dist_dir}/${each.key}/${source.value}")
    }
  }

  source {
    filename = "package.json"
    content  = fileexists("${local.dist_dir}/${each.key}/package.json") ? file("${local.dist_dir}/${each.key}/package.json") : local.function_package_json
  }

  lifecycle {
    precondition {
      condition     = fileexists("${local.dist_dir}/${each.key}/index.js")
      error_message = "dist/functions/${each.key}/index.js is missing: run `npm run build` at the repository root before terraform plan or apply."
    }
  }
}

# The object name carries the zip's hash, so a changed bundle is a new object and the function
# is rebuilt from it; Terraform deletes the object it replaces.
resource "google_storage_bucket_object" "function_source" {
  for_each = local.functions

  bucket = google_storage_bucket.function_source.name
  name   = "${each.key}/${data.archive_file.function_source[each.key].output_md5}.zip"
  source = data.archive_file.function_source[each.key].output_path
}

resource "google_cloudfunctions2_function" "function" {
  for_each = local.functions

  project     = var.project_id
  name        = each.key
  location    = var.region
  description = "Cutwater ${each.key} (functions/${each.key}), triggered by ${each.value.trigger}"

  build_config {
    runtime         = "nodejs22"
    entry_point     = each.key
    service_account = google_service_account.build.id

    source {
      storage_source {
        bucket = google_storage_bucket.function_source.name
        object = google_storage_bucket_object.function_source[each.key].name
      }
    }
  }

  service_config {
    service_account_email = google_service_account.function[each.key].email

    # Loading a large Prow config takes seconds and hundreds of MiB; a whole CPU also lets one
    # instance serve concurrent requests.
    available_memory                 = "1Gi"
    available_cpu                    = "1"
    timeout_seconds                  = each.value.timeout_seconds
    max_instance_count               = each.value.max_instances
    max_instance_request_concurrency = each.value.concurrency
    all_traffic_on_latest_revision   = true

    # Only the webhook and the status pages are reached from outside Google (GitHub, browsers
    # through Firebase Hosting); Pub/Sub push, Cloud Scheduler and Eventarc count as internal
    # traffic. IAM still decides who may invoke.
    ingress_settings = each.value.trigger == "http" ? "ALLOW_ALL" : "ALLOW_INTERNAL_ONLY"

    environment_variables = merge(local.function_environment, lookup(each.value, "environment", {}))

    # "latest" is resolved when an instance starts: after `gcloud secrets versions add`, new
    # instances get the new value (redeploy, or wait for old instances to go, to rotate fully).
    dynamic "secret_environment_variables" {
      for_each = each.value.secrets
      content {
        key        = secret_environment_variables.value
        project_id = var.project_id
        secret     = google_secret_manager_secret.secret[secret_environment_variables.key].secret_id
        version    = "latest"
      }
    }
  }

  # Only Firestore-triggered functions get an Eventarc trigger; Pub/Sub-triggered ones are
  # pushed to by the subscriptions in pubsub.tf, and the rest are plain HTTPS.
  dynamic "event_trigger" {
    for_each = each.value.trigger == "firestore" ? [each.value] : []
    content {
      # Firestore events are emitted where the database lives (a multi-region such as nam5).
      trigger_region        = var.firestore_location
      event_type            = event_trigger.value.event_type
      service_account_email = google_service_account.eventarc.email
      # A failed report is retried (reporting is idempotent); the scheduler's sweep heals the rest.
      retry_policy = "RETRY_POLICY_RETRY"

      event_filters {
        attribute = "database"
        value     = google_firestore_database.default.name
      }
      event_filters {
        attribute = "document"
        value     = event_trigger.value.document
        operator  = "match-path-pattern"
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.function,
    google_project_iam_member.build,
    google_project_iam_member.eventarc_receiver,
    google_project_iam_member.eventarc_agent,
  ]
}
