"""`flask --app app seed-demo`: realistic fake data, bulk inserted."""

import random
import re
import secrets
import time
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from types import SimpleNamespace

import click
import phonenumbers
import sqlalchemy as sa
from faker import Faker
from flask import Flask, current_app
from flask.cli import with_appcontext

from crm.auth import services as auth_services
from crm.extensions import db
from crm.leads.duplicates import sync_match_keys
from crm.leads.services import e164
from crm.models import (
    LEAD_PICKLISTS,
    Account,
    Lead,
    LeadStatus,
    Opportunity,
    OpportunityStageHistory,
    PicklistValue,
    Stage,
    User,
    fold,
)
from crm.models.user import utcnow

CHUNK_SIZE = 5000
HISTORY = timedelta(days=730)
REP_EMAIL = "rep{}@demo.example"
# Several leads per company, as in a real book of business; the pools are capped because drawing
# them from Faker is what costs most (its en_US names are weighted draws).
LEADS_PER_COMPANY = 6
POOL_MAX = 2500
# Phone numbers are a valid number drawn by Faker with its last digits redrawn: Faker alone draws
# many numbers phonenumbers rejects (unassigned area codes), and validating costs more than drawing.
PHONE_TEMPLATES = 100
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


def _text(value: str | None, length: int | None = None) -> str | None:
    """What a form stores: cut to the column, stripped, None when empty."""
    if value is None:
        return None
    if length is not None:
        value = value[:length]
    return value.strip() or None


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


def _phone_templates(makers: list[Callable[[], str]], region: str, foreign: bool,
                     types: tuple, want: int, rng: random.Random) -> list[str]:
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
    return found


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


def _random_number(rng: random.Random, templates: list[str]) -> tuple[str, str | None]:
    """A number and its E.164 form, computed by the app's own function."""
    for _ in range(PHONE_ATTEMPTS):
        raw = _vary(rng, rng.choice(templates))
        if value := e164(raw):
            return raw, value
    # Still invalid: kept, as a mistyped number is in real data.
    return raw, None


class LocalePools:
    """Faker pools for one country, drawn once: Faker is slow per call, a pool pick is not."""

    def __init__(self, country: Country, *, leads: int, seed: int, default_region: str,
                 industries: list[str], rng: random.Random):
        self.country = country
        fake = Faker(country.locale)
        fake.seed_instance(seed)
        names = max(20, min(POOL_MAX, leads))
        self.first_female = [_text(fake.first_name_female(), 40) for _ in range(names)]
        self.first_male = [_text(fake.first_name_male(), 40) for _ in range(names)]
        self.last_names = [_text(fake.last_name(), 80) or "Smith" for _ in range(names)]
        self.titles = [_text(job[:1].upper() + job[1:], 128) for job in (fake.job() for _ in range(names // 2))]
        self.descriptions = [_text(fake.text(max_nb_chars=300)) for _ in range(max(5, min(200, leads // 20)))]
        companies = max(1, min(POOL_MAX, leads // LEADS_PER_COMPANY))
        self.companies = [self._company(fake, industries, rng) for _ in range(companies)]
        foreign = country.region != default_region
        want = max(10, min(PHONE_TEMPLATES, leads))
        self.phones = _phone_templates([fake.phone_number], country.region, foreign, PHONE_TYPES, want, fake.random)
        # Only a few locales have mobile formats; the others' phone formats include mobiles.
        makers = [fake.phone_number] + ([fake.cellphone_number] if hasattr(fake, "cellphone_number") else [])
        self.mobiles = _phone_templates(makers, country.region, foreign, MOBILE_TYPES, want, fake.random)

    def _company(self, fake: Faker, industries: list[str], rng: random.Random) -> Company:
        name = _text(fake.company(), 255) or fake.last_name()
        domain = _domain(name, self.country.tld)
        employees = int(10 ** (rng.random() * 4.7)) if rng.random() < 0.75 else None
        annual_revenue = None
        if rng.random() < 0.65:
            revenue = (employees or int(10 ** (rng.random() * 3))) * (60_000 + rng.random() * 290_000)
            annual_revenue = Decimal(max(1, round(revenue / 1000)) * 1000)
        return Company(
            name=name,
            domain=domain,
            website=f"https://www.{domain}" if rng.random() < 0.75 else None,
            # en_GB addresses come on two lines ("Flat 3\nDunn Ports"); the form has one.
            street=_text(fake.street_address().replace("\n", ", "), 255),
            city=_text(fake.city(), 40),
            state=_text(fake.administrative_unit(), 80) if rng.random() < 0.85 else None,
            postal_code=_text(fake.postcode(), 20),
            industry=rng.choice(industries) if industries and rng.random() < 0.9 else None,
            employees=employees,
            annual_revenue=annual_revenue,
        )


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


def _picker(rng: random.Random, values: list, weights: list[float]) -> Callable[[], object]:
    """A weighted choice, quicker than random.choices when called 100,000 times."""
    cumulative = list(accumulate(weights))
    total = cumulative[-1]
    return lambda: values[bisect(cumulative, rng.random() * total)]


def generate_leads(count: int, *, owner_ids: list[int], status_ids: list[int], status_weights: list[float],
                   picklists: dict[str, list[str]], seed: int, now: datetime, default_region: str,
                   chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the leads' rows, `chunk_size` at a time, each exactly as the app would store it."""
    if count <= 0:
        return
    rng = random.Random(seed)  # noqa: S311  (fake data, seeded on purpose)
    total_weight = sum(c.weight for c in COUNTRIES)
    locales = [
        LocalePools(c, leads=count * c.weight // total_weight + 1, seed=seed + n, default_region=default_region,
                    industries=picklists.get("industry", []), rng=rng)
        for n, c in enumerate(COUNTRIES)
    ]
    pick_locale = _picker(rng, locales, [c.weight for c in COUNTRIES])
    pick_status = _picker(rng, status_ids, status_weights)
    sources = picklists.get("lead_source") or [None]
    ratings = picklists.get("rating") or [None]
    # Creation times in order, so that ids follow them as they would in real life.
    history = HISTORY.total_seconds()
    ages = sorted((rng.random() * history for _ in range(count)), reverse=True)
    chunk: list[dict] = []
    for n in range(count):
        loc = pick_locale()
        company = rng.choice(loc.companies)
        female = rng.random() < 0.5
        first = rng.choice(loc.first_female if female else loc.first_male)
        last = rng.choice(loc.last_names)
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
        phone, phone_e164 = _random_number(rng, loc.phones) if rng.random() < 0.9 else (None, None)
        mobile, mobile_e164 = _random_number(rng, loc.mobiles) if rng.random() < 0.6 else (None, None)
        age = int(ages[n])
        created_at = now - timedelta(seconds=age)
        # Most leads were touched after their creation, the recent past more often.
        updated_at = created_at + timedelta(seconds=int(age * rng.random() ** 2)) if rng.random() < 0.7 else created_at
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
        # The model's own method, on a stand-in: 100,000 ORM objects would cost seconds.
        probe = SimpleNamespace(**row)
        Lead.refresh_search_text(probe)
        row["search_text"] = probe.search_text
        chunk.append(row)
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# Opportunities: several deals per account, most of them open, spread over the pipeline's stages.
OPPORTUNITIES_PER_ACCOUNT = 4
OPPORTUNITY_HISTORY = timedelta(days=365)
OPEN_SHARE, WON_SHARE, LOST_SHARE = 0.80, 0.12, 0.08
DEAL_KINDS = ("New Business", "Expansion", "Renewal", "Upgrade", "Services", "Pilot", "Licences", "Support Contract",
              "Training", "Migration")
NEXT_STEPS = ("Send the proposal", "Book a demo", "Call the decision maker", "Agree on the pilot scope",
              "Review the contract", "Meet the procurement team", "Send references", "Follow up on the quote")


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


def _company_names(count: int, seed: int) -> list[str]:
    """Company names from every demo country, drawn once (see POOL_MAX)."""
    per_locale = max(5, min(POOL_MAX // len(COUNTRIES), count))
    names: list[str] = []
    for n, country in enumerate(COUNTRIES):
        fake = Faker(country.locale)
        fake.seed_instance(seed + n)
        names += [(_text(fake.company(), 255) or fake.last_name(), country) for _ in range(per_locale)]
    return names


def generate_accounts(count: int, *, owner_ids: list[int], industries: list[str], seed: int, now: datetime,
                      chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the accounts' rows, `chunk_size` at a time, with their keys as Account.refresh_derived makes them."""
    if count <= 0:
        return
    rng = random.Random(seed)  # noqa: S311  (fake data, seeded on purpose)
    pool = _company_names(count, seed)
    rng.shuffle(pool)
    ages = sorted((rng.random() * HISTORY.total_seconds() for _ in range(count)), reverse=True)
    chunk: list[dict] = []
    for n in range(count):
        name, country = pool[n % len(pool)]
        created_at = now - timedelta(seconds=int(ages[n]))
        owner_id = owner_ids[n % len(owner_ids)]
        domain = _domain(name, country.tld)
        row = {
            "name": name,
            "website": f"https://www.{domain}" if rng.random() < 0.8 else None,
            "phone": None,
            "phone_e164": None,
            "industry": rng.choice(industries) if industries and rng.random() < 0.9 else None,
            "billing_city": None,
            "billing_country": country.name,
            "owner_id": owner_id,
            "created_by_id": owner_id,
            "updated_by_id": owner_id,
            "created_at": created_at,
            "updated_at": created_at,
        }
        # The model's own method, on a stand-in (name_key, domain, search_text).
        probe = SimpleNamespace(**row)
        Account.refresh_derived(probe)
        row.update(name_key=probe.name_key, domain=probe.domain, search_text=probe.search_text)
        chunk.append(row)
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def generate_opportunities(count: int, *, accounts: list[tuple[int, str]], owner_ids: list[int], stages: list[Stage],
                           loss_reasons: list[str], lead_sources: list[str], seed: int, now: datetime,
                           chunk_size: int = CHUNK_SIZE) -> Iterator[list[dict]]:
    """Yield the opportunities' rows, `chunk_size` at a time, each as create_opportunity() stores it.

    `accounts` are (id, name) pairs; deal n goes to the account n * len(accounts) // count, so each
    account gets its share, in the order of their creation.
    """
    if count <= 0:
        return
    rng = random.Random(seed)  # noqa: S311  (fake data, seeded on purpose)
    stage_list, weights = _stage_weights(stages)
    pick_stage = _picker(rng, stage_list, weights)
    today = now.date()
    ages = sorted((rng.random() * OPPORTUNITY_HISTORY.total_seconds() for _ in range(count)), reverse=True)
    chunk: list[dict] = []
    for n in range(count):
        account_id, account_name = accounts[n * len(accounts) // count]
        stage = pick_stage()
        age = int(ages[n])
        created_at = now - timedelta(seconds=age)
        updated_at = created_at + timedelta(seconds=int(age * rng.random() ** 2)) if rng.random() < 0.7 else created_at
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
        probe = SimpleNamespace(**row)
        Opportunity.refresh_derived(probe, account_name)
        row["search_text"] = probe.search_text
        chunk.append(row)
        if len(chunk) == chunk_size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _insert_returning_ids(table: sa.Table, rows: list[dict]) -> list[int]:
    """Insert the rows in one statement per chunk; their new ids, in the rows' order."""
    last = db.session.scalar(sa.select(sa.func.max(table.c.id))) or 0
    db.session.execute(sa.insert(table), rows)
    ids = list(db.session.scalars(sa.select(table.c.id).where(table.c.id > last).order_by(table.c.id)))
    if len(ids) != len(rows):
        raise click.ClickException("someone else is writing to the database: seed it alone")
    return ids


def seed_opportunities(count: int, *, owner_ids: list[int], seed: int, now: datetime,
                       chunk_size: int = CHUNK_SIZE) -> int:
    """Insert `count` opportunities of the default pipeline with their accounts (about one per
    OPPORTUNITIES_PER_ACCOUNT deals) and their creation history rows; commit chunk by chunk.
    The number of accounts made."""
    from crm.opportunities import services

    if count <= 0:
        return 0
    stages = services.stages_of(services.default_pipeline().id)
    picklists: dict[str, list[str]] = {}
    for picklist, label in db.session.execute(
            sa.select(PicklistValue.picklist, PicklistValue.label).where(PicklistValue.active)
            .order_by(PicklistValue.picklist, PicklistValue.position, PicklistValue.id)):
        picklists.setdefault(picklist, []).append(label)
    account_count = max(1, -(-count // OPPORTUNITIES_PER_ACCOUNT))
    accounts: list[tuple[int, str]] = []
    for chunk in generate_accounts(account_count, owner_ids=owner_ids, industries=picklists.get("industry", []),
                                   seed=seed + 1, now=now, chunk_size=chunk_size):
        ids = _insert_returning_ids(Account.__table__, chunk)
        accounts += [(account_id, row["name"]) for account_id, row in zip(ids, chunk, strict=True)]
        db.session.commit()
    stage_names = {stage.id: stage.name for stage in stages}
    for chunk in generate_opportunities(count, accounts=accounts, owner_ids=owner_ids, stages=stages,
                                        loss_reasons=picklists.get("loss_reason", []),
                                        lead_sources=picklists.get("lead_source", []), seed=seed + 2, now=now,
                                        chunk_size=chunk_size):
        ids = _insert_returning_ids(Opportunity.__table__, chunk)
        db.session.execute(sa.insert(OpportunityStageHistory.__table__), [
            {"opportunity_id": opportunity_id, "from_stage_id": None, "from_stage": None,
             "to_stage_id": row["stage_id"], "to_stage": stage_names[row["stage_id"]], "amount": row["amount"],
             "probability": row["probability"], "close_date": row["close_date"], "days_in_previous": None,
             "changed_by_id": row["created_by_id"], "changed_at": row["created_at"]}
            for opportunity_id, row in zip(ids, chunk, strict=True)])
        db.session.commit()
    return account_count


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
              chunk_size: int = CHUNK_SIZE, opportunities: int = 0) -> Summary:
    """Insert `leads` fake leads and `opportunities` fake deals (with their accounts) owned in turn
    by the active users; commit chunk by chunk."""
    started = time.perf_counter()
    owner_ids, created, password = ensure_owners(users, seed)
    if not owner_ids:
        raise click.ClickException("no active user to own the leads: use --users 1 or more")
    statuses = list(db.session.scalars(sa.select(LeadStatus).order_by(LeadStatus.position, LeadStatus.id)))
    status_ids, status_weights = _status_weights(statuses)
    picklists: dict[str, list[str]] = {name: [] for name in LEAD_PICKLISTS}
    rows = db.session.execute(
        sa.select(PicklistValue.picklist, PicklistValue.label).where(PicklistValue.active)
        .order_by(PicklistValue.picklist, PicklistValue.position, PicklistValue.id))
    for picklist, label in rows:
        picklists.setdefault(picklist, []).append(label)
    insert = sa.insert(Lead.__table__)
    now = now or utcnow().replace(microsecond=0)
    for chunk in generate_leads(leads, owner_ids=owner_ids, status_ids=status_ids, status_weights=status_weights,
                                picklists=picklists, seed=seed, now=now,
                                default_region=current_app.config["DEFAULT_PHONE_REGION"], chunk_size=chunk_size):
        db.session.execute(insert, chunk)
        db.session.commit()
    # The duplicate check's name-and-company keys, which the ORM would have written one by one.
    while sync_match_keys():
        db.session.commit()
    accounts = seed_opportunities(opportunities, owner_ids=owner_ids, seed=seed, now=now, chunk_size=chunk_size)
    return Summary(leads, len(owner_ids), created, password, time.perf_counter() - started, opportunities, accounts)


@click.command("seed-demo")
@click.option("--leads", type=click.IntRange(min=0), default=1000, show_default=True, help="How many leads.")
@click.option("--users", type=click.IntRange(min=0), default=5, show_default=True,
              help="Demo reps are created until this many users are active; all active users own leads in turn.")
@click.option("--seed", type=int, default=42, show_default=True, help="The same seed gives the same data.")
@click.option("--opportunities", type=click.IntRange(min=0), default=0, show_default=True,
              help="How many opportunities, in the default pipeline, with an account for about every four.")
@with_appcontext
def seed_demo_command(leads: int, users: int, seed: int, opportunities: int) -> None:
    """Fill the database with realistic fake leads and opportunities (bulk inserts: 100,000 in seconds)."""
    summary = seed_demo(leads, users=users, seed=seed, opportunities=opportunities)
    if summary.created_users:
        click.echo(f"Created {len(summary.created_users)} demo reps ({', '.join(summary.created_users)}) "
                   f"with the password {summary.password} (shown only now).")
    if summary.opportunities:
        click.echo(f"Seeded {summary.leads} leads and {summary.opportunities} opportunities "
                   f"({summary.accounts} new accounts) owned by {summary.owners} users in {summary.seconds:.1f} s.")
    else:
        click.echo(f"Seeded {summary.leads} leads owned by {summary.owners} users in {summary.seconds:.1f} s.")


def init_app(app: Flask) -> None:
    """Register the seed-demo command."""
    app.cli.add_command(seed_demo_command)
