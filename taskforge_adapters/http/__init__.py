"""HTTP out of the service: completion webhooks."""
