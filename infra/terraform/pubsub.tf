# Topics, and the subscriptions that deliver them to the functions.
#
# Why the subscriptions are declared here rather than left to Eventarc: a Pub/Sub event_trigger
# on google_cloudfunctions2_function makes Eventarc create a subscription of its own, and neither
# the function's event_trigger nor google_eventarc_trigger can set that subscription's options
# (hashicorp/terraform-provider-google#17697, #25069). It gets no dead-letter policy, so a message
# that keeps failing is retried until retention runs out and then lost; and no message ordering,
# so one PR's deliveries would reach the events function side by side and out of order. So each
# Pub/Sub-triggered function is deployed without an event_trigger, and a push subscription of
# ours, named as the code names it (`events`, `pubsub`), delivers to the function's URL with an
# OIDC token, retries with backoff, dead-letters to <subscription>-dead-letter after the code's
# maximum attempts, and, where the code asks for it (`events`), is ordered: Pub/Sub then pushes an
# ordering key's next message only once the function has acknowledged the one before.
#
# The Functions Framework turns such a push into the same CloudEvent an Eventarc trigger would
# deliver (data.message with data, attributes, messageId, publishTime, orderingKey), which is what
# shared/bus/push.ts reads. It finds the topic in the request path, hence the
# /projects/P/topics/T suffix on the push endpoint.

resource "google_pubsub_topic" "topic" {
  for_each = toset(local.topics)
  project  = var.project_id
  name     = each.key

  depends_on = [google_project_service.api]
}

resource "google_pubsub_subscription" "push" {
  for_each = local.pubsub_functions

  project = var.project_id
  name    = each.value.subscription
  topic   = google_pubsub_topic.topic[each.value.topic].id

  # For a push subscription this is how long Pub/Sub waits for the function's response before
  # it counts the delivery as failed.
  ack_deadline_seconds = lookup(each.value, "ack_deadline_seconds", local.subscription_policy.ack_deadline_seconds)

  # Pub/Sub cannot change this on an existing subscription, so changing it replaces the
  # subscription: what waits in the old one, and what is published before the new one exists, is
  # lost. Apply such a change when the subscription is drained, and redeliver anything GitHub sent
  # meanwhile from the App's "Recent Deliveries".
  enable_message_ordering = each.value.message_ordering

  retry_policy {
    minimum_backoff = local.subscription_policy.minimum_backoff
    maximum_backoff = local.subscription_policy.maximum_backoff
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[each.key].id
    max_delivery_attempts = local.subscription_policy.max_delivery_attempts
  }

  push_config {
    push_endpoint = "${google_cloudfunctions2_function.function[each.key].service_config[0].uri}/projects/${var.project_id}/topics/${each.value.topic}"

    oidc_token {
      service_account_email = google_service_account.pubsub_push.email
      # Cloud Run checks the token's audience against the service URL, not the full endpoint.
      audience = google_cloudfunctions2_function.function[each.key].service_config[0].uri
    }
  }

  # A subscription with no deliveries for 31 days would otherwise be deleted, and with it every
  # message published meanwhile.
  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.pubsub_agent_dead_letter_publisher,
    google_service_account_iam_member.pubsub_agent_token_creator,
  ]
}

# Dead letters: the topic Pub/Sub moves a message to after max_delivery_attempts failures (and
# the function itself, for a message that can never succeed), and a pull subscription of the
# same name that keeps them for inspection and replay. Nothing consumes it automatically.
resource "google_pubsub_topic" "dead_letter" {
  for_each = local.pubsub_functions
  project  = var.project_id
  name     = "${each.value.subscription}-dead-letter"

  depends_on = [google_project_service.api]
}

resource "google_pubsub_subscription" "dead_letter" {
  for_each = local.pubsub_functions

  project = var.project_id
  name    = google_pubsub_topic.dead_letter[each.key].name
  topic   = google_pubsub_topic.dead_letter[each.key].id

  # A week, so an operator back from a long weekend still finds them.
  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}
