"""``GET .../gaps`` and the admin gaps page read the gaps stored with the roster (issue 10, item 14).

They never run the engine: the tests below make it explode once the roster
is materialized, and the answers stay the same.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from plantao import engine as roster_engine
from plantao.services.roster import RosterService

WEEK = timedelta(weeks=1)


@pytest.fixture
def daily(make_team, make_person, make_rotation, monday, local):
    """A daily rotation of A, B, C from ``monday`` 09:00, nobody before; all three away a day later."""
    make_team("infra")
    people = [make_person(name) for name in "ABC"]
    make_rotation("infra", people, policy="daily", start=local(monday))
    return people


def engine_forbidden(monkeypatch):
    def boom(*args, **kwargs):
        raise AssertionError("the engine ran for a read")

    monkeypatch.setattr(roster_engine, "build_roster", boom)
    monkeypatch.setattr(RosterService, "compute", boom)


def all_pages(testapp, params) -> tuple[list, list]:
    gaps, conflicts, cursor = [], [], None
    while True:
        body = testapp.get("/api/v1/teams/infra/gaps", params={**params, **({"cursor": cursor} if cursor else {})}).json
        gaps += body["gaps"]
        conflicts += body["conflicts"]
        cursor = body["next"]
        if cursor is None:
            return gaps, conflicts


def test_gaps_are_read_from_the_stored_roster_without_running_the_engine(
    admin, testapp, daily, monday, local, monkeypatch
):
    window = {"start": str(monday - timedelta(days=2)), "end": str(monday + WEEK)}
    # Everybody away on Wednesday: that day nobody covers the role.
    for person in daily:
        admin.post(f"/api/v1/people/{person['id']}/leave",
                   {"start": str(monday + timedelta(days=2)), "end": str(monday + timedelta(days=3))}, status=201)
    computed = testapp.get("/api/v1/teams/infra/gaps", params=window).json

    engine_forbidden(monkeypatch)
    body = testapp.get("/api/v1/teams/infra/gaps", params=window).json
    assert body == computed
    assert body["next"] is None
    assert body["gaps"][0] == {"role": "primary", "start": local(monday - timedelta(days=2), "00:00"),
                               "end": local(monday)}
    assert len(body["gaps"]) == 2
    assert body["gaps"][1]["start"] >= local(monday + timedelta(days=1))

    # One row per page, followed by the cursor: the same gaps.
    assert all_pages(testapp, {**window, "limit": 1}) == (body["gaps"], body["conflicts"])


def test_the_stored_gaps_follow_every_change_of_the_roster(admin, testapp, daily, make_person, monday, local):
    window = {"start": str(monday - timedelta(days=2)), "end": str(monday + WEEK)}
    before = testapp.get("/api/v1/teams/infra/gaps", params=window).json["gaps"]
    assert [(g["start"], g["end"]) for g in before] == [(local(monday - timedelta(days=2), "00:00"), local(monday))]

    # An override covers the morning before the rotation starts: the gap ends where it begins.
    zoe = make_person("Zoe")
    admin.post("/api/v1/teams/infra/overrides", {"person": zoe["id"], "start": local(monday, "00:00"),
                                                 "end": local(monday)}, status=201)
    after = testapp.get("/api/v1/teams/infra/gaps", params=window).json["gaps"]
    assert [(g["start"], g["end"]) for g in after] == [(local(monday - timedelta(days=2), "00:00"),
                                                       local(monday, "00:00"))]

    admin.patch("/api/v1/teams/infra", {"fallback_person": zoe["id"]})
    assert testapp.get("/api/v1/teams/infra/gaps", params=window).json["gaps"] == []


@pytest.mark.parametrize("cursor", ["bm9wZQ", "eyJnYXBzIjogWyJ4IiwgMV19", "eyJnYXBzIjogWyIyMDMxLTAxLTAxVDAwOjAwIiwgMV19"])
def test_a_cursor_the_api_did_not_give_is_a_400(testapp, daily, cursor):
    response = testapp.get("/api/v1/teams/infra/gaps", params={"cursor": cursor}, status=400)
    assert "cursor" in response.json["error"]


def test_the_limit_is_bounded(testapp, daily):
    assert "limit" in testapp.get("/api/v1/teams/infra/gaps", params={"limit": 5001}, status=400).json["error"]
    assert "limit" in testapp.get("/api/v1/teams/infra/gaps", params={"limit": 0}, status=400).json["error"]


def test_the_admin_gaps_page_reads_the_stored_gaps(admin, daily, monkeypatch, admin_headers, testapp):
    engine_forbidden(monkeypatch)
    page = testapp.get("/admin/teams/infra/gaps", headers=admin_headers)
    assert "primary" in page.html.find("table").text
