"""Catalog services: products, price books, entries, entries_for, and the CSV import."""

from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.catalog import services
from crm.extensions import db
from crm.models.sales import PriceBook, PriceBookEntry, Product


def standard() -> PriceBook:
    return db.session.scalar(sa.select(PriceBook).where(PriceBook.is_standard))


def product(code="STX11", name="Stratus X11", **fields) -> Product:
    item = services.create_product(code=code, name=name, **fields)
    db.session.commit()
    return item


# Numbers

@pytest.mark.parametrize(("text", "expected"), [
    ("20", Decimal("20.00")), ("20.5", Decimal("20.50")), ("20,5", Decimal("20.50")), ("5,55", Decimal("5.55")),
    ("0", Decimal("0.00")), ("100", Decimal("100.00")), ("19.6 %", Decimal("19.60")), ("", Decimal("0")),
])
def test_tax_rates_are_read_in_either_notation(app_ctx, text, expected):
    assert services.parse_tax_rate(text) == expected


@pytest.mark.parametrize("text", ["-1", "100.01", "abc", "20.555", "1e3", "NaN", "Infinity"])
def test_bad_tax_rates_are_refused(app_ctx, text):
    with pytest.raises(services.InvalidTaxRate):
        services.parse_tax_rate(text)


@pytest.mark.parametrize(("text", "expected"), [
    ("89", Decimal("89.00")), ("1234.5", Decimal("1234.50")), ("1 234,50", Decimal("1234.50")),
    ("1.234,50", Decimal("1234.50")), ("1,234.50", Decimal("1234.50")), ("0", Decimal("0.00")),
])
def test_prices_are_read_in_either_notation(app_ctx, text, expected):
    assert services.parse_price(text) == expected


@pytest.mark.parametrize("text", ["", "-5", "12.345", "ten", "NaN", "99999999999999999"])
def test_bad_prices_are_refused(app_ctx, text):
    with pytest.raises(services.InvalidPrice):
        services.parse_price(text)


# Products

def test_create_and_update_a_product(app_ctx):
    item = services.create_product(code=" STX11 ", name=" Stratus X11 ", family="Sneakers", tax_rate="20,5")
    db.session.commit()
    assert (item.code, item.name, item.family, item.tax_rate, item.active) == (
        "STX11", "Stratus X11", "Sneakers", Decimal("20.50"), True)
    services.update_product(item, code="STX12", name="Stratus X12", family="", description="Custom",
                            tax_rate=Decimal("5.5"), active=False)
    db.session.commit()
    stored = db.session.get(Product, item.id)
    assert (stored.code, stored.family, stored.description, stored.tax_rate, stored.active) == (
        "STX12", None, "Custom", Decimal("5.50"), False)


def test_product_codes_are_unique_whatever_their_case(app_ctx):
    product("STX11")
    with pytest.raises(services.CodeTaken):
        services.create_product(code="stx11", name="Copy")
    other = product("CIR1", "Cirrus")
    with pytest.raises(services.CodeTaken):
        services.update_product(other, code="Stx11", name="Cirrus")
    # Its own code, in another case, is fine.
    services.update_product(other, code="cir1", name="Cirrus")
    assert other.code == "cir1"


@pytest.mark.parametrize(("fields", "error"), [
    ({"code": "", "name": "X"}, services.CodeRequired),
    ({"code": "X" * 41, "name": "X"}, services.CodeTooLong),
    ({"code": "X", "name": "  "}, services.NameRequired),
    ({"code": "X", "name": "X", "family": "F" * 81}, services.FamilyTooLong),
    ({"code": "X", "name": "X", "tax_rate": "101"}, services.InvalidTaxRate),
])
def test_bad_products_are_refused(app_ctx, fields, error):
    with pytest.raises(error):
        services.create_product(**fields)


def test_products_search_and_filter(app_ctx):
    product("STX11", "Stratus X11")
    product("CIR1", "Cirrus runner")
    off = product("OLD", "Old shoe")
    services.set_product_active(off, False)
    db.session.commit()

    def codes(**filters):
        return [p.code for p in db.session.scalars(services.products_query(**filters))]

    assert codes() == ["CIR1", "STX11", "OLD"]
    assert codes(q="stx") == ["STX11"]
    assert codes(q="runner") == ["CIR1"]
    assert codes(active="inactive") == ["OLD"]
    assert codes(active="active") == ["CIR1", "STX11"]
    assert codes(q="%") == []


# Price books

def test_the_migration_made_one_standard_book(app_ctx):
    book = standard()
    assert (book.name, book.currency, book.active) == ("Standard", "EUR", True)


def test_price_book_names_are_unique_and_currencies_iso(app_ctx):
    services.create_price_book(name="Export", currency="usd")
    db.session.commit()
    with pytest.raises(services.BookNameTaken):
        services.create_price_book(name="EXPORT", currency="USD")
    with pytest.raises(services.InvalidCurrency):
        services.create_price_book(name="Other", currency="XYZ")
    with pytest.raises(services.InvalidCurrency):
        services.create_price_book(name="Other", currency="")


def test_exactly_one_standard_book(app_ctx):
    old = standard()
    export = services.create_price_book(name="Export", currency="USD")
    db.session.commit()
    services.set_standard(export)
    db.session.commit()
    books = list(db.session.scalars(sa.select(PriceBook).where(PriceBook.is_standard)))
    assert [b.id for b in books] == [export.id]
    assert not db.session.get(PriceBook, old.id).is_standard
    # The standard one cannot be deactivated; an inactive one cannot become standard.
    with pytest.raises(services.StandardMustStayActive):
        services.update_price_book(export, name="Export", currency="USD", active=False)
    db.session.rollback()
    services.update_price_book(old, name="Standard", currency="EUR", active=False)
    with pytest.raises(services.InactiveBookCannotBeStandard):
        services.set_standard(old)


def test_entries_prices_and_entries_for(app_ctx):
    book = standard()
    stratus, cirrus, old = product("STX11", "Stratus X11"), product("CIR1", "Cirrus"), product("OLD", "Aaa old")
    services.add_entry(book, stratus, "89,90")
    services.add_entry(book, cirrus, "65")
    services.add_entry(book, old, "1")
    db.session.commit()
    with pytest.raises(services.EntryExists):
        services.add_entry(book, stratus, "1")
    services.set_product_active(old, False)
    inactive = product("GONE", "Gone")
    services.set_product_active(inactive, False)
    with pytest.raises(services.ProductInactive):
        services.add_entry(book, inactive, "1")
    with pytest.raises(services.InvalidPrice):
        services.set_entry_price(book, stratus, "-1")
    services.set_entry_price(book, stratus, "99.5")
    db.session.commit()
    rows = services.entries_for(book.id)
    assert [(p.code, e.unit_price) for e, p in rows] == [("CIR1", Decimal("65.00")), ("STX11", Decimal("99.50"))]
    assert all(isinstance(e, PriceBookEntry) and e.product_id == p.id for e, p in rows)
    assert [p.code for p in services.products_not_in(book)] == []
    services.remove_entry(services.entry_of(book, cirrus))
    db.session.commit()
    assert [p.code for _e, p in services.entries_for(book.id)] == ["STX11"]
    assert [p.code for p in services.products_not_in(book)] == ["CIR1"]
    assert services.entry_counts() == {book.id: 2}  # STX11 and the inactive OLD


# CSV import

def test_import_upserts_by_code_and_reports_rejected_rows(app_ctx):
    book = standard()
    existing = product("STX11", "Stratus X11", family="Sneakers", tax_rate="20")
    csv = (b"code,name,family,tax_rate,active,price\n"
           b"stx11,,,5.5,,120\n"          # update (blank cells keep the name and family)
           b"CIR1,Cirrus,Runners,20,yes,65.5\n"
           b"BAD1,Bad rate,,120,,\n"
           b",No code,,,,\n"
           b"CIR1,Again,,,,\n"
           b"NEG,Negative,,,,-3\n"
           b"ACT,Active?,,,maybe,\n"
           b"OFF,Off product,,,non,\n")
    report = services.import_products(csv, book)
    db.session.commit()
    assert (report.created, report.updated, report.prices) == (2, 1, 2)
    assert [(r.line, r.code) for r in report.rejected] == [(4, "BAD1"), (5, ""), (6, "CIR1"), (7, "NEG"), (8, "ACT")]
    reasons = [r.reason for r in report.rejected]
    assert "tax rate" in reasons[0] and "code" in reasons[1] and "line 3" in reasons[2]
    assert "price" in reasons[3]
    stored = db.session.get(Product, existing.id)
    assert (stored.code, stored.name, stored.family, stored.tax_rate) == ("stx11", "Stratus X11", "Sneakers",
                                                                            Decimal("5.50"))
    assert services.entry_of(book, stored).unit_price == Decimal("120.00")
    off = services.product_by_code("OFF")
    assert off is not None and not off.active
    assert services.product_by_code("BAD1") is None and services.product_by_code("NEG") is None


def test_import_reads_a_cp1252_semicolon_file_with_french_headers(app_ctx):
    book = services.create_price_book(name="Export", currency="USD")
    db.session.commit()
    csv = ("Code produit;Nom;Famille;Taux de TVA;Prix\r\n"
           "STX11;Stratus X11 personnalisée;Baskets;20;89,90\r\n"
           "CIR1;Cirrus été;Course;5,5;1 234,50\r\n"
           "ERR;Mauvais;;vingt;\r\n").encode("cp1252")
    report = services.import_products(csv, book)
    db.session.commit()
    assert (report.created, report.updated, len(report.rejected)) == (2, 0, 1)
    assert report.rejected[0].line == 4
    stratus, cirrus = services.product_by_code("STX11"), services.product_by_code("CIR1")
    assert (stratus.name, stratus.family, stratus.tax_rate) == ("Stratus X11 personnalisée", "Baskets", Decimal("20"))
    assert (cirrus.name, cirrus.tax_rate) == ("Cirrus été", Decimal("5.50"))
    assert services.entry_of(book, stratus).unit_price == Decimal("89.90")
    assert services.entry_of(book, cirrus).unit_price == Decimal("1234.50")
    assert services.entry_of(standard(), stratus) is None


def test_import_reads_utf8_with_a_bom_and_prices_the_standard_book_by_default(app_ctx):
    csv = "\ufeffCode;Name;Price\nA1;Alpha;10\n".encode()
    report = services.import_products(csv)
    db.session.commit()
    assert report.created == 1 and report.price_book.is_standard
    assert services.entry_of(standard(), services.product_by_code("A1")).unit_price == Decimal("10.00")


@pytest.mark.parametrize(("content", "words"), [
    (b"", "empty"),
    (b"family,description\nx,y\n", "code"),
    (b"code,name\n" + b"A,B\n" * 10, None),
    (b"x" * (2 * 1024 * 1024 + 1), "2 MB"),
    (b"code,name\n" + b"".join(f"C{n},N\n".encode() for n in range(5001)), "5,000"),
])
def test_import_refuses_unreadable_files(app_ctx, content, words):
    if words is None:  # a duplicate code on every row: only the first row is stored
        report = services.import_products(content)
        assert (report.created, len(report.rejected)) == (1, 9)
        return
    with pytest.raises(services.ImportFileError) as error:
        services.import_products(content)
    assert words in str(error.value.message)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0
