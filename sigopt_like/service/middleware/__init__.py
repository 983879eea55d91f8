"""Falcon middleware: request ids, auth, idempotency, metrics, limits."""
