"""Web form rules that need no request: the fields kept, the CSP origin of a return URL, the token."""

import pytest

from crm.webforms import services


def test_last_name_and_company_are_always_in_and_required(app_ctx):
    fields = services.clean_fields([{"name": "email", "required": True}, {"name": "last_name", "required": False},
                                    {"name": "password_hash"}, {"name": "owner_id"}])
    assert [(f["name"], f["required"]) for f in fields] == [("last_name", True), ("company", True), ("email", True)]
    assert fields[2]["label_en"] == "Email" and fields[2]["label_fr"]


@pytest.mark.parametrize("url, origin", [
    ("https://www.example.com/merci", "https://www.example.com"),
    ("http://Example.COM:8080/a?b=c", "http://example.com:8080"),
    ("https://[::1]:8443/x", "https://[::1]:8443"),
    (None, None),
    ("javascript:alert(1)", None),
    ("https://example.com:99999/", None),
])
def test_the_return_urls_origin_for_the_csp(url, origin):
    assert services.csp_origin(url) == origin


def test_control_characters_are_removed():
    assert services.clean_text(" a\x00b\x1bc\x7f\u0085\td\r\n ") == "abc\td"


def test_a_token_is_bound_to_its_form(app, app_ctx):
    from tests.webforms.conftest import make_web_form

    first, second = make_web_form(), make_web_form(name="Second")
    with app.test_request_context():
        token = services.issue_token(first, now=1000)
        assert services.read_token(first, token) == services.Token(nonce=services.read_token(first, token).nonce,
                                                                   issued=1000)
        assert services.read_token(second, token) is None
        assert services.read_token(first, token[:-2] + "xx") is None
        assert services.read_token(first, services.snippet_token(first)) == services.Token(nonce="", issued=0)
