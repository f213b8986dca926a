"""Finding markup in a page that the app did not write: what a stored payload would create."""

import re
from html.parser import HTMLParser

# Attributes whose value a browser follows as a URL (a javascript: one runs on click or load).
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
                  "hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}
# htmx attributes that make a request or steer one (hx-vals and hx-headers only carry data).
HTMX_ACTIONS = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete", "hx-trigger", "hx-target", "hx-swap",
                "hx-select", "hx-include", "hx-push-url", "hx-boost"}
# What browsers ignore at the start of a URL before reading its scheme.
URL_NOISE = re.compile(r"[\x00-\x20\u200b\ufeff]+")


class Collector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, attrs))
        self._in_script = tag == "script"

    def handle_startendtag(self, tag, attrs):
        self.elements.append((tag, attrs))

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.elements.append(("script-body", [("text", data)]))
        self.text.append(data)


def parse(html: str) -> Collector:
    parser = Collector()
    parser.feed(html)
    parser.close()
    return parser


def live_markup(html: str) -> list[str]:
    """Everything in `html` that would run or fire: empty when the page is safe."""
    found = []
    for tag, attrs in parse(html).elements:
        names = {name for name, _value in attrs}
        if tag == "script-body":
            found.append(f"inline script {attrs[0][1][:80]!r}")
            continue
        if "zq" in tag or any("zq" in name for name in names):
            found.append(f"element made by a payload: <{tag} {names}>")
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                found.append(f"script not from /static/: {src!r}")
        if tag in ("iframe", "object", "embed", "base", "math", "frame", "frameset"):
            found.append(f"<{tag}> element")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            found.append("meta refresh")
        for name, value in attrs:
            bare = name.removeprefix("data-")
            if name.startswith("on"):
                found.append(f"event handler {name}={value!r} on <{tag}>")
            if bare.startswith("hx-on"):
                found.append(f"htmx handler {name}={value!r} on <{tag}>")
            if name in URL_ATTRIBUTES and value:
                url = URL_NOISE.sub("", value).lower()
                if url.startswith(("javascript:", "vbscript:", "data:text/html")):
                    found.append(f"{name}={value!r} on <{tag}>")
            if bare in HTMX_ACTIONS and value and "zq" in value:
                # A typed search or filter rides in the query string of the app's own hx-get
                # (encoded, harmless); a stored value must never be the URL or the instruction.
                if bare not in URL_ATTRIBUTES or "zq" in value.split("?")[0]:
                    found.append(f"htmx attribute with stored data {name}={value!r} on <{tag}>")
    return found


def text_of(html: str) -> str:
    return "".join(parse(html).text)
