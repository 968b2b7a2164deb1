"""The REST API: HTTP JSON in, DTOs, use cases, DTOs, HTTP JSON out."""
