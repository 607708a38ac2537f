"""The person form refuses a phone number that is not one, next to the field."""

from __future__ import annotations


def test_an_invalid_phone_is_refused_next_to_its_field_and_nothing_is_saved(admin, api):
    form = admin.get("/admin/people/new").forms[1]
    form["name"] = "Ana"
    form["phone"] = "+55 11 1234"
    page = form.submit(status=422)
    message = page.html.find(id="f-phone").find_parent("div").text
    assert "Informe um telefone válido com DDD" in message
    assert api.get("/api/v1/people")["people"] == []


def test_a_valid_phone_is_saved_in_e164_and_shown_in_the_national_format(admin, api):
    form = admin.get("/admin/people/new").forms[1]
    form["name"] = "Ana"
    form["phone"] = "(11) 91234-5678"
    form.submit(status=303)
    ana = api.get("/api/v1/people")["people"][0]
    assert ana["phone"] == "+5511912345678"
