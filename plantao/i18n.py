"""Languages of the pages: Brazilian Portuguese by default, English on request.

The locale of a request is, in order: the visitor's explicit choice (the
``plantao_lang`` cookie set by ``GET /lang/{code}``), the best match of the
browser's ``Accept-Language`` among the languages we ship, and Brazilian
Portuguese.  Texts go through Pyramid's localizer with the Babel-compiled
catalogues in ``plantao/locale`` (domain ``plantao``); dates and times are
formatted by Babel in the team's zone and the request's locale.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from pyramid.i18n import TranslationStringFactory

DOMAIN = "plantao"
DEFAULT_LOCALE = "pt_BR"
#: The languages we ship catalogues for, with the name each calls itself.
LANGUAGES = {"pt_BR": "Português", "en": "English"}
#: The ``lang`` attribute (BCP 47) of each locale.
HTML_LANG = {"pt_BR": "pt-BR", "en": "en"}
COOKIE = "plantao_lang"
COOKIE_MAX_AGE = 365 * 24 * 3600

_ = TranslationStringFactory(DOMAIN)


def accept_language_match(header: str | None) -> str | None:
    """The shipped locale the ``Accept-Language`` header prefers, if any.

    Any Portuguese tag chooses Brazilian Portuguese and any English tag
    English; ties keep the header's order.
    """
    ranked = []
    for position, part in enumerate((header or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            name, _eq, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, position, tag.strip().lower()))
    for _quality, _position, tag in sorted(ranked):
        base = tag.split("-")[0]
        if base == "pt":
            return "pt_BR"
        if base == "en":
            return "en"
    return None


def negotiate_locale(request) -> str:
    """Pyramid locale negotiator: cookie, then Accept-Language, then pt-BR."""
    chosen = request.cookies.get(COOKIE)
    if chosen in LANGUAGES:
        return chosen
    return accept_language_match(request.headers.get("Accept-Language")) or DEFAULT_LOCALE


def safe_next(target: str | None) -> str:
    """A local path to go back to; anything else (another site) becomes ``/``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(char) < 32 for char in target):
        return "/"
    return target


class Formatter:
    """Dates and times in one zone and one locale, the way people there write them."""

    def __init__(self, locale_name: str, timezone: str):
        self.locale = Locale.parse(locale_name)
        self.tz = ZoneInfo(timezone)

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.tz)

    def datetime(self, moment: datetime) -> str:
        """``seg., 3 de mar., 09:00`` / ``Mon, Mar 3, 9:00 AM``."""
        return f"{self.day(moment)}, {self.time(moment)}"

    def time(self, moment: datetime) -> str:
        return format_time(self.local(moment), "short", locale=self.locale)

    def day(self, value: date | datetime) -> str:
        if isinstance(value, datetime):
            value = self.local(value).date()
        return format_skeleton("MMMEd", value, locale=self.locale)

    def long_day(self, value: date) -> str:
        return format_date(value, "full", locale=self.locale)

    def weekday(self, value: date) -> str:
        return format_date(value, "EEE", locale=self.locale)

    def month(self, value: date) -> str:
        """``março de 2026`` / ``March 2026``."""
        return format_skeleton("yMMMM", value, locale=self.locale)

    def iso(self, moment: datetime) -> str:
        return self.local(moment).isoformat()

    def tz_name(self, moment: datetime) -> str:
        return format_datetime(self.local(moment), "zzzz", locale=self.locale)

    @property
    def first_weekday(self) -> int:
        """0 for Monday ... 6 for Sunday, as the locale's calendars start."""
        return self.locale.first_week_day

    def weekday_names(self) -> list[str]:
        monday = date(2024, 1, 1)
        days = [monday + timedelta(days=(self.first_weekday + n) % 7) for n in range(7)]
        return [self.weekday(day) for day in days]


def countdown(delta: timedelta) -> str:
    """``2 d 03 h 14 min``: the same compact units in every language."""
    minutes = max(int(delta.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days} d {hours:02d} h {minutes:02d} min"
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min"


def translate(request, msgid: str, **mapping) -> str:
    """``msgid`` (English, domain ``plantao``) in the request's language."""
    return request.localizer.translate(_(msgid, mapping=mapping or None))


def includeme(config) -> None:
    config.add_translation_dirs("plantao:locale/")
    config.set_locale_negotiator(negotiate_locale)
    config.add_request_method(lambda request: HTML_LANG[request.locale_name], "html_lang", reify=True)
