"""FX rates behind a small Protocol; the default is a bundled static table (`rates.json`).

A live provider (a bank feed, a market-data API) implements `RatesProvider` and is installed as
`app.state.fx_rates`; nothing else changes. Rates are exact decimals from end to end: the bundled table stores
them as strings, and loading refuses JSON numbers so that no rate ever passes through a binary float.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any, Protocol

from fastapi import Request

from nuvera.errors import FieldError, validation_error
from nuvera.payments import money

# A cross rate (EUR→JPY = JPY-per-USD / EUR-per-USD) is an infinite fraction in general. It is cut once, to ten
# significant digits with half-even rounding, and that *exact* cut value is both shown in the quote and used for
# the conversion, so a partner can recompute totalTarget = round(amountToConvert × rate) to the minor unit.
RATE_SIGNIFICANT_DIGITS = 10
_CROSS = Context(prec=RATE_SIGNIFICANT_DIGITS, rounding=ROUND_HALF_EVEN)


@dataclass(frozen=True)
class FxRate:
    source: str
    target: str
    rate: Decimal  # target units per one source unit
    provider: str
    version: str


class RatesProvider(Protocol):
    def rate(self, source: str, target: str) -> FxRate:
        """The rate from `source` to `target` (upper-case ISO 4217); `NuveraError` if the pair is not offered."""
        ...


class StaticRateTable:
    """Rates against one base currency; any pair of listed currencies is quoted through the base."""

    def __init__(self, *, provider: str, version: str, base: str, per_base: dict[str, Decimal]) -> None:
        self.provider = provider
        self.version = version
        self.base = base
        self._per_base = per_base

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StaticRateTable:
        per_base: dict[str, Decimal] = {}
        for code, text in data["rates"].items():
            if not isinstance(text, str):
                raise ValueError(f"rate for {code} must be a decimal string, not {type(text).__name__}")
            money.currency(code, field="rates")  # a real ISO 4217 payment currency
            try:
                value = Decimal(text)
            except InvalidOperation:
                raise ValueError(f"rate for {code} is not a decimal: {text!r}") from None
            if not value.is_finite() or value <= 0:
                raise ValueError(f"rate for {code} must be positive")
            per_base[code.upper()] = value
        base = str(data["base"]).upper()
        if per_base.get(base) != Decimal(1):
            raise ValueError(f"the base currency {base} must have rate 1")
        return cls(provider=str(data["provider"]), version=str(data["version"]), base=base, per_base=per_base)

    @property
    def currencies(self) -> list[str]:
        return sorted(self._per_base)

    def rate(self, source: str, target: str) -> FxRate:
        missing = [
            FieldError(field, f"{code} is not offered; supported: {', '.join(self.currencies)}")
            for field, code in (("paymentCurrencyCode", source), ("targetCurrencyCode", target))
            if code not in self._per_base
        ]
        if missing:
            raise validation_error(missing)
        value = Decimal(1) if source == target else _CROSS.divide(self._per_base[target], self._per_base[source])
        return FxRate(source=source, target=target, rate=value, provider=self.provider, version=self.version)


@cache
def bundled_table() -> StaticRateTable:
    text = resources.files("nuvera.payments").joinpath("rates.json").read_text()
    return StaticRateTable.from_json(json.loads(text))


def get_rates(request: Request) -> RatesProvider:
    """FastAPI dependency: the provider installed on the app, else the bundled table."""
    provider: RatesProvider | None = getattr(request.app.state, "fx_rates", None)
    return provider or bundled_table()
