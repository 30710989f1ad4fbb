# Least privilege, additive grants only (*_iam_member): nothing here takes over a
# resource's whole policy, so grants made elsewhere in the project survive.
locals {
  model_users = [for k, f in local.functions : k if contains(f.env_sets, "model")]
  # functions that write Cloud Scheduler jobs: the api mirrors task changes, schedule-fire reconciles
  scheduler_writers = [for k, f in local.functions : k if contains(f.env_sets, "scheduler")]
  # functions that start runs and hand them to workflow-run
  run_starters = [for k, f in local.functions : k if contains(f.env_sets, "runs")]

  # who may invoke each private function: function -> {label -> member}. The labels,
  # not the members, key the grants: account emails are unknown until the accounts exist.
  private_invokers = {
    evolve          = { for m in var.evolve_invoker_members : m => m }
    schedule_fire   = { scheduler = "serviceAccount:${google_service_account.invoker.email}" }
    event_dispatch  = { event_push = "serviceAccount:${google_service_account.event_push.email}" }
    workflow_run    = { event_push = "serviceAccount:${google_service_account.event_push.email}" }
    goal_generation = { scheduler = "serviceAccount:${google_service_account.invoker.email}" }
  }
  invoker_grants = merge([
    for k, members in local.private_invokers : { for label, m in members : "${k} ${label}" => { function = k, member = m } }
  ]...)

  runtime_project_roles = merge([
    for k in keys(local.functions) : {
      for role in concat(
        ["roles/cloudsql.client", "roles/cloudsql.instanceUser"],
        contains(local.model_users, k) && var.model_backend == "vertex" ? ["roles/aiplatform.user"] : [],
        contains(local.scheduler_writers, k) ? ["roles/cloudscheduler.admin"] : [],
      ) : "${k} ${role}" => { function = k, role = role }
    }
  ]...)

  secret_grants = merge([
    for k, secrets in local.function_secrets : { for s in secrets : "${k} ${s}" => { function = k, secret = s } }
  ]...)
}

# --- runtime accounts ---------------------------------------------------------------

# Cloud SQL client + IAM login; Vertex AI for the functions that call the model; Cloud
# Scheduler admin for the two that write jobs (the API has no per-job IAM).
resource "google_project_iam_member" "runtime" {
  for_each = local.runtime_project_roles

  project = var.project_id
  role    = each.value.role
  member  = "serviceAccount:${google_service_account.runtime[each.value.function].email}"
}

resource "google_secret_manager_secret_iam_member" "runtime" {
  for_each = local.secret_grants

  secret_id = google_secret_manager_secret.runtime[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${google_service_account.runtime[each.value.function].email}"
}

# Every function records events, published after commit.
resource "google_pubsub_topic_iam_member" "runtime_publisher" {
  for_each = local.functions

  topic  = google_pubsub_topic.events.name
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.runtime[each.key].email}"
}

# The functions that start runs publish them on the runs topic.
resource "google_pubsub_topic_iam_member" "runs_publisher" {
  for_each = toset(local.run_starters)

  topic  = google_pubsub_topic.runs.name
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${google_service_account.runtime[each.key].email}"
}

# Jobs the mirror creates carry the invoker's OIDC token: their writers must be allowed
# to act as it.
resource "google_service_account_iam_member" "scheduler_writer_acts_as_invoker" {
  for_each = toset(local.scheduler_writers)

  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${google_service_account.runtime[each.key].email}"
}

# --- invocation ---------------------------------------------------------------------

resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.invoker_grants

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.value.function].name
  role     = "roles/run.invoker"
  member   = each.value.member
}

# The api checks user JWTs itself; the treasury webhook checks Stripe's signature.
resource "google_cloud_run_v2_service_iam_member" "public" {
  for_each = toset([for k, f in local.functions : k if f.public])

  project  = var.project_id
  location = var.region
  name     = google_cloudfunctions2_function.fn[each.key].name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# --- Pub/Sub service agent: push tokens and dead-lettering ----------------------------

resource "google_service_account_iam_member" "pubsub_token_creator" {
  service_account_id = google_service_account.event_push.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent
}

resource "google_pubsub_topic_iam_member" "dead_letter_publisher" {
  topic  = google_pubsub_topic.dead_letter.name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "dead_letter_subscriber" {
  subscription = google_pubsub_subscription.event_dispatch.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

resource "google_pubsub_topic_iam_member" "runs_dead_letter_publisher" {
  topic  = google_pubsub_topic.runs_dead_letter.name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "runs_dead_letter_subscriber" {
  subscription = google_pubsub_subscription.workflow_run.name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# --- builds and deploys -------------------------------------------------------------

resource "google_project_iam_member" "builder" {
  for_each = toset(["roles/cloudbuild.builds.builder"])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${google_service_account.builder.email}"
}

# The Cloud Build account that runs cloudbuild.yaml connects to Cloud SQL as the owner
# for `segp migrate` (its other rights, to apply this configuration, are granted once by
# hand: README, "Deploy").
resource "google_project_iam_member" "deployer_sql" {
  for_each = var.deployer_service_account == null ? toset([]) : toset(["roles/cloudsql.client"])

  project = var.project_id
  role    = each.value
  member  = "serviceAccount:${var.deployer_service_account}"
}

resource "google_secret_manager_secret_iam_member" "deployer_db_owner" {
  for_each = var.deployer_service_account == null ? toset([]) : toset(["owner"])

  secret_id = google_secret_manager_secret.db_owner_password.id
  role      = "roles/secretmanager.secretAccessor"
  member    = "serviceAccount:${var.deployer_service_account}"
}
