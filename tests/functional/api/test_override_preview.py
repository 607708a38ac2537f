"""Previews of an override and of a swap (issue 15, §1).

``POST /api/v1/teams/{slug}/overrides/preview`` and ``.../swaps/preview``
take the body of the write, check it the same way (same errors, same
credentials) and answer what a rotation's preview answers: the shifts the
write would add, remove and reassign, the gaps and conflicts ahead and the
fairness figures.  Nothing is saved: no override, shift, audit entry,
outbox event or gap, and the roster revisions do not move.  The write that
follows stores exactly the roster the preview announced.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plantao.models import AuditEntry, OutboxEvent, Override, RosterGap, RosterState, Shift, Team
from plantao.services.context import ServiceContext
from plantao.services.overrides import OverrideService
from plantao.services.teams import TeamService

WEEK = timedelta(weeks=1)
FAR = timedelta(weeks=40)


@pytest.fixture
def people(make_person):
    """A, B and C take turns; Zoe is nobody's turn."""
    return {name: make_person(name) for name in ("A", "B", "C", "Zoe")}


@pytest.fixture
def weekly(make_team, people, make_rotation, monday, local):
    """Team infra: a weekly rotation of A, B, C from ``monday`` at 09:00 (São Paulo), nobody before."""
    make_team("infra")
    return make_rotation("infra", [people[n] for n in "ABC"], policy="weekly", start=local(monday))


def stored(engine) -> dict:
    """Everything a write leaves in the database: its rows and the roster revisions."""
    with Session(engine) as session:
        def count(model):
            return session.scalar(select(func.count()).select_from(model))

        return {
            "overrides": count(Override),
            "audit": count(AuditEntry),
            "outbox": count(OutboxEvent),
            "shifts": session.execute(
                select(Shift.id, Shift.person_id, Shift.start, Shift.end, Shift.key, Shift.sequence).order_by(Shift.id)
            ).all(),
            "gaps": session.execute(select(RosterGap.id, RosterGap.start, RosterGap.end).order_by(RosterGap.id)).all(),
            "team_revision": session.scalar(select(Team.roster_revision).where(Team.slug == "infra")),
            "revision": session.scalar(select(RosterState.revision)),
        }


def held(shifts: list[dict]) -> set[tuple]:
    """The API's shifts as (role, person id, start, end)."""
    return {(s["role"], s["person"]["id"], s["start"], s["end"]) for s in shifts}


def announced(shifts: list[dict], preview: dict) -> set[tuple]:
    """The roster ``preview`` announces: ``shifts`` (the API's) with its changes applied."""
    roster = held(shifts)
    for s in preview["removed"]:
        roster.remove((s["role"], s["person"], s["start"], s["end"]))
    for r in preview["reassigned"]:
        roster.remove((r["role"], r["from_person"], r["start"], r["end"]))
        roster.add((r["role"], r["to_person"], r["start"], r["end"]))
    roster |= {(s["role"], s["person"], s["start"], s["end"]) for s in preview["added"]}
    return roster


def test_an_override_preview_announces_the_change_saves_nothing_and_the_write_stores_it(
    admin, clean_engine, weekly, people, shifts_of, monday, today, local
):
    a, b, zoe = people["A"], people["B"], people["Zoe"]
    roster = shifts_of("infra", str(today), str(monday + FAR))
    before = stored(clean_engine)
    gaps = admin.get(
        "/api/v1/teams/infra/gaps", params={"start": str(today), "end": str(monday + 20 * WEEK)}
    ).json["gaps"]

    # Zoe takes B's whole week: one slot, another holder.
    whole = admin.post("/api/v1/teams/infra/overrides/preview",
                       {"person": zoe["id"], "start": local(monday + WEEK), "end": local(monday + 2 * WEEK)},
                       status=200).json
    assert whole["added"] == [] and whole["removed"] == []
    assert [(r["start"], r["end"], r["role"], r["from_person"], r["to_person"], r["source"])
            for r in whole["reassigned"]] == [
        (local(monday + WEEK), local(monday + 2 * WEEK), "primary", b["id"], zoe["id"], "override")
    ]
    # The gap ahead (nobody before the rotation starts) is as stored; Zoe's week counts for her.
    assert [(g["role"], g["end"]) for g in whole["gaps"]] == [(g["role"], g["end"]) for g in gaps] == [
        ("primary", local(monday))
    ]
    assert whole["conflicts"] == [] and whole["solver"] == {}
    assert {p["name"]: p["shifts"] for p in whole["fairness"]["after"]["people"]}["Zoe"] == 1
    assert "Zoe" not in {p["name"] for p in whole["fairness"]["before"]["people"]}

    # Zoe covers the Sunday before the rotation starts: the gap ahead shrinks.
    sunday = admin.post("/api/v1/teams/infra/overrides/preview",
                        {"person": zoe["id"], "start": local(monday - timedelta(days=1)), "end": local(monday)},
                        status=200).json
    assert [(s["person"], s["start"], s["end"]) for s in sunday["added"]] == [
        (zoe["id"], local(monday - timedelta(days=1)), local(monday))
    ]
    assert [g["end"] for g in sunday["gaps"]] == [local(monday - timedelta(days=1))]

    # An afternoon in A's week: A's shift is cut around Zoe's.
    body = {"person": zoe["id"], "start": local(monday, "12:00"), "end": local(monday, "18:00"), "reason": "dentista"}
    afternoon = admin.post("/api/v1/teams/infra/overrides/preview", body, status=200).json
    assert [(s["person"], s["start"], s["end"]) for s in afternoon["removed"]] == [
        (a["id"], local(monday), local(monday + WEEK))
    ]
    assert [(s["person"], s["start"], s["end"], s["source"]) for s in afternoon["added"]] == [
        (a["id"], local(monday), local(monday, "12:00"), "rotation"),
        (zoe["id"], local(monday, "12:00"), local(monday, "18:00"), "override"),
        (a["id"], local(monday, "18:00"), local(monday + WEEK), "rotation"),
    ]

    # None of the three saved anything, nor reached the roster the API serves.
    assert stored(clean_engine) == before
    assert shifts_of("infra", str(today), str(monday + FAR)) == roster
    assert admin.get("/api/v1/teams/infra/overrides").json["overrides"] == []

    admin.post("/api/v1/teams/infra/overrides", body, status=201)
    assert held(shifts_of("infra", str(today), str(monday + FAR))) == announced(roster, afternoon)


def test_a_swap_preview_shows_both_sides_saves_nothing_and_the_swap_stores_them(
    admin, clean_engine, weekly, people, shifts_of, monday, today, local
):
    a, b = people["A"], people["B"]
    roster = shifts_of("infra", str(today), str(monday + FAR))
    first, second = roster[:2]
    before = stored(clean_engine)

    preview = admin.post("/api/v1/teams/infra/swaps/preview", {"shifts": [first["id"], second["id"]]}, status=200).json

    assert preview["added"] == [] and preview["removed"] == []
    assert [(r["start"], r["end"], r["from_person"], r["to_person"]) for r in preview["reassigned"]] == [
        (local(monday), local(monday + WEEK), a["id"], b["id"]),
        (local(monday + WEEK), local(monday + 2 * WEEK), b["id"], a["id"]),
    ]
    assert stored(clean_engine) == before
    assert shifts_of("infra", str(today), str(monday + FAR)) == roster

    admin.post("/api/v1/teams/infra/swaps", {"shifts": [first["id"], second["id"]]}, status=201)
    assert held(shifts_of("infra", str(today), str(monday + FAR))) == announced(roster, preview)


def test_a_preview_is_refused_exactly_like_its_write(
    admin, admin_headers, testapp, clean_engine, weekly, people, shifts_of, monday, local
):
    zoe = people["Zoe"]
    first = shifts_of("infra", str(monday), local(monday + WEEK))[0]
    override = {"person": zoe["id"], "start": local(monday, "12:00"), "end": local(monday, "18:00")}
    refused = [
        ("infra/overrides", {**override, "end": local(monday, "06:00")}),  # ends before it starts
        ("infra/overrides", {**override, "person": 999}),  # nobody
        ("infra/overrides", {**override, "colour": "red"}),  # not a field
        ("infra/overrides", {**override, "start": "2000-01-01", "end": "2000-01-02"}),  # all in the past
        ("nope/overrides", override),  # no such team
        ("infra/swaps", {"shifts": [first["id"], 999_999]}),  # no such shift
        ("infra/swaps", {"shifts": [first["id"], first["id"]]}),  # one holder
        ("infra/swaps", {"shifts": [first["id"]]}),
    ]
    token = admin.post("/api/v1/tokens", {"name": "reader", "scopes": ["read"]}, status=201).json["token"]
    before = stored(clean_engine)

    for path, body in refused:
        write = admin.post(f"/api/v1/teams/{path}", body, status="*")
        preview = admin.post(f"/api/v1/teams/{path}/preview", body, status="*")
        assert write.status_int in (404, 422), (path, body, write)
        assert (preview.status_int, preview.json) == (write.status_int, write.json), (path, body)

    for path in ("overrides", "swaps"):
        url = f"/api/v1/teams/infra/{path}"
        body = override if path == "overrides" else {"shifts": [first["id"], first["id"] + 1]}
        unreadable = testapp.post(f"{url}/preview", "{", headers=admin_headers, content_type="application/json",
                                  status=400).json
        assert unreadable == testapp.post(url, "{", headers=admin_headers, content_type="application/json",
                                          status=400).json
        reader = {"Authorization": f"Bearer {token}"}
        assert (testapp.post_json(f"{url}/preview", body, headers=reader, status=403).json
                == testapp.post_json(url, body, headers=reader, status=403).json)
        testapp.post_json(f"{url}/preview", body, status=401)

    assert stored(clean_engine) == before


def test_the_service_saves_nothing_even_when_its_transaction_commits(
    clean_engine, dbsession, settings, plugins, weekly, people, monday, local
):
    # The view also dooms the request's transaction; the service does not count on it.
    before = stored(clean_engine)
    ctx = ServiceContext(dbsession, settings, plugins)
    team = TeamService(ctx).get("infra")
    body = {"person": people["Zoe"]["id"], "start": local(monday + WEEK), "end": local(monday + 2 * WEEK)}

    preview = OverrideService(ctx).preview(team, body)
    dbsession.transaction_manager.commit()
    dbsession.transaction_manager.begin()

    assert [(r.old_person_id, r.new_person_id) for r in preview["diff"].reassigned] == [
        (people["B"]["id"], people["Zoe"]["id"])
    ]
    assert stored(clean_engine) == before
