# The static Cloud Scheduler jobs. Each POSTs JSON to a private function with an OIDC
# token of the invoker account. The per-task jobs of mirror mode are created by the
# code (SCHEDULER_JOB_PREFIX); the static jobs' names never start with that prefix, so
# reconcile never mistakes them for orphans.
locals {
  scheduler_job_prefix = "${var.name_prefix}-mirror"

  scheduler_jobs = {
    tick = {
      description = "Every minute: fire due tasks (tick mode) or catch up missed ones (mirror mode)"
      schedule    = "* * * * *"
      target      = "schedule_fire"
      body        = { tick = true }
      retries     = 0
    }
    reconcile = {
      description = "Hourly: make the mirrored Cloud Scheduler jobs match scheduled_tasks"
      schedule    = var.reconcile_schedule
      target      = "schedule_fire"
      body        = { reconcile = true }
      retries     = 2
    }
    memory_consolidation = {
      description = "Daily: consolidate the memories of recently active users"
      schedule    = var.memory_consolidation_schedule
      target      = "schedule_fire"
      body        = { consolidate = true }
      retries     = 2
    }
    goal_generation = {
      description = "Daily: generate goals for recently active users"
      schedule    = var.goal_generation_schedule
      target      = "goal_generation"
      body        = {}
      retries     = 2
    }
  }
}

resource "google_cloud_scheduler_job" "static" {
  for_each = local.scheduler_jobs

  name             = "${var.name_prefix}-${replace(each.key, "_", "-")}"
  region           = var.region
  description      = each.value.description
  schedule         = each.value.schedule
  time_zone        = var.scheduler_time_zone
  attempt_deadline = "${local.function_sizes[each.value.target].timeout_seconds + 20}s"

  retry_config {
    retry_count          = each.value.retries
    min_backoff_duration = "30s"
    max_backoff_duration = "300s"
  }

  http_target {
    http_method = "POST"
    uri         = local.function_urls[each.value.target]
    body        = base64encode(jsonencode(each.value.body))
    headers = {
      "Content-Type" = "application/json"
    }

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = local.function_urls[each.value.target]
    }
  }

  depends_on = [google_cloud_run_v2_service_iam_member.invoker]
}
