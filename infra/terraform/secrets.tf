# The secrets exist here; their values never pass through Terraform (they would sit in plain
# text in the state). Add each value with `gcloud secrets versions add` (see README.md) before
# the functions are deployed: a function whose secret has no version fails to start.

resource "google_secret_manager_secret" "secret" {
  for_each = toset(values(local.secrets))

  project   = var.project_id
  secret_id = each.key

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}
