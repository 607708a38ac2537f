"""The roster as integrators read it: on call now, shifts, gaps."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from pyramid.view import view_config

from ...datetimes import isoformat, utcnow, zone
from ...services.errors import BadRequest
from ...services.validation import MAX_ID
from ...services.oncall import OnCallService, RosterCache, oncall_json
from ...services.representations import conflict_json, gap_json, shift_json
from ...services.gaps import GapService
from . import SHIFTS_DEFAULT_LIMIT, SHIFTS_MAX_LIMIT, contacts, decode_cursor, encode_cursor, limit
from .documentation import documented
from .intervals import instant_param, interval, local_midnight, person_param
from ...caches import RepeatedReads
from ..services import shared


@documented("getOnCall", "OnCall", "the roster at that instant", params=("role", "at"), errors=(400, 404))
@view_config(route_name="api.oncall", request_method="GET", renderer="json", permission="view")
def oncall(request):
    """Who holds each role now (or ``at``), and the next handoff."""
    slug = request.matchdict["slug"]
    role = request.params.get("role") or None
    raw_at = request.params.get("at")
    if raw_at:
        service = request.find_service(OnCallService)
        team = service.team(slug)
        at = instant_param(request, "at", zone(team.timezone))
        return oncall_json(service.at(team, at, role), contacts(request))
    # The hottest request: answered from the per-process cache, already serialized.
    response = request.response
    response.content_type = "application/json"
    response.body = shared(request, RosterCache).oncall_body(slug, role, contacts(request))
    return response


@documented(
    "listShifts", "ShiftList", "a page of shifts",
    params=("start", "end", "role", "person", "shiftsLimit", "cursor"), errors=(400, 404),
)
@view_config(route_name="api.shifts", request_method="GET", renderer="json", permission="view")
def shifts(request):
    """Shifts overlapping [start, end) (default: the next 7 days), by start."""
    service = request.find_service(OnCallService)
    team = service.team(request.matchdict["slug"])
    tz = zone(team.timezone)
    start, end = interval(request, tz, local_midnight(tz), timedelta(days=7))
    size = limit(request, default=SHIFTS_DEFAULT_LIMIT, maximum=SHIFTS_MAX_LIMIT)
    position = decode_cursor(request)
    after = None
    if position is not None:
        try:
            after = (datetime.fromisoformat(position["start"]), int(position["id"]))
        except (KeyError, TypeError, ValueError):
            after = None
        if after is None or after[0].tzinfo is None or not 0 < after[1] <= MAX_ID:
            raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.", code="cursor")
    role = request.params.get("role") or None
    person_id = person_param(request)
    policy = contacts(request)

    def answer() -> dict:
        found = service.shifts(team, start, end, role=role, person_id=person_id, after=after, limit=size + 1)
        has_more = len(found) > size
        found = found[:size]
        next_cursor = encode_cursor(start=found[-1].start, id=found[-1].id) if has_more else None
        return {"shifts": [shift_json(s, tz, policy) for s in found], "next": next_cursor}

    generation = service.generation(team, start)
    if generation is None:
        return answer()
    # Integrators poll the same weeks and months: the serialized answer is
    # kept until the team's roster in memory changes (or, for a reader who
    # sees the phones of those on call only, until they change).
    on_duty = policy.on_duty(team.id).holders if policy.changes_with_time else None
    key = ("shifts", generation, start, end, role, person_id, after, size, policy.policy, on_duty)
    response = request.response
    response.content_type = "application/json"
    response.body = shared(request, RosterCache).kept(key, lambda: json.dumps(answer()).encode())
    # The same request again is answered in front of Pyramid while this
    # stays true (plantao.caches.RepeatedReads).
    shared(request, RepeatedReads).remember(
        request, "", ("shifts", team.id, (generation, on_duty)), {},
        body=response.body, content={"Content-Type": "application/json"},
    )
    return response


@documented(
    "getGaps", "Gaps", "gaps and conflicts", params=("start", "end", "shiftsLimit", "cursor"), errors=(400, 404)
)
@view_config(route_name="api.gaps", request_method="GET", renderer="json", permission="view")
def gaps(request):
    """Times nobody covers and unresolved rule conflicts in [start, end) (default: 28 days), as stored with the
    materialized roster; `limit` rows of each list per page.

    Read from the gaps and conflicts stored with the materialized roster, never by running the engine,
    so the interval must end within the horizon (PLANTAO_HORIZON_DAYS); the `next` cursor pages through
    both lists at once.
    """
    settings = request.plantao_settings
    team = request.find_service(OnCallService).team(request.matchdict["slug"])
    tz = zone(team.timezone)
    start, end = interval(request, tz, local_midnight(tz), timedelta(days=28))
    # Nothing is stored beyond the materialized horizon: an empty answer
    # there would claim a coverage nobody checked.
    limit_end = utcnow() + timedelta(days=settings.horizon_days)
    if end > limit_end:
        raise BadRequest(
            f"Gaps are known up to {settings.horizon_days} days ahead "
            f"(PLANTAO_HORIZON_DAYS); end must be before {isoformat(limit_end, tz)}.",
            code="interval.beyond_horizon",
            params={"days": settings.horizon_days, "limit": isoformat(limit_end, tz)},
        )
    size = limit(request, default=SHIFTS_DEFAULT_LIMIT, maximum=SHIFTS_MAX_LIMIT)
    position = decode_cursor(request) or {}
    after = {name: _gaps_position(position, name) for name in ("gaps", "conflicts")}
    stored = request.find_service(GapService)
    lists = {}
    following = {}
    for name, read in (("gaps", stored.gaps), ("conflicts", stored.conflicts)):
        if after[name] == "done":
            lists[name] = []
            following[name] = "done"
            continue
        rows = read(team, start, end, after=after[name], limit=size + 1)
        lists[name] = rows[:size]
        following[name] = [rows[size - 1].start.isoformat(), rows[size - 1].id] if len(rows) > size else "done"
    more = any(value != "done" for value in following.values())
    return {
        "team": team.slug,
        "start": isoformat(start, tz),
        "end": isoformat(end, tz),
        "gaps": [gap_json(g, tz, start, end) for g in lists["gaps"]],
        "conflicts": [conflict_json(c, tz) for c in lists["conflicts"]],
        "next": encode_cursor(**following) if more else None,
    }


def _gaps_position(position: dict, name: str):
    """Where the previous page of ``name`` stopped: None (start), "done", or (start, id)."""
    value = position.get(name)
    if value is None or value == "done":
        return value
    try:
        moment, row_id = datetime.fromisoformat(value[0]), value[1]
    except (TypeError, ValueError, IndexError, KeyError):
        moment, row_id = None, None
    if moment is None or moment.tzinfo is None or not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
        raise BadRequest("cursor is not one this API gave out; use the 'next' value verbatim.", code="cursor")
    return moment, row_id
