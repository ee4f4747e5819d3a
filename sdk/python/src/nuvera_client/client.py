"""`NuveraClient`: typed methods for every REST operation, signed automatically, retried only where safe."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, cast

import httpx
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from nuvera_client import _operations as ops
from nuvera_client._core import USER_AGENT, Call, FileInput, RetryPolicy, decode, retry_decision
from nuvera_client.errors import NuveraConnectionError
from nuvera_client.signing import NuveraAuth
from nuvera_client.types import (
    ActivityList,
    BeneficiaryCreate,
    BeneficiaryList,
    BeneficiaryOut,
    BeneficiaryPatch,
    CryptoAssetList,
    CryptoAssetOut,
    CryptoNetworkList,
    CryptoNetworkOut,
    CustomerCreate,
    CustomerList,
    CustomerOut,
    CustomerPatch,
    DocumentOut,
    DocumentPage,
    EventList,
    EventOut,
    PaymentList,
    PaymentOut,
    QuoteCreate,
    QuoteOut,
    ScreeningDetailOut,
    TicketCreate,
    TicketDetail,
    TicketList,
    TicketOut,
    WebhookAttemptList,
    WebhookDeliveryOut,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointOut,
    WebhookEndpointUpdate,
    WebhookEndpointWithSecret,
    WebhookReplayOut,
)

PrivateKey = str | bytes | Path | RSAPrivateKey


class NuveraClient:
    """A Nuvera REST API client for one API application.

        with NuveraClient("https://api.example", api_key, Path("private.pem")) as nuvera:
            for customer in nuvera.iter_customers(status="APPROVED"):
                ...

    Every request is signed over the exact bytes sent (a new JWT and `jti` per attempt). GETs and payment
    execution (same `Idempotency-Key` on every attempt) are retried on connection errors, 502, 503, and 429 with
    `Retry-After`; nothing else is retried. API errors raise `NuveraAPIError` subclasses carrying `code`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        private_key: PrivateKey,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._http = httpx.Client(
            base_url=base_url,
            auth=NuveraAuth(api_key, private_key),
            timeout=timeout,
            transport=transport,
            headers={"user-agent": USER_AGENT},
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.crypto = Crypto(self)
        self.customers = Customers(self)
        self.documents = Documents(self)
        self.beneficiaries = Beneficiaries(self)
        self.screening = Screening(self)
        self.payments = Payments(self)
        self.support = Support(self)
        self.events = Events(self)
        self.webhooks = Webhooks(self)

    def send(self, call: Call) -> Any:
        """Send one call (with the retry policy) and return the decoded body."""
        attempt = 0
        while True:
            try:
                response = self._http.request(call.method, call.path, **call.request_kwargs())
            except httpx.TransportError as exc:
                wait = retry_decision(call, self.retry, attempt, None)
                if wait is None:
                    raise NuveraConnectionError(f"{call.method} {call.path}: {exc}") from exc
            else:
                wait = retry_decision(call, self.retry, attempt, response)
                if wait is None:
                    return decode(call, response)
            self._sleep(wait)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> NuveraClient:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # Cursor iteration: every item of a list, page after page, following `nextCursor`.
    def iter_customers(self, *, status: str | None = None, page_size: int | None = None) -> Iterator[CustomerOut]:
        return self.customers.iter(status=status, page_size=page_size)

    def iter_documents(self, *, customer_id: str | None = None, page_size: int | None = None) -> Iterator[DocumentOut]:
        return self.documents.iter(customer_id=customer_id, page_size=page_size)

    def iter_beneficiaries(
        self, customer_id: str, *, status: str | None = None, page_size: int | None = None
    ) -> Iterator[BeneficiaryOut]:
        return self.beneficiaries.iter(customer_id, status=status, page_size=page_size)

    def iter_payments(
        self, *, status: str | None = None, customer_id: str | None = None, page_size: int | None = None
    ) -> Iterator[PaymentOut]:
        return self.payments.iter(status=status, customer_id=customer_id, page_size=page_size)

    def iter_tickets(self, *, status: str | None = None, page_size: int | None = None) -> Iterator[TicketOut]:
        return self.support.iter_tickets(status=status, page_size=page_size)


def _pages(fetch: Callable[[str | None], Any]) -> Iterator[Any]:
    cursor: str | None = None
    while True:
        page = fetch(cursor)
        yield from page["items"]
        cursor = page.get("nextCursor")
        if not page.get("hasMore") or not cursor:
            return


class _Resource:
    def __init__(self, client: NuveraClient) -> None:
        self._client = client

    def _send(self, call: Call) -> Any:
        return self._client.send(call)


class Crypto(_Resource):
    def list_assets(self, *, cursor: str | None = None, limit: int | None = None) -> CryptoAssetList:
        return cast(CryptoAssetList, self._send(ops.crypto_list_assets(cursor, limit)))

    def iter_assets(self, *, page_size: int | None = None) -> Iterator[CryptoAssetOut]:
        return _pages(lambda cursor: self.list_assets(cursor=cursor, limit=page_size))

    def get_asset(self, code: str) -> CryptoAssetOut:
        return cast(CryptoAssetOut, self._send(ops.crypto_get_asset(code)))

    def list_networks(self, *, cursor: str | None = None, limit: int | None = None) -> CryptoNetworkList:
        return cast(CryptoNetworkList, self._send(ops.crypto_list_networks(cursor, limit)))

    def iter_networks(self, *, page_size: int | None = None) -> Iterator[CryptoNetworkOut]:
        return _pages(lambda cursor: self.list_networks(cursor=cursor, limit=page_size))


class Customers(_Resource):
    def list(self, *, status: str | None = None, cursor: str | None = None, limit: int | None = None) -> CustomerList:
        return cast(CustomerList, self._send(ops.customers_list(status, cursor, limit)))

    def iter(self, *, status: str | None = None, page_size: int | None = None) -> Iterator[CustomerOut]:
        return _pages(lambda cursor: self.list(status=status, cursor=cursor, limit=page_size))

    def create(self, body: CustomerCreate, *, draft: bool = False) -> CustomerOut:
        return cast(CustomerOut, self._send(ops.customers_create(body, draft)))

    def get(self, customer_id: str) -> CustomerOut:
        return cast(CustomerOut, self._send(ops.customers_get(customer_id)))

    def update(self, customer_id: str, body: CustomerPatch) -> CustomerOut:
        return cast(CustomerOut, self._send(ops.customers_update(customer_id, body)))

    def submit(self, customer_id: str) -> CustomerOut:
        return cast(CustomerOut, self._send(ops.customers_submit(customer_id)))

    def activity(self, customer_id: str) -> ActivityList:
        return cast(ActivityList, self._send(ops.customers_activity(customer_id)))


class Documents(_Resource):
    def upload(
        self,
        file: FileInput,
        *,
        document_type: str,
        customer_id: str | None = None,
        file_name: str | None = None,
        content_type: str | None = None,
    ) -> DocumentOut:
        """Upload a PDF, PNG or JPEG (bytes, a Path or a binary file) as multipart/form-data, signed over the
        exact multipart bytes."""
        call = ops.documents_upload(file, document_type, customer_id, file_name, content_type)
        return cast(DocumentOut, self._send(call))

    def list(
        self, *, customer_id: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> DocumentPage:
        return cast(DocumentPage, self._send(ops.documents_list(customer_id, cursor, limit)))

    def iter(self, *, customer_id: str | None = None, page_size: int | None = None) -> Iterator[DocumentOut]:
        return _pages(lambda cursor: self.list(customer_id=customer_id, cursor=cursor, limit=page_size))

    def get(self, document_id: str) -> DocumentOut:
        return cast(DocumentOut, self._send(ops.documents_get(document_id)))

    def download(self, document_id: str) -> bytes:
        """The document's bytes exactly as uploaded."""
        return cast(bytes, self._send(ops.documents_download(document_id)))


class Beneficiaries(_Resource):
    def list(
        self, customer_id: str, *, status: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> BeneficiaryList:
        return cast(BeneficiaryList, self._send(ops.beneficiaries_list(customer_id, status, cursor, limit)))

    def iter(
        self, customer_id: str, *, status: str | None = None, page_size: int | None = None
    ) -> Iterator[BeneficiaryOut]:
        return _pages(lambda cursor: self.list(customer_id, status=status, cursor=cursor, limit=page_size))

    def create(self, customer_id: str, body: BeneficiaryCreate) -> BeneficiaryOut:
        return cast(BeneficiaryOut, self._send(ops.beneficiaries_create(customer_id, body)))

    def get(self, customer_id: str, beneficiary_id: str) -> BeneficiaryOut:
        return cast(BeneficiaryOut, self._send(ops.beneficiaries_get(customer_id, beneficiary_id)))

    def update(self, customer_id: str, beneficiary_id: str, body: BeneficiaryPatch) -> BeneficiaryOut:
        return cast(BeneficiaryOut, self._send(ops.beneficiaries_update(customer_id, beneficiary_id, body)))

    def activity(self, customer_id: str, beneficiary_id: str) -> ActivityList:
        return cast(ActivityList, self._send(ops.beneficiaries_activity(customer_id, beneficiary_id)))


class Screening(_Resource):
    def customer(self, customer_id: str) -> ScreeningDetailOut:
        return cast(ScreeningDetailOut, self._send(ops.screening_customer(customer_id)))

    def beneficiary(self, customer_id: str, beneficiary_id: str) -> ScreeningDetailOut:
        return cast(ScreeningDetailOut, self._send(ops.screening_beneficiary(customer_id, beneficiary_id)))


class Payments(_Resource):
    def create_quote(self, body: QuoteCreate) -> QuoteOut:
        return cast(QuoteOut, self._send(ops.payments_create_quote(body)))

    def get_quote(self, quote_id: str) -> QuoteOut:
        return cast(QuoteOut, self._send(ops.payments_get_quote(quote_id)))

    def execute(self, quote_id: str, reference: str, *, idempotency_key: str | None = None) -> PaymentOut:
        """Execute a quote. Pass your own `idempotency_key` (e.g. your payment's id) to make a retry after a crash
        safe too; without one a UUID is generated and reused for this call's retries."""
        return cast(PaymentOut, self._send(ops.payments_execute(quote_id, reference, idempotency_key)))

    def list(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> PaymentList:
        return cast(PaymentList, self._send(ops.payments_list(status, customer_id, cursor, limit)))

    def iter(
        self, *, status: str | None = None, customer_id: str | None = None, page_size: int | None = None
    ) -> Iterator[PaymentOut]:
        return _pages(lambda cursor: self.list(status=status, customer_id=customer_id, cursor=cursor, limit=page_size))

    def get(self, payment_id: str) -> PaymentOut:
        return cast(PaymentOut, self._send(ops.payments_get(payment_id)))

    def cancel(self, payment_id: str) -> PaymentOut:
        return cast(PaymentOut, self._send(ops.payments_cancel(payment_id)))


class Support(_Resource):
    def list_tickets(
        self, *, status: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> TicketList:
        return cast(TicketList, self._send(ops.support_list(status, cursor, limit)))

    def iter_tickets(self, *, status: str | None = None, page_size: int | None = None) -> Iterator[TicketOut]:
        return _pages(lambda cursor: self.list_tickets(status=status, cursor=cursor, limit=page_size))

    def create_ticket(self, body: TicketCreate) -> TicketDetail:
        return cast(TicketDetail, self._send(ops.support_create(body)))

    def get_ticket(self, ticket_id: str) -> TicketDetail:
        return cast(TicketDetail, self._send(ops.support_get(ticket_id)))

    def reply(self, ticket_id: str, body: str) -> TicketDetail:
        return cast(TicketDetail, self._send(ops.support_reply(ticket_id, body)))

    def close_ticket(self, ticket_id: str) -> TicketDetail:
        return cast(TicketDetail, self._send(ops.support_close(ticket_id)))


class Events(_Resource):
    """What changed in your organization, newest first (`EVENTS_READ`). `types`: one type or several;
    `created_from` (inclusive) and `created_before` (exclusive): aware datetimes or ISO 8601 strings."""

    def list(
        self,
        *,
        types: str | Sequence[str] | None = None,
        created_from: str | datetime | None = None,
        created_before: str | datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> EventList:
        return cast(EventList, self._send(ops.events_list(types, created_from, created_before, cursor, limit)))

    def iter(
        self,
        *,
        types: str | Sequence[str] | None = None,
        created_from: str | datetime | None = None,
        created_before: str | datetime | None = None,
        page_size: int | None = None,
    ) -> Iterator[EventOut]:
        """Every matching event, page after page (newest first)."""
        return _pages(
            lambda cursor: self.list(
                types=types, created_from=created_from, created_before=created_before, cursor=cursor, limit=page_size
            )
        )

    def get(self, event_id: str) -> EventOut:
        return cast(EventOut, self._send(ops.events_get(event_id)))


class Webhooks(_Resource):
    """Webhook endpoints. Verify what they receive with `nuvera_client.verify_webhook`."""

    def list_endpoints(self) -> WebhookEndpointList:
        return cast(WebhookEndpointList, self._send(ops.webhooks_list()))

    def create_endpoint(self, body: WebhookEndpointCreate) -> WebhookEndpointWithSecret:
        """The response's `secret` is shown only this once: store it."""
        return cast(WebhookEndpointWithSecret, self._send(ops.webhooks_create(body)))

    def get_endpoint(self, endpoint_id: str) -> WebhookEndpointOut:
        return cast(WebhookEndpointOut, self._send(ops.webhooks_get(endpoint_id)))

    def update_endpoint(self, endpoint_id: str, body: WebhookEndpointUpdate) -> WebhookEndpointOut:
        return cast(WebhookEndpointOut, self._send(ops.webhooks_update(endpoint_id, body)))

    def delete_endpoint(self, endpoint_id: str) -> None:
        self._send(ops.webhooks_delete(endpoint_id))

    def rotate_secret(self, endpoint_id: str, *, overlap_seconds: int | None = None) -> WebhookEndpointWithSecret:
        return cast(WebhookEndpointWithSecret, self._send(ops.webhooks_rotate_secret(endpoint_id, overlap_seconds)))

    def attempts(self, endpoint_id: str) -> WebhookAttemptList:
        return cast(WebhookAttemptList, self._send(ops.webhooks_attempts(endpoint_id)))

    def resend(self, endpoint_id: str, event_id: str) -> WebhookDeliveryOut:
        return cast(WebhookDeliveryOut, self._send(ops.webhooks_resend(endpoint_id, event_id)))

    def replay(self, endpoint_id: str, since: str) -> WebhookReplayOut:
        """`since`: an ISO 8601 time; every subscribed event created since then is delivered again."""
        return cast(WebhookReplayOut, self._send(ops.webhooks_replay(endpoint_id, since)))
