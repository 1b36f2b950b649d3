# ProwJob state. The composite indexes, field overrides and TTL policies come from
# infra/firestore/firestore.indexes.json, the file test/unit/firestore-indexes.test.ts checks
# every store query against, so what is tested is what is deployed.

locals {
  firestore_index_file = jsondecode(file("${path.module}/../firestore/firestore.indexes.json"))

  # Keyed by what the index is rather than by its position in the file, so adding an index does
  # not make Terraform rebuild the ones after it (rebuilding an index on a large collection takes
  # a long time and fails the queries that need it meanwhile).
  firestore_indexes = {
    for index in local.firestore_index_file.indexes :
    "${index.collectionGroup}(${join(",", [for field in index.fields : "${field.fieldPath} ${lookup(field, "order", lookup(field, "arrayConfig", ""))}"])})" => index
  }

  firestore_field_overrides = {
    for override in lookup(local.firestore_index_file, "fieldOverrides", []) :
    "${override.collectionGroup}.${override.fieldPath}" => override
  }
}

resource "google_firestore_database" "default" {
  project     = var.project_id
  name        = "(default)"
  location_id = var.firestore_location
  type        = "FIRESTORE_NATIVE"

  # Firestore's "(default)" database holds every ProwJob: neither a typo nor `terraform destroy`
  # may delete it.
  delete_protection_state = "DELETE_PROTECTION_ENABLED"
  deletion_policy         = "ABANDON"

  depends_on = [google_project_service.api]
}

resource "google_firestore_index" "index" {
  for_each = local.firestore_indexes

  project     = var.project_id
  database    = google_firestore_database.default.name
  collection  = each.value.collectionGroup
  query_scope = lookup(each.value, "queryScope", "COLLECTION")

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path   = fields.value.fieldPath
      order        = lookup(fields.value, "order", null)
      array_config = lookup(fields.value, "arrayConfig", null)
    }
  }
}

resource "google_firestore_field" "override" {
  for_each = local.firestore_field_overrides

  project    = var.project_id
  database   = google_firestore_database.default.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  # An empty ttl_config turns on the TTL policy: Firestore deletes a document some time after
  # the timestamp in this field (deliveries, prowjob-keys, reports, settled outbox entries, idle
  # outbox resources and runners not heard from for a day expire on expireAt).
  dynamic "ttl_config" {
    for_each = lookup(each.value, "ttl", false) ? [true] : []
    content {}
  }

  # An empty index_config turns single-field indexing off, which is what `"indexes": []` means
  # in the file: large values (the stored ProwJob, the lease) and TTL timestamps are never
  # queried (except deliveries' expireAt, which the health page counts on, so it keeps an
  # ascending index), and indexing them costs writes and storage. An override without "indexes" keeps
  # the inherited indexing.
  dynamic "index_config" {
    for_each = contains(keys(each.value), "indexes") ? [each.value.indexes] : []
    content {
      dynamic "indexes" {
        for_each = index_config.value
        content {
          query_scope  = lookup(indexes.value, "queryScope", "COLLECTION")
          order        = lookup(indexes.value, "order", null)
          array_config = lookup(indexes.value, "arrayConfig", null)
        }
      }
    }
  }
}

# Deny-all rules: browsers and mobile clients get nothing; Cutwater's service accounts bypass
# rules altogether.
resource "google_firebaserules_ruleset" "firestore" {
  project = var.project_id

  source {
    files {
      name    = "firestore.rules"
      content = file("${path.module}/../firestore/firestore.rules")
    }
  }

  depends_on = [google_firestore_database.default]
}

resource "google_firebaserules_release" "firestore" {
  project      = var.project_id
  name         = "cloud.firestore"
  ruleset_name = "projects/${var.project_id}/rulesets/${google_firebaserules_ruleset.firestore.name}"

  # A ruleset is immutable: a changed rules file makes a new ruleset, and the release must be
  # replaced to point at it.
  lifecycle {
    replace_triggered_by = [google_firebaserules_ruleset.firestore]
  }
}
