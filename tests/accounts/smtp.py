"""A real SMTP server for tests (aiosmtpd on a loopback port) that keeps every message it receives, and a live
server of the app configured to send mail through it."""

from __future__ import annotations

import email
import email.policy
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from nuvera.app import create_app
from nuvera.config import Settings
from nuvera.db import Database
from tests.harness import LiveServer, MutableClock, free_port, live_server

PUBLIC_URL = "https://console.nuvera.test"
LINK = re.compile(re.escape(PUBLIC_URL) + r"(/app/sign-in/set-password\?token=[A-Za-z0-9_%\-]+)")


@dataclass
class Inbox:
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def wait_for(self, to: str, timeout: float = 20) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if message["To"] == to:
                    return message
            time.sleep(0.05)
        raise AssertionError(f"no mail to {to} arrived")

    def link_path(self, to: str) -> str:
        """The path and query of the one-time link mailed to `to` (the link itself names the public URL)."""
        body = self.wait_for(to).get_content()
        match = LINK.search(body)
        assert match is not None, body
        return match[1]


@dataclass
class MailServer:
    host: str
    port: int
    inbox: Inbox


@pytest.fixture(scope="module")
def smtp() -> Iterator[MailServer]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield MailServer("127.0.0.1", port, inbox)
    finally:
        controller.stop()


def mail_settings(settings: Settings, smtp: MailServer) -> Settings:
    return settings.model_copy(
        update={
            "smtp_host": smtp.host,
            "smtp_port": smtp.port,
            "smtp_starttls": False,  # the loopback test server speaks plain SMTP
            "public_url": PUBLIC_URL,
        }
    )


@pytest.fixture(scope="module")
def mail_server(
    settings: Settings, database: Database, session_clock: MutableClock, smtp: MailServer
) -> Iterator[LiveServer]:
    """The web app on its own port, with SMTP configured (the shared `server` has none)."""
    app = create_app(mail_settings(settings, smtp), database=database, clock=session_clock)
    with live_server(app) as running:
        yield running
