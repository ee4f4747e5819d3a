"""Every REST operation as a `Call` builder, shared by the sync and the async client.

Each builder names its OpenAPI `operationId`, so a test can prove the SDK covers every operation the server has.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from nuvera_client._core import Call, FileInput, query, read_upload, segment

CRYPTO = "/api/v1/crypto"
CUSTOMERS = "/api/v1/customers"
DOCUMENTS = "/api/v1/documents"
PAYMENT = "/api/v1/payment"
TICKETS = "/api/v1/support/tickets"
EVENTS = "/api/v1/events"


def _get(operation_id: str, path: str, params: tuple[tuple[str, str], ...] = (), *, raw: bool = False) -> Call:
    return Call(operation_id, "GET", path, params=params, retry_safe=True, raw=raw)


def _send(operation_id: str, method: str, path: str, body: Any = None, *, has_body: bool = True, **extra: Any) -> Call:
    return Call(operation_id, method, path, json_body=body, has_json_body=has_body, **extra)


# Crypto reference data
def crypto_list_assets(cursor: str | None, limit: int | None) -> Call:
    return _get("CryptoController_listAssets", f"{CRYPTO}/assets", query(cursor=cursor, limit=limit))


def crypto_get_asset(code: str) -> Call:
    return _get("CryptoController_getAsset", f"{CRYPTO}/assets/{segment(code)}")


def crypto_list_networks(cursor: str | None, limit: int | None) -> Call:
    return _get("CryptoController_listNetworks", f"{CRYPTO}/networks", query(cursor=cursor, limit=limit))


# Customers
def customers_list(status: str | None, cursor: str | None, limit: int | None) -> Call:
    return _get("CustomerController_list", CUSTOMERS, query(status=status, cursor=cursor, limit=limit))


def customers_create(body: Mapping[str, Any], draft: bool) -> Call:
    params = query(draft=True) if draft else ()
    return _send("CustomerController_create", "POST", CUSTOMERS, dict(body), params=params)


def customers_get(customer_id: str) -> Call:
    return _get("CustomerController_get", f"{CUSTOMERS}/{segment(customer_id)}")


def customers_update(customer_id: str, body: Mapping[str, Any]) -> Call:
    return _send("CustomerController_update", "PATCH", f"{CUSTOMERS}/{segment(customer_id)}", dict(body))


def customers_submit(customer_id: str) -> Call:
    return _send("CustomerController_submit", "POST", f"{CUSTOMERS}/{segment(customer_id)}/submit", has_body=False)


def customers_activity(customer_id: str) -> Call:
    return _get("CustomerController_activity", f"{CUSTOMERS}/{segment(customer_id)}/activity")


# Documents
def documents_upload(
    file: FileInput, document_type: str, customer_id: str | None, file_name: str | None, content_type: str | None
) -> Call:
    form = [("documentType", document_type)]
    if customer_id is not None:
        form.append(("customerId", customer_id))
    upload = read_upload(file, file_name, content_type)
    return Call("DocumentController_create", "POST", DOCUMENTS, form=tuple(form), upload=upload)


def documents_list(customer_id: str | None, cursor: str | None, limit: int | None) -> Call:
    return _get("DocumentController_list", DOCUMENTS, query(customerId=customer_id, cursor=cursor, limit=limit))


def documents_get(document_id: str) -> Call:
    return _get("DocumentController_get", f"{DOCUMENTS}/{segment(document_id)}")


def documents_download(document_id: str) -> Call:
    return _get("DocumentController_getContent", f"{DOCUMENTS}/{segment(document_id)}/content", raw=True)


# Beneficiaries
def _beneficiaries(customer_id: str) -> str:
    return f"{CUSTOMERS}/{segment(customer_id)}/beneficiaries"


def beneficiaries_list(customer_id: str, status: str | None, cursor: str | None, limit: int | None) -> Call:
    return _get(
        "BeneficiaryController_list", _beneficiaries(customer_id), query(status=status, cursor=cursor, limit=limit)
    )


def beneficiaries_create(customer_id: str, body: Mapping[str, Any]) -> Call:
    return _send("BeneficiaryController_create", "POST", _beneficiaries(customer_id), dict(body))


def beneficiaries_get(customer_id: str, beneficiary_id: str) -> Call:
    return _get("BeneficiaryController_get", f"{_beneficiaries(customer_id)}/{segment(beneficiary_id)}")


def beneficiaries_update(customer_id: str, beneficiary_id: str, body: Mapping[str, Any]) -> Call:
    path = f"{_beneficiaries(customer_id)}/{segment(beneficiary_id)}"
    return _send("BeneficiaryController_update", "PATCH", path, dict(body))


def beneficiaries_activity(customer_id: str, beneficiary_id: str) -> Call:
    return _get("BeneficiaryController_activity", f"{_beneficiaries(customer_id)}/{segment(beneficiary_id)}/activity")


# Screening (read only)
def screening_customer(customer_id: str) -> Call:
    return _get("ScreeningController_getCustomerScreening", f"{CUSTOMERS}/{segment(customer_id)}/screening")


def screening_beneficiary(customer_id: str, beneficiary_id: str) -> Call:
    path = f"{_beneficiaries(customer_id)}/{segment(beneficiary_id)}/screening"
    return _get("ScreeningController_getBeneficiaryScreening", path)


# Payments
def payments_create_quote(body: Mapping[str, Any]) -> Call:
    return _send("PaymentController_createQuote", "POST", f"{PAYMENT}/quote", dict(body))


def payments_get_quote(quote_id: str) -> Call:
    return _get("PaymentController_getQuote", f"{PAYMENT}/quote/{segment(quote_id)}")


def payments_execute(quote_id: str, reference: str, idempotency_key: str | None) -> Call:
    # One key for the whole call, retries included: the server replays the first outcome instead of paying twice.
    key = idempotency_key or str(uuid.uuid4())
    return _send(
        "PaymentController_create",
        "POST",
        PAYMENT,
        {"quoteId": quote_id, "reference": reference},
        headers=(("Idempotency-Key", key),),
        retry_safe=True,
    )


def payments_list(status: str | None, customer_id: str | None, cursor: str | None, limit: int | None) -> Call:
    return _get(
        "PaymentController_list", PAYMENT, query(status=status, customerId=customer_id, cursor=cursor, limit=limit)
    )


def payments_get(payment_id: str) -> Call:
    return _get("PaymentController_get", f"{PAYMENT}/{segment(payment_id)}")


def payments_cancel(payment_id: str) -> Call:
    return _send("PaymentController_cancel", "POST", f"{PAYMENT}/{segment(payment_id)}/cancel", has_body=False)


# Support
def support_list(status: str | None, cursor: str | None, limit: int | None) -> Call:
    return _get("SupportController_list", TICKETS, query(status=status, cursor=cursor, limit=limit))


def support_create(body: Mapping[str, Any]) -> Call:
    return _send("SupportController_create", "POST", TICKETS, dict(body))


def support_get(ticket_id: str) -> Call:
    return _get("SupportController_get", f"{TICKETS}/{segment(ticket_id)}")


def support_reply(ticket_id: str, body: str) -> Call:
    return _send("SupportController_reply", "POST", f"{TICKETS}/{segment(ticket_id)}/messages", {"body": body})


def support_close(ticket_id: str) -> Call:
    return _send("SupportController_close", "POST", f"{TICKETS}/{segment(ticket_id)}/close", has_body=False)


# Events
def events_list(
    types: str | Sequence[str] | None,
    created_from: str | datetime | None,
    created_before: str | datetime | None,
    cursor: str | None,
    limit: int | None,
) -> Call:
    # `type` repeats, once per wanted type (`?type=a&type=b`).
    wanted = [types] if isinstance(types, str) else list(types or ())
    params = (
        *(("type", name) for name in wanted),
        *query(createdFrom=_time(created_from), createdBefore=_time(created_before), cursor=cursor, limit=limit),
    )
    return _get("EventController_list", EVENTS, params)


def events_get(event_id: str) -> Call:
    return _get("EventController_get", f"{EVENTS}/{segment(event_id)}")


def _time(value: str | datetime | None) -> str | None:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("give an aware datetime (with a time zone); the server refuses naive times")
        return value.isoformat()
    return value


# Webhook endpoints
WEBHOOKS = "/api/v1/webhook-endpoints"


def webhooks_list() -> Call:
    return _get("WebhookEndpointController_list", WEBHOOKS)


def webhooks_create(body: Mapping[str, Any]) -> Call:
    return _send("WebhookEndpointController_create", "POST", WEBHOOKS, dict(body))


def webhooks_get(endpoint_id: str) -> Call:
    return _get("WebhookEndpointController_get", f"{WEBHOOKS}/{segment(endpoint_id)}")


def webhooks_update(endpoint_id: str, body: Mapping[str, Any]) -> Call:
    return _send("WebhookEndpointController_update", "PATCH", f"{WEBHOOKS}/{segment(endpoint_id)}", dict(body))


def webhooks_delete(endpoint_id: str) -> Call:
    return _send(
        "WebhookEndpointController_delete", "DELETE", f"{WEBHOOKS}/{segment(endpoint_id)}", has_body=False, raw=True
    )


def webhooks_rotate_secret(endpoint_id: str, overlap_seconds: int | None) -> Call:
    body = {} if overlap_seconds is None else {"overlapSeconds": overlap_seconds}
    path = f"{WEBHOOKS}/{segment(endpoint_id)}/rotate-secret"
    return _send("WebhookEndpointController_rotateSecret", "POST", path, body)


def webhooks_attempts(endpoint_id: str) -> Call:
    return _get("WebhookEndpointController_attempts", f"{WEBHOOKS}/{segment(endpoint_id)}/attempts")


def webhooks_resend(endpoint_id: str, event_id: str) -> Call:
    path = f"{WEBHOOKS}/{segment(endpoint_id)}/resend"
    return _send("WebhookEndpointController_resend", "POST", path, {"eventId": event_id})


def webhooks_replay(endpoint_id: str, since: str) -> Call:
    path = f"{WEBHOOKS}/{segment(endpoint_id)}/replay"
    return _send("WebhookEndpointController_replay", "POST", path, {"since": since})


# operationId → the SDK method that calls it (documentation, and the coverage test's checklist).
OPERATIONS: dict[str, str] = {
    "CryptoController_listAssets": "crypto.list_assets",
    "CryptoController_getAsset": "crypto.get_asset",
    "CryptoController_listNetworks": "crypto.list_networks",
    "CustomerController_list": "customers.list",
    "CustomerController_create": "customers.create",
    "CustomerController_get": "customers.get",
    "CustomerController_update": "customers.update",
    "CustomerController_submit": "customers.submit",
    "CustomerController_activity": "customers.activity",
    "DocumentController_create": "documents.upload",
    "DocumentController_list": "documents.list",
    "DocumentController_get": "documents.get",
    "DocumentController_getContent": "documents.download",
    "BeneficiaryController_list": "beneficiaries.list",
    "BeneficiaryController_create": "beneficiaries.create",
    "BeneficiaryController_get": "beneficiaries.get",
    "BeneficiaryController_update": "beneficiaries.update",
    "BeneficiaryController_activity": "beneficiaries.activity",
    "ScreeningController_getCustomerScreening": "screening.customer",
    "ScreeningController_getBeneficiaryScreening": "screening.beneficiary",
    "PaymentController_createQuote": "payments.create_quote",
    "PaymentController_getQuote": "payments.get_quote",
    "PaymentController_create": "payments.execute",
    "PaymentController_list": "payments.list",
    "PaymentController_get": "payments.get",
    "PaymentController_cancel": "payments.cancel",
    "SupportController_list": "support.list_tickets",
    "SupportController_create": "support.create_ticket",
    "SupportController_get": "support.get_ticket",
    "SupportController_reply": "support.reply",
    "SupportController_close": "support.close_ticket",
    "EventController_list": "events.list",
    "EventController_get": "events.get",
    "WebhookEndpointController_list": "webhooks.list_endpoints",
    "WebhookEndpointController_create": "webhooks.create_endpoint",
    "WebhookEndpointController_get": "webhooks.get_endpoint",
    "WebhookEndpointController_update": "webhooks.update_endpoint",
    "WebhookEndpointController_delete": "webhooks.delete_endpoint",
    "WebhookEndpointController_rotateSecret": "webhooks.rotate_secret",
    "WebhookEndpointController_attempts": "webhooks.attempts",
    "WebhookEndpointController_resend": "webhooks.resend",
    "WebhookEndpointController_replay": "webhooks.replay",
}
