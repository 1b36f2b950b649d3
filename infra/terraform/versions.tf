terraform {
  # Lifecycle preconditions and replace_triggered_by need 1.2 or later; releases before 1.5 are
  # out of support.
  required_version = ">= 1.5.0"

  required_providers {
    # 6.x: build_config.service_account on google_cloudfunctions2_function, deletion_policy on
    # google_firestore_database and `auto {}` secret replication all exist; 7.x renames and
    # removes enough elsewhere that a major upgrade should be a deliberate change.
    google = {
      source  = "hashicorp/google"
      version = "~> 6.10"
    }
    # Only for google_project_service_identity, which makes the Pub/Sub and Eventarc service
    # agents exist before IAM bindings name them.
    google-beta = {
      source  = "hashicorp/google-beta"
      version = "~> 6.10"
    }
    archive = {
      source  = "hashicorp/archive"
      version = "~> 2.4"
    }
  }
}

provider "google" {
  project = var.project_id
  region  = var.region
}

provider "google-beta" {
  project = var.project_id
  region  = var.region
}
