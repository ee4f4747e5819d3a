"""`AsyncNuveraClient`: the asyncio twin of `NuveraClient`, with the same methods, signing and retry policy."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, cast

import httpx

from nuvera_client import _operations as ops
from nuvera_client._core import USER_AGENT, Call, FileInput, RetryPolicy, decode, retry_decision
from nuvera_client.client import PrivateKey
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


class AsyncNuveraClient:
    """Async client: `async with AsyncNuveraClient(base_url, api_key, private_key) as nuvera: ...`.

    Signing, retries (GETs and idempotent payment execution only; each attempt signed anew) and errors are those
    of `NuveraClient`.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        private_key: PrivateKey,
        *,
        timeout: float = 30.0,
        retry: RetryPolicy | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            auth=NuveraAuth(api_key, private_key),
            timeout=timeout,
            transport=transport,
            headers={"user-agent": USER_AGENT},
        )
        self.retry = retry or RetryPolicy()
        self._sleep = sleep
        self.crypto = AsyncCrypto(self)
        self.customers = AsyncCustomers(self)
        self.documents = AsyncDocuments(self)
        self.beneficiaries = AsyncBeneficiaries(self)
        self.screening = AsyncScreening(self)
        self.payments = AsyncPayments(self)
        self.support = AsyncSupport(self)
        self.events = AsyncEvents(self)
        self.webhooks = AsyncWebhooks(self)

    async def send(self, call: Call) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._http.request(call.method, call.path, **call.request_kwargs())
            except httpx.TransportError as exc:
                wait = retry_decision(call, self.retry, attempt, None)
                if wait is None:
                    raise NuveraConnectionError(f"{call.method} {call.path}: {exc}") from exc
            else:
                wait = retry_decision(call, self.retry, attempt, response)
                if wait is None:
                    return decode(call, response)
            await self._sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncNuveraClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    def iter_customers(self, *, status: str | None = None, page_size: int | None = None) -> AsyncIterator[CustomerOut]:
        return self.customers.iter(status=status, page_size=page_size)

    def iter_documents(
        self, *, customer_id: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[DocumentOut]:
        return self.documents.iter(customer_id=customer_id, page_size=page_size)

    def iter_beneficiaries(
        self, customer_id: str, *, status: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[BeneficiaryOut]:
        return self.beneficiaries.iter(customer_id, status=status, page_size=page_size)

    def iter_payments(
        self, *, status: str | None = None, customer_id: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[PaymentOut]:
        return self.payments.iter(status=status, customer_id=customer_id, page_size=page_size)

    def iter_tickets(self, *, status: str | None = None, page_size: int | None = None) -> AsyncIterator[TicketOut]:
        return self.support.iter_tickets(status=status, page_size=page_size)


async def _pages(fetch: Callable[[str | None], Awaitable[Any]]) -> AsyncIterator[Any]:
    cursor: str | None = None
    while True:
        page = await fetch(cursor)
        for item in page["items"]:
            yield item
        cursor = page.get("nextCursor")
        if not page.get("hasMore") or not cursor:
            return


class _Resource:
    def __init__(self, client: AsyncNuveraClient) -> None:
        self._client = client

    async def _send(self, call: Call) -> Any:
        return await self._client.send(call)


class AsyncCrypto(_Resource):
    async def list_assets(self, *, cursor: str | None = None, limit: int | None = None) -> CryptoAssetList:
        return cast(CryptoAssetList, await self._send(ops.crypto_list_assets(cursor, limit)))

    def iter_assets(self, *, page_size: int | None = None) -> AsyncIterator[CryptoAssetOut]:
        return _pages(lambda cursor: self.list_assets(cursor=cursor, limit=page_size))

    async def get_asset(self, code: str) -> CryptoAssetOut:
        return cast(CryptoAssetOut, await self._send(ops.crypto_get_asset(code)))

    async def list_networks(self, *, cursor: str | None = None, limit: int | None = None) -> CryptoNetworkList:
        return cast(CryptoNetworkList, await self._send(ops.crypto_list_networks(cursor, limit)))

    def iter_networks(self, *, page_size: int | None = None) -> AsyncIterator[CryptoNetworkOut]:
        return _pages(lambda cursor: self.list_networks(cursor=cursor, limit=page_size))


class AsyncCustomers(_Resource):
    async def list(
        self, *, status: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> CustomerList:
        return cast(CustomerList, await self._send(ops.customers_list(status, cursor, limit)))

    def iter(self, *, status: str | None = None, page_size: int | None = None) -> AsyncIterator[CustomerOut]:
        return _pages(lambda cursor: self.list(status=status, cursor=cursor, limit=page_size))

    async def create(self, body: CustomerCreate, *, draft: bool = False) -> CustomerOut:
        return cast(CustomerOut, await self._send(ops.customers_create(body, draft)))

    async def get(self, customer_id: str) -> CustomerOut:
        return cast(CustomerOut, await self._send(ops.customers_get(customer_id)))

    async def update(self, customer_id: str, body: CustomerPatch) -> CustomerOut:
        return cast(CustomerOut, await self._send(ops.customers_update(customer_id, body)))

    async def submit(self, customer_id: str) -> CustomerOut:
        return cast(CustomerOut, await self._send(ops.customers_submit(customer_id)))

    async def activity(self, customer_id: str) -> ActivityList:
        return cast(ActivityList, await self._send(ops.customers_activity(customer_id)))


class AsyncDocuments(_Resource):
    async def upload(
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
        return cast(DocumentOut, await self._send(call))

    async def list(
        self, *, customer_id: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> DocumentPage:
        return cast(DocumentPage, await self._send(ops.documents_list(customer_id, cursor, limit)))

    def iter(self, *, customer_id: str | None = None, page_size: int | None = None) -> AsyncIterator[DocumentOut]:
        return _pages(lambda cursor: self.list(customer_id=customer_id, cursor=cursor, limit=page_size))

    async def get(self, document_id: str) -> DocumentOut:
        return cast(DocumentOut, await self._send(ops.documents_get(document_id)))

    async def download(self, document_id: str) -> bytes:
        """The document's bytes exactly as uploaded."""
        return cast(bytes, await self._send(ops.documents_download(document_id)))


class AsyncBeneficiaries(_Resource):
    async def list(
        self, customer_id: str, *, status: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> BeneficiaryList:
        return cast(BeneficiaryList, await self._send(ops.beneficiaries_list(customer_id, status, cursor, limit)))

    def iter(
        self, customer_id: str, *, status: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[BeneficiaryOut]:
        return _pages(lambda cursor: self.list(customer_id, status=status, cursor=cursor, limit=page_size))

    async def create(self, customer_id: str, body: BeneficiaryCreate) -> BeneficiaryOut:
        return cast(BeneficiaryOut, await self._send(ops.beneficiaries_create(customer_id, body)))

    async def get(self, customer_id: str, beneficiary_id: str) -> BeneficiaryOut:
        return cast(BeneficiaryOut, await self._send(ops.beneficiaries_get(customer_id, beneficiary_id)))

    async def update(self, customer_id: str, beneficiary_id: str, body: BeneficiaryPatch) -> BeneficiaryOut:
        return cast(BeneficiaryOut, await self._send(ops.beneficiaries_update(customer_id, beneficiary_id, body)))

    async def activity(self, customer_id: str, beneficiary_id: str) -> ActivityList:
        return cast(ActivityList, await self._send(ops.beneficiaries_activity(customer_id, beneficiary_id)))


class AsyncScreening(_Resource):
    async def customer(self, customer_id: str) -> ScreeningDetailOut:
        return cast(ScreeningDetailOut, await self._send(ops.screening_customer(customer_id)))

    async def beneficiary(self, customer_id: str, beneficiary_id: str) -> ScreeningDetailOut:
        return cast(ScreeningDetailOut, await self._send(ops.screening_beneficiary(customer_id, beneficiary_id)))


class AsyncPayments(_Resource):
    async def create_quote(self, body: QuoteCreate) -> QuoteOut:
        return cast(QuoteOut, await self._send(ops.payments_create_quote(body)))

    async def get_quote(self, quote_id: str) -> QuoteOut:
        return cast(QuoteOut, await self._send(ops.payments_get_quote(quote_id)))

    async def execute(self, quote_id: str, reference: str, *, idempotency_key: str | None = None) -> PaymentOut:
        """Execute a quote. Pass your own `idempotency_key` (e.g. your payment's id) to make a retry after a crash
        safe too; without one a UUID is generated and reused for this call's retries."""
        return cast(PaymentOut, await self._send(ops.payments_execute(quote_id, reference, idempotency_key)))

    async def list(
        self,
        *,
        status: str | None = None,
        customer_id: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> PaymentList:
        return cast(PaymentList, await self._send(ops.payments_list(status, customer_id, cursor, limit)))

    def iter(
        self, *, status: str | None = None, customer_id: str | None = None, page_size: int | None = None
    ) -> AsyncIterator[PaymentOut]:
        return _pages(lambda cursor: self.list(status=status, customer_id=customer_id, cursor=cursor, limit=page_size))

    async def get(self, payment_id: str) -> PaymentOut:
        return cast(PaymentOut, await self._send(ops.payments_get(payment_id)))

    async def cancel(self, payment_id: str) -> PaymentOut:
        return cast(PaymentOut, await self._send(ops.payments_cancel(payment_id)))


class AsyncSupport(_Resource):
    async def list_tickets(
        self, *, status: str | None = None, cursor: str | None = None, limit: int | None = None
    ) -> TicketList:
        return cast(TicketList, await self._send(ops.support_list(status, cursor, limit)))

    def iter_tickets(self, *, status: str | None = None, page_size: int | None = None) -> AsyncIterator[TicketOut]:
        return _pages(lambda cursor: self.list_tickets(status=status, cursor=cursor, limit=page_size))

    async def create_ticket(self, body: TicketCreate) -> TicketDetail:
        return cast(TicketDetail, await self._send(ops.support_create(body)))

    async def get_ticket(self, ticket_id: str) -> TicketDetail:
        return cast(TicketDetail, await self._send(ops.support_get(ticket_id)))

    async def reply(self, ticket_id: str, body: str) -> TicketDetail:
        return cast(TicketDetail, await self._send(ops.support_reply(ticket_id, body)))

    async def close_ticket(self, ticket_id: str) -> TicketDetail:
        return cast(TicketDetail, await self._send(ops.support_close(ticket_id)))


class AsyncEvents(_Resource):
    """What changed in your organization, newest first (`EVENTS_READ`); as `NuveraClient.events`."""

    async def list(
        self,
        *,
        types: str | Sequence[str] | None = None,
        created_from: str | datetime | None = None,
        created_before: str | datetime | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> EventList:
        return cast(EventList, await self._send(ops.events_list(types, created_from, created_before, cursor, limit)))

    def iter(
        self,
        *,
        types: str | Sequence[str] | None = None,
        created_from: str | datetime | None = None,
        created_before: str | datetime | None = None,
        page_size: int | None = None,
    ) -> AsyncIterator[EventOut]:
        return _pages(
            lambda cursor: self.list(
                types=types, created_from=created_from, created_before=created_before, cursor=cursor, limit=page_size
            )
        )

    async def get(self, event_id: str) -> EventOut:
        return cast(EventOut, await self._send(ops.events_get(event_id)))


class AsyncWebhooks(_Resource):
    """Webhook endpoints. Verify what they receive with `nuvera_client.verify_webhook`."""

    async def list_endpoints(self) -> WebhookEndpointList:
        return cast(WebhookEndpointList, await self._send(ops.webhooks_list()))

    async def create_endpoint(self, body: WebhookEndpointCreate) -> WebhookEndpointWithSecret:
        """The response's `secret` is shown only this once: store it."""
        return cast(WebhookEndpointWithSecret, await self._send(ops.webhooks_create(body)))

    async def get_endpoint(self, endpoint_id: str) -> WebhookEndpointOut:
        return cast(WebhookEndpointOut, await self._send(ops.webhooks_get(endpoint_id)))

    async def update_endpoint(self, endpoint_id: str, body: WebhookEndpointUpdate) -> WebhookEndpointOut:
        return cast(WebhookEndpointOut, await self._send(ops.webhooks_update(endpoint_id, body)))

    async def delete_endpoint(self, endpoint_id: str) -> None:
        await self._send(ops.webhooks_delete(endpoint_id))

    async def rotate_secret(self, endpoint_id: str, *, overlap_seconds: int | None = None) -> WebhookEndpointWithSecret:
        return cast(
            WebhookEndpointWithSecret, await self._send(ops.webhooks_rotate_secret(endpoint_id, overlap_seconds))
        )

    async def attempts(self, endpoint_id: str) -> WebhookAttemptList:
        return cast(WebhookAttemptList, await self._send(ops.webhooks_attempts(endpoint_id)))

    async def resend(self, endpoint_id: str, event_id: str) -> WebhookDeliveryOut:
        return cast(WebhookDeliveryOut, await self._send(ops.webhooks_resend(endpoint_id, event_id)))

    async def replay(self, endpoint_id: str, since: str) -> WebhookReplayOut:
        """`since`: an ISO 8601 time; every subscribed event created since then is delivered again."""
        return cast(WebhookReplayOut, await self._send(ops.webhooks_replay(endpoint_id, since)))
