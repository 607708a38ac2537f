"""A team's holiday calendar: national, state and optional holidays, plus its own.

Holidays come from the ``holidays`` library.  Brazil is the default country;
a subdivision (a state such as ``"SP"``) adds its holidays, and
``optional=True`` adds the library's ``OPTIONAL`` category, which for Brazil
holds the *pontos facultativos* such as Carnival and Ash Wednesday.  A team
adds its own dates on top (a company anniversary, a local festival).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from functools import lru_cache

import holidays as holiday_library

DEFAULT_COUNTRY = "BR"
DEFAULT_LANGUAGE = "pt-BR"


def holiday_calendar(
    first_year: int,
    last_year: int,
    *,
    country: str = DEFAULT_COUNTRY,
    subdivision: str | None = None,
    optional: bool = False,
    custom: Mapping[date, str] | Iterable[tuple[date, str]] = (),
    language: str | None = DEFAULT_LANGUAGE,
) -> dict[date, str]:
    """Return ``{date: name}`` for every holiday from ``first_year`` to ``last_year``.

    ``language`` is a tag such as ``"pt-BR"`` or ``"en"``; names fall back to
    the country's own language when the library has no translation in it
    (naming the language explicitly also keeps the result independent of
    the machine's locale).  Two holidays on one date are joined with
    ``"; "``, like the library does; a custom holiday on a date that already
    has one is added the same way.  Custom dates outside the years are left
    out.  Raises :class:`ValueError` for an unknown country or subdivision.
    """
    if first_year > last_year:
        raise ValueError(f"first_year {first_year} is after last_year {last_year}")
    result = dict(_library_calendar(first_year, last_year, country, subdivision, optional, language))
    extra = custom.items() if isinstance(custom, Mapping) else custom
    for day, name in sorted(extra):
        if first_year <= day.year <= last_year:
            result[day] = f"{result[day]}; {name}" if day in result else name
    return dict(sorted(result.items()))


@lru_cache(maxsize=256)
def _library_calendar(
    first_year: int, last_year: int, country: str, subdivision: str | None, optional: bool, language: str | None
) -> tuple[tuple[date, str], ...]:
    """The library's holidays of the years, by date.

    Remembered: every regeneration of a team asks for the same years, and
    the library computes them afresh each time (about a millisecond and a
    half, a tenth of an override's write).
    """
    years = range(first_year, last_year + 1)
    try:
        entity = holiday_library.country_holidays(country, subdiv=subdivision)
    except NotImplementedError as error:
        raise ValueError(str(error)) from error
    categories = [holiday_library.PUBLIC]
    if optional and holiday_library.OPTIONAL in entity.supported_categories:
        categories.append(holiday_library.OPTIONAL)
    calendar = holiday_library.country_holidays(
        country,
        subdiv=subdivision,
        years=years,
        categories=tuple(categories),
        language=_library_language(language, entity.supported_languages, entity.default_language),
    )
    return tuple(sorted(calendar.items()))


def _library_language(
    language: str | None, supported: Iterable[str], default: str | None
) -> str | None:
    """Map a tag like ``"pt-BR"`` or ``"en"`` to the library's (``"pt_BR"``, ``"en_US"``)."""
    if not language:
        return default
    wanted = language.replace("-", "_")
    options = list(supported)
    for option in options:
        if option.lower() == wanted.lower():
            return option
    base = wanted.split("_")[0].lower()
    for option in options:
        if option.split("_")[0].lower() == base:
            return option
    return default
