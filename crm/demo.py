"""`flask --app app seed-demo`: realistic fake data, bulk inserted."""

import random
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache

import click
import phonenumbers
import sqlalchemy as sa
from faker import Faker
from flask import Flask, current_app
from flask.cli import with_appcontext

from crm.auth import services as auth_services
from crm.demo_activities import generate_activities
from crm.demo_bulk import BulkLoad, ahead, insert_rows
from crm.demo_catalog import seed_catalog
from crm.demo_phones import PhoneTemplate
from crm.demo_random import SeededRandom, chunked, picker
from crm.extensions import db
from crm.leads.duplicates import sync_match_keys
from crm.models import (
    LEAD_PICKLISTS,
    Account,
    Activity,
    Contact,
    Lead,
    LeadMatchKey,
    LeadStatus,
    Opportunity,
    OpportunityStageHistory,
    PicklistValue,
    Stage,
    User,
    company_key,
    fold,
    website_domain,
)
from crm.models.merge import name_key
from crm.models.user import utcnow

CHUNK_SIZE = 5000
HISTORY = timedelta(days=730)
REP_EMAIL = "rep{}@demo.example"
# Several leads per company, as in a real book of business; the pools are capped because drawing
# them from Faker is what costs most (its en_US names are weighted draws).
LEADS_PER_COMPANY = 6
POOL_MAX = 2500
# Companies of one country: the leads' employers and the accounts (one account per company, as far
# as they go). Cheap once the names are pooled: Faker's company formats then draw from the pools.
COMPANY_POOL_MAX = 8000
# Phone numbers are a valid number drawn by Faker with its last digits redrawn: Faker alone draws
# many numbers phonenumbers rejects (unassigned area codes), and validating costs more than drawing.
PHONE_TEMPLATES = 50
# Addresses of one country: companies draw theirs from this many (an office building has several).
ADDRESS_POOL = 500
PHONE_VARIED_DIGITS = 5
PHONE_ATTEMPTS = 3
# What the lead form accepts in a phone field, less extensions (their digits would be the varied ones).
PHONE_SHAPE = re.compile(r"^[0-9+()./\s-]+$")
_TYPE = phonenumbers.PhoneNumberType
# A lead's direct line: no premium-rate, shared-cost or pager numbers.
PHONE_TYPES = (_TYPE.FIXED_LINE, _TYPE.FIXED_LINE_OR_MOBILE, _TYPE.MOBILE, _TYPE.TOLL_FREE, _TYPE.VOIP)
MOBILE_TYPES = (_TYPE.MOBILE, _TYPE.FIXED_LINE_OR_MOBILE)
NOT_ALNUM = re.compile(r"[^a-z0-9]+")
# Words of a company name that have no place in its domain: legal forms, "and", "Group"...
COMPANY_NOISE = frozenset("""
    inc llc ltd plc group and co company corp sons sarl sa sas et fils cie gmbh ag kg kgaa ohg mbh gbr ug e v
    und partner sl sll slne slu scom scoop y asociados hermanos srl spa snc s a figli bv nv vof
    ltda me ei epp eireli da de do dos das del la las los el van der den het royal koninklijke di della von ii iii
""".split())


@dataclass(frozen=True)
class Country:
    locale: str
    weight: int
    region: str
    name: str
    tld: str


# Where the demo leads live, and how many live there (weights).
COUNTRIES = (
    Country("en_US", 34, "US", "United States", "com"),
    Country("en_GB", 14, "GB", "United Kingdom", "co.uk"),
    Country("fr_FR", 12, "FR", "France", "fr"),
    Country("de_DE", 12, "DE", "Germany", "de"),
    Country("es_ES", 8, "ES", "Spain", "es"),
    Country("it_IT", 8, "IT", "Italy", "it"),
    Country("nl_NL", 6, "NL", "Netherlands", "nl"),
    Country("pt_BR", 6, "BR", "Brazil", "com.br"),
)


@dataclass(frozen=True)
class Company:
    """What the leads of one company share: a realistic book has several contacts per company."""

    name: str
    domain: str
    website: str | None
    street: str | None
    city: str | None
    state: str | None
    postal_code: str | None
    industry: str | None
    employees: int | None
    annual_revenue: Decimal | None


@dataclass
class Summary:
    leads: int
    owners: int
    created_users: list[str]
    password: str | None
    seconds: float
    opportunities: int = 0
    accounts: int = 0
    contacts: int = 0
    activities: int = 0


def _text(value: str | None, length: int | None = None) -> str | None:
    """What a form stores: cut to the column, stripped, None when empty."""
    if value is None:
        return None
    if length is not None:
        value = value[:length]
    return value.strip() or None


@lru_cache(maxsize=65536)
def _ascii(text: str) -> str:
    return NOT_ALNUM.sub("", fold(text))


def _domain(company: str, tld: str) -> str:
    # Without the dots, "S.A.R.L." and "S.p.A." are words of the noise list.
    words = [w for w in NOT_ALNUM.split(fold(company).replace(".", "")) if w and w not in COMPANY_NOISE]
    label = "-".join(words[:2]) or _ascii(company) or "example"
    return f"{label[:60]}.{tld}"


def _email(rng: random.Random, first: str | None, last: str, domain: str) -> str:
    first, last = _ascii(first or ""), _ascii(last) or "contact"
    pattern = rng.random()
    if not first:
        local = last
    elif pattern < 0.45:
        local = f"{first}.{last}"
    elif pattern < 0.65:
        local = f"{first[0]}{last}"
    elif pattern < 0.80:
        local = first
    elif pattern < 0.90:
        local = f"{first}_{last}"
    else:
        local = f"{first[0]}.{last}"
    return f"{local[:64]}@{domain}"


def _phone_templates(makers: list[Callable[[], str]], region: str, foreign: bool, types: tuple, want: int,
                     rng: random.Random, default_region: str) -> list[PhoneTemplate]:
    """Valid numbers as a rep would type them: in the country's format, with the country code if foreign."""
    found: list[str] = []
    for n in range(want * 10):
        raw = makers[n % len(makers)]()
        if not PHONE_SHAPE.match(raw):
            continue
        try:
            number = phonenumbers.parse(raw, region)
        except phonenumbers.NumberParseException:
            continue
        if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in types:
            continue
        if foreign and not raw.startswith("+"):
            raw = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        found.append(raw)
        if len(found) == want:
            break
    if not found:
        # Faker knows no such number here (its en_GB mobiles are in Ofcom's fictional range,
        # which phonenumbers rejects): phonenumbers' own example, more of its digits redrawn.
        example = phonenumbers.example_number_for_type(region, types[0])
        style = phonenumbers.PhoneNumberFormat.INTERNATIONAL if foreign else phonenumbers.PhoneNumberFormat.NATIONAL
        found = [_vary(rng, phonenumbers.format_number(example, style), PHONE_VARIED_DIGITS + 2) for _ in range(want)]
    return [PhoneTemplate(raw, default_region, PHONE_VARIED_DIGITS) for raw in found]


def _vary(rng: random.Random, template: str, count: int = PHONE_VARIED_DIGITS) -> str:
    """The template with its last `count` digits redrawn, its punctuation kept."""
    chars = list(template)
    digits = f"{rng.randrange(10 ** count):0{count}d}"
    left = count
    for i in range(len(chars) - 1, -1, -1):
        if chars[i].isdigit():
            left -= 1
            chars[i] = digits[left]
            if not left:
                break
    return "".join(chars)


def _random_number(rng: random.Random, templates: list[PhoneTemplate]) -> tuple[str, str | None]:
    """A number and its E.164 form, as the app's e164() computes it (see crm/demo_phones.py)."""
    for _ in range(PHONE_ATTEMPTS):
        raw, value = rng.choice(templates).draw(rng)
        if value:
            return raw, value
    # Still invalid: kept, as a mistyped number is in real data.
    return raw, None


class _FoldTable(dict):
    """fold() of each character, computed on first sight (for str.translate)."""

    def __missing__(self, code: int) -> str:
        self[code] = folded = fold(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()
NOT_PHONE_DIGIT = re.compile(r"[^0-9 ]")


def _fast_fold(text: str) -> str:
    """fold(), character by character (as it works: each character decomposes, loses its accents and
    its case on its own), from a table: plain ASCII only needs casefold."""
    return text.casefold() if text.isascii() else text.translate(_FOLD_TABLE)


def _phone_digits(*numbers: str | None) -> str:
    """The digits and spaces of the numbers, as the models' search text keeps them."""
    return NOT_PHONE_DIGIT.sub("", " ".join(n or "" for n in numbers))


# What the models' own methods compute, on rows: the seed makes 150,000 records, and fold() on
# stand-ins costs seconds. tests/test_demo.py holds each equal to its model method.
def lead_search_text(row: dict) -> str:
    """Lead.refresh_search_text()."""
    parts = [row["first_name"], row["last_name"], row["company"], row["email"], row["phone"], row["mobile"],
             row["phone_e164"], row["mobile_e164"], _phone_digits(row["phone"], row["mobile"])]
    return _fast_fold(" ".join(p for p in parts if p))


def contact_search_text(row: dict) -> str:
    """Contact.refresh_derived()."""
    parts = [row["first_name"], row["last_name"], row["email"], row["phone"], row["mobile"], row["phone_e164"],
             row["mobile_e164"], _phone_digits(row["phone"], row["mobile"])]
    return _fast_fold(" ".join(p for p in parts if p))


def account_derived(row: dict, name_key: str) -> dict:
    """Account.refresh_derived(): name_key (computed by the caller, once per name), domain, search_text."""
    digits = "".join(c for c in (row["phone"] or "") if c.isdigit())
    parts = [row["name"], row["website"], row["phone"], row["phone_e164"], digits, row["billing_city"],
             row["billing_country"]]
    return {"name_key": name_key, "domain": website_domain(row["website"]),
            "search_text": _fast_fold(" ".join(p for p in parts if p))}


def opportunity_search_text(row: dict, account_name: str) -> str:
    """Opportunity.refresh_derived()."""
    return _fast_fold(" ".join(p for p in (row["name"], row["next_step"], account_name) if p))


class LocalePools:
    """Faker pools for one country, drawn once: Faker is slow per call, a pool pick is not."""

    def __init__(self, country: Country, *, people: int, companies: int, seed: int, default_region: str,
                 industries: list[str], rng: random.Random):
        self.country = country
        fake = Faker(country.locale)
        fake.seed_instance(seed)
        names = max(20, min(POOL_MAX, people))
        self.first_female = [_text(fake.first_name_female(), 40) for _ in range(names)]
        self.first_male = [_text(fake.first_name_male(), 40) for _ in range(names)]
        self.last_names = [_text(fake.last_name(), 80) or "Smith" for _ in range(names)]
        # From now on Faker's names come from the pools: its company and street formats use them,
        # and its en_US names are weighted draws, the slowest of all.
        generator = fake.factories[0]
        pick = fake.random.choice
        generator.set_formatter("first_name_female", lambda: pick(self.first_female))
        generator.set_formatter("first_name_male", lambda: pick(self.first_male))
        generator.set_formatter("first_name", lambda: pick(self.first_female if pick((0, 1)) else self.first_male))
        generator.set_formatter("last_name", lambda: pick(self.last_names))
        self.titles = [_text(job[:1].upper() + job[1:], 128) for job in (fake.job() for _ in range(names // 2))]
        self.descriptions = [_text(fake.text(max_nb_chars=300)) for _ in range(max(5, min(60, people // 20)))]
        self.addresses = [(
            # en_GB addresses come on two lines ("Flat 3\nDunn Ports"); the form has one.
            _text(fake.street_address().replace("\n", ", "), 255),
            _text(fake.city(), 40),
            _text(fake.administrative_unit(), 80) if rng.random() < 0.85 else None,
            _text(fake.postcode(), 20),
        ) for _ in range(max(1, min(ADDRESS_POOL, companies)))]
        self.companies = [self._company(fake, industries, rng) for _ in range(max(1, min(COMPANY_POOL_MAX, companies)))]
        foreign = country.region != default_region
        want = max(10, min(PHONE_TEMPLATES, people))
        self.phones = _phone_templates([fake.phone_number], country.region, foreign, PHONE_TYPES, want, fake.random,
                                       default_region)
        # Only a few locales have mobile formats; the others' phone formats include mobiles.
        makers = [fake.phone_number] + ([fake.cellphone_number] if hasattr(fake, "cellphone_number") else [])
        self.mobiles = _phone_templates(makers, country.region, foreign, MOBILE_TYPES, want, fake.random,
                                        default_region)

    def _company(self, fake: Faker, industries: list[str], rng: random.Random) -> Company:
        name = _text(fake.company(), 255) or fake.last_name()
        domain = _domain(name, self.country.tld)
        employees = int(10 ** (rng.random() * 4.7)) if rng.random() < 0.75 else None
        annual_revenue = None
        if rng.random() < 0.65:
            revenue = (employees or int(10 ** (rng.random() * 3))) * (60_000 + rng.random() * 290_000)
            annual_revenue = Decimal(max(1, round(revenue / 1000)) * 1000)
        street, city, state, postal_code = rng.choice(self.addresses)
        return Company(
            name=name,
            domain=domain,
            website=f"https://www.{domain}" if rng.random() < 0.75 else None,
            street=street,
            city=city,
            state=state,
            postal_code=postal_code,
            industry=rng.choice(industries) if industries and rng.random() < 0.9 else None,
            employees=employees,
            annual_revenue=annual_revenue,
        )

    def person(self, rng: random.Random) -> tuple[str | None, str | None, str]:
        """A salutation, a first name and a last name."""
        female = rng.random() < 0.5
        first = rng.choice(self.first_female if female else self.first_male)
        last = rng.choice(self.last_names)
        roll = rng.random()
        if roll < 0.15:
            salutation = None
        elif roll < 0.20:
            salutation = "Dr."
        elif roll < 0.21:
            salutation = "Prof."
        elif female:
            salutation = "Mrs." if roll > 0.85 else "Ms."
        else:
            salutation = "Mr."
        return salutation, first, last


def make_pools(*, people: int, accounts: int, seed: int, default_region: str, industries: list[str],
               rng: random.Random) -> list[LocalePools]:
    """Each demo country's pools, sized for its share of `people` (leads and contacts) and `accounts`."""
    total_weight = sum(c.weight for c in COUNTRIES)
    pools = []
    for n, country in enumerate(COUNTRIES):
        share = people * country.weight // total_weight + 1
        account_share = accounts * country.weight // total_weight + 1
        pools.append(LocalePools(country, people=share, companies=max(share // LEADS_PER_COMPANY, account_share),
                                 seed=seed + n, default_region=default_region, industries=industries, rng=rng))
    return pools


def _status_weights(statuses: list[LeadStatus]) -> tuple[list[int], list[float]]:
    """Most leads open (in the default status above all), some working, some closed; never converted."""
    open_ = [s for s in statuses if not s.is_closed and not s.is_converted]
    closed = [s for s in statuses if s.is_closed and not s.is_converted]
    default = next((s for s in open_ if s.is_default), None)
    others = [s for s in open_ if s is not default]
    weights: dict[int, float] = {}
    if default is not None:
        weights[default.id] = 0.55 if others else 0.85
    for status in others:
        weights[status.id] = (0.30 if default is not None else 0.85) / len(others)
    for status in closed:
        weights[status.id] = 0.15 / len(closed)
    if not weights:
        raise click.ClickException("no lead status but the converted one: add one under Admin first")
    return list(weights), list(weights.values())


def generate_leads(count: int, *, pools: list[LocalePools], owner_ids: list[int], status_ids: list[int],
                   status_weights: list[float], picklists: dict[str, list[str]], seed: int, now: datetime,
                   chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the leads' rows, `chunk_size` at a time, each exactly as the app would store it."""
    if count <= 0:
        return
    rng = SeededRandom(seed)
    pick_locale = picker(rng, pools, [c.weight for c in COUNTRIES])
    pick_status = picker(rng, status_ids, status_weights)
    sources = picklists.get("lead_source") or [None]
    ratings = picklists.get("rating") or [None]
    # Creation times in order, so that ids follow them as they would in real life.
    history = HISTORY.total_seconds()
    ages = sorted((rng.random() * history for _ in range(count)), reverse=True)

    def rows() -> Iterator[dict]:
        for n in range(count):
            loc = pick_locale()
            company = rng.choice(loc.companies)
            salutation, first, last = loc.person(rng)
            phone, phone_e164 = _random_number(rng, loc.phones) if rng.random() < 0.9 else (None, None)
            mobile, mobile_e164 = _random_number(rng, loc.mobiles) if rng.random() < 0.6 else (None, None)
            age = int(ages[n])
            created_at = now - timedelta(seconds=age)
            # Most leads were touched after their creation, the recent past more often.
            updated_at = (created_at + timedelta(seconds=int(age * rng.random() ** 2)) if rng.random() < 0.7
                          else created_at)
            owner_id = owner_ids[n % len(owner_ids)]
            row = {
                "salutation": salutation,
                "first_name": first,
                "last_name": last,
                "company": company.name,
                "title": rng.choice(loc.titles),
                "email": _text(_email(rng, first, last, company.domain).lower(), 254),
                "phone": phone,
                "phone_e164": phone_e164,
                "mobile": mobile,
                "mobile_e164": mobile_e164,
                "website": company.website,
                "street": company.street,
                "city": company.city,
                "state": company.state,
                "postal_code": company.postal_code,
                "country": loc.country.name,
                "industry": company.industry,
                "annual_revenue": company.annual_revenue,
                "employees": company.employees,
                "lead_source": rng.choice(sources) if rng.random() < 0.95 else None,
                "rating": rng.choice(ratings) if rng.random() < 0.7 else None,
                "status_id": pick_status(),
                "description": rng.choice(loc.descriptions) if rng.random() < 0.25 else None,
                "owner_id": owner_id,
                "created_by_id": owner_id,
                "updated_by_id": owner_id,
                "created_at": created_at,
                "updated_at": updated_at,
            }
            row["search_text"] = lead_search_text(row)
            yield row

    yield from chunked(rows(), chunk_size)



# Opportunities: several deals per account, most of them open, spread over the pipeline's stages.
OPPORTUNITIES_PER_ACCOUNT = 4
OPPORTUNITY_HISTORY = timedelta(days=365)
OPEN_SHARE, WON_SHARE, LOST_SHARE = 0.80, 0.12, 0.08
DEAL_KINDS = ("New Business", "Expansion", "Renewal", "Upgrade", "Services", "Pilot", "Licences", "Support Contract",
              "Training", "Migration")
NEXT_STEPS = ("Send the proposal", "Book a demo", "Call the decision maker", "Agree on the pilot scope",
              "Review the contract", "Meet the procurement team", "Send references", "Follow up on the quote")
# Contacts when only --contacts is given: about this many per account.
CONTACTS_PER_ACCOUNT = 3


@dataclass(frozen=True)
class SeededAccount:
    """What the contacts, deals and activities of a new account need to know of it."""

    id: int
    name: str
    domain: str
    pools: LocalePools
    owner_id: int
    created_at: datetime


def _stage_weights(stages: list[Stage]) -> tuple[list[Stage], list[float]]:
    """Most deals open, fewer as the stages go on; some won, fewer lost."""
    open_ = [s for s in stages if not s.is_closed]
    won = [s for s in stages if s.is_closed and s.is_won]
    lost = [s for s in stages if s.is_lost]
    if not open_:
        raise click.ClickException("the default pipeline has no open stage: add one under Admin first")
    ranks = [len(open_) - n + 1 for n in range(len(open_))]  # the first stage the fullest
    open_share = 1 - (WON_SHARE if won else 0) - (LOST_SHARE if lost else 0)
    weights = [open_share * r / sum(ranks) for r in ranks]
    weights += [WON_SHARE / len(won)] * len(won) + [LOST_SHARE / len(lost)] * len(lost)
    return open_ + won + lost, weights


def _account_companies(count: int, pools: list[LocalePools], rng: random.Random) -> list[tuple[Company, LocalePools]]:
    """`count` companies of the demo countries by their weights, each once as far as the pools go."""
    total_weight = sum(c.weight for c in COUNTRIES)
    chosen: list[tuple[Company, LocalePools]] = []
    for loc in pools:
        share = max(1, round(count * loc.country.weight / total_weight))
        companies = rng.sample(loc.companies, len(loc.companies))
        chosen += [(companies[n % len(companies)], loc) for n in range(share)]
    rng.shuffle(chosen)
    return chosen[:count] if len(chosen) >= count else chosen + rng.choices(chosen, k=count - len(chosen))


def generate_accounts(count: int, *, pools: list[LocalePools], owner_ids: list[int], seed: int, now: datetime,
                      chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the accounts' rows, `chunk_size` at a time, with their keys as Account.refresh_derived makes them.

    Each row also carries, under "_pools" and "_domain", its country's pools and its email domain
    (not columns: the caller strips them)."""
    if count <= 0:
        return
    rng = SeededRandom(seed)
    companies = _account_companies(count, pools, rng)
    name_keys: dict[str, str] = {}
    ages = sorted((rng.random() * HISTORY.total_seconds() for _ in range(count)), reverse=True)

    def rows() -> Iterator[dict]:
        for n in range(count):
            company, loc = companies[n]
            created_at = now - timedelta(seconds=int(ages[n]))
            owner_id = owner_ids[n % len(owner_ids)]
            phone, phone_e164 = _random_number(rng, loc.phones) if rng.random() < 0.7 else (None, None)
            row = {
                "name": company.name,
                "website": f"https://www.{company.domain}" if rng.random() < 0.8 else None,
                "phone": phone,
                "phone_e164": phone_e164,
                "industry": company.industry,
                "billing_street": company.street,
                "billing_city": company.city,
                "billing_state": company.state,
                "billing_postal_code": company.postal_code,
                "billing_country": loc.country.name,
                "owner_id": owner_id,
                "created_by_id": owner_id,
                "updated_by_id": owner_id,
                "created_at": created_at,
                "updated_at": created_at,
            }
            if company.name not in name_keys:
                name_keys[company.name] = company_key(company.name)
            row.update(account_derived(row, name_keys[company.name]), _pools=loc, _domain=company.domain)
            yield row

    yield from chunked(rows(), chunk_size)


def generate_contacts(count: int, *, accounts: list[SeededAccount], lead_sources: list[str], seed: int,
                      now: datetime, chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the contacts' rows, `chunk_size` at a time, each as create_contact() stores it.

    Contacts spread over the accounts, a few more on some: people of the account's country, with an
    address of their country and an email at the account's domain, owned by the account's owner."""
    if count <= 0:
        return
    rng = SeededRandom(seed)
    sources = lead_sources or [None]

    def rows() -> Iterator[dict]:
        for n in range(count):
            account = accounts[n * len(accounts) // count] if rng.random() < 0.7 else rng.choice(accounts)
            loc = account.pools
            salutation, first, last = loc.person(rng)
            phone, phone_e164 = _random_number(rng, loc.phones) if rng.random() < 0.85 else (None, None)
            mobile, mobile_e164 = _random_number(rng, loc.mobiles) if rng.random() < 0.6 else (None, None)
            address = rng.choice(loc.companies)
            since = (now - account.created_at).total_seconds()
            created_at = account.created_at + timedelta(seconds=int(since * rng.random()))
            updated_at = (created_at + timedelta(seconds=int((now - created_at).total_seconds() * rng.random() ** 2))
                          if rng.random() < 0.6 else created_at)
            row = {
                "account_id": account.id,
                "salutation": salutation,
                "first_name": first,
                "last_name": last,
                "title": rng.choice(loc.titles) if rng.random() < 0.9 else None,
                "email": _text(_email(rng, first, last, account.domain).lower(), 254) if rng.random() < 0.95 else None,
                "phone": phone,
                "phone_e164": phone_e164,
                "mobile": mobile,
                "mobile_e164": mobile_e164,
                "mailing_street": address.street,
                "mailing_city": address.city,
                "mailing_state": address.state,
                "mailing_postal_code": address.postal_code,
                "mailing_country": loc.country.name,
                "owner_id": account.owner_id,
                "lead_source": rng.choice(sources) if rng.random() < 0.6 else None,
                "description": rng.choice(loc.descriptions) if rng.random() < 0.1 else None,
                "created_by_id": account.owner_id,
                "updated_by_id": account.owner_id,
                "created_at": created_at,
                "updated_at": updated_at,
            }
            row["search_text"] = contact_search_text(row)
            yield row

    yield from chunked(rows(), chunk_size)


def generate_opportunities(count: int, *, accounts: list[tuple[int, str]], owner_ids: list[int], stages: list[Stage],
                           loss_reasons: list[str], lead_sources: list[str], seed: int, now: datetime,
                           chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the opportunities' rows, `chunk_size` at a time, each as create_opportunity() stores it.

    `accounts` are (id, name) pairs; deal n goes to the account n * len(accounts) // count, so each
    account gets its share, in the order of their creation.
    """
    if count <= 0:
        return
    rng = SeededRandom(seed)
    stage_list, weights = _stage_weights(stages)
    pick_stage = picker(rng, stage_list, weights)
    today = now.date()
    ages = sorted((rng.random() * OPPORTUNITY_HISTORY.total_seconds() for _ in range(count)), reverse=True)

    def rows() -> Iterator[dict]:
        for n in range(count):
            account_id, account_name = accounts[n * len(accounts) // count]
            stage = pick_stage()
            age = int(ages[n])
            created_at = now - timedelta(seconds=age)
            updated_at = (created_at + timedelta(seconds=int(age * rng.random() ** 2)) if rng.random() < 0.7
                          else created_at)
            if stage.is_closed:
                close_date = min(today, created_at.date() + timedelta(days=rng.randint(7, 120)))
            else:
                # Around today: a few overdue, most in the coming two quarters.
                close_date = today + timedelta(days=rng.randint(-30, 180))
            amount = Decimal(round(10 ** (3 + rng.random() * 2.7), -2)).quantize(Decimal("0.01"))
            owner_id = owner_ids[n % len(owner_ids)]
            row = {
                "name": f"{account_name[:96].strip()} - {rng.choice(DEAL_KINDS)}",
                "account_id": account_id,
                "pipeline_id": stage.pipeline_id,
                "stage_id": stage.id,
                "amount": amount if rng.random() < 0.95 else None,
                "close_date": close_date if rng.random() < 0.97 else None,
                "probability": stage.probability,
                "probability_overridden": False,
                "owner_id": owner_id,
                "lead_source": rng.choice(lead_sources) if lead_sources and rng.random() < 0.7 else None,
                "next_step": rng.choice(NEXT_STEPS) if not stage.is_closed and rng.random() < 0.6 else None,
                "loss_reason": (rng.choice(loss_reasons) if loss_reasons else None) if stage.is_lost else None,
                "description": None,
                "created_by_id": owner_id,
                "updated_by_id": owner_id,
                "created_at": created_at,
                "updated_at": updated_at,
                # Its creation is its only history row: it entered its stage then.
                "stage_entered_at": created_at,
            }
            row["search_text"] = opportunity_search_text(row, account_name)
            yield row

    yield from chunked(rows(), chunk_size)


def _ahead(chunks: Iterator[list[dict]], table: sa.Table) -> Iterator[tuple[list[dict], list]]:
    """The chunks and their parameters, generated by a thread while the previous ones are inserted."""
    return ahead(chunks, db.session.get_bind().dialect.name, table)


def _insert_returning_ids(table: sa.Table, rows: list[dict], params: list | None = None,
                          load: BulkLoad | None = None) -> list[int]:
    """Insert the rows in one statement per chunk; their new ids, in the rows' order. With a load,
    index them for search at once (see BulkLoad.index_search)."""
    last = db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0
    insert_rows(db.session, table, rows, params)
    ids = list(db.session.scalars(sa.select(table.c.id).where(table.c.id > last).order_by(table.c.id)))
    if len(ids) != len(rows):
        raise click.ClickException("someone else is writing to the database: seed it alone")
    if load is not None:
        load.index_search(table.name)
    return ids


def _picklists() -> dict[str, list[str]]:
    """The active labels of every picklist, in the admin's order."""
    picklists: dict[str, list[str]] = {name: [] for name in LEAD_PICKLISTS}
    for picklist, label in db.session.execute(
            sa.select(PicklistValue.picklist, PicklistValue.label).where(PicklistValue.active)
            .order_by(PicklistValue.picklist, PicklistValue.position, PicklistValue.id)):
        picklists.setdefault(picklist, []).append(label)
    return picklists


def seed_leads(count: int, *, pools: list[LocalePools], owner_ids: list[int], picklists: dict[str, list[str]],
               seed: int, now: datetime, chunk_size: int, load: BulkLoad | None = None
               ) -> list[tuple[int, int, datetime]]:
    """Insert the leads and their duplicate match keys (which the ORM would have written one by one);
    the new leads as (id, owner id, created at)."""
    statuses = list(db.session.scalars(sa.select(LeadStatus).order_by(LeadStatus.position, LeadStatus.id)))
    status_ids, status_weights = _status_weights(statuses)
    name_keys: dict[str, str] = {}
    company_keys: dict[str, str] = {}
    seeded: list[tuple[int, int, datetime]] = []
    chunks = generate_leads(count, pools=pools, owner_ids=owner_ids, status_ids=status_ids,
                            status_weights=status_weights, picklists=picklists, seed=seed, now=now,
                            chunk_size=chunk_size)
    for chunk, params in _ahead(chunks, Lead.__table__):
        ids = _insert_returning_ids(Lead.__table__, chunk, params, load)
        match_keys = []
        for lead_id, row in zip(ids, chunk, strict=True):
            # match_key_values(), once per name and company: they come from pools.
            last, company = row["last_name"], row["company"]
            if last not in name_keys:
                name_keys[last] = name_key(last)[:80]
            if company not in company_keys:
                company_keys[company] = company_key(company)[:255]
            match_keys.append({"lead_id": lead_id, "name_key": name_keys[last], "company_key": company_keys[company]})
            seeded.append((lead_id, row["owner_id"], row["created_at"]))
        insert_rows(db.session, LeadMatchKey.__table__, match_keys)
    # Any lead still without its keys (none, unless the seed itself was interrupted before).
    while sync_match_keys():
        pass
    return seeded


def seed_accounts(count: int, *, pools: list[LocalePools], owner_ids: list[int], seed: int, now: datetime,
                  chunk_size: int, load: BulkLoad | None = None) -> list[SeededAccount]:
    accounts: list[SeededAccount] = []
    chunks = generate_accounts(count, pools=pools, owner_ids=owner_ids, seed=seed, now=now, chunk_size=chunk_size)
    for chunk, params in _ahead(chunks, Account.__table__):
        ids = _insert_returning_ids(Account.__table__, chunk, params, load)
        accounts += [SeededAccount(account_id, row["name"], row["_domain"], row["_pools"], row["owner_id"],
                                   row["created_at"]) for account_id, row in zip(ids, chunk, strict=True)]
    return accounts


def seed_contacts(count: int, *, accounts: list[SeededAccount], picklists: dict[str, list[str]], seed: int,
                  now: datetime, chunk_size: int, load: BulkLoad | None = None) -> list[tuple[int, int, int, datetime]]:
    """Insert the contacts; the new ones as (id, account id, owner id, created at)."""
    contacts: list[tuple[int, int, int, datetime]] = []
    chunks = generate_contacts(count, accounts=accounts, lead_sources=picklists.get("lead_source", []), seed=seed,
                               now=now, chunk_size=chunk_size)
    for chunk, params in _ahead(chunks, Contact.__table__):
        ids = _insert_returning_ids(Contact.__table__, chunk, params, load)
        contacts += [(contact_id, row["account_id"], row["owner_id"], row["created_at"])
                     for contact_id, row in zip(ids, chunk, strict=True)]
    return contacts


def seed_opportunities(count: int, *, accounts: list[SeededAccount], owner_ids: list[int],
                       picklists: dict[str, list[str]], seed: int, now: datetime,
                       chunk_size: int = CHUNK_SIZE, load: BulkLoad | None = None
                       ) -> list[tuple[int, int, int, datetime]]:
    """Insert `count` opportunities of the default pipeline on the accounts, with their creation history
    rows; the new ones as (id, account id, owner id, created at)."""
    from crm.opportunities import services

    if count <= 0:
        return []
    stages = services.stages_of(services.default_pipeline().id)
    stage_names = {stage.id: stage.name for stage in stages}
    opportunities: list[tuple[int, int, int, datetime]] = []
    chunks = generate_opportunities(count, accounts=[(a.id, a.name) for a in accounts], owner_ids=owner_ids,
                                    stages=stages, loss_reasons=picklists.get("loss_reason", []),
                                    lead_sources=picklists.get("lead_source", []), seed=seed, now=now,
                                    chunk_size=chunk_size)
    for chunk, params in _ahead(chunks, Opportunity.__table__):
        ids = _insert_returning_ids(Opportunity.__table__, chunk, params, load)
        insert_rows(db.session, OpportunityStageHistory.__table__, [
            {"opportunity_id": opportunity_id, "from_stage_id": None, "from_stage": None,
             "to_stage_id": row["stage_id"], "to_stage": stage_names[row["stage_id"]], "amount": row["amount"],
             "probability": row["probability"], "close_date": row["close_date"], "days_in_previous": None,
             "changed_by_id": row["created_by_id"], "changed_at": row["created_at"]}
            for opportunity_id, row in zip(ids, chunk, strict=True)])
        opportunities += [(opportunity_id, row["account_id"], row["owner_id"], row["created_at"])
                          for opportunity_id, row in zip(ids, chunk, strict=True)]
    return opportunities


def ensure_owners(users: int, seed: int) -> tuple[list[int], list[str], str | None]:
    """The active users' ids (oldest first), after creating demo reps until `users` are active."""
    active = list(db.session.scalars(sa.select(User.id).where(User.active).order_by(User.id)))
    missing = users - len(active)
    if missing <= 0:
        return active, [], None
    taken = set(db.session.scalars(sa.select(User.email).where(User.email.like("rep%@demo.example"))))
    names = Faker("en_US")
    names.seed_instance(seed)
    password = secrets.token_urlsafe(12)
    created: list[str] = []
    n = 0
    while len(created) < missing:
        n += 1
        email = REP_EMAIL.format(n)
        if email in taken:
            continue
        user = auth_services.create_user(email=email, name=names.name(), role="rep", password=password)
        active.append(user.id)
        created.append(user.email)
    db.session.commit()
    return active, created, password


def seed_demo(leads: int, *, users: int = 5, seed: int = 42, now: datetime | None = None,
              chunk_size: int = CHUNK_SIZE, opportunities: int = 0, accounts: int | None = None,
              contacts: int = 0, activities: int = 0) -> Summary:
    """Insert fake leads, accounts (about one per OPPORTUNITIES_PER_ACCOUNT deals unless `accounts` is
    given), contacts of the accounts, opportunities on them and activities on all of these, owned by
    the active users in turn; in one transaction (see crm/demo_bulk.py)."""
    started = time.perf_counter()
    if accounts is None:
        accounts = (-(-opportunities // OPPORTUNITIES_PER_ACCOUNT) if opportunities
                    else -(-contacts // CONTACTS_PER_ACCOUNT))
    if not accounts and (opportunities or contacts):
        raise click.ClickException("contacts and opportunities belong to accounts: use --accounts 1 or more")
    owner_ids, created, password = ensure_owners(users, seed)
    if not owner_ids:
        raise click.ClickException("no active user to own the leads: use --users 1 or more")
    if opportunities:
        # Before any work: a pipeline with no open stage is an error.
        from crm.opportunities import services

        _stage_weights(services.stages_of(services.default_pipeline().id))
    picklists = _picklists()
    now = now or utcnow().replace(microsecond=0)
    pools = make_pools(people=max(leads, contacts), accounts=accounts, seed=seed,
                       default_region=current_app.config["DEFAULT_PHONE_REGION"],
                       industries=picklists.get("industry", []), rng=SeededRandom(seed))
    load = BulkLoad(db.session, {
        Lead.__tablename__: leads, LeadMatchKey.__tablename__: leads, Account.__tablename__: accounts,
        Contact.__tablename__: contacts, Opportunity.__tablename__: opportunities,
        OpportunityStageHistory.__tablename__: opportunities, Activity.__tablename__: activities})
    try:
        seeded_leads = seed_leads(leads, pools=pools, owner_ids=owner_ids, picklists=picklists, seed=seed, now=now,
                                  chunk_size=chunk_size, load=load)
        seeded_accounts = seed_accounts(accounts, pools=pools, owner_ids=owner_ids, seed=seed + 1, now=now,
                                        chunk_size=chunk_size, load=load)
        seeded_opportunities = seed_opportunities(opportunities, accounts=seeded_accounts, owner_ids=owner_ids,
                                                  picklists=picklists, seed=seed + 2, now=now, chunk_size=chunk_size,
                                                  load=load)
        seeded_contacts = seed_contacts(contacts, accounts=seeded_accounts, picklists=picklists, seed=seed + 3,
                                        now=now, chunk_size=chunk_size, load=load)
        records = {
            "lead": [(lead_id, None, owner, at) for lead_id, owner, at in seeded_leads],
            "contact": seeded_contacts,
            "account": [(a.id, a.id, a.owner_id, a.created_at) for a in seeded_accounts],
            "opportunity": seeded_opportunities,
        }
        # The activities are generated while the other tables get their indexes and search entries.
        activity_chunks = _ahead(generate_activities(activities, records=records, owner_ids=owner_ids,
                                                     seed=seed + 4, now=now, chunk_size=chunk_size),
                                 Activity.__table__)
        load.complete([table.__tablename__ for table in (Lead, LeadMatchKey, Account, Contact, Opportunity,
                                                         OpportunityStageHistory)])
        for chunk, params in activity_chunks:
            insert_rows(db.session, Activity.__table__, chunk, params)
        seed_catalog()
        load.finish()
    except BaseException:
        load.abort()
        raise
    return Summary(leads, len(owner_ids), created, password, time.perf_counter() - started, opportunities, accounts,
                   contacts, activities)


@click.command("seed-demo")
@click.option("--leads", type=click.IntRange(min=0), default=1000, show_default=True, help="How many leads.")
@click.option("--users", type=click.IntRange(min=0), default=5, show_default=True,
              help="Demo reps are created until this many users are active; all active users own leads in turn.")
@click.option("--seed", type=int, default=42, show_default=True, help="The same seed gives the same data.")
@click.option("--accounts", type=click.IntRange(min=0), default=None,
              help="How many accounts (default: one for about every four opportunities, or three contacts).")
@click.option("--contacts", type=click.IntRange(min=0), default=0, show_default=True,
              help="How many contacts, spread over the new accounts.")
@click.option("--opportunities", type=click.IntRange(min=0), default=0, show_default=True,
              help="How many opportunities, in the default pipeline, spread over the new accounts.")
@click.option("--activities", type=click.IntRange(min=0), default=0, show_default=True,
              help="How many activities (notes, calls, emails, tasks, events) on the new records.")
@with_appcontext
def seed_demo_command(leads: int, users: int, seed: int, accounts: int | None, contacts: int, opportunities: int,
                      activities: int) -> None:
    """Fill the database with realistic fake leads, accounts, contacts, opportunities and activities (bulk inserts:
    100,000 leads in seconds)."""
    summary = seed_demo(leads, users=users, seed=seed, opportunities=opportunities, accounts=accounts,
                        contacts=contacts, activities=activities)
    if summary.created_users:
        click.echo(f"Created {len(summary.created_users)} demo reps ({', '.join(summary.created_users)}) "
                   f"with the password {summary.password} (shown only now).")
    owners = f"owned by {summary.owners} users in {summary.seconds:.1f} s."
    if accounts is not None or summary.contacts or summary.activities:
        click.echo(f"Seeded {summary.leads} leads, {summary.accounts} accounts, {summary.contacts} contacts, "
                   f"{summary.opportunities} opportunities and {summary.activities} activities {owners}")
    elif summary.opportunities:
        click.echo(f"Seeded {summary.leads} leads and {summary.opportunities} opportunities "
                   f"({summary.accounts} new accounts) {owners}")
    else:
        click.echo(f"Seeded {summary.leads} leads {owners}")


def init_app(app: Flask) -> None:
    """Register the seed-demo command."""
    app.cli.add_command(seed_demo_command)
