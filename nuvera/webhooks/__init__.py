"""Webhook endpoints and signed deliveries of events (Standard Webhooks), run by the job worker."""
