"""Money arithmetic without HTTP: exact decimals, ISO 4217 minor units, the documented rounding rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from nuvera.errors import NuveraError
from nuvera.payments import money
from nuvera.payments.rates import StaticRateTable, bundled_table


def quote(amount: str, source: str, target: str) -> money.Pricing:
    table = bundled_table()
    return money.price(
        payment_amount=money.parse_amount(amount, source, field="paymentAmount"),
        payment_currency=source,
        target_currency=target,
        rate=table.rate(source, target).rate,
        usd_to_payment_rate=table.rate("USD", source).rate,
        schedule=money.FeeSchedule(),
    )


def test_minor_units_come_from_iso_4217() -> None:
    assert [money.minor_units(c) for c in ("JPY", "KRW", "USD", "EUR", "BHD", "KWD", "CLF")] == [0, 0, 2, 2, 3, 3, 4]
    assert money.fmt(Decimal(5), "JPY") == "5"
    assert money.fmt(Decimal(5), "USD") == "5.00"
    assert money.fmt(Decimal(5), "BHD") == "5.000"


def test_point_one_plus_point_two_is_exactly_point_three() -> None:
    # In binary floating point 2.3 - 2.0 == 0.2999999999999998 and 0.1 + 0.2 == 0.30000000000000004.
    same_currency = quote("2.3", "USD", "USD")  # the fixed fee is exactly 2.00
    assert same_currency.total_target == Decimal("0.30")
    assert money.fmt(same_currency.total_target, "USD") == "0.30"
    assert money.parse_amount("0.1", "USD", field="a") + money.parse_amount("0.2", "USD", field="a") == Decimal("0.3")


def test_conversion_rounds_half_even_and_fees_round_up() -> None:
    # 1000.00 USD: fees 2.00 + 0.5 % = 5.00 → 993.00 × 0.9250 = 918.525 → half-even 918.52 (half-up would be .53)
    pricing = quote("1000.00", "USD", "EUR")
    assert [(f.kind, f.amount) for f in pricing.fees] == [("FIXED", Decimal("2.00")), ("PERCENT", Decimal("5.00"))]
    assert pricing.amount_to_convert == Decimal("993.00")
    assert pricing.total_target == Decimal("918.52")
    # 100.10 USD: 0.5 % is 0.5005 → charged as 0.51 (up, in Nuvera's favour); 97.59 × 0.9250 = 90.27075 → 90.27
    small = quote("100.10", "USD", "EUR")
    assert small.total_fees == Decimal("2.51")
    assert small.total_target == Decimal("90.27")


def test_zero_minor_unit_currencies() -> None:
    # To JPY: 97.50 × 157.25 = 15331.875 → 15332 yen, no fraction.
    to_yen = quote("100.00", "USD", "JPY")
    assert money.fmt(to_yen.total_target, "JPY") == "15332"
    # From JPY: the 2.00 USD fee is 314.5 yen → charged 315; 0.5 % of 10000 is 50; 9635 yen convert at the
    # cross rate cut to ten significant digits (0.006359300477) → 61.2718… → 61.27 USD.
    from_yen = quote("10000", "JPY", "USD")
    assert [f.amount for f in from_yen.fees] == [Decimal(315), Decimal(50)]
    assert from_yen.rate == Decimal("0.006359300477")
    assert from_yen.total_target == Decimal("61.27")


def test_three_minor_unit_currencies() -> None:
    # To BHD: 993.00 × 0.3760 = 373.368 — all three places kept.
    assert money.fmt(quote("1000.00", "USD", "BHD").total_target, "BHD") == "373.368"
    # From KWD: fee 2 × 0.3075 = 0.615 KWD; 0.5 % of 100.125 = 0.500625 → 0.501 (up); 99.009 KWD convert.
    from_kwd = quote("100.125", "KWD", "EUR")
    assert [f.amount for f in from_kwd.fees] == [Decimal("0.615"), Decimal("0.501")]
    assert from_kwd.amount_to_convert == Decimal("99.009")
    assert from_kwd.rate == Decimal("3.008130081")
    assert from_kwd.total_target == Decimal("297.83")
    # JPY → KWD: 680 × 0.001955484897 = 1.32972… → 1.330 KWD (three places, even when the last is zero).
    assert money.fmt(quote("1000", "JPY", "KWD").total_target, "KWD") == "1.330"


@pytest.mark.parametrize(
    ("value", "currency", "message"),
    [
        (0.3, "USD", "not a JSON number"),
        (3, "USD", "not a JSON number"),
        ("10.005", "USD", "has more"),
        ("100.5", "JPY", "has more"),
        ("10.1255", "BHD", "has more"),
        ("1e3", "USD", "plain decimal"),
        ("-5.00", "USD", "plain decimal"),
        (" 5.00", "USD", "plain decimal"),
        ("NaN", "USD", "plain decimal"),
        ("Infinity", "USD", "plain decimal"),
        ("0.00", "USD", "greater than zero"),
        ("1_000", "USD", "plain decimal"),
        ("9" * 16, "USD", "plain decimal"),
    ],
)
def test_amounts_are_refused_rather_than_rounded(value: object, currency: str, message: str) -> None:
    with pytest.raises(NuveraError) as refused:
        money.parse_amount(value, currency, field="paymentAmount")
    assert refused.value.code == "validation_error"
    assert refused.value.errors[0].field == "paymentAmount"
    assert message in refused.value.errors[0].message


@pytest.mark.parametrize("code", ["XAU", "XXX", "ABC", "US", "usd1", ""])
def test_only_iso_payment_currencies(code: str) -> None:
    with pytest.raises(NuveraError) as refused:
        money.currency(code, field="paymentCurrencyCode")
    assert refused.value.errors[0].field == "paymentCurrencyCode"


def test_fees_larger_than_the_amount_are_refused() -> None:
    with pytest.raises(NuveraError) as refused:
        quote("2.00", "USD", "USD")
    assert "more than the fees of 2.00 USD" in refused.value.errors[0].message


def test_rate_table_refuses_numbers_and_nonsense() -> None:
    base = {"provider": "t", "version": "1", "base": "USD"}
    with pytest.raises(ValueError, match="decimal string"):
        StaticRateTable.from_json({**base, "rates": {"USD": "1", "EUR": 0.92}})
    with pytest.raises(ValueError, match="positive"):
        StaticRateTable.from_json({**base, "rates": {"USD": "1", "EUR": "-1"}})
    with pytest.raises(ValueError, match="base currency"):
        StaticRateTable.from_json({**base, "rates": {"USD": "1.1"}})
    table = StaticRateTable.from_json({**base, "rates": {"USD": "1", "EUR": "0.5"}})
    assert table.rate("EUR", "USD").rate == Decimal(2)
    with pytest.raises(NuveraError) as unsupported:
        table.rate("USD", "GBP")
    assert unsupported.value.errors[0].field == "targetCurrencyCode"


def test_no_float_reaches_the_bundled_rates() -> None:
    table = bundled_table()
    for code in table.currencies:
        assert isinstance(table.rate("USD", code).rate, Decimal)
