"""Exact money arithmetic: `Decimal` end to end, each currency quantised to its ISO 4217 minor units.

No float ever touches an amount. Amounts enter as decimal *strings* (JSON numbers are refused at the schema),
are parsed with `Decimal(str)`, combined in a context wide enough that additions and multiplications are exact,
and are rounded exactly once, at a documented point, with a documented rule:

- **FX conversion → ROUND_HALF_EVEN** (banker's rounding). The beneficiary's amount is the one rounding that
  moves value between the customer and the beneficiary; half-even has no systematic bias in either direction
  over many payments, which is what regulators and reconciliation expect.
- **Fees → ROUND_UP** (away from zero, i.e. to the next minor unit). A fee computed as 0.375 USD is charged as
  0.38 USD: Nuvera never collects less than its published price because of a sub-cent fraction, and the customer
  sees the rounded fee itemised in the quote, so nothing is hidden.
- **Client-supplied amounts are never rounded**: "10.005" USD is refused (3 places for a 2-place currency)
  instead of being silently changed into a different payment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

from iso4217 import Currency

from nuvera.errors import FieldError, validation_error

# Wide enough that every sum and product of amounts below MAX_AMOUNT and rates of RATE_SIGNIFICANT_DIGITS digits
# is exact; `Inexact` is trapped so that an accidental rounding raises instead of losing a cent.
EXACT = Context(prec=60, traps=[Inexact, InvalidOperation, Overflow, DivisionByZero])
# Quantisation rounds on purpose (with an explicit rule per call), so it runs in a context that does not trap it.
_ROUNDING = Context(prec=60, traps=[InvalidOperation, Overflow, DivisionByZero])

# Plain fixed-point decimal: digits, optional fraction. No sign, exponent, spaces, NaN or Infinity.
_AMOUNT = re.compile(r"(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,6})?")
# The same, minus the zero amounts `parse_amount` refuses, as the OpenAPI document states it (ECMA-262, anchored,
# no lookaround so that schema-driven generators can produce it): 1 to 15 integer digits without a leading zero
# and up to 6 decimals, or 0.x with at least one non-zero decimal among its at most 6.
POSITIVE_AMOUNT_PATTERN = (
    r"^(?:[1-9][0-9]{0,14}(?:\.[0-9]{1,6})?"
    r"|0\.(?:[1-9][0-9]{0,5}|0[1-9][0-9]{0,4}|00[1-9][0-9]{0,3}|000[1-9][0-9]{0,2}|0000[1-9][0-9]?|00000[1-9]))$"
)
# 10^15 minor-unit-free units covers any real payment in any currency while keeping arithmetic bounded.
MAX_AMOUNT = Decimal("999999999999999")


def currency(code: str, *, field: str) -> Currency:
    """An ISO 4217 currency that can carry a payment (has minor units; not a fund, metal or test code)."""
    try:
        found = Currency(code.upper()) if isinstance(code, str) and len(code) == 3 else None
    except ValueError:
        found = None
    if found is None or found.exponent is None:
        raise validation_error([FieldError(field, f"{code!r} is not an ISO 4217 payment currency code")])
    return found


def minor_units(code: str) -> int:
    """Digits after the decimal point for a currency, from the ISO 4217 table (JPY 0, USD 2, BHD/KWD 3)."""
    exponent = currency(code, field="currency").exponent
    assert exponent is not None  # guaranteed by currency()
    return exponent


def _unit(code: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(code))


def parse_amount(value: object, code: str, *, field: str) -> Decimal:
    """A positive amount as the client wrote it, refusing anything that is not exact in `code`'s minor units."""
    if not isinstance(value, str):
        # JSON numbers are parsed as binary floats by any JSON library before we see them: 0.1 is already wrong.
        raise validation_error([FieldError(field, 'must be a decimal string such as "10.50", not a JSON number')])
    if not _AMOUNT.fullmatch(value):
        raise validation_error(
            [FieldError(field, 'must be a plain decimal string such as "10.50" (digits, optional fraction)')]
        )
    amount = Decimal(value)
    places = minor_units(code)
    exponent = amount.as_tuple().exponent
    assert isinstance(exponent, int)  # the pattern admits finite numbers only
    if -exponent > places:
        raise validation_error(
            [FieldError(field, f"{code.upper()} has {places} decimal places; {value!r} has more (it is not rounded)")]
        )
    if amount <= 0:
        raise validation_error([FieldError(field, "must be greater than zero")])
    if amount > MAX_AMOUNT:
        raise validation_error([FieldError(field, f"must be at most {MAX_AMOUNT}")])
    return amount.quantize(_unit(code), context=EXACT)


def round_half_even(amount: Decimal, code: str) -> Decimal:
    return amount.quantize(_unit(code), rounding=ROUND_HALF_EVEN, context=_ROUNDING)


def round_fee(amount: Decimal, code: str) -> Decimal:
    """Fees round to the next minor unit, in Nuvera's favour (see module docstring)."""
    return amount.quantize(_unit(code), rounding=ROUND_UP, context=_ROUNDING)


def fmt(amount: Decimal, code: str) -> str:
    """The JSON string for an amount: fixed point with exactly the currency's minor units ("5.00", "700", "1.250")."""
    return f"{amount.quantize(_unit(code), context=EXACT):f}"


@dataclass(frozen=True)
class Fee:
    label: str
    kind: str  # FIXED | PERCENT
    amount: Decimal


@dataclass(frozen=True)
class Pricing:
    """Everything a quote states, computed once; each field is exact in its currency's minor units."""

    payment_amount: Decimal
    payment_currency: str
    target_currency: str
    rate: Decimal
    fees: tuple[Fee, ...]
    total_fees: Decimal
    amount_to_convert: Decimal
    total_target: Decimal


@dataclass(frozen=True)
class FeeSchedule:
    """Nuvera's price list. The fixed fee is set in USD and charged in the payment currency at the quoted rate."""

    fixed_fee_usd: Decimal = Decimal("2.00")
    # Charged only when the payment converts currency; the FX rate itself is the mid-market rate, shown as is.
    fx_fee_rate: Decimal = Decimal("0.005")

    def fx_fee_label(self) -> str:
        percent = (self.fx_fee_rate * 100).normalize()
        return f"FX fee ({percent:f}%)"


def price(
    *,
    payment_amount: Decimal,
    payment_currency: str,
    target_currency: str,
    rate: Decimal,
    usd_to_payment_rate: Decimal,
    schedule: FeeSchedule,
    field: str = "paymentAmount",
) -> Pricing:
    """Price a payment: fees come out of `payment_amount`, the rest converts at `rate` into the target currency.

    `rate` converts one unit of the payment currency into the target currency; `usd_to_payment_rate` converts the
    USD-denominated fixed fee. Both are exact decimals from the rates provider.
    """
    source, target = payment_currency.upper(), target_currency.upper()
    fees = [
        Fee("Transfer fee", "FIXED", round_fee(EXACT.multiply(schedule.fixed_fee_usd, usd_to_payment_rate), source))
    ]
    if source != target:
        fees.append(
            Fee(
                schedule.fx_fee_label(),
                "PERCENT",
                round_fee(EXACT.multiply(payment_amount, schedule.fx_fee_rate), source),
            )
        )
    total_fees = Decimal(0)
    for fee in fees:
        total_fees = EXACT.add(total_fees, fee.amount)
    amount_to_convert = EXACT.subtract(payment_amount, total_fees)
    if amount_to_convert <= 0:
        raise validation_error([FieldError(field, f"must be more than the fees of {fmt(total_fees, source)} {source}")])
    total_target = round_half_even(EXACT.multiply(amount_to_convert, rate), target)
    if total_target <= 0:
        raise validation_error([FieldError(field, f"is too small to pay out any {target}")])
    return Pricing(
        payment_amount=payment_amount,
        payment_currency=source,
        target_currency=target,
        rate=rate,
        fees=tuple(fees),
        total_fees=total_fees,
        amount_to_convert=amount_to_convert,
        total_target=total_target,
    )
