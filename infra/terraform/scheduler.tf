# Cloud Scheduler calls each scheduler-triggered function (periodics, cleanup, the report
# sweep) over HTTPS with an OIDC token of a service account that exists for nothing else.

resource "google_cloud_scheduler_job" "function" {
  for_each = local.scheduled_functions

  project     = var.project_id
  region      = var.region
  name        = "cutwater-${each.key}"
  description = "Runs the ${each.key} function on its schedule"
  schedule    = each.value.schedule
  # Prow's periodics are written in UTC; a local time zone would shift them twice a year.
  time_zone        = "Etc/UTC"
  attempt_deadline = "${each.value.timeout_seconds}s"

  # The next tick does whatever a failed one left undone; retrying would pile ticks up.
  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = google_cloudfunctions2_function.function[each.key].service_config[0].uri

    oidc_token {
      service_account_email = google_service_account.scheduler_invoker.email
      audience              = google_cloudfunctions2_function.function[each.key].service_config[0].uri
    }
  }

  depends_on = [google_project_service.api, google_cloud_run_v2_service_iam_member.scheduler_invoker]
}
