from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BeforeValidator, Field, StringConstraints

from nuvera.payments import money
from nuvera.payments.models import Payment, PaymentQuote, PaymentStatus
from nuvera.schemas import CamelModel, ListOut, refuse_json_numbers

# The rules are checked by `money.parse_amount` (its messages name the rule broken); the pattern publishes the
# part a JSON Schema can state, the description the part that depends on the currency.
_AMOUNT_FORMAT = (
    'A decimal amount greater than zero as a string, e.g. "1250.00": at most 15 integer digits (up to '
    "999999999999999) and at most the currency's minor units as decimals (JPY 0, USD 2, BHD 3; a longer fraction "
    "is refused, never rounded). JSON numbers are refused."
)
DecimalString = Annotated[
    str,
    BeforeValidator(refuse_json_numbers),
    Field(
        description=_AMOUNT_FORMAT,
        examples=["1250.00"],
        json_schema_extra={"pattern": money.POSITIVE_AMOUNT_PATTERN},
    ),
]
_FEES = money.FeeSchedule()
# The document lists the codes the server's rates provider offers (`enum`, added by nuvera.openapi); lower case is
# accepted too.
CurrencyCode = Annotated[
    str,
    Field(
        min_length=3,
        max_length=3,
        description="ISO 4217 code of a currency offered for payments (the listed ones); others are refused with "
        "422 naming the field",
        examples=["USD"],
    ),
]
# Text a person reads: no control characters, and something other than spaces (it is trimmed before it is stored).
_VISIBLE_TEXT = (
    r"^[^\x00-\x1f\x7f]*[^\x00-\x20\x7f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000][^\x00-\x1f\x7f]*$"
)


class QuoteCreate(CamelModel):
    customer_id: str = Field(
        min_length=1,
        max_length=40,
        description="An APPROVED customer of yours (an unknown id: 422 naming it; not approved: 409)",
    )
    beneficiary_id: str = Field(
        min_length=1,
        max_length=40,
        description="An APPROVED beneficiary of that customer, not on payment hold (an unknown id: 422 naming it; "
        "not approved or on hold: 409)",
    )
    payment_amount: DecimalString = Field(
        description=f"What the customer pays in `paymentCurrencyCode`, fees included. {_AMOUNT_FORMAT} It must be "
        f"more than the fees (a fixed {_FEES.fixed_fee_usd} USD in that currency, plus the {_FEES.fx_fee_label()} "
        "when the currencies differ) and leave at least one minor unit of `targetCurrencyCode` to pay out; "
        "otherwise 422 naming it."
    )
    payment_currency_code: CurrencyCode
    target_currency_code: CurrencyCode = Field(
        description="The beneficiary account's currency (its `currencyCode`); another one is refused with 422"
    )


class MoneyOut(CamelModel):
    amount: str
    currency_code: str


class PayoutOut(CamelModel):
    label: str = Field(examples=["Beneficiary receives"])
    amount: str
    currency_code: str


class FxRateOut(CamelModel):
    rate: str = Field(description="Target units per one payment-currency unit, exactly as used for the conversion")
    source_currency_code: str
    target_currency_code: str
    provider: str
    version: str


class FeeOut(CamelModel):
    label: str
    type: str = Field(description="FIXED or PERCENT")
    amount: str
    currency_code: str


class PriceBreakdown(CamelModel):
    payout: PayoutOut
    fx_rate: FxRateOut
    fees: list[FeeOut]
    total_fees: MoneyOut
    amount_to_convert: MoneyOut = Field(description="paymentAmount minus totalFees, converted at fxRate.rate")


class QuoteOut(CamelModel):
    id: str
    customer_id: str
    beneficiary_id: str
    payment_amount: str
    payment_currency_code: str
    total_target: str
    target_currency_code: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    payment_id: str | None = Field(description="The payment that used this quote")
    price_breakdown: PriceBreakdown | None = Field(
        description="How the amount is made up; nullable as in the published reference (every quote made here has one)"
    )

    @classmethod
    def of(cls, quote: PaymentQuote) -> QuoteOut:
        source, target = quote.payment_currency, quote.target_currency
        return cls(
            id=quote.id,
            customer_id=quote.customer_id,
            beneficiary_id=quote.beneficiary_id,
            payment_amount=money.fmt(quote.payment_amount, source),
            payment_currency_code=source,
            total_target=money.fmt(quote.total_target, target),
            target_currency_code=target,
            created_at=quote.created_at,
            expires_at=quote.expires_at,
            used_at=quote.used_at,
            payment_id=quote.payment_id,
            price_breakdown=PriceBreakdown(
                payout=PayoutOut(
                    label="Beneficiary receives", amount=money.fmt(quote.total_target, target), currency_code=target
                ),
                fx_rate=FxRateOut(
                    rate=quote.fx_rate,
                    source_currency_code=source,
                    target_currency_code=target,
                    provider=quote.rate_provider,
                    version=quote.rate_version,
                ),
                fees=[
                    FeeOut(label=f["label"], type=f["type"], amount=f["amount"], currency_code=source)
                    for f in quote.fees
                ],
                total_fees=MoneyOut(amount=money.fmt(quote.total_fees, source), currency_code=source),
                amount_to_convert=MoneyOut(amount=money.fmt(quote.amount_to_convert, source), currency_code=source),
            ),
        )


class PaymentExecute(CamelModel):
    quote_id: str = Field(min_length=1, max_length=40, description="A quote of yours, unused and not expired")
    reference: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=140, pattern=_VISIBLE_TEXT)
    ] = Field(
        description="Shown to the beneficiary (remittance information), 1–140 characters after trimming spaces, no "
        "control characters; e.g. an invoice number"
    )


class StatusChangeOut(CamelModel):
    status: PaymentStatus
    at: datetime
    reason: str | None


class PaymentOut(CamelModel):
    id: str
    quote_id: str
    customer_id: str
    beneficiary_id: str
    reference: str
    status: PaymentStatus
    payment_amount: str
    payment_currency_code: str
    total_target: str
    target_currency_code: str
    fx_rate: str
    total_fees: str = Field(description="In the payment currency")
    failure_reason: str | None
    status_history: list[StatusChangeOut] = Field(description="Every status reached, oldest first, with its time")
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, payment: Payment) -> PaymentOut:
        source, target = payment.payment_currency, payment.target_currency
        return cls(
            id=payment.id,
            quote_id=payment.quote_id,
            customer_id=payment.customer_id,
            beneficiary_id=payment.beneficiary_id,
            reference=payment.reference,
            status=payment.status,
            payment_amount=money.fmt(payment.payment_amount, source),
            payment_currency_code=source,
            total_target=money.fmt(payment.total_target, target),
            target_currency_code=target,
            fx_rate=payment.fx_rate,
            total_fees=money.fmt(payment.total_fees, source),
            failure_reason=payment.failure_reason,
            status_history=[
                StatusChangeOut(status=e.status, at=e.created_at, reason=e.reason) for e in payment.history
            ],
            created_at=payment.created_at,
            updated_at=payment.updated_at,
        )


class PaymentList(ListOut[PaymentOut]):
    pass
