"""Mapping headers to lead fields, and validating rows as the lead form does."""

from decimal import Decimal
from types import SimpleNamespace

import email_validator
import pytest

from crm.imports.fields import (
    RowValidator,
    auto_mapping,
    clean_mapping,
    message,
    parse_amount,
    parse_count,
    saved_fields,
    valid_email,
)
from crm.imports.services import _search_text, quick_fold
from crm.models import Lead
from crm.models.lead import fold

PICKLISTS = {"lead_source": ["Web", "Trade Show", "Partner Referral"], "industry": ["Banking", "Retail"],
             "rating": ["Hot", "Warm", "Cold"]}


@pytest.fixture
def validate(app_ctx):
    mapping = ["first_name", "last_name", "company", "email", "phone", "mobile", "website", "annual_revenue",
               "employees", "salutation", "lead_source", "rating", "industry", "city", "description"]
    return RowValidator(mapping, PICKLISTS)


def row(**cells):
    order = ["first_name", "last_name", "company", "email", "phone", "mobile", "website", "annual_revenue",
             "employees", "salutation", "lead_source", "rating", "industry", "city", "description"]
    return [cells.get(name, "") for name in order]


def codes(errors):
    return {(e["field"], e["code"]) for e in errors}


def test_english_and_french_headers_are_mapped():
    headers = ["Prénom", "Nom", "Société", "E-mail", "Téléphone", "Portable", "Code postal", "Ville", "Pays",
               "Chiffre d'affaires", "Effectif", "Site web", "Civilité", "Poste", "Commentaires", "Colonne inutile"]
    assert auto_mapping(headers) == [
        "first_name", "last_name", "company", "email", "phone", "mobile", "postal_code", "city", "country",
        "annual_revenue", "employees", "website", "salutation", "title", "description", ""]
    assert auto_mapping(["First Name", "LAST_NAME", "Company Name", "Email Address", "Mobile Phone", "ZIP",
                         "State/Province", "Lead Source", "No. of Employees"]) == [
        "first_name", "last_name", "company", "email", "mobile", "postal_code", "state", "lead_source", "employees"]


def test_a_field_goes_to_its_first_column_only_and_full_name_yields_to_first_and_last():
    assert auto_mapping(["Email", "E-mail", "Name", "Company"]) == ["email", "", "full_name", "company"]
    assert auto_mapping(["Name", "First name", "Last name"]) == ["", "first_name", "last_name"]


def test_a_saved_mapping_wins_over_the_synonyms():
    saved = saved_fields(["Contact", "Firma", "Notes"], ["last_name", "company", ""])
    assert saved == {"contact": "last_name", "firma": "company"}
    assert auto_mapping(["contact ", "FIRMA", "Notes"], saved) == ["last_name", "company", "description"]


def test_a_submitted_mapping_is_cleaned():
    assert clean_mapping(["email", "email", "drop table", "company"], 5) == ["email", "", "", "company", ""]
    assert clean_mapping(["email", "company", "city"], 2) == ["email", "company"]


def test_a_valid_row(validate):
    values, errors = validate(row(first_name="Ada", last_name="Lovelace", company="Engines", email="Ada@Example.COM",
                                  phone="+44 20 7946 0000", website="example.com", annual_revenue="1 200 000,50 €",
                                  employees="1,200", salutation="Mme", lead_source="trade show", rating="Chaud",
                                  industry="BANKING"))
    assert errors == []
    assert values["email"] == "ada@example.com"
    assert values["website"] == "https://example.com"
    assert values["annual_revenue"] == Decimal("1200000.50")
    assert values["employees"] == 1200
    assert (values["salutation"], values["lead_source"], values["rating"], values["industry"]) == \
        ("Ms.", "Trade Show", "Hot", "Banking")


def test_the_lead_forms_limits(validate):
    _values, errors = validate(row(first_name="x" * 41, email="not-an-email", phone="call me", website="javascript:x",
                                   annual_revenue="-5", employees="lots", salutation="Sir", lead_source="Fax",
                                   rating="Tepid", city="c" * 41, description="d" * 32001))
    assert codes(errors) == {("last_name", "required"), ("company", "required"), ("first_name", "too_long"),
                             ("email", "email"), ("phone", "phone"), ("website", "url"), ("annual_revenue", "amount"),
                             ("employees", "number"), ("salutation", "choice"), ("lead_source", "choice"),
                             ("rating", "choice"), ("city", "too_long"), ("description", "too_long")}
    _values, errors = validate(row(last_name="x" * 81, company="c" * 256, email="a" * 250 + "@b.co",
                                   phone="1" * 41, employees="10000001", annual_revenue="1e16"))
    assert codes(errors) == {("last_name", "too_long"), ("company", "too_long"), ("email", "too_long"),
                             ("phone", "too_long"), ("employees", "number"), ("annual_revenue", "amount")}


def test_reasons_are_put_into_words(app):
    with app.test_request_context():
        assert message({"field": "last_name", "code": "required"}) == "Last name: Enter the last name."
        assert message({"field": "city", "code": "too_long", "max": 40}) == "City: At most 40 characters."
        assert message({"field": "email", "code": "email"}) == "Email: Enter a valid email address."


def test_a_full_name_is_split(app_ctx):
    validate = RowValidator(["full_name", "company"], PICKLISTS)
    assert validate(["Ada King Lovelace", "Engines"])[0] == {"first_name": "Ada King", "last_name": "Lovelace",
                                                               "company": "Engines"}
    assert validate(["Cher", "Records"])[0] == {"last_name": "Cher", "company": "Records"}


@pytest.mark.parametrize("raw, amount", [("1200", Decimal("1200")), ("1,200", Decimal("1200")),
                                         ("1.200.000", Decimal("1200000")), ("1 200,5", Decimal("1200.5")),
                                         ("$1,200.75", Decimal("1200.75")), ("1.234,56", Decimal("1234.56")),
                                         ("abc", None), ("", None)])
def test_amounts(raw, amount):
    assert parse_amount(raw) == amount


def test_counts():
    assert parse_count("50.0") == 50 and parse_count("1 200") == 1200 and parse_count("2.5") is None


@pytest.mark.parametrize("address", [
    "ada@example.com", "a.b-c+d@sub.example.co.uk", "a..b@example.com", ".a@example.com", "a@localhost",
    "a@example", "a@-example.com", "ada@exam_ple.com", "o'brien@example.ie", "ünïcode@example.com",
    "a@b@example.com", "a b@example.com", "ada@example.test", "x" * 65 + "@example.com", "ada@123.123.123.123",
])
def test_the_email_shortcut_agrees_with_email_validator(address):
    try:
        email_validator.validate_email(address, check_deliverability=False)
        expected = True
    except email_validator.EmailNotValidError:
        expected = False
    assert valid_email(address) is expected


@pytest.mark.parametrize("text", ["Hélène Lefèvre", "ÉCOLE ﬁn Straße", "e\u0301té Σίσυφος", "Ǆemal ㎏ ①", "İstanbul",
                                  "plain ascii", ""])
def test_quick_fold_is_fold(text):
    assert quick_fold(text) == fold(text)


def test_search_text_is_the_models(app_ctx):
    values = {"first_name": "Hélène", "last_name": "Lefèvre", "company": "Société Générale",
              "email": "h@example.fr", "phone": "01 23 45 67 89", "mobile": None, "phone_e164": "+33123456789",
              "mobile_e164": None}
    probe = SimpleNamespace(**values)
    Lead.refresh_search_text(probe)
    assert _search_text(values) == probe.search_text
