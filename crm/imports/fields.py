"""The lead fields a file's columns map to, the automatic mapping of headers (English and French), and
the validation of a row: plain Python with the limits and messages of the lead form (crm/leads/forms.py),
fast enough for 100,000 rows, which a WTForms instance per row is not.
"""

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from urllib.parse import urlsplit

import email_validator
from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from crm.leads.forms import PHONE_CHARS
from crm.leads.labels import label
from crm.models import SALUTATIONS, fold

# "full_name" is not a lead field: "Ada Lovelace" is split into first and last name.
FIELD_LABELS = {
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "full_name": _l("Full name (first and last)"),
    "company": _l("Company"),
    "email": _l("Email"),
    "phone": _l("Phone"),
    "mobile": _l("Mobile"),
    "salutation": _l("Salutation"),
    "title": _l("Title"),
    "website": _l("Website"),
    "street": _l("Street"),
    "city": _l("City"),
    "state": _l("State/Province"),
    "postal_code": _l("Postal code"),
    "country": _l("Country"),
    "industry": _l("Industry"),
    "annual_revenue": _l("Annual revenue"),
    "employees": _l("Employees"),
    "lead_source": _l("Lead source"),
    "rating": _l("Rating"),
    "description": _l("Description"),
}
IMPORT_FIELDS = tuple(FIELD_LABELS)
LEAD_COLUMNS = tuple(f for f in IMPORT_FIELDS if f != "full_name")

# The lead form's limits (crm/leads/forms.py: LeadForm).
TEXT_LIMITS = {"first_name": 40, "last_name": 80, "company": 255, "title": 128, "street": 255, "city": 40,
               "state": 80, "postal_code": 20, "country": 80, "description": 32000}
EMAIL_MAX, PHONE_MAX, WEBSITE_MAX = 254, 40, 255
REVENUE_MAX, EMPLOYEES_MAX = Decimal(10) ** 15, 10_000_000
REQUIRED = ("last_name", "company")
PICKLIST_FIELDS = ("lead_source", "industry", "rating")
PHONE_RE = re.compile(PHONE_CHARS)

MESSAGES = {
    "required": {"last_name": _l("Enter the last name."), "company": _l("Enter the company.")},
    "too_long": _l("At most %(max)s characters."),
    "email": _l("Enter a valid email address."),
    "phone": _l("Use digits, spaces and + ( ) - . / only."),
    "url": _l("Enter a web address starting with http:// or https://."),
    "amount": _l("Enter an amount between 0 and 10^15."),
    "number": _l("Enter a number between 0 and 10,000,000."),
    "choice": _l("Not one of the values of the list."),
}

# Header names, folded (crm.imports.fields.header_key), that map to each field without asking.
SYNONYMS = {
    "first_name": ("first name", "firstname", "first", "given name", "forename", "prenom", "prenoms"),
    "last_name": ("last name", "lastname", "last", "surname", "family name", "nom", "nom de famille",
                  "patronyme"),
    "full_name": ("full name", "name", "contact", "contact name", "nom complet", "nom et prenom",
                  "prenom et nom", "nom prenom", "prenom nom", "lead name"),
    "company": ("company", "company name", "organization", "organisation", "organization name", "account",
                "account name", "business", "employer", "societe", "entreprise", "raison sociale", "nom de la societe",
                "nom de l entreprise", "structure"),
    "email": ("email", "e mail", "email address", "e mail address", "mail", "courriel", "adresse e mail",
              "adresse email", "adresse mail", "adresse electronique", "work email", "business email"),
    "phone": ("phone", "phone number", "telephone", "tel", "business phone", "work phone", "office phone",
              "telephone fixe", "fixe", "numero de telephone", "tel fixe", "telephone professionnel", "tel pro"),
    "mobile": ("mobile", "mobile phone", "mobile number", "cell", "cell phone", "cellphone", "portable",
               "telephone portable", "tel portable", "tel mobile", "telephone mobile", "gsm", "mobile tel"),
    "salutation": ("salutation", "civilite", "prefix", "mr ms", "titre de civilite"),
    "title": ("title", "job title", "position", "job", "role", "poste", "fonction", "titre", "intitule du poste"),
    "website": ("website", "web site", "url", "web", "site", "site web", "site internet", "homepage"),
    "street": ("street", "address", "street address", "address line 1", "address 1", "adresse", "rue",
               "adresse postale", "voie"),
    "city": ("city", "town", "ville", "commune", "localite"),
    "state": ("state", "province", "state province", "region", "departement", "county", "state region"),
    "postal_code": ("postal code", "zip", "zip code", "zipcode", "postcode", "post code", "code postal", "cp"),
    "country": ("country", "pays", "country region"),
    "industry": ("industry", "secteur", "secteur d activite", "industrie", "activite"),
    "annual_revenue": ("annual revenue", "revenue", "revenues", "turnover", "chiffre d affaires", "ca",
                       "ca annuel", "chiffre d affaires annuel"),
    "employees": ("employees", "number of employees", "no of employees", "employee count", "headcount", "staff",
                  "effectif", "effectifs", "nombre d employes", "salaries", "nombre de salaries"),
    "lead_source": ("lead source", "source", "origine", "source du lead", "source de la piste", "origine du lead"),
    "rating": ("rating", "evaluation", "notation", "temperature"),
    "description": ("description", "notes", "note", "comments", "comment", "commentaire", "commentaires",
                    "remarques", "remarque"),
}
SALUTATION_ALIASES = {"mr": "Mr.", "m": "Mr.", "monsieur": "Mr.", "mister": "Mr.", "ms": "Ms.", "mme": "Ms.",
                      "madame": "Ms.", "mrs": "Mrs.", "miss": "Ms.", "mlle": "Ms.", "dr": "Dr.", "docteur": "Dr.",
                      "prof": "Prof.", "professeur": "Prof.", "pr": "Prof."}
NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(header: str) -> str:
    """A header as the automatic mapping compares it: no case, accents or punctuation ("E-mail" is "e mail")."""
    return " ".join(NOT_ALNUM.split(fold(header))).strip()


_BY_KEY = {key: name for name, keys in SYNONYMS.items() for key in keys}
_BY_KEY.update({header_key(name): name for name in IMPORT_FIELDS})


def auto_mapping(headers: list[str], saved: dict[str, str] | None = None) -> list[str]:
    """One field name (or "") per header: a saved mapping's choice first, then the synonyms; each field
    is given to its first column only."""
    mapping, taken = [], set()
    for header in headers:
        key = header_key(header)
        name = (saved or {}).get(key) or _BY_KEY.get(key) or _BY_KEY.get(key.replace(" ", ""), "")
        if name not in IMPORT_FIELDS or name in taken:
            name = ""
        if name:
            taken.add(name)
        mapping.append(name)
    if "full_name" in taken and {"first_name", "last_name"} <= taken:
        mapping = ["" if name == "full_name" else name for name in mapping]
    return mapping


def clean_mapping(mapping: list, width: int) -> list[str]:
    """A mapping as submitted, made safe: known fields only, each once, one entry per column."""
    result, taken = [], set()
    for name in list(mapping)[:width] + [""] * max(0, width - len(mapping)):
        name = name if name in IMPORT_FIELDS and name not in taken else ""
        taken.add(name)
        result.append(name)
    return result


def saved_fields(headers: list[str], mapping: list[str]) -> dict[str, str]:
    """What a saved mapping remembers: {folded header: field}."""
    return {header_key(h): f for h, f in zip(headers, mapping, strict=False) if f and header_key(h)}


def message(reason: dict) -> str:
    """A stored reason ({"field", "code", "max"}) in the reader's language, the field's name first."""
    field, code = reason.get("field"), reason.get("code")
    text = MESSAGES.get(code, code)
    if isinstance(text, dict):
        text = text.get(field, "")
    if code == "too_long":
        text = _l("At most %(max)s characters.", max=reason.get("max"))
    name = FIELD_LABELS.get(field)
    return f"{name}: {text}" if name else str(text)


# Values

def _fold_key(value: str) -> str:
    return " ".join(fold(value).split())


def with_scheme(value: str) -> str:
    """As the lead form does: a bare domain ("example.com") is read as https://example.com."""
    if "://" not in value and not value.lower().startswith(("javascript:", "data:", "mailto:")):
        return "https://" + value
    return value


def valid_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc) and " " not in value


# An ASCII dot-atom local part, which email_validator always accepts: for such an address only
# its domain is left to check, and domains repeat (one check per domain, cached).
SIMPLE_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")


def _validate_email(value: str) -> bool:
    try:
        email_validator.validate_email(value, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return False
    return True


@lru_cache(maxsize=20_000)
def _valid_domain(domain: str) -> bool:
    return _validate_email("a@" + domain)


def valid_email(value: str) -> bool:
    """The lead form's check: email_validator's syntax rules, no DNS lookup."""
    local, at, domain = value.rpartition("@")
    if not at:
        return False
    if len(value) <= EMAIL_MAX and len(local) <= 64 and SIMPLE_LOCAL.match(local):
        return _valid_domain(domain)
    return _validate_email(value)


CURRENCY_CODES = re.compile(r"^(?:EUR|USD|GBP|CHF|CAD|AUD|JPY)\s*|\s*(?:EUR|USD|GBP|CHF|CAD|AUD|JPY)$", re.IGNORECASE)


def parse_amount(raw: str) -> Decimal | None:
    """"1 200 000,50 €", "$1,200,000.50", "1200000" as a Decimal; None when it is not a number."""
    text = CURRENCY_CODES.sub("", raw.strip())
    # Spaces (non-breaking ones too), Swiss apostrophes and currency signs go; any other letter
    # ("1e16", "n/a") makes it no amount.
    text = "".join(c for c in text if not (c.isspace() or c in "'’" or unicodedata.category(c) == "Sc"))
    if any(not (c.isdigit() or c in ",.-") for c in text):
        return None
    if not text or not any(c.isdigit() for c in text):
        return None
    if "," in text and "." in text:
        decimal_mark = "," if text.rindex(",") > text.rindex(".") else "."
        text = text.replace("." if decimal_mark == "," else ",", "").replace(",", ".")
    elif "," in text:
        head, _, tail = text.rpartition(",")
        # "1,200" and "1,200,000" group thousands; "1200,50" has a decimal comma.
        text = text.replace(",", "") if text.count(",") > 1 or len(tail) == 3 else f"{head}.{tail}"
    elif text.count(".") > 1:
        text = text.replace(".", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def parse_count(raw: str) -> int | None:
    amount = parse_amount(raw)
    if amount is None or amount != amount.to_integral_value():
        return None
    return int(amount)


class RowValidator:
    """Turns a row's cells into lead values, or the reasons it is refused.

    `picklists`: the active labels of lead_source, industry and rating; a cell matches one whatever
    its case or accents, in English or in the reader's language."""

    def __init__(self, mapping: list[str], picklists: dict[str, list[str]]):
        self.columns = [(i, name) for i, name in enumerate(mapping) if name]
        self.choices = {}
        for name in PICKLIST_FIELDS:
            known = {}
            for value in picklists.get(name, []):
                known[_fold_key(value)] = value
            self.choices[name] = known
        # A shipped value may be written in any of the app's languages ("Chaud" for "Hot"); the job
        # runs outside any request, so each language is asked for explicitly.
        for locale in current_app.config["LANGUAGES"]:
            with force_locale(locale):
                for known in self.choices.values():
                    for value in list(known.values()):
                        known.setdefault(_fold_key(str(label(value))), value)
        self.salutations = {_fold_key(s).rstrip("."): s for s in SALUTATIONS} | SALUTATION_ALIASES

    def values(self, cells: list[str]) -> dict[str, str]:
        """The mapped, non-empty cells by field (a full name split into first and last)."""
        values = {}
        width = len(cells)
        for i, name in self.columns:
            if i < width and (cell := cells[i]):
                values[name] = cell
        if full := values.pop("full_name", None):
            first, _, last = full.rpartition(" ")
            values.setdefault("last_name", last.strip())
            if first.strip():
                values.setdefault("first_name", first.strip())
        return values

    def __call__(self, cells: list[str]) -> tuple[dict, list[dict]]:
        """(lead values, reasons): values ready for the leads table when there is no reason."""
        values = self.values(cells)
        errors = []
        for name in REQUIRED:
            if name not in values:
                errors.append({"field": name, "code": "required"})
        for name, limit in TEXT_LIMITS.items():
            if name in values and len(values[name]) > limit:
                errors.append({"field": name, "code": "too_long", "max": limit})
        if email := values.get("email"):
            if len(email) > EMAIL_MAX:
                errors.append({"field": "email", "code": "too_long", "max": EMAIL_MAX})
            elif not valid_email(email):
                errors.append({"field": "email", "code": "email"})
            values["email"] = email.lower()
        for name in ("phone", "mobile"):
            if phone := values.get(name):
                if len(phone) > PHONE_MAX:
                    errors.append({"field": name, "code": "too_long", "max": PHONE_MAX})
                elif not PHONE_RE.match(phone):
                    errors.append({"field": name, "code": "phone"})
        if website := values.get("website"):
            values["website"] = website = with_scheme(website)
            if len(website) > WEBSITE_MAX:
                errors.append({"field": "website", "code": "too_long", "max": WEBSITE_MAX})
            elif not valid_url(website):
                errors.append({"field": "website", "code": "url"})
        if raw := values.get("annual_revenue"):
            amount = parse_amount(raw)
            if amount is None or not 0 <= amount <= REVENUE_MAX:
                errors.append({"field": "annual_revenue", "code": "amount"})
            else:
                values["annual_revenue"] = amount.quantize(Decimal("0.01"))
        if raw := values.get("employees"):
            count = parse_count(raw)
            if count is None or not 0 <= count <= EMPLOYEES_MAX:
                errors.append({"field": "employees", "code": "number"})
            else:
                values["employees"] = count
        if raw := values.get("salutation"):
            salutation = self.salutations.get(_fold_key(raw).rstrip("."))
            if salutation is None:
                errors.append({"field": "salutation", "code": "choice"})
            values["salutation"] = salutation
        for name in PICKLIST_FIELDS:
            if raw := values.get(name):
                value = self.choices[name].get(_fold_key(raw))
                if value is None:
                    errors.append({"field": name, "code": "choice"})
                values[name] = value
        return values, errors

