# Cloud SQL for PostgreSQL with pgvector (CREATE EXTENSION vector runs in migration
# 0001). The functions connect through cloud-sql-python-connector as IAM database
# users, one per runtime service account; migrations run as the built-in owner user.
resource "google_sql_database_instance" "main" {
  name                = "${var.name_prefix}-pg"
  region              = var.region
  database_version    = var.db_version
  deletion_protection = var.db_deletion_protection

  settings {
    tier                        = var.db_tier
    edition                     = "ENTERPRISE"
    availability_type           = var.db_availability_type
    disk_size                   = var.db_disk_size_gb
    disk_autoresize             = true
    deletion_protection_enabled = var.db_deletion_protection
    user_labels                 = var.labels

    backup_configuration {
      enabled                        = true
      start_time                     = var.db_backup_start_time
      point_in_time_recovery_enabled = true
      transaction_log_retention_days = 7

      backup_retention_settings {
        retained_backups = var.db_backup_retained_count
        retention_unit   = "COUNT"
      }
    }

    # Public IP with no authorised networks: only the connector (IAM-checked, TLS) gets in.
    ip_configuration {
      ipv4_enabled = true
      ssl_mode     = "ENCRYPTED_ONLY"
    }

    database_flags {
      name  = "cloudsql.iam_authentication"
      value = "on"
    }
    database_flags {
      name  = "max_connections"
      value = tostring(var.db_max_connections)
    }
  }

  depends_on = [google_project_service.enabled]
}

resource "google_sql_database" "app" {
  name     = var.db_name
  instance = google_sql_database_instance.main.name
}

resource "google_sql_user" "runtime" {
  for_each = google_service_account.runtime

  name     = local.db_users[each.key]
  instance = google_sql_database_instance.main.name
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}

# Owns the schema: `segp migrate` connects as this user (a member of
# cloudsqlsuperuser, so it may CREATE EXTENSION vector), then
# infra/scripts/grant_runtime_access.py grants the runtime users their table rights.
resource "google_sql_user" "owner" {
  name     = var.db_owner_user
  instance = google_sql_database_instance.main.name
  password = random_password.db_owner.result
}
