variable "project_id" {
  description = "The Google Cloud project that holds Cutwater's control plane. A project of its own is best: function, topic and subscription names are the short names the code uses (webhook, events, github-events, ...)."
  type        = string
}

variable "region" {
  description = "Region of the functions, the Cloud Scheduler job and the function source bucket."
  type        = string
  default     = "us-central1"
}

variable "firestore_location" {
  description = "Location of the (default) Firestore database, e.g. nam5 or eur3 (multi-region) or a region. It cannot be changed once the database exists; the reporter's Eventarc trigger runs there too."
  type        = string
  default     = "nam5"
}

variable "storage_location" {
  description = "Location of the artifact and config buckets (a multi-region such as US, or a region close to the build clusters)."
  type        = string
  default     = "US"
}

variable "artifacts_bucket_name" {
  description = "Bucket for job logs and artifacts in Prow's layout (logs/..., pr-logs/...). Defaults to <project_id>-cutwater-artifacts."
  type        = string
  default     = null
}

variable "config_bucket_name" {
  description = "Bucket holding the validated config snapshots (under snapshots/). Defaults to <project_id>-cutwater-config."
  type        = string
  default     = null
}

variable "artifact_retention_days" {
  description = "Job logs and artifacts older than this many days are deleted from the artifacts bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.artifact_retention_days >= 1
    error_message = "artifact_retention_days must be at least 1."
  }
}

variable "status_url" {
  description = "Public base URL of the status pages, used in the target_url of GitHub statuses and in PR comments. Defaults to https://<project_id>.web.app (Firebase Hosting)."
  type        = string
  default     = null
}

variable "github_api_url" {
  description = "GitHub API base URL: https://api.github.com, or https://HOST/api/v3 for GitHub Enterprise Server."
  type        = string
  default     = "https://api.github.com"
}

variable "github_oauth_client_id" {
  description = "Client ID of the GitHub OAuth App people sign in to the status pages with (its callback URL is <status_url>/github-login/redirect; its secret goes in cutwater-github-oauth-client-secret). Empty: no sign-in, so only reruns and aborts that deck.rerun_auth_configs allows anyone are possible."
  type        = string
  default     = ""
}

variable "function_environment" {
  description = "Extra environment variables for every function (for example CONFIG_PATH, JOB_CONFIG_PATH, PLUGIN_CONFIG_PATH). The variables Cutwater itself sets win over these."
  type        = map(string)
  default     = {}
}

variable "report_topics" {
  description = "Pub/Sub topics that jobs' reporter_config may publish Prow's report messages to, as projects/PROJECT/topics/TOPIC. The reporter and scheduler functions get roles/pubsub.publisher on each, and on nothing else."
  type        = list(string)
  default     = []
}

variable "prow_jobs_publishers" {
  description = "IAM members (e.g. serviceAccount:hello@PROJECT.iam.gserviceaccount.com) that may publish Prow's job messages to the prow-jobs topic: external plugins whose createProwJob runs in the cloud, or other publishers. Each gets roles/pubsub.publisher on prow-jobs only."
  type        = list(string)
  default     = []
}

variable "build_cluster_projects" {
  description = "Projects whose GKE clusters run the runner (each has its own Workload Identity pool, PROJECT.svc.id.goog). Empty means the build clusters live in project_id."
  type        = list(string)
  default     = []
}

variable "runner_namespace" {
  description = "Kubernetes namespace of the runner's ServiceAccount; must match infra/runner (the base's NamespaceTransformer sets cutwater)."
  type        = string
  default     = "cutwater"
}

variable "runner_kubernetes_service_account" {
  description = "Name of the runner's Kubernetes ServiceAccount; must match infra/runner/base/serviceaccount.yaml."
  type        = string
  default     = "cutwater-runner"
}
