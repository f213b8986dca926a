"""The search index finds exactly what the plain query finds.

Live search looks typed words up in a trigram index (FTS5 on SQLite, pg_trgm on PostgreSQL:
crm/search.py). The plain query it stands for is a LIKE '%word%' on every word over the folded
search_text. Both are run here for a set of terms over seed-demo's leads (names, companies and
emails from many countries) and a few written by hand, accents and case included.
"""

import pytest
import sqlalchemy as sa

from crm.demo import seed_demo
from crm.extensions import db
from crm.leads.queries import LeadFilters, lead_query
from crm.models import Lead
from crm.search import search_tokens
from tests.factories import make_lead, make_user

TERMS = [
    "smith", "SMITH", "Smith", "müller", "MULLER", "muller", "hélène", "HELENE", "helene", "lefèvre", "LEFEVRE",
    "zoë", "zoe", "françois", "FRANCOIS", "o'connor", "García", "garcia", "gmbh", "s.a.", "sarl", "ltd",
    "example.com", "gmail", "+33", "555", "de la", "van der", "mar", "ann", "ie", "é", "a", "ß", "%", "_", "'",
    "hél lef", "jean müll", "nope-nothing-matches", "   ", "ＡＢＣ",
]


def plain(term: str) -> set[int]:
    """What the search stands for: every folded word somewhere in search_text (LIKE, no index)."""
    query = sa.select(Lead.id).where(Lead.deleted_at.is_(None))
    for token in search_tokens(term):
        query = query.where(Lead.search_text.contains(token, autoescape=True))
    return set(db.session.scalars(query))


def indexed(term: str, user) -> set[int]:
    """The lead list's own query (view "all", the term in q), without paging."""
    return set(db.session.scalars(lead_query(LeadFilters(view="all", q=term), user).with_only_columns(Lead.id)
                                  .order_by(None)))


@pytest.fixture
def book(app_ctx):
    rep = make_user()
    for first, last, company, email in [
        ("Hélène", "Lefèvre", "Société Générale", "helene.lefevre@example.com"),
        ("Zoë", "Müller", "Müller & Söhne GmbH", "zoe@mueller.de"),
        ("François", "O'Connor", "Crème Brûlée SARL", "f.oconnor@example.fr"),
        ("Jean", "de la Fontaine", "Fables S.A.", "jean@fables.fr"),
        ("Ann", "Smith", "100% Natural_Foods Ltd", "ann.smith@gmail.com"),
    ]:
        make_lead(rep, first_name=first, last_name=last, company=company, email=email, phone="+33 1 55 55 55 55")
    seed_demo(1500, users=2, seed=11)
    db.session.commit()
    return rep


def test_the_index_finds_what_the_plain_query_finds(book):
    found = {term: (indexed(term, book), plain(term)) for term in TERMS}
    assert {term: pair for term, pair in found.items() if pair[0] != pair[1]} == {}
    # The comparison means something: most terms match some leads and not all of them, and
    # accents and case change nothing.
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Lead))
    sizes = {term: len(expected) for term, (_, expected) in found.items()}
    assert sum(1 for n in sizes.values() if 0 < n < total) >= len(TERMS) // 2, sizes
    assert sizes["hélène"] == sizes["HELENE"] >= 1 and sizes["müller"] == sizes["MULLER"] >= 1
    assert sizes["lefèvre"] == sizes["LEFEVRE"] >= 1 and sizes["nope-nothing-matches"] == 0
