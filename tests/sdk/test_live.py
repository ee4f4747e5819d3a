"""The SDK against the live server, over real HTTP with real signatures, covering every /api/v1 operation.

The last test of this module checks, from what actually went on the wire, that every operation of the served
OpenAPI document was called through the SDK (so a new endpoint without an SDK method fails here).
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
from nuvera_client import (
    OPERATIONS,
    AsyncNuveraClient,
    AuthenticationError,
    NotFoundError,
    NuveraClient,
    PermissionDeniedError,
    ValidationError,
)
from nuvera_client.types import BeneficiaryCreate, CustomerCreate

from nuvera.auth.permissions import Permission
from nuvera.config import Settings
from nuvera.customers.models import CustomerStatus
from nuvera.db import Database
from nuvera.events.models import EventType
from nuvera.events.service import record_event
from nuvera.tenancy import OrganizationScope
from tests.beneficiaries.builders import iban_body
from tests.customers.builders import PDF_BYTES, customer_body
from tests.customers.builders import review as review_customer
from tests.harness import Factory, LiveServer, Partner, new_rsa_key
from tests.payments.builders import payable
from tests.sdk.recording import (
    AsyncRecordingTransport,
    Recorder,
    RecordingTransport,
    jwt_claims,
    operation_matchers,
    operation_of,
)

RECORDER = Recorder()


def sdk(partner: Partner, **kwargs: Any) -> NuveraClient:
    return NuveraClient(
        partner.base_url, partner.api_key, partner.private_key, transport=RecordingTransport(RECORDER), **kwargs
    )


def test_onboarding_documents_beneficiaries_support(factory: Factory, tmp_path: Path) -> None:
    partner = factory.partner()
    with sdk(partner) as nuvera:
        assets = nuvera.crypto.list_assets()["items"]
        assert assets
        assert nuvera.crypto.get_asset(assets[0]["code"].lower())["code"] == assets[0]["code"]
        assert nuvera.crypto.list_networks()["items"]

        # Multipart upload, signed over the exact multipart bytes; from a Path and from bytes.
        pdf = tmp_path / "certificate.pdf"
        pdf.write_bytes(PDF_BYTES)
        document = nuvera.documents.upload(pdf, document_type="CERTIFICATE_OF_INCORPORATION")
        assert document["fileName"] == "certificate.pdf"
        assert document["contentType"] == "application/pdf"
        second = nuvera.documents.upload(PDF_BYTES, document_type="PASSPORT", file_name="passport.pdf")
        assert nuvera.documents.get(document["id"])["sha256"] == document["sha256"]
        assert nuvera.documents.download(second["id"]) == PDF_BYTES
        assert {d["id"] for d in nuvera.documents.list(limit=5)["items"]} == {document["id"], second["id"]}
        assert [d["id"] for d in nuvera.iter_documents(page_size=1)] == [second["id"], document["id"]]

        draft = nuvera.customers.create(cast(CustomerCreate, customer_body(documentIds=[document["id"]])), draft=True)
        assert draft["status"] == "DRAFT"
        updated = nuvera.customers.update(draft["id"], {"tradingNames": "Acme"})
        assert updated["tradingNames"] == "Acme"
        submitted = nuvera.customers.submit(draft["id"])
        assert submitted["status"] == "PENDING_REVIEW"
        other = nuvera.customers.create(cast(CustomerCreate, customer_body(companyName="Second Trading GmbH")))
        assert nuvera.customers.get(other["id"])["companyName"] == "Second Trading GmbH"
        assert [c["id"] for c in nuvera.customers.list(limit=10)["items"]] == [other["id"], draft["id"]]
        # Cursor iteration crosses pages: page size 1, two customers.
        assert [c["id"] for c in nuvera.iter_customers(page_size=1)] == [other["id"], draft["id"]]
        assert [c["id"] for c in nuvera.iter_customers(status="DRAFT")] == []
        assert nuvera.customers.activity(draft["id"])["items"]

        review_customer(factory.database, draft["id"], CustomerStatus.APPROVED)
        beneficiary = nuvera.beneficiaries.create(draft["id"], cast(BeneficiaryCreate, iban_body()))
        assert nuvera.beneficiaries.get(draft["id"], beneficiary["id"])["iban"] == beneficiary["iban"]
        changed = nuvera.beneficiaries.update(draft["id"], beneficiary["id"], {"bankName": "Deutsche Bank"})
        assert changed["bankName"] == "Deutsche Bank"
        assert [b["id"] for b in nuvera.beneficiaries.list(draft["id"])["items"]] == [beneficiary["id"]]
        assert [b["id"] for b in nuvera.iter_beneficiaries(draft["id"], page_size=1)] == [beneficiary["id"]]
        assert nuvera.beneficiaries.activity(draft["id"], beneficiary["id"])["items"]

        ticket = nuvera.support.create_ticket(
            {"subject": "Payout question", "body": "When does it arrive?", "category": "PAYMENTS"}
        )
        assert nuvera.support.get_ticket(ticket["id"])["subject"] == "Payout question"
        replied = nuvera.support.reply(ticket["id"], "Any news?")
        assert [m["body"] for m in replied["messages"]][-1] == "Any news?"
        assert [t["id"] for t in nuvera.support.list_tickets()["items"]] == [ticket["id"]]
        assert [t["id"] for t in nuvera.iter_tickets()] == [ticket["id"]]
        assert nuvera.support.close_ticket(ticket["id"])["status"] == "CLOSED"


def test_screening_and_payments_quote_execute_list_cancel(factory: Factory) -> None:
    partner = factory.partner()
    parties = payable(factory, partner.organization_id)
    with sdk(partner) as nuvera:
        # The helper screened both parties with the real engine (clear); partners read the results.
        customer_screening = nuvera.screening.customer(parties.customer_id)
        assert customer_screening["subject"]["customerId"] == parties.customer_id
        beneficiary_screening = nuvera.screening.beneficiary(parties.customer_id, parties.beneficiary_id)
        assert beneficiary_screening["subject"]["beneficiaryId"] == parties.beneficiary_id
        assert beneficiary_screening["subject"]["paymentHold"] is False
        quote = nuvera.payments.create_quote(
            {
                "customerId": parties.customer_id,
                "beneficiaryId": parties.beneficiary_id,
                "paymentAmount": "1000.00",
                "paymentCurrencyCode": "USD",
                "targetCurrencyCode": "EUR",
            }
        )
        assert nuvera.payments.get_quote(quote["id"])["usedAt"] is None
        payment = nuvera.payments.execute(quote["id"], "Invoice 42")  # no key given: the SDK generates one
        assert payment["status"] == "PENDING"
        assert nuvera.payments.get_quote(quote["id"])["paymentId"] == payment["id"]
        assert nuvera.payments.get(payment["id"])["id"] == payment["id"]
        assert [p["id"] for p in nuvera.payments.list(customer_id=parties.customer_id)["items"]] == [payment["id"]]
        assert [p["id"] for p in nuvera.iter_payments(status="PENDING")] == [payment["id"]]
        assert nuvera.payments.cancel(payment["id"])["status"] == "CANCELLED"
    sent = [s for s in RECORDER.sent if s.method == "POST" and s.path == "/api/v1/payment"]
    assert sent
    assert uuid.UUID(sent[-1].headers["idempotency-key"])


class LoseFirstExecutionResponse(httpx.BaseTransport):
    """Delivers the first payment execution to the real server, then drops its response (as a network failure
    after the server committed would), so the client must retry without paying twice."""

    def __init__(self) -> None:
        self.inner = RecordingTransport(RECORDER)
        self.dropped = False
        self.responses: list[httpx.Response] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        if request.url.path == "/api/v1/payment" and request.method == "POST":
            response.read()
            self.responses.append(response)
            if not self.dropped:
                self.dropped = True
                response.close()
                raise httpx.ReadTimeout("response lost", request=request)
        return response

    def close(self) -> None:
        self.inner.close()


def test_payment_retry_reuses_the_idempotency_key_and_signs_anew(factory: Factory) -> None:
    partner = factory.partner()
    parties = payable(factory, partner.organization_id)
    transport = LoseFirstExecutionResponse()
    waits: list[float] = []
    before = len(RECORDER.sent)
    with NuveraClient(
        partner.base_url, partner.api_key, partner.private_key, transport=transport, sleep=waits.append
    ) as nuvera:
        quote = nuvera.payments.create_quote(
            {
                "customerId": parties.customer_id,
                "beneficiaryId": parties.beneficiary_id,
                "paymentAmount": "250.00",
                "paymentCurrencyCode": "EUR",
                "targetCurrencyCode": "EUR",
            }
        )
        payment = nuvera.payments.execute(quote["id"], "Retried invoice")
        attempts = [s for s in RECORDER.sent[before:] if s.method == "POST" and s.path == "/api/v1/payment"]
        assert len(attempts) == 2
        assert len(waits) == 1
        # Same key on both attempts, but each attempt carried its own signature and jti.
        assert attempts[0].headers["idempotency-key"] == attempts[1].headers["idempotency-key"]
        first, second = (jwt_claims(a.headers["authorization"]) for a in attempts)
        assert first["jti"] != second["jti"]
        # The server replayed the first outcome: one payment, the one the lost response described.
        assert transport.responses[0].json()["id"] == payment["id"]
        assert transport.responses[1].headers.get("idempotent-replayed") == "true"
        assert [p["id"] for p in nuvera.iter_payments(customer_id=parties.customer_id)] == [payment["id"]]


def test_a_plain_post_is_not_retried_after_a_lost_response(factory: Factory) -> None:
    partner = factory.partner()

    class LoseEverything(httpx.BaseTransport):
        def __init__(self) -> None:
            self.inner = RecordingTransport(RECORDER)

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            response = self.inner.handle_request(request)
            response.read()
            response.close()
            raise httpx.ReadTimeout("response lost", request=request)

        def close(self) -> None:
            self.inner.close()

    with NuveraClient(partner.base_url, partner.api_key, partner.private_key, transport=LoseEverything()) as nuvera:
        before = len(RECORDER.sent)
        with pytest.raises(Exception, match="response lost"):
            nuvera.support.create_ticket({"subject": "Once", "body": "Only once", "category": "OTHER"})
        assert len(RECORDER.sent) - before == 1
    with sdk(partner) as nuvera:
        assert [t["subject"] for t in nuvera.iter_tickets()] == ["Once"]


def test_errors_carry_the_problem_code_detail_and_request_id(factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ])
    with sdk(partner) as nuvera:
        with pytest.raises(NotFoundError) as missing:
            nuvera.customers.get("cus_doesnotexist")
        assert missing.value.code == "not_found"
        assert missing.value.status == 404
        assert (missing.value.request_id or "").startswith("req_")
        with pytest.raises(PermissionDeniedError) as denied:
            nuvera.payments.list()
        assert denied.value.code == "permission_denied"
        assert denied.value.permission == "PAYMENTS_READ"
        with pytest.raises(ValidationError) as invalid:
            nuvera.customers.list(limit=1000)
        assert invalid.value.code == "validation_error"
        assert invalid.value.errors
    # Signed with a key that is not the application's: the server's code reaches the caller.
    with NuveraClient(partner.base_url, partner.api_key, new_rsa_key()) as stranger:
        with pytest.raises(AuthenticationError) as refused:
            stranger.crypto.list_assets()
        assert refused.value.code == "invalid_signature"
        assert "nvk_" not in str(refused.value)


def test_async_client(factory: Factory) -> None:
    partner = factory.partner()

    async def scenario() -> None:
        async with AsyncNuveraClient(
            partner.base_url, partner.api_key, partner.private_key, transport=AsyncRecordingTransport(RECORDER)
        ) as nuvera:
            assert (await nuvera.crypto.list_networks())["items"]
            uploaded = await nuvera.documents.upload(PDF_BYTES, document_type="OTHER", file_name="a.pdf")
            assert await nuvera.documents.download(uploaded["id"]) == PDF_BYTES
            created = [
                await nuvera.customers.create(cast(CustomerCreate, customer_body(companyName=f"Async {i} GmbH")))
                for i in range(3)
            ]
            seen = [c["id"] async for c in nuvera.iter_customers(page_size=2)]
            assert seen == [c["id"] for c in reversed(created)]
            with pytest.raises(NotFoundError):
                await nuvera.support.get_ticket("tkt_missing")
            # The async client reads events the same way (this application has EVENTS_READ: all permissions).
            assert [e async for e in nuvera.events.iter(types="customer.status_changed")] == []
            assert (await nuvera.events.list(limit=1))["items"] == []

    asyncio.run(scenario())


def test_events_list_iter_and_get(factory: Factory) -> None:
    partner = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.EVENTS_READ])
    stranger = factory.partner([Permission.CUSTOMERS_READ, Permission.CUSTOMERS_WRITE, Permission.EVENTS_READ])
    with sdk(partner) as nuvera, sdk(stranger) as other:
        since = datetime.now(UTC) - timedelta(seconds=1)
        drafts = [nuvera.customers.create(cast(CustomerCreate, customer_body()), draft=True) for _ in range(3)]
        for draft in drafts:
            nuvera.customers.submit(draft["id"])
        other_draft = other.customers.create(cast(CustomerCreate, customer_body()), draft=True)
        other.customers.submit(other_draft["id"])

        page = nuvera.events.list(types="customer.status_changed", limit=2)
        assert page["hasMore"] is True
        assert len(page["items"]) == 2
        every = list(nuvera.events.iter(types=["customer.status_changed"], created_from=since, page_size=1))
        assert [e["data"]["object"]["id"] for e in every] == [d["id"] for d in reversed(drafts)]
        assert [e["id"] for e in every[:2]] == [e["id"] for e in page["items"]]
        assert nuvera.events.get(every[0]["id"]) == every[0]
        assert list(nuvera.events.iter(created_before=since)) == []
        with pytest.raises(NotFoundError):
            nuvera.events.get(other.events.list()["items"][0]["id"])  # another organization's event
        with pytest.raises(ValidationError) as unknown:
            nuvera.events.list(types=["customer.created"])
        assert unknown.value.errors
        with pytest.raises(ValueError, match="time zone"):
            nuvera.events.list(created_from=datetime(2026, 1, 1))


def test_webhook_endpoints(factory: Factory, database: Database, settings: Settings) -> None:
    partner = factory.partner()
    with sdk(partner) as nuvera:
        created = nuvera.webhooks.create_endpoint(
            {"url": "http://127.0.0.1:9/hooks", "eventTypes": ["customer.status_changed"], "description": "SDK"}
        )
        assert created["secret"].startswith("whsec_")
        endpoint_id = created["id"]
        assert [e["id"] for e in nuvera.webhooks.list_endpoints()["items"]] == [endpoint_id]
        assert "secret" not in nuvera.webhooks.get_endpoint(endpoint_id)
        assert nuvera.webhooks.update_endpoint(endpoint_id, {"description": "renamed"})["description"] == "renamed"
        rotated = nuvera.webhooks.rotate_secret(endpoint_id, overlap_seconds=60)
        assert rotated["secret"] != created["secret"]
        assert nuvera.webhooks.attempts(endpoint_id)["items"] == []
        with database.session() as session:
            event = record_event(
                session,
                OrganizationScope(partner.organization_id),
                EventType.SUPPORT_TICKET_REPLIED,
                {"object": {}},
                now=datetime.now(UTC),
            )
            event_id = event.id
        assert nuvera.webhooks.resend(endpoint_id, event_id)["eventId"] == event_id
        assert nuvera.webhooks.replay(endpoint_id, "2020-01-01T00:00:00Z")["jobId"].startswith("job_")
        nuvera.webhooks.delete_endpoint(endpoint_id)
        with pytest.raises(NotFoundError):
            nuvera.webhooks.get_endpoint(endpoint_id)


def test_every_api_operation_went_through_the_sdk(server: LiveServer) -> None:
    document: dict[str, Any] = httpx.get(server.base_url + "/api-reference/openapi.json").json()
    matchers = operation_matchers(document)
    served = {operation_id for _, _, operation_id in matchers}
    assert set(OPERATIONS) == served, "the SDK's operation table differs from the served API"
    called = {operation_of(matchers, s.method, s.path) for s in RECORDER.sent}
    assert served - called == set(), f"operations never called through the SDK: {sorted(served - called)}"
