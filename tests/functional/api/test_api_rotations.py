"""/api/v1/teams/{slug}/rotations: who takes turns, following which policy, from when."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

BUILT_IN_POLICIES = ["custom", "daily", "split", "weekly"]


@pytest.fixture
def team(make_team):
    return make_team("infra")


@pytest.fixture
def abc(make_person):
    return [make_person("A"), make_person("B"), make_person("C")]


def test_a_weekly_rotation_of_a_b_c_gives_a_then_b_then_c(team, abc, make_rotation, holders, monday, local):
    make_rotation("infra", abc, policy="weekly", start=local(monday))

    assert holders("infra", str(monday), str(monday + timedelta(weeks=4))) == [
        (local(monday), "A"),
        (local(monday + timedelta(weeks=1)), "B"),
        (local(monday + timedelta(weeks=2)), "C"),
        (local(monday + timedelta(weeks=3)), "A"),
    ]


def test_a_new_rotation_answers_its_fields_with_the_defaults(admin, team, abc, monday, local):
    response = admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Main", "policy": "weekly", "members": [p["id"] for p in abc], "start": f"{monday}T09:00"},
        status=201,
    )

    rotation = response.json
    assert response.location.endswith(f"/api/v1/teams/infra/rotations/{rotation['id']}")
    assert rotation["name"] == "Main" and rotation["team"] == "infra"
    assert rotation["role"] == "primary"
    assert rotation["policy"] == "weekly"
    assert rotation["params"] == {}
    assert rotation["priority"] == 0
    assert rotation["members"] == [p["id"] for p in abc]
    assert rotation["start"] == local(monday), "a start without offset is local to the team"


@pytest.mark.parametrize("policy", BUILT_IN_POLICIES)
def test_empty_params_are_valid_for_every_built_in_policy(admin, team, abc, monday, local, policy):
    admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": policy, "policy": policy, "params": {}, "members": [p["id"] for p in abc], "start": local(monday)},
        status=201,
    )


def test_rotations_are_read_one_by_one_and_listed(testapp, team, abc, make_rotation, monday, local):
    first = make_rotation("infra", abc, name="First", start=local(monday))
    second = make_rotation("infra", abc, name="Second", start=local(monday), role="secondary")

    assert testapp.get(f"/api/v1/teams/infra/rotations/{first['id']}").json == first
    listed = testapp.get("/api/v1/teams/infra/rotations", params={"limit": 1}).json
    rest = testapp.get("/api/v1/teams/infra/rotations", params={"limit": 1, "cursor": listed["next"]}).json
    assert [r["id"] for r in listed["rotations"] + rest["rotations"]] == [first["id"], second["id"]]
    assert rest["next"] is None


def test_rules_and_restrictions_are_kept_as_given(admin, team, abc, monday, local):
    rotation = admin.post(
        "/api/v1/teams/infra/rotations",
        {
            "name": "Nights",
            "policy": "daily",
            "members": [p["id"] for p in abc],
            "start": local(monday),
            "rules": {"min_rest": {"hours": 24}, "max_consecutive": {}},
            "restrictions": {"weekdays": [0, 1, 2, 3, 4], "start_time": "19:00", "end_time": "07:00"},
        },
        status=201,
    ).json

    assert rotation["rules"] == {"min_rest": {"hours": 24}, "max_consecutive": {}}
    assert rotation["restrictions"] == {
        "weekdays": [0, 1, 2, 3, 4],
        "start_time": "19:00",
        "end_time": "07:00",
        "turn_mode": "calendar",
    }


def test_rules_may_be_named_in_a_list(admin, team, abc, monday, local):
    rotation = admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Main", "policy": "weekly", "members": [p["id"] for p in abc], "start": local(monday),
         "rules": ["fair_holidays"]},
        status=201,
    ).json
    assert rotation["rules"] == {"fair_holidays": {}}


def test_an_unknown_policy_is_a_422_listing_the_available_ones_and_nothing_is_saved(
    admin, testapp, team, abc, monday, local, audit_log
):
    entries = len(audit_log())

    response = admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Main", "policy": "fortnightly", "members": [p["id"] for p in abc], "start": local(monday)},
        status=422,
    )

    assert "fortnightly" in response.json["error"]
    for name in BUILT_IN_POLICIES:
        assert name in response.json["error"]
    policy_problem = next(p for p in response.json["details"] if p["field"] == "policy")
    assert set(BUILT_IN_POLICIES) <= set(policy_problem["available"])
    assert testapp.get("/api/v1/teams/infra/rotations").json["rotations"] == []
    assert testapp.get("/api/v1/teams/infra/shifts", params={"start": str(monday)}).json["shifts"] == []
    assert len(audit_log()) == entries


@pytest.mark.parametrize(
    "change, field",
    [
        ({"policy": "weekly", "params": {"handoff_weekday": 9}}, "params.handoff_weekday"),
        ({"policy": "weekly", "params": {"handoff_time": "9am"}}, "params.handoff_time"),
        ({"policy": "daily", "params": {"every": 2}}, "params.every"),
        ({"policy": "custom", "params": {"length": 0}}, "params.length"),
        ({"policy": "custom", "params": {"unit": "fortnights"}}, "params.unit"),
        ({"policy": "split", "params": {"night_members": [999]}}, "params.night_members"),
        ({"members": [999]}, "members"),
        ({"members": "A, B"}, "members"),
        ({"members": [1, 1]}, "members"),
        ({"rules": {"no_mondays": {}}}, "rules.no_mondays"),
        ({"rules": {"min_rest": {"hours": -1}}}, "rules.min_rest.hours"),
        ({"restrictions": {"start_time": "19:00"}}, "restrictions"),
        ({"restrictions": {"weekdays": [7]}}, "restrictions.weekdays.0"),
        ({"restrictions": {"turn_mode": "sometimes"}}, "restrictions.turn_mode"),
        ({"start": "whenever"}, "start"),
        ({"priority": "high"}, "priority"),
        ({"role": "Primary Role"}, "role"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_an_invalid_rotation_is_a_422_naming_the_field_and_nothing_is_saved(
    admin, testapp, team, abc, monday, local, audit_log, change, field
):
    entries = len(audit_log())
    body = {"name": "Main", "policy": "weekly", "members": [p["id"] for p in abc], "start": local(monday), **change}

    response = admin.post("/api/v1/teams/infra/rotations", body, status=422)

    assert response.json["error"]
    assert field in [problem["field"] for problem in response.json["details"]], response.json
    assert testapp.get("/api/v1/teams/infra/rotations").json["rotations"] == []
    assert testapp.get("/api/v1/teams/infra/shifts", params={"start": str(monday)}).json["shifts"] == []
    assert len(audit_log()) == entries


def test_a_split_rotation_with_business_after_night_hours_is_refused_not_a_500(
    admin, testapp, team, abc, monday, local, audit_log
):
    entries = len(audit_log())

    response = admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Split", "policy": "split", "members": [p["id"] for p in abc], "start": local(monday),
         "params": {"business_start": "18:00", "business_end": "09:00"}},
    expect_errors=True)

    assert response.status_int == 422, f"{response.status}: {response.text[:300]}"
    assert "business_end must be after" in response.json["error"]
    assert testapp.get("/api/v1/teams/infra/rotations").json["rotations"] == []
    assert len(audit_log()) == entries


def test_a_rotation_of_an_unknown_team_or_an_unknown_rotation_is_a_404(admin, testapp, team, abc, monday, local):
    admin.post("/api/v1/teams/nope/rotations", {"name": "Main", "policy": "weekly"}, status=404)
    testapp.get("/api/v1/teams/infra/rotations/999", status=404)
    admin.patch("/api/v1/teams/infra/rotations/999", {"name": "X"}, status=404)
    admin.delete("/api/v1/teams/infra/rotations/999", status=404)


def test_a_rotation_is_not_reachable_through_another_team(admin, testapp, make_team, team, abc, make_rotation, monday, local):
    make_team("other")
    rotation = make_rotation("infra", abc, start=local(monday))

    testapp.get(f"/api/v1/teams/other/rotations/{rotation['id']}", status=404)
    admin.delete(f"/api/v1/teams/other/rotations/{rotation['id']}", status=404)
    assert testapp.get(f"/api/v1/teams/infra/rotations/{rotation['id']}").json["id"] == rotation["id"]


def test_deleting_a_rotation_removes_its_future_shifts(admin, testapp, team, abc, make_rotation, shifts_of, monday, local):
    rotation = make_rotation("infra", abc, start=local(monday))
    assert shifts_of("infra", str(monday), str(monday + timedelta(weeks=2)))

    admin.delete(f"/api/v1/teams/infra/rotations/{rotation['id']}", status=204)

    testapp.get(f"/api/v1/teams/infra/rotations/{rotation['id']}", status=404)
    assert shifts_of("infra", str(monday), str(monday + timedelta(weeks=2))) == []


def test_changing_the_members_from_the_start_changes_the_whole_roster(admin, team, abc, make_rotation, holders, monday, local):
    a, b, c = abc
    rotation = make_rotation("infra", abc, start=local(monday))

    admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation['id']}",
        {"members": [c["id"], b["id"], a["id"]], "effective_from": local(monday)},
    )

    assert [name for _, name in holders("infra", str(monday), str(monday + timedelta(weeks=3)))] == ["C", "B", "A"]


def test_a_future_dated_member_change_leaves_the_roster_before_that_date_unchanged(
    admin, team, abc, make_person, make_rotation, holders, monday, local
):
    a, b, c = abc
    d = make_person("D")
    rotation = make_rotation("infra", abc, start=local(monday))
    change_day = monday + timedelta(weeks=3)
    before = holders("infra", str(monday), str(change_day))

    answer = admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation['id']}",
        {"members": [a["id"], b["id"], c["id"], d["id"]], "effective_from": local(change_day)},
    ).json

    assert holders("infra", str(monday), str(change_day)) == before == [
        (local(monday), "A"),
        (local(monday + timedelta(weeks=1)), "B"),
        (local(monday + timedelta(weeks=2)), "C"),
    ]
    after = holders("infra", local(change_day), str(change_day + timedelta(weeks=4)))
    assert [name for _, name in after] == ["D", "A", "B", "C"], "the order goes on from C, with D after C"
    assert [v["effective_from"] for v in answer["versions"]] == [local(monday), local(change_day)]
    assert answer["members"] == [a["id"], b["id"], c["id"]], "the answer shows the version in effect now"


def test_an_invalid_change_is_a_422_and_the_rotation_and_roster_stay_as_they_were(
    admin, team, abc, make_rotation, holders, monday, local, audit_log
):
    rotation = make_rotation("infra", abc, start=local(monday))
    roster = holders("infra", str(monday), str(monday + timedelta(weeks=4)))
    entries = len(audit_log())

    admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation['id']}",
        {"name": "Renamed", "members": [abc[0]["id"], 999], "effective_from": local(monday)},
        status=422,
    )

    assert admin.get(f"/api/v1/teams/infra/rotations/{rotation['id']}").json == rotation
    assert holders("infra", str(monday), str(monday + timedelta(weeks=4))) == roster
    assert len(audit_log()) == entries


def test_changing_to_an_unknown_policy_is_a_422_and_the_rotation_stays_as_it_was(
    admin, team, abc, make_rotation, monday, local, audit_log
):
    rotation = make_rotation("infra", abc, start=local(monday))
    entries = len(audit_log())

    response = admin.patch(f"/api/v1/teams/infra/rotations/{rotation['id']}", {"policy": "hourly"}, status=422)

    assert "weekly" in response.json["error"]
    assert admin.get(f"/api/v1/teams/infra/rotations/{rotation['id']}").json == rotation
    assert len(audit_log()) == entries


def test_changing_to_a_policy_whose_schema_rejects_the_params_is_a_422_and_nothing_changes(
    admin, team, abc, make_rotation, monday, local, audit_log
):
    rotation = make_rotation("infra", abc, start=local(monday), params={"handoff_weekday": 2})
    entries = len(audit_log())

    admin.patch(f"/api/v1/teams/infra/rotations/{rotation['id']}", {"policy": "daily"}, status=422)

    assert admin.get(f"/api/v1/teams/infra/rotations/{rotation['id']}").json == rotation
    assert len(audit_log()) == entries


def test_a_rotation_whose_start_is_in_the_past_materializes_from_the_shift_in_progress(
    testapp, team, abc, make_rotation, shifts_of, past_monday, local
):
    anchor = past_monday(3)
    make_rotation("infra", abc, start=local(anchor))
    now = datetime.now(timezone.utc)
    anchor_instant = datetime.fromisoformat(local(anchor))
    turns = (now - anchor_instant) // timedelta(weeks=1)
    current_start = anchor + timedelta(weeks=turns)

    stored = shifts_of("infra", str(anchor), str(current_start + timedelta(weeks=3)))

    assert stored[0]["start"] == local(current_start), "nothing before the shift in progress is stored"
    assert stored[0]["person"]["name"] == "ABC"[turns % 3]
    assert [s["person"]["name"] for s in stored[:3]] == ["ABC"[(turns + n) % 3] for n in range(3)]
    oncall = testapp.get("/api/v1/teams/infra/oncall").json
    assert oncall["oncall"][0]["person"]["name"] == "ABC"[turns % 3]
    assert oncall["oncall"][0]["start"] == local(current_start)


def test_every_rotation_write_is_in_the_audit_log(admin, team, abc, make_rotation, monday, local, audit_log):
    rotation = make_rotation("infra", abc, start=local(monday))
    admin.patch(f"/api/v1/teams/infra/rotations/{rotation['id']}", {"name": "Renamed"})
    admin.delete(f"/api/v1/teams/infra/rotations/{rotation['id']}")

    entries = audit_log(entity="rotation")

    assert [e["action"] for e in entries] == ["delete", "update", "create"]
    assert entries[1]["before"]["name"] == "Main" and entries[1]["after"]["name"] == "Renamed"
    assert all(e["entity_id"] == str(rotation["id"]) for e in entries)


# -- previews --------------------------------------------------------------------


def test_a_preview_of_a_new_rotation_lists_the_shifts_it_would_add_and_saves_nothing(
    admin, testapp, team, abc, monday, local, audit_log
):
    entries = len(audit_log())
    body = {"name": "Main", "policy": "weekly", "members": [p["id"] for p in abc], "start": local(monday)}

    preview = admin.post("/api/v1/teams/infra/rotations/preview", body, status=200).json

    assert [(s["start"], s["person"]) for s in preview["added"][:3]] == [
        (local(monday), abc[0]["id"]),
        (local(monday + timedelta(weeks=1)), abc[1]["id"]),
        (local(monday + timedelta(weeks=2)), abc[2]["id"]),
    ]
    assert preview["removed"] == [] and preview["reassigned"] == []
    assert testapp.get("/api/v1/teams/infra/rotations").json["rotations"] == []
    assert testapp.get("/api/v1/teams/infra/shifts", params={"start": str(monday)}).json["shifts"] == []
    assert len(audit_log()) == entries


def test_a_preview_of_a_change_lists_the_reassigned_shifts_and_saves_nothing(
    admin, team, abc, make_rotation, holders, monday, local, audit_log
):
    a, b, c = abc
    rotation = make_rotation("infra", abc, start=local(monday))
    roster = holders("infra", str(monday), str(monday + timedelta(weeks=6)))
    entries = len(audit_log())

    preview = admin.post(
        "/api/v1/teams/infra/rotations/preview",
        {"id": rotation["id"], "policy": "weekly", "members": [b["id"], a["id"], c["id"]],
         "effective_from": local(monday)},
        status=200,
    ).json

    first = preview["reassigned"][0]
    assert first["start"] == local(monday)
    assert (first["from_person"], first["to_person"]) == (a["id"], b["id"])
    assert preview["added"] == [] and preview["removed"] == []
    assert admin.get(f"/api/v1/teams/infra/rotations/{rotation['id']}").json == rotation
    assert holders("infra", str(monday), str(monday + timedelta(weeks=6))) == roster
    assert len(audit_log()) == entries


def test_a_preview_of_a_shorter_handoff_lists_removed_and_added_shifts(admin, team, abc, make_rotation, monday, local):
    rotation = make_rotation("infra", abc, start=local(monday))

    preview = admin.post(
        "/api/v1/teams/infra/rotations/preview",
        {"id": rotation["id"], "policy": "daily", "effective_from": local(monday)},
        status=200,
    ).json

    assert local(monday) in [s["start"] for s in preview["removed"]]
    assert local(monday + timedelta(days=1)) in [s["start"] for s in preview["added"]]


def test_a_preview_with_an_unknown_policy_is_a_422_listing_the_available_ones(admin, team, abc):
    response = admin.post("/api/v1/teams/infra/rotations/preview", {"policy": "yearly"}, status=422)
    assert all(name in response.json["error"] for name in BUILT_IN_POLICIES)


# -- daylight saving ---------------------------------------------------------------


def next_spring_forward(zone: str, after: datetime) -> datetime:
    """The local date of the next day whose UTC offset grows, in ``zone``."""
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    for _ in range(400):
        today = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        tomorrow = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        if tomorrow.utcoffset() > today.utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)
    raise AssertionError(f"no spring-forward in {zone} within a year")


def next_fall_back(zone: str, after: datetime) -> datetime:
    tz = ZoneInfo(zone)
    day = after.astimezone(tz).date()
    for _ in range(400):
        today = datetime.combine(day, datetime.min.time(), tzinfo=tz)
        tomorrow = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=tz)
        if tomorrow.utcoffset() < today.utcoffset():
            return day + timedelta(days=1)
        day += timedelta(days=1)
    raise AssertionError(f"no fall-back in {zone} within a year")


@pytest.fixture
def long_horizon_app(app_with):
    """An app materializing a year and more ahead, so both transitions of the
    year are in reach whenever the suite runs."""
    import webtest

    return webtest.TestApp(app_with(horizon_days=400))


@pytest.mark.parametrize("transition", [next_spring_forward, next_fall_back])
def test_a_0900_handoff_stays_at_0900_local_across_daylight_saving_in_new_york(
    long_horizon_app, admin_headers, local, transition
):
    zone = "America/New_York"
    app = long_horizon_app
    app.post_json("/api/v1/teams", {"slug": "ny", "name": "NY", "timezone": zone}, headers=admin_headers)
    members = [
        app.post_json("/api/v1/people", {"name": name}, headers=admin_headers).json["id"] for name in "ABC"
    ]
    change = transition(zone, datetime.now(timezone.utc) + timedelta(days=2))
    first = change - timedelta(days=3)
    app.post_json(
        "/api/v1/teams/ny/rotations",
        {"name": "Daily", "policy": "daily", "members": members, "start": f"{first}T09:00"},
        headers=admin_headers,
        status=201,
    )

    shifts = app.get(
        "/api/v1/teams/ny/shifts", params={"start": str(first), "end": str(change + timedelta(days=3))}
    ).json["shifts"]

    assert [s["start"] for s in shifts] == [local(first + timedelta(days=n), "09:00", zone) for n in range(6)]
    offsets = {s["start"][-6:] for s in shifts}
    assert len(offsets) == 2, f"the shifts should straddle the change of offset: {offsets}"
    assert all(s["end"] == later["start"] for s, later in zip(shifts, shifts[1:]))
    assert all(s["start"][11:19] == "09:00:00" and s["end"][11:19] == "09:00:00" for s in shifts)
    assert [s["person"]["name"] for s in shifts] == ["A", "B", "C", "A", "B", "C"]
