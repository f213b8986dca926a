"""The import pages through the test client: upload, mapping with its HTMX preview, start, progress
and report fragments, rejected rows, undo, resume, access."""

import io
import re

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import jobs
from crm.models import Lead
from crm.models.lead_import import LeadImport, LeadImportMapping
from tests.conftest import PASSWORD, csrf_token, login
from tests.factories import make_user

MESSY = ("Prénom;Nom;Société;E-mail;Colonne inutile\r\n"
         "Hélène;Lefèvre;Société Générale;helene@example.fr;x\r\n"
         ";;;;\r\n"
         "Ada;;Engines;ada@example;y\r\n"
         "Grace;Hopper;Navy;grace@navy.mil;\"multi\r\nline\"\r\n").encode("cp1252")
HX = {"HX-Request": "true"}


def upload(client, content=MESSY, name="partners.csv", **extra):
    return client.post("/leads/import", data={"csrf_token": csrf_token(client, "/leads/import"),
                                              "file": (io.BytesIO(content), name), **extra},
                       content_type="multipart/form-data")


def uploaded(client, content=MESSY, name="partners.csv") -> int:
    response = upload(client, content, name)
    assert response.status_code == 303, response.get_data(as_text=True)
    return int(response.headers["Location"].rsplit("/", 1)[1])


def start_form(client, import_id, mapping: dict, **options):
    data = {"csrf_token": csrf_token(client, f"/leads/import/{import_id}"), "duplicates": "skip", "owner": "rules",
            "lead_source": "", "campaign_id": "", "save_as": "", **{f"col-{i}": f for i, f in mapping.items()},
            **options}
    return client.post(f"/leads/import/{import_id}/start", data=data)


FRENCH = {0: "first_name", 1: "last_name", 2: "company", 3: "email", 4: ""}


def run_queued(app):
    with app.app_context():
        imp = jobs.work()
        db.session.remove()
        return imp


def test_the_leads_list_links_to_the_import(rep_client):
    html = rep_client.get("/leads").get_data(as_text=True)
    assert 'href="/leads/import"' in html


def test_upload_page(rep_client):
    response = rep_client.get("/leads/import")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in html
    assert 'enctype="multipart/form-data"' in html and "No imports yet." in html


def test_upload_detects_the_file_and_maps_french_headers(app, rep_client):
    import_id = uploaded(rep_client)
    html = rep_client.get(f"/leads/import/{import_id}").get_data(as_text=True)
    assert "CSV, cp1252, delimiter “;”" in html
    for index, name in FRENCH.items():
        if name:
            assert re.search(rf'<select id="col-{index}" name="col-{index}">.*?<option value="{name}" selected>',
                             html, re.S)
    assert '<option value="" selected>' not in html.split('id="col-4"')[0][-50:]
    # The preview: the second data row lacks a last name and has a bad email.
    assert "Last name: Enter the last name." in html and "Email: Enter a valid email address." in html
    assert "1 of these rows would be rejected." in html
    assert "Row 4" in html  # numbered as in the file: the blank row counts


def test_the_preview_follows_a_changed_mapping_as_a_fragment(app, rep_client):
    import_id = uploaded(rep_client)
    # The email column mapped to nothing, the "extra" column to Description: no email error left.
    args = {f"col-{i}": f for i, f in FRENCH.items()} | {"col-3": "", "col-4": "description"}
    response = rep_client.get(f"/leads/import/{import_id}", query_string=args, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="import-preview"')
    assert "Enter a valid email address." not in html and "Enter the last name." in html
    assert "multi\r\nline" in html or "multi\nline" in html
    assert response.headers["Vary"] == "HX-Request" or "HX-Request" in response.headers["Vary"]
    # The same address without htmx: the whole page, with that mapping.
    page = rep_client.get(f"/leads/import/{import_id}", query_string=args).get_data(as_text=True)
    assert "<html" in page and '<option value="description" selected>' in page


def test_an_unreadable_or_missing_file_is_refused(rep_client):
    response = rep_client.post("/leads/import", data={"csrf_token": csrf_token(rep_client, "/leads/import")})
    assert response.status_code == 422 and "Choose a CSV or XLSX file." in response.get_data(as_text=True)
    response = upload(rep_client, b"", "empty.csv")
    assert response.status_code == 422 and "This file cannot be read." in response.get_data(as_text=True)
    response = upload(rep_client, b"PK\x03\x04garbage", "broken.xlsx")
    assert response.status_code == 422 and "This file cannot be read." in response.get_data(as_text=True)
    response = upload(rep_client, b"MZ", "virus.exe")
    assert response.status_code == 422


def test_a_file_above_the_usual_2_mb_limit_is_accepted(rep_client):
    big = b"Last name,Company,Description\n" + b"".join(b"L%d,C%d,%s\n" % (n, n, b"x" * 200) for n in range(15000))
    assert len(big) > 3 * 1024 * 1024
    assert upload(rep_client, big).status_code == 303


def test_start_run_report_rejected_rows_and_undo(app, rep_client, rep):
    import_id = uploaded(rep_client)
    response = start_form(rep_client, import_id, FRENCH, owner=str(rep.id), save_as="Partner files")
    assert response.status_code == 303
    page = rep_client.get(f"/leads/import/{import_id}").get_data(as_text=True)
    assert "Waiting for a worker" in page and 'hx-trigger="every 1s"' in page and "<progress" in page

    imp = run_queued(app)
    assert (imp.id, imp.state, imp.imported, imp.rejected) == (import_id, "done", 2, 1)
    fragment = rep_client.get(f"/leads/import/{import_id}/progress", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and "every 1s" not in fragment
    assert 'data-figure="imported">2<' in fragment and 'data-figure="rejected">1<' in fragment
    assert "Row 4</strong>: Last name: Enter the last name. Email: Enter a valid email address." in fragment
    with app.app_context():
        assert db.session.scalar(sa.select(LeadImportMapping.name)) == "Partner files"
        assert {lead.owner_id for lead in db.session.scalars(sa.select(Lead))} == {rep.id}

    csv_response = rep_client.get(f"/leads/import/{import_id}/rejected.csv")
    assert csv_response.mimetype == "text/csv"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    text = csv_response.get_data().decode("utf-8-sig")
    assert text.splitlines()[0] == "Prénom,Nom,Société,E-mail,Colonne inutile,Row,Reason"
    assert text.splitlines()[1].startswith("Ada,,Engines,ada@example,y,4,")

    response = rep_client.post(f"/leads/import/{import_id}/undo", data={"csrf_token": csrf_token(rep_client)})
    assert response.status_code == 303
    page = rep_client.get(f"/leads/import/{import_id}").get_data(as_text=True)
    assert "Import undone" in page and "Undone" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0


def test_starting_without_last_name_and_company_is_refused(rep_client):
    import_id = uploaded(rep_client)
    response = start_form(rep_client, import_id, {0: "first_name", 1: "", 2: "", 3: "email", 4: ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Map a column to Last name (or Full name) and one to Company." in html


def test_a_saved_mapping_is_offered_and_applied(app, rep_client):
    with app.app_context():
        db.session.add(LeadImportMapping(name="Odd headers", fields={"nom": "company", "societe": "last_name"}))
        db.session.commit()
        saved_id = db.session.scalar(sa.select(LeadImportMapping.id))
    import_id = uploaded(rep_client)
    html = rep_client.get(f"/leads/import/{import_id}", query_string={"saved": saved_id}).get_data(as_text=True)
    assert re.search(r'id="col-1" name="col-1">.*?<option value="company" selected>', html, re.S)
    # Chosen at upload, it maps the file straight away.
    response = upload(rep_client, saved_mapping=str(saved_id))
    with app.app_context():
        imp = db.session.get(LeadImport, int(response.headers["Location"].rsplit("/", 1)[1]))
        assert imp.mapping[:3] == ["first_name", "company", "last_name"]


def test_an_interrupted_import_can_be_resumed(app, rep_client, rep):
    from datetime import timedelta

    from crm.models.user import utcnow

    import_id = uploaded(rep_client)
    start_form(rep_client, import_id, FRENCH)
    with app.app_context():
        jobs.claim(import_id)
        db.session.execute(sa.update(LeadImport).values(heartbeat_at=utcnow() - timedelta(minutes=2)))
        db.session.commit()
    page = rep_client.get(f"/leads/import/{import_id}").get_data(as_text=True)
    assert "This import was cut off after 0 of" in page and "Resume the import" in page and "Roll back" in page
    response = rep_client.post(f"/leads/import/{import_id}/resume", data={"csrf_token": csrf_token(rep_client)})
    assert response.status_code == 303
    assert run_queued(app).state == "done"


def test_discard_an_import_that_was_not_started(app, rep_client):
    import_id = uploaded(rep_client)
    response = rep_client.post(f"/leads/import/{import_id}/discard", data={"csrf_token": csrf_token(rep_client)})
    assert response.status_code == 303
    with app.app_context():
        assert db.session.get(LeadImport, import_id) is None


def test_posts_need_the_csrf_token(rep_client):
    import_id = uploaded(rep_client)
    assert rep_client.post(f"/leads/import/{import_id}/start", data={"col-1": "last_name"}).status_code == 400
    assert rep_client.post(f"/leads/import/{import_id}/undo").status_code == 400


@pytest.mark.parametrize("path", ["", "/progress", "/rejected.csv"])
def test_another_rep_gets_404_and_an_admin_sees_it(app, client, rep, admin, path):
    login(client, rep.email, PASSWORD)
    import_id = uploaded(client)
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    with app.app_context():
        other = make_user(email="other@example.com")
    login(client, other.email, PASSWORD)
    assert client.get(f"/leads/import/{import_id}{path}").status_code == 404
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, admin.email, PASSWORD)
    assert client.get(f"/leads/import/{import_id}{path}").status_code in (200, 302)


def test_signing_in_is_required(client):
    assert client.get("/leads/import").status_code in (302, 303)
