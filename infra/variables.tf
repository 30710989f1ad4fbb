# --- where ----------------------------------------------------------------------------

variable "project_id" {
  type        = string
  description = "Google Cloud project that holds every resource."
}

variable "region" {
  type        = string
  description = "Region of the functions, Cloud SQL, Cloud Scheduler jobs and the source bucket, e.g. europe-west1."
}

variable "name_prefix" {
  type        = string
  description = "Prefix of every resource name (functions, accounts, jobs, secrets, the database instance)."
  default     = "segp"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.name_prefix))
    error_message = "name_prefix: 2 to 12 characters, lower-case letters, digits and '-', starting with a letter (service account ids are limited to 30)."
  }
}

variable "labels" {
  type        = map(string)
  description = "Labels put on every resource that takes them."
  default     = { app = "segp" }
}

# --- the code -------------------------------------------------------------------------

variable "source_archive" {
  type        = string
  description = "Path of the source archive built by `make package`, relative to this directory."
  default     = "../dist/segp-source.zip"
}

variable "source_retention_days" {
  type        = number
  description = "Days a replaced source archive stays restorable in the bucket (object versioning)."
  default     = 90
}

variable "python_runtime" {
  type        = string
  description = "Cloud Functions Python runtime; the same minor version `make package` locks the requirements with."
  default     = "python311"

  validation {
    condition     = contains(["python311", "python312"], var.python_runtime)
    error_message = "python_runtime: python311 or python312."
  }
}

variable "function_overrides" {
  type = map(object({
    memory          = optional(string)
    cpu             = optional(string)
    timeout_seconds = optional(number)
    max_instances   = optional(number)
    min_instances   = optional(number)
    concurrency     = optional(number)
  }))
  description = "Per-function size overrides keyed by function (api, evolve, schedule_fire, event_dispatch, workflow_run, goal_generation, treasury_webhook); unset fields keep the defaults in functions.tf. concurrency is also the function's database pool size."
  default     = {}

  validation {
    condition     = alltrue([for k in keys(var.function_overrides) : contains(["api", "evolve", "schedule_fire", "event_dispatch", "workflow_run", "goal_generation", "treasury_webhook"], k)])
    error_message = "function_overrides: keys must be function names: api, evolve, schedule_fire, event_dispatch, workflow_run, goal_generation, treasury_webhook."
  }
}

variable "console_enabled" {
  type        = bool
  description = "Whether the api function serves the operations console at /console (CONSOLE_ENABLED); a client of the public /api routes, signed in with a user token."
  default     = false
}

variable "log_level" {
  type        = string
  description = "LOG_LEVEL of every function."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR"], var.log_level)
    error_message = "log_level: DEBUG, INFO, WARNING or ERROR."
  }
}

# --- the model ------------------------------------------------------------------------

variable "model_backend" {
  type        = string
  description = "How the functions reach Gemini: \"vertex\" (Vertex AI with the runtime accounts' own identity, no key) or \"api_key\" (the GEMINI_API_KEY secret)."
  default     = "vertex"

  validation {
    condition     = contains(["vertex", "api_key"], var.model_backend)
    error_message = "model_backend: vertex or api_key."
  }
}

variable "vertex_location" {
  type        = string
  description = "GOOGLE_CLOUD_LOCATION for Vertex AI (e.g. global or us-central1); null means var.region."
  default     = null
}

variable "gemini_model" {
  type        = string
  description = "GEMINI_MODEL: the generation model."
  default     = "gemini-2.5-flash"
}

variable "gemini_models" {
  type        = list(string)
  description = "GEMINI_MODELS: more generation models beside gemini_model; calls go round them, one answering 429/5xx left out for a while."
  default     = []
}

variable "vertex_locations" {
  type        = list(string)
  description = "GOOGLE_CLOUD_LOCATIONS: more Vertex AI locations beside vertex_location; calls go round them, one answering 429/5xx left out for a while."
  default     = []
}

variable "agent_pool_limit" {
  type        = number
  description = "AGENT_POOL_LIMIT: swarm member calls of one agent in flight at once in the installation; the rest wait queued."
  default     = 50
}

variable "agent_pool_user_limit" {
  type        = number
  description = "AGENT_POOL_USER_LIMIT: swarm member calls of one agent in flight at once per user."
  default     = 10
}

variable "embedding_model" {
  type        = string
  description = "EMBEDDING_MODEL: the embedding model (768 dimensions are stored)."
  default     = "gemini-embedding-001"
}

# --- events ---------------------------------------------------------------------------

variable "events_topic" {
  type        = string
  description = "Name of the events topic (EVENTS_TOPIC); the dead-letter topic is this name plus -dead-letter."
  default     = "segp-events"
}

variable "run_max_delivery_attempts" {
  type        = number
  description = "Deliveries of one run hand-off to workflow-run before it moves to the runs dead-letter topic (5 to 100); the per-minute job starts such a run anyway."
  default     = 10

  validation {
    condition     = var.run_max_delivery_attempts >= 5 && var.run_max_delivery_attempts <= 100
    error_message = "run_max_delivery_attempts: between 5 and 100 (Pub/Sub's limits)."
  }
}

variable "event_max_depth" {
  type        = number
  description = "EVENT_MAX_DEPTH: events caused by a chain of events longer than this are recorded, not dispatched."
  default     = 8
}

variable "event_max_delivery_attempts" {
  type        = number
  description = "Deliveries of one event to event-dispatch before it moves to the dead-letter topic (5 to 100)."
  default     = 10

  validation {
    condition     = var.event_max_delivery_attempts >= 5 && var.event_max_delivery_attempts <= 100
    error_message = "event_max_delivery_attempts: between 5 and 100 (Pub/Sub's limits)."
  }
}

variable "evolve_invoker_members" {
  type        = list(string)
  description = "IAM members allowed to call the private evolve function, e.g. [\"serviceAccount:nexus@my-project.iam.gserviceaccount.com\"]."
  default     = []
}

# --- the clock ------------------------------------------------------------------------

variable "scheduler_mode" {
  type        = string
  description = "SCHEDULER_MODE: \"mirror\" (one Cloud Scheduler job per task) or \"tick\" (the per-minute job fires every due task)."
  default     = "mirror"

  validation {
    condition     = contains(["mirror", "tick"], var.scheduler_mode)
    error_message = "scheduler_mode: mirror or tick."
  }
}

variable "scheduler_time_zone" {
  type        = string
  description = "Time zone of the static jobs' schedules (IANA name)."
  default     = "Etc/UTC"
}

variable "reconcile_schedule" {
  type        = string
  description = "Cron of the reconcile job (mirror jobs made to match scheduled_tasks)."
  default     = "17 * * * *"
}

variable "memory_consolidation_schedule" {
  type        = string
  description = "Cron of the daily memory consolidation job."
  default     = "30 3 * * *"
}

variable "goal_generation_schedule" {
  type        = string
  description = "Cron of the daily goal-generation sweep."
  default     = "0 6 * * *"
}

# --- the database ---------------------------------------------------------------------

variable "db_version" {
  type        = string
  description = "Cloud SQL PostgreSQL version, POSTGRES_15 to POSTGRES_18 (pgvector is available on each). The default is the newest major version for which Google's Cloud SQL for PostgreSQL documentation lists pgvector 0.8 (its FAQ names PostgreSQL 17 the default version; the supported-extensions list gives vector 0.8.x); choose POSTGRES_18 where your region offers it."
  default     = "POSTGRES_17"

  validation {
    condition     = contains(["POSTGRES_15", "POSTGRES_16", "POSTGRES_17", "POSTGRES_18"], var.db_version)
    error_message = "db_version: POSTGRES_15, POSTGRES_16, POSTGRES_17 or POSTGRES_18."
  }
}

variable "db_tier" {
  type        = string
  description = "Cloud SQL machine tier (Enterprise edition), e.g. db-custom-1-3840."
  default     = "db-custom-1-3840"
}

variable "db_availability_type" {
  type        = string
  description = "ZONAL, or REGIONAL for a standby in a second zone."
  default     = "ZONAL"

  validation {
    condition     = contains(["ZONAL", "REGIONAL"], var.db_availability_type)
    error_message = "db_availability_type: ZONAL or REGIONAL."
  }
}

variable "db_disk_size_gb" {
  type        = number
  description = "Initial disk size in GB (grows automatically)."
  default     = 10
}

variable "db_max_connections" {
  type        = number
  description = "PostgreSQL max_connections; must exceed the functions' max instances x concurrency by 10 (checked at plan)."
  default     = 150
}

variable "db_backup_start_time" {
  type        = string
  description = "Daily backup window start, HH:MM UTC."
  default     = "02:00"
}

variable "db_backup_retained_count" {
  type        = number
  description = "Daily backups kept (point-in-time recovery covers the last 7 days)."
  default     = 14
}

variable "db_deletion_protection" {
  type        = bool
  description = "Refuse to delete the database instance (Terraform and the Cloud SQL API)."
  default     = true
}

variable "db_name" {
  type        = string
  description = "DB_NAME: the application database."
  default     = "segp"
}

variable "db_owner_user" {
  type        = string
  description = "Built-in database user that owns the schema and runs `segp migrate`."
  default     = "segp_owner"
}

# --- the deployer ---------------------------------------------------------------------

variable "deployer_service_account" {
  type        = string
  description = "Email of the service account Cloud Build runs cloudbuild.yaml as; it is granted the Cloud SQL client role and the database owner's password for `segp migrate`. null: none."
  default     = null
}
