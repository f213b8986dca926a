"""The import job: leads as the lead service stores them, duplicates, owners, campaigns, the report,
undo, and jobs cut off mid-way (resume, roll back), the worker's claim, and the CLI."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa

from crm.extensions import db
from crm.imports import jobs, services
from crm.leads import queries
from crm.leads.duplicates import find_duplicates
from crm.models import CampaignMember, Lead, LeadMatchKey
from crm.models.lead_import import LeadImport, LeadImportRecord
from crm.models.user import utcnow
from tests.factories import make_account, make_contact, make_lead, make_user
from tests.imports.conftest import run, start, xlsx_bytes

MESSY = ("\ufeffPrénom;Nom;Société;E-mail;Téléphone;Ville;Notes;Extra\r\n"
         "Hélène;Lefèvre;Société Générale;Helene@Example.FR;(415) 555-0101;Paris;\"Met at the fair\r\nCall back\";x\r\n"
         ";;;;;;;\r\n"
         "Ada;Lovelace;Engines;ada@example.com;;London;=HYPERLINK(\"http://evil\");\r\n"
         "Bad;;NoName Inc;bad@;;;;\r\n"
         "Grace;Hopper;Navy;not-an-email;call me;;;\r\n").encode("utf-8")


def leads():
    return list(db.session.scalars(sa.select(Lead).order_by(Lead.id)))


def test_a_messy_file_is_imported_as_the_lead_service_would_store_it(importer):
    imp = run(start(MESSY, importer))
    assert (imp.state, imp.total, imp.imported, imp.skipped, imp.rejected) == ("done", 4, 2, 0, 2)
    helene, ada = leads()
    assert (helene.first_name, helene.last_name, helene.company, helene.email, helene.city) == \
        ("Hélène", "Lefèvre", "Société Générale", "helene@example.fr", "Paris")
    assert helene.description == "Met at the fair\r\nCall back"
    assert helene.phone_e164 == "+14155550101"
    assert helene.owner_id == importer.id and helene.created_by_id == importer.id
    assert helene.status.is_default and not helene.possible_duplicate
    # Stored as text, never as a formula.
    assert ada.description == '=HYPERLINK("http://evil")'
    # Found by live search (FTS triggers), and by the duplicate check (match keys).
    found = queries.lead_page(queries.LeadFilters(q="lefevre", view="all"), importer).items
    assert [lead.id for lead in found] == [helene.id]
    assert db.session.get(LeadMatchKey, helene.id).name_key == "lefevre"
    assert [m.id for m in find_duplicates({"last_name": "Lefevre", "first_name": "Helene",
                                           "company": "Societe Generale"})] == [helene.id]
    records = db.session.scalars(sa.select(LeadImportRecord).where(LeadImportRecord.import_id == imp.id)).all()
    assert sorted((r.lead_id, r.action) for r in records) == [(helene.id, "created"), (ada.id, "created")]


def test_the_rejected_rows_csv_gives_the_reasons_and_neutralises_formulas(importer, app):
    content = (b"Last name,Company,Email,Notes\n"
               b"=cmd|' /C calc'!A0,Acme,bad@,+1 formula\n"
               b"Hopper,,g@navy.mil,@SUM(A1)\n")
    imp = run(start(content, importer))
    assert imp.rejected == 2
    with app.test_request_context():
        csv_text = services.rejected_csv(imp)
    assert csv_text.startswith("\ufeff")
    lines = csv_text[1:].splitlines()
    assert lines[0] == "Last name,Company,Email,Notes,Row,Reason"
    assert lines[1] == "'=cmd|' /C calc'!A0,Acme,bad@,'+1 formula,2,Email: Enter a valid email address."
    assert lines[2] == "Hopper,,g@navy.mil,'@SUM(A1),3,Company: Enter the company."


@pytest.mark.parametrize("policy", ["skip", "update", "create"])
def test_duplicates_of_stored_leads_follow_the_choice(importer, policy):
    stored = make_lead(importer, first_name="Ada", last_name="Lovelace", company="Engines", email="ada@example.com",
                       city="London", title="Countess")
    content = (b"Last name,Company,Email,City,Phone\n"
               b"Lovelace,Engines,ADA@example.com,Paris,\n"  # same email
               b"Byron,Poets,,Athens,\n")
    imp = run(start(content, importer, duplicates=policy))
    db.session.refresh(stored)
    if policy == "skip":
        assert (imp.imported, imp.updated, imp.skipped) == (1, 0, 1)
        assert stored.city == "London"
    elif policy == "update":
        assert (imp.imported, imp.updated, imp.skipped) == (1, 1, 0)
        # Mapped, non-empty cells are written; the others stay.
        assert (stored.city, stored.title, stored.updated_by_id) == ("Paris", "Countess", importer.id)
    else:
        assert (imp.imported, imp.updated, imp.skipped) == (2, 0, 0)
        copy = db.session.scalar(sa.select(Lead).where(Lead.city == "Paris"))
        assert copy.possible_duplicate and copy.id != stored.id
        assert not db.session.scalar(sa.select(Lead).where(Lead.city == "Athens")).possible_duplicate


def test_contacts_phones_names_and_rows_of_the_same_file_are_duplicates_too(importer):
    make_contact(make_account(importer, name="Navy"), importer, first_name="Grace", last_name="Hopper",
                 email="grace@navy.mil")
    make_lead(importer, first_name="Alan", last_name="Turing", company="Bletchley", email=None, phone="+1 415 555 0199")
    make_lead(importer, first_name="Marie", last_name="Curie", company="Radium Institute", email=None)
    content = (b"First name,Last name,Company,Email,Phone\n"
               b"Grace,Hopper,US Navy,GRACE@navy.mil,\n"          # a contact's email
               b"A.,Turing,Other,,(415) 555-0199\n"               # a lead's phone, typed otherwise
               b"Marie,Curie,Radium Institute SA,,\n"             # similar name at the same company
               b"Emmy,Noether,Algebra,emmy@example.com,\n"
               b"Emmy,Noether,Algebra,EMMY@example.com,\n")  # twice in the file
    imp = run(start(content, importer, duplicates="create"))
    assert imp.imported == 5
    rows = db.session.execute(sa.select(Lead.last_name, Lead.email, Lead.possible_duplicate)
                              .join(LeadImportRecord, LeadImportRecord.lead_id == Lead.id)
                              .order_by(Lead.id)).all()
    assert [(r.last_name, r.possible_duplicate) for r in rows] == [
        ("Hopper", True), ("Turing", True), ("Curie", True), ("Noether", False), ("Noether", True)]


def test_update_merges_rows_of_the_same_file_and_skips_contact_only_matches(importer):
    make_contact(make_account(importer, name="Navy"), importer, last_name="Hopper", email="grace@navy.mil")
    content = (b"Last name,Company,Email,City,Title\n"
               b"Hopper,Navy,grace@navy.mil,Arlington,\n"
               b"Noether,Algebra,emmy@example.com,,\n"
               b"Noether,Algebra,emmy@example.com,Erlangen,Professor\n")
    imp = run(start(content, importer, duplicates="update"))
    assert (imp.imported, imp.updated, imp.skipped) == (1, 0, 2)
    emmy = db.session.scalar(sa.select(Lead).where(Lead.last_name == "Noether"))
    assert (emmy.city, emmy.title) == ("Erlangen", "Professor")


def test_owner_lead_source_and_campaign(importer):
    from crm.admin.campaigns_services import create_campaign

    owner = make_user(name="Olga Owner")
    campaign = create_campaign(name="Expo", type="Trade Show", status="In Progress")
    db.session.commit()
    content = b"Last name,Company,Lead source\nA,X,\nB,Y,Web\n"
    imp = run(start(content, importer, owner_id=owner.id, use_rules=False, lead_source="Trade Show",
                    campaign_id=campaign.id))
    assert imp.imported == 2
    a, b = leads()
    assert (a.owner_id, b.owner_id) == (owner.id, owner.id)
    assert (a.lead_source, b.lead_source) == ("Trade Show", "Web")
    assert a.campaign_id == campaign.id
    members = db.session.scalars(sa.select(CampaignMember.lead_id).where(CampaignMember.campaign_id == campaign.id))
    assert sorted(members) == [a.id, b.id]


def test_the_assignment_rules_give_owners_round_robin_included(importer):
    from crm.assignment import services as assignment

    paris_rep, lyon_a, lyon_b, default = (make_user(name=n) for n in ("Paris", "Lyon A", "Lyon B", "Default"))
    queue = assignment.create_queue(name="Lyon", round_robin=True)
    assignment.add_member(queue, lyon_a)
    assignment.add_member(queue, lyon_b)
    rule_paris = assignment.create_rule(name="Paris", city=None, postal_code_prefix="75", owner_user_id=paris_rep.id)
    rule_lyon = assignment.create_rule(name="Lyon", postal_code_prefix="69", queue_id=queue.id)
    assignment.set_default_owner(default)
    db.session.commit()
    content = b"Last name,Company,Postal code\nA,X,75008\nB,Y,69001\nC,Z,69002\nD,W,69003\nE,V,13001\n"
    run(start(content, importer, use_rules=True, owner_id=None))
    got = [(lead.last_name, lead.owner_id, lead.assignment_rule_id) for lead in leads()]
    assert got == [("A", paris_rep.id, rule_paris.id), ("B", lyon_a.id, rule_lyon.id), ("C", lyon_b.id, rule_lyon.id),
                   ("D", lyon_a.id, rule_lyon.id), ("E", default.id, None)]
    # The queue's turn moved on as three assign() calls would have moved it.
    db.session.refresh(queue)
    assert queue.round_robin_counter == 3


def test_xlsx_import(importer):
    content = xlsx_bytes([["Nom", "Société", "Téléphone", "Effectif", "Chiffre d'affaires"],
                          ["Hopper", "Navy", 4155550101, 120, 1500000.5]])
    imp = run(start(content, importer, name="leads.xlsx"))
    assert imp.imported == 1
    lead = leads()[0]
    assert (lead.phone, lead.employees, lead.annual_revenue) == ("4155550101", 120, Decimal("1500000.50"))


def test_undo_removes_created_leads_and_restores_updated_ones(importer):
    from crm.admin.campaigns_services import create_campaign

    campaign = create_campaign(name="Expo", type="Trade Show", status="In Progress")
    stored = make_lead(importer, last_name="Lovelace", company="Engines", email="ada@example.com", city="London",
                       phone="+44 20 7946 0000")
    before = (stored.city, stored.phone, stored.phone_e164, stored.search_text, stored.updated_at)
    content = (b"Last name,Company,Email,City,Phone\n"
               b"Lovelace,Analytical,ada@example.com,Paris,(415) 555-0101\nNew,Co,,,\n")
    imp = run(start(content, importer, duplicates="update", campaign_id=campaign.id))
    assert (imp.imported, imp.updated) == (1, 1)
    db.session.refresh(stored)
    assert (stored.city, stored.company, stored.phone_e164) == ("Paris", "Analytical", "+14155550101")
    assert db.session.get(LeadMatchKey, stored.id).company_key == "analytical"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignMember)) == 2

    services.undo_import(imp, actor=importer)
    assert imp.state == "undone" and imp.undone_by_id == importer.id
    db.session.expire_all()
    assert [lead.id for lead in leads()] == [stored.id]
    assert (stored.city, stored.phone, stored.phone_e164, stored.search_text, stored.updated_at) == before
    assert stored.company == "Engines" and db.session.get(LeadMatchKey, stored.id).company_key == "engines"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CampaignMember)) == 0
    with pytest.raises(services.WrongState):
        services.undo_import(imp, actor=importer)


def test_undo_keeps_a_lead_converted_since(importer):
    imp = run(start(b"Last name,Company\nA,X\nB,Y\n", importer))
    first = leads()[0]
    first.converted_at = utcnow()
    db.session.commit()
    services.undo_import(imp, actor=importer)
    assert [lead.id for lead in leads()] == [first.id]


def big_file(rows: int) -> bytes:
    return ("Last name,Company,Email\n" + "".join(f"L{n},C{n},l{n}@example.com\n" for n in range(rows))).encode()


class Killed(BaseException):
    """What a kill -9 looks like from inside: nothing after it runs (not even `except Exception`)."""


def kill_after_chunks(monkeypatch, chunks: int):
    """Make the job die (as under kill -9) when it reaches chunk number `chunks` + 1; the real
    process_chunk is returned, to put back."""
    real, calls = services.process_chunk, []

    def process(ctx, rows, prepared=None):
        if len(calls) == chunks:
            raise Killed()
        calls.append(len(rows))
        return real(ctx, rows, prepared)

    monkeypatch.setattr(services, "process_chunk", process)
    return real


def stale(imp):
    db.session.execute(sa.update(LeadImport).where(LeadImport.id == imp.id)
                       .values(heartbeat_at=utcnow() - timedelta(minutes=5)))
    db.session.commit()
    db.session.refresh(imp)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(services, "CHUNK_SIZE", 10)
    real = services.run_import
    monkeypatch.setattr(services, "run_import", lambda import_id, **kw: real(import_id, chunk_size=10, **kw))


def test_interrupted_then_rolled_back_leaves_nothing(importer, monkeypatch, small_chunks):
    stored = make_lead(importer, last_name="L3", company="C3", email="l3@example.com", city="Before")
    imp = start(big_file(25), importer, duplicates="update")
    kill_after_chunks(monkeypatch, 2)
    with pytest.raises(Killed):
        jobs.work(imp.id)
    db.session.rollback()
    stale(imp)
    assert imp.checkpoint == 20 and imp.imported == 19 and imp.updated == 1
    services.undo_import(imp, actor=importer)
    assert imp.state == "rolled_back"
    assert [lead.id for lead in leads()] == [stored.id]
    assert db.session.get(Lead, stored.id).city == "Before"


def test_a_job_killed_mid_way_is_reported_interrupted_and_resumes_from_its_checkpoint(importer, monkeypatch,
                                                                                      small_chunks):
    imp = start(big_file(25), importer)
    real = kill_after_chunks(monkeypatch, 2)
    with pytest.raises(Killed):
        jobs.work(imp.id)
    db.session.rollback()
    db.session.refresh(imp)
    # Still "running" while its heartbeat is fresh (a worker may be busy); a minute later, interrupted.
    assert imp.state == "running" and services.state_of(imp) == "running"
    stale(imp)
    assert services.state_of(imp) == "interrupted"
    assert (imp.checkpoint, imp.processed, imp.imported) == (20, 20, 20)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 20
    monkeypatch.setattr(services, "process_chunk", real)
    services.resume_import(imp)
    db.session.commit()
    imp = run(imp)
    assert (imp.state, imp.imported, imp.total) == ("done", 25, 25)
    assert db.session.scalar(sa.select(sa.func.count(sa.distinct(Lead.email)))) == 25
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 25


def test_a_failed_chunk_is_rolled_back_and_the_job_can_resume(importer, monkeypatch, small_chunks):
    imp = start(big_file(25), importer)
    real, calls = services.process_chunk, []

    def flaky(ctx, rows, prepared=None):
        calls.append(1)
        if len(calls) == 2:
            db.session.execute(sa.insert(Lead.__table__), [{"last_name": "half", "status_id": 1,
                                                            "search_text": "", "possible_duplicate": False,
                                                            "created_at": utcnow(), "updated_at": utcnow()}])
            raise ValueError("disk on fire")
        return real(ctx, rows, prepared)

    monkeypatch.setattr(services, "process_chunk", flaky)
    imp = run(imp)
    assert imp.state == "failed" and "disk on fire" in imp.error
    assert imp.checkpoint == 10
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead).where(Lead.last_name == "half")) == 0
    services.resume_import(imp)
    db.session.commit()
    imp = run(imp)
    assert (imp.state, imp.imported) == ("done", 25)


def test_a_worker_that_stops_puts_the_job_back_in_the_queue(importer, small_chunks):
    imp = start(big_file(25), importer)
    imp = jobs.work(imp.id, should_stop=lambda: True)
    assert (imp.state, imp.checkpoint) == ("queued", 10)
    imp = run(imp)
    assert (imp.state, imp.imported) == ("done", 25)


def test_a_job_is_claimed_once(importer):
    imp = start(b"Last name,Company\nA,X\n", importer)
    assert jobs.claim() == imp.id
    assert jobs.claim() is None
    assert jobs.claim(imp.id) is None
    assert db.session.get(LeadImport, imp.id).state == "running"


def test_a_live_running_job_can_be_neither_resumed_nor_rolled_back(importer):
    imp = start(b"Last name,Company\nA,X\n", importer)
    jobs.claim(imp.id)
    db.session.refresh(imp)
    with pytest.raises(services.WrongState):
        services.resume_import(imp)
    with pytest.raises(services.WrongState):
        services.undo_import(imp, actor=importer)


def test_the_worker_loop_runs_queued_jobs(app, importer):
    imp = start(b"Last name,Company\nA,X\n", importer)
    import_id = imp.id
    db.session.remove()
    jobs.run_worker(app, once=True)
    assert db.session.get(LeadImport, import_id).state == "done"


def test_notify_pushes_to_redis_when_configured(app, importer, monkeypatch):
    pushed = []

    class FakeRedis:
        def rpush(self, key, value):
            pushed.append((key, value))

    monkeypatch.setattr(jobs, "_redis", lambda: FakeRedis())
    jobs.notify(7)
    assert pushed == [(jobs.QUEUE_KEY, 7)]


def test_mapping_needs_a_last_name_and_a_company(importer):
    imp = services.create_import(b"Email,City\na@b.co,Paris\n", "x.csv", actor=importer)
    with pytest.raises(services.MappingIncomplete):
        services.start_import(imp, mapping=imp.mapping, options={"duplicates": "skip"})


def test_the_cli_imports_a_file_and_prints_the_report(app, importer, tmp_path):
    from crm.admin.campaigns_services import create_campaign

    create_campaign(name="Expo", type="Trade Show", status="In Progress")
    db.session.commit()
    path = tmp_path / "partners.csv"
    path.write_bytes("Nom;Société;E-mail\nLefèvre;ACME;h@acme.fr\nSans société;;x@y.fr\n".encode("cp1252"))
    rejected = tmp_path / "rejected.csv"
    result = app.test_cli_runner().invoke(args=[
        "import-leads", str(path), "--owner", importer.email, "--duplicates", "update", "--source", "web",
        "--campaign", "Expo", "--rejected", str(rejected)])
    assert result.exit_code == 0, result.output
    assert "1 imported, 0 updated, 0 skipped, 1 rejected" in result.output
    assert "row 3: Company: Enter the company." in result.output
    assert "cp1252" in result.output and "'Société' -> Company" in result.output
    lead = db.session.scalar(sa.select(Lead))
    assert (lead.last_name, lead.owner_id, lead.lead_source) == ("Lefèvre", importer.id, "Web")
    assert "Enter the company." in rejected.read_text(encoding="utf-8")


def test_the_cli_refuses_unknown_names(app, tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(b"Last name,Company\nA,B\n")
    result = app.test_cli_runner().invoke(args=["import-leads", str(path), "--owner", "nobody@example.com"])
    assert result.exit_code != 0 and "no active user" in result.output


def test_an_undo_cut_off_mid_way_is_finished_by_running_it_again(importer, monkeypatch):
    stored = make_lead(importer, last_name="Lovelace", company="Engines", email="ada@example.com", city="London")
    content = b"Last name,Company,Email,City\n" + b"".join(b"L%d,C%d,,\n" % (n, n) for n in range(5)) + \
        b"Lovelace,Engines,ada@example.com,Paris\n"
    imp = run(start(content, importer, duplicates="update"))
    assert (imp.imported, imp.updated) == (5, 1)
    monkeypatch.setattr(services, "UNDO_BATCH", 2)
    real = services._rewrite_match_keys

    def dies(ids):
        raise Killed()

    monkeypatch.setattr(services, "_rewrite_match_keys", dies)
    with pytest.raises(Killed):
        services.undo_import(imp, actor=importer)
    db.session.rollback()
    db.session.refresh(imp)
    assert imp.state == "undoing"
    assert [lead.id for lead in leads()] == [stored.id]  # the created leads went, batch by batch
    assert db.session.get(Lead, stored.id).city == "Paris"  # not restored yet
    monkeypatch.setattr(services, "_rewrite_match_keys", real)
    services.undo_import(imp, actor=importer)
    assert imp.state == "undone"
    assert db.session.get(Lead, stored.id).city == "London"


def test_the_cli_undoes_an_import(app, importer):
    imp = run(start(b"Last name,Company\nA,X\n", importer))
    result = app.test_cli_runner().invoke(args=["import-undo", str(imp.id)])
    assert result.exit_code == 0, result.output
    assert "undone" in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Lead)) == 0
    again = app.test_cli_runner().invoke(args=["import-undo", str(imp.id)])
    assert again.exit_code != 0 and "cannot be undone" in again.output


def test_an_imported_lead_has_every_column_the_lead_service_gives_the_same_lead(importer):
    """The job writes leads with multi-row SQL inserts: each column, stored type included, is what
    create_lead() stores (search text, E.164 phones, amounts, counts, flags, match keys)."""
    from crm.leads.services import create_lead

    content = ("Salutation;Prénom;Nom;Société;Titre;E-mail;Téléphone;Portable;Site web;Rue;Ville;Région;"
               "Code postal;Pays;Secteur;Chiffre d'affaires;Effectif;Source;Evaluation;Notes\r\n"
               "Mme;Hélène;Lefèvre-Dupont;Société Générale SA;DG;Helene@Example.FR;+33 1 42 68 53 00;"
               "+33 6 12 34 56 78;example.fr;1 rue de la Paix;Paris;IdF;75002;France;Banking;"
               "1 200 000,50 €;250;Web;Hot;\"Rencontrée au salon\r\n=rappeler\"\r\n").encode("cp1252")
    imp = run(start(content, importer))
    assert (imp.imported, imp.rejected) == (1, 0)
    imported = db.session.scalars(sa.select(Lead)).one()
    typed = create_lead({"salutation": "Ms.", "first_name": "Hélène", "last_name": "Lefèvre-Dupont",
                         "company": "Société Générale SA", "title": "DG", "email": "Helene@Example.FR",
                         "phone": "+33 1 42 68 53 00", "mobile": "+33 6 12 34 56 78", "website": "https://example.fr",
                         "street": "1 rue de la Paix", "city": "Paris", "state": "IdF", "postal_code": "75002",
                         "country": "France", "industry": "Banking", "annual_revenue": Decimal("1200000.50"),
                         "employees": 250, "lead_source": "Web", "rating": "Hot",
                         "description": "Rencontrée au salon\r\n=rappeler"}, actor=importer)
    db.session.commit()
    columns = [c for c in services.INSERT_COLUMNS if c not in ("created_at", "updated_at")]
    table = Lead.__table__

    def type_of(column):
        # SQLite stores each value with its own type (typeof); PostgreSQL's are the column's.
        if db.engine.dialect.name == "sqlite":
            return sa.func.typeof(column)
        return sa.cast(sa.func.pg_typeof(column), sa.Text)

    stored = {row.id: row for row in db.session.execute(
        sa.select(table.c.id, *[table.c[c] for c in columns],
                  *[type_of(table.c[c]).label(f"type_{c}") for c in (*columns, "created_at")]))}
    assert imported.phone_e164 == "+33142685300" and imported.mobile_e164 == "+33612345678"
    assert imported.annual_revenue == Decimal("1200000.50") and imported.employees == 250
    assert "lefevre-dupont" in imported.search_text
    assert stored[imported.id]._asdict() | {"id": None} == stored[typed.id]._asdict() | {"id": None}
    assert imported.created_at.tzinfo == typed.created_at.tzinfo  # both read back as the same kind of datetime
    keys = {k.lead_id: (k.name_key, k.company_key) for k in db.session.scalars(sa.select(LeadMatchKey))}
    assert keys[imported.id] == keys[typed.id] == ("lefevre dupont", "societe generale")
    assert sorted(lead.id for lead in find_duplicates({"last_name": "Lefevre-Dupont", "company": "Societe Generale"})) \
        == [imported.id, typed.id]
