"""Demo data for `nuvera serve --demo`: a newcomer can sign in at once and find something on every page and in
every queue of the admin hub. Refused in production.

Everything is made through the areas' own service functions (validation, activity timeline, audit, screening
requests), exactly as the API and the hub would make it:

- two partner organizations: "Demo Partner Ltd" (owner demo@…, member member@…) and "Northwind Payments GmbH"
  (owner northwind@…), each with customers; Demo Partner has one in every review state, with reviewers' notes;
- beneficiaries, one of them "Mahan Air", whose screening against the bundled OFAC sample opens a match (the
  hub's screening queue), and a customer whose director is on the sample list;
- support tickets, one answered by Nuvera support, one waiting for it;
- a quote and a payment. Payments need screened, clear parties, and screening runs in the jobs worker (never in
  the API process, and not here: loading the engine would slow the start down), so the payment is a job of its
  own (`DEMO_PAYMENT_JOB`), queued after the screenings; it waits and retries while they are still pending.

Seeding is a few dozen inserts and one password hash, so `serve --demo` still starts in about the
time `serve` does.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from sqlalchemy import select
from sqlalchemy.orm import Session

from nuvera.activity.models import ActorRole
from nuvera.activity.service import ActivityActor
from nuvera.applications import service as applications
from nuvera.audit.actor import Actor
from nuvera.auth.api_keys import DISPLAY_PREFIX_LENGTH
from nuvera.beneficiaries import service as beneficiaries
from nuvera.beneficiaries.models import BeneficiaryStatus
from nuvera.beneficiaries.schemas import BeneficiaryCreate
from nuvera.clock import utcnow
from nuvera.config import Settings
from nuvera.customers import service as customers
from nuvera.customers.models import CustomerStatus
from nuvera.customers.schemas import CustomerCreate
from nuvera.errors import NuveraError
from nuvera.jobs.service import ClaimedJob, enqueue
from nuvera.jobs.worker import Handler
from nuvera.organizations import service as organizations
from nuvera.organizations.models import Organization, OrganizationKind, User, UserRole
from nuvera.payments import service as payments
from nuvera.payments.models import PaymentStatus
from nuvera.payments.rates import bundled_table
from nuvera.request_log.models import RequestLogEntry
from nuvera.support import service as support
from nuvera.support.models import TicketCategory
from nuvera.tenancy import OrganizationScope

# Public on purpose: it is printed at start-up and written in the README. Only for the embedded default.
DEMO_PASSWORD = "nuvera-demo-password"  # noqa: S105
DEMO_PAYMENT_JOB = "demo.payment"
PAYMENT_REFERENCE = "Invoice 2026-118 (demo)"


def ensure_demo_data(session: Session, settings: Settings) -> bool:
    """Create the demo organizations, people and data unless they exist (decided by the demo owner's email)."""
    if session.scalar(select(User.id).where(User.email == "demo@nuvera.example")) is not None:
        return False
    now = utcnow()
    partner = organizations.create_organization(
        session, name="Demo Partner Ltd", kind=OrganizationKind.PARTNER, now=now
    )
    owner = _user(session, partner, "demo@nuvera.example", UserRole.OWNER, "Dana", "Demo", now)
    _user(session, partner, "member@nuvera.example", UserRole.MEMBER, "Milo", "Member", now, like=owner)
    northwind = organizations.create_organization(
        session, name="Northwind Payments GmbH", kind=OrganizationKind.PARTNER, now=now
    )
    northwind_owner = _user(
        session, northwind, "northwind@nuvera.example", UserRole.OWNER, "Nora", "North", now, like=owner
    )
    nuvera = organizations.create_organization(session, name="Nuvera", kind=OrganizationKind.ADMIN, now=now)
    admin = _user(session, nuvera, "admin@nuvera.example", UserRole.ADMIN, "Ada", "Admin", now, like=owner)

    reviewer = ActivityActor.user(admin, ActorRole.NUVERA_ADMIN)
    _seed_partner(session, partner, owner, reviewer, now)
    _seed_northwind(session, northwind, northwind_owner, reviewer, now)
    _seed_support(session, partner, owner, northwind, northwind_owner, Actor.for_user(admin, nuvera), now)
    _seed_request_log(session, partner, owner, settings.hmac_secret, now)
    return True


# What the demo application's request log shows: (minutes ago, method, path, status, code, milliseconds).
_DEMO_REQUESTS = (
    (42, "GET", "/api/v1/crypto/assets", 200, None, 3.1),
    (37, "POST", "/api/v1/customers", 201, None, 21.4),
    (33, "POST", "/api/v1/customers", 401, "body_hash_mismatch", 2.7),
    (21, "GET", "/api/v1/customers?limit&cursor", 200, None, 4.6),
    (12, "GET", "/api/v1/customers?limit", 401, "expired_jwt", 1.9),
    (6, "GET", "/api/v1/payment/payments", 403, "permission_denied", 2.2),
)


def _seed_request_log(session: Session, partner: Organization, owner: User, hmac_secret: bytes, now: datetime) -> None:
    """A demo API application with a few requests (some failing) in its request log, so the log's page and its
    troubleshooting texts have something to show. Its private key is thrown away at once and its API key is never
    shown: it exists for the pages; a newcomer creates their own application to sign requests."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()
    created = applications.create_application(
        session,
        actor=Actor.for_user(owner, partner),
        organization_id=partner.id,
        name="Demo integration",
        public_key_pem=public_pem,
        permissions=["CUSTOMERS_READ", "CUSTOMERS_WRITE", "CRYPTO_READ"],
        hmac_secret=hmac_secret,
        now=now,
    )
    raw = created.issued.raw
    for minutes, method, path, status, code, milliseconds in _DEMO_REQUESTS:
        session.add(
            RequestLogEntry(
                id="req_" + secrets.token_hex(12),
                organization_id=partner.id,
                application_id=created.application.id,
                created_at=now - timedelta(minutes=minutes),
                method=method,
                path=path,
                status=status,
                code=code,
                duration_ms=milliseconds,
                key_prefix=raw[:DISPLAY_PREFIX_LENGTH],
                key_last_four=raw[-4:],
                source_ip="203.0.113.7",
            )
        )


def _user(
    session: Session,
    organization: Organization,
    email: str,
    role: UserRole,
    first: str,
    last: str,
    now: datetime,
    *,
    like: User | None = None,
) -> User:
    """A demo user. `like`: take that user's password hash instead of hashing the password again.

    Every demo user has the same public password, so one Argon2 hash (deliberately slow, ~0.1-0.8 s) serves them
    all: seeding five users costs one hash, and `serve --demo` starts as fast as it did with two.
    """
    return organizations.add_user(
        session,
        organization_id=organization.id,
        email=email,
        password_hash=organizations.hash_password(DEMO_PASSWORD) if like is None else like.password_hash,
        role=role,
        first_name=first,
        last_name=last,
        now=now,
    )


def _company(name: str, country: str, city: str, registration: str, *persons: dict[str, Any]) -> dict[str, Any]:
    return {
        "companyName": name,
        "registrationNumber": registration,
        "countryOfIncorporationId": country,
        "businessIndustryId": "4791",
        "businessType": "LIMITED_LIABILITY_COMPANY",
        "addressLine1": "1 Market Street",
        "city": city,
        "postalCode": "10115",
        "addressCountryId": country,
        "businessEmail": f"finance@{name.split()[0].lower()}.example",
        "estimatedAnnualRevenueUsd": "R_1000000_9999999",
        "expectedMonthlyPaymentsUsd": "250000.00",
        "primaryBusinessPurpose": "PURCHASE_GOODS_AND_SERVICES",
        "sourceOfFunds": "SALES_OF_GOODS_AND_SERVICES",
        "persons": list(persons)
        or [
            {
                "firstName": "Grace",
                "lastName": "Hopper",
                "roles": ["UBO", "DIRECTOR"],
                "nationality": "US",
                "dateOfBirth": "1976-12-09",
                "ownershipPercent": 75,
            }
        ],
    }


def _customer(
    session: Session,
    organization: Organization,
    author: ActivityActor,
    reviewer: ActivityActor,
    body: dict[str, Any],
    decisions: list[tuple[CustomerStatus, str]],
    now: datetime,
    *,
    draft: bool = False,
) -> str:
    """A customer created by the partner, then taken through the reviewers' decisions in order."""
    customer = customers.create_customer(
        session,
        OrganizationScope(organization.id),
        CustomerCreate.model_validate(body),
        draft=draft,
        actor=author,
        now=now,
    )
    for status, note in decisions:
        customers.review_customer(session, customer.id, status=status, note=note, reviewer=reviewer, now=now)
    return customer.id


def _beneficiary(
    session: Session,
    organization: Organization,
    customer_id: str,
    author: ActivityActor,
    reviewer: ActivityActor,
    body: dict[str, Any],
    decisions: list[tuple[BeneficiaryStatus, str]],
    now: datetime,
) -> str:
    beneficiary = beneficiaries.create_beneficiary(
        session,
        OrganizationScope(organization.id),
        customer_id,
        BeneficiaryCreate.model_validate(body),
        actor=author,
        now=now,
    )
    for status, note in decisions:
        beneficiaries.review_beneficiary(session, beneficiary.id, status=status, note=note, reviewer=reviewer, now=now)
    return beneficiary.id


def _seed_partner(session: Session, partner: Organization, owner: User, reviewer: ActivityActor, now: datetime) -> None:
    """Demo Partner Ltd: a customer in every review state, two beneficiaries and the demo payment's job."""
    author = ActivityActor.user(owner, ActorRole.PARTNER_USER)
    S = CustomerStatus
    approved = _customer(
        session, partner, author, reviewer, _company("Acme Trading GmbH", "DE", "Berlin", "HRB 12345"),
        [(S.APPROVED, "KYB complete: registry extract, UBO and source of funds checked.")], now,
    )  # fmt: skip
    _customer(
        session, partner, author, reviewer, _company("Blue Harbor Imports Ltd", "GB", "London", "09876543"),
        [], now,
    )  # fmt: skip
    _customer(
        session, partner, author, reviewer, _company("Cedar & Pine Furniture BV", "NL", "Utrecht", "KVK 7781234"),
        [(S.CORRECTION_REQUESTED, "The certificate of incorporation is older than 6 months: upload a current "
          "extract and confirm the UBO's ownership percentage.")], now,
    )  # fmt: skip
    _customer(
        session, partner, author, reviewer, _company("Delta Outsourcing SRL", "RO", "Cluj-Napoca", "J12/3456/2019"),
        [(S.REJECTED, "The business model (third-party payment collection) is outside Nuvera's risk appetite.")],
        now,
    )  # fmt: skip
    _customer(
        session, partner, author, reviewer, _company("Evergreen Commodities SA", "CH", "Geneva", "CHE-123.456.789"),
        [(S.APPROVED, "KYB complete."),
         (S.SUSPENDED, "Suspended while adverse media about the UBO is reviewed; payments are refused meanwhile.")],
        now,
    )  # fmt: skip
    _customer(
        session, partner, author, reviewer, {"companyName": "Fjord Analytics AS", "countryOfIncorporationId": "NO"},
        [], now, draft=True,
    )  # fmt: skip

    B = BeneficiaryStatus
    supplier = _beneficiary(
        session, partner, approved, author, reviewer,
        {"companyName": "Lieferant Logistik AG", "country": "DE", "address": "Friedrichstraße 10, Berlin",
         "zipCode": "10117", "currencyCode": "EUR", "bankName": "Commerzbank", "bankBic": "COBADEFFXXX",
         "bankCountryCode": "DE", "iban": "DE89370400440532013000"},
        [(B.APPROVED, "Account holder matches the supplier contract.")], now,
    )  # fmt: skip
    # The open screening match: the holder's name is an entity of the bundled OFAC sample (MAHAN AIR, SDGT).
    _beneficiary(
        session, partner, approved, author, reviewer,
        {"companyName": "Mahan Air", "country": "GB", "address": "1 Airport Road, London", "zipCode": "TW6 1AA",
         "currencyCode": "GBP", "bankName": "Example Bank", "bankCountryCode": "GB",
         "iban": "GB82WEST12345698765432"},
        [], now,
    )  # fmt: skip
    # Due a moment after the screenings above, so the worker reaches it once they are done (it retries if not).
    enqueue(
        session,
        DEMO_PAYMENT_JOB,
        {"organizationId": partner.id, "customerId": approved, "beneficiaryId": supplier},
        now=now,
        key=f"demo-payment:{partner.id}",
        max_attempts=8,
        run_at=now + timedelta(seconds=1),
    )


def _seed_northwind(
    session: Session, northwind: Organization, owner: User, reviewer: ActivityActor, now: datetime
) -> None:
    """Northwind Payments GmbH: an approved customer, and one waiting for review whose director is on the OFAC
    sample (an open match of a customer's person)."""
    author = ActivityActor.user(owner, ActorRole.PARTNER_USER)
    _customer(
        session, northwind, author, reviewer, _company("Gamma Robotics GmbH", "AT", "Vienna", "FN 123456a"),
        [(CustomerStatus.APPROVED, "KYB complete.")], now,
    )  # fmt: skip
    director = {
        "firstName": "Oleg",
        "lastName": "Deripaska",
        "roles": ["DIRECTOR", "UBO"],
        "nationality": "RU",
        "dateOfBirth": "1968-01-02",
        "ownershipPercent": 51,
    }
    _customer(
        session, northwind, author, reviewer, _company("Basalt Metals Trading Ltd", "CY", "Limassol", "HE 400123",
                                                       director), [], now,
    )  # fmt: skip


def _seed_support(
    session: Session,
    partner: Organization,
    owner: User,
    northwind: Organization,
    northwind_owner: User,
    agent: Actor,
    now: datetime,
) -> None:
    """A ticket Nuvera answered (waiting for the partner) and one waiting for Nuvera (the hub's inbox)."""

    def ask(organization: Organization, user: User, category: TicketCategory, subject: str, body: str) -> str:
        partner_user = support.PartnerUser(organization.id, user.id, user.email)
        ticket = support.create_ticket(
            session, partner_user, subject=subject, body=body, category=category, customer_id=None, payment_id=None,
            now=now,
        )  # fmt: skip
        return ticket.id

    asked = ask(
        partner,
        owner,
        TicketCategory.ONBOARDING,
        "How long does the KYB review take?",
        "We submitted Blue Harbor Imports Ltd this morning. When can we expect a decision?",
    )
    support.nuvera_reply(
        session,
        agent,
        asked,
        body="Most reviews are decided within one business day. Blue Harbor Imports Ltd is in the queue; you see "
        "the decision and the reviewer's note on the customer's page.",
        now=now,
    )
    ask(
        northwind,
        northwind_owner,
        TicketCategory.PAYMENTS,
        "Payment to a new beneficiary refused",
        "A quote was refused with beneficiary_not_approved. What do we need to send?",
    )


# --- the demo payment (a job: it needs the parties screened) --------------------------------------------------


class PartiesNotScreened(Exception):
    """The payment's parties are still on hold (screening pending): the worker retries the job after a backoff."""


def make_payment(session: Session, payload: dict[str, Any], now: datetime) -> str:
    """Quote and execute the demo payment, then settle it as the simulated rail would (one transaction)."""
    tenant = OrganizationScope(str(payload["organizationId"]))  # a job: only the id is at hand
    try:
        quote = payments.create_quote(
            session,
            tenant,
            customer_id=str(payload["customerId"]),
            beneficiary_id=str(payload["beneficiaryId"]),
            payment_amount="12500.00",
            payment_currency="USD",
            target_currency="EUR",
            rates=bundled_table(),
            now=now,
        )
    except NuveraError as exc:
        if exc.code in ("customer_on_hold", "beneficiary_on_hold"):
            raise PartiesNotScreened(exc.detail) from exc
        raise
    payment = payments.execute_quote(session, tenant, quote_id=quote.id, reference=PAYMENT_REFERENCE, now=now)
    payments.start_processing(session, payment.id, rail="simulated", now=now)
    payments.finish_processing(
        session, payment.id, PaymentStatus.COMPLETED, reason=None, rail_reference=f"sim-{payment.id}", now=now
    )
    return payment.id


def handlers(settings: Settings) -> dict[str, Handler]:
    def pay(session: Session, job: ClaimedJob, now: datetime) -> None:
        make_payment(session, job.payload, now)

    return {DEMO_PAYMENT_JOB: pay}
