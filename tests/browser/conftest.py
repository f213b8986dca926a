"""Browser fixtures: Debian's Chromium through Playwright against a live server.

Every page a test loads is checked with axe-core (vendored, pinned in package.json): a serious
or critical accessibility violation fails the test, and so does any console error (a CSP
violation shows up there), so accessibility and the CSP hold from the first page on.
"""

import os
import threading
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE_JS = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
SCREENS = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
}


def pytest_collection_modifyitems(config, items):
    """Skip browser tests, with the reason, only where Chromium is missing (never in CI)."""
    if os.path.exists(CHROMIUM):
        return
    if os.environ.get("CI") or os.environ.get("FILON_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"browser tests need {CHROMIUM}: apt-get install -y chromium")
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "headless": True,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"],
    }


@pytest.fixture
def live_server(app):
    """Serve the test's app (its fresh database) on a free loopback port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


class AxeViolations(AssertionError):
    pass


def check_accessibility(page, seen: list) -> None:
    """Run axe-core on the page as it is now; record serious and critical violations.

    A navigation that starts meanwhile ends the run: the next page's load is checked instead.
    """
    try:
        _run_axe(page, seen)
    except PlaywrightError as exc:
        # A navigation that began meanwhile: the old document is gone (with the axe script).
        if not any(sign in str(exc) for sign in ("context was destroyed", "navigat", "axe is not defined")):
            raise


def _run_axe(page, seen: list) -> None:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS)
    # Runs are chained: a load event can fire while the previous run is still going.
    result = page.evaluate(
        """() => {
          window.__axeRun = (window.__axeRun || Promise.resolve()).then(
            () => axe.run(document, {resultTypes: ['violations']}));
          return window.__axeRun.then(r => r.violations
            .filter(v => ['serious', 'critical'].includes(v.impact))
            .map(v => v.id + ': ' + v.help + ' at '
                 + v.nodes.map(n => n.target.join(' ')).join(', ')));
        }"""
    )
    seen.extend(f"{page.url}: {line}" for line in result)


@pytest.fixture(params=list(SCREENS))
def screen(request):
    return request.param


@pytest.fixture
def page(browser, screen, live_server):
    """A page at the `screen` size; fails the test on console errors or axe violations."""
    context = browser.new_context(base_url=live_server, **SCREENS[screen])
    page = context.new_page()
    page.set_default_timeout(10_000)
    console_errors: list[str] = []
    violations: list[str] = []
    def on_console(msg):
        # A 422 is the expected answer to invalid input (the form comes back with its errors).
        if msg.type == "error" and "status of 422" not in msg.text:
            console_errors.append(msg.text)

    page.on("console", on_console)
    page.on("pageerror", lambda exc: console_errors.append(str(exc)))
    page.on("load", lambda: check_accessibility(page, violations))
    yield page
    check_accessibility(page, violations)
    context.close()
    assert not console_errors, f"console errors: {console_errors}"
    if violations:
        raise AxeViolations("accessibility violations:\n" + "\n".join(sorted(set(violations))))


def sign_in(page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def wait_until(page, expression: str, timeout_ms: int = 10_000) -> None:
    """Poll `expression` until it is truthy.

    page.wait_for_function cannot be used: past its first check it evaluates the string with eval()
    inside the page, which our CSP (script-src 'self') forbids. page.evaluate goes through the
    DevTools protocol, which the CSP does not cover.
    """
    for _ in range(max(1, timeout_ms // 50)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"still false after {timeout_ms} ms: {expression}")


def settled(page) -> None:
    """htmx has finished: no request in flight, no swap or settle under way, no element still
    marked as just added. htmx wires swapped-in links and forms, and focuses an [autofocus]
    field, in that last settle step: typing or clicking before it can land in the wrong field
    (the focus moves mid-typing) or on a control that does nothing yet."""
    from playwright.sync_api import expect

    expect(page.locator(".htmx-request, .htmx-settling, .htmx-swapping, .htmx-added")).to_have_count(0)
