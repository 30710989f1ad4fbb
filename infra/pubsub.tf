# The event bus: the events topic, delivered to event-dispatch by a push subscription
# that retries with back-off and, after var.event_max_delivery_attempts, moves the
# message to the dead-letter topic (kept there by its own subscription for inspection
# and replay). A push subscription is used rather than a function event trigger because
# the subscription Eventarc creates for a trigger is not Terraform's to configure, and
# its dead-letter policy would have to be set by hand. functions-framework turns the push
# body into the same google.cloud.pubsub.topic.v1.messagePublished CloudEvent.
locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_topic" "events" {
  name                       = var.events_topic
  labels                     = var.labels
  message_retention_duration = "86400s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "dead_letter" {
  name   = "${var.events_topic}-dead-letter"
  labels = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "event_dispatch" {
  name   = "${var.name_prefix}-event-dispatch"
  topic  = google_pubsub_topic.events.id
  labels = var.labels

  # longer than event-dispatch's timeout, so a slow run is not redelivered mid-flight
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = local.function_urls["event_dispatch"]

    oidc_token {
      service_account_email = google_service_account.event_push.email
      audience              = local.function_urls["event_dispatch"]
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter.id
    max_delivery_attempts = var.event_max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.dead_letter_publisher,
    google_service_account_iam_member.pubsub_token_creator,
    google_cloud_run_v2_service_iam_member.invoker,
  ]
}

resource "google_pubsub_subscription" "dead_letter" {
  name   = "${var.events_topic}-dead-letter"
  topic  = google_pubsub_topic.dead_letter.id
  labels = var.labels

  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}

# The runs topic: a claimed run handed to its own execution, one message per run, pushed
# to workflow-run in the same way and with the same dead-lettering. Nothing depends on
# its delivery: a run whose message is lost (or dead-lettered) stays queued and the
# per-minute job starts it.
resource "google_pubsub_topic" "runs" {
  name                       = "${var.name_prefix}-runs"
  labels                     = var.labels
  message_retention_duration = "86400s"

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_topic" "runs_dead_letter" {
  name   = "${var.name_prefix}-runs-dead-letter"
  labels = var.labels

  depends_on = [google_project_service.enabled]
}

resource "google_pubsub_subscription" "workflow_run" {
  name   = "${var.name_prefix}-workflow-run"
  topic  = google_pubsub_topic.runs.id
  labels = var.labels

  # longer than workflow-run's timeout, so a long run is not redelivered mid-flight
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = local.function_urls["workflow_run"]

    oidc_token {
      service_account_email = google_service_account.event_push.email
      audience              = local.function_urls["workflow_run"]
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.runs_dead_letter.id
    max_delivery_attempts = var.run_max_delivery_attempts
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [
    google_pubsub_topic_iam_member.runs_dead_letter_publisher,
    google_service_account_iam_member.pubsub_token_creator,
    google_cloud_run_v2_service_iam_member.invoker,
  ]
}

resource "google_pubsub_subscription" "runs_dead_letter" {
  name   = "${var.name_prefix}-runs-dead-letter"
  topic  = google_pubsub_topic.runs_dead_letter.id
  labels = var.labels

  message_retention_duration = "604800s"
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}
