"""English and French: the browser's language, else the user's choice, everywhere."""

from pathlib import Path

from babel.messages.pofile import read_po

from tests.conftest import csrf_token, login

CATALOG = Path(__file__).parent.parent / "crm" / "translations" / "fr" / "LC_MESSAGES" / "messages.po"


def test_sign_in_page_is_french_for_a_french_browser(client):
    html = client.get("/login", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="fr">' in html
    assert "Connexion à Filon" in html and "Mot de passe" in html and "Se connecter" in html


def test_sign_in_page_is_english_by_default(client):
    html = client.get("/login", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en">' in html and "Sign in to Filon" in html


def test_errors_and_validation_messages_are_french_too(client, admin):
    headers = {"Accept-Language": "fr"}
    failed = client.post("/login", headers=headers, data={
        "email": admin.email, "password": "wrong password", "csrf_token": csrf_token(client)})
    assert "E-mail ou mot de passe incorrect." in failed.get_data(as_text=True)
    empty = client.post("/login", headers=headers, data={"csrf_token": csrf_token(client)})
    assert "Ce champ est requis." in empty.get_data(as_text=True)  # WTForms' own catalog
    missing = client.get("/nowhere", headers=headers)
    assert "Page introuvable" in missing.get_data(as_text=True)


def test_the_users_language_beats_the_browsers(app, client):
    from tests.conftest import stored
    from tests.factories import make_user

    user = stored(app, make_user, email="fr@example.com", name="Françoise", locale="fr")
    login(client, user.email, "correct horse battery")
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Bonjour, Françoise" in html


def test_every_message_has_a_french_translation():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and not m.string]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []
