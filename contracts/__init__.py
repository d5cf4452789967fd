"""Compact API contracts derived from the vendors' official OpenAPI documents (see `contracts.derive`)."""
