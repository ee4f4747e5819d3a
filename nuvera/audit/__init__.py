"""Append-only audit history, written in the same transaction as the change it records."""
