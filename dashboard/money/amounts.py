"""Amounts in integer minor units. The published API shows whole units; we render
them exactly from integers and never go through binary floats in storage or maths."""
from __future__ import annotations

from decimal import Decimal

# ISO 4217 exponents that are not 2 (public: staff search reads an amount in each currency's units).
EXPONENTS = {"JPY": 0, "KRW": 0, "VND": 0, "CLP": 0, "ISK": 0, "HUF": 2, "BHD": 3, "KWD": 3, "JOD": 3, "OMR": 3, "TND": 3}
_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "CAD": "CA$", "AUD": "A$"}


def exponent(currency: str) -> int:
    return EXPONENTS.get(currency.upper(), 2)


def to_major(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-exponent(currency))


def to_minor(major, currency: str) -> int:
    """Whole units (str/int/Decimal) to minor units; refuses fractions finer than the currency."""
    value = Decimal(str(major)).scaleb(exponent(currency))
    if value != value.to_integral_value():
        raise ValueError(f"{major} has more decimals than {currency} allows")
    return int(value)


def format_minor(minor: int, currency: str) -> str:
    major = to_major(minor, currency)
    exp = exponent(currency)
    symbol = _SYMBOLS.get(currency.upper())
    text = f"{major:,.{exp}f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency.upper()}"
