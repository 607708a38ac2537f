"""Reading intervals and filters from the query string, as every roster read does.

The ``shifts`` and ``gaps`` views and the exports share these, so that an
export covers exactly the shifts the ``shifts`` API returns for the same
``start``, ``end``, ``role`` and ``person``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time, timedelta

from ...datetimes import DateTimeError, isoformat, parse_instant
from ...services.errors import BadRequest
from ...services.validation import MAX_ID

#: The longest interval one shifts, gaps or export request may cover.
MAX_INTERVAL = timedelta(days=732)


def instant_param(request, name: str, tz) -> datetime | None:
    raw = request.params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return parse_instant(raw, tz)
    except DateTimeError as error:
        raise BadRequest(f"{name}: {error}", code=error.code, params=error.params) from None


def interval(
    request,
    tz,
    default_start: datetime,
    default_length: timedelta | None = None,
    *,
    default_end: Callable[[datetime], datetime] | None = None,
) -> tuple[datetime, datetime]:
    """``start``/``end`` query parameters, dates read in the team's zone.

    Without ``end``, the interval lasts ``default_length`` from its start, or
    ends at ``default_end(start)``.
    """
    start = instant_param(request, "start", tz) or default_start
    end = instant_param(request, "end", tz)
    if end is None:
        end = default_end(start) if default_end is not None else start + default_length
    if end <= start:
        bounds = {"start": isoformat(start, tz), "end": isoformat(end, tz)}
        raise BadRequest("end must be after start.", bounds, code="interval.order", params=bounds)
    if end - start > MAX_INTERVAL:
        raise BadRequest(
            f"The interval may cover at most {MAX_INTERVAL.days} days; page through longer ones.",
            code="interval.too_long",
            params={"days": MAX_INTERVAL.days},
        )
    return start, end


def local_midnight(tz) -> datetime:
    return datetime.combine(datetime.now(tz).date(), time(0), tzinfo=tz)


def person_param(request) -> int | None:
    """The ``person`` filter: a person id, or None."""
    person = request.params.get("person")
    if person is None:
        return None
    if not (person.isdigit() and 0 < int(person) <= MAX_ID):
        raise BadRequest(f"person must be a person id, got {person!r}.", code="filter.person", params={"value": person})
    return int(person)
