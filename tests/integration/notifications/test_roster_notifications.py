"""Notifications follow real changes only, and each coverage gap is announced once (issue 9).

The roster fixture is a daily rotation (09:00 in São Paulo) of Ana, Bruno
and Carla: Carla holds Monday T0, Ana Tuesday, Bruno Wednesday, Carla
Thursday.  The dispatcher runs in-process with explicit clocks, on SQLite
and PostgreSQL.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from sqlalchemy import select

from plantao.models import Delivery, Leave, OutboxEvent, Override, RosterGap, Team, TeamNotificationSettings
from plantao.notifications.dispatcher import Dispatcher
from plantao.notifications.events import render
from plantao.services.context import ServiceContext
from plantao.services.roster import RosterService

from notification_support import BOT_TOKEN, T0, WEBHOOK_SECRET, configure

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def make_dispatcher(session_factory, settings, plugins, **changes):
    changes = {"notify_backoff_seconds": 1, "notify_lease_seconds": 30, **changes}
    return Dispatcher(session_factory, dataclasses.replace(settings, **changes), plugins, name="test-dispatcher")


def change(write, settings, plugins, team_id, at, *rows):
    """Add ``rows`` and materialize the team at ``at``, as a write request does."""

    def work(db):
        db.add_all(rows)
        db.flush()
        RosterService(ServiceContext(db, settings, plugins)).materialize(db.get(Team, team_id), at)

    write(work)


def events(write, kind, since_id=0):
    return write(lambda db: [
        (e.id, e.payload) for e in db.scalars(
            select(OutboxEvent).where(OutboxEvent.kind == kind, OutboxEvent.id > since_id).order_by(OutboxEvent.id))
    ])


def last_event_id(write) -> int:
    return write(lambda db: max(db.scalars(select(OutboxEvent.id)).all(), default=0))


def starts(payloads) -> list[str]:
    return [payload["shift"]["start"] for _, payload in payloads]


# -- reminders and handoffs -----------------------------------------------------------


def test_holding_on_past_a_boundary_sends_no_reminder_and_no_handoff(roster, write, settings, plugins,
                                                                    session_factory):
    team_id = roster["team"]
    carla = roster["people"][2]
    write(lambda db: db.add(TeamNotificationSettings(team_id=team_id, reminder_leads=[1440, 60], digest_weekday=6,
                                                     digest_time="23:00", gap_lookahead_hours=0)))
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0 - timedelta(minutes=5))
    # Carla's Monday shift is running; she also takes Tuesday morning (Ana's).
    # A change made mid-shift, 12 seconds past a minute.
    at = T0 + 3 * HOUR + timedelta(seconds=12)
    change(write, settings, plugins, team_id, at,
           Override(team_id=team_id, person_id=carla, role="primary", start=T0 + DAY, end=T0 + DAY + 6 * HOUR),
           # Later in her own shift, an override by herself: the same person holds on.
           Override(team_id=team_id, person_id=carla, role="primary", start=T0 + 5 * HOUR, end=T0 + 7 * HOUR))
    before = last_event_id(write)
    now = at + timedelta(seconds=30)
    while now < T0 + DAY + 7 * HOUR:
        dispatcher.run_once(now)
        now += timedelta(minutes=20)

    reminders = [p for p in events(write, "reminder", before) if p[1]["shift"]["person"] == carla]
    handoffs = [p for p in events(write, "handoff", before) if p[1]["shift"]["person"] == carla]
    # Carla is on duty from Monday 09:00 to Tuesday 15:00 without a break:
    # nothing "starts" for her at 14:00 or 16:00 on Monday, nor on Tuesday 09:00.
    assert reminders == [] and handoffs == []
    # Ana takes over at 15:00 on Tuesday: that handoff is real, and Ana was reminded of it.
    ana_handoffs = [p for _, p in events(write, "handoff", before) if p["shift"]["person"] == roster["people"][0]]
    assert [p["shift"]["start"] for p in ana_handoffs] == [(T0 + DAY + 6 * HOUR).isoformat()]
    assert ana_handoffs[0]["previous"]["person"] == carla
    ana_reminders = [p for _, p in events(write, "reminder", before) if p["shift"]["person"] == roster["people"][0]]
    assert {p["shift"]["start"] for p in ana_reminders} == {(T0 + DAY + 6 * HOUR).isoformat()}


def test_a_change_that_leaves_every_holder_in_place_tells_nobody(roster, write, settings, plugins):
    team_id = roster["team"]
    carla = roster["people"][2]
    before = last_event_id(write)
    change(write, settings, plugins, team_id, T0 + 3 * HOUR + timedelta(seconds=12),
           Override(team_id=team_id, person_id=carla, role="primary", start=T0 + 5 * HOUR, end=T0 + 7 * HOUR))
    assert events(write, "roster_changed", before) == []


def test_the_outgoing_person_is_not_named_as_their_own_predecessor(roster, write, settings, plugins,
                                                                  session_factory, receiver):
    team_id = roster["team"]
    ana, bruno, _ = roster["people"]
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0 + 2 * DAY - timedelta(minutes=1))
    configure(write, team_id, "telegram", {"bot_token": BOT_TOKEN, "api_base": receiver.url}, events=[])
    dispatcher.run_once(T0 + 2 * DAY + timedelta(minutes=1))  # Wednesday 09:00: Ana hands over to Bruno

    handoffs = write(lambda db: {d.person_id: d.message for d in db.scalars(
        select(Delivery).where(Delivery.kind == "handoff"))})
    outgoing, incoming = handoffs[ana]["text"], handoffs[bruno]["text"]
    assert "Ana, seu plantão primário em Infra terminou; Bruno assume." in outgoing
    assert "Anterior" not in outgoing and "Previous" not in outgoing
    assert "Anterior: Ana." in incoming
    to_ana = [r.json["text"] for r in receiver.on(f"/bot{BOT_TOKEN}/sendMessage") if r.json["chat_id"] == "1001"]
    assert to_ana and not any("Anterior: Ana" in text for text in to_ana)


# -- roster changes -------------------------------------------------------------------


def test_a_partial_override_tells_the_holder_which_part_went_to_whom(roster, write, settings, plugins,
                                                                    session_factory, receiver):
    team_id = roster["team"]
    ana, bruno, _ = roster["people"]
    configure(write, team_id, "telegram", {"bot_token": BOT_TOKEN, "api_base": receiver.url}, events=[])
    write(lambda db: db.add(TeamNotificationSettings(team_id=team_id, reminder_leads=[], digest_weekday=6,
                                                     digest_time="23:00", gap_lookahead_hours=0)))
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0)
    before = last_event_id(write)
    # Bruno takes Tuesday 10:00-12:00 (São Paulo) out of Ana's Tuesday shift.
    start, end = T0 + DAY + HOUR, T0 + DAY + 3 * HOUR
    change(write, settings, plugins, team_id, T0 + timedelta(minutes=1),
           Override(team_id=team_id, person_id=bruno, role="primary", start=start, end=end))

    (_, payload), = events(write, "roster_changed", before)
    assert payload["changes"] == [{
        "change": "reassigned",
        "shift": {"id": payload["changes"][0]["shift"]["id"], "role": "primary", "person": bruno,
                  "person_name": "Bruno", "start": start.isoformat(), "end": end.isoformat()},
        "from_person": ana, "from_person_name": "Ana",
    }]

    dispatcher.run_once(T0 + timedelta(minutes=2))
    texts = write(lambda db: {d.person_id: d.message["text"] for d in db.scalars(
        select(Delivery).where(Delivery.kind == "roster_changed"))})
    assert "Reatribuído: primário ter 04/03/2031 10:00 – ter 04/03/2031 12:00 para Bruno." in texts[ana]
    assert "Adicionado" not in texts[ana] and "Alterado" not in texts[ana]
    assert "Reatribuído: primário ter 04/03/2031 10:00 – ter 04/03/2031 12:00, de Ana para Bruno." in texts[bruno]
    english = render("roster_changed", payload, "en", "https://x", {"id": ana, "name": "Ana"}).text
    assert "Reassigned: primary Tue 2031-03-04 10:00 – Tue 2031-03-04 12:00 to Bruno." in english


def test_an_override_taking_the_rest_of_a_running_shift_reassigns_only_that_rest(roster, write, settings, plugins):
    team_id = roster["team"]
    bruno, carla = roster["people"][1:]
    before = last_event_id(write)
    at = T0 + 3 * HOUR + timedelta(seconds=12)  # Carla on duty since 09:00
    change(write, settings, plugins, team_id, at,
           Override(team_id=team_id, person_id=bruno, role="primary", start=at - HOUR, end=T0 + 6 * HOUR))

    (_, payload), = events(write, "roster_changed", before)
    (entry,) = payload["changes"]
    assert entry["change"] == "reassigned" and (entry["from_person"], entry["shift"]["person"]) == (carla, bruno)
    # From the first whole minute after the write, never from before it.
    assert entry["shift"]["start"] == (T0 + 3 * HOUR + timedelta(minutes=1)).isoformat()
    assert entry["shift"]["end"] == (T0 + 6 * HOUR).isoformat()


# -- coverage gaps --------------------------------------------------------------------


def everybody_away(roster, start, end):
    return [Leave(person_id=p, start=start, end=end, reason="x") for p in roster["people"]]


def gap_events(write, since_id=0):
    found = events(write, "coverage_gap", since_id)
    return ([p for _, p in found if not p.get("resolved")], [p for _, p in found if p.get("resolved")])


def test_a_gap_is_found_within_the_hour_and_announced_once_however_long_it_lasts(
    roster, write, settings, plugins, session_factory, receiver
):
    team_id = roster["team"]
    configure(write, team_id, "webhook", {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
              events=["coverage_gap"])
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0 + timedelta(minutes=1))
    # Nobody on Wednesday: a gap two days ahead, inside the 72 h lookahead.
    change(write, settings, plugins, team_id, T0 + timedelta(minutes=2),
           *everybody_away(roster, T0 + 2 * DAY, T0 + 3 * DAY))
    # Found at the next round, in the same hour.
    dispatcher.run_once(T0 + timedelta(minutes=3))
    announced, _ = gap_events(write)
    assert announced == [{"team": announced[0]["team"], "gaps": [
        {"role": "primary", "start": (T0 + 2 * DAY).isoformat(), "end": (T0 + 3 * DAY).isoformat()}]}]

    # Many rounds, before and during the gap, with the roster regenerated
    # now and then (another change, the horizon moving on): still once.
    now, rounds = T0 + timedelta(minutes=3), 0
    while now < T0 + 3 * DAY + 2 * HOUR:
        now += timedelta(minutes=37)
        rounds += 1
        dispatcher.run_once(now)
        if rounds % 10 == 0:
            change(write, settings, plugins, team_id, now + timedelta(seconds=7))
    assert rounds > 100
    announced, resolved = gap_events(write)
    assert len(announced) == 1 and resolved == []
    assert [r.json["event"] for r in receiver.on("/hook")] == ["coverage_gap"]
    # The stored gap kept its identity throughout.
    rows = write(lambda db: [(g.role, g.start, g.end) for g in db.scalars(select(RosterGap))])
    assert rows == [("primary", T0 + 2 * DAY, T0 + 3 * DAY)]


def test_a_covered_gap_says_so_once(roster, write, settings, plugins, session_factory, receiver):
    team_id = roster["team"]
    bruno = roster["people"][1]
    configure(write, team_id, "webhook", {"url": f"{receiver.url}/hook", "secret": WEBHOOK_SECRET},
              events=["coverage_gap"], language="pt-BR")
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0)
    change(write, settings, plugins, team_id, T0 + timedelta(minutes=1),
           *everybody_away(roster, T0 + 2 * DAY, T0 + 3 * DAY))
    dispatcher.run_once(T0 + timedelta(minutes=2))
    # The gap is under way when a volunteer covers the rest of it, from the
    # next whole minute (as the API stores an override that begins now).
    at = T0 + 2 * DAY + 2 * HOUR + timedelta(seconds=5)
    covered = T0 + 2 * DAY + 2 * HOUR + timedelta(minutes=1)
    dispatcher.run_once(at - timedelta(seconds=1))
    change(write, settings, plugins, team_id, at,
           Override(team_id=team_id, person_id=bruno, role="primary", start=covered, end=T0 + 3 * DAY))
    for step in range(1, 40):
        dispatcher.run_once(at + step * timedelta(minutes=13))
        if step % 10 == 0:
            change(write, settings, plugins, team_id, at + step * timedelta(minutes=13))

    announced, resolved = gap_events(write)
    assert len(announced) == 1
    assert resolved == [{"team": resolved[0]["team"], "resolved": True, "gaps": [
        {"role": "primary", "start": covered.isoformat(), "end": (T0 + 3 * DAY).isoformat()}]}]
    texts = [r.json["text"] for r in receiver.on("/hook")]
    assert len(texts) == 2 and texts[1].startswith("Lacuna coberta na escala de Infra")
    # What stayed uncovered is on record; nothing is left to announce.
    rows = write(lambda db: [(g.start, g.end) for g in db.scalars(select(RosterGap))])
    assert rows == [(T0 + 2 * DAY, covered)]


def test_a_gap_reopened_after_being_covered_is_announced_again(roster, write, settings, plugins, session_factory):
    team_id = roster["team"]
    bruno = roster["people"][1]
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0)
    change(write, settings, plugins, team_id, T0 + timedelta(minutes=1),
           *everybody_away(roster, T0 + 2 * DAY, T0 + 3 * DAY))
    dispatcher.run_once(T0 + timedelta(minutes=2))
    cover = Override(team_id=team_id, person_id=bruno, role="primary", start=T0 + 2 * DAY, end=T0 + 3 * DAY)
    change(write, settings, plugins, team_id, T0 + timedelta(minutes=3), cover)
    dispatcher.run_once(T0 + timedelta(minutes=4))

    def uncover(db):
        db.delete(db.get(Override, cover.id))
        db.flush()
        RosterService(ServiceContext(db, settings, plugins)).materialize(db.get(Team, team_id), T0 + timedelta(minutes=5))

    write(uncover)
    dispatcher.run_once(T0 + timedelta(minutes=6))
    dispatcher.run_once(T0 + timedelta(minutes=7))
    announced, resolved = gap_events(write)
    assert len(announced) == 2 and len(resolved) == 1


def test_a_gap_beyond_the_lookahead_is_announced_when_it_comes_within_it(roster, write, settings, plugins,
                                                                        session_factory):
    team_id = roster["team"]
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0)
    change(write, settings, plugins, team_id, T0 + timedelta(minutes=1),
           *everybody_away(roster, T0 + 5 * DAY, T0 + 6 * DAY))
    dispatcher.run_once(T0 + timedelta(minutes=2))
    assert gap_events(write) == ([], [])
    # 72 hours before it starts, give or take a round.
    dispatcher.run_once(T0 + 2 * DAY - timedelta(minutes=10))
    assert gap_events(write) == ([], [])
    dispatcher.run_once(T0 + 2 * DAY + timedelta(minutes=10))
    announced, _ = gap_events(write)
    assert len(announced) == 1


def test_a_roster_that_starts_later_is_one_gap_announced_once(roster, write, settings, plugins, session_factory):
    """Before anything ever covered a role the gap starts at the first whole minute after the write; it is one gap."""
    dispatcher = make_dispatcher(session_factory, settings, plugins)
    dispatcher.run_once(T0)

    def late_rotation(db):
        from plantao.models import Rotation, RotationVersion

        team = Team(slug="late", name="Late", timezone="America/Sao_Paulo", holiday_country="BR")
        db.add(team)
        db.flush()
        rotation = Rotation(team_id=team.id, name="Semanal", policy="weekly", role="primary", priority=0,
                            start=T0 + 2 * DAY)
        rotation.versions = [RotationVersion(effective_from=T0 + 2 * DAY, params={}, members=roster["people"],
                                             rules={}, restriction=None, turn_mode="calendar")]
        db.add(rotation)
        db.flush()
        RosterService(ServiceContext(db, settings, plugins)).materialize(team, T0 + timedelta(seconds=30))
        return team.id

    late = write(late_rotation)
    now = T0 + timedelta(minutes=1)
    for step in range(60):
        dispatcher.run_once(now)
        if step % 6 == 0:  # the roster regenerated from a later instant each time
            change(write, settings, plugins, late, now + timedelta(seconds=13))
        now += timedelta(minutes=23)
    announced, resolved = gap_events(write)
    assert [(p["team"]["slug"], p["gaps"][0]["end"]) for p in announced] == [("late", (T0 + 2 * DAY).isoformat())]
    assert resolved == []
    assert write(lambda db: [(g.start, g.end) for g in db.scalars(select(RosterGap).where(RosterGap.team_id == late))]) \
        == [(T0 + timedelta(minutes=1), T0 + 2 * DAY)], "a gap starts at a roster boundary or a whole minute, never at a write's clock"
