"""plantao.services.contacts: phone numbers and the contact rule, without a database."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from plantao.services.contacts import (
    FULL_CONTACTS,
    NO_CONTACTS,
    ON_DUTY_CONTACTS,
    ContactPolicy,
    InvalidPhone,
    OnDuty,
    display_phone,
    normalize_phone,
    phone_uri,
)


@pytest.mark.parametrize(
    "typed, e164",
    [("(11) 91234-5678", "+5511912345678"), ("+55 11 91234-5678", "+5511912345678"),
     ("0xx11 91234-5678", "+5511912345678"), ("+351 912 345 678", "+351912345678")],
)
def test_normalize_phone_gives_e164_reading_numbers_without_a_country_as_brazilian(typed, e164):
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize("typed", ["", "   ", None])
def test_a_blank_phone_is_no_phone(typed):
    assert normalize_phone(typed) is None


@pytest.mark.parametrize("typed", ["call me", "+55 11 1234", "123", "+55 00 91234-5678"])
def test_invalid_numbers_are_refused(typed):
    with pytest.raises(InvalidPhone):
        normalize_phone(typed)


def test_brazilian_numbers_show_in_the_national_format_others_in_the_international_one():
    assert display_phone("+5511912345678") == "(11) 91234-5678"
    assert display_phone("+552133334444") == "(21) 3333-4444"
    assert display_phone("+12125550100") == "+1 212-555-0100"
    assert display_phone("ramal 42") == "ramal 42", "an invalid stored number is shown as typed"


def test_tel_links_are_in_e164():
    assert phone_uri("+5511912345678") == "tel:+5511912345678"
    assert phone_uri("(11) 91234-5678") == "tel:+5511912345678"


PERSON = SimpleNamespace(id=7, email="ana@example.org", phone="+5511912345678", telegram_chat_id="42",
                         chat={"slack": "U1"})


def test_readers_and_policies():
    assert ContactPolicy.for_reader(True, False) == FULL_CONTACTS
    assert ContactPolicy.for_reader(False, True) == ON_DUTY_CONTACTS
    assert ContactPolicy.for_reader(False, False) == NO_CONTACTS
    assert ON_DUTY_CONTACTS.for_export() == NO_CONTACTS, "cached bodies cannot follow handoffs"
    assert FULL_CONTACTS.for_export() == FULL_CONTACTS


def test_on_duty_contacts_show_only_for_whoever_is_on_call_in_that_team_and_role():
    on_duty = OnDuty(frozenset({(1, "primary", 7)}))
    shown = ON_DUTY_CONTACTS.shown(PERSON, on_duty, team_id=1, role="primary")
    assert (shown.email, shown.phone, shown.telegram_chat_id, shown.chat) == (None, PERSON.phone, "42", {"slack": "U1"})
    assert ON_DUTY_CONTACTS.shown(PERSON, on_duty).phone == PERSON.phone, "anywhere, outside a team"
    for team_id, role in ((2, "primary"), (1, "secondary")):
        hidden = ON_DUTY_CONTACTS.shown(PERSON, on_duty, team_id=team_id, role=role)
        assert (hidden.phone, hidden.telegram_chat_id, hidden.chat) == (None, None, {})
    assert ON_DUTY_CONTACTS.shown(PERSON).phone is None, "nobody, when who is on call is not known"
    assert FULL_CONTACTS.shown(PERSON).email == "ana@example.org"
    assert NO_CONTACTS.shown(PERSON) == NO_CONTACTS.shown(SimpleNamespace(**{**vars(PERSON), "id": 8}))
