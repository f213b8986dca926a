"""The dashboard over HTTP: the cards, the Me / My team switch (page and htmx fragment), links
that open the lists filtered to the same records."""

import calendar
import re
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.models import LeadStatus, Stage, User
from tests.conftest import PASSWORD, login, stored
from tests.factories import make_account, make_lead, make_opportunity, make_user

HX = {"HX-Request": "true"}


@pytest.fixture
def team(app):
    """Mona (manager) manages Ann; Ann owns 2 open leads and a deal closing this month."""
    with app.app_context():
        mona = make_user(email="mona@example.com", name="Mona Manager", role="manager")
        ann = make_user(email="ann@example.com", name="Ann Rep")
        ann.manager_id = mona.id
        db.session.commit()
        make_lead(ann, owner=ann, last_name="Alpha")
        make_lead(ann, owner=ann, last_name="Beta")
        stage = db.session.scalar(sa.select(Stage).where(Stage.name == "Qualification"))
        make_opportunity(make_account(ann, name="Initech"), ann, stage, name="Initech renewal",
                         amount=Decimal("1234.5"), close_date=date.today())
        return {"mona": mona.id, "ann": ann.id, "stage": stage.id}


def signed_in(client, email):
    assert login(client, email, PASSWORD).status_code == 303
    return client


def card(html, card_id):
    match = re.search(rf'<li class="card" id="{card_id}">(.*?)</li>\n    <li|<li class="card" id="{card_id}">(.*)',
                      html, flags=re.S)
    assert match, f"no card {card_id}"
    return match.group(1) or match.group(2)


def open_status_id():
    return db.session.scalar(sa.select(LeadStatus.id).where(LeadStatus.label == "Open - Not Contacted"))


def test_a_rep_sees_their_figures_linked_to_their_lists(app, client, team):
    html = signed_in(client, "ann@example.com").get("/").get_data(as_text=True)
    with app.app_context():
        status = open_status_id()
    assert "Hello, Ann Rep" in html and 'id="dashboard"' in html
    assert f'href="/leads?view=my_open&amp;status={status}"' in html
    assert re.search(rf'href="/leads\?view=my_open&amp;status={status}"[^>]*>2</a>', html)
    assert re.search(rf'href="/opportunities\?view=my_open&amp;stage={team["stage"]}"[^>]*>1</a>', html)
    assert "1,234.50" in html and "Initech renewal" in html
    assert 'id="my-tasks"' in html  # the task list stays on the personal dashboard
    today = date.today()
    start, end = today.replace(day=1), today.replace(day=calendar.monthrange(today.year, today.month)[1])
    closing = f'href="/opportunities?view=my_open&amp;close_from={start}&amp;close_to={end}"'
    assert closing in card(html, "card-closing")
    assert "scope-switch" not in html  # reps have no team


def test_a_rep_asking_for_the_team_gets_their_own_figures(client, team):
    html = signed_in(client, "ann@example.com").get("/?scope=team").get_data(as_text=True)
    assert 'data-scope="me"' in html and "Team members" not in html and "My open leads by status" in html


def test_a_manager_switches_to_the_team(client, team):
    client = signed_in(client, "mona@example.com")
    mine = client.get("/").get_data(as_text=True)
    assert 'data-scope="me"' in mine
    assert re.search(r'<a class="button primary" href="/"[^>]*aria-current="page">Me</a>', mine)
    assert 'hx-get="/?scope=team" hx-target="#dashboard" hx-swap="outerHTML"' in mine
    assert "Initech renewal" not in mine  # Ann's deal, not Mona's

    page = client.get("/?scope=team").get_data(as_text=True)
    assert 'data-scope="team"' in page and "<html" in page
    assert "Initech renewal" in page and "Ann Rep" in page and "Team members" in page
    assert f'href="/leads?view=all_open&amp;owner={team["ann"]}"' in page
    # A manager's team matches no list view: its figures are not links (its members' rows are).
    assert "view=all_open&amp;status=" not in page and "close_from=" not in page


def test_the_switch_swaps_only_the_dashboard_and_pushes_the_url(client, team):
    client = signed_in(client, "mona@example.com")
    response = client.get("/?scope=team", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<div id="dashboard"')
    assert response.headers["HX-Push-Url"] == "/?scope=team"
    assert "HX-Request" in response.headers["Vary"]
    back = client.get("/?scope=me", headers=HX)
    assert back.headers["HX-Push-Url"] == "/" and 'data-scope="me"' in back.get_data(as_text=True)


def test_an_admins_team_is_everyone_and_links_to_the_all_open_views(app, admin_client, team):
    html = admin_client.get("/?scope=team").get_data(as_text=True)
    with app.app_context():
        status = open_status_id()
    assert "As an administrator, your team is everyone." in html
    assert re.search(rf'href="/leads\?view=all_open&amp;status={status}"[^>]*>2</a>', html)
    assert "Mona Manager" in html and "Ann Rep" in html


def test_a_manager_without_a_team_is_told_how_to_get_one(app, client):
    stored(app, make_user, email="solo@example.com", name="Solo", role="manager")
    html = signed_in(client, "solo@example.com").get("/?scope=team").get_data(as_text=True)
    assert "Nobody has you as their manager yet" in html


@pytest.mark.parametrize(("scope", "status"), [("", 200), ("team", 200), ("x" * 500, 200),
                                               ("%00", 400)])  # a NUL byte in any query: 400 (crm/security.py)
def test_odd_scopes_are_no_error(client, team, scope, status):
    client = signed_in(client, "mona@example.com")
    assert client.get(f"/?scope={scope}").status_code == status


def test_recently_viewed_records_link_to_their_pages(app, client, team):
    client = signed_in(client, "ann@example.com")
    with app.app_context():
        lead_id = db.session.scalar(sa.text("SELECT id FROM leads WHERE last_name = 'Alpha'"))
    client.get(f"/leads/{lead_id}")
    html = card(client.get("/").get_data(as_text=True), "card-recent")
    assert f'<a href="/leads/{lead_id}">Lead Alpha</a>' in html


def test_the_dashboard_escapes_names(app, client, team):
    with app.app_context():
        ann = db.session.get(User, team["ann"])
        make_opportunity(make_account(ann, name="<b>Evil</b>"), ann, name="<script>x</script>",
                         close_date=date.today())
    html = signed_in(client, "ann@example.com").get("/").get_data(as_text=True)
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
