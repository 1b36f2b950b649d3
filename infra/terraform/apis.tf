locals {
  apis = toset([
    "artifactregistry.googleapis.com", # function images (gcf-artifacts)
    "cloudbuild.googleapis.com",       # builds the function sources
    "cloudfunctions.googleapis.com",
    "cloudresourcemanager.googleapis.com", # project IAM bindings
    "cloudscheduler.googleapis.com",
    "eventarc.googleapis.com", # the reporter's Firestore trigger
    "firebaserules.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # OIDC tokens for push, Scheduler and Eventarc
    "logging.googleapis.com",
    "monitoring.googleapis.com", # the health page reads Pub/Sub's backlog metrics
    "pubsub.googleapis.com",
    "run.googleapis.com", # 2nd gen functions run as Cloud Run services
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
  ])
}

resource "google_project_service" "api" {
  for_each = local.apis
  project  = var.project_id
  service  = each.key

  # Turning an API off on destroy would break anything else in the project that uses it.
  disable_on_destroy = false
}
