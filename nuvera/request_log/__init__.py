"""The per-application request log: what every attributable /api/v1 request was and how it ended."""
