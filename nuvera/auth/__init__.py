"""Signed-request authentication for /api/v1: API keys, RS256 JWTs, replay protection, permissions."""
