"""Structured logs, Prometheus metrics and health probes of a server process."""
