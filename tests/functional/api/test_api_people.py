"""/api/v1/people: people who take shifts, and their leave."""

from __future__ import annotations

import pytest


def test_creating_a_person_answers_201_with_an_id_and_every_field(admin):
    response = admin.post(
        "/api/v1/people",
        {"name": "Ana", "email": "ana@example.org", "phone": "+55 11 90000-0001", "telegram_chat_id": "12345"},
        status=201,
    )

    person = response.json
    assert isinstance(person["id"], int)
    assert response.location.endswith(f"/api/v1/people/{person['id']}")
    assert person["name"] == "Ana"
    assert person["email"] == "ana@example.org"
    assert person["phone"] == "+5511900000001", "stored in E.164"
    assert person["telegram_chat_id"] == "12345"
    assert person["active"] is True


def test_anonymous_readers_see_no_contact_of_somebody_not_on_call(testapp, make_person):
    # Only whoever is on call now or next shows a phone (tests/functional/test_contact_matrix.py).
    ana = make_person("Ana", email="ana@example.org", phone="+55 11 90000-0001", telegram_chat_id="42")

    seen = testapp.get(f"/api/v1/people/{ana['id']}").json
    listed = testapp.get("/api/v1/people").json["people"][0]

    assert seen["email"] is None and listed["email"] is None
    assert seen["phone"] is None and listed["phone"] is None and seen["telegram_chat_id"] is None


def test_the_admin_sees_every_contact(admin, make_person):
    ana = make_person("Ana", email="ana@example.org")
    assert admin.get(f"/api/v1/people/{ana['id']}").json["email"] == "ana@example.org"


def test_changing_a_person_keeps_what_the_body_does_not_mention(admin, make_person):
    ana = make_person("Ana", email="ana@example.org")

    changed = admin.patch(f"/api/v1/people/{ana['id']}", {"phone": "+55 21 98888-7777"}).json

    assert changed["phone"] == "+5521988887777"
    assert changed["email"] == "ana@example.org" and changed["name"] == "Ana"


def test_a_change_that_changes_nothing_is_still_in_the_audit_log(admin, make_person, audit_log):
    """The audit entry alone is a write: it commits even when the change left every row as it was."""
    ana = make_person("Ana")
    admin.patch(f"/api/v1/people/{ana['id']}", {})
    assert [(e["action"], e["entity"], e["entity_id"]) for e in audit_log(entity="person")][0] == (
        "update", "person", str(ana["id"]),
    )


def test_deleting_a_person_deactivates_them_and_keeps_the_record(admin, testapp, make_person, audit_log):
    ana = make_person("Ana")

    answer = admin.delete(f"/api/v1/people/{ana['id']}", status=200).json

    assert answer["active"] is False
    assert testapp.get(f"/api/v1/people/{ana['id']}").json["active"] is False
    assert [p["name"] for p in testapp.get("/api/v1/people", params={"active": "false"}).json["people"]] == ["Ana"]
    assert testapp.get("/api/v1/people", params={"active": "true"}).json["people"] == []
    assert audit_log(entity="person")[0]["action"] == "deactivate"


def test_an_unknown_person_is_a_404_with_a_json_error(testapp, admin):
    assert "999" in testapp.get("/api/v1/people/999", status=404).json["error"]
    admin.patch("/api/v1/people/999", {"name": "Ghost"}, status=404)
    admin.delete("/api/v1/people/999", status=404)


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": ["Ana"]}, "name"),
        ({"name": "Ana", "email": "not an email"}, "email"),
        ({"name": "Ana", "phone": "call me"}, "phone"),
        ({"name": "Ana", "active": "yes"}, "active"),
        ({"name": "Ana", "nickname": "Aninha"}, "nickname"),
    ],
)
def test_an_invalid_person_is_a_422_naming_the_field_and_nothing_is_saved(
    admin, testapp, audit_log, body, field
):
    response = admin.post("/api/v1/people", body, status=422)

    assert field in [problem["field"] for problem in response.json["details"]]
    assert testapp.get("/api/v1/people").json["people"] == []
    assert audit_log() == []


def test_an_invalid_change_is_a_422_and_the_person_stays_as_they_were(admin, make_person, audit_log):
    ana = make_person("Ana")
    entries = len(audit_log())

    admin.patch(f"/api/v1/people/{ana['id']}", {"name": "Ana Maria", "email": "nope"}, status=422)

    assert admin.get(f"/api/v1/people/{ana['id']}").json == ana
    assert len(audit_log()) == entries


def test_people_are_paginated_with_a_next_cursor(testapp, make_person):
    for name in ("Ana", "Bia", "Caio"):
        make_person(name)

    first = testapp.get("/api/v1/people", params={"limit": 2}).json
    second = testapp.get("/api/v1/people", params={"limit": 2, "cursor": first["next"]}).json

    assert [p["name"] for p in first["people"] + second["people"]] == ["Ana", "Bia", "Caio"]
    assert second["next"] is None


def test_every_person_write_is_in_the_audit_log(admin, make_person, audit_log):
    ana = make_person("Ana")
    admin.patch(f"/api/v1/people/{ana['id']}", {"name": "Ana Maria"})
    admin.delete(f"/api/v1/people/{ana['id']}")

    entries = audit_log(entity="person")

    assert [e["action"] for e in entries] == ["deactivate", "update", "create"]
    assert entries[1]["before"]["name"] == "Ana" and entries[1]["after"]["name"] == "Ana Maria"
    assert all(e["entity_id"] == str(ana["id"]) for e in entries)


# -- leave ---------------------------------------------------------------------


def test_leave_is_recorded_listed_and_removed(admin, testapp, make_person, monday, local):
    ana = make_person("Ana")
    url = f"/api/v1/people/{ana['id']}/leave"

    leave = admin.post(url, {"start": local(monday), "end": local(monday, "18:00"), "reason": "dentist"}, status=201).json

    assert leave["person"] == ana["id"] and leave["reason"] == "dentist"
    assert leave["start"] == local(monday) and leave["end"] == local(monday, "18:00")
    assert [item["id"] for item in testapp.get(url).json["leave"]] == [leave["id"]]

    admin.delete(f"{url}/{leave['id']}", status=204)
    assert testapp.get(url).json["leave"] == []


def test_leave_ending_before_it_starts_is_a_422_and_nothing_is_saved(admin, make_person, monday, local, audit_log):
    ana = make_person("Ana")
    entries = len(audit_log())

    response = admin.post(
        f"/api/v1/people/{ana['id']}/leave", {"start": local(monday, "18:00"), "end": local(monday)}, status=422
    )

    assert response.json["error"] and response.json["details"]
    assert admin.get(f"/api/v1/people/{ana['id']}/leave").json["leave"] == []
    assert len(audit_log()) == entries


def test_overlapping_leave_is_a_409_and_the_first_leave_stays_alone(admin, make_person, monday, local, audit_log):
    ana = make_person("Ana")
    url = f"/api/v1/people/{ana['id']}/leave"
    admin.post(url, {"start": local(monday), "end": local(monday, "18:00")}, status=201)
    entries = len(audit_log())

    response = admin.post(url, {"start": local(monday, "12:00"), "end": local(monday, "20:00")}, status=409)

    assert "overlaps" in response.json["error"]
    assert len(admin.get(url).json["leave"]) == 1
    assert len(audit_log()) == entries


@pytest.mark.parametrize(
    "body",
    [
        {"start": "next monday", "end": "2030-01-02"},
        {"start": "2030-01-01"},
        {"start": 20300101, "end": "2030-01-02"},
    ],
)
def test_unreadable_leave_is_refused_in_plain_words(admin, make_person, audit_log, body):
    ana = make_person("Ana")
    entries = len(audit_log())

    response = admin.post(f"/api/v1/people/{ana['id']}/leave", body, status=422)

    assert response.json["error"]
    assert admin.get(f"/api/v1/people/{ana['id']}/leave").json["leave"] == []
    assert len(audit_log()) == entries


def test_leave_of_an_unknown_person_or_an_unknown_leave_is_a_404(admin, make_person, local, monday):
    admin.post("/api/v1/people/999/leave", {"start": local(monday), "end": local(monday, "18:00")}, status=404)
    ana = make_person("Ana")
    admin.delete(f"/api/v1/people/{ana['id']}/leave/999", status=404)


def test_a_leave_cannot_be_deleted_through_another_person(admin, make_person, monday, local):
    ana, bia = make_person("Ana"), make_person("Bia")
    leave = admin.post(
        f"/api/v1/people/{ana['id']}/leave", {"start": local(monday), "end": local(monday, "18:00")}, status=201
    ).json

    admin.delete(f"/api/v1/people/{bia['id']}/leave/{leave['id']}", status=404)

    assert len(admin.get(f"/api/v1/people/{ana['id']}/leave").json["leave"]) == 1
