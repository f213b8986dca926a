"""Time a messy 100,000-row CSV import on a fresh SQLite database: `make bench` (or
`.venv/bin/python bench/import_leads.py --rows 100000`).

The file is what partners send: semicolons, Windows-1252, French headers, an extra column, blank
rows, quoted newlines, formula cells, invalid emails and phones, rows without a company, and rows
repeated within the file. The import runs through the job a worker runs (jobs.work), committing
chunk by chunk, with the duplicate check on.
"""

import argparse
import csv
import io
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

FIRST = ["Hélène", "Jean", "Zoë", "François", "Ada", "Grace", "Miguel", "Søren", "Chloé", "Noël", "Amélie", "Omar"]
LAST = ["Lefèvre", "Dupont", "Martin", "Bernard", "Lovelace", "Hopper", "García", "Kierkegaard", "Müller", "Nguyen"]
COMPANIES = ["Société Générale", "Crédit Agricole", "Dassault Systèmes", "Acme Corp", "Globex SARL", "Initech SA",
             "Umbrella GmbH", "Stark Industries", "Wayne Enterprises", "Cyberdyne"]
SYLLABLES = ["ba", "ro", "ki", "la", "mé", "su", "tor", "val", "nic", "dé", "four", "gan", "li", "zo"]
HEADERS = ["Prénom", "Nom", "Société", "E-mail", "Téléphone", "Portable", "Ville", "Code postal", "Pays",
           "Effectif", "Chiffre d'affaires", "Commentaires", "Colonne inutile"]


def messy_csv(rows: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)  # noqa: S311 (fake data)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADERS)
    for n in range(rows):
        first = rng.choice(FIRST)
        last = rng.choice(LAST) + "-" + "".join(rng.choice(SYLLABLES) for _ in range(3)).capitalize()
        company = f"{rng.choice(COMPANIES)} {rng.choice(SYLLABLES).upper()}{rng.randint(1, 999)}"
        email = f"{first[0].lower()}.{n}@example{n % 97}.fr"
        comment = ""
        roll = rng.random()
        if roll < 0.01:
            email = "not-an-email"
        elif roll < 0.02:
            company = ""
        elif roll < 0.03:
            comment = "=HYPERLINK(\"http://evil.example\",\"clic\")"
        elif roll < 0.05:
            comment = "Rencontré au salon\nrappeler en mars; \"urgent\""
        elif roll < 0.06 and n:
            email = f"{first[0].lower()}.{n - 1}@example{(n - 1) % 97}.fr"  # the row before, again
        phone = f"01 {n % 90 + 10:02d} {n % 97:02d} {n % 89:02d} {n % 83:02d}" if rng.random() < 0.8 else ""
        mobile = f"+33 6 {n % 91 + 10:02d} {n % 79:02d} {n % 71:02d} {n % 67:02d}" if rng.random() < 0.5 else ""
        writer.writerow([first, last, company, email, phone, mobile, "Paris", f"750{n % 20 + 1:02d}", "France",
                         str(rng.randint(1, 5000)), f"{rng.randint(1, 900)} {rng.randint(100, 999)},00 €", comment,
                         "ignored"])
        if n % 1000 == 0:
            writer.writerow([""] * 5)  # a blank row
    return out.getvalue().encode("cp1252")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk", type=int, default=None, help="rows per transaction (default: the job's)")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from crm import create_app
    from crm.extensions import db
    from crm.imports import jobs, services
    from tests.factories import make_user

    if args.chunk:
        services.CHUNK_SIZE = args.chunk
    content = messy_csv(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "BOOTSTRAP_ADMIN": False, "REDIS_URL": None,
                          "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite3", "INSTANCE_PATH": tmp,
                          "DEFAULT_PHONE_REGION": "FR"})
        with app.app_context():
            upgrade()
            user = make_user(email="bench@example.com")
            print(f"{args.rows} rows, {len(content) / 1e6:.1f} MB (Windows-1252, semicolons)")
            started, cpu = time.perf_counter(), time.process_time()
            imp = services.create_import(content, "messy.csv", actor=user)
            services.start_import(imp, mapping=imp.mapping, actor=user,
                                  options={"duplicates": "skip", "owner_id": user.id, "use_rules": False})
            db.session.commit()
            imp = jobs.work(imp.id)
            seconds = time.perf_counter() - started
            print(f"state {imp.state}: {imp.imported} imported, {imp.updated} updated, {imp.skipped} skipped, "
                  f"{imp.rejected} rejected of {imp.total} rows")
            print(f"import: {seconds:.1f} s ({imp.total / seconds:,.0f} rows/s; "
                  f"{time.process_time() - cpu:.1f} s of CPU in this process)")
            started = time.perf_counter()
            services.undo_import(imp, actor=user)
            print(f"undo: {time.perf_counter() - started:.1f} s")
            db.session.remove()
            db.engine.dispose()


if __name__ == "__main__":
    main()
