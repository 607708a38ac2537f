"""Phone numbers: parsed with phonenumbers (Brazil by default), stored in E.164."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "typed, stored",
    [
        ("+55 11 91234-5678", "+5511912345678"),
        ("(11) 91234-5678", "+5511912345678"),
        ("11912345678", "+5511912345678"),
        ("(21) 3333-4444", "+552133334444"),
        ("+1 212 555 0100", "+12125550100"),
    ],
)
def test_phones_are_stored_in_e164(admin, typed, stored):
    created = admin.post("/api/v1/people", {"name": "Ana", "phone": typed}, status=201).json
    assert created["phone"] == stored
    assert admin.get(f"/api/v1/people/{created['id']}").json["phone"] == stored
    changed = admin.patch(f"/api/v1/people/{created['id']}", {"phone": typed}).json
    assert changed["phone"] == stored


@pytest.mark.parametrize("typed", ["+55 11 1234", "call me", "+55 00 91234-5678", "99"])
def test_an_invalid_phone_is_a_422_naming_the_field_and_nothing_is_saved(admin, testapp, typed):
    answer = admin.post("/api/v1/people", {"name": "Ana", "phone": typed}, status=422).json
    assert answer["details"] == [{"field": "phone", "message": answer["details"][0]["message"]}]
    assert "phone" in answer["error"]
    assert admin.get("/api/v1/people").json["people"] == []


def test_an_invalid_phone_change_keeps_the_stored_one(admin, make_person):
    ana = make_person("Ana", phone="(11) 91234-5678")
    admin.patch(f"/api/v1/people/{ana['id']}", {"phone": "12"}, status=422)
    assert admin.get(f"/api/v1/people/{ana['id']}").json["phone"] == "+5511912345678"


def test_a_blank_or_null_phone_clears_it(admin, make_person):
    ana = make_person("Ana", phone="(11) 91234-5678")
    assert admin.patch(f"/api/v1/people/{ana['id']}", {"phone": ""}).json["phone"] is None
    admin.patch(f"/api/v1/people/{ana['id']}", {"phone": "(11) 91234-5678"})
    assert admin.patch(f"/api/v1/people/{ana['id']}", {"phone": None}).json["phone"] is None
