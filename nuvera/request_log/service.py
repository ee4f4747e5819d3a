"""Reading and purging the request log. Reads go through the tenant door; the recorder (recorder.py) writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session

from nuvera.errors import ERROR_CODES, FieldError, validation_error
from nuvera.pagination import Page, paginate
from nuvera.request_log.models import RequestLogEntry
from nuvera.tenancy import Tenant, readable

PATH_FILTER_MAX = 200
# `4xx` (a class) or `401` (one status).
_STATUS = re.compile(r"[1-5](?:xx|[0-9]{2})")
VIEWS = ("failures", "all")


@dataclass(frozen=True)
class RequestFilter:
    """What the page's filter form asks for; every value already validated by `request_filter`."""

    view: str = "failures"  # failures: status 400 and above
    status: str = ""  # "", "4xx" or "401"
    code: str = ""  # "" or one of ERROR_CODES
    path: str = ""  # "" or text the path contains

    @property
    def key(self) -> str:
        """Names the filtered list, so that a page cursor cannot be reused on another filter's list."""
        return "|".join((self.view, self.status, self.code, self.path))

    @property
    def status_range(self) -> tuple[int, int] | None:
        if not self.status:
            return None
        if self.status.endswith("xx"):
            low = int(self.status[0]) * 100
            return low, low + 99
        return int(self.status), int(self.status)


def request_filter(view: str, status: str, code: str, path: str) -> RequestFilter:
    """The filter form's values, checked: 422 `validation_error` naming the field otherwise."""
    errors = []
    status = status.strip().lower()
    if view not in VIEWS:
        errors.append(FieldError("view", "must be failures or all"))
    if status and not _STATUS.fullmatch(status):
        errors.append(FieldError("status", "must be a status class such as 4xx or a status such as 401"))
    if code and code not in ERROR_CODES:
        errors.append(FieldError("code", "must be one of the error codes of the error guide"))
    if len(path) > PATH_FILTER_MAX:
        errors.append(FieldError("path", f"must be at most {PATH_FILTER_MAX} characters"))
    if errors:
        raise validation_error(errors)
    return RequestFilter(view=view, status=status, code=code, path=path.strip())


def _like(text: str) -> str:
    """A LIKE pattern matching `text` literally (its % and _ are not wildcards)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_requests(
    session: Session,
    tenant: Tenant,
    application_id: str,
    filters: RequestFilter,
    *,
    secret: bytes,
    cursor: str | None,
    limit: int,
) -> Page[RequestLogEntry]:
    """One application's requests, newest first, of the tenant's organization only.

    The caller has checked that the viewer may see the application (the applications access policy); the door
    adds the organization, so a row of another organization's application is never read whatever id is passed.
    """
    query = readable(RequestLogEntry, tenant).where(RequestLogEntry.application_id == application_id)
    if filters.view == "failures":
        query = query.where(RequestLogEntry.status >= 400)
    if (bounds := filters.status_range) is not None:
        query = query.where(RequestLogEntry.status.between(*bounds))
    if filters.code:
        query = query.where(RequestLogEntry.code == filters.code)
    if filters.path:
        query = query.where(RequestLogEntry.path.like(_like(filters.path), escape="\\"))
    return paginate(
        session,
        query,
        RequestLogEntry,
        scope=f"request-log:{tenant.organization_id}:{application_id}:{filters.key}",
        secret=secret,
        cursor=cursor,
        limit=limit,
    )


def purge(session: Session, *, before: datetime) -> int:
    """Delete every row older than `before` (the retention), whichever organization: housekeeping, not a read."""
    result = session.execute(delete(RequestLogEntry).where(RequestLogEntry.created_at < before))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
