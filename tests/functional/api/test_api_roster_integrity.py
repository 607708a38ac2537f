"""The stored roster stays coherent whatever is changed, and when.

These are the cases a careful reviewer broke: backdated overrides, overrides
before any rotation, dated changes that cannot be honoured, restarts of a
rotation, impossible parameters, and writers racing on PostgreSQL.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from itertools import pairwise

import pytest
import webtest
from sqlalchemy import select
from sqlalchemy.orm import Session

from plantao.app import make_app
from plantao.models import Shift

UTC = timezone.utc


def stored_shifts(admin, slug, start, end, role=None):
    params = {"start": start, "end": end, "limit": 5000}
    if role:
        params["role"] = role
    return admin.get(f"/api/v1/teams/{slug}/shifts", params=params).json["shifts"]


def assert_no_overlap(shifts):
    by_role: dict[str, list] = {}
    for shift in shifts:
        by_role.setdefault(shift["role"], []).append(shift)
    for role, items in by_role.items():
        items.sort(key=lambda s: datetime.fromisoformat(s["start"]))
        for before, after in pairwise(items):
            assert datetime.fromisoformat(before["end"]) <= datetime.fromisoformat(after["start"]), (role, before, after)


def iso(moment: datetime) -> str:
    return moment.isoformat()


@pytest.fixture
def running(admin, make_team, make_person, make_rotation):
    """A weekly rotation of three that started nine days ago."""
    make_team("infra")
    people = [make_person(name) for name in ("Ana", "Bia", "Caio")]
    start = datetime.now(UTC) - timedelta(days=9)
    rotation = make_rotation("infra", [p["id"] for p in people], policy="weekly", start=iso(start))
    return {"people": people, "rotation": rotation, "start": start}


def test_a_backdated_override_never_overlaps_the_history_of_its_role(admin, running):
    now = datetime.now(UTC)
    diego = admin.post("/api/v1/people", {"name": "Diego"}).json
    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": diego["id"], "start": iso(now - timedelta(hours=6)), "end": iso(now + timedelta(hours=6))},
        status=201,
    )
    shifts = stored_shifts(admin, "infra", iso(running["start"] - timedelta(days=1)), iso(now + timedelta(days=30)))
    assert_no_overlap(shifts)
    earlier = admin.get("/api/v1/teams/infra/oncall", params={"at": iso(now - timedelta(hours=3))}).json
    assert len(earlier["oncall"]) == 1
    # Already begun, it takes over from the next whole minute after the write.
    [taking_over] = [datetime.fromisoformat(s["start"]) for s in shifts if s["person"]["name"] == "Diego"]
    assert taking_over.second == 0 and timedelta(0) < taking_over - now <= timedelta(minutes=1, seconds=5)

    def on_call(**params) -> tuple[list[str], dict]:
        answer = admin.get("/api/v1/teams/infra/oncall", params=params).json
        return [entry["person"]["name"] for entry in answer["oncall"]], answer

    assert "Diego" not in on_call(at=iso(taking_over - timedelta(seconds=1)))[0]
    assert on_call(at=iso(taking_over))[0] == ["Diego"]
    # Asked now, Diego is next, or on call if that minute has come (it may while the request runs).
    asked = datetime.now(UTC)
    names, current = on_call()
    if asked >= taking_over:
        assert names == ["Diego"]
    else:
        assert current["next_handoff"]["person"]["name"] == "Diego" or names == ["Diego"]


def _an_ended_shift_holding(session: Session, key: str, like: Shift, before: datetime) -> int:
    """Store a shift that ended before ``before`` with ``key`` (as if the key had moved with its row)."""
    ended = Shift(team_id=like.team_id, person_id=like.person_id, role=like.role, start=before - timedelta(days=2),
                  end=before - timedelta(days=1), source="rotation", rotation_id=like.rotation_id, key=key, sequence=0)
    session.add(ended)
    session.flush()
    return ended.id


def _keys_are_unique_and_kept(clean_engine, ended_id: int, key: str, slot: tuple) -> None:
    with Session(clean_engine) as session:
        assert session.get(Shift, ended_id).key == key
        in_slot = session.scalars(select(Shift).where(Shift.start < slot[1], Shift.end > slot[0])).all()
        assert in_slot and all(shift.key != key for shift in in_slot)
        assert len({shift.key for shift in session.scalars(select(Shift))}) == session.query(Shift).count()


def _a_future_week(clean_engine) -> Shift:
    with Session(clean_engine) as session:
        now = datetime.now(UTC)
        return session.scalars(select(Shift).where(Shift.start > now + timedelta(days=14)).order_by(Shift.start)).first()


def test_a_full_regeneration_never_gives_a_new_shift_the_key_a_shift_that_ended_holds(admin, running, clean_engine):
    """Keys are unique in a team and stay with a row whose times move, so a shift that ended may
    hold the key of a slot still to come: the new row for that slot gets another key."""
    week = _a_future_week(clean_engine)
    with Session(clean_engine) as session, session.begin():
        session.delete(session.get(Shift, week.id))  # the slot's row gone: the regeneration stores a new one
        session.flush()
        ended_id = _an_ended_shift_holding(session, week.key, week, running["start"])
    members = [person["id"] for person in reversed(running["people"])]
    admin.patch(f"/api/v1/teams/infra/rotations/{running['rotation']['id']}", {"members": members}, status=200)
    _keys_are_unique_and_kept(clean_engine, ended_id, week.key, (week.start, week.end))
    assert_no_overlap(stored_shifts(admin, "infra", iso(running["start"]), iso(week.end + timedelta(days=30))))


def test_an_override_never_gives_the_piece_after_it_the_key_a_shift_that_ended_holds(admin, running, clean_engine):
    """The same for the stretch an override regenerates: the week it cuts goes on after it in a
    new row, whose key an ended shift may hold (here: the key that piece had the first time)."""
    week = _a_future_week(clean_engine)
    diego = admin.post("/api/v1/people", {"name": "Diego"}).json
    start = week.start + timedelta(days=1)
    body = {"person": diego["id"], "start": iso(start), "end": iso(start + timedelta(days=1))}
    override = admin.post("/api/v1/teams/infra/overrides", body, status=201).json
    with Session(clean_engine) as session:
        after = session.scalars(select(Shift).where(Shift.start == start + timedelta(days=1))).one()
        key = after.key
    admin.delete(f"/api/v1/teams/infra/overrides/{override['id']}", status=204)
    with Session(clean_engine) as session, session.begin():
        ended_id = _an_ended_shift_holding(session, key, week, running["start"])
    admin.post("/api/v1/teams/infra/overrides", body, status=201)
    _keys_are_unique_and_kept(clean_engine, ended_id, key, (start + timedelta(days=1), week.end))
    assert_no_overlap(stored_shifts(admin, "infra", iso(running["start"]), iso(week.end + timedelta(days=30))))


def test_a_policy_change_now_keeps_the_history_whole(admin, running):
    rotation_id = running["rotation"]["id"]
    admin.patch(f"/api/v1/teams/infra/rotations/{rotation_id}", {"policy": "daily"}, status=200)
    now = datetime.now(UTC)
    assert_no_overlap(stored_shifts(admin, "infra", iso(running["start"]), iso(now + timedelta(days=30))))


def test_a_policy_change_dated_in_the_future_is_refused_in_plain_words(admin, running):
    rotation_id = running["rotation"]["id"]
    later = datetime.now(UTC) + timedelta(days=20)
    response = admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation_id}",
        {"policy": "daily", "effective_from": iso(later)},
        status=422,
    )
    assert "cannot change from a date" in response.json["error"]
    assert admin.get(f"/api/v1/teams/infra/rotations/{rotation_id}").json["policy"] == "weekly"


def test_an_override_before_any_rotation_starts_is_honoured(admin, make_team, make_person, make_rotation):
    make_team("future")
    ana, bia = make_person("Ana"), make_person("Bia")
    start = datetime.now(UTC) + timedelta(days=20)
    make_rotation("future", [ana["id"]], policy="weekly", start=iso(start))
    cover_from = datetime.now(UTC) + timedelta(days=3)
    admin.post(
        "/api/v1/teams/future/overrides",
        {"person": bia["id"], "start": iso(cover_from), "end": iso(cover_from + timedelta(days=2))},
        status=201,
    )
    body = admin.get("/api/v1/teams/future/oncall", params={"at": iso(cover_from + timedelta(hours=1))}).json
    assert [entry["person"]["name"] for entry in body["oncall"]] == ["Bia"]


def test_moving_a_rotations_start_keeps_one_version_per_date(admin, running):
    rotation_id = running["rotation"]["id"]
    ana, bia, caio = (p["id"] for p in running["people"])
    later = datetime.now(UTC) + timedelta(days=10)
    admin.patch(f"/api/v1/teams/infra/rotations/{rotation_id}", {"members": [caio, bia, ana], "effective_from": iso(later)})
    moved = admin.patch(
        f"/api/v1/teams/infra/rotations/{rotation_id}", {"start": iso(later + timedelta(days=5))}
    ).json
    assert len(moved["versions"]) == 1
    assert moved["members"] == [caio, bia, ana]


@pytest.mark.parametrize(
    "change",
    [
        {"priority": 2**40},
        {"policy": "custom", "params": {"length": 10**12, "unit": "hours"}},
        {"rules": {"min_rest": {"hours": 1e300}}},
        {"policy": "split", "params": {"night_members": [10**11]}},
        {"policy": "split", "params": {"night_members": [-1]}},
    ],
)
def test_impossible_parameters_are_a_422_and_change_nothing(admin, running, change):
    rotation_id = running["rotation"]["id"]
    before = admin.get(f"/api/v1/teams/infra/rotations/{rotation_id}").json
    admin.patch(f"/api/v1/teams/infra/rotations/{rotation_id}", change, status=422)
    assert admin.get(f"/api/v1/teams/infra/rotations/{rotation_id}").json == before


def test_a_nul_character_in_any_text_is_a_400(admin):
    response = admin.post("/api/v1/people", {"name": "Ana\u0000"}, status=400)
    assert "NUL" in response.json["error"]


@pytest.mark.parametrize(
    "body",
    [{"name": "Ana\ud800"}, {"name": "Ana", "chat": {"slack": "\udfff"}}, {"name": "Ana", "chat": {"\ud83d": "x"}}],
)
def test_an_unpaired_surrogate_in_any_text_is_a_400_and_nothing_is_stored(admin, testapp, body):
    # JSON can escape half of a UTF-16 pair on its own: no character, and
    # nothing a page, a feed or PostgreSQL could keep.
    response = admin.post("/api/v1/people", body, status=400)
    assert "surrogate" in response.json["error"]
    assert admin.get("/api/v1/people").json["people"] == []
    person = admin.post("/api/v1/people", {"name": "Bia"}, status=201).json
    admin.patch(f"/api/v1/people/{person['id']}", {"chat": {"slack": "\ud800"}}, status=400)
    testapp.get("/", status=200)


def test_a_deactivated_fallback_and_a_host_specific_zone_are_refused(admin, make_person, make_team):
    gone = make_person("Gone")
    admin.delete(f"/api/v1/people/{gone['id']}")
    admin.post("/api/v1/teams", {"slug": "x", "name": "X", "fallback_person": gone["id"]}, status=422)
    admin.post("/api/v1/teams", {"slug": "y", "name": "Y", "timezone": "localtime"}, status=422)


def test_gaps_beyond_the_horizon_and_unknown_roles_are_refused(testapp, running):
    far = (datetime.now(UTC) + timedelta(days=2000)).date().isoformat()
    testapp.get("/api/v1/teams/infra/gaps", params={"start": far}, status=400)
    response = testapp.get("/api/v1/teams/infra/oncall", params={"role": "shadow"}, status=400)
    assert "primary" in response.json["error"]


def test_writers_racing_on_several_teams_never_get_a_500(settings, plugins, clean_engine, admin_headers):
    app = webtest.TestApp(make_app(settings, plugins=plugins, engine=clean_engine))
    people = [app.post_json("/api/v1/people", {"name": f"P{i}"}, headers=admin_headers).json for i in range(4)]
    start = iso(datetime.now(UTC) - timedelta(days=3))
    for slug in ("red", "blue"):
        app.post_json("/api/v1/teams", {"slug": slug, "name": slug}, headers=admin_headers)
        app.post_json(
            f"/api/v1/teams/{slug}/rotations",
            {"name": "daily", "policy": "daily", "members": [p["id"] for p in people], "start": start},
            headers=admin_headers,
        )
    now = datetime.now(UTC)

    def write(n: int) -> int:
        person = people[n % 4]
        begin = now + timedelta(days=2 + n)
        if n % 3 == 0:
            return app.post_json(
                f"/api/v1/people/{person['id']}/leave",
                {"start": iso(begin), "end": iso(begin + timedelta(hours=12))},
                headers=admin_headers, expect_errors=True,
            ).status_int
        if n % 3 == 1:
            return app.post_json(
                f"/api/v1/teams/{('red', 'blue')[n % 2]}/overrides",
                {"person": person["id"], "start": iso(begin), "end": iso(begin + timedelta(hours=3))},
                headers=admin_headers, expect_errors=True,
            ).status_int
        return app.patch_json(
            f"/api/v1/people/{person['id']}", {"phone": f"+55 11 90000-{n:04d}"},
            headers=admin_headers, expect_errors=True,
        ).status_int

    with ThreadPoolExecutor(max_workers=6) as pool:
        statuses = list(pool.map(write, range(18)))
    # Each write touches its own person and hours: serialized, all succeed.
    expected = [200 if n % 3 == 2 else 201 for n in range(18)]
    assert statuses == expected, statuses
    for slug in ("red", "blue"):
        shifts = app.get(f"/api/v1/teams/{slug}/shifts", params={"start": start, "limit": 5000}).json["shifts"]
        assert_no_overlap(shifts)


def test_a_slug_that_collides_with_a_fixed_url_is_reserved(admin):
    response = admin.post("/api/v1/teams", {"slug": "new", "name": "New"}, status=422)
    assert "reserved" in response.json["error"]
