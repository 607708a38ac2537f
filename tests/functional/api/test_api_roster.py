"""Reading the roster: who is on call, the shifts, the gaps; and what changes it
(overrides, swaps, leave, fallback people, roles)."""

from __future__ import annotations

from datetime import timedelta

import pytest

WEEK = timedelta(weeks=1)


@pytest.fixture
def team(make_team):
    return make_team("infra")


@pytest.fixture
def abc(make_person):
    return [make_person("A"), make_person("B"), make_person("C")]


@pytest.fixture
def weekly(team, abc, make_rotation, monday, local):
    """A weekly rotation of A, B, C from ``monday`` at 09:00 (São Paulo)."""
    return make_rotation("infra", abc, policy="weekly", start=local(monday))


def oncall_at(testapp, at: str, slug: str = "infra", **params) -> dict:
    return testapp.get(f"/api/v1/teams/{slug}/oncall", params={"at": at, **params}).json


def names(oncall: dict) -> list[tuple[str, str]]:
    return [(entry["role"], entry["person"]["name"]) for entry in oncall["oncall"]]


# -- on call ---------------------------------------------------------------------------


def test_oncall_names_who_holds_the_primary_role_at_the_instant_asked(testapp, weekly, monday, local):
    assert names(oncall_at(testapp, local(monday, "12:00"))) == [("primary", "A")]
    assert names(oncall_at(testapp, local(monday + 3 * WEEK + timedelta(days=4), "23:59"))) == [("primary", "A")]
    assert names(oncall_at(testapp, local(monday + WEEK + timedelta(days=2), "03:00"))) == [("primary", "B")]


def test_a_shift_starts_at_its_handoff_and_ends_just_before_the_next(testapp, weekly, monday, local):
    assert names(oncall_at(testapp, local(monday + WEEK, "08:59"))) == [("primary", "A")]
    assert names(oncall_at(testapp, local(monday + WEEK, "09:00"))) == [("primary", "B")]


def test_oncall_answers_the_shift_the_next_handoff_and_the_source(testapp, weekly, abc, monday, local):
    body = oncall_at(testapp, local(monday + timedelta(days=1), "10:00"))

    assert body["team"] == "infra"
    assert body["at"] == local(monday + timedelta(days=1), "10:00")
    assert body["gap"] is False
    (entry,) = body["oncall"]
    assert entry["source"] == "rotation"
    assert (entry["start"], entry["end"]) == (local(monday), local(monday + WEEK))
    assert entry["person"]["id"] == abc[0]["id"] and entry["person"]["phone"] == abc[0]["phone"]
    assert body["next_handoff"]["at"] == local(monday + WEEK)
    assert body["next_handoff"]["person"]["name"] == "B"
    assert body["next_handoff"]["role"] == "primary"


def test_anonymous_oncall_readers_never_see_emails(testapp, weekly, monday, local):
    body = oncall_at(testapp, local(monday, "12:00"))
    assert body["oncall"][0]["person"]["email"] is None
    assert body["next_handoff"]["person"]["email"] is None


def test_oncall_accepts_an_instant_with_any_offset(testapp, weekly, monday):
    # 11:59 UTC is 08:59 in São Paulo: still A's shift.
    assert names(oncall_at(testapp, f"{monday + WEEK}T11:59:00Z")) == [("primary", "A")]
    assert names(oncall_at(testapp, f"{monday + WEEK}T12:00:00+00:00")) == [("primary", "B")]


def test_before_any_rotation_starts_there_is_a_gap_and_nobody_is_on_call(testapp, weekly, monday, local):
    body = oncall_at(testapp, local(monday - timedelta(days=1), "12:00"))

    assert body["oncall"] == [] and body["gap"] is True
    assert body["next_handoff"]["at"] == local(monday)
    assert body["next_handoff"]["person"]["name"] == "A"


def test_a_fallback_person_covers_the_gaps(admin, testapp, weekly, make_person, monday, local):
    zoe = make_person("Zoe")

    admin.patch("/api/v1/teams/infra", {"fallback_person": zoe["id"]})

    body = oncall_at(testapp, local(monday - timedelta(days=1), "12:00"))
    assert names(body) == [("primary", "Zoe")] and body["gap"] is False
    assert body["oncall"][0]["source"] == "fallback"
    assert body["oncall"][0]["end"] == local(monday)
    assert names(oncall_at(testapp, local(monday, "12:00"))) == [("primary", "A")]


def test_the_gaps_endpoint_lists_uncovered_time(testapp, weekly, monday, local):
    body = testapp.get(
        "/api/v1/teams/infra/gaps", params={"start": str(monday - timedelta(days=2)), "end": str(monday + WEEK)}
    ).json

    assert body["gaps"] == [{"role": "primary", "start": local(monday - timedelta(days=2), "00:00"), "end": local(monday)}]


def test_a_fallback_person_leaves_no_gaps(admin, testapp, weekly, make_person, monday):
    zoe = make_person("Zoe")
    admin.patch("/api/v1/teams/infra", {"fallback_person": zoe["id"]})

    body = testapp.get(
        "/api/v1/teams/infra/gaps", params={"start": str(monday - timedelta(days=2)), "end": str(monday + WEEK)}
    ).json
    assert body["gaps"] == []


@pytest.mark.parametrize("at", ["tomorrow", "2030-13-01", "12:00"])
def test_an_unreadable_at_is_a_400(testapp, weekly, at):
    assert "at" in testapp.get("/api/v1/teams/infra/oncall", params={"at": at}, status=400).json["error"]


def test_oncall_of_an_unknown_team_is_a_404(testapp):
    testapp.get("/api/v1/teams/nope/oncall", status=404)
    testapp.get("/api/v1/teams/nope/oncall", params={"at": "2030-01-01T00:00Z"}, status=404)


# -- roles ---------------------------------------------------------------------------------


@pytest.fixture
def two_roles(weekly, abc, make_rotation, monday, local):
    a, b, c = abc
    return make_rotation("infra", [c, a, b], name="Backup", role="secondary", start=local(monday))


def test_oncall_has_one_entry_per_role(testapp, two_roles, monday, local):
    assert names(oncall_at(testapp, local(monday, "12:00"))) == [("primary", "A"), ("secondary", "C")]


def test_oncall_may_be_asked_for_one_role(testapp, two_roles, monday, local):
    assert names(oncall_at(testapp, local(monday, "12:00"), role="secondary")) == [("secondary", "C")]


def test_shifts_may_be_filtered_by_role(testapp, two_roles, holders, shifts_of, monday, local):
    secondary = shifts_of("infra", str(monday), str(monday + 3 * WEEK), role="secondary")
    everything = shifts_of("infra", str(monday), str(monday + 3 * WEEK))

    assert {s["role"] for s in secondary} == {"secondary"}
    assert [s["person"]["name"] for s in secondary] == ["C", "A", "B"]
    assert len(everything) == 6


# -- shifts ------------------------------------------------------------------------------


def test_shifts_answer_their_fields_with_offsets_in_the_team_zone(testapp, weekly, abc, monday, local):
    (shift,) = testapp.get(
        "/api/v1/teams/infra/shifts", params={"start": str(monday + timedelta(days=1)), "end": str(monday + timedelta(days=2))}
    ).json["shifts"]

    assert isinstance(shift["id"], int)
    assert shift["role"] == "primary" and shift["source"] == "rotation"
    assert shift["person"]["id"] == abc[0]["id"] and shift["person"]["email"] is None
    assert (shift["start"], shift["end"]) == (local(monday), local(monday + WEEK))
    assert shift["start"].endswith("-03:00")


def test_shifts_overlapping_the_interval_are_listed_start_inclusive_end_exclusive(holders, weekly, monday, local):
    # Dates are midnights in the team's zone: the day before the first handoff has nothing.
    assert holders("infra", str(monday - timedelta(days=1)), str(monday)) == []
    # A day holding a handoff overlaps the shift ending and the shift starting.
    assert holders("infra", str(monday + WEEK), str(monday + WEEK + timedelta(days=1))) == [
        (local(monday), "A"),
        (local(monday + WEEK), "B"),
    ]
    # Starting at the handoff excludes the shift that ends there.
    assert holders("infra", local(monday + WEEK), str(monday + WEEK + timedelta(days=1))) == [
        (local(monday + WEEK), "B")
    ]
    # Ending at the handoff excludes the shift that starts there.
    assert holders("infra", str(monday), local(monday + WEEK)) == [(local(monday), "A")]


def test_shift_dates_are_read_in_the_team_zone(make_team, abc, make_rotation, holders, monday, local):
    make_team("tokyo", timezone="Asia/Tokyo")
    make_rotation("tokyo", abc, policy="daily", start=f"{monday}T09:00")

    # Midnight to midnight in Tokyo holds the 09:00 Tokyo handoff and the shift before it.
    assert holders("tokyo", str(monday + timedelta(days=1)), str(monday + timedelta(days=2))) == [
        (local(monday, "09:00", "Asia/Tokyo"), "A"),
        (local(monday + timedelta(days=1), "09:00", "Asia/Tokyo"), "B"),
    ]


def test_shifts_are_paginated_with_a_cursor_in_start_order(testapp, team, abc, make_rotation, holders, monday, local):
    make_rotation("infra", abc, policy="daily", start=local(monday))
    params = {"start": str(monday), "end": str(monday + timedelta(days=10)), "limit": 3}

    pages = []
    cursor = None
    while True:
        body = testapp.get("/api/v1/teams/infra/shifts", params={**params, **({"cursor": cursor} if cursor else {})}).json
        pages.append(body["shifts"])
        cursor = body["next"]
        if cursor is None:
            break

    assert [len(page) for page in pages] == [3, 3, 3, 1]
    starts = [s["start"] for page in pages for s in page]
    assert starts == [local(monday + timedelta(days=n)) for n in range(10)]
    assert len({s["id"] for page in pages for s in page}) == 10


@pytest.mark.parametrize(
    "params",
    [
        {"start": "yesterday"},
        {"start": "2030-01-10", "end": "2030-01-01"},
        {"start": "2030-01-01", "end": "2030-01-01"},
        {"start": "2030-01-01", "end": "2035-01-01"},
        {"cursor": "garbage"},
        {"limit": "0"},
        {"person": "ana"},
    ],
)
def test_bad_shift_queries_are_a_400_in_plain_words(testapp, team, params):
    assert testapp.get("/api/v1/teams/infra/shifts", params=params, status=400).json["error"]


def test_shifts_of_an_unknown_team_are_a_404(testapp):
    testapp.get("/api/v1/teams/nope/shifts", status=404)


# -- overrides ---------------------------------------------------------------------------


def test_an_override_replaces_the_primary_for_its_interval(admin, testapp, weekly, make_person, holders, monday, local):
    zoe = make_person("Zoe")
    start, end = local(monday + timedelta(days=2), "09:00"), local(monday + timedelta(days=3), "09:00")

    override = admin.post(
        "/api/v1/teams/infra/overrides", {"person": zoe["id"], "start": start, "end": end, "reason": "swap day"},
        status=201,
    ).json

    assert override["role"] == "primary" and override["person"] == zoe["id"]
    assert (override["start"], override["end"], override["reason"]) == (start, end, "swap day")
    during = oncall_at(testapp, local(monday + timedelta(days=2), "15:00"))
    assert names(during) == [("primary", "Zoe")] and during["oncall"][0]["source"] == "override"
    assert names(oncall_at(testapp, local(monday + timedelta(days=2), "08:59"))) == [("primary", "A")]
    assert names(oncall_at(testapp, local(monday + timedelta(days=3), "09:00"))) == [("primary", "A")]
    assert holders("infra", str(monday), str(monday + timedelta(days=4))) == [
        (local(monday), "A"),
        (start, "Zoe"),
        (end, "A"),
    ]


def test_an_override_of_the_secondary_role_leaves_the_primary_alone(admin, testapp, two_roles, make_person, monday, local):
    zoe = make_person("Zoe")
    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": zoe["id"], "role": "secondary", "start": local(monday), "end": local(monday + timedelta(days=1))},
        status=201,
    )
    assert names(oncall_at(testapp, local(monday, "12:00"))) == [("primary", "A"), ("secondary", "Zoe")]


def test_deleting_an_override_gives_the_interval_back_to_the_rotation(admin, testapp, weekly, make_person, monday, local):
    zoe = make_person("Zoe")
    override = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": zoe["id"], "start": local(monday), "end": local(monday, "18:00")},
        status=201,
    ).json

    admin.delete(f"/api/v1/teams/infra/overrides/{override['id']}", status=204)

    assert names(oncall_at(testapp, local(monday, "12:00"))) == [("primary", "A")]
    assert testapp.get("/api/v1/teams/infra/overrides").json["overrides"] == []


def test_overrides_are_listed_with_a_cursor(admin, testapp, weekly, make_person, monday, local):
    zoe = make_person("Zoe")
    made = [
        admin.post(
            "/api/v1/teams/infra/overrides",
            {"person": zoe["id"], "start": local(monday + timedelta(days=n)), "end": local(monday + timedelta(days=n), "18:00")},
            status=201,
        ).json["id"]
        for n in range(3)
    ]
    first = testapp.get("/api/v1/teams/infra/overrides", params={"limit": 2}).json
    second = testapp.get("/api/v1/teams/infra/overrides", params={"limit": 2, "cursor": first["next"]}).json
    assert [o["id"] for o in first["overrides"] + second["overrides"]] == made
    assert second["next"] is None


@pytest.mark.parametrize(
    "change, status",
    [
        ({"end": "START"}, 422),
        ({"person": 999}, 422),
        ({"person": "Zoe"}, 422),
        ({"start": "soon"}, 422),
        ({"role": "Not A Role"}, 422),
        ({"colour": "red"}, 422),
    ],
)
def test_an_invalid_override_is_refused_and_the_roster_is_unchanged(
    admin, testapp, weekly, make_person, holders, monday, local, audit_log, change, status
):
    zoe = make_person("Zoe")
    roster = holders("infra", str(monday), str(monday + WEEK))
    entries = len(audit_log())
    body = {"person": zoe["id"], "start": local(monday, "12:00"), "end": local(monday, "18:00"), **change}
    if body["end"] == "START":
        body["end"] = local(monday, "06:00")

    response = admin.post("/api/v1/teams/infra/overrides", body, status=status)

    assert response.json["error"] and "details" in response.json
    assert testapp.get("/api/v1/teams/infra/overrides").json["overrides"] == []
    assert holders("infra", str(monday), str(monday + WEEK)) == roster
    assert len(audit_log()) == entries


def test_a_deactivated_person_cannot_take_an_override(admin, testapp, weekly, make_person, monday, local):
    zoe = make_person("Zoe")
    admin.delete(f"/api/v1/people/{zoe['id']}")

    response = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": zoe["id"], "start": local(monday), "end": local(monday, "18:00")},
        status=422,
    )
    assert "deactivated" in response.json["error"]


def test_an_unknown_override_is_a_404(admin, weekly):
    admin.delete("/api/v1/teams/infra/overrides/999", status=404)


# -- swaps ------------------------------------------------------------------------------------


def test_a_swap_trades_the_holders_of_two_shifts(admin, testapp, weekly, shifts_of, holders, monday, local, audit_log):
    first, second = shifts_of("infra", str(monday), local(monday + 2 * WEEK))

    answer = admin.post("/api/v1/teams/infra/swaps", {"shifts": [first["id"], second["id"]]}, status=201).json

    assert len(answer["overrides"]) == 2
    assert answer["overrides"][0]["swap_id"] == answer["overrides"][1]["swap_id"] is not None
    assert holders("infra", str(monday), str(monday + 3 * WEEK)) == [
        (local(monday), "B"),
        (local(monday + WEEK), "A"),
        (local(monday + 2 * WEEK), "C"),
    ]
    assert {s["source"] for s in shifts_of("infra", str(monday), local(monday + 2 * WEEK))} == {"override"}
    assert [e["action"] for e in audit_log(entity="override")] == ["create", "create"]


def test_removing_one_half_of_a_swap_removes_both(admin, testapp, weekly, shifts_of, holders, monday, local):
    first, second = shifts_of("infra", str(monday), local(monday + 2 * WEEK))
    answer = admin.post("/api/v1/teams/infra/swaps", {"shifts": [first["id"], second["id"]]}, status=201).json

    admin.delete(f"/api/v1/teams/infra/overrides/{answer['overrides'][0]['id']}", status=204)

    assert testapp.get("/api/v1/teams/infra/overrides").json["overrides"] == []
    assert [name for _, name in holders("infra", str(monday), local(monday + 2 * WEEK))] == ["A", "B"]


@pytest.mark.parametrize(
    "shifts, status",
    [([999_999, "FIRST"], 404), (["FIRST"], 422), (["FIRST", "FIRST"], 422), (["FIRST", "x"], 422)],
)
def test_a_bad_swap_is_refused_and_nothing_changes(
    admin, testapp, weekly, shifts_of, holders, monday, local, audit_log, shifts, status
):
    first = shifts_of("infra", str(monday), local(monday + WEEK))[0]
    roster = holders("infra", str(monday), str(monday + 3 * WEEK))
    entries = len(audit_log())

    body = {"shifts": [first["id"] if s == "FIRST" else s for s in shifts]}
    response = admin.post("/api/v1/teams/infra/swaps", body, status=status)

    assert response.json["error"]
    assert holders("infra", str(monday), str(monday + 3 * WEEK)) == roster
    assert len(audit_log()) == entries


def test_a_shift_of_another_team_cannot_be_swapped(admin, make_team, weekly, abc, make_rotation, shifts_of, monday, local):
    make_team("other")
    make_rotation("other", list(reversed(abc)), start=local(monday))
    mine = shifts_of("infra", str(monday), local(monday + WEEK))[0]
    theirs = shifts_of("other", str(monday), local(monday + WEEK))[0]

    admin.post("/api/v1/teams/infra/swaps", {"shifts": [mine["id"], theirs["id"]]}, status=404)


# -- leave -------------------------------------------------------------------------------------


def test_leave_makes_the_next_member_take_the_shift(admin, weekly, abc, holders, monday, local):
    a, b, c = abc
    admin.post(
        f"/api/v1/people/{b['id']}/leave",
        {"start": local(monday + WEEK + timedelta(days=2), "00:00"), "end": local(monday + WEEK + timedelta(days=4), "00:00")},
        status=201,
    )

    assert [name for _, name in holders("infra", str(monday), local(monday + 4 * WEEK))] == ["A", "C", "B", "A"]


def test_removing_the_leave_gives_the_shift_back(admin, weekly, abc, holders, monday, local):
    b = abc[1]
    leave = admin.post(
        f"/api/v1/people/{b['id']}/leave",
        {"start": local(monday + WEEK), "end": local(monday + 2 * WEEK)},
        status=201,
    ).json

    admin.delete(f"/api/v1/people/{b['id']}/leave/{leave['id']}", status=204)

    assert [name for _, name in holders("infra", str(monday), local(monday + 3 * WEEK))] == ["A", "B", "C"]


def test_a_leave_write_is_in_the_audit_log(admin, weekly, abc, monday, local, audit_log):
    b = abc[1]
    leave = admin.post(
        f"/api/v1/people/{b['id']}/leave", {"start": local(monday + WEEK), "end": local(monday + 2 * WEEK)}, status=201
    ).json
    admin.delete(f"/api/v1/people/{b['id']}/leave/{leave['id']}")

    assert [(e["action"], e["entity_id"]) for e in audit_log(entity="leave")] == [
        ("delete", str(leave["id"])),
        ("create", str(leave["id"])),
    ]


# -- deactivation ------------------------------------------------------------------------------


def test_deactivating_a_person_removes_them_from_future_shifts(admin, weekly, abc, holders, monday, local):
    admin.delete(f"/api/v1/people/{abc[1]['id']}")

    assert [name for _, name in holders("infra", str(monday), local(monday + 4 * WEEK))] == ["A", "C", "A", "C"]


def test_deactivating_a_person_keeps_their_past_shifts(
    admin, testapp, clean_engine, team, abc, make_rotation, holders, past_monday, local
):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from plantao.models import Shift, Team
    from plantao.models.revision import bump_revision

    a, b, c = abc
    anchor = past_monday(3)
    make_rotation("infra", abc, start=local(anchor))
    # The weeks before the rotation existed, as an older roster left them:
    # shifts that ended are history and are never rewritten.
    with Session(clean_engine) as session, session.begin():
        team_id = session.scalar(select(Team.id).where(Team.slug == "infra"))
        for weeks_before, person in ((2, b), (1, c)):
            start = past_monday(3 + weeks_before)
            session.add(
                Shift(
                    team_id=team_id,
                    person_id=person["id"],
                    role="primary",
                    start=_instant(local(start)),
                    end=_instant(local(start + WEEK)),
                    source="rotation",
                    key=f"history-{weeks_before}",
                    sequence=0,
                )
            )
        # Every instance's roster in memory learns of it, as of any write
        # (within a second; no need to wait here).
        bump_revision(session, team_id)
    testapp.app.registry.read_model.refresh()
    history = holders("infra", str(past_monday(5)), local(anchor))

    admin.delete(f"/api/v1/people/{b['id']}")

    assert holders("infra", str(past_monday(5)), local(anchor)) == history == [
        (local(past_monday(5)), "B"),
        (local(past_monday(4)), "C"),
    ]
    future = holders("infra", str(past_monday(0) + WEEK), str(past_monday(0) + 5 * WEEK))
    assert future and "B" not in [name for _, name in future]


def test_deactivating_someone_does_not_hand_the_shift_in_progress_of_another_member_to_someone_else(
    admin, testapp, team, abc, make_rotation, past_monday, local
):
    a, b, c = abc
    make_rotation("infra", abc, start=local(past_monday(3)))
    now = testapp.get("/api/v1/teams/infra/oncall").json["oncall"][0]
    bystander = next(p for p in abc if p["id"] != now["person"]["id"])

    admin.delete(f"/api/v1/people/{bystander['id']}")

    after = testapp.get("/api/v1/teams/infra/oncall").json["oncall"][0]
    assert (after["person"]["id"], after["start"], after["end"]) == (now["person"]["id"], now["start"], now["end"])


def _instant(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text)


# -- the oncall cache ---------------------------------------------------------------------------


@pytest.fixture
def running(team, abc, make_rotation, past_monday, local):
    """A weekly rotation that started weeks ago, so somebody is on call now."""
    return make_rotation("infra", abc, start=local(past_monday(3)))


def test_after_an_override_oncall_now_reflects_it_at_once(admin, testapp, running, make_person):
    from datetime import datetime, timezone

    before = testapp.get("/api/v1/teams/infra/oncall").json
    zoe = make_person("Zoe")
    now = datetime.now(timezone.utc)

    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": zoe["id"], "start": (now - timedelta(hours=1)).isoformat(), "end": (now + timedelta(hours=1)).isoformat()},
        status=201,
    )

    after = testapp.get("/api/v1/teams/infra/oncall").json
    assert before["oncall"][0]["person"]["name"] != "Zoe"
    # An override that already began takes over from the next whole minute
    # (the shift in progress is never cut at the second of the request).
    (current,) = after["oncall"]
    if current["person"]["name"] == "Zoe":
        # That minute came before the read (a write at hh:mm:59.9).
        assert current["source"] == "override"
        taking_over = _instant(current["start"])
    else:
        handoff = after["next_handoff"]
        assert (handoff["person"]["name"], handoff["source"]) == ("Zoe", "override")
        assert current["end"] == handoff["at"]
        taking_over = _instant(handoff["at"])
    assert taking_over.second == taking_over.microsecond == 0
    assert timedelta(0) < taking_over - now <= timedelta(minutes=1, seconds=5)


def test_after_deleting_the_rotation_oncall_now_shows_the_gap_at_once(admin, testapp, running):
    assert testapp.get("/api/v1/teams/infra/oncall").json["gap"] is False

    admin.delete(f"/api/v1/teams/infra/rotations/{running['id']}", status=204)

    # The shift in progress now ends at the next whole minute, then nobody.
    after = testapp.get("/api/v1/teams/infra/oncall").json
    if after["oncall"]:
        end = _instant(after["oncall"][0]["end"])
        assert end.second == end.microsecond == 0 and after["next_handoff"] is None
        after = testapp.get("/api/v1/teams/infra/oncall", params={"at": after["oncall"][0]["end"]}).json
    assert after["oncall"] == [] and after["gap"] is True


def test_after_a_contact_change_oncall_now_shows_the_new_phone_at_once(admin, testapp, running):
    holder = testapp.get("/api/v1/teams/infra/oncall").json["oncall"][0]["person"]

    admin.patch(f"/api/v1/people/{holder['id']}", {"phone": "+55 11 97777-0000", "name": "New Name"})

    moment = testapp.get("/api/v1/teams/infra/oncall").json["at"]
    asked = testapp.get("/api/v1/teams/infra/oncall", params={"at": moment}).json["oncall"][0]["person"]
    assert (asked["name"], asked["phone"]) == ("New Name", "+5511977770000"), "the stored roster has it"
    after = testapp.get("/api/v1/teams/infra/oncall").json["oncall"][0]["person"]
    assert (after["name"], after["phone"]) == ("New Name", "+5511977770000")


def test_after_the_team_changes_zone_oncall_now_answers_in_the_new_zone(admin, testapp, running):
    assert testapp.get("/api/v1/teams/infra/oncall").json["at"].endswith("-03:00")

    admin.patch("/api/v1/teams/infra", {"timezone": "Asia/Tokyo"})

    assert testapp.get("/api/v1/teams/infra/oncall").json["at"].endswith("+09:00")


def test_after_a_team_is_deleted_and_made_again_oncall_now_answers_for_the_new_one(
    admin, testapp, running, make_team
):
    assert testapp.get("/api/v1/teams/infra/oncall").json["gap"] is False

    admin.delete("/api/v1/teams/infra", status=204)
    make_team("infra")

    assert testapp.get("/api/v1/teams/infra/oncall").json["oncall"] == []
