"""Webhook test fixtures."""

from __future__ import annotations

import pytest

from nuvera.config import Settings
from tests.webhooks.worker_harness import short_retries


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    return short_retries(settings)
