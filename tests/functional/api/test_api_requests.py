"""Cover and swap requests by staff (issue 13, section 3), through the JSON API.

The scenario: team "infra" with a daily rotation of Ana, Bia, Caio and Davi
(handoff 09:00), started four weeks before a Monday one to two weeks ahead,
so each holds one day in four.  People act through their action links
(``?token=``); the admin credential sets things up and acts for people.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from plantao.models import OutboxEvent, Override, Person, ShiftRequest


from tests.functional.request_scenario import API, holder, iso_local, make_daily, shift_of


def as_person(testapp, tokens, name, url, body=None, **kw):
    return testapp.post_json(f"{url}?token={tokens[name]}", body if body is not None else {}, **kw)


# -- cover ------------------------------------------------------------------------------------


def test_a_person_asks_for_cover_and_the_first_eligible_colleague_takes_it(
    testapp, admin, people, tokens, daily, monday, audit_log,
):
    shift = shift_of(testapp, "Ana", monday)

    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"], "note": "consulta médica"},
                      status=201).json

    assert asked["status"] == "open"
    assert asked["requester"] == {"id": people["Ana"]["id"], "name": "Ana"}
    assert (asked["start"], asked["end"], asked["role"]) == (shift["start"], shift["end"], "primary")
    assert {c["name"] for c in asked["candidates"]} == {"Bia", "Caio", "Davi"}
    # Fewest on-call hours in the last 90 days first; here all had about as many,
    # so the order is by hours, then name.
    hours = [c["hours_90d"] for c in asked["candidates"]]
    assert hours == sorted(hours)

    taken = as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=200).json
    assert taken["status"] == "done"
    assert taken["accepted_by"]["name"] == "Bia"
    assert taken["override"] is not None
    assert holder(testapp, iso_local(monday, "12:00")) == "Bia"

    second = as_person(testapp, tokens, "Caio", f"{API}/{asked['id']}/accept", status=409).json
    assert "done" in second["error"]
    actions = [(e["action"], e["entity"]) for e in audit_log() if e["entity"] in ("request", "override")]
    assert ("accept", "request") in actions and ("create", "override") in actions and ("create", "request") in actions


def test_part_of_a_shift_can_be_offered(testapp, people, tokens, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {
        "kind": "cover", "shift": shift["id"], "start": iso_local(monday, "13:00"), "end": iso_local(monday, "18:00"),
    }, status=201).json
    as_person(testapp, tokens, "Caio", f"{API}/{asked['id']}/accept", status=200)

    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"
    assert holder(testapp, iso_local(monday, "15:00")) == "Caio"
    assert holder(testapp, iso_local(monday, "19:00")) == "Ana"


def test_a_colleague_on_leave_is_not_offered_the_cover_nor_may_take_it(testapp, admin, people, tokens, daily, monday):
    admin.post(f"/api/v1/people/{people['Bia']['id']}/leave",
               {"start": (monday - timedelta(days=1)).isoformat(), "end": (monday + timedelta(days=2)).isoformat()},
               status=201)
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    assert "Bia" not in {c["name"] for c in asked["candidates"]}
    refused = as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=422).json
    assert "may not take this interval" in refused["error"]
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "open"


def test_the_rotations_rules_decide_who_is_eligible(testapp, admin, people, tokens, monday):
    # With 12 hours of rest between shifts, whoever works the day before or
    # after Ana's day cannot take hers: they would work 48 hours straight.
    make_daily(admin, people, monday, rules={"min_rest": {"hours": 12}})
    shift = shift_of(testapp, "Ana", monday)
    start = datetime.fromisoformat(shift["start"])
    before = holder(testapp, (start - timedelta(hours=1)).isoformat())
    after = holder(testapp, (start + timedelta(days=1, hours=1)).isoformat())

    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    names = {c["name"] for c in asked["candidates"]}
    assert before not in names and after not in names
    assert names == {"Bia", "Caio", "Davi"} - {before, after}
    as_person(testapp, tokens, after, f"{API}/{asked['id']}/accept", status=422)


def test_one_request_per_interval_and_only_future_own_shifts(testapp, admin, people, tokens, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    bias = shift_of(testapp, "Bia", monday)
    as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201)

    duplicate = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=409).json
    assert "already asks" in duplicate["error"]
    not_own = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": bias["id"]}, status=422).json
    assert "not the requester's" in not_own["error"]
    outside = as_person(testapp, tokens, "Ana", API, {
        "kind": "cover", "shift": shift["id"], "start": iso_local(monday, "08:00"), "end": iso_local(monday, "10:00"),
    }, status=422).json
    assert "within the shift" in outside["error"]
    for body in ({"kind": "later", "shift": shift["id"]}, {"kind": "cover"}, {"kind": "cover", "shift": "x"},
                 {"kind": "cover", "shift": shift["id"], "extra": 1}):
        as_person(testapp, tokens, "Ana", API, body, status=422)
    as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": 99999999}, status=404)


# -- swap -------------------------------------------------------------------------------------


def test_a_swap_with_a_colleagues_shift_becomes_two_overrides_sharing_a_swap_id(
    testapp, admin, people, tokens, daily, monday, clean_engine,
):
    mine = shift_of(testapp, "Ana", monday)
    theirs = shift_of(testapp, "Caio", monday + timedelta(days=1))

    asked = as_person(testapp, tokens, "Ana", API,
                      {"kind": "swap", "shift": mine["id"], "with_shift": theirs["id"]}, status=201).json
    assert asked["with"]["person"]["name"] == "Caio"
    assert [c["name"] for c in asked["candidates"]] == ["Caio"]
    as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=422)

    done = as_person(testapp, tokens, "Caio", f"{API}/{asked['id']}/accept", status=200).json

    assert done["status"] == "done" and done["swap_id"]
    assert holder(testapp, iso_local(monday, "12:00")) == "Caio"
    assert holder(testapp, (datetime.fromisoformat(theirs["start"]) + timedelta(hours=3)).isoformat()) == "Ana"
    with clean_engine.connect() as connection:
        pair = connection.execute(select(Override.person_id).where(Override.swap_id == done["swap_id"])).all()
    assert sorted(p for (p,) in pair) == sorted([people["Ana"]["id"], people["Caio"]["id"]])


# -- cancel, expire, obsolete ------------------------------------------------------------------


def test_the_requester_cancels_while_open_and_nobody_else_may(testapp, people, tokens, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/cancel", status=422)
    cancelled = as_person(testapp, tokens, "Ana", f"{API}/{asked['id']}/cancel", status=200).json

    assert cancelled["status"] == "cancelled" and cancelled["candidates"] == []
    as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=409)
    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"


def test_a_request_becomes_obsolete_when_the_requester_no_longer_holds_the_interval(
    testapp, admin, people, tokens, daily, monday, clean_engine,
):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    # An admin gives Ana's Monday afternoon to Davi directly.
    admin.post("/api/v1/teams/infra/overrides", {
        "person": people["Davi"]["id"], "start": iso_local(monday, "14:00"), "end": iso_local(monday, "16:00"),
    }, status=201)

    # Settled in the override's own commit, before anybody reads it.
    with clean_engine.connect() as connection:
        stored = connection.execute(select(ShiftRequest.status).where(ShiftRequest.id == asked["id"])).scalar_one()
    assert stored == "obsolete"
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "obsolete"
    as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=409)
    with clean_engine.connect() as connection:
        told = connection.execute(select(OutboxEvent.payload).where(OutboxEvent.kind == "request_updated")).all()
    assert any(p["step"] == "obsolete" and people["Ana"]["id"] in p["recipients"] for (p,) in told)


def test_a_request_expires_when_its_interval_starts(testapp, people, tokens, daily, monday, monkeypatch):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    later = datetime.fromisoformat(shift["start"]) + timedelta(minutes=1)
    monkeypatch.setattr("plantao.services.requests.utcnow", lambda: later)

    refused = as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=409).json

    assert "expired" in refused["error"]
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "expired"


# -- approval ---------------------------------------------------------------------------------


def test_with_admin_approval_an_accepted_request_waits_for_a_team_admin(testapp, admin, people, tokens, daily, monday):
    admin.patch("/api/v1/teams/infra", {"swap_approval": "admin"}, status=200)
    assert admin.get("/api/v1/teams/infra").json["swap_approval"] == "admin"
    shift = shift_of(testapp, "Ana", monday)
    first = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    waiting = as_person(testapp, tokens, "Bia", f"{API}/{first['id']}/accept", status=200).json
    assert waiting["status"] == "awaiting_approval"
    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"
    # A person cannot approve; a team admin (here the owner) can.
    as_person(testapp, tokens, "Bia", f"{API}/{first['id']}/approve", status=403)
    approved = admin.post(f"{API}/{first['id']}/approve", {}, status=200).json
    assert approved["status"] == "done"
    assert holder(testapp, iso_local(monday, "12:00")) == "Bia"

    second_shift = shift_of(testapp, "Caio", monday + timedelta(days=1))
    second = as_person(testapp, tokens, "Caio", API, {"kind": "cover", "shift": second_shift["id"]}, status=201).json
    as_person(testapp, tokens, "Davi", f"{API}/{second['id']}/accept", status=200)
    declined = admin.post(f"{API}/{second['id']}/decline", {"note": "Davi já está sobrecarregado"}, status=200).json
    assert declined["status"] == "declined"
    admin.post(f"{API}/{second['id']}/approve", {}, status=409)


def test_swap_approval_accepts_only_none_or_admin(admin, daily):
    admin.patch("/api/v1/teams/infra", {"swap_approval": "sometimes"}, status=422)
    assert admin.get("/api/v1/teams/infra").json["swap_approval"] == "none"


# -- who may act ------------------------------------------------------------------------------


def test_who_may_ask_and_act(testapp, admin, people, tokens, daily, monday, admin_headers):
    shift = shift_of(testapp, "Ana", monday)
    body = {"kind": "cover", "shift": shift["id"]}

    testapp.post_json(API, body, status=401)
    testapp.post_json(f"{API}?token=wrong-token", body, status=401)
    # An action link acts as its own person only.
    as_person(testapp, tokens, "Bia", API, {**body, "person": people["Ana"]["id"]}, status=403)
    # The owner acts for anybody: without "person", for the shift's holder.
    asked = admin.post(API, body, status=201).json
    assert asked["requester"]["name"] == "Ana"
    admin.post(f"{API}/{asked['id']}/accept", {}, status=422)  # nobody named, and the owner is nobody
    taken = admin.post(f"{API}/{asked['id']}/accept", {"person": people["Davi"]["id"]}, status=200).json
    assert taken["accepted_by"]["name"] == "Davi"


def test_write_tokens_act_for_people_of_their_teams_only(testapp, admin, people, tokens, daily, monday):
    admin.post("/api/v1/teams", {"slug": "outra", "name": "Outra"}, status=201)
    mine = admin.post("/api/v1/tokens", {"name": "bot", "scopes": ["write"], "teams": ["infra"]}, status=201).json
    other = admin.post("/api/v1/tokens", {"name": "alheio", "scopes": ["write"], "teams": ["outra"]}, status=201).json
    reader = admin.post("/api/v1/tokens", {"name": "leitor", "scopes": ["read"]}, status=201).json
    shift = shift_of(testapp, "Ana", monday)
    body = {"kind": "cover", "shift": shift["id"]}

    testapp.post_json(API, body, headers={"Authorization": f"Bearer {other['token']}"}, status=403)
    testapp.post_json(API, body, headers={"Authorization": f"Bearer {reader['token']}"}, status=403)
    asked = testapp.post_json(API, body, headers={"Authorization": f"Bearer {mine['token']}"}, status=201).json
    assert testapp.get(API, headers={"Authorization": f"Bearer {reader['token']}"}).json["requests"][0]["id"] == asked["id"]


def test_listing_filters_by_status_and_person(testapp, admin, people, tokens, daily, monday):
    ana = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift_of(testapp, "Ana", monday)["id"]},
                    status=201).json
    bia = as_person(testapp, tokens, "Bia", API, {"kind": "cover", "shift": shift_of(testapp, "Bia", monday)["id"]},
                    status=201).json
    as_person(testapp, tokens, "Bia", f"{API}/{bia['id']}/cancel", status=200)

    assert [r["id"] for r in testapp.get(API).json["requests"]] == [bia["id"], ana["id"]]
    assert [r["id"] for r in testapp.get(API, params={"status": "open"}).json["requests"]] == [ana["id"]]
    assert [r["id"] for r in testapp.get(API, params={"person": people["Bia"]["id"]}).json["requests"]] == [bia["id"]]
    assert "Unknown status" in testapp.get(API, params={"status": "maybe"}, status=422).json["error"]
    testapp.get(API, params={"person": "x"}, status=400)
    testapp.get(f"{API}/999999", status=404)


# -- notifications ------------------------------------------------------------------------------


def test_eligible_colleagues_are_told_with_a_link_that_opens_the_request(
    testapp, admin, people, tokens, daily, monday, clean_engine, settings, plugins,
):
    from plantao.notifications.fanout import person_ids
    from plantao.notifications.events import render

    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    with clean_engine.connect() as connection:
        (payload,) = connection.execute(
            select(OutboxEvent.payload).where(OutboxEvent.kind == "cover_requested")).one()
    assert sorted(person_ids("cover_requested", payload)) == sorted(c["person"] for c in asked["candidates"])
    recipient = {"id": people["Bia"]["id"], "name": "Bia", "action_token": tokens["Bia"]}
    message = render("cover_requested", payload, "pt-BR", "https://plantao.example", recipient)
    assert "Ana" in message.subject
    assert f"https://plantao.example/teams/infra/requests/{asked['id']}?token={tokens['Bia']}" in message.text


# -- at the same instant -------------------------------------------------------------------------


def test_two_colleagues_accepting_at_the_same_instant_make_one_override(
    testapp, admin, people, tokens, daily, monday, clean_engine, database_url,
):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time anyway")
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    with clean_engine.connect() as connection:
        before = connection.execute(select(Override.id)).all()
    start = threading.Barrier(2)
    answers: dict[str, int] = {}

    def accept(name: str) -> None:
        start.wait()
        answers[name] = testapp.post_json(
            f"{API}/{asked['id']}/accept?token={tokens[name]}", {}, expect_errors=True).status_int

    threads = [threading.Thread(target=accept, args=(name,)) for name in ("Bia", "Caio")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(answers.values()) == [200, 409]
    with clean_engine.connect() as connection:
        after = connection.execute(select(Override.id, Override.person_id)).all()
    assert len(after) == len(before) + 1
    winner = next(name for name, status in answers.items() if status == 200)
    assert holder(testapp, iso_local(monday, "12:00")) == winner


# -- what a fresh review found ---------------------------------------------------------------


@pytest.fixture
def outsider(admin, clean_engine):
    """Zé, a person in no rotation, with his action token."""
    ze = admin.post("/api/v1/people", {"name": "Zé"}, status=201).json
    with clean_engine.connect() as connection:
        token = connection.execute(select(Person.action_token).where(Person.id == ze["id"])).scalar_one()
    return ze, token


def test_only_the_teams_members_take_a_cover(testapp, admin, people, tokens, daily, monday, outsider):
    ze, token = outsider
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json

    testapp.post_json(f"{API}/{asked['id']}/accept?token={token}", {}, status=422)
    admin.post(f"{API}/{asked['id']}/accept", {"person": ze["id"]}, status=422)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "open"


def test_a_swap_is_checked_again_on_both_sides_when_accepted(testapp, admin, people, tokens, daily, monday):
    mine = shift_of(testapp, "Ana", monday)
    theirs = shift_of(testapp, "Caio", monday + timedelta(days=1))
    asked = as_person(testapp, tokens, "Ana", API,
                      {"kind": "swap", "shift": mine["id"], "with_shift": theirs["id"]}, status=201).json
    # Ana goes on leave over Caio's shift, which she would take.
    day = datetime.fromisoformat(theirs["start"]).date()
    admin.post(f"/api/v1/people/{people['Ana']['id']}/leave",
               {"start": day.isoformat(), "end": (day + timedelta(days=2)).isoformat()}, status=201)

    as_person(testapp, tokens, "Caio", f"{API}/{asked['id']}/accept", status=422)
    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"


def test_approving_checks_the_taker_again(testapp, admin, people, tokens, daily, monday):
    admin.patch("/api/v1/teams/infra", {"swap_approval": "admin"}, status=200)
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", status=200)
    admin.post(f"/api/v1/people/{people['Bia']['id']}/leave",
               {"start": monday.isoformat(), "end": (monday + timedelta(days=1)).isoformat()}, status=201)

    admin.post(f"{API}/{asked['id']}/approve", {}, status=422)
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "awaiting_approval"
    assert holder(testapp, iso_local(monday, "12:00")) == "Ana"


def test_bad_input_is_refused_not_a_500(testapp, admin, people, tokens, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    asked = admin.post(API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    testapp.get(API, params={"person": "²"}, status=400)
    testapp.get(API, params={"person": "9" * 40}, status=400)
    testapp.get(f"{API}/{'9' * 5000}", status=404)
    admin.post(f"{API}/{asked['id']}/accept", {"person": "7"}, status=422)
    admin.post(f"{API}/{asked['id']}/accept", {"person": 2**64}, status=422)
    admin.post(API, {"kind": "cover", "shift": shift["id"], "person": "Ana"}, status=422)
    as_person(testapp, tokens, "Ana", f"{API}/{asked['id']}/cancel", {"note": 5}, status=422)


def test_who_decided_is_shown_to_readers_of_the_audit_log_only(testapp, admin, people, tokens, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    as_person(testapp, tokens, "Ana", f"{API}/{asked['id']}/cancel", status=200)

    assert testapp.get(f"{API}/{asked['id']}").json["decided_by"] is None
    assert admin.get(f"{API}/{asked['id']}").json["decided_by"] == "person:Ana"


def test_whoever_was_offered_a_cover_hears_that_it_ended(testapp, people, tokens, daily, monday, clean_engine):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    as_person(testapp, tokens, "Ana", f"{API}/{asked['id']}/cancel", status=200)

    with clean_engine.connect() as connection:
        told = [p for (p,) in connection.execute(
            select(OutboxEvent.payload).where(OutboxEvent.kind == "request_updated")).all()]
    (cancelled,) = [p for p in told if p["step"] == "cancel"]
    assert set(cancelled["recipients"]) == {people[n]["id"] for n in ("Ana", "Bia", "Caio", "Davi")}


def test_an_untouched_request_expires_on_the_keepers_round(app, testapp, people, tokens, daily, monday, monkeypatch):
    from plantao.horizon import settle_due_requests

    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    assert settle_due_requests(app.registry) == 0
    later = datetime.fromisoformat(shift["start"]) + timedelta(seconds=1)
    monkeypatch.setattr("plantao.services.requests.utcnow", lambda: later)

    assert settle_due_requests(app.registry) == 1
    monkeypatch.undo()
    assert testapp.get(f"{API}/{asked['id']}").json["status"] == "expired"


def test_on_a_private_roster_an_action_link_opens_only_its_persons_requests(
    app_with, admin_headers, people, monday, outsider, clean_engine,
):
    import webtest

    private = webtest.TestApp(app_with(public_roster=False))
    private.post_json("/api/v1/teams", {"slug": "infra", "name": "Infra"}, headers=admin_headers)
    private.post_json("/api/v1/teams/infra/rotations", {
        "name": "Diário", "policy": "daily", "members": [people[n]["id"] for n in ("Ana", "Bia", "Caio", "Davi")],
        "start": iso_local(monday - timedelta(weeks=4), "09:00"),
    }, headers=admin_headers)
    with clean_engine.connect() as connection:
        tokens = dict(connection.execute(select(Person.name, Person.action_token)).all())
    shift = shift_of(type("Reader", (), {"get": lambda self, url, **kw: private.get(url, headers=admin_headers, **kw)})(),
                     "Ana", monday)
    asked = private.post_json(f"{API}?token={tokens['Ana']}", {"kind": "cover", "shift": shift["id"]}, status=201).json

    private.get(f"/teams/infra/requests/{asked['id']}?token={tokens['Bia']}", status=200)
    private.get(f"/teams/infra/requests/{asked['id']}?token={outsider[1]}", status=404)


def test_an_action_may_insist_on_the_version_it_saw(testapp, admin, people, tokens, daily, monday):
    shift = shift_of(testapp, "Ana", monday)
    asked = as_person(testapp, tokens, "Ana", API, {"kind": "cover", "shift": shift["id"]}, status=201).json
    assert asked["version"] == 1

    moved = as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", {"version": 2}, status=409).json
    assert "changed since" in moved["error"]
    assert as_person(testapp, tokens, "Bia", f"{API}/{asked['id']}/accept", {"version": 1}, status=200).json[
        "version"] == 2
