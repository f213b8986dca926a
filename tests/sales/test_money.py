"""Money arithmetic (crm/sales/money.py): exact decimals, rounded once per line, half up."""

from decimal import Decimal
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from crm.sales import money

quantities = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100000"), places=2)
prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2)
percents = st.decimals(min_value=Decimal("0"), max_value=Decimal("100"), places=2)


def test_the_seeds_sneaker_bundle_by_hand():
    # 30 Stratus X11 at 120.00 less 10 %: 3,600.00 − 360.00 = 3,240.00; 20 Cirrus at 95.50: 1,910.00.
    stratus = money.line_net(30, Decimal("120.00"), Decimal("10"))
    cirrus = money.line_net(20, Decimal("95.50"), 0)
    assert (stratus, cirrus) == (Decimal("3240.00"), Decimal("1910.00"))
    # VAT 20 % on the first, 5.5 % on the second: 648.00 and 105.05 (105.05 exactly).
    lines = [SimpleNamespace(net_amount=stratus, tax_amount=money.line_tax(stratus, 20)),
             SimpleNamespace(net_amount=cirrus, tax_amount=money.line_tax(cirrus, Decimal("5.5")))]
    sums = money.totals(lines)
    assert (sums.net, sums.tax, sums.total) == (Decimal("5150.00"), Decimal("753.05"), Decimal("5903.05"))


def test_half_a_cent_rounds_up_once_per_line():
    assert money.line_net(1, Decimal("0.05"), 50) == Decimal("0.03")  # 0.025 → 0.03, not banker's 0.02
    assert money.line_tax(Decimal("0.10"), 25) == Decimal("0.03")  # 0.025 → 0.03
    # Three lines of 0.333… each are rounded on their own: the total is the sum of what is printed.
    lines = [SimpleNamespace(net_amount=money.line_net(1, Decimal("1.00"), Decimal("66.67")))] * 3
    assert lines[0].net_amount == Decimal("0.33") and money.totals(lines).net == Decimal("0.99")


def test_floats_are_refused_and_text_is_read_exactly():
    with pytest.raises(TypeError):
        money.line_net(0.1, 3)
    assert money.line_net("0.1", "3") == Decimal("0.30")
    with pytest.raises(money.MoneyError):
        money.line_net("abc", 1)


def test_a_line_too_large_for_its_column_is_refused():
    with pytest.raises(money.MoneyError):
        money.line_net(money.MAX_QUANTITY, money.MAX_MONEY)


@given(quantities, prices, percents)
def test_a_line_net_is_the_exact_product_rounded_half_up_to_the_cent(quantity, price, discount):
    net = money.line_net(quantity, price, discount)
    exact = quantity * price * (100 - discount) / 100
    assert net.as_tuple().exponent == -2
    assert abs(net - exact) <= Decimal("0.005")
    # Half up: a value exactly half a cent away from both neighbours goes to the larger one.
    if abs(net - exact) == Decimal("0.005"):
        assert net > exact
    assert Decimal(0) <= net <= quantity * price + Decimal("0.005")


@given(st.lists(st.tuples(quantities, prices, percents, percents), min_size=1, max_size=20))
def test_document_totals_are_the_sums_of_the_rounded_lines(rows):
    lines = []
    for quantity, price, discount, rate in rows:
        net = money.line_net(quantity, price, discount)
        lines.append(SimpleNamespace(net_amount=net, tax_amount=money.line_tax(net, rate)))
    sums = money.totals(lines)
    assert sums.net == sum(line.net_amount for line in lines)
    assert sums.tax == sum(line.tax_amount for line in lines)
    assert sums.total == sums.net + sums.tax
    # Nothing is rounded after the lines: the totals keep exactly two places.
    assert sums.total.as_tuple().exponent == -2


@given(prices, percents)
def test_tax_is_the_rate_of_the_net_within_half_a_cent(net, rate):
    tax = money.line_tax(net, rate)
    assert abs(tax - net * rate / 100) <= Decimal("0.005")


def test_the_money_filter_follows_the_locale(app):
    from flask_babel import force_locale

    with app.test_request_context():
        with force_locale("en"):
            assert money.money(Decimal("5150"), "EUR") == "€5,150.00"
        with force_locale("fr"):
            assert money.money(Decimal("5150"), "EUR").replace("\u202f", " ").replace("\u00a0", " ") == "5 150,00 €"
        assert money.money(None, "EUR") == "—"
