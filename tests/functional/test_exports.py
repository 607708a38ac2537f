"""Exports and calendar feeds through the API, on SQLite and PostgreSQL.

A feed holds exactly the shifts ``GET .../shifts`` returns for the same
interval, role and person; it answers conditional requests with 304; a
private roster's feeds open with a secret token that an admin rotates.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone
from email.utils import format_datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import webtest

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
VIEWER_PASSWORD = "viewer secret with enough words"


def local(day: date, clock: str = "09:00", tz: ZoneInfo = SAO_PAULO) -> str:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=tz).isoformat()


@pytest.fixture
def monday() -> date:
    """The Monday two weeks ago: the roster holds a shift in progress."""
    today = datetime.now(SAO_PAULO).date()
    return today - timedelta(days=today.weekday() + 14)


@pytest.fixture
def roster(testapp, admin_headers, monday):
    """Team ``infra`` (weekly: Ana, Bruno, Carla) and team ``ops`` (daily: Ana, Dora)."""

    def post(url, body):
        return testapp.post_json(url, body, headers=admin_headers, status=201).json

    people = {
        name: post("/api/v1/people", {"name": name, "email": f"{name.lower()}@example.org",
                                      "phone": f"+55 11 90000-000{n}"})
        for n, name in enumerate(("Ana", "Bruno", "Carla", "Dora"), start=1)
    }
    post("/api/v1/teams", {"slug": "infra", "name": "Infra"})
    post("/api/v1/teams", {"slug": "ops", "name": "Ops"})
    rotation = post("/api/v1/teams/infra/rotations", {
        "name": "Semanal", "policy": "weekly",
        "members": [people[n]["id"] for n in ("Ana", "Bruno", "Carla")], "start": monday.isoformat(),
    })
    post("/api/v1/teams/ops/rotations", {
        "name": "Diário", "policy": "daily", "members": [people[n]["id"] for n in ("Dora", "Ana")],
        "start": monday.isoformat(),
    })
    return {"people": people, "rotation": rotation}


def api_shifts(testapp, slug, headers=None, **params) -> list[dict]:
    found, cursor = [], None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = testapp.get(f"/api/v1/teams/{slug}/shifts", params=query, headers=headers).json
        found.extend(body["shifts"])
        cursor = body["next"]
        if not cursor:
            return found


def events(body: bytes) -> list:
    return icalendar.Calendar.from_ical(body).walk("VEVENT")


# -- the formats ----------------------------------------------------------------------


def test_the_json_export_is_the_shifts_api_for_the_same_interval_role_and_person(
    testapp, roster, monday, admin_headers
):
    # As the same reader: an anonymous export shows no contacts while the
    # API shows those on call now and next (tests/functional/test_contact_matrix.py).
    interval = {"start": monday.isoformat(), "end": (monday + timedelta(days=60)).isoformat()}
    exported = testapp.get("/api/v1/teams/infra/export.json", params=interval, headers=admin_headers).json
    expected = api_shifts(testapp, "infra", admin_headers, **interval)
    assert len(expected) >= 6
    # Beyond the API's fields, each shift has its team and its override's reason (none here).
    assert [{k: v for k, v in s.items() if k not in ("team", "reason")} for s in exported["shifts"]] == expected
    assert {s["reason"] for s in exported["shifts"]} == {None}
    assert {s["team"] for s in exported["shifts"]} == {"infra"}

    bruno = roster["people"]["Bruno"]["id"]
    only = testapp.get("/api/v1/teams/infra/export.json", params={**interval, "person": bruno, "role": "primary"})
    assert [s["id"] for s in only.json["shifts"]] == [
        s["id"] for s in api_shifts(testapp, "infra", **interval, person=bruno, role="primary")
    ]
    assert testapp.get("/api/v1/teams/infra/export.json", params={**interval, "role": "secondary"}).json[
        "shifts"
    ] == []


def test_the_ics_and_csv_exports_hold_the_same_shifts(testapp, roster, monday):
    interval = {"start": monday.isoformat(), "end": (monday + timedelta(days=60)).isoformat()}
    expected = api_shifts(testapp, "infra", **interval)

    ics = testapp.get("/api/v1/teams/infra/export.ics", params=interval)
    assert ics.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert ics.headers["Content-Disposition"] == 'attachment; filename="plantao-infra.ics"'
    found = events(ics.body)
    assert [str(e["X-PLANTAO-SHIFT-ID"]) for e in found] == [str(s["id"]) for s in expected]
    for event, shift in zip(found, expected):
        assert event.start == datetime.fromisoformat(shift["start"])
        assert event.end == datetime.fromisoformat(shift["end"])
        assert str(event.start.tzinfo) == "America/Sao_Paulo"
        assert shift["person"]["name"] in event["SUMMARY"] and "Infra" in event["SUMMARY"]

    spreadsheet = testapp.get("/api/v1/teams/infra/export.csv", params=interval)
    assert spreadsheet.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert spreadsheet.body.startswith(b"\xef\xbb\xbf"), "a UTF-8 byte-order mark, for Excel"
    rows = list(csv.DictReader(io.StringIO(spreadsheet.body.decode("utf-8-sig"), newline="")))
    assert [int(r["id"]) for r in rows] == [s["id"] for s in expected]
    first = rows[0]
    assert first["start_iso"] == expected[0]["start"]
    assert first["start"] == datetime.fromisoformat(expected[0]["start"]).strftime("%Y-%m-%d %H:%M")
    assert first["timezone"] == "America/Sao_Paulo"
    assert spreadsheet.body.split(b"\r\n", 1)[0].endswith(b"override_id,reason")


def test_the_default_interval_is_30_days_back_to_the_end_of_the_stored_roster(testapp, roster):
    today = datetime.now(SAO_PAULO).date()
    body = testapp.get("/api/v1/teams/infra/export.json").json
    assert body["start"] == local(today - timedelta(days=30), "00:00")
    end = datetime.fromisoformat(body["end"])
    assert today + timedelta(days=179) <= end.date() <= today + timedelta(days=181)
    expected = api_shifts(testapp, "infra", start=body["start"], end=body["end"])
    assert [s["id"] for s in body["shifts"]] == [s["id"] for s in expected]
    assert datetime.fromisoformat(body["shifts"][-1]["end"]) >= end


def test_ics_has_the_calendar_properties_clients_need(testapp, roster, admin_headers):
    calendar = icalendar.Calendar.from_ical(testapp.get("/api/v1/teams/infra/export.ics", headers=admin_headers).body)
    assert calendar["X-WR-CALNAME"] == "Plantão — Infra"
    assert calendar["X-WR-TIMEZONE"] == "America/Sao_Paulo"
    assert calendar["REFRESH-INTERVAL"].to_ical() == b"PT1H"
    assert str(calendar["X-PUBLISHED-TTL"]) == "PT1H"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["America/Sao_Paulo"]
    event = calendar.walk("VEVENT")[0]
    for name in ("UID", "DTSTAMP", "SEQUENCE", "LAST-MODIFIED", "SUMMARY", "DESCRIPTION"):
        assert name in event, name
    assert "Telefone: +55119000000" in event["DESCRIPTION"]
    assert not calendar.walk("VALARM")


def test_alarm_adds_a_reminder_to_every_shift(testapp, roster):
    calendar = icalendar.Calendar.from_ical(testapp.get("/api/v1/teams/infra/export.ics?alarm=60").body)
    found = calendar.walk("VEVENT")
    assert found and all(len(e.walk("VALARM")) == 1 for e in found)
    alarm = found[0].walk("VALARM")[0]
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm["TRIGGER"].dt == timedelta(minutes=-60)


@pytest.mark.parametrize(
    "query",
    ["alarm=0", "alarm=-5", "alarm=soon", "alarm=1.5", "lang=fr", "start=yesterday",
     "start=2030-02-01&end=2030-01-01", "start=2020-01-01&end=2029-01-01", "person=x"],
)
def test_bad_parameters_are_a_400_never_a_500(testapp, roster, query):
    response = testapp.get(f"/api/v1/teams/infra/export.ics?{query}", status=400)
    assert response.json["error"]


def test_an_unknown_format_is_a_404_listing_the_available_ones(testapp, roster):
    response = testapp.get("/api/v1/teams/infra/export.xlsx", status=404)
    assert response.json["details"]["available"] == ["csv", "ics", "json"]
    assert "csv, ics, json" in response.json["error"]
    testapp.get("/api/v1/teams/nope/export.ics", status=404)
    testapp.get("/api/v1/people/999999/export.ics", status=404)


def test_overrides_show_as_such(testapp, admin_headers, roster):
    tomorrow = datetime.now(SAO_PAULO).date() + timedelta(days=1)
    testapp.post_json("/api/v1/teams/infra/overrides", {
        "person": roster["people"]["Dora"]["id"], "start": local(tomorrow, "12:00"), "end": local(tomorrow, "18:00"),
        "reason": "consulta médica",
    }, headers=admin_headers, status=201)
    found = [e for e in events(testapp.get("/api/v1/teams/infra/export.ics").body) if "Dora" in e["SUMMARY"]]
    assert len(found) == 1
    assert found[0]["SUMMARY"].startswith("[Substituição] Dora")
    assert "Substituição" in found[0].categories
    assert "consulta médica" in found[0]["DESCRIPTION"]
    english = events(testapp.get("/api/v1/teams/infra/export.ics?lang=en").body)
    assert any(e["SUMMARY"].startswith("[Override] Dora") for e in english)


# -- one person, every team ----------------------------------------------------------------


def test_a_person_feed_has_their_shifts_in_every_team(testapp, roster, monday):
    ana = roster["people"]["Ana"]["id"]
    interval = {"start": monday.isoformat(), "end": (monday + timedelta(days=28)).isoformat()}
    expected = sorted(
        api_shifts(testapp, "infra", **interval, person=ana) + api_shifts(testapp, "ops", **interval, person=ana),
        key=lambda s: (datetime.fromisoformat(s["start"]), s["id"]),
    )
    body = testapp.get(f"/api/v1/people/{ana}/export.json", params=interval).json
    assert {s["team"] for s in body["shifts"]} == {"infra", "ops"}
    assert [s["id"] for s in body["shifts"]] == [s["id"] for s in expected]
    calendar = icalendar.Calendar.from_ical(testapp.get(f"/api/v1/people/{ana}/export.ics", params=interval).body)
    assert len(calendar.walk("VEVENT")) == len(expected)
    assert calendar["X-WR-CALNAME"] == "Plantão — Ana"


# -- HTTP caching -------------------------------------------------------------------------


def test_conditional_requests_answer_304_until_the_roster_changes(app, testapp, admin_headers, roster):
    url = "/api/v1/teams/infra/export.ics"
    first = testapp.get(url)
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert first.headers["Cache-Control"] == "private, no-cache"

    again = testapp.get(url, headers={"If-None-Match": etag}, status=304)
    assert again.body == b"" and again.headers["ETag"] == etag
    testapp.get(url, headers={"If-None-Match": f'"other", W/{etag}'}, status=304)
    testapp.get(url, headers={"If-Modified-Since": last_modified}, status=304)
    testapp.get(url, headers={"If-None-Match": '"stale"'}, status=200)
    earlier = datetime.strptime(last_modified, "%a, %d %b %Y %H:%M:%S GMT") - timedelta(seconds=1)
    testapp.get(url, headers={"If-Modified-Since": format_datetime(earlier.replace(tzinfo=timezone.utc), usegmt=True)},
                status=200)
    # The body was rendered once for all those requests.
    assert app.registry.feed_cache.renders == 1

    testapp.patch_json(f"/api/v1/teams/infra/rotations/{roster['rotation']['id']}",
                       {"members": [roster["people"][n]["id"] for n in ("Ana", "Bruno", "Dora")]},
                       headers=admin_headers)
    changed = testapp.get(url, headers={"If-None-Match": etag}, status=200)
    assert changed.headers["ETag"] != etag
    testapp.get(url, headers={"If-None-Match": changed.headers["ETag"]}, status=304)
    testapp.head(url, headers={"If-None-Match": changed.headers["ETag"]}, status=304)


def test_a_reassigned_shift_keeps_its_uid_and_bumps_sequence(testapp, admin_headers, roster, monday):
    url = "/api/v1/teams/infra/export.ics"
    before = {e["UID"]: e for e in events(testapp.get(url).body)}
    testapp.patch_json(f"/api/v1/teams/infra/rotations/{roster['rotation']['id']}",
                       {"members": [roster["people"][n]["id"] for n in ("Ana", "Bruno", "Dora")]},
                       headers=admin_headers)
    after = {e["UID"]: e for e in events(testapp.get(url).body)}
    reassigned = [uid for uid in before if uid in after and before[uid]["SUMMARY"] != after[uid]["SUMMARY"]]
    assert reassigned, "changing the order reassigns future shifts"
    for uid in reassigned:
        assert after[uid]["SEQUENCE"] > before[uid]["SEQUENCE"]
        assert after[uid]["LAST-MODIFIED"].dt >= before[uid]["LAST-MODIFIED"].dt
        assert after[uid].start == before[uid].start
    # The shifts nobody else took are the same events, byte for byte.
    untouched = [uid for uid in before if uid not in reassigned]
    assert untouched and all(after[uid].to_ical() == before[uid].to_ical() for uid in untouched)


# -- private rosters and their tokens -------------------------------------------------------


@pytest.fixture
def private(app_with):
    app = app_with(public_roster=False, viewer_password=VIEWER_PASSWORD)
    return webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.30"})


def test_a_private_roster_opens_its_feeds_with_the_secret_token_only(private, admin_headers, roster):
    ana = roster["people"]["Ana"]["id"]
    team = private.get("/api/v1/teams/infra/feeds", headers=admin_headers).json
    links = {link["format"]: link for link in team["feeds"]}
    assert set(links) == {"csv", "ics", "json"}
    ics = links["ics"]
    assert ics["webcal"] == ics["url"].replace("http://", "webcal://")
    assert "token=" in ics["url"]

    private.get("/api/v1/teams/infra/export.ics", status=401)
    private.get("/api/v1/teams/infra/export.ics?token=guess", status=401)
    private.get(ics["url"], status=200)
    private.get("/api/v1/teams/infra/export.ics", headers={"Authorization": f"Bearer {VIEWER_PASSWORD}"})
    # A team's token does not open a person's feed.
    token = ics["url"].split("token=")[1]
    private.get(f"/api/v1/people/{ana}/export.ics?token={token}", status=401)
    person_links = private.get(f"/api/v1/people/{ana}/feeds", headers=admin_headers).json["feeds"]
    private.get(next(link["url"] for link in person_links if link["format"] == "ics"), status=200)

    rotated = private.post_json("/api/v1/teams/infra/feed-token", {}, headers=admin_headers).json
    new_url = next(link["url"] for link in rotated["feeds"] if link["format"] == "ics")
    assert new_url != ics["url"]
    private.get(ics["url"], status=401)
    private.get(new_url, status=200)
    entries = private.get("/api/v1/audit", params={"entity": "team"}, headers=admin_headers).json["entries"]
    assert entries[0]["action"] == "rotate_feed_token"
    assert token not in str(entries[0])

    person = private.post_json(f"/api/v1/people/{ana}/feed-token", {}, headers=admin_headers).json
    assert person["person"] == ana
    private.get(next(link["url"] for link in person_links if link["format"] == "ics"), status=401)
    private.get(next(link["url"] for link in person["feeds"] if link["format"] == "ics"), status=200)


def test_only_admins_rotate_tokens_and_only_logged_in_readers_see_them(testapp, roster):
    testapp.post_json("/api/v1/teams/infra/feed-token", {}, status=401)
    ana = roster["people"]["Ana"]["id"]
    testapp.post_json(f"/api/v1/people/{ana}/feed-token", {}, status=401)
    for url in ("/api/v1/teams/infra/feeds", f"/api/v1/people/{ana}/feeds"):
        links = testapp.get(url).json["feeds"]
        assert len(links) == 3 and not any("token=" in link["url"] for link in links)
        ics = next(link for link in links if link["format"] == "ics")
        assert ics["webcal"].startswith("webcal://") and ics["url"].startswith("http")
        testapp.get(ics["url"], status=200)


def test_a_token_link_shows_contacts_an_anonymous_reader_does_not_see(testapp, admin_headers, roster):
    anonymous = testapp.get("/api/v1/teams/infra/export.json").json["shifts"][0]["person"]
    assert anonymous["email"] is None
    team = testapp.get("/api/v1/teams/infra/feeds", headers=admin_headers).json
    url = next(link["url"] for link in team["feeds"] if link["format"] == "json")
    assert testapp.get(url).json["shifts"][0]["person"]["email"].endswith("@example.org")


def test_revalidations_are_answered_in_front_of_pyramid_while_nothing_changes(app, testapp, admin_headers, roster):
    url = "/api/v1/teams/infra/export.ics"
    fast_path = app.registry.repeated_reads
    etag = testapp.get(url).headers["ETag"]

    for _ in range(3):
        testapp.get(url, headers={"If-None-Match": etag}, status=304)
    assert fast_path.answered == 3

    # Another credential is another reader: the application answers it.
    testapp.get(url, headers={"If-None-Match": etag, **admin_headers})
    assert fast_path.answered == 3

    testapp.patch_json(f"/api/v1/teams/infra/rotations/{roster['rotation']['id']}",
                       {"members": [roster["people"][n]["id"] for n in ("Dora", "Bruno", "Ana")]},
                       headers=admin_headers)
    changed = testapp.get(url, headers={"If-None-Match": etag}, status=200)
    assert changed.headers["ETag"] != etag and fast_path.answered == 3
