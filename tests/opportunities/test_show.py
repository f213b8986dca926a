"""The opportunity record page a conversion lands on."""

from tests.conftest import stored
from tests.factories import make_lead


def test_converted_opportunity_page_shows_figures_roles_and_source(app, rep_client, rep):
    from crm.extensions import db
    from crm.leads import conversion
    from crm.models import Lead

    lead = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West")
    with app.app_context():
        result = conversion.convert_lead(db.session.get(Lead, lead.id), actor=db.session.get(type(rep), rep.id),
                                         opportunity_name="Get Cloudy West - 50 Sneakers", amount=8000)
        db.session.commit()
        opportunity_id = result.opportunity.id
    html = rep_client.get(f"/opportunities/{opportunity_id}").get_data(as_text=True)
    assert "Get Cloudy West - 50 Sneakers" in html and "Prospecting" in html
    assert "8,000" in html and "800" in html  # amount and expected revenue at 10 %
    assert "Aparna Bosu" in html and "Primary" in html and f'href="/leads/{lead.id}"' in html


def test_unknown_opportunity_is_404_and_sign_in_is_needed(app, rep_client):
    assert rep_client.get("/opportunities/999999").status_code == 404
    assert app.test_client().get("/opportunities/1").status_code == 302


def test_a_converted_leads_activities_follow_it_to_the_opportunity(app, rep_client, rep):
    from crm.activities.services import add_activity
    from crm.extensions import db
    from crm.leads import conversion
    from crm.models import Lead, User

    lead = stored(app, make_lead, actor=rep, first_name="Aparna", last_name="Bosu", company="Get Cloudy West")
    with app.app_context():
        user = db.session.get(User, rep.id)
        add_activity(db.session.get(Lead, lead.id), "call", {"subject": "Sizes for 50 pairs"}, actor=user)
        result = conversion.convert_lead(db.session.get(Lead, lead.id), actor=user,
                                         opportunity_name="Get Cloudy West - 50 Sneakers")
        db.session.commit()
        ids = (result.opportunity.id, result.contact.id, result.account.id)
    for path in (f"/opportunities/{ids[0]}", f"/contacts/{ids[1]}", f"/accounts/{ids[2]}"):
        assert "Sizes for 50 pairs" in rep_client.get(path).get_data(as_text=True), path
