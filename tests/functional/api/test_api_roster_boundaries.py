"""An edit never cuts a shift at the moment it was made (issue 9, section 1).

Every scenario runs at a fixed instant that is *not* a whole minute
(Wednesday 10:30:12.345678 in São Paulo), the way a real request arrives.
The clock is frozen where writes and reads take "now" from, so the tests
can name every boundary exactly: the shift in progress started on Monday at
09:00, and a change that has already begun takes effect at 10:31:00.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest

UTC = timezone.utc
WEEK = timedelta(weeks=1)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")


def at_local(day: date, clock: str = "00:00") -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=SAO_PAULO)


def iso_local(day: date, clock: str = "00:00") -> str:
    """What the API answers for that wall-clock time in São Paulo."""
    return at_local(day, clock).isoformat()

#: The modules that read the clock on the write and "now" paths.
CLOCK_READERS = (
    "plantao.services.roster",
    "plantao.services.rotations",
    "plantao.services.people",
    "plantao.services.oncall",
)


@pytest.fixture
def this_monday(today) -> date:
    return today - timedelta(days=today.weekday())


@pytest.fixture
def now(monkeypatch, this_monday) -> datetime:
    """Wednesday 10:30:12.345678, São Paulo time: the instant of every write."""
    frozen = at_local(this_monday + timedelta(days=2), "10:30:12.345678").astimezone(UTC)
    for module in CLOCK_READERS:
        monkeypatch.setattr(f"{module}.utcnow", lambda: frozen)
    return frozen


@pytest.fixture
def people(admin):
    return {name: admin.post("/api/v1/people", {"name": name}, status=201).json for name in ("Ana", "Bia", "Caio", "Davi")}


@pytest.fixture
def weekly(admin, now, people, this_monday, make_team):
    """Ana, Bia, Caio weekly from Monday 09:00 three weeks ago: Ana holds this week."""
    make_team("infra")
    members = [people[name]["id"] for name in ("Ana", "Bia", "Caio")]
    return admin.post(
        "/api/v1/teams/infra/rotations",
        {"name": "Semanal", "policy": "weekly", "members": members, "start": iso_local(this_monday - 3 * WEEK, "09:00")},
        status=201,
    ).json


def shifts(testapp, this_monday, weeks: int = 3) -> list[dict]:
    params = {"start": iso_local(this_monday - WEEK), "end": iso_local(this_monday + weeks * WEEK), "limit": 1000}
    return testapp.get("/api/v1/teams/infra/shifts", params=params).json["shifts"]


def spans(found: list[dict]) -> list[tuple[str, str, str, str]]:
    return [(s["person"]["name"], s["source"], s["start"], s["end"]) for s in found]


def running(found: list[dict], moment: datetime) -> dict:
    return next(s for s in found if datetime.fromisoformat(s["start"]) <= moment < datetime.fromisoformat(s["end"]))


def assert_whole(found: list[dict]) -> None:
    """No boundary at the write's second, no microseconds, no abutting twins."""
    for shift in found:
        for field in ("start", "end"):
            moment = datetime.fromisoformat(shift[field])
            assert moment.second == moment.microsecond == 0, shift
    for before, after in pairwise(sorted(found, key=lambda s: (s["role"], s["start"]))):
        if before["role"] == after["role"] and before["end"] == after["start"]:
            assert (before["person"]["id"], before["source"]) != (after["person"]["id"], after["source"]), (before, after)


def test_an_override_later_in_the_running_shift_keeps_its_start(admin, testapp, weekly, people, now, this_monday):
    before = running(shifts(testapp, this_monday), now)
    thursday = this_monday + timedelta(days=3)

    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Davi"]["id"], "start": iso_local(thursday, "10:00"), "end": iso_local(thursday, "12:00")},
        status=201,
    )

    after = shifts(testapp, this_monday)
    current = running(after, now)
    assert (current["id"], current["start"]) == (before["id"], iso_local(this_monday, "09:00"))
    assert [s for s in spans(after) if this_monday <= date.fromisoformat(s[2][:10]) < this_monday + WEEK] == [
        ("Ana", "rotation", iso_local(this_monday, "09:00"), iso_local(thursday, "10:00")),
        ("Davi", "override", iso_local(thursday, "10:00"), iso_local(thursday, "12:00")),
        ("Ana", "rotation", iso_local(thursday, "12:00"), iso_local(this_monday + WEEK, "09:00")),
    ]
    assert_whole(after)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda admin, weekly, people, monday: admin.patch(
            f"/api/v1/teams/infra/rotations/{weekly['id']}", {"name": "Renamed"}, status=200
        ), id="rotation-rename"),
        pytest.param(lambda admin, weekly, people, monday: admin.post(
            f"/api/v1/people/{people['Caio']['id']}/leave",
            {"start": iso_local(monday + timedelta(days=3)), "end": iso_local(monday + timedelta(days=5))},
            status=201,
        ), id="leave-for-someone-else"),
        pytest.param(lambda admin, weekly, people, monday: admin.patch(
            f"/api/v1/teams/infra/rotations/{weekly['id']}",
            {"members": [people[n]["id"] for n in ("Caio", "Ana", "Bia", "Davi")]},
            status=200,
        ), id="member-change"),
        pytest.param(lambda admin, weekly, people, monday: admin.patch(
            "/api/v1/teams/infra", {"name": "Infraestrutura"}, status=200
        ), id="team-rename"),
    ],
)
def test_a_change_that_does_not_alter_the_running_shift_leaves_it_alone(
    admin, testapp, weekly, people, now, this_monday, change
):
    before = running(shifts(testapp, this_monday), now)

    change(admin, weekly, people, this_monday)

    after = shifts(testapp, this_monday)
    assert running(after, now) == before
    assert before["start"] == iso_local(this_monday, "09:00")
    assert_whole(after)


def test_an_override_already_begun_takes_over_at_the_next_whole_minute(admin, testapp, weekly, people, now, this_monday):
    wednesday = this_monday + timedelta(days=2)
    before = running(shifts(testapp, this_monday), now)

    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Davi"]["id"], "start": iso_local(wednesday, "08:00"), "end": iso_local(wednesday, "18:00")},
        status=201,
    )

    after = shifts(testapp, this_monday)
    this_week = [s for s in spans(after) if s[2] >= iso_local(this_monday, "09:00") and s[2] < iso_local(this_monday + WEEK)]
    assert this_week == [
        ("Ana", "rotation", iso_local(this_monday, "09:00"), iso_local(wednesday, "10:31")),
        ("Davi", "override", iso_local(wednesday, "10:31"), iso_local(wednesday, "18:00")),
        ("Ana", "rotation", iso_local(wednesday, "18:00"), iso_local(this_monday + WEEK, "09:00")),
    ]
    assert running(after, now)["id"] == before["id"]
    assert_whole(after)
    oncall = testapp.get("/api/v1/teams/infra/oncall").json
    assert oncall["next_handoff"]["at"] == iso_local(wednesday, "10:31")


def test_pieces_with_the_same_holder_are_one_shift(admin, testapp, weekly, people, now, this_monday):
    thursday = this_monday + timedelta(days=3)
    davi = people["Davi"]["id"]
    for start, end in (("10:00", "12:00"), ("12:00", "14:00")):
        admin.post(
            "/api/v1/teams/infra/overrides",
            {"person": davi, "start": iso_local(thursday, start), "end": iso_local(thursday, end)},
            status=201,
        )
    after = shifts(testapp, this_monday)
    assert ("Davi", "override", iso_local(thursday, "10:00"), iso_local(thursday, "14:00")) in spans(after)
    assert_whole(after)

    # Ana's shift around the override becomes whole again once it is gone.
    for override in admin.get("/api/v1/teams/infra/overrides").json["overrides"]:
        admin.delete(f"/api/v1/teams/infra/overrides/{override['id']}", status=204)
    after = shifts(testapp, this_monday)
    assert running(after, now)["end"] == iso_local(this_monday + WEEK, "09:00")
    assert running(after, now)["start"] == iso_local(this_monday, "09:00")
    assert_whole(after)


def test_a_one_member_rotation_is_one_shift_not_one_per_week(admin, testapp, now, people, this_monday, make_team):
    make_team("solo")
    admin.post(
        "/api/v1/teams/solo/rotations",
        {"name": "Solo", "policy": "weekly", "members": [people["Ana"]["id"]], "start": iso_local(this_monday, "09:00")},
        status=201,
    )
    params = {"start": iso_local(this_monday), "end": iso_local(this_monday + 4 * WEEK)}
    found = testapp.get("/api/v1/teams/solo/shifts", params=params).json["shifts"]
    assert len(found) == 1 and found[0]["start"] == iso_local(this_monday, "09:00")


@pytest.mark.parametrize(
    "start, end",
    [("08:00", "09:00"), ("10:00", "10:30:40")],
    ids=["ended", "ends-before-the-next-whole-minute"],
)
def test_an_override_that_would_only_change_the_past_is_a_422(admin, testapp, weekly, people, now, this_monday, start, end):
    wednesday = this_monday + timedelta(days=2)
    before = shifts(testapp, this_monday)

    response = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Davi"]["id"], "start": iso_local(wednesday, start), "end": iso_local(wednesday, end)},
        status=422,
    )

    assert "only change the past" in response.json["error"]
    assert response.json["details"][0]["field"] == "end"
    assert admin.get("/api/v1/teams/infra/overrides").json["overrides"] == []
    assert shifts(testapp, this_monday) == before


def test_leave_that_would_only_change_the_past_is_a_422(admin, weekly, people, now, this_monday):
    response = admin.post(
        f"/api/v1/people/{people['Ana']['id']}/leave",
        {"start": iso_local(this_monday - WEEK), "end": iso_local(this_monday)},
        status=422,
    )
    assert "only change the past" in response.json["error"]
    assert admin.get(f"/api/v1/people/{people['Ana']['id']}/leave").json["leave"] == []


@pytest.fixture
def ended_override(admin, weekly, people, now, this_monday, monkeypatch) -> dict:
    """Davi's override of Wednesday 12:00-13:00, with the clock moved on to 14:00."""
    wednesday = this_monday + timedelta(days=2)
    override = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Davi"]["id"], "start": iso_local(wednesday, "12:00"), "end": iso_local(wednesday, "13:00")},
        status=201,
    ).json
    later = at_local(wednesday, "14:00").astimezone(UTC)
    for module in CLOCK_READERS:
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    return override


def test_deleting_an_override_that_ended_is_a_422_and_keeps_it(admin, ended_override):
    override = ended_override
    response = admin.delete(f"/api/v1/teams/infra/overrides/{override['id']}", status=422)

    assert "only change the past" in response.json["error"]
    assert [o["id"] for o in admin.get("/api/v1/teams/infra/overrides").json["overrides"]] == [override["id"]]


def test_a_dated_change_in_the_past_applies_from_the_next_whole_minute_and_says_so(
    admin, testapp, weekly, people, now, this_monday
):
    members = [people[n]["id"] for n in ("Bia", "Caio", "Ana")]
    before = running(shifts(testapp, this_monday), now)

    answer = admin.patch(
        f"/api/v1/teams/infra/rotations/{weekly['id']}",
        {"members": members, "effective_from": iso_local(this_monday - timedelta(days=1))},
        status=200,
    ).json

    assert answer["effective_from"] == iso_local(this_monday + timedelta(days=2), "10:31")
    versions = [v["effective_from"] for v in answer["versions"]]
    assert versions[-1] == iso_local(this_monday + timedelta(days=2), "10:31")
    after = shifts(testapp, this_monday)
    assert running(after, now) == before
    assert_whole(after)


def test_a_dated_change_ahead_is_answered_with_its_own_date(admin, weekly, people, now, this_monday):
    members = [people[n]["id"] for n in ("Bia", "Caio", "Ana")]
    answer = admin.patch(
        f"/api/v1/teams/infra/rotations/{weekly['id']}",
        {"members": members, "effective_from": iso_local(this_monday + 2 * WEEK)},
        status=200,
    ).json
    assert answer["effective_from"] == iso_local(this_monday + 2 * WEEK)


def test_a_change_from_now_is_answered_with_the_next_whole_minute(admin, weekly, people, now, this_monday):
    answer = admin.patch(
        f"/api/v1/teams/infra/rotations/{weekly['id']}",
        {"members": [people[n]["id"] for n in ("Bia", "Caio", "Ana")]},
        status=200,
    ).json
    assert answer["effective_from"] == iso_local(this_monday + timedelta(days=2), "10:31")


def _events(body: str) -> dict[str, dict[str, str]]:
    """UID -> {SEQUENCE, SUMMARY, DTSTART} of every VEVENT (lines unfolded)."""
    text = re.sub(r"\r\n[ \t]", "", body)
    events = {}
    for block in text.split("BEGIN:VEVENT")[1:]:
        fields = dict(
            line.split(":", 1) for line in block.split("END:VEVENT")[0].splitlines() if ":" in line
        )
        fields = {name.split(";")[0]: value for name, value in fields.items()}
        events[fields["UID"]] = fields
    return events


def test_a_shift_keeps_its_uid_when_an_override_covers_it_whole(admin, testapp, weekly, people, now, this_monday):
    params = {"start": iso_local(this_monday + WEEK), "end": iso_local(this_monday + 2 * WEEK)}
    before = _events(testapp.get("/api/v1/teams/infra/export.ics", params=params).text)
    (uid, event), = [(u, e) for u, e in before.items() if "Bia" in e["SUMMARY"]]

    admin.post(
        "/api/v1/teams/infra/overrides",
        {
            "person": people["Davi"]["id"],
            "start": iso_local(this_monday + WEEK, "09:00"),
            "end": iso_local(this_monday + 2 * WEEK, "09:00"),
        },
        status=201,
    )

    after = _events(testapp.get("/api/v1/teams/infra/export.ics", params=params).text)
    assert uid in after, "the event is updated in place, not replaced"
    assert "Davi" in after[uid]["SUMMARY"] and int(after[uid]["SEQUENCE"]) > int(event.get("SEQUENCE", "0"))


def test_json_export_times_carry_no_microseconds(admin, testapp, weekly, people, now, this_monday):
    wednesday = this_monday + timedelta(days=2)
    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Davi"]["id"], "start": iso_local(wednesday, "08:00"), "end": iso_local(wednesday, "18:00")},
        status=201,
    )
    params = {"start": iso_local(this_monday - WEEK), "end": iso_local(this_monday + 3 * WEEK)}
    body = testapp.get("/api/v1/teams/infra/export.json", params=params).text
    assert re.findall(r'"(?:start|end)":\s*"[^"]*\.\d+', body) == []
    assert iso_local(wednesday, "10:31") in body


def test_the_admin_panel_says_why_an_ended_override_cannot_be_removed(app, admin, ended_override, csrf):
    import webtest

    from tests.conftest import ADMIN_PASSWORD

    override = ended_override
    browser = webtest.TestApp(app, extra_environ={"REMOTE_ADDR": "192.0.2.21"})
    form = browser.get("/admin/login").forms[0]
    form["password"] = ADMIN_PASSWORD
    form.submit(status=303)
    page = browser.get("/admin/teams/infra/overrides")
    token = csrf(page)

    answer = browser.post(
        f"/admin/teams/infra/overrides/{override['id']}/delete", {"csrf_token": token}, status=303
    ).follow()

    assert "o passado fica como aconteceu" in answer.text
    assert [o["id"] for o in admin.get("/api/v1/teams/infra/overrides").json["overrides"]] == [override["id"]]


@pytest.mark.parametrize(
    "end, expected",
    [
        (datetime(2026, 12, 2, 10, 0, tzinfo=SAO_PAULO), "This has already ended"),
        (datetime(2026, 12, 2, 10, 30, 40, tzinfo=SAO_PAULO), "This ends before the next whole minute"),
    ],
)
def test_the_admin_panel_tells_ended_from_ending_before_the_next_minute(end, expected):
    from plantao.services.errors import Invalid
    from plantao.services.roster import refuse_past_only
    from plantao.views.admin import form_errors

    now = datetime(2026, 12, 2, 10, 30, 12, 345678, tzinfo=SAO_PAULO)
    with pytest.raises(Invalid) as refusal:
        refuse_past_only("This override", now - timedelta(hours=1), end, SAO_PAULO, now=now)

    fields, general = form_errors(lambda msgid, **values: msgid, refusal.value)
    assert general == [] and fields["end"][0].startswith(expected)


def test_deleting_an_override_part_of_which_ended_forgets_it_on_that_part_in_memory_too(
    admin, app, weekly, people, now, this_monday, monkeypatch
):
    """The database forgets a deleted override on every shift that named it, the ended part
    too; the writer's own roster in memory (handed over, not read again) does the same."""
    from plantao.read_model import load_teams

    wednesday = this_monday + timedelta(days=2)
    davi = admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Davi"]["id"], "start": iso_local(wednesday, "11:00"),
         "end": iso_local(wednesday + timedelta(days=2)), "reason": "viagem"},
        status=201,
    ).json
    # Bia's hour inside it leaves Davi's first hour a shift of its own...
    admin.post(
        "/api/v1/teams/infra/overrides",
        {"person": people["Bia"]["id"], "start": iso_local(wednesday, "12:00"), "end": iso_local(wednesday, "13:00")},
        status=201,
    )
    later = at_local(wednesday, "14:00").astimezone(UTC)
    for module in CLOCK_READERS:
        monkeypatch.setattr(f"{module}.utcnow", lambda: later)
    model = app.registry.read_model
    loads = model.loads
    admin.delete(f"/api/v1/teams/infra/overrides/{davi['id']}", status=204)  # ...which has ended by now

    held = model.current().team("infra")
    assert model.loads == loads
    with model.session_factory() as session:
        reloaded = load_teams(session, [held.team.id], dict(model.current().people), held.window_start)[held.team.id]
    assert held.shifts == reloaded.shifts
    ended = next(s for s in held.shifts if s.person.name == "Davi" and s.end <= later)
    assert (ended.override_id, ended.reason) == (None, "")
