# Prow's branchprotector, on a schedule: a Cloud Run job running `cutwater branchprotector
# --confirm` from the runner image (runner/Dockerfile holds the whole CLI), started by Cloud
# Scheduler. Not a step of the scheduler function's minute tick: one run reads every repository
# and branch of the configured orgs (thousands of requests at kubernetes' scale) and, with
# writes paced a second apart, can outlast a function's request timeout. The job reads the config
# snapshot config-updater last published, so a merged branch-protection change is applied on the
# next run without a redeploy. Off until var.branchprotector_image is set.

variable "branchprotector_image" {
  description = "Image to run the branchprotector job from: the runner image (runner/Dockerfile), e.g. REGION-docker.pkg.dev/PROJECT/cutwater/runner:TAG. Empty: no scheduled branchprotector."
  type        = string
  default     = ""
}

variable "branchprotector_schedule" {
  description = "Cron schedule (UTC) of the branchprotector job; Prow runs it every few hours."
  type        = string
  default     = "17 */6 * * *"
}

variable "branchprotector_flags" {
  description = "Extra flags for `cutwater branchprotector`, e.g. [\"--enable-apps-restrictions\", \"--verify-restrictions\"]."
  type        = list(string)
  default     = []
}

locals {
  branchprotector = var.branchprotector_image == "" ? {} : { branchprotector = var.branchprotector_image }
  # The App's credentials: it needs the repository Administration (write) permission.
  branchprotector_secrets = {
    "cutwater-github-app-id"          = "GITHUB_APP_ID"
    "cutwater-github-app-private-key" = "GITHUB_APP_PRIVATE_KEY"
  }
}

resource "google_service_account" "branchprotector" {
  for_each     = local.branchprotector
  project      = var.project_id
  account_id   = "cutwater-branchprotector"
  display_name = "Cutwater branchprotector job"

  depends_on = [google_project_service.api]
}

resource "google_storage_bucket_iam_member" "branchprotector_config" {
  for_each = local.branchprotector
  bucket   = google_storage_bucket.config.name
  role     = "roles/storage.objectViewer"
  member   = "serviceAccount:${google_service_account.branchprotector[each.key].email}"
}

resource "google_secret_manager_secret_iam_member" "branchprotector" {
  for_each  = var.branchprotector_image == "" ? {} : local.branchprotector_secrets
  project   = var.project_id
  secret_id = google_secret_manager_secret.secret[each.key].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.branchprotector["branchprotector"].email}"
}

resource "google_cloud_run_v2_job" "branchprotector" {
  for_each = local.branchprotector
  project  = var.project_id
  location = var.region
  name     = "cutwater-branchprotector"

  template {
    # One task; a failed run is not retried at once, the next scheduled run starts afresh.
    task_count = 1
    template {
      service_account = google_service_account.branchprotector[each.key].email
      timeout         = "3600s"
      max_retries     = 0

      containers {
        image = each.value
        args  = concat(["branchprotector", "--confirm"], var.branchprotector_flags)

        env {
          name  = "CONFIG_SNAPSHOTS"
          value = "gs://${google_storage_bucket.config.name}/snapshots"
        }
        env {
          name  = "GITHUB_API_URL"
          value = var.github_api_url
        }
        env {
          name  = "GOOGLE_CLOUD_PROJECT"
          value = var.project_id
        }
        dynamic "env" {
          for_each = local.branchprotector_secrets
          content {
            name = env.value
            value_source {
              secret_key_ref {
                secret  = google_secret_manager_secret.secret[env.key].secret_id
                version = "latest"
              }
            }
          }
        }

        resources {
          limits = {
            cpu    = "1"
            memory = "1Gi"
          }
        }
      }
    }
  }

  depends_on = [google_project_service.api, google_secret_manager_secret_iam_member.branchprotector]
}

# Starting a job execution is `run.jobs.run`, which roles/run.invoker grants on this job alone.
resource "google_cloud_run_v2_job_iam_member" "branchprotector_scheduler" {
  for_each = local.branchprotector
  project  = var.project_id
  location = var.region
  name     = google_cloud_run_v2_job.branchprotector[each.key].name
  role     = "roles/run.invoker"
  member   = "serviceAccount:${google_service_account.scheduler_invoker.email}"
}

resource "google_cloud_scheduler_job" "branchprotector" {
  for_each    = local.branchprotector
  project     = var.project_id
  region      = var.region
  name        = "cutwater-branchprotector"
  description = "Runs the branchprotector Cloud Run job"
  schedule    = var.branchprotector_schedule
  time_zone   = "Etc/UTC"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    # The Cloud Run Admin API's jobs.run, called with an OAuth token (a Google API, not the job's URL).
    uri = "https://run.googleapis.com/v2/projects/${var.project_id}/locations/${var.region}/jobs/${google_cloud_run_v2_job.branchprotector[each.key].name}:run"

    oauth_token {
      service_account_email = google_service_account.scheduler_invoker.email
      scope                 = "https://www.googleapis.com/auth/cloud-platform"
    }
  }

  depends_on = [google_cloud_run_v2_job_iam_member.branchprotector_scheduler]
}
