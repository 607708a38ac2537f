"""Reading and writing instants: UTC inside, the team's zone outside.

API clients may send a date-time with an offset (an instant) or without one
(a wall-clock time in the team's zone), or a bare date (midnight there).
Responses always carry the offset.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timezone
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones


class DateTimeError(ValueError):
    """A value that is not a date or date-time we understand.

    ``code`` says which way (``datetime``, ``date_out_of_range``,
    ``timezone``, ``datetime.empty``) and ``params`` what it needs to be
    said in other words: services pass both on in their error details.
    """

    def __init__(self, message: str, code: str = "datetime", **params):
        super().__init__(message)
        self.code = code
        self.params = params


#: Instants outside these years are refused: nobody plans a roster there, and
#: arithmetic near the ends of the calendar would overflow.
FIRST_YEAR = 1970
LAST_YEAR = 2200


def parse_instant(value: str, tz: ZoneInfo) -> datetime:
    """An aware UTC datetime from ISO 8601 text, reading naive values in ``tz``."""
    if not isinstance(value, str) or not value.strip():
        raise DateTimeError(f"expected an ISO 8601 date or date-time, got {value!r}", "datetime.empty")
    text = value.strip()
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), time(0))
        else:
            parsed = datetime.fromisoformat(text)
    except ValueError:
        raise DateTimeError(
            f"{value!r} is not an ISO 8601 date (2026-03-01) or date-time (2026-03-01T09:00-03:00)", "datetime"
        ) from None
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise DateTimeError(
            f"{value!r} is outside the years {FIRST_YEAR}-{LAST_YEAR}",
            "date_out_of_range",
            first_year=FIRST_YEAR,
            last_year=LAST_YEAR,
        )
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(timezone.utc)


#: ``25/12/2026`` or ``25/12/2026 09:00`` (a comma or a ``T`` may stand
#: between them): how people in Brazil type a date and a time.
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:(?:\s*,\s*|\s+|T)(\d{1,2}):(\d{2}))?")


def parse_form_instant(value: str, tz: ZoneInfo) -> datetime:
    """An aware UTC datetime from what a person types in a form's date or date-time field.

    Reads ``DD/MM/AAAA`` and ``DD/MM/AAAA HH:MM`` (local to ``tz``; a date
    alone is midnight) as well as everything :func:`parse_instant` reads
    (ISO 8601, which browsers post).  Raises :class:`DateTimeError` (code
    ``datetime`` for a date not on the calendar, such as 31/02/2026).  For
    the local day use ``.astimezone(tz).date()``; for an API body's text,
    :func:`isoformat`.
    """
    match = _DAY_MONTH_YEAR.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        return parse_instant(value, tz)
    day, month, year, hour, minute = (int(part or 0) for part in match.groups())
    try:
        local = datetime(year, month, day, hour, minute)
    except ValueError:
        raise DateTimeError(f"{value!r} is not a date on the calendar (DD/MM/YYYY HH:MM)", "datetime") from None
    # The years allowed and the zone are parse_instant's to apply.
    return parse_instant(local.isoformat(), tz)


def isoformat(moment: datetime | None, tz: ZoneInfo) -> str | None:
    """ISO 8601 with the offset of ``tz`` at that instant."""
    if moment is None:
        return None
    return moment.astimezone(tz).isoformat()


#: Files of the system's zone database that are not zones a team can live in.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) - _NOT_ZONES


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; host-specific names such as ``localtime`` are refused."""
    if name not in _known_zones():
        raise DateTimeError(f"{name!r} is not a known IANA time zone", "timezone", name=name)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise DateTimeError(f"{name!r} is not a known IANA time zone", "timezone", name=name) from None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)
