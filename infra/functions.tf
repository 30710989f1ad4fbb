# The seven gen2 functions, all built from one source archive. The catalog below is the
# single description of each function: its entry point in main.py, who may call it, the
# environment sets and secrets it reads, and its size. tests/infra/test_terraform.py
# reads it to check it against main.py and shared/config.py.
locals {
  functions = {
    api = {
      entry_point = "api"
      description = "Every /api/... route; authenticated by the user's JWT"
      public      = true
      env_sets    = ["database", "events", "runs", "model", "vertex", "scheduler", "console"]
      secrets     = ["jwt_secret", "gemini_api_key"]
      size        = { memory = "512Mi", cpu = "1", timeout_seconds = 60, max_instances = 10, min_instances = 0, concurrency = 4 }
    }
    evolve = {
      entry_point = "evolve"
      description = "One evolution for another backend (private, IAM)"
      public      = false
      env_sets    = ["database", "events", "model", "vertex"]
      secrets     = ["jwt_secret", "gemini_api_key"]
      size        = { memory = "512Mi", cpu = "1", timeout_seconds = 300, max_instances = 5, min_instances = 0, concurrency = 4 }
    }
    schedule_fire = {
      entry_point = "schedule_fire"
      description = "Runs scheduled tasks for Cloud Scheduler: one task, the per-minute tick, reconcile, consolidation (private, OIDC)"
      public      = false
      env_sets    = ["database", "events", "runs", "model", "vertex", "scheduler"]
      secrets     = ["jwt_secret", "gemini_api_key"]
      size        = { memory = "512Mi", cpu = "1", timeout_seconds = 300, max_instances = 5, min_instances = 0, concurrency = 4 }
    }
    event_dispatch = {
      entry_point = "event_dispatch"
      description = "Matches one published event against the user's triggers (Pub/Sub push, private, OIDC)"
      public      = false
      env_sets    = ["database", "events", "runs", "model", "vertex"]
      secrets     = ["jwt_secret", "gemini_api_key"]
      size        = { memory = "512Mi", cpu = "1", timeout_seconds = 300, max_instances = 5, min_instances = 0, concurrency = 4 }
    }
    workflow_run = {
      entry_point = "workflow_run"
      description = "Executes one workflow run, or one swarm member of a run, handed off on the runs topic (Pub/Sub push, private, OIDC)"
      public      = false
      env_sets    = ["database", "events", "runs", "model", "vertex"]
      secrets     = ["jwt_secret", "gemini_api_key"]
      # the longest a run's step may hold it: WORKFLOW_RUN_LEASE_SECONDS (600) covers it
      size = { memory = "512Mi", cpu = "1", timeout_seconds = 540, max_instances = 5, min_instances = 0, concurrency = 4 }
    }
    goal_generation = {
      entry_point = "goal_generation"
      description = "Generates goals for one user or sweeps recently active users (private, OIDC)"
      public      = false
      env_sets    = ["database", "events", "model", "vertex"]
      secrets     = ["jwt_secret", "gemini_api_key"]
      size        = { memory = "1Gi", cpu = "1", timeout_seconds = 540, max_instances = 2, min_instances = 0, concurrency = 1 }
    }
    treasury_webhook = {
      entry_point = "treasury_webhook"
      description = "Stripe webhook: records revenue (public, authenticated by Stripe's signature)"
      public      = true
      env_sets    = ["database", "events"]
      secrets     = ["jwt_secret", "stripe_webhook_secret"]
      size        = { memory = "512Mi", cpu = "1", timeout_seconds = 60, max_instances = 3, min_instances = 0, concurrency = 4 }
    }
  }

  # size after var.function_overrides; each instance pools as many connections as it
  # takes concurrent requests (shared.db answers 503 rather than wait for one).
  function_sizes = {
    for k, f in local.functions : k => merge(
      f.size,
      { for field, value in try(var.function_overrides[k], {}) : field => value if value != null },
    )
  }
  connection_budget = sum([for k, s in local.function_sizes : s.max_instances * s.concurrency])

  function_names = { for k in keys(local.functions) : k => "${var.name_prefix}-${replace(k, "_", "-")}" }

  # The deterministic Cloud Run URL of each function (https://SERVICE-PROJECT_NUMBER.REGION.run.app).
  # Known before the functions exist, so schedule-fire can be told its own URL, and a
  # valid OIDC audience for the Cloud Run service behind each function.
  function_urls = {
    for k, name in local.function_names : k => "https://${name}-${data.google_project.this.number}.${var.region}.run.app"
  }

  # The Cloud SQL IAM database user of a service account is its email without the suffix.
  db_users = { for k, sa in google_service_account.runtime : k => trimsuffix(sa.email, ".gserviceaccount.com") }

  # Environment variables by concern (names as shared/config.py reads them). A function
  # gets the sets its catalog entry names; "vertex" only when model_backend = "vertex".
  env_sets = {
    database = {
      INSTANCE_CONNECTION_NAME = google_sql_database_instance.main.connection_name
      DB_NAME                  = google_sql_database.app.name
      DB_IAM_AUTH              = "true"
      DB_IP_TYPE               = "PUBLIC"
    }
    events = {
      EVENTS_PROJECT  = var.project_id
      EVENTS_TOPIC    = google_pubsub_topic.events.name
      EVENT_MAX_DEPTH = tostring(var.event_max_depth)
    }
    # the functions that start runs hand each to workflow-run on this topic (and a
    # swarm step's members, each on its own), within the agent pools' limits
    runs = {
      RUNS_TOPIC            = google_pubsub_topic.runs.name
      AGENT_POOL_LIMIT      = tostring(var.agent_pool_limit)
      AGENT_POOL_USER_LIMIT = tostring(var.agent_pool_user_limit)
    }
    model = {
      MODEL_PROVIDER  = "gemini"
      GEMINI_MODEL    = var.gemini_model
      GEMINI_MODELS   = join(",", var.gemini_models)
      EMBEDDING_MODEL = var.embedding_model
    }
    vertex = {
      GOOGLE_GENAI_USE_VERTEXAI = "true"
      GOOGLE_CLOUD_PROJECT      = var.project_id
      GOOGLE_CLOUD_LOCATION     = local.vertex_location
      GOOGLE_CLOUD_LOCATIONS    = join(",", var.vertex_locations)
    }
    # the operations console's static files at /console (api only)
    console = {
      CONSOLE_ENABLED = tostring(var.console_enabled)
    }
    scheduler = {
      SCHEDULER_PROJECT         = var.project_id
      SCHEDULER_LOCATION        = var.region
      SCHEDULER_JOB_PREFIX      = local.scheduler_job_prefix
      SCHEDULE_FIRE_URL         = local.function_urls["schedule_fire"]
      SCHEDULER_SERVICE_ACCOUNT = google_service_account.invoker.email
      SCHEDULER_MODE            = var.scheduler_mode
    }
  }
  vertex_location = coalesce(var.vertex_location, var.region)

  function_env = {
    for k, f in local.functions : k => merge(concat(
      [for s in f.env_sets : local.env_sets[s] if s != "vertex" || var.model_backend == "vertex"],
      [{
        DB_USER      = local.db_users[k]
        DB_POOL_SIZE = tostring(local.function_sizes[k].concurrency)
        LOG_LEVEL    = var.log_level
        # the project of Cloud Logging's trace field (Cloud Run does not set it)
        GOOGLE_CLOUD_PROJECT = var.project_id
      }],
    )...)
  }
  function_secrets = {
    for k, f in local.functions : k => [for s in f.secrets : s if contains(keys(local.secrets), s)]
  }
}

resource "google_storage_bucket" "source" {
  name                        = "${var.project_id}-${var.name_prefix}-source"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false
  labels                      = var.labels

  # Replaced archives stay restorable for a while (docs/operations/rollback.md).
  versioning {
    enabled = true
  }
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = var.source_retention_days
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.enabled]
}

# Named by the archive's hash: a code change is a new object, which redeploys every function.
resource "google_storage_bucket_object" "source" {
  name   = "segp-source-${filesha256(var.source_archive)}.zip"
  bucket = google_storage_bucket.source.name
  source = var.source_archive
}

resource "google_cloudfunctions2_function" "fn" {
  for_each = local.functions

  name        = local.function_names[each.key]
  location    = var.region
  description = each.value.description
  labels      = var.labels

  build_config {
    runtime         = var.python_runtime
    entry_point     = each.value.entry_point
    service_account = google_service_account.builder.id

    source {
      storage_source {
        bucket = google_storage_bucket.source.name
        object = google_storage_bucket_object.source.name
      }
    }
  }

  service_config {
    service_account_email            = google_service_account.runtime[each.key].email
    available_memory                 = local.function_sizes[each.key].memory
    available_cpu                    = local.function_sizes[each.key].cpu
    timeout_seconds                  = local.function_sizes[each.key].timeout_seconds
    max_instance_count               = local.function_sizes[each.key].max_instances
    min_instance_count               = local.function_sizes[each.key].min_instances
    max_instance_request_concurrency = local.function_sizes[each.key].concurrency
    ingress_settings                 = "ALLOW_ALL"
    all_traffic_on_latest_revision   = true
    environment_variables            = local.function_env[each.key]

    dynamic "secret_environment_variables" {
      for_each = local.function_secrets[each.key]
      content {
        key        = local.secrets[secret_environment_variables.value]
        project_id = var.project_id
        secret     = google_secret_manager_secret.runtime[secret_environment_variables.value].secret_id
        version    = "latest"
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.connection_budget <= var.db_max_connections - 10
      error_message = "The functions may open ${local.connection_budget} database connections (max instances x concurrency), more than db_max_connections - 10 leaves: lower them or raise db_max_connections."
    }
  }

  depends_on = [
    google_project_iam_member.builder,
    google_project_iam_member.runtime,
    google_secret_manager_secret_iam_member.runtime,
  ]
}
