"""API applications: a partner's server-to-server credential set (signing key, API keys, permissions)."""
