"""Per-application rate limiting of the signed REST API, counted across every process (Redis or the database)."""
