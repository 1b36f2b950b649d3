output "webhook_url" {
  description = "Paste into the GitHub App's Webhook URL (with the secret stored in cutwater-webhook-secret as its webhook secret)."
  value       = "${google_cloudfunctions2_function.function["webhook"].service_config[0].uri}/hook"
}

output "function_urls" {
  description = "Each function's HTTPS URL."
  value       = { for name, fn in google_cloudfunctions2_function.function : name => fn.service_config[0].uri }
}

output "status_function_url" {
  description = "The status function's own URL. People use status_url, where Firebase Hosting serves it (firebase.json); this one streams live logs without Hosting's buffering."
  value       = google_cloudfunctions2_function.function["status"].service_config[0].uri
}

output "status_url" {
  description = "Where the status pages are published (STATUS_URL); the GitHub OAuth App's callback URL is this plus /github-login/redirect."
  value       = local.status_url
}

output "artifacts_bucket" {
  description = "Where runners store logs and artifacts; give it to each runner as ARTIFACTS_BUCKET."
  value       = "gs://${google_storage_bucket.artifacts.name}"
}

output "config_snapshots" {
  description = "Where validated config snapshots are published and read from."
  value       = "gs://${google_storage_bucket.config.name}/snapshots"
}

output "runner_service_account" {
  description = "The Google service account for the iam.gke.io/gcp-service-account annotation in infra/runner overlays."
  value       = google_service_account.runner.email
}

output "runner_workload_identity_members" {
  description = "The Kubernetes ServiceAccounts allowed to act as the runner's Google service account."
  value       = [for binding in google_service_account_iam_member.runner_workload_identity : binding.member]
}

output "dead_letter_subscriptions" {
  description = "Pull subscriptions holding messages that could not be delivered, to inspect and replay."
  value       = [for subscription in google_pubsub_subscription.dead_letter : subscription.name]
}

output "secrets" {
  description = "Secret Manager secrets that need a value (gcloud secrets versions add) before the functions can start."
  value       = sort([for secret in google_secret_manager_secret.secret : secret.secret_id])
}
