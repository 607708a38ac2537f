"""A ``fair`` rotation through the API: solved on every write, its report in the answer.

The solver runs in the request that changes the rotation (bounded by
``time_limit``, half a second here), so these tests keep it short.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

FAST = {"time_limit": 0.5}


@pytest.fixture
def team(make_team):
    return make_team("infra")


@pytest.fixture
def people(make_person):
    return [make_person(name) for name in ("Ana", "Bruno", "Carla", "Davi", "Eva", "Fabio", "Gil")]


def test_empty_params_are_valid_and_the_answer_carries_the_solver_report(admin, team, people, monday, local):
    rotation = admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Fair", "policy": "fair", "params": {}, "members": [p["id"] for p in people[:3]],
         "start": local(monday)},
        status=201,
    ).json
    assert rotation["solver"]["status"] in ("optimal", "feasible")
    assert isinstance(rotation["solver"]["seconds"], float)
    stored = admin.get(f"/api/v1/teams/infra/rotations/{rotation['id']}").json
    assert stored["solver"] == rotation["solver"]


def test_a_queue_policy_has_no_solver_report(admin, team, people, make_rotation, monday, local):
    assert make_rotation("infra", people[:3], start=local(monday))["solver"] is None


def test_fair_holidays_is_refused_on_a_fair_rotation(admin, team, people, make_rotation, monday, local):
    answer = admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Fair", "policy": "fair", "params": FAST, "members": [p["id"] for p in people[:3]],
         "start": local(monday), "rules": {"fair_holidays": {}}},
        status=422,
    ).json
    assert [error["field"] for error in answer["details"]] == ["rules.fair_holidays"]
    assert "fair_holidays" in answer["error"]
    assert answer["details"][0]["field"] == "rules.fair_holidays"

    daily = make_rotation("infra", people[:3], policy="daily", start=local(monday), rules={"fair_holidays": {}})
    answer = admin.patch(f"/api/v1/teams/infra/rotations/{daily['id']}", {"policy": "fair"}, status=422).json
    assert "fair_holidays" in answer["details"][0]["field"]


def test_bad_fair_params_are_422(admin, team, people, monday, local):
    for params in ({"time_limit": 0}, {"weights": {"night": -1}}, {"handoff_times": ["25:00"]},
                   {"unavailable": [{"weekdays": [1]}]}):
        admin.post(
            "/api/v1/teams/infra/rotations",
            {"name": "Fair", "policy": "fair", "params": params, "members": [p["id"] for p in people[:3]],
             "start": local(monday)},
            status=422,
        )


def test_switching_a_daily_rotation_to_fair_evens_out_the_weekends(
    admin, team, people, make_rotation, shifts_of, monday, local
):
    # Seven people on a daily rotation: the same two always get Saturday and Sunday.
    daily = make_rotation("infra", people, policy="daily", start=local(monday))
    preview = admin.post(
        "/api/v1/teams/infra/rotations/preview",
        {"id": daily["id"], "policy": "fair", "params": FAST},
    ).json
    assert preview["solver"][str(daily["id"])]["status"] in ("optimal", "feasible")
    before, after = preview["fairness"]["before"], preview["fairness"]["after"]
    assert after["measures"]["weekend_hours"]["spread"] < before["measures"]["weekend_hours"]["spread"]
    assert after["score"] > before["score"]

    admin.patch(f"/api/v1/teams/infra/rotations/{daily['id']}", {"policy": "fair", "params": FAST}, status=200)
    ahead = shifts_of("infra", str(monday + timedelta(days=7)), str(monday + timedelta(days=63)))
    weekend = {}
    for shift in ahead:
        if shift["start"][:10] and _weekday(shift["start"]) >= 5:
            weekend[shift["person"]["name"]] = weekend.get(shift["person"]["name"], 0) + 1
    assert len(weekend) >= 5, "weekends go round the team, not to two people"


def test_a_leave_moves_only_the_shifts_it_touches(admin, team, people, make_rotation, shifts_of, monday, local):
    fair = make_rotation("infra", people[:5], policy="fair", params=FAST, start=local(monday))
    first, last = str(monday + timedelta(days=7)), str(monday + timedelta(days=49))
    before = {s["start"]: s["person"]["id"] for s in shifts_of("infra", first, last)}
    holder = before[local(monday + timedelta(days=21))]
    admin.post(
        f"/api/v1/people/{holder}/leave",
        {"start": local(monday + timedelta(days=21), "00:00"), "end": local(monday + timedelta(days=22), "00:00")},
        status=201,
    )
    after = {s["start"]: s["person"]["id"] for s in shifts_of("infra", first, last)}
    changed = sorted(start for start in before if after.get(start) != before[start])
    assert changed, "the shift on leave changed hands"
    assert all(local(monday + timedelta(days=19)) <= start <= local(monday + timedelta(days=23)) for start in changed)
    assert admin.get(f"/api/v1/teams/infra/rotations/{fair['id']}").json["solver"]["status"] != "fallback"


def _weekday(iso: str) -> int:
    from datetime import date

    return date.fromisoformat(iso[:10]).weekday()


def test_an_override_keeps_the_planned_roster_and_does_not_solve_again(
    admin, team, people, make_rotation, shifts_of, monday, local
):
    fair = make_rotation("infra", people[:4], policy="fair", params=FAST, start=local(monday))
    first, last = str(monday + timedelta(days=1)), str(monday + timedelta(days=40))
    before = {s["start"]: s["person"]["id"] for s in shifts_of("infra", first, last)}
    covered = local(monday + timedelta(days=10))
    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people[5]["id"], "start": covered, "end": local(monday + timedelta(days=11))},
        status=201,
    )
    after = {s["start"]: s["person"]["id"] for s in shifts_of("infra", first, last)}
    assert after[covered] == people[5]["id"]
    assert {k: v for k, v in after.items() if k != covered} == {k: v for k, v in before.items() if k != covered}
    assert admin.get(f"/api/v1/teams/infra/rotations/{fair['id']}").json["solver"] == fair["solver"]
