"""nuvera/mail.py against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import asyncio

import pytest

from nuvera.config import Settings
from nuvera.mail import MailNotConfigured, mail_configured, send_mail, send_mail_async
from tests.accounts.smtp import MailServer, mail_settings, smtp

__all__ = ["smtp"]


def test_a_message_is_delivered_with_its_sender_subject_and_text(settings: Settings, smtp: MailServer) -> None:
    configured = mail_settings(settings, smtp)
    assert mail_configured(configured)
    send_mail(configured, "ops@example.com", "Hello from Nuvera", "Line one.\nLine two.\n")
    message = smtp.inbox.wait_for("ops@example.com")
    assert message["Subject"] == "Hello from Nuvera"
    assert message["From"] == configured.smtp_from
    assert message.get_content().splitlines() == ["Line one.", "Line two."]  # SMTP lines end in CRLF


def test_the_async_form_runs_off_the_event_loop(settings: Settings, smtp: MailServer) -> None:
    asyncio.run(send_mail_async(mail_settings(settings, smtp), "async@example.com", "Async", "Body\n"))
    assert smtp.inbox.wait_for("async@example.com")["Subject"] == "Async"


def test_without_a_host_nothing_is_sent(settings: Settings) -> None:
    assert not mail_configured(settings)
    with pytest.raises(MailNotConfigured):
        send_mail(settings, "x@example.com", "s", "t")


def test_an_unreachable_server_raises_instead_of_pretending(settings: Settings, smtp: MailServer) -> None:
    unreachable = mail_settings(settings, smtp).model_copy(update={"smtp_port": 1, "smtp_timeout_seconds": 2})
    with pytest.raises(ConnectionRefusedError):
        send_mail(unreachable, "x@example.com", "s", "t")
