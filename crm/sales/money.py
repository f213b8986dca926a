"""Exact money arithmetic: Decimal all the way, rounded once per line, half up, to the cent.

A line's net amount is quantity × unit price × (1 − discount %), computed exactly and then
rounded; its tax is net × rate %, rounded. A document's totals are the sums of its rounded lines,
never rounded again, so the lines on the page always add up to the total printed under them.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
MAX_MONEY = Decimal("9999999999999999.99")  # what Numeric(18, 2) holds
MAX_QUANTITY = Decimal("9999999999.99")  # Numeric(12, 2)
# Enough digits for the largest quantity times the largest price times a percentage, exactly.
PRECISION = 60


class MoneyError(ValueError):
    """A line whose amount does not fit in a money column."""


def to_decimal(value) -> Decimal:
    """A Decimal from a Decimal, an int or a string; floats are refused (they are not exact).
    :raises MoneyError:"""
    if isinstance(value, float):
        raise TypeError("money is never a float")
    try:
        return value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as error:
        raise MoneyError(str(value)) from error


def round_money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def line_net(quantity, unit_price, discount_percent=0) -> Decimal:
    """quantity × unit price × (1 − discount / 100), rounded once. :raises MoneyError: too large."""
    with localcontext() as context:
        context.prec = PRECISION
        exact = to_decimal(quantity) * to_decimal(unit_price) * (HUNDRED - to_decimal(discount_percent)) / HUNDRED
        net = round_money(exact)
    if abs(net) > MAX_MONEY:
        raise MoneyError(str(net))
    return net


def line_tax(net_amount, tax_rate) -> Decimal:
    """The tax of one line, rounded once."""
    with localcontext() as context:
        context.prec = PRECISION
        tax = round_money(to_decimal(net_amount) * to_decimal(tax_rate) / HUNDRED)
    if abs(tax) > MAX_MONEY:
        raise MoneyError(str(tax))
    return tax


@dataclass(frozen=True)
class Totals:
    net: Decimal
    tax: Decimal

    @property
    def total(self) -> Decimal:
        return self.net + self.tax


def totals(lines: Iterable) -> Totals:
    """The sums of the lines' stored net_amount and tax_amount (a line without tax counts 0).
    :raises MoneyError: a sum too large for a money column."""
    net = tax = Decimal("0.00")
    for line in lines:
        net += line.net_amount
        tax += getattr(line, "tax_amount", None) or Decimal("0.00")
    if net + tax > MAX_MONEY:
        raise MoneyError(str(net + tax))
    return Totals(net, tax)


def money(value, currency: str | None = None) -> str:
    """A Jinja filter: the amount in the reader's locale, with its currency when there is one
    ("€1,234.50", "1 234,50 €"); an em dash for nothing."""
    from flask_babel import format_currency, format_decimal

    if value is None:
        return "—"
    if currency:
        return format_currency(value, currency)
    return format_decimal(value, format="#,##0.00")
