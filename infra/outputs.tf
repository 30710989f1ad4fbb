output "function_urls" {
  description = "URL of each function (the Cloud Run URL the scheduler jobs and the push subscription call)."
  value       = local.function_urls
}

output "function_names" {
  description = "Cloud Functions (and Cloud Run service) name of each function."
  value       = { for k, f in google_cloudfunctions2_function.fn : k => f.name }
}

output "api_url" {
  description = "Base URL of the api function: routes are under /api/..."
  value       = local.function_urls["api"]
}

output "treasury_webhook_url" {
  description = "Endpoint to register in Stripe for webhooks."
  value       = local.function_urls["treasury_webhook"]
}

output "events_topic" {
  description = "The events topic (EVENTS_TOPIC)."
  value       = google_pubsub_topic.events.name
}

output "dead_letter_topic" {
  description = "Where events go after event_max_delivery_attempts failed deliveries."
  value       = google_pubsub_topic.dead_letter.name
}

output "dead_letter_subscription" {
  description = "Pull subscription holding dead-lettered events for inspection or replay."
  value       = google_pubsub_subscription.dead_letter.name
}

output "runs_topic" {
  description = "The runs topic (RUNS_TOPIC): run hand-offs to workflow-run."
  value       = google_pubsub_topic.runs.name
}

output "runs_dead_letter_subscription" {
  description = "Pull subscription holding run hand-offs that workflow-run did not take after run_max_delivery_attempts."
  value       = google_pubsub_subscription.runs_dead_letter.name
}

output "instance_connection_name" {
  description = "INSTANCE_CONNECTION_NAME of the Cloud SQL instance."
  value       = google_sql_database_instance.main.connection_name
}

output "db_name" {
  description = "DB_NAME: the application database."
  value       = google_sql_database.app.name
}

output "db_owner_user" {
  description = "Database user `segp migrate` connects as."
  value       = google_sql_user.owner.name
}

output "db_owner_password_secret" {
  description = "Secret Manager secret holding the owner's password."
  value       = google_secret_manager_secret.db_owner_password.secret_id
}

output "db_iam_users" {
  description = "The runtime IAM database users; infra/scripts/grant_runtime_access.py grants them the tables."
  value       = [for k, u in google_sql_user.runtime : u.name]
}

output "runtime_service_accounts" {
  description = "Runtime service account of each function."
  value       = { for k, sa in google_service_account.runtime : k => sa.email }
}

output "scheduler_invoker" {
  description = "SCHEDULER_SERVICE_ACCOUNT: the account whose OIDC token Cloud Scheduler jobs carry."
  value       = google_service_account.invoker.email
}

output "secrets" {
  description = "Secret Manager secret ids to add values to, by the environment variable they fill."
  value       = { for k, env in local.secrets : env => google_secret_manager_secret.runtime[k].secret_id }
}

output "function_environment" {
  description = "The (non-secret) environment of each function, as shared/config.py reads it."
  value       = local.function_env
}

output "source_object" {
  description = "The deployed source archive's object name (its SHA-256)."
  value       = google_storage_bucket_object.source.name
}
