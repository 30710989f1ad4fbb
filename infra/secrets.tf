# Secret Manager holds every secret the functions read. Terraform creates the secrets;
# their values are added by hand with `gcloud secrets versions add` (docs/operations/deploy.md),
# so they never pass through Terraform state. The one exception is the password of the
# database owner used by `segp migrate`, which Terraform generates.
locals {
  # secret key -> the environment variable the functions read it into
  secret_env = {
    jwt_secret            = "JWT_SECRET"
    gemini_api_key        = "GEMINI_API_KEY"
    stripe_webhook_secret = "STRIPE_WEBHOOK_SECRET"
  }
  # the secrets this configuration uses: the Gemini key only with model_backend = "api_key"
  secrets = { for k, env in local.secret_env : k => env if k != "gemini_api_key" || var.model_backend == "api_key" }
}

resource "google_secret_manager_secret" "runtime" {
  for_each = local.secrets

  secret_id = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "random_password" "db_owner" {
  length  = 40
  special = false
}

resource "google_secret_manager_secret" "db_owner_password" {
  secret_id = "${var.name_prefix}-db-owner-password"
  labels    = var.labels

  replication {
    auto {}
  }

  depends_on = [google_project_service.enabled]
}

resource "google_secret_manager_secret_version" "db_owner_password" {
  secret      = google_secret_manager_secret.db_owner_password.id
  secret_data = random_password.db_owner.result
}
