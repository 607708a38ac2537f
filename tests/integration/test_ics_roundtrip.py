"""The ics feeds read back by two independent parsers, shift by shift.

``icalendar`` parses the file as a calendar client's library would, and
``recurring-ical-events`` (which resolves each event in the VTIMEZONE the
feed ships) lists what a calendar shows between two instants.  Both must
agree with ``GET .../shifts`` on every shift: its holder, its start and end
as instants and as local wall-clock times, across a daylight-saving change
in America/New_York, and for a person in two teams in two zones.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
import webtest

from plantao.app import make_app

NEW_YORK = ZoneInfo("America/New_York")
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


@pytest.fixture
def client(settings, plugins, clean_engine):
    # A year ahead is stored, so the roster crosses a daylight-saving change whenever the suite runs.
    app = make_app(dataclasses.replace(settings, horizon_days=400), plugins=plugins, engine=clean_engine)
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.40"})


def next_transition(tz: ZoneInfo, after: datetime) -> datetime:
    """The first hour after ``after`` at which ``tz`` changes its offset."""
    moment = after.replace(minute=0, second=0, microsecond=0)
    offset = moment.astimezone(tz).utcoffset()
    while moment.astimezone(tz).utcoffset() == offset:
        moment += timedelta(hours=1)
    return moment


@pytest.fixture
def roster(client, admin_headers):
    """``nyc`` (daily at 09:00 New York: Ana, Bruno) and ``sp`` (weekly, São Paulo: Carla, Ana)."""

    def post(url, body):
        return client.post_json(url, body, headers=admin_headers, status=201).json

    people = {name: post("/api/v1/people", {"name": name, "phone": "+1 212 555 0100"}) for name in ("Ana", "Bruno", "Carla")}
    post("/api/v1/teams", {"slug": "nyc", "name": "New York", "timezone": "America/New_York"})
    post("/api/v1/teams", {"slug": "sp", "name": "São Paulo", "timezone": "America/Sao_Paulo"})
    today = datetime.now(NEW_YORK).date()
    post("/api/v1/teams/nyc/rotations", {
        "name": "Daily", "policy": "daily", "members": [people["Ana"]["id"], people["Bruno"]["id"]],
        "start": (today - timedelta(days=3)).isoformat(),
    })
    post("/api/v1/teams/sp/rotations", {
        "name": "Semanal", "policy": "weekly", "members": [people["Carla"]["id"], people["Ana"]["id"]],
        "start": (today - timedelta(days=today.weekday())).isoformat(),
    })
    transition = next_transition(NEW_YORK, datetime.now(NEW_YORK))
    window = {
        "start": (transition - timedelta(days=5)).astimezone(NEW_YORK).date().isoformat(),
        "end": (transition + timedelta(days=5)).astimezone(NEW_YORK).date().isoformat(),
    }
    return {"people": people, "transition": transition, "window": window}


def api_shifts(client, slug, **params) -> list[dict]:
    found, cursor = [], None
    while True:
        body = client.get(f"/api/v1/teams/{slug}/shifts", params={**params, **({"cursor": cursor} if cursor else {})}).json
        found.extend(body["shifts"])
        cursor = body["next"]
        if not cursor:
            return found


def check_events(parsed: list, expected: list[dict], zones: dict[str, ZoneInfo]) -> None:
    """Each parsed VEVENT is the API shift of the same id, to the second and in its zone."""
    by_id = {str(event["X-PLANTAO-SHIFT-ID"]): event for event in parsed}
    assert sorted(by_id) == sorted(str(s["id"]) for s in expected)
    assert len(parsed) == len(expected), "one event per shift"
    for shift in expected:
        event = by_id[str(shift["id"])]
        start, end = event["DTSTART"].dt, event["DTEND"].dt
        assert start == datetime.fromisoformat(shift["start"]), shift
        assert end == datetime.fromisoformat(shift["end"]), shift
        # The wall-clock time and offset are the team's, as the API writes them.
        assert start.isoformat() == shift["start"]
        assert end.isoformat() == shift["end"]
        assert shift["person"]["name"] in str(event["SUMMARY"])
        tzid = event["DTSTART"].params["TZID"]
        assert tzid in zones and ZoneInfo(tzid).key == zones[tzid].key


def both_parsers(body: bytes, start: str, end: str, tz: ZoneInfo) -> tuple[list, list]:
    calendar = icalendar.Calendar.from_ical(body)
    first = calendar.walk("VEVENT")
    begin = datetime.fromisoformat(start).replace(tzinfo=tz) if "T" in start else datetime.fromisoformat(start + "T00:00").replace(tzinfo=tz)
    until = datetime.fromisoformat(end).replace(tzinfo=tz) if "T" in end else datetime.fromisoformat(end + "T00:00").replace(tzinfo=tz)
    second = recurring_ical_events.of(icalendar.Calendar.from_ical(body)).between(begin, until)
    return first, second


def test_a_team_feed_across_a_daylight_saving_change(client, roster):
    window = roster["window"]
    expected = api_shifts(client, "nyc", **window)
    offsets = {datetime.fromisoformat(s["start"]).utcoffset() for s in expected}
    assert len(offsets) == 2, "the window crosses the change"
    # The handoff stays at 09:00 local on both sides of it.
    assert {datetime.fromisoformat(s["start"]).strftime("%H:%M") for s in expected} == {"09:00"}

    body = client.get("/api/v1/teams/nyc/export.ics", params=window).body
    calendar = icalendar.Calendar.from_ical(body)
    zones = {tz["TZID"]: tz.to_tz() for tz in calendar.walk("VTIMEZONE")}
    assert list(zones) == ["America/New_York"]
    # The shipped VTIMEZONE knows the change the events cross.
    shipped = zones["America/New_York"]
    transition = roster["transition"]
    assert (transition - timedelta(hours=2)).astimezone(shipped).utcoffset() != (
        transition + timedelta(hours=2)
    ).astimezone(shipped).utcoffset()

    first, second = both_parsers(body, window["start"], window["end"], NEW_YORK)
    check_events(first, expected, {"America/New_York": NEW_YORK})
    check_events(second, expected, {"America/New_York": NEW_YORK})


def test_a_person_in_two_teams_gets_both_in_one_feed(client, roster):
    window = roster["window"]
    ana = roster["people"]["Ana"]["id"]
    expected = api_shifts(client, "nyc", **window, person=ana) + api_shifts(client, "sp", **window, person=ana)
    assert {s["start"][-6:] for s in expected} >= {"-03:00"}, "São Paulo shifts are in the window"
    assert any(s["start"].endswith(("-04:00", "-05:00")) for s in expected)

    body = client.get(f"/api/v1/people/{ana}/export.ics", params=window).body
    calendar = icalendar.Calendar.from_ical(body)
    assert sorted(tz["TZID"] for tz in calendar.walk("VTIMEZONE")) == ["America/New_York", "America/Sao_Paulo"]
    zones = {"America/New_York": NEW_YORK, "America/Sao_Paulo": SAO_PAULO}
    # The person feed's own zone is PLANTAO_TIMEZONE; each event keeps its team's.
    first, second = both_parsers(body, window["start"], window["end"], SAO_PAULO)
    check_events(first, expected, zones)
    # recurring-ical-events lists what overlaps the window as the calendar shows it.
    check_events(second, expected, zones)


def test_uids_are_stable_across_regenerations(client, admin_headers, roster):
    window = roster["window"]
    first = icalendar.Calendar.from_ical(client.get("/api/v1/teams/nyc/export.ics", params=window).body)
    # A change elsewhere (another team) regenerates nothing here: same UIDs, same events.
    client.patch_json("/api/v1/teams/sp", {"name": "SP"}, headers=admin_headers)
    client.post_json("/api/v1/people", {"name": "Dora"}, headers=admin_headers, status=201)
    again = icalendar.Calendar.from_ical(client.get("/api/v1/teams/nyc/export.ics", params=window).body)
    assert [e["UID"] for e in again.walk("VEVENT")] == [e["UID"] for e in first.walk("VEVENT")]
    assert again.to_ical() == first.to_ical()
