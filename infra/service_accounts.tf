# One runtime service account per function, so each holds only the grants it needs,
# plus the callers: the Cloud Scheduler invoker, the Pub/Sub push identity, and the
# account that builds the function images.
resource "google_service_account" "runtime" {
  for_each = local.functions

  account_id   = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  display_name = "SEGP ${each.key} function runtime"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "invoker" {
  account_id   = "${var.name_prefix}-invoker"
  display_name = "SEGP Cloud Scheduler invoker (OIDC tokens for the private functions)"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "event_push" {
  account_id   = "${var.name_prefix}-event-push"
  display_name = "SEGP Pub/Sub push identity (OIDC tokens for event-dispatch and workflow-run)"

  depends_on = [google_project_service.enabled]
}

resource "google_service_account" "builder" {
  account_id   = "${var.name_prefix}-builder"
  display_name = "SEGP function image builds"

  depends_on = [google_project_service.enabled]
}
