"""Durable background jobs on our own database: enqueued in the caller's transaction, run by `nuvera worker`."""
