"""Scheduled tasks: the API, cron semantics, fires, the per-minute tick and the Cloud
Scheduler mirror."""
