"""Each user's own settings: language and password."""

from tests.conftest import PASSWORD, csrf_token, login

NEW_PASSWORD = "a brand new password"


def post(client, path, data, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, "/profile")}, **kwargs)


def test_choose_french_then_follow_the_browser_again(rep_client):
    response = post(rep_client, "/profile/preferences", {"locale": "fr"})
    assert response.status_code == 303
    html = rep_client.get("/profile").get_data(as_text=True)
    assert '<html lang="fr">' in html and "Mon profil" in html
    post(rep_client, "/profile/preferences", {"locale": ""})
    english = rep_client.get("/profile").get_data(as_text=True)
    assert '<html lang="en">' in english
    french = rep_client.get("/profile", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert "Mon profil" in french.get_data(as_text=True)


def test_unknown_language_is_refused(rep_client):
    response = post(rep_client, "/profile/preferences", {"locale": "xx"},
                    headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_change_password_signs_out_other_devices_only(app, rep_client, rep):
    other_device = app.test_client()
    login(other_device, rep.email, PASSWORD)
    response = post(rep_client, "/profile/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert rep_client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    assert login(other_device, rep.email, NEW_PASSWORD).status_code == 303


def test_wrong_current_password_is_answered_in_the_fragment(rep_client):
    response = post(rep_client, "/profile/password", {
        "current_password": "not it at all", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<html" not in body and 'id="password-form"' in body
    assert "This is not your current password." in body
