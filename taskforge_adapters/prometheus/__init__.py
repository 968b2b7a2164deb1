"""Prometheus: job counters and the handler duration histogram behind the JobEvents port."""
