locals {
  artifacts_bucket_name = coalesce(var.artifacts_bucket_name, "${var.project_id}-cutwater-artifacts")
  config_bucket_name    = coalesce(var.config_bucket_name, "${var.project_id}-cutwater-config")
}

# Job logs and artifacts in Prow's layout (logs/<job>/<build>/, pr-logs/pull/...), written by
# the runners; TestGrid and Spyglass-style tools read the same layout.
resource "google_storage_bucket" "artifacts" {
  project  = var.project_id
  name     = local.artifacts_bucket_name
  location = var.storage_location

  uniform_bucket_level_access = true
  # Logs can hold what a job printed by mistake; they are served through the status pages, not
  # read from the bucket by the public. Grant readers explicitly if TestGrid needs them.
  public_access_prevention = "enforced"

  lifecycle_rule {
    condition {
      age = var.artifact_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# Validated config snapshots, published by the config-updater plugin when a config change merges
# (immutable snapshots/<version>.json plus a current.json pointer); functions and runners follow
# the pointer. Versioning keeps the pointer's earlier versions for 30 days, so an operator can
# put a previous configuration back.
resource "google_storage_bucket" "config" {
  project  = var.project_id
  name     = local.config_bucket_name
  location = var.storage_location

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 30
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.api]
}

# The zipped function bundles Cloud Build builds from. Everything in it can be rebuilt from the
# repository, so it may be destroyed with its contents.
resource "google_storage_bucket" "function_source" {
  project  = var.project_id
  name     = "${var.project_id}-cutwater-function-source"
  location = var.region

  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = true

  depends_on = [google_project_service.api]
}
