"""The roster in memory: every read inside its window answers without a query.

``oncall``, ``shifts``, ``gaps``, the home and team pages and the feeds read
the instance's roster in memory (plantao.read_model); a change reloads only
the teams it touched (their feeds, too, are the only ones rendered again),
and another instance's change shows within a second.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from plantao.datetimes import utcnow

from tests.conftest import ADMIN_PASSWORD as ADMIN
from tests.conftest import statements


@pytest.fixture
def two_teams(testapp, admin_headers):
    """Teams infra and web, each with a daily rotation of two people since last week, handing
    over at noon UTC; whatever the time of day, the first person (Ana, Carla) holds the turn in
    progress."""
    noon = utcnow().replace(hour=12, minute=0, second=0, microsecond=0)
    start = (noon if noon <= utcnow() else noon - timedelta(days=1)) - timedelta(days=6)
    for slug, names in (("infra", ("Ana", "Bruno")), ("web", ("Carla", "Davi"))):
        testapp.post_json("/api/v1/teams", {"slug": slug, "name": slug.title()}, headers=admin_headers)
        members = [
            testapp.post_json("/api/v1/people", {"name": name}, headers=admin_headers).json["id"] for name in names
        ]
        testapp.post_json(
            f"/api/v1/teams/{slug}/rotations",
            {"name": "Diária", "policy": "daily", "members": members, "start": start.isoformat()},
            headers=admin_headers,
        )
    return testapp


@pytest.fixture
def an_override(two_teams, app, admin_headers):
    """``an_override(days, hours, reason="")``: Ana covers ``hours`` of infra from ``days`` ahead."""

    def post(days: int, hours: int, reason: str = "") -> None:
        person = next(s.person.id for s in app.registry.read_model.snapshot().team("infra").shifts
                      if s.person.name == "Ana")
        start = (utcnow() + timedelta(days=days)).replace(microsecond=0)
        body = {"person": person, "start": start.isoformat(), "end": (start + timedelta(hours=hours)).isoformat()}
        if reason:
            body["reason"] = reason
        two_teams.post_json("/api/v1/teams/infra/overrides", body, headers=admin_headers)

    return post


def test_every_read_inside_the_window_runs_no_query(two_teams, app, clean_engine):
    testapp = two_teams
    app.registry.read_model.freshness = 3600  # nothing is due to be looked at again
    today = utcnow().date()
    person = app.registry.read_model.snapshot().team("infra").shifts[0].person.id
    reads = [
        "/api/v1/teams/infra/oncall",
        f"/api/v1/teams/infra/oncall?at={(utcnow() + timedelta(days=3)).strftime('%Y-%m-%dT%H:%M:%SZ')}",
        "/api/v1/teams/infra/oncall?role=primary",
        "/api/v1/teams/infra/shifts",
        f"/api/v1/teams/infra/shifts?start={today.replace(day=1).isoformat()}T00:00:00Z",
        "/api/v1/teams/web/gaps",
        "/api/v1/teams/infra/export.ics",
        f"/api/v1/people/{person}/export.ics",
        "/",
        "/teams/infra",
    ]
    for url in reads:  # rendered once (feeds, caches)
        testapp.get(url)
    with statements(clean_engine) as seen:
        for url in reads:
            assert testapp.get(url).status_int == 200, url
        testapp.get("/teams/infra", {"month": (today + timedelta(days=40)).strftime("%Y-%m")})
    assert seen == []


def test_a_read_before_the_window_goes_to_the_database(two_teams, clean_engine):
    old = (utcnow() - timedelta(days=60)).date().isoformat()
    end = (utcnow() + timedelta(days=1)).date().isoformat()
    with statements(clean_engine) as seen:
        answer = two_teams.get("/api/v1/teams/infra/shifts", {"start": f"{old}T00:00:00Z", "end": f"{end}T00:00:00Z"})
    assert answer.json["shifts"]  # the stored ones (a new rotation stores no past)
    assert any("FROM shifts" in statement for statement in seen)


def test_a_change_replaces_only_the_team_it_touched(two_teams, app, an_override):
    model = app.registry.read_model
    before = model.snapshot()
    web = before.team("web")
    loads = model.loads
    feed = two_teams.get("/api/v1/teams/web/export.ics").body
    renders = app.registry.feed_cache.renders

    an_override(days=2, hours=4)
    after = model.snapshot()
    assert model.loads == loads  # the writer handed its change over: nothing was read again
    assert after.team("web") is web  # untouched, not even copied
    assert after.team("infra") is not before.team("infra")
    assert any(s.source == "override" for s in after.team("infra").shifts)
    # The other team's feed is still the one rendered before.
    assert two_teams.get("/api/v1/teams/web/export.ics").body == feed
    assert app.registry.feed_cache.renders == renders


def test_a_team_feed_in_use_is_rendered_again_in_the_background_after_a_change(two_teams, app, an_override):
    cache = app.registry.feed_cache
    first = two_teams.get("/api/v1/teams/infra/export.ics").body
    an_override(days=2, hours=4, reason="troca")
    if cache.worker is not None:
        cache.worker.join(timeout=30)
    renders = cache.renders
    second = two_teams.get("/api/v1/teams/infra/export.ics").body
    assert second != first and b"troca" in second
    assert cache.renders == renders  # the reader found it rendered


def test_another_instances_change_shows_once_the_revision_is_looked_at(two_teams, app, app_with, admin_headers):
    other = app_with()  # a second instance on the same database
    import webtest

    reader = webtest.TestApp(other)
    assert reader.get("/api/v1/teams/infra/oncall").json["team"] == "infra"
    two_teams.post_json("/api/v1/teams", {"slug": "dba", "name": "DBA"}, headers=admin_headers)
    other.registry.read_model.looked_at = 0.0  # as one second later
    assert reader.get("/api/v1/teams/dba/oncall").json["team"] == "dba"


def test_a_person_renamed_shows_in_every_team_without_reloading_them(two_teams, app, admin_headers):
    model = app.registry.read_model
    infra = model.snapshot().team("infra")
    web = model.snapshot().team("web")
    person = infra.shifts[0].person
    loads = model.loads
    two_teams.patch_json(f"/api/v1/people/{person.id}", {"name": "Ana Maria"}, headers=admin_headers)
    renamed = model.snapshot().team("infra")
    assert {s.person.name for s in renamed.shifts if s.person.id == person.id} == {"Ana Maria"}
    assert model.loads == loads  # no team reloaded: the people were
    # Only the team showing her has a new roster: the other's answers and feeds stay.
    assert model.snapshot().team("web") is web
    assert "Ana Maria" in two_teams.get("/teams/infra").text


def test_a_person_deactivated_shows_inactive_from_memory(two_teams, app, admin_headers):
    person = app.registry.read_model.snapshot().team("infra").shifts[0].person
    two_teams.delete(f"/api/v1/people/{person.id}", headers=admin_headers)
    shown = app.registry.read_model.snapshot().people[person.id].view
    assert shown.active is False


def test_a_shifts_answer_is_kept_until_the_team_changes(two_teams, app, an_override):
    cache = app.registry.roster_cache
    url = "/api/v1/teams/infra/shifts"
    first = two_teams.get(url).json
    kept = len(cache.answers)
    assert two_teams.get(url).json == first and len(cache.answers) == kept >= 1
    an_override(days=1, hours=2)
    after = two_teams.get(url).json
    assert after != first and any(s["source"] == "override" for s in after["shifts"])


def test_an_anonymous_oncall_is_answered_in_front_of_pyramid_with_the_views_body(two_teams, app, app_with):
    fast = app.registry.public_oncall
    answered = fast.answered
    quick = two_teams.get("/api/v1/teams/infra/oncall")
    assert fast.answered == answered + 1
    # Through the view (a query string goes to the application): the same answer but its "at".
    slow = two_teams.get("/api/v1/teams/infra/oncall?role=primary")
    assert fast.answered == answered + 1
    assert {k: v for k, v in quick.json.items() if k != "at"} == {k: v for k, v in slow.json.items() if k != "at"}
    assert quick.headers["Content-Type"] == slow.headers["Content-Type"] == "application/json"
    # Credentials, unknown teams and private rosters are the application's.
    two_teams.get("/api/v1/teams/infra/oncall", headers={"Authorization": f"Bearer {ADMIN}"})
    two_teams.get("/api/v1/teams/nope/oncall", status=404)
    assert fast.answered == answered + 1
    private = app_with(public_roster=False)
    import webtest

    webtest.TestApp(private).get("/api/v1/teams/infra/oncall", status=401)
    assert private.registry.public_oncall.answered == 0


def test_the_same_feed_request_again_is_answered_in_front_of_pyramid_until_the_team_changes(
    two_teams, app, admin_headers
):
    front = app.registry.repeated_reads
    url = "/api/v1/teams/infra/export.ics"
    first = two_teams.get(url)
    answered = front.answered
    again = two_teams.get(url)
    assert front.answered == answered + 1
    assert again.body == first.body
    for header in ("ETag", "Last-Modified", "Cache-Control", "Content-Type", "Content-Disposition"):
        assert again.headers[header] == first.headers[header], header
    # A change to the team: the application renders the new roster.
    two_teams.patch_json("/api/v1/teams/infra", {"name": "Infraestrutura"}, headers=admin_headers)
    changed = two_teams.get(url)
    assert front.answered == answered + 1 and b"Infraestrutura" in changed.body


def test_a_look_at_the_database_that_hangs_already_marks_answers_stale(two_teams, app):
    import time

    from plantao.read_model import SLOW_LOOK

    model = app.registry.read_model
    model.snapshot()
    assert model.stale_seconds() is None
    model.looking_since = time.monotonic() - SLOW_LOOK - 1  # a look under way, unanswered
    try:
        assert model.stale_seconds() is not None
        assert "X-Plantao-Stale" in two_teams.get("/api/v1/teams/infra/shifts").headers
    finally:
        model.looking_since = None
    assert "X-Plantao-Stale" not in two_teams.get("/api/v1/teams/infra/shifts").headers


def test_the_same_shifts_request_again_is_answered_in_front_of_pyramid_until_the_team_changes(
    two_teams, app, an_override
):
    front = app.registry.repeated_reads
    url = f"/api/v1/teams/infra/shifts?start={utcnow().date().isoformat()}"
    first = two_teams.get(url)
    answered = front.answered
    again = two_teams.get(url)
    assert front.answered == answered + 1
    assert again.body == first.body and again.headers["Content-Type"] == first.headers["Content-Type"]
    an_override(days=1, hours=2)
    changed = two_teams.get(url)
    assert front.answered == answered + 1 and changed.body != first.body


def test_the_database_and_the_roster_in_memory_answer_the_same(two_teams, app, clean_engine, settings, plugins):
    from sqlalchemy.orm import Session

    from plantao.models import Team
    from plantao.services.context import ServiceContext
    from plantao.services.oncall import OnCallService

    memory = OnCallService(ServiceContext(None, settings, plugins, roster=app.registry.read_model))
    with Session(clean_engine) as session:
        stored = OnCallService(ServiceContext(session, settings, plugins))
        team = session.query(Team).filter_by(slug="infra").one()
        for hours in (0, 13, 30, 75):
            moment = utcnow() + timedelta(hours=hours)
            for role in (None, "primary"):
                a, b = stored.at(team, moment, role), memory.at(team, moment, role)
                assert (a.current, a.upcoming) == (b.current, b.upcoming), (hours, role)
        start, end = utcnow() - timedelta(days=2), utcnow() + timedelta(days=9)
        assert stored.shifts(team, start, end) == memory.shifts(team, start, end)


def _reloaded(model, slug: str):
    """``slug``'s roster as reading it from the database gives it, over the same window."""
    from plantao.read_model import load_teams

    held = model.current().team(slug)
    with model.session_factory() as session:
        return load_teams(session, [held.team.id], dict(model.current().people), held.window_start)[held.team.id]


def _contents(roster):
    return (roster.team, roster.roles, roster.members, roster.shifts, roster.gaps, roster.conflicts, roster.leaves)


def test_a_writers_own_change_is_the_roster_a_reload_gives(two_teams, app, admin_headers, an_override):
    """Overrides, swaps and deletions are handed to the roster in memory by the writer
    (plantao.read_model.RosterPatch), never read back; what it holds is what a reload gives."""
    model = app.registry.read_model
    testapp = two_teams
    loads = model.loads

    def check():
        assert _contents(model.current().team("infra")) == _contents(_reloaded(model, "infra"))
        assert model.loads == loads

    an_override(days=0, hours=3, reason="consulta")  # from the next whole minute, inside the current shift
    check()
    an_override(days=2, hours=30, reason="viagem")  # across a handoff
    check()
    upcoming = [s for s in model.current().team("infra").shifts if s.start > utcnow() + timedelta(days=4)]
    first = upcoming[0]
    second = next(s for s in upcoming if s.person.id != first.person.id)
    testapp.post_json("/api/v1/teams/infra/swaps", {"shifts": [first.id, second.id], "reason": "troca"},
                      headers=admin_headers)
    check()
    overrides = testapp.get("/api/v1/teams/infra/overrides", headers=admin_headers).json["overrides"]
    testapp.delete(f"/api/v1/teams/infra/overrides/{overrides[1]['id']}", headers=admin_headers)
    check()
    testapp.delete(f"/api/v1/teams/infra/overrides/{overrides[2]['id']}", headers=admin_headers)  # half a swap
    check()

    # A role covered in office hours only has gaps every night: an override
    # of one night changes its gaps, handed over the same way.
    members = sorted(model.current().team("infra").members)
    testapp.post_json(
        "/api/v1/teams/infra/rotations",
        {"name": "Apoio", "policy": "daily", "role": "backup", "members": members,
         "start": (utcnow() - timedelta(days=1)).replace(microsecond=0).isoformat(),
         "restrictions": {"start_time": "09:00", "end_time": "18:00"}},
        headers=admin_headers,
    )
    loads = model.loads  # a new rotation reloads the team
    night = next(g for g in model.current().team("infra").gaps if g.role == "backup" and g.start > utcnow())
    testapp.post_json(
        "/api/v1/teams/infra/overrides",
        {"person": members[0], "role": "backup", "start": night.start.isoformat(),
         "end": (night.start + timedelta(hours=2)).isoformat()},
        headers=admin_headers,
    )
    assert night not in model.current().team("infra").gaps
    check()


def test_an_override_by_somebody_new_to_the_team_reloads_it_with_their_leave(two_teams, app, admin_headers):
    model = app.registry.read_model
    carla = next(s.person for s in model.current().team("web").shifts if s.person.name == "Carla")
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    two_teams.post_json(
        f"/api/v1/people/{carla.id}/leave",
        {"start": (start - timedelta(days=1)).isoformat(), "end": (start + timedelta(days=1)).isoformat()},
        headers=admin_headers,
    )
    loads = model.loads
    two_teams.post_json(
        "/api/v1/teams/infra/overrides",
        {"person": carla.id, "start": (start + timedelta(days=2)).isoformat(),
         "end": (start + timedelta(days=2, hours=2)).isoformat()},
        headers=admin_headers,
    )
    infra = model.current().team("infra")
    assert model.loads == loads + 1  # her leave now shows on infra's calendars: read with the team
    assert carla.id in {leave.person_id for leave in infra.leaves}
    assert _contents(infra) == _contents(_reloaded(model, "infra"))


# -- the team's setup, carried from one override to the next -----------------------------


def _setup_as_stored(app, slug: str):
    """``slug``'s setup (plantao.services.roster.TeamSetup) as reading it from the database gives it."""
    from plantao.services.context import ServiceContext
    from plantao.services.roster import RosterService
    from plantao.engine.materialize import effective_instant
    from plantao.models import Team

    with app.registry["dbsession_factory"]() as session:
        team = session.query(Team).filter_by(slug=slug).one()
        service = RosterService(ServiceContext(session, app.registry.plantao_settings, app.registry.plugins))
        now = utcnow()
        return service.team_setup(team, now, effective_instant(now) + service.horizon)


def test_the_next_override_takes_the_teams_setup_from_memory(two_teams, app, clean_engine, an_override):
    """An override changes no rotation nor holiday: the team's next override takes them from
    the roster in memory (carried to the revision the first one committed) instead of reading
    the rotations again, and they are the ones stored."""
    model = app.registry.read_model
    an_override(days=2, hours=3)
    infra = model.current().team("infra")
    assert infra.setup is not None and infra.setup == _setup_as_stored(app, "infra")
    with statements(clean_engine) as seen:
        an_override(days=3, hours=3)
    assert not [s for s in seen if "FROM rotations" in s or "FROM leaves" in s or "FROM overrides" in s]
    if clean_engine.dialect.name == "postgresql":
        # The team is read and locked in one statement, and not read again.
        team_reads = [s for s in seen if "FROM teams" in s]
        assert len(team_reads) == 1 and "FOR UPDATE" in team_reads[0], team_reads
    now_held = model.current().team("infra")
    assert now_held.revision == infra.revision + 1
    assert now_held.setup.rotations is infra.setup.rotations  # carried, with the new override
    assert now_held.setup == _setup_as_stored(app, "infra")


def test_a_rotation_changed_between_two_overrides_is_read_again(two_teams, app, admin_headers, an_override):
    """Any other change of the team moves its revision without carrying the setup: the next
    override reads the rotations as they now are (a member replaced never comes back)."""
    model = app.registry.read_model
    an_override(days=2, hours=3)
    rotation = two_teams.get("/api/v1/teams/infra/rotations", headers=admin_headers).json["rotations"][0]
    bruno = next(s.person.id for s in model.current().team("infra").shifts if s.person.name == "Bruno")
    dora = two_teams.post_json("/api/v1/people", {"name": "Dora"}, headers=admin_headers).json["id"]
    members = [dora if person == bruno else person for person in rotation["members"]]
    two_teams.patch_json(f"/api/v1/teams/infra/rotations/{rotation['id']}", {"members": members},
                         headers=admin_headers)
    assert model.current().team("infra").setup is None
    an_override(days=5, hours=3)
    future = [s for s in model.current().team("infra").shifts if s.end > utcnow() + timedelta(minutes=1)]
    assert bruno not in {s.person.id for s in future}
    assert model.current().team("infra").setup == _setup_as_stored(app, "infra")


def test_another_instances_change_is_not_hidden_by_the_setup_held_here(
    two_teams, app, app_with, admin_headers, an_override
):
    """The setup held here is for the revision it was carried to: after another instance
    changed the rotations, the revision read under the team's lock differs and the rotations
    are read again, even before this instance looked at the new revision."""
    import webtest

    model = app.registry.read_model
    model.freshness = 3600  # this instance does not look at the database again by itself
    an_override(days=2, hours=3)
    held = model.current().team("infra")
    assert held.setup is not None
    other = webtest.TestApp(app_with())
    rotation = other.get("/api/v1/teams/infra/rotations", headers=admin_headers).json["rotations"][0]
    bruno = next(s.person.id for s in held.shifts if s.person.name == "Bruno")
    dora = other.post_json("/api/v1/people", {"name": "Dora"}, headers=admin_headers).json["id"]
    other.patch_json(f"/api/v1/teams/infra/rotations/{rotation['id']}",
                     {"members": [dora if person == bruno else person for person in rotation["members"]]},
                     headers=admin_headers)
    assert model.current().team("infra") is held  # not looked at yet
    an_override(days=5, hours=3)
    future = [s for s in model.current().team("infra").shifts if s.end > utcnow() + timedelta(minutes=1)]
    assert bruno not in {s.person.id for s in future}


def _holders(model, slug: str, outside: tuple, since) -> list:
    """Who holds ``slug``'s primary role each hour of the ten days after ``since``, but within ``outside``.

    ``since`` is read once by the caller: two lists compared must ask the
    same instants, even when the hour turns between them.
    """
    first = since.replace(minute=30, second=0, microsecond=0) + timedelta(hours=1)
    instants = (first + timedelta(hours=hour) for hour in range(240))
    return [(instant, _holder_at(model, slug, instant)) for instant in instants
            if not outside[0] <= instant < outside[1]]


@pytest.mark.parametrize("change", ["leave", "departure"])
def test_a_change_of_a_members_time_away_between_two_overrides_is_read_again(
    two_teams, app, admin_headers, change
):
    """Leave and departures are part of the setup carried from one override to the next:
    a change of them moves the team's revision, so the next override reads them again and
    changes nobody's turn outside its stretch (Bruno, away, does not get back the rest of
    the shift the override lands in)."""
    model = app.registry.read_model
    shifts = model.current().team("infra").shifts
    ana = next(s.person.id for s in shifts if s.person.name == "Ana")

    def override(start, hours):
        two_teams.post_json("/api/v1/teams/infra/overrides",
                            {"person": ana, "start": start.isoformat(),
                             "end": (start + timedelta(hours=hours)).isoformat()}, headers=admin_headers)

    override((utcnow() + timedelta(days=1)).replace(microsecond=0), 3)
    assert model.current().team("infra").setup is not None
    bruno = next(s for s in shifts if s.person.name == "Bruno" and s.start > utcnow() + timedelta(days=4))
    if change == "leave":
        two_teams.post_json(f"/api/v1/people/{bruno.person.id}/leave",
                            {"start": bruno.start.isoformat(), "end": bruno.end.isoformat()}, headers=admin_headers)
    else:
        two_teams.delete(f"/api/v1/people/{bruno.person.id}", headers=admin_headers)
    assert _holder_at(model, "infra", bruno.start + timedelta(hours=1)) != bruno.person.id  # the change took
    start = bruno.start + timedelta(hours=2)
    stretch = (start - timedelta(seconds=1), start + timedelta(hours=3, seconds=1))
    since = utcnow()
    before = _holders(model, "infra", stretch, since)
    override(start, 3)
    assert _holders(model, "infra", stretch, since) == before


def _holder_at(model, slug: str, instant):
    return next(
        (s.person.id for s in model.current().team(slug).shifts if s.role == "primary" and s.start <= instant < s.end),
        None,
    )
