"""The browser harness itself must catch what it promises to catch."""

import pytest

from tests.browser.conftest import check_accessibility

pytestmark = pytest.mark.browser


def test_axe_check_reports_an_unlabelled_field(browser, live_server):
    # Its own context: the `page` fixture would (rightly) fail this test on the violation.
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    page.goto("/login")
    found: list[str] = []
    check_accessibility(page, found)
    assert found == []
    page.evaluate("document.querySelector('label[for=email]').remove()")
    check_accessibility(page, found)
    assert any(line.split(": ", 2)[1].startswith("label") for line in found), found
    context.close()
