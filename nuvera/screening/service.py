"""Screening's service: the one import for other areas, the CLI and the worker. Each concern has its module:

- `subjects`  what is screened (`SubjectInput`, FtM entities, subject rows)
- `requests`  a partner's change records what to screen and enqueues the job (API side, no engine)
- `runs`      the worker screens against the sanctions index and records the run (`screen_*`, `rescreen`)
- `matches`   how a result is folded into a subject's matches (superseded, cleared, reopened)
- `holds`     payment holds and the onboarding block, and listeners of their changes
- `decisions` Nuvera compliance clears or confirms a match, with a reason; audited
- `reads`     partners' read-only detail, scoped to their organization
- `schemas`   every JSON shape: the API response, the stored records, the service-level dicts

Rules:
- Every screening stores the matches at or above the threshold. A match keeps its row across re-screenings;
  an open match that a later screening no longer finds (subject or list changed) is superseded.
- A **cleared** match does not come back while the sanctions entity's data is unchanged (same hash); when the
  listed entity changes, a new open match is created and the cleared one stays in the history.
- **paymentHold** = an open (not superseded) match of the subject — for a customer, of the customer itself or any
  of its current persons and shareholders — or any **confirmed** match. `onboardingBlocked` (customers) likewise.
- A subject never screened is on hold (fail closed): "not screened yet" must never read as "clear".
- Screening runs in the jobs worker, not in the API: a partner's create or change records what to screen and
  enqueues a job in the same transaction (`request_customer_screening` / `request_beneficiary_screening`). Until
  the worker has recorded a screening of that very data the subject is **pending**, and pending holds payments.

Services flush, never commit; dispositions are audited in the same transaction. Tenant rows are read and written
through the tenant door (`nuvera.tenancy`).
"""

from __future__ import annotations

from nuvera.screening.decisions import MAX_REASON_LENGTH, DispositionOutcome, set_disposition
from nuvera.screening.holds import (
    HoldListener,
    HoldStatus,
    ScreeningSummary,
    beneficiary_status,
    beneficiary_statuses,
    customer_status,
    is_pending,
    off_hold_change,
    on_hold_change,
    screening_summaries,
)
from nuvera.screening.reads import beneficiary_screening, customer_screening
from nuvera.screening.requests import SCREEN_JOB, request_beneficiary_screening, request_customer_screening
from nuvera.screening.runs import (
    Superseded,
    due_subject_ids,
    main_subject_id,
    rescreen,
    screen_beneficiary,
    screen_customer,
    screen_requested,
)
from nuvera.screening.schemas import READ_ONLY_REASON, hold_status_json, query_block
from nuvera.screening.subjects import CUSTOMER_SUBJECT_TYPES, SCREENABLE_SCHEMATA, SubjectInput, build_entity

__all__ = [
    "CUSTOMER_SUBJECT_TYPES",
    "MAX_REASON_LENGTH",
    "READ_ONLY_REASON",
    "SCREENABLE_SCHEMATA",
    "SCREEN_JOB",
    "DispositionOutcome",
    "HoldListener",
    "HoldStatus",
    "ScreeningSummary",
    "SubjectInput",
    "Superseded",
    "beneficiary_screening",
    "beneficiary_status",
    "beneficiary_statuses",
    "build_entity",
    "customer_screening",
    "customer_status",
    "due_subject_ids",
    "hold_status_json",
    "is_pending",
    "main_subject_id",
    "off_hold_change",
    "on_hold_change",
    "query_block",
    "request_beneficiary_screening",
    "request_customer_screening",
    "rescreen",
    "screen_beneficiary",
    "screen_customer",
    "screen_requested",
    "screening_summaries",
    "set_disposition",
]
