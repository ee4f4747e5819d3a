"""Outgoing mail: one plain-text message to one address through the configured SMTP server.

`send_mail` blocks (stdlib `smtplib`), so callers on the event loop use `send_mail_async`, which runs it in a
worker thread. Nothing here logs a message body: bodies carry one-time links.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

from starlette.concurrency import run_in_threadpool

from nuvera.config import Settings


class MailNotConfigured(RuntimeError):
    """NUVERA_SMTP_HOST is not set."""


def mail_configured(settings: Settings) -> bool:
    return settings.smtp_host is not None


def send_mail(settings: Settings, to: str, subject: str, text: str) -> None:
    """Send one message; raises `MailNotConfigured` or the SMTP/socket error (the caller decides what to tell)."""
    if settings.smtp_host is None:
        raise MailNotConfigured("NUVERA_SMTP_HOST is not set")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(text)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user is not None and settings.smtp_password is not None:
            smtp.login(settings.smtp_user.get_secret_value(), settings.smtp_password.get_secret_value())
        smtp.send_message(message)


async def send_mail_async(settings: Settings, to: str, subject: str, text: str) -> None:
    await run_in_threadpool(send_mail, settings, to, subject, text)
