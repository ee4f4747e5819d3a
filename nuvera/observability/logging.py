"""JSON log lines (structlog) for every logger of the process: ours, uvicorn's and the libraries'.

One line per event, with the request's `requestId` bound for everything logged while it is served. A last
processor masks anything shaped like an API key or a JWT, whatever the message: a secret must not reach the logs
even through a careless log call or an exception text.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import MutableMapping
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
import structlog
from structlog.typing import EventDict, Processor

# An `nvk_` API key (body + checksum) and a compact JWS (three base64url parts, the header starting `eyJ`).
_SECRET_SHAPES = re.compile(r"nvk_[0-9A-Za-z]{20,}|eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
REDACTED = "[redacted]"


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return _SECRET_SHAPES.sub(REDACTED, value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: EventDict) -> EventDict:
    for key, value in list(event_dict.items()):
        event_dict[key] = _mask(value)
    return event_dict


_FIRST = ("timestamp", "level", "logger", "message")


def _shape_for_json(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> EventDict:
    """`message` rather than structlog's `event`, the usual keys first, and no terminal colour copies."""
    event_dict["message"] = event_dict.pop("event", "")
    event_dict.pop("color_message", None)  # uvicorn's ANSI-coloured duplicate of the message
    shaped = {key: event_dict.pop(key) for key in _FIRST if key in event_dict}
    shaped.update(event_dict)
    return shaped


# The access line (nuvera/observability/middleware.py): its logger and the fields it passes, in their order.
ACCESS_LOGGER = "nuvera.access"
ACCESS_FIELDS = ("requestId", "method", "path", "route", "status", "durationMs", "applicationId", "code")


class JsonLineFormatter(structlog.stdlib.ProcessorFormatter):
    """structlog's formatter, but the access line, one per request, is rendered in one orjson call.

    Through the processor chain (a copy of the record, five processors, the redaction of every value, json.dumps)
    the access line cost ~100 µs, a quarter of a signed read's CPU in-process (measured). It is the same JSON
    object, keys in the same order; its only free text, the path, is masked like every other value.
    """

    def format(self, record: logging.LogRecord) -> str:
        if record.name != ACCESS_LOGGER or not hasattr(record, "route"):
            return super().format(record)
        line: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in ACCESS_FIELDS:
            line[name] = getattr(record, name, None)
        line["path"] = _mask(line["path"])
        return orjson.dumps(line).decode()


def configure_logging(log_format: Literal["json", "console"] = "json", level: int = logging.INFO) -> None:
    """Idempotent: each server worker calls it once when it builds its app."""
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    renderer: Processor = (
        structlog.processors.JSONRenderer() if log_format == "json" else structlog.dev.ConsoleRenderer(colors=False)
    )
    final: list[Processor] = [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        redact_secrets,
    ]
    if log_format == "json":
        final.append(_shape_for_json)
    formatter_class = JsonLineFormatter if log_format == "json" else structlog.stdlib.ProcessorFormatter
    formatter = formatter_class(foreign_pre_chain=shared, processors=[*final, renderer])
    # No line shows where its call was made, or in which thread or process: the records skip finding out (the
    # logging HOWTO's "Optimization" table). Finding the caller walks the stack at every line; with the access line,
    # that was ~5 % of a signed read's CPU (measured in-process).
    logging._srcfile = None
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)
    # uvicorn installs its own handlers unless told otherwise; route everything through the one above.
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # httpx logs every request it sends at INFO, with its whole URL: for the job worker, a line per webhook delivery
    # (each attempt is already a row, shown on the endpoint's page), and a partner's URL may carry a token in its
    # query. Its warnings still reach the log.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Our access line (nuvera.access: request id, route, status, duration, application, code) replaces uvicorn's.
    access = logging.getLogger("uvicorn.access")
    access.handlers = []
    access.propagate = False
