"""Workflows: ordered steps run on demand, on a schedule, on events and on webhooks."""
