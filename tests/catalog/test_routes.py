"""Catalog pages over HTTP: products, price books and their entries, the CSV import; admins only."""

import io
import re
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.catalog import services
from crm.extensions import db
from crm.models.sales import PriceBook, PriceBookEntry, Product
from tests.conftest import csrf_token

HX = {"HX-Request": "true"}


def standard_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(PriceBook.id).where(PriceBook.is_standard))


def add_product(app, code="STX11", name="Stratus X11", **fields) -> int:
    with app.app_context():
        item = services.create_product(code=code, name=name, **fields)
        db.session.commit()
        return item.id


def add_entry(app, book_id, product_id, price="89.90") -> int:
    with app.app_context():
        entry = services.add_entry(db.session.get(PriceBook, book_id), db.session.get(Product, product_id), price)
        db.session.commit()
        return entry.id


def product_form(client, path="/admin/products/new", **fields) -> dict:
    return {"csrf_token": csrf_token(client, path), "code": "STX11", "name": "Stratus X11", "family": "Sneakers",
            "description": "", "tax_rate": "20", "active": "y"} | fields


# Permissions

ADMIN_PAGES = ["/admin/products", "/admin/products/new", "/admin/products/import", "/admin/price-books",
               "/admin/price-books/new"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_a_rep_gets_403(rep_client, path):
    assert rep_client.get(path).status_code == 403


def test_a_rep_cannot_post(rep_client, app):
    product_id = add_product(app)
    token = csrf_token(rep_client, "/")
    book = standard_id(app)
    for path in (f"/admin/products/{product_id}/active", f"/admin/price-books/{book}/entries",
                 f"/admin/price-books/{book}/standard", "/admin/products/new"):
        assert rep_client.post(path, data={"csrf_token": token, "active": "0"}).status_code == 403
    with app.app_context():
        assert db.session.get(Product, product_id).active


@pytest.mark.parametrize("role", ["rep", "manager"])
def test_every_catalog_route_is_403_for_reps_and_managers(client, app, role):
    from werkzeug.routing import IntegerConverter

    from tests.conftest import PASSWORD, login, stored
    from tests.factories import make_user

    user = stored(app, make_user, email=f"{role}2@example.com", role=role)
    assert login(client, user.email, PASSWORD).status_code == 303
    book = standard_id(app)
    entry_id = add_entry(app, book, add_product(app))
    ids = {"book_id": book, "entry_id": entry_id, "product_id": 1}
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("catalog.")]
    assert len(rules) >= 12
    token = csrf_token(client, "/")
    for rule in rules:
        assert all(isinstance(c, IntegerConverter) for c in rule._converters.values())
        url = rule.build({name: ids[name] for name in rule._converters}, append_unknown=False)[1]
        assert url.startswith("/admin/")
        if "GET" in rule.methods:
            assert client.get(url).status_code == 403, url
        if "POST" in rule.methods:
            assert client.post(url, data={"csrf_token": token, "active": "0", "price": "0"}).status_code == 403, url
    with app.app_context():
        assert db.session.get(PriceBookEntry, entry_id).unit_price == Decimal("89.90")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    assert client.get("/admin/products").status_code in (302, 303)


# Products

def test_product_list_full_page_and_fragment(admin_client, app):
    add_product(app, "STX11", "Stratus X11", tax_rate="20,5")
    add_product(app, "CIR1", "Cirrus")
    page = admin_client.get("/admin/products")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and 'id="product-filters"' in html
    assert "STX11" in html and "CIR1" in html and "20.5 %" in html
    fragment = admin_client.get("/admin/products?q=stx", headers=HX)
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and html.lstrip().startswith("<div id=\"product-list\"")
    assert "STX11" in html and "CIR1" not in html
    assert "No product matches." in admin_client.get("/admin/products?q=zzz&active=inactive").get_data(as_text=True)


def test_product_list_pages(admin_client, app):
    with app.app_context():
        for n in range(55):
            services.create_product(code=f"P{n:03}", name=f"Product {n:03}")
        db.session.commit()
    first = admin_client.get("/admin/products").get_data(as_text=True)
    assert "Page 1 of 2" in first and "P049" in first and "P050" not in first
    second = admin_client.get("/admin/products?page=2").get_data(as_text=True)
    assert "P054" in second and "P000" not in second


def test_add_a_product(admin_client, app):
    response = admin_client.post("/admin/products/new", data=product_form(admin_client, tax_rate="20.5"))
    assert response.status_code == 303 and response.location.endswith("/admin/products")
    with app.app_context():
        item = services.product_by_code("STX11")
        assert (item.name, item.family, item.tax_rate, item.active) == ("Stratus X11", "Sneakers", Decimal("20.50"),
                                                                         True)


def test_add_a_product_and_a_price_in_french_with_htmx(admin_client, app):
    french = HX | {"Accept-Language": "fr"}
    response = admin_client.post("/admin/products/new", data=product_form(admin_client, tax_rate="20,5"),
                                 headers=french)
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith("/admin/products")
    with app.app_context():
        item = services.product_by_code("STX11")
        assert item.tax_rate == Decimal("20.50")
    book = standard_id(app)
    token = csrf_token(admin_client, f"/admin/price-books/{book}")
    response = admin_client.post(f"/admin/price-books/{book}/entries", headers=french,
                                 data={"csrf_token": token, "product_id": str(item.id), "price": "1 234,50"})
    assert response.status_code == 200
    with app.app_context():
        entry = db.session.scalar(sa.select(PriceBookEntry).where(PriceBookEntry.product_id == item.id))
        assert entry.unit_price == Decimal("1234.50")
    edit = admin_client.get(f"/admin/price-books/{book}/entries/{entry.id}/edit", headers=french)
    assert 'value="1234,50"' in edit.get_data(as_text=True)


@pytest.mark.parametrize(("fields", "message"), [
    ({"code": ""}, "Enter a product code."),
    ({"name": ""}, "Enter a name."),
    ({"tax_rate": "101"}, "between 0 and 100"),
    ({"tax_rate": "abc"}, "between 0 and 100"),
    ({"tax_rate": "1.234"}, "at most 2 decimals"),
    ({"code": "X" * 41}, "40 characters"),
])
def test_bad_product_input_comes_back_beside_the_field(admin_client, app, fields, message):
    response = admin_client.post("/admin/products/new", data=product_form(admin_client, **fields), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="product-form"' in html and "<html" not in html
    assert message in html and 'class="field-error"' in html
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_a_taken_code_is_refused_whatever_its_case(admin_client, app):
    add_product(app, "STX11")
    response = admin_client.post("/admin/products/new", data=product_form(admin_client, code="stx11"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Another product already has this code." in html and "<html" in html
    assert 'id="code-error"' in html


def test_edit_a_product(admin_client, app):
    product_id = add_product(app, tax_rate="20.5")
    path = f"/admin/products/{product_id}/edit"
    page = admin_client.get(path).get_data(as_text=True)
    assert 'value="20.5"' in page and 'value="STX11"' in page
    response = admin_client.post(path, data=product_form(admin_client, path, name="Stratus X12", tax_rate="5,5",
                                                         active=""))
    assert response.status_code == 303
    with app.app_context():
        item = db.session.get(Product, product_id)
        assert (item.name, item.tax_rate, item.active) == ("Stratus X12", Decimal("5.50"), False)
    assert admin_client.get("/admin/products/999999/edit").status_code == 404


def test_deactivate_a_product_row_in_place(admin_client, app):
    product_id = add_product(app)
    token = csrf_token(admin_client, "/admin/products")
    response = admin_client.post(f"/admin/products/{product_id}/active", data={"csrf_token": token, "active": "0"},
                                 headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith(f'<tr id="product-{product_id}"')
    assert "Reactivate" in html and "no longer be added to lines" in html  # the flash, out of band
    with app.app_context():
        assert not db.session.get(Product, product_id).active
    response = admin_client.post(f"/admin/products/{product_id}/active", data={"csrf_token": token, "active": "1"})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(Product, product_id).active


# Price books

def test_price_book_list_and_add(admin_client, app):
    html = admin_client.get("/admin/price-books").get_data(as_text=True)
    assert "Standard" in html and "EUR" in html
    fragment = admin_client.get("/admin/price-books", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and 'id="price-book-list"' in fragment
    token = csrf_token(admin_client, "/admin/price-books/new")
    response = admin_client.post("/admin/price-books/new", data={"csrf_token": token, "name": "Export",
                                                                 "currency": "usd", "active": "y"})
    assert response.status_code == 303
    with app.app_context():
        book = db.session.scalar(sa.select(PriceBook).where(PriceBook.name == "Export"))
        assert (book.currency, book.is_standard, book.active) == ("USD", False, True)


@pytest.mark.parametrize(("fields", "message"), [
    ({"currency": "XYZ"}, "ISO 4217"),
    ({"currency": ""}, "ISO 4217"),
    ({"name": ""}, "Enter a name."),
    ({"name": "standard"}, "Another price book already has this name."),
])
def test_bad_price_book_input(admin_client, fields, message):
    token = csrf_token(admin_client, "/admin/price-books/new")
    response = admin_client.post("/admin/price-books/new", headers=HX,
                                 data={"csrf_token": token, "name": "Export", "currency": "USD"} | fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html and 'id="price-book-form"' in html


def test_the_standard_book_cannot_be_deactivated(admin_client, app):
    book = standard_id(app)
    path = f"/admin/price-books/{book}/edit"
    response = admin_client.post(path, data={"csrf_token": csrf_token(admin_client, path), "name": "Standard",
                                             "currency": "EUR", "active": ""})
    assert response.status_code == 422 and "cannot be deactivated" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PriceBook, book).active


def test_move_the_standard_book(admin_client, app):
    old = standard_id(app)
    with app.app_context():
        export = services.create_price_book(name="Export", currency="USD")
        db.session.commit()
        export_id = export.id
    token = csrf_token(admin_client, "/admin/price-books")
    response = admin_client.post(f"/admin/price-books/{export_id}/standard", data={"csrf_token": token}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="price-book-list"' in html and "now the standard" in html
    assert f'id="price-book-{old}-standard"' in html and f'id="price-book-{export_id}-standard"' not in html
    assert standard_id(app) == export_id


def test_price_book_page_add_edit_remove_entries(admin_client, app):
    book = standard_id(app)
    product_id = add_product(app)
    add_product(app, "OLD", "Old shoe", active=False)
    page = admin_client.get(f"/admin/price-books/{book}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<html" in html and "Stratus X11" in html and "Old shoe" not in html
    token = csrf_token(admin_client, f"/admin/price-books/{book}")

    # Add, with htmx: the entries section comes back.
    bad = admin_client.post(f"/admin/price-books/{book}/entries", headers=HX,
                            data={"csrf_token": token, "product_id": str(product_id), "price": "-1"})
    assert bad.status_code == 422 and "0 or more" in bad.get_data(as_text=True)
    bad = admin_client.post(f"/admin/price-books/{book}/entries", headers=HX,
                            data={"csrf_token": token, "product_id": "999999", "price": "5"})
    assert bad.status_code == 422 and "Choose an active product" in bad.get_data(as_text=True)
    response = admin_client.post(f"/admin/price-books/{book}/entries", headers=HX,
                                 data={"csrf_token": token, "product_id": str(product_id), "price": "1234.5"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="price-book-entries"')
    assert "€1,234.50" in html and "Every active product already has a price" in html
    with app.app_context():
        entry_id = db.session.scalar(sa.select(PriceBookEntry.id).where(PriceBookEntry.product_id == product_id))

    # Edit the price in place: the row in edit mode, then the row.
    path = f"/admin/price-books/{book}/entries/{entry_id}/edit"
    edit = admin_client.get(path, headers=HX)
    html = edit.get_data(as_text=True)
    assert edit.status_code == 200 and html.lstrip().startswith(f'<tr id="entry-{entry_id}" class="editing"')
    assert edit.headers["HX-Retarget"] == f"#entry-{entry_id}" and 'value="1234.50"' in html
    full = admin_client.get(path).get_data(as_text=True)
    assert "<html" in full and f'id="entry-{entry_id}-form"' in full
    prefix = f"entry-{entry_id}-"
    bad = admin_client.post(path, headers=HX, data={"csrf_token": token, prefix + "price": "abc"})
    assert bad.status_code == 422 and "0 or more" in bad.get_data(as_text=True)
    saved = admin_client.post(path, headers=HX, data={"csrf_token": token, prefix + "price": "99.9"})
    html = saved.get_data(as_text=True)
    assert saved.status_code == 200 and f'<tr id="entry-{entry_id}"' in html and "€99.90" in html
    cancel = admin_client.get(f"/admin/price-books/{book}/entries/{entry_id}", headers=HX)
    assert "€99.90" in cancel.get_data(as_text=True) and "editing" not in cancel.get_data(as_text=True)

    # Remove.
    removed = admin_client.post(f"/admin/price-books/{book}/entries/{entry_id}/remove", headers=HX,
                                data={"csrf_token": token})
    assert removed.status_code == 200 and "No prices in this book yet." in removed.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PriceBookEntry, entry_id) is None
        assert db.session.get(Product, product_id) is not None


def test_an_entry_of_another_book_is_404(admin_client, app):
    book = standard_id(app)
    entry_id = add_entry(app, book, add_product(app))
    with app.app_context():
        other = services.create_price_book(name="Export", currency="USD")
        db.session.commit()
        other_id = other.id
    assert admin_client.get(f"/admin/price-books/{other_id}/entries/{entry_id}/edit").status_code == 404
    assert admin_client.get("/admin/price-books/999999").status_code == 404


# CSV import

def upload(client, content: bytes, name="products.csv", headers=None, **fields):
    token = csrf_token(client, "/admin/products/import")
    return client.post("/admin/products/import", headers=headers or {}, content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(content), name)} | fields)


def test_import_page_and_report(admin_client, app):
    page = admin_client.get("/admin/products/import").get_data(as_text=True)
    book = standard_id(app)
    assert re.search(rf'<option selected value="{book}">|<option value="{book}" selected', page)
    csv = "Code produit;Nom;Famille;Taux de TVA;Prix\nSTX11;Stratus X11;Baskets;20;89,90\nBAD;;;;\n"
    response = upload(admin_client, csv.encode("cp1252"), headers=HX, price_book_id=str(book))
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and html.lstrip().startswith('<div id="product-import"')
    assert re.search(r'id="import-created">1<', html) and re.search(r'id="import-rejected">1<', html)
    assert "Enter a name." in html and ">3<" in html  # the rejected row's line
    with app.app_context():
        item = services.product_by_code("STX11")
        assert services.entry_of(db.session.get(PriceBook, book), item).unit_price == Decimal("89.90")


def test_import_without_htmx_shows_the_page(admin_client):
    response = upload(admin_client, b"code,name\nA1,Alpha\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html and re.search(r'id="import-created">1<', html)


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"family\nx\n", "p.csv", "at least a code and a name"),
    (b"", "p.csv", "The file is empty"),
    (b"code,name\nA,B\n", "p.pdf", "Choose a CSV file."),
])
def test_import_refuses_bad_files(admin_client, app, content, name, message):
    response = upload(admin_client, content, name=name, headers=HX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Product)) == 0


def test_import_refuses_a_missing_price_book(admin_client):
    response = upload(admin_client, b"code,name\nA,B\n", price_book_id="999999")
    assert response.status_code == 422 and "Choose a price book." in response.get_data(as_text=True)


def test_entries_without_javascript_answer_with_303(admin_client, app):
    book = standard_id(app)
    entry_id = add_entry(app, book, add_product(app))
    token = csrf_token(admin_client, f"/admin/price-books/{book}")
    path = f"/admin/price-books/{book}/entries/{entry_id}/edit"
    response = admin_client.post(path, data={"csrf_token": token, f"entry-{entry_id}-price": "10"})
    assert response.status_code == 303 and response.location.endswith(f"/admin/price-books/{book}")
    bad = admin_client.post(path, data={"csrf_token": token, f"entry-{entry_id}-price": "x"})
    assert bad.status_code == 422 and "<html" in bad.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(PriceBookEntry, entry_id).unit_price == Decimal("10.00")
    response = admin_client.post(f"/admin/price-books/{book}/entries/{entry_id}/remove", data={"csrf_token": token})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(PriceBookEntry, entry_id) is None


def test_user_text_is_escaped(admin_client, app):
    add_product(app, "<b>X</b>", "<script>alert(1)</script>")
    html = admin_client.get("/admin/products").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = admin_client.get(f"/admin/price-books/{standard_id(app)}").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;b&gt;X&lt;/b&gt;" in page
