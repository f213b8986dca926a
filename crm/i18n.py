"""Template gettext that costs a dictionary lookup per string.

Flask-Babel's Jinja callables find the request's translations again for every string: five or
six context lookups and a `str(locale)` each time. A list page translates a few hundred strings
(a label per cell), and the profile of `/leads` showed a third of its time there. These
callables keep the request's translations beside Flask-Babel's own per-request state and reuse
them while the locale stays the same object, which `force_locale` and `refresh` both change.
"""

from datetime import UTC, date, datetime, time
from functools import lru_cache

from babel import Locale, dates
from flask import Flask, g
from flask_babel import format_date, format_datetime, get_locale, get_timezone, get_translations
from jinja2 import pass_context
from markupsafe import Markup

NAMED_FORMATS = ("short", "medium", "long", "full")
# Formats whose time part has no time zone name: their text depends only on the clock time.
CACHED_FORMATS = ("short", "medium")


def _translations():
    # Flask-Babel keeps the request's locale in g._flask_babel (its per-request namespace).
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    if locale is None:
        get_locale()  # resolves and stores it
        state = g.get("_flask_babel")
        locale = getattr(state, "babel_locale", None)
        if locale is None:  # outside a request: Flask-Babel answers with null translations
            return get_translations()
    cached = getattr(state, "filon_translations", None)
    if cached is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    state.filon_translations = (locale, translations)
    return translations


def gettext(string: str) -> str:
    """The string in the request's language, without placeholders (a label, a picklist value)."""
    return _translations().ugettext(string)


@lru_cache(maxsize=64)
def _patterns(locale_name: str, format: str):
    """Babel's patterns for a named format: parsed once per locale, not once per call."""
    locale = Locale.parse(locale_name)
    return (locale, dates.get_datetime_format(format, locale).replace("'", ""),
            dates.get_date_format(format, locale), dates.get_time_format(format, locale))


@lru_cache(maxsize=4096)
def _date_text(locale_name: str, format: str, day: date) -> str:
    locale, _outer, date_pattern, _time = _patterns(locale_name, format)
    return date_pattern.apply(day, locale)


@lru_cache(maxsize=4096)
def _time_text(locale_name: str, format: str, clock: time) -> str:
    locale, _outer, _date, time_pattern = _patterns(locale_name, format)
    return time_pattern.apply(clock, locale)


def _local(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(get_timezone())


def datetimeformat(value: datetime | None, format: str | None = None) -> str:
    """Flask-Babel's `datetimeformat` filter (stored UTC, shown in the user's time zone), same
    text. A list formats fifty of them and babel looks its patterns and day periods up each
    time, so the short and medium formats are assembled from cached date and time texts."""
    if value is None:
        return ""
    if format not in CACHED_FORMATS:
        return format_datetime(value, format)
    locale_name = str(get_locale())
    _locale, outer, _date, _time = _patterns(locale_name, format)
    moment = _local(value)
    return (outer.replace("{0}", _time_text(locale_name, format, moment.time()))
            .replace("{1}", _date_text(locale_name, format, moment.date())))


def datetime_formatter(format: str = "short"):
    """`datetimeformat` with the locale and time zone looked up once: for the rows of a list."""
    if format not in CACHED_FORMATS:
        return lambda value: datetimeformat(value, format)
    locale_name, zone = str(get_locale()), get_timezone()
    outer = _patterns(locale_name, format)[1]

    def text(value: datetime | None) -> str:
        if value is None:
            return ""
        moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(zone)
        return (outer.replace("{0}", _time_text(locale_name, format, moment.time()))
                .replace("{1}", _date_text(locale_name, format, moment.date())))
    return text


def dateformat(value: date | datetime | None, format: str | None = None) -> str:
    """Flask-Babel's `dateformat` filter, same text, from the cached date texts."""
    if value is None:
        return ""
    if format not in NAMED_FORMATS:
        return format_date(value, format)
    if isinstance(value, datetime):
        value = _local(value).date()
    return _date_text(str(get_locale()), format, value)


@pass_context
def _jinja_gettext(context, string: str, **variables) -> str:
    # What Jinja's new-style gettext does (escape, then format with the variables), without
    # its extra context.call layer around the translation.
    rv = _translations().ugettext(string)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 (our own catalog's text; the variables are escaped by %)  # nosec B704
    return rv % variables


@pass_context
def _jinja_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
    variables.setdefault("num", num)
    rv = _translations().ungettext(singular, plural, num)
    if context.eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 (our own catalog's text; the variables are escaped by %)  # nosec B704
    return rv % variables


def install(app: Flask) -> None:
    """Replace the callables and date filters Flask-Babel gave Jinja (same signatures, same output)."""
    app.jinja_env.filters.update(datetimeformat=datetimeformat, dateformat=dateformat)
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(gettext=_jinja_gettext, ngettext=_jinja_ngettext)
