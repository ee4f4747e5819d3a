"""Screening requests, the API side: a partner's create or change records what to screen and enqueues a job.

Screening runs in the jobs worker, not in the API: the request and its job commit in the caller's transaction,
and until the worker has recorded a screening of that very data the subject is **pending**, which holds payments.
No engine here: API processes never load FollowTheMoney or the sanctions index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from nuvera.jobs.service import enqueue
from nuvera.screening import events
from nuvera.screening.holds import HoldStatus, notify, status_for, subject_status
from nuvera.screening.matches import deactivate
from nuvera.screening.models import ScreeningSubject, SubjectType
from nuvera.screening.subjects import (
    SubjectInput,
    check_beneficiary_subject,
    check_customer_subjects,
    lock_customer_subjects,
    main_subject,
    upsert_subject,
)
from nuvera.tenancy import Tenant

# The job a partner's change enqueues; nuvera/screening/jobs.py handles it in `nuvera worker`.
SCREEN_JOB = "screening.screen"


def request_customer_screening(
    session: Session,
    tenant: Tenant,
    *,
    customer_id: str,
    customer_name: str,
    subjects: Sequence[SubjectInput],
    now: datetime,
    reason: str = "customer created or changed",
    created: bool = False,
) -> HoldStatus:
    """Record what to screen for a customer (as `screen_customer` takes it) and enqueue its screening, in the
    caller's transaction: the change and its job commit together or not at all. The customer is pending (held)
    until the worker has screened this data. `created`: the customer was created in this transaction, so it has
    no subjects yet (none is looked up)."""
    check_customer_subjects(customer_id, subjects)
    existing = {} if created else lock_customer_subjects(session, tenant, customer_id)
    first = not existing  # before the loop below takes the subjects it keeps out of `existing`
    main_row: ScreeningSubject | None = None
    for subject in subjects:
        row = existing.pop((subject.subject_type, subject.entity_id), None)
        row = upsert_subject(session, row, subject, tenant, customer_id, customer_name, None, now)
        if subject.subject_type == SubjectType.CUSTOMER:
            main_row = row
    deactivate(session, existing.values(), now)
    assert main_row is not None  # check_customer_subjects guarantees exactly one CUSTOMER subject
    # A customer none of whose data was ever requested (a new one) has no match and no hold announced yet.
    return _request(session, main_row, reason, now, first=first)


def request_beneficiary_screening(
    session: Session,
    tenant: Tenant,
    *,
    customer_id: str,
    beneficiary_id: str,
    subject: SubjectInput,
    now: datetime,
    reason: str = "beneficiary created or changed",
) -> HoldStatus:
    """As `request_customer_screening`, for a beneficiary's account holder."""
    check_beneficiary_subject(beneficiary_id, subject)
    existing = main_subject(session, tenant, SubjectType.BENEFICIARY, beneficiary_id, for_update=True)
    row = upsert_subject(session, existing, subject, tenant, customer_id, None, beneficiary_id, now)
    return _request(session, row, reason, now, first=existing is None)


def _request(session: Session, main: ScreeningSubject, reason: str, now: datetime, *, first: bool) -> HoldStatus:
    """Bump the main subject's requested version (pending from now on) and enqueue its screening.

    `first`: nothing of this customer or beneficiary was ever requested before. Its status is then known without a
    query: pending, so held, with no match; and no hold change to announce (every subject starts on hold), which
    spares a new customer's POST four queries."""
    main.requested_version = (main.requested_version or 0) + 1
    job = {"subjectId": main.id, "reason": reason[:200]}
    if first:
        # A subject created now: no queued job can carry its id yet, and nothing here reads the database.
        enqueue(session, SCREEN_JOB, job, key=main.id, now=now, new_key=True)
        status = subject_status(main)  # pending, and no subject of it was ever screened: no match
        notify(session, status)
        return status
    enqueue(session, SCREEN_JOB, job, key=main.id, now=now)
    session.flush()
    status = status_for(session, main)
    notify(session, status)
    events.hold_changed(session, status, now)
    return status
