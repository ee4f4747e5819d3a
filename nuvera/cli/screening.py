"""`nuvera screening …`: compliance operations on sanctions screening. Actions are recorded as operator actions."""

from __future__ import annotations

import time
from typing import Any

import typer
from followthemoney import model
from sqlalchemy.orm import Session

from nuvera.audit.actor import Actor
from nuvera.cli.common import JSON_OPTION, load_settings, run
from nuvera.cli.output import emit, fail
from nuvera.clock import utcnow
from nuvera.config import Settings
from nuvera.errors import NuveraError
from nuvera.screening import service
from nuvera.screening.engine import get_engine
from nuvera.screening.models import Disposition

screening_app = typer.Typer(help="Sanctions screening: dispositions, re-screening, the dataset.", no_args_is_help=True)


@screening_app.command("disposition")
def disposition(
    match_id: str = typer.Argument(..., metavar="MATCH_ID", help="The match (scm_…)."),
    cleared: bool = typer.Option(False, "--cleared", help="A false positive: lifts the hold if nothing else holds."),
    confirmed: bool = typer.Option(False, "--confirmed", help="A true match: the hold stays."),
    reason: str = typer.Option(..., "--reason", help="Why (mandatory; recorded in the audit history)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Record Nuvera compliance's decision on a screening match."""
    if cleared == confirmed:
        fail("choose exactly one of --cleared or --confirmed")
    decision = Disposition.CLEARED if cleared else Disposition.CONFIRMED

    def decide(session: Session, _settings: Settings) -> service.DispositionOutcome:
        return service.set_disposition(
            session,
            actor=Actor.operator(reason),
            match_id=match_id,
            disposition=decision,
            reason=reason,
            now=utcnow(),
        )

    outcome = run(decide)
    status = outcome.status
    hold = "on payment hold" if status.payment_hold else "no longer on payment hold"
    party = status.beneficiary_id or status.customer_id
    emit(
        {
            "matchId": outcome.match_id,
            "disposition": outcome.disposition.value,
            "paymentHold": status.payment_hold,
            "onboardingBlocked": status.onboarding_blocked,
            "openMatchCount": status.open_match_count,
            "customerId": status.customer_id,
            "beneficiaryId": status.beneficiary_id,
        },
        as_json,
        f"match {outcome.match_id} {outcome.disposition.value}; {party} is {hold} "
        f"({status.open_match_count} open match(es) left)",
    )


@screening_app.command("rescreen")
def rescreen(
    customer: str = typer.Option(None, "--customer", help="Re-screen this customer (cus_…) with its persons."),
    beneficiary: str = typer.Option(None, "--beneficiary", help="Re-screen this beneficiary (ben_…)."),
    due: bool = typer.Option(False, "--due", help="Re-screen everything whose monitoring date has passed."),
    limit: int = typer.Option(500, "--limit", min=1, help="With --due: at most this many per run."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Screen customers/beneficiaries again against the current dataset (ongoing monitoring, or on demand)."""
    if sum(bool(x) for x in (customer, beneficiary, due)) != 1:
        fail("choose exactly one of --customer, --beneficiary or --due")

    def work(session: Session, settings: Settings) -> list[dict[str, Any]]:
        engine = get_engine(settings)
        now = utcnow()
        if due:
            ids = service.due_subject_ids(session, now=now, limit=limit)
            why = "scheduled monitoring"
        else:
            ids = [service.main_subject_id(session, customer_id=customer, beneficiary_id=beneficiary)]
            why = "re-screened by an operator"
        return [service.hold_status_json(service.rescreen(session, engine, i, now=now, reason=why)) for i in ids]

    results = run(work)
    lines = [
        f"{r['beneficiary_id'] or r['customer_id']}: {r['open_match_count']} open match(es), "
        f"{'on payment hold' if r['payment_hold'] else 'clear'}"
        for r in results
    ]
    emit({"screened": results}, as_json, "\n".join(lines) or "nothing due")


@screening_app.command("dataset")
def dataset(as_json: bool = JSON_OPTION) -> None:
    """Load the configured sanctions dataset and show what it contains."""
    settings = load_settings()
    started = time.perf_counter()
    try:
        engine = get_engine(settings)
    except NuveraError as exc:
        fail(f"{exc.detail} ({settings.screening_dataset})")
    info = engine.dataset
    payload = {
        "path": str(info.path),
        "datasetScope": info.name,
        "dataVersion": info.version,
        "entities": info.entity_count,
        "skipped": info.skipped,
        "invalid": info.invalid,
        "tokens": engine.index.token_count,
        "threshold": engine.threshold,
        "topicsScope": list(engine.topics),
        "loadSeconds": round(time.perf_counter() - started, 2),
    }
    emit(payload, as_json, "\n".join(f"{k}: {v}" for k, v in payload.items()))


@screening_app.command("check")
def check(
    name: str = typer.Argument(..., help="The name to screen."),
    schema: str = typer.Option("LegalEntity", "--schema", help="Person, Company, Organization or LegalEntity."),
    birth_date: str = typer.Option(None, "--birth-date", help="YYYY-MM-DD (persons)."),
    country: str = typer.Option(None, "--country", help="ISO country code (nationality for persons)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Screen an ad-hoc name against the dataset (nothing is stored)."""
    if schema not in service.SCREENABLE_SCHEMATA:
        fail(f"--schema must be one of {', '.join(sorted(service.SCREENABLE_SCHEMATA))}")
    settings = load_settings()
    try:
        engine = get_engine(settings)
    except NuveraError as exc:
        fail(f"{exc.detail} ({settings.screening_dataset})")
    entity = model.make_entity(schema)
    entity.add("name", name, cleaned=False)
    if birth_date and schema == "Person":
        entity.add("birthDate", birth_date, cleaned=False)
    if country:
        entity.add("nationality" if schema == "Person" else "country", country, cleaned=False)
    result = engine.screen(entity)
    matches = [
        {"osEntityId": m.entity_id, "caption": m.caption, "schema": m.schema, "score": m.score, "topics": m.topics}
        for m in result.matches
    ]
    lines = [f"{m.score:.2f}  {m.entity_id}  {m.caption} ({m.schema})" for m in result.matches]
    emit(
        {"matches": matches, "candidatesCompared": result.candidates_compared, "dataVersion": result.data_version},
        as_json,
        "\n".join(lines) or f"no match ≥ {engine.threshold} ({result.candidates_compared} candidates compared)",
    )
