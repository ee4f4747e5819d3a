"""Writes docs/duplicates.md: every pair `duplicates` reports in nuvera/ outside migrations/, and why it stays.

    python scripts/duplicates_report.py                  # run the tool, rewrite the document
    python scripts/duplicates_report.py --check          # fail if the document is not what the tool says now
    python scripts/duplicates_report.py --input run.txt  # read a saved run of the tool instead of running it

Each row of the run must match exactly one pair of the RULES below, and each pair must match a row: a new row is
a new duplicate to look at (extract it, or give it a rule and a reason); a pair that matches nothing is stale and
goes. A pair names its two places as `path::where`, never by line number or by the tool's D-number (both move
whenever code above changes). For a Python file, `where` is the def or class that holds the whole run
(`Class.method`), or, for a run over several top-level statements, their names joined by `+`; for another file
(a template), it is text that stands in the run's lines.
"""

from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "nuvera"
DOC = ROOT / "docs" / "duplicates.md"
COMMAND = ("duplicates", "--repo", "nuvera", "--seconds", "200", "--most", "200")
_ROW = re.compile(r"D\d+ (\S+):(\d+)-(\d+) ~ (\S+):(\d+)-(\d+)")


@dataclass(frozen=True)
class Pair:
    a: str  # "path::where" (see above), in either order
    b: str
    note: str = ""  # what the pair is, where the category's reason needs saying for it


@dataclass(frozen=True)
class Category:
    title: str
    why: str  # why its pairs stay
    pairs: tuple[Pair, ...]


@dataclass(frozen=True)
class Place:
    path: str
    first: int
    last: int

    def __str__(self) -> str:
        return f"{self.path}:{self.first}-{self.last}"

    @property
    def lines(self) -> str:
        text = (PACKAGE / self.path).read_text(encoding="utf-8").splitlines()
        return "\n".join(text[self.first - 1 : self.last])

    @property
    def where(self) -> str:
        """The def/class that holds the run, or the names of the top-level statements it spans ("" for a template)."""
        if not self.path.endswith(".py"):
            return ""
        return _where(_tree(self.path), self.first, self.last)

    def matches(self, spec: str) -> bool:
        path, _, where = spec.partition("::")
        if path != self.path:
            return False
        return where == self.where if self.path.endswith(".py") else where in self.lines


_Scope = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


@cache
def _tree(path: str) -> ast.Module:
    return ast.parse((PACKAGE / path).read_text(encoding="utf-8"))


def _span(node: ast.stmt) -> tuple[int, int]:
    decorators = getattr(node, "decorator_list", [])
    first = min([node.lineno, *(decorator.lineno for decorator in decorators)])
    return first, node.end_lineno or node.lineno


def _names(node: ast.stmt) -> list[str]:
    if isinstance(node, _Scope):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [target.id for target in node.targets if isinstance(target, ast.Name)]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return [node.target.id]
    return []


def _where(container: ast.Module | _Scope, first: int, last: int) -> str:
    for node in container.body:
        start, end = _span(node)
        if isinstance(node, _Scope) and start <= first and last <= end:
            inner = _where(node, first, last)
            return inner if isinstance(container, ast.Module) else f"{container.name}.{inner}"
    if not isinstance(container, ast.Module):
        return container.name
    spanned = [node for node in container.body if _span(node)[0] <= last and first <= _span(node)[1]]
    return "+".join(name for node in spanned for name in _names(node)) or "<module>"


@dataclass(frozen=True)
class Row:
    a: Place
    b: Place

    def spec(self) -> str:
        """The row as a rule would name it (what to paste into RULES for a new row)."""
        return f"Pair({self._side(self.a)!r}, {self._side(self.b)!r})"

    @staticmethod
    def _side(place: Place) -> str:
        if place.path.endswith(".py"):
            return f"{place.path}::{place.where}"
        first_line = next((line.strip() for line in place.lines.splitlines() if line.strip()), "")
        return f"{place.path}::{first_line}"

    def matches(self, pair: Pair) -> bool:
        return (self.a.matches(pair.a) and self.b.matches(pair.b)) or (
            self.a.matches(pair.b) and self.b.matches(pair.a)
        )


def read_rows(output: str) -> list[Row]:
    """The rows outside migrations/; a run that was cut short (--most, --seconds) cannot be documented."""
    if cut := [line for line in output.splitlines() if line.startswith("incomplete:") or "more pairs)" in line]:
        sys.exit("duplicates did not list every pair:\n" + "\n".join(cut))
    rows = []
    for found in map(_ROW.match, output.splitlines()):
        if found is None:
            continue
        a = Place(found[1], int(found[2]), int(found[3]))
        b = Place(found[4], int(found[5]), int(found[6]))
        if not (a.path.startswith("migrations/") or b.path.startswith("migrations/")):
            rows.append(Row(a, b))
    return rows


def classify(rows: list[Row]) -> tuple[dict[str, list[tuple[Row, str]]], list[str]]:
    """Rows by category title, and what is wrong: rows no pair matches (or two do), pairs that match no row."""
    grouped: dict[str, list[tuple[Row, str]]] = {category.title: [] for category in RULES}
    used: set[Pair] = set()
    problems = []
    for row in rows:
        hits = [(category.title, pair) for category in RULES for pair in category.pairs if row.matches(pair)]
        if len(hits) != 1:
            what = "no rule matches" if not hits else f"{len(hits)} rules match"
            problems.append(f"{what} {row.a} ~ {row.b}:\n    {row.spec()}")
            continue
        title, pair = hits[0]
        grouped[title].append((row, pair.note))
        used.add(pair)
    problems += [
        f"stale rule (matches no row): {pair}" for category in RULES for pair in category.pairs if pair not in used
    ]
    return grouped, problems


INTRO = """\
# Duplicate code: what `duplicates` still reports, and why it stays

`duplicates` lists pairs of places that share six or more lines: the same lines, or lines of the same *shape* (the
same code with other names, strings and numbers). Run it from the repository root:

```
duplicates --repo nuvera --seconds 200 --most 200      # the whole package
duplicates --change --base main                        # only what your branch added
```

A row is a place to look, not a verdict. Where two places share logic, we extract it (a helper, a macro, a base).
We do not rename or reflow code to break a match, and we do not build a generic abstraction where the lines are
only alike in shape (route declarations, columns, keyword calls). Rows under `migrations/` are not listed here:
each Alembic revision is a frozen copy of the schema at its time, and must not import shared code that may change.

Every other row of the last run is below, grouped by why it stays. Locations are as the tool prints them (paths
under `nuvera/`), followed for Python by the function or class that holds each side; the tool's D-numbers change
from run to run, so they are not used here.

This file is generated: `python scripts/duplicates_report.py` runs the tool and rewrites it from the rules in that
script, and fails, naming them, if a row has no rule (a new duplicate: extract it, or add a rule with its reason)
or a rule matches no row (stale). `python scripts/duplicates_report.py --check` only compares, and fails if this
file is out of date. Neither runs in `make check`: CI machines do not have the tool.

"""


def render(rows: list[Row], grouped: dict[str, list[tuple[Row, str]]]) -> str:
    out = [INTRO, f"Last run: {len(rows)} pairs outside `migrations/` (issue 16 started from 136).\n"]
    for category in RULES:
        entries = sorted(grouped[category.title], key=lambda entry: (str(entry[0].a), str(entry[0].b)))
        out.append(f"\n## {category.title} ({len(entries)})\n\n{category.why}\n\n")
        for row, note in entries:
            line = f"- `{row.a}` ~ `{row.b}`"
            if row.a.where or row.b.where:
                line += f" (`{row.a.where}` ~ `{row.b.where}`)"
            out.append(f"{line}: {note}\n" if note else f"{line}\n")
    return "".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--input", type=Path, help="a saved run of: " + " ".join(COMMAND))
    parser.add_argument("--check", action="store_true", help="fail if docs/duplicates.md is out of date")
    args = parser.parse_args()
    if args.input:
        output = args.input.read_text(encoding="utf-8")
    else:
        output = subprocess.run(COMMAND, cwd=ROOT, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rows = read_rows(output)
    grouped, problems = classify(rows)
    if problems:
        sys.exit("\n".join(problems))
    text = render(rows, grouped)
    if args.check:
        if DOC.read_text(encoding="utf-8") != text:
            sys.exit(f"{DOC.relative_to(ROOT)} is out of date: run python scripts/duplicates_report.py")
        return
    DOC.write_text(text, encoding="utf-8")
    print(f"{DOC.relative_to(ROOT)}: {len(rows)} pairs in {len(RULES)} categories")


# The categories, in the document's order, and the pairs each one accepts.
RULES: tuple[Category, ...] = (
    Category(
        "FastAPI route declarations",
        (
            "Decorator, signature and one service call per route: the same shape with a different path, "
            "operation id, permission, response model and documented problems. A generic route factory "
            "would hide the permission and the problem responses each handler declares (both are read by "
            "the route-inventory test and the API reference)."
        ),
        (
            Pair("accounts/endpoints.py::me", "documents/endpoints.py::get_document"),
            Pair(
                "app.py::_install_error_handlers.database_unavailable",
                "app.py::_install_error_handlers.unstorable_value",
                (
                    "two exception handlers of app.py (OperationalError → 503 DEPENDENCY_UNAVAILABLE, DataError "
                    "→ 422 VALIDATION_ERROR): the same handler shape, each with its own status, code, message, "
                    "log line and the comment saying why; a factory would take all of them as arguments."
                ),
            ),
            Pair("applications/management.py::audit_history", "crypto/endpoints.py::list_assets"),
            Pair("applications/management.py::list_applications", "applications/management.py::audit_history"),
            Pair(
                "applications/management.py::list_applications+create_application",
                "payments/endpoints.py::list_payments+get_payment",
            ),
            Pair(
                (
                    "beneficiaries/endpoints.py::BeneficiaryReader+BeneficiaryWriter+NOT_FOUND+INVALID+"
                    "WRONG_STATE+list_beneficiaries"
                ),
                "support/endpoints.py::SupportReader+SupportWriter+NOT_FOUND+INVALID+CLOSED+list_tickets",
                (
                    "the area's Reader/Writer permission aliases and its NOT_FOUND/INVALID problem declarations "
                    "(different permissions and texts)."
                ),
            ),
            Pair(
                "beneficiaries/endpoints.py::NOT_FOUND+INVALID+WRONG_STATE",
                "payments/endpoints.py::QUOTE_NOT_FOUND+PAYMENT_NOT_FOUND+INVALID",
                "the areas' problem declarations (not found, invalid, wrong state): different codes and texts.",
            ),
            Pair("beneficiaries/endpoints.py::create_beneficiary", "webhooks/endpoints.py::replay"),
            Pair("beneficiaries/endpoints.py::list_beneficiaries", "beneficiaries/endpoints.py::update_beneficiary"),
            Pair("beneficiaries/endpoints.py::list_beneficiaries", "customers/endpoints.py::update_customer"),
            Pair(
                "crypto/endpoints.py::list_assets",
                "crypto/endpoints.py::list_networks",
                (
                    "`list_assets` and `list_networks`: two read-only routes of the crypto reference data, each "
                    "with its own service call and page renderer."
                ),
            ),
            Pair("crypto/endpoints.py::list_assets", "documents/endpoints.py::list_documents"),
            Pair("customers/endpoints.py::WRONG_STATE+list_customers", "support/endpoints.py::CLOSED+list_tickets"),
            Pair(
                "customers/endpoints.py::get_customer+update_customer",
                "documents/endpoints.py::get_document+get_content",
            ),
            Pair(
                "customers/endpoints.py::get_customer+update_customer",
                "webhooks/endpoints.py::get_endpoint+update_endpoint",
            ),
            Pair("customers/endpoints.py::list_customers", "events/endpoints.py::list_events"),
            Pair("customers/endpoints.py::list_customers", "payments/endpoints.py::list_payments"),
            Pair(
                "documents/endpoints.py::get_document+get_content", "payments/endpoints.py::get_payment+cancel_payment"
            ),
            Pair("documents/endpoints.py::get_document+get_content", "support/endpoints.py::get_ticket+reply"),
            Pair(
                "documents/endpoints.py::get_document+get_content",
                "webhooks/endpoints.py::get_endpoint+update_endpoint",
            ),
            Pair("events/endpoints.py::list_events", "payments/endpoints.py::list_payments"),
            Pair("events/endpoints.py::list_events", "support/endpoints.py::list_tickets"),
            Pair("events/endpoints.py::list_events", "webhooks/endpoints.py::update_endpoint"),
            Pair(
                "payments/endpoints.py::get_quote+execute_payment", "payments/endpoints.py::get_payment+cancel_payment"
            ),
            Pair(
                "payments/endpoints.py::get_quote+execute_payment",
                "webhooks/endpoints.py::get_endpoint+update_endpoint",
            ),
            Pair("payments/endpoints.py::list_payments", "support/endpoints.py::list_tickets"),
            Pair("support/endpoints.py::get_ticket+reply", "webhooks/endpoints.py::get_endpoint+update_endpoint"),
            Pair("webhooks/endpoints.py::update_endpoint", "webhooks/endpoints.py::rotate_secret"),
        ),
    ),
    Category(
        "SQLAlchemy models and enum classes of different tables",
        (
            "Column declarations (`Mapped[...] = mapped_column(...)`, `created_at`/`updated_at`, "
            "`__table_args__` indexes) and `enum.StrEnum` members of different tables. The columns are "
            "the schema; a mixin would move them away from the table and its migration. The enum column "
            "helper itself is now one function (`nuvera.db.string_enum`)."
        ),
        (
            Pair("accounts/models.py::LoginFailure", "jobs/models.py::Job"),
            Pair("activity/models.py::ActivityEvent", "beneficiaries/models.py::Beneficiary"),
            Pair("activity/models.py::ActivityEvent", "customers/models.py::Customer"),
            Pair("activity/models.py::EventType+ActivityEvent", "auth/models.py::ApiKeyStatus+ApiApplication"),
            Pair("activity/models.py::EventType+ActivityEvent", "screening/models.py::Disposition+ScreeningSubject"),
            Pair("auth/models.py::ApiKey", "organizations/models.py::User"),
            Pair("beneficiaries/models.py::Beneficiary", "customers/models.py::CustomerPerson"),
            Pair("customers/models.py::Customer", "customers/models.py::Customer"),
            Pair("customers/models.py::Customer", "support/models.py::SupportTicket"),
            Pair("customers/models.py::PersonRole+PersonType", "organizations/models.py::OrganizationKind+UserRole"),
            Pair("documents/models.py::DocumentType+Document", "events/models.py::EventType+Event"),
            Pair(
                "organizations/models.py::OrganizationKind+UserRole+Organization",
                "screening/models.py::SubjectType+Disposition+ScreeningSubject",
            ),
            Pair("organizations/models.py::UserRole+Organization", "payments/models.py::PaymentStatus+PaymentQuote"),
            Pair(
                "screening/models.py::ScreeningMatch+ScreeningRun",
                "webhooks/models.py::WebhookEndpoint+WebhookDelivery",
            ),
            Pair(
                "screening/models.py::ScreeningSubject+ScreeningMatch",
                "screening/models.py::ScreeningMatch+ScreeningRun",
            ),
            Pair("webhooks/models.py::WebhookDelivery", "webhooks/models.py::WebhookAttempt"),
        ),
    ),
    Category(
        "Wire schemas, value types and dataclasses",
        (
            "Pydantic response/request models and frozen dataclasses whose fields follow the published "
            "reference or the stored JSON. Field order is the wire order (a shared mixin would reorder "
            "the fields in the JSON and in the OpenAPI document), and the `of()` mappings list fields "
            "explicitly so that mypy checks each one."
        ),
        (
            Pair(
                "accounts/two_factor.py::Enrolment+_aead_key",
                "applications/service.py::CreatedApplication+validate_name",
                ("two frozen result dataclasses followed by a private helper (`Enrolment`, `CreatedApplication`)."),
            ),
            Pair(
                "applications/public_keys.py::_BASE64+ParsedPublicKey",
                "auth/api_keys.py::_SHAPE+NewApiKey",
                (
                    "`ParsedPublicKey` and `NewApiKey`, each after its module's compiled pattern: two small "
                    "frozen result types of different parsers."
                ),
            ),
            Pair("applications/schemas.py::ApiKeyOut", "screening/schemas.py::ScreeningSubjectOut"),
            Pair("applications/schemas.py::ApplicationOut.of", "applications/schemas.py::ApplicationSummaryOut.of"),
            Pair("applications/schemas.py::ApplicationSummaryOut", "audit/schemas.py::AuditEventOut"),
            Pair(
                "applications/service.py::IssuedKey+CreatedApplication",
                "payments/idempotency.py::Claim+StoredResponse",
                ("two frozen result dataclasses (`IssuedKey`, the idempotency `Claim`) with a one-line docstring."),
            ),
            Pair("audit/schemas.py::AuditEventOut.of", "payments/schemas.py::PaymentOut.of"),
            Pair("audit/schemas.py::AuditEventOut.of", "web/request_log.py::row_of"),
            Pair(
                "beneficiaries/schemas.py::Iban+Bic",
                "beneficiaries/schemas.py::AbaRoutingNumber+AccountNumber",
                (
                    "`Annotated[str, Field, AfterValidator, checked_string(...)]` aliases (IBAN, BIC, ABA, "
                    "account number): mypy only accepts a type alias written out, not one returned by a helper."
                ),
            ),
            Pair(
                "customers/schemas.py::PersonOut",
                "customers/schemas.py::CustomerOut",
                (
                    "the person and the customer output schemas both carry the reference's address fields, each "
                    "in the reference's position."
                ),
            ),
            Pair("payments/schemas.py::PaymentOut.of", "web/request_log.py::row_of"),
            Pair("payments/schemas.py::QuoteOut.of", "payments/schemas.py::PaymentOut.of"),
            Pair(
                "screening/engine.py::FeatureScore",
                "screening/schemas.py::FeatureRecord",
                (
                    "the screening engine's `FeatureScore` dataclass and the stored `FeatureRecord` schema read "
                    "from it: the engine stays free of pydantic and the wire schema free of the engine."
                ),
            ),
        ),
    ),
    Category(
        "Keyword-argument calls and row constructors of different things",
        (
            "Calls written with one keyword argument per line (`audit.record(session, actor=…, "
            "organization_id=…, action=…, subject_type=…, subject_id=…, now=…)`, `Payment(...)`, "
            "`PaymentQuote(...)`, service calls with `cursor=`, `limit=`, `secret=`): the tool matches "
            "the *shape* `name=value,`, but each call passes different values to a different function or "
            "table. Where one module audited the same subject from several places it already has a small "
            "`_record`/`_audit` wrapper; the `audit.record` calls that stay each audit a different "
            "subject (user, ticket, document, application, review). Collapsing them into one generic "
            "call would only move the same keywords into a dict."
        ),
        (
            Pair("accounts/service.py::start_session", "payments/service.py::create_quote"),
            Pair("accounts/team.py::_record", "support/service.py::_audit"),
            Pair("accounts/team.py::_record", "webhooks/service.py::_audit"),
            Pair("applications/service.py::_record", "customers/service.py::list_customers"),
            Pair("applications/service.py::_record", "screening/runs.py::_record_run"),
            Pair("applications/service.py::_record", "support/service.py::create_ticket"),
            Pair("applications/service.py::_record", "webhooks/service.py::create_endpoint"),
            Pair("applications/service.py::create_application", "audit/service.py::record"),
            Pair("applications/service.py::create_application", "organizations/service.py::add_user"),
            Pair("applications/service.py::create_application", "payments/money.py::price"),
            Pair("applications/service.py::issue_api_key", "documents/service.py::_record_upload"),
            Pair("audit/service.py::record", "organizations/service.py::add_user"),
            Pair("audit/service.py::record", "payments/endpoints.py::create_quote"),
            Pair("audit/service.py::record", "payments/idempotency.py::complete"),
            Pair("audit/service.py::record", "payments/service.py::execute_quote"),
            Pair("audit/service.py::record", "review/workflow.py::ReviewFlow.decide"),
            Pair("audit/service.py::record", "screening/runs.py::_record_run"),
            Pair("audit/service.py::record", "webhooks/endpoints.py::update_endpoint"),
            Pair(
                "beneficiaries/service.py::S+EDITABLE+REVIEW_TRANSITIONS+REVIEW",
                "customers/service.py::S+EDITABLE+REVIEW_TRANSITIONS+REVIEW",
                (
                    "the review-flow declarations of beneficiaries and customers (`S = …Status`, `EDITABLE`, "
                    "`REVIEW_TRANSITIONS`, `ReviewFlow(...)`): the shared workflow is already one class "
                    "(nuvera/review/workflow.py); each area declares its own states, model, audit action and "
                    "event."
                ),
            ),
            Pair("cli/apps.py::create", "review/workflow.py::audit_review"),
            Pair("cli/apps.py::list_applications.collect", "cli/audit.py::list_events.page"),
            Pair("customers/service.py::_screen", "customers/service.py::list_customers"),
            Pair("customers/service.py::_screen", "payments/endpoints.py::execute_payment"),
            Pair("customers/service.py::list_customers", "screening/runs.py::_record_run"),
            Pair("documents/service.py::_record_upload", "review/workflow.py::ReviewFlow.decide"),
            Pair(
                "organizations/service.py::add_user",
                "webhooks/service.py::create_endpoint",
                (
                    "the `User(...)` insert of `organizations.add_user` (now the only one) and the "
                    "`WebhookEndpoint(...)` insert: different tables."
                ),
            ),
            Pair("payments/endpoints.py::create_quote", "payments/service.py::execute_quote"),
            Pair("payments/endpoints.py::create_quote", "review/workflow.py::ReviewFlow.decide"),
            Pair("payments/endpoints.py::create_quote", "web/request_log.py::row_of"),
            Pair("payments/idempotency.py::complete", "screening/runs.py::_record_run"),
            Pair("payments/money.py::price", "web/partner_data.py::open_ticket"),
            Pair("payments/service.py::create_quote", "webhooks/service.py::_audit"),
            Pair("payments/service.py::execute_quote", "review/workflow.py::ReviewFlow.decide"),
            Pair("payments/service.py::execute_quote", "support/endpoints.py::create_ticket"),
            Pair("payments/service.py::execute_quote", "web/request_log.py::row_of"),
            Pair("payments/service.py::execute_quote", "webhooks/endpoints.py::update_endpoint"),
            Pair("review/workflow.py::ReviewFlow.decide", "support/endpoints.py::create_ticket"),
            Pair("review/workflow.py::ReviewFlow.decide", "web/request_log.py::row_of"),
            Pair("review/workflow.py::ReviewFlow.decide", "webhooks/endpoints.py::update_endpoint"),
            Pair("screening/runs.py::_screen_stored", "web/applications.py::applications_page"),
            Pair("support/endpoints.py::create_ticket", "web/request_log.py::row_of"),
            Pair("support/service.py::_audit", "webhooks/service.py::_audit"),
            Pair("web/applications.py::detail_context", "web/hub.py::screening_disposition.act"),
        ),
    ),
    Category(
        "Function signatures with the same parameters",
        (
            "Keyword-only parameter lists (`session`, `tenant`/`actor`, `*`, `now`, `cursor`, `limit`, "
            "`secret`, …) of different functions. A parameter object for each would add a type per call "
            "without removing any logic."
        ),
        (
            Pair(
                "applications/service.py::expire_api_key+replace_signing_key",
                "applications/service.py::set_permissions+rename_application",
            ),
            Pair(
                "audit/service.py::record",
                "webhooks/service.py::_audit",
                (
                    "`audit.record` and the webhooks `_audit` wrapper of it: the wrapper fixes the subject to "
                    "the endpoint."
                ),
            ),
            Pair(
                "auth/replay.py::ReplayStore.remember",
                "auth/replay.py::RedisReplayStore.remember",
                (
                    "the `ReplayStore` Protocol's `remember()` and the Redis store's implementation of it: a "
                    "Protocol and its implementations must spell the same signature (mypy checks them against "
                    "each other)."
                ),
            ),
            Pair(
                "demo.py::_customer",
                "demo.py::_beneficiary",
                "the demo seed's `_customer` and `_beneficiary` builders (different services and statuses).",
            ),
            Pair("documents/service.py::list_documents", "payments/service.py::list_payments"),
            Pair("documents/service.py::list_documents", "support/service.py::list_tickets"),
            Pair(
                "organizations/service.py::create_user",
                "organizations/service.py::add_user",
                (
                    "`create_user` (checks the organization and the password, hashes it) and `add_user` (the one "
                    "insert, from a hash; also used by the team invite and the demo seed) take the same user "
                    "fields."
                ),
            ),
            Pair("organizations/service.py::create_user", "web/hub.py::_add_review_routes.subject_decision"),
            Pair(
                "pagination.py::paginate_rows",
                "pagination.py::_newest_first",
                (
                    "`paginate_rows` (the lean list read) and `_newest_first` (its keyset step, shared with "
                    "`paginate`) take the same keyset-paging parameters: the public function passes them through."
                ),
            ),
            Pair(
                "payments/idempotency.py::claim",
                "payments/idempotency.py::_insert_claim",
                (
                    "the public `claim()` and its private `_insert_claim` step pass the same key fields through "
                    "(the payment idempotency guard)."
                ),
            ),
            Pair("payments/service.py::list_payments", "support/service.py::list_tickets"),
            Pair(
                "screening/requests.py::request_customer_screening",
                "screening/runs.py::screen_customer",
                (
                    "`request_customer_screening` (records the request and enqueues it, in the caller's "
                    "transaction) and `screen_customer` (the worker's run of that request) take the same keyword "
                    "arguments by design: the job passes what was requested."
                ),
            ),
            Pair("web/webhooks.py::_detail_page", "webhooks/service.py::rotate_secret"),
            Pair("webhooks/service.py::rotate_secret", "webhooks/service.py::_advance"),
        ),
    ),
    Category(
        "Web page handlers and hub queries",
        (
            "Server-rendered pages: each builds its own context for its own template; the shared parts "
            "are already helpers (`page()`, `_list_page()`, `paginate()`)."
        ),
        (
            Pair(
                "documents/service.py::list_documents",
                "web/admin_queries.py::search_organizations",
                (
                    "a partner's document list and the hub's organization search, each ending in `paginate(...)` "
                    "with its own cursor scope."
                ),
            ),
            Pair(
                "web/admin_queries.py::search_organizations+organization",
                "web/admin_queries.py::review_queue+customer",
                (
                    "hub searches of organizations and of review subjects: different filters, then "
                    "`paginate(...)` with their own cursor scope."
                ),
            ),
            Pair(
                "web/applications.py::describe",
                "web/applications.py::describe",
                "cases of the audit-line formatter (`match action:`), one per audit action.",
            ),
            Pair(
                "web/hub.py::_screening_page",
                "web/hub.py::_ticket_page",
                (
                    "`_screening_page` and `_ticket_page`: hub pages that can re-render with an error "
                    "(`status=error.status if error else 200, error=error`) and their own context."
                ),
            ),
            Pair(
                "web/hub.py::_screening_page",
                "web/partner_data.py::_ticket_page",
                (
                    "a hub page and a partner page that can re-render with an error (`status=error.status if "
                    "error else 200, error=error`), each with its own context."
                ),
            ),
            Pair("web/hub.py::organization_page", "web/security.py::_security_page"),
            Pair(
                "web/hub.py::organization_page+organization_application_page",
                "web/request_log.py::request_log_page+hub_request_log_page",
            ),
            Pair(
                "web/partner_data.py::customers_page",
                "web/partner_data.py::tickets_page",
                (
                    "the partner list pages of customers and tickets: route, signature and the service call with "
                    "the same paging keywords (status filter, cursor, limit, secret), then `_list_page` with "
                    "each its own template."
                ),
            ),
            Pair(
                "web/team.py::_team_page",
                "web/team.py::hub_team_page",
                (
                    "the partner's team page and the hub's view of an organization's team: different templates "
                    "and permissions, the same `team.list_members` call."
                ),
            ),
        ),
    ),
    Category(
        "Templates",
        (
            "Closing markup of tables and cards, and the page heads of related pages. What repeated with "
            "logic in it is now a macro (`list_card`, `name_cell`, `status_form`); the rest is plain "
            "HTML of different tables and pages."
        ),
        (
            Pair(
                "web/templates/applications/detail.html::No keys.", "web/templates/applications/detail.html::No events."
            ),
            Pair(
                ('web/templates/data/_macros.html::<div class="field"><label for="status-filter">Status</label>'),
                'web/templates/hub/review.html::<div class="field"><label for="review-status">Status</label>',
                (
                    "the partner `status_form` macro and the hub review queue's filter form: the hub form also "
                    "searches by text and carries the kind and organization, so it keeps its own markup."
                ),
            ),
            Pair(
                "web/templates/data/beneficiary.html::beneficiary of",
                "web/templates/hub/review_customer.html::customer of",
            ),
            Pair(
                'web/templates/data/customer.html::<div class="split">',
                'web/templates/hub/review_customer.html::<div class="split">',
            ),
            Pair(
                'web/templates/data/customers.html::<td class="nowrap">{{ customer.created_at|time }}</td>',
                'web/templates/data/tickets.html::<td class="num">{{ ticket.messages|length }}</td>',
                (
                    "the rows of two list tables (customers, tickets) inside the shared `list_card` macro: "
                    "different columns."
                ),
            ),
            Pair(
                "web/templates/hub/review_beneficiary.html::{{ timeline(activity, staff=True) }}",
                "web/templates/hub/review_customer.html::{{ timeline(activity, staff=True) }}",
            ),
            Pair("web/templates/hub/team.html::</section>", "web/templates/security.html::</section>"),
        ),
    ),
    Category(
        "CLI command declarations",
        (
            "Typer commands: decorator, arguments and options (shared options are constants: "
            "`JSON_OPTION`, `REASON_OPTION`, `STATUS_OPTION`, `ADMIN_EMAIL_OPTION`), then one "
            "transaction. Different commands, different arguments."
        ),
        (
            Pair("cli/apps.py::_parse_grace+rotate", "cli/apps.py::_parse_at+expire"),
            Pair("cli/apps.py::rotate", "cli/support.py::reply"),
            Pair("cli/review.py::review_customer", "cli/review.py::review_beneficiary"),
        ),
    ),
)


if __name__ == "__main__":
    main()
